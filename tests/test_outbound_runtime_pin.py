"""The pin of an accepted preview (docs/outbound.md, "Preview campaigns") across a crash in
the middle of it, and the skills the pinned agent gets back.

Pinning an answered preview is four engine inputs, each journaled and committed on its own:
(1) the agent's skills become only ``callroute-pin:<agent>``, (2) the person's call enters,
routed by that skill, (3) the agent is made ready (the engine offers it the call), (4) the
agent's skills are given back. A process killed between (1) and (4) leaves the journal
with the agent pinned: the restarted runtime must give it its skills back, or no call
would ever reach it again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from _runtime_e2e import until
from _runtime_util import make_center
from callroute.runtime import Journal, Options
from callroute.runtime.calls import CallCore
from callroute.runtime.journal import JournaledEngine
from callroute.runtime.outbound import OutboundCore
from fakeari import FakeAsterisk
from test_outbound_runtime import (
    AGENT,
    AGENT2,
    NOON,
    Setup,
    _accepted_preview,
    _agent_legs,
    campaign,
    contacts,
    endpoint,
    run,
)

PIN = "callroute-pin:agent1"
#: agent1's skills in the center's file (tests/_runtime_util.make_center)
FILE_SKILLS = {"sales": 5}


class Killed(BaseException):
    """The process dying at this point (as by kill -9): nothing after it runs, nothing
    catches it (the runtime's guards catch ``Exception`` only)."""


#: where the process dies: before the call enters (after 1), before the agent is made ready
#: (after 2), before the skills are given back (after 3); and the last input journaled then
DEATHS = {
    "after-skills": ("set_agent_skills", ["agent1", {PIN: 1}]),
    "after-call": ("call_arrived", None),
    "after-ready": ("agent_ready", ["agent1"]),
}


@pytest.mark.parametrize("death", list(DEATHS))
def test_a_crash_mid_pin_is_healed_at_the_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, death: str
) -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558005"), answer_after=1.0, amd="HUMAN", talk=300.0)
        s = Setup(fake, tmp_path)
        rt = await _accepted_preview(fake, s, "5558005")
        core = rt.core
        assert isinstance(core, OutboundCore)
        enqueue, engine_input = core._enqueue, core._engine

        def die_in_enqueue(*args: Any, **kw: Any) -> Any:
            if death == "after-skills" and kw.get("skills") is not None:
                raise Killed
            return enqueue(*args, **kw)

        def die_in_input(method: str, *args: Any, **kw: Any) -> Any:
            if (death, method) in (
                ("after-call", "agent_ready"),
                ("after-ready", "set_agent_skills"),
            ):
                raise Killed
            return engine_input(method, *args, **kw)

        core._enqueue = die_in_enqueue  # type: ignore[method-assign]
        core._engine = die_in_input  # type: ignore[method-assign]
        await until(s.task.done)  # the person answered: the runtime died mid-pin
        old = next(c.id for c in core.calls.values() if c.caller == "5558005")
        await s.crash()

        # the journal ends with the pin's last input applied before the death
        journal = Journal(tmp_path / "engine.sqlite")
        last = journal.inputs()[-1]
        kind, args = DEATHS[death]
        assert last.kind == kind
        assert args is None or last.args[: len(args)] == args
        journal.close()

        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        s2 = Setup(fake, tmp_path)
        agents = {"agent1": AGENT, "agent2": AGENT2}
        people = contacts("5558005", "5558999")
        rt2 = await s2.start(campaign(mode="preview"), people, prefix="b", agents=agents)
        await until(lambda: rt2.engine.agent_skills("agent1") == FILE_SKILLS)
        assert rt2.engine.eligible_agents("acme", {PIN: 1}) == ([], [])
        warned = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any("agent1" in r.getMessage() and "pinned" in r.getMessage() for r in warned)
        # a pinned call the dead process never noted cannot wait for an agent any more: it
        # is abandoned
        await until(lambda: old not in rt2.engine.calls())
        # the person, still on the line, is routed now: to agent1 while it is reserved
        # (the pin), to any agent (agent2, idle the longest) once agent1 was made ready
        await until(lambda: rt2.core.outcomes["outbound_connected"] == 1)
        assert _agent_legs(fake) == [AGENT2 if death == "after-ready" else AGENT]
        assert rt2.engine.totals().abandoned == (0 if death == "after-skills" else 1)

        # agent1 takes calls again: the person hangs up, agent2 goes on a break, and a
        # caller of the queue reaches agent1
        await rt2.agent_not_ready("agent2", "break")
        await fake.hangup("ao1")
        await until(lambda: rt2.engine.agent_state("agent1") == "ready")
        await fake.place_call(caller="5551077")
        await until(lambda: len(_agent_legs(fake)) == 2)
        assert _agent_legs(fake)[1] == AGENT
        await rt2.stop()
        await s2.crash()

        # the skills given back are a journaled input: a third start replays them
        journal = Journal(tmp_path / "engine.sqlite")
        fresh, _ = JournaledEngine.recover(lambda: rt2.center.engine, journal)
        assert fresh.agent_skills("agent1") == FILE_SKILLS
        journal.close()

    run(body)


def test_the_pin_gives_back_the_skills_the_agent_held() -> None:
    """Skills set otherwise than by the center's file (here the engine's own input, as a
    reload or an operator would) survive the pin: it gives back what the agent held."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558006"), answer_after=1.0, amd="HUMAN", talk=300.0)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558006")
        held = {"sales": 3, "vip": 2}
        rt.engine.set_agent_skills("agent1", held, rt.now())  # before the person answers
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert _agent_legs(fake) == [AGENT]
        assert rt.engine.agent_skills("agent1") == held
        assert rt.engine.eligible_agents("acme", {"vip": 2}) == ([], ["agent1"])
        await rt.stop()
        await s.crash()

    run(body)


def test_heal_leaves_unpinned_agents_alone_and_strips_pins_of_agents_not_in_the_file() -> None:
    """Sans-I/O, on the plain call core (a runtime restarted without campaigns heals too)."""
    center = make_center({"agent1": AGENT}, ivr=False, record=False)
    engine = center.engine
    core = CallCore(center, engine, wall=lambda t: NOON, options=Options(id_prefix="t"))
    engine.add_agent("temp", tenant="acme", skills={"sales": 2, "callroute-pin:temp": 1})
    engine.agent_ready("temp", 1.0)
    before = engine.agent_skills("agent1")
    assert core.heal_pins(2.0) == []  # nothing to offer: no call waits
    assert engine.agent_skills("temp") == {"sales": 2}
    assert engine.eligible_agents("acme", {"sales": 2}) == (["temp"], [])
    assert engine.agent_skills("agent1") == before
    assert core.heal_pins(3.0) == []
    assert engine.now == 2.0  # nothing left to heal: no input at all
