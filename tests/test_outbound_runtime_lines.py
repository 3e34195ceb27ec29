"""Lines that end where the runtime cannot see them, and the agent an accepted preview
reserved (docs/outbound.md, "Preview campaigns" and "Lines the runtime lost"):

- a line whose end the runtime never heard (a websocket outage, a crash) is closed at the
  resync as ``no_answer``; one still ringing long past its ring timeout is closed too;
- every line that ends without a person reaching its reserved agent makes that agent
  ready again, and at start-up an agent reserved for a preview that no open line names is
  made ready;
- a pinned person whose agent was offered another call when made ready (a queue that
  requires no skill) moves to the campaign's queue for any agent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _runtime_e2e import until
from _runtime_util import make_center
from callroute.outbound import Contact, EngineClock, OutboundPlan
from callroute.runtime import Journal, Options
from callroute.runtime import commands as cmd
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

AGENTS = {"agent1": AGENT, "agent2": AGENT2}


class Killed(BaseException):
    """The process dying at this point (as by kill -9): nothing after it runs."""


def _warned(caplog: pytest.LogCaptureFixture, *words: str) -> bool:
    return any(
        r.levelno == logging.WARNING and all(w in r.getMessage() for w in words)
        for r in caplog.records
    )


# ---------------------------------------------------------------- lost lines


def test_a_ringing_line_ending_during_a_pbx_outage_is_closed_at_the_resync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The callee is busy while the event stream is down: the Dial and the channel's end are
    lost. The resync finds the channel gone: the line is closed (``no_answer``, the outcome
    of a line whose end is unknown), the dialer's line is closed (it paces again), and the
    agent the preview reserved is ready."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558020"), busy=True, reject_after=4.0)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558020")
        await until(lambda: "ao1" in fake.channels)
        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        fake.drop_websocket(down_for=1.0)  # the busy far end (4 s = 0.1 s real) meanwhile
        await until(lambda: not rt.core.pbx_up)
        await until(lambda: rt.engine.agent_state("agent1") == "ready")
        dialer = rt.outbound.dialer
        stats = dialer.stats("renew")
        assert stats["no_answer"] == 1
        assert stats["busy"] == 0
        assert stats["lines_open"] == 0
        assert rt.core.lines == {}
        assert dialer.contact("renew", "c0")["last_outcome"] == "no_answer"
        assert _warned(caplog, "line 1", "outage", "no_answer")
        await rt.stop()
        await s.crash()

    run(body)


def test_a_person_answering_during_a_pbx_outage_is_routed_at_the_resync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The person answers while the event stream is down: the StasisStart is lost, the
    channel waits in the app. The resync lists it in Stasis: the person is routed (to the
    free agent), as the StasisStart would have."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.2)
        fake.set_agent(endpoint("5558024"), answer_after=10.0, amd="HUMAN", talk=300.0)
        s = Setup(fake)
        rt = await s.start(campaign(connect_within=30), contacts("5558024"))
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: "ao1" in fake.channels)
        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        fake.drop_websocket(down_for=1.0)  # the answer (10 s = 0.25 s real) meanwhile
        await until(lambda: not rt.core.pbx_up)
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert _warned(caplog, "line 1", "answered unheard")
        assert rt.outbound.dialer.contact("renew", "c0")["status"] == {"final": "done_person"}
        await until(lambda: any(len(b.channels) == 2 for b in fake.bridges.values()))
        await rt.stop()
        await s.crash()

    run(body)


def _core() -> OutboundCore:
    center = make_center(AGENTS, ivr=False, record=False)
    plan = OutboundPlan(center.engine, center.agents, EngineClock(NOON))
    plan.add_campaign(campaign(), [Contact("c0", ("+15550000",), "UTC", 0, {})], 0.0)
    return OutboundCore(
        center,
        center.engine,
        wall=lambda t: NOON,
        options=Options(id_prefix="t"),
        verifiers={},
        plan=plan,
    )


def _dial(core: OutboundCore, now: float) -> None:
    dials, _ = core.plan.dialer.pace(now, {"renew": 1})
    assert [d.line for d in dials] == [1]
    core.dial(dials[0], now)


def test_a_line_ringing_past_its_ring_timeout_and_margin_is_closed() -> None:
    """Sans-I/O: the PBX ends a ring at the originate's timeout (30 s); a line still ringing
    30 s after that (its end lost) is closed as no answer and hung up. While the PBX is
    away there is no limit, and once it is back a full one runs again: the resync judges
    the line first (it may have been answered meanwhile)."""
    core = _core()
    core.pbx_up = True
    _dial(core, 0.0)
    assert core.next_deadline() == pytest.approx(min(core._pace_at, 60.0))
    core._pace_at = 1e9  # no pacing round in the way
    assert core.next_deadline() == pytest.approx(60.0)
    assert core.on_timer(59.0) == []
    core.pbx_up = False
    assert core.next_deadline() == pytest.approx(1e9)
    assert core.on_timer(61.0) == []
    assert core.lines[1].state == "ringing"
    core.pbx_up = True  # back: the limit is re-armed, a full one, for the resync to come
    assert core.on_timer(61.0) == []
    assert core.next_deadline() == pytest.approx(121.0)
    assert core.on_timer(120.0) == []
    assert core.lines[1].state == "ringing"
    out = core.on_timer(121.0)
    assert cmd.Hangup("to1") in out
    assert core.plan.dialer.stats("renew")["no_answer"] == 1
    assert core.plan.dialer.stats("renew")["lines_open"] == 0
    core.take_notes()
    assert core.lines == {}


def test_a_line_dialled_after_the_list_was_asked_is_left_alone() -> None:
    """Sans-I/O: a resync's list covers what was dialled up to its stamp; a line dialled
    later is not in it and is not closed."""
    core = _core()
    core.pbx_up = True
    stamp = core.stamp
    _dial(core, 0.0)
    core.reconcile({}, 1.0, stamp, {})
    assert core.lines[1].state == "ringing"
    core.reconcile({}, 2.0, core.stamp, {})
    assert core.lines[1].state == "closed"
    assert core.plan.dialer.stats("renew")["no_answer"] == 1


# ---------------------------------------------------------------- the reserved agent


def test_a_person_gone_during_a_restart_frees_the_reserved_agent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """agent1 accepts a preview, the process dies pinning the person (after taking the
    agent's skills), the person hangs up while it is down: at the restart the line is a
    connect timeout and agent1, reserved for it, is ready again (not stuck in ``preview``)."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558021"), answer_after=1.0, amd="HUMAN", talk=300.0)
        s = Setup(fake, tmp_path)
        rt = await _accepted_preview(fake, s, "5558021")
        core = rt.core
        enqueue = core._enqueue

        def die(*args: Any, **kw: Any) -> Any:
            if kw.get("skills") is not None:
                raise Killed
            return enqueue(*args, **kw)

        core._enqueue = die  # type: ignore[method-assign]
        await until(s.task.done)  # the person answered: the runtime died mid-pin
        await s.crash()
        await fake.hangup("ao1")  # the person hangs up while the runtime is down

        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        s2 = Setup(fake, tmp_path)
        people = contacts("5558021", "5558999")
        rt2 = await s2.start(campaign(mode="preview"), people, prefix="b", agents=AGENTS)
        await until(lambda: rt2.engine.agent_state("agent1") == "ready")
        assert _warned(caplog, "line 1", "gone during the restart")
        dialer = rt2.outbound.dialer
        assert dialer.stats("renew")["abandoned"] == 1  # answered, no agent: the cap's
        assert dialer.stats("renew")["lines_open"] == 0
        await rt2.stop()
        await s2.crash()

    run(body)


def test_an_agent_reserved_for_a_line_never_noted_is_ready_at_start_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The process dies after reserving agent1 for the preview it accepted and before the
    line's note is written (and before its originate is sent): no open line names agent1.
    At start-up it is made ready, logged, as a journaled input (a third start replays it)."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558022"), answer_after=1.0, amd="HUMAN")
        for ep in AGENTS.values():
            fake.set_agent(ep, answer_after=0.2)
        s = Setup(fake, tmp_path)
        people = contacts("5558022", "5558999")
        rt = await s.start(campaign(mode="preview"), people, agents=AGENTS)
        stream = rt.subscribe(agent=None, tenant="acme")
        for agent in ("agent2", "agent1"):
            await rt.agent_login(agent)
            await rt.agent_ready(agent)
        while True:
            event = await asyncio.wait_for(stream.__anext__(), 5.0)
            if event["type"] == "preview" and event["contact"] == "c0":
                break

        def die(commands: list[Any]) -> None:
            raise Killed

        rt._dispatch = die  # type: ignore[method-assign]
        with pytest.raises(Killed):
            await rt.preview_accept("renew", "c0", "agent1")
        assert rt.engine.agent_reason("agent1") == "preview"
        await s.crash()
        assert not [r for r in fake.requests if "outbound," in r.query.get("appArgs", "")]

        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        s2 = Setup(fake, tmp_path)
        rt2 = await s2.start(campaign(mode="preview"), people, prefix="b", agents=AGENTS)
        await until(lambda: rt2.engine.agent_state("agent1") == "ready")
        assert _warned(caplog, "agent agent1", "no open line names it")
        await until(lambda: rt2.outbound.dialer.stats("renew")["lines_open"] == 0)
        await rt2.stop()
        await s2.crash()

        journal = Journal(tmp_path / "engine.sqlite")
        fresh, _ = JournaledEngine.recover(lambda: rt2.center.engine, journal)
        assert fresh.agent_state("agent1") == "ready"
        journal.close()

    run(body)


def test_start_up_keeps_an_agent_a_restored_line_still_names() -> None:
    """Sans-I/O: only agents no open line names are freed at start-up."""
    core = _core()
    engine = core.engine
    for agent in AGENTS:
        engine.agent_not_ready(agent, 0.0, "preview")
    note = {
        "phase": "line",
        "line": 3,
        "campaign": "renew",
        "contact": "c0",
        "number": "+15550000",
        "channel": "to3",
        "state": "ringing",
        "call_id": None,
        "connect_by": None,
        "agent": "agent2",
    }
    core.restore([note])
    core.heal_pins(1.0)
    assert engine.agent_state("agent1") == "ready"
    assert (engine.agent_state("agent2"), engine.agent_reason("agent2")) == ("not_ready", "preview")


# ---------------------------------------------------------------- the pin taken


def test_a_pinned_person_whose_agent_took_another_call_goes_to_any_agent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The campaign's queue requires no skill and has a caller waiting (agent1 reserved,
    agent2 on a break). Made ready for its pinned person, agent1 is offered that caller
    instead (waiting longer): the person moves to the campaign's queue and agent2, back
    from its break, takes it. Nothing is abandoned; the campaign queue counts both calls
    offered (an arrival and a transfer in: docs/engine.md, "Statistics") and answered."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558023"), answer_after=20.0, amd="HUMAN", talk=300.0)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558023", queue={"skills": {}}, connect_within=30)
        await rt.agent_not_ready("agent2", "break")
        await fake.place_call(caller="5551078")
        await until(lambda: rt.engine.queue_stats("sales").waiting == 1)
        assert "ao1" in fake.channels
        assert rt.core.lines[1].state == "ringing"
        caplog.set_level(logging.WARNING, logger="callroute.runtime")
        await until(lambda: len(_agent_legs(fake)) == 1)  # the person answered
        assert _agent_legs(fake) == [AGENT]
        person = rt.core.lines[1].call
        assert person is not None
        assert rt.engine.call_info(person).queue == "sales"
        assert _warned(caplog, "agent1", "queue sales for any agent")
        await rt.agent_ready("agent2")
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert _agent_legs(fake) == [AGENT, AGENT2]
        await until(lambda: rt.engine.queue_stats("sales").answered == 2)
        stats = rt.engine.queue_stats("sales")
        assert stats.offered == 2
        assert stats.abandoned == 0
        assert rt.outbound.dialer.stats("renew")["abandoned"] == 0
        await rt.stop()
        await s.crash()

    run(body)


def test_a_listing_with_malformed_channelvars_reads_no_amd() -> None:
    """The PBX's channel listing is outside input: ``channelvars`` that is not a mapping
    (a list, a string) reads as no AMD variable, never an exception that would stop the
    rest of the resync."""

    @dataclass
    class Listed:
        channelvars: Any

    core = _core()
    for junk in (["AMDSTATUS", "HUMAN"], "AMDSTATUS=HUMAN", 5):
        assert core._listed_amd({"ch": Listed(junk)}, "ch") is None
    name = core.out_options.amd_variable
    assert core._listed_amd({"ch-peer": Listed({name: "MACHINE"})}, "ch") == "MACHINE"
