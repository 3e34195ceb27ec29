"""An outbound campaign on the fake Asterisk: dials become originates (the recorded
``POST /channels`` shape), a person is bridged with the agent, a person with no agent gets
the recorded message, a machine is retried by the campaign's rule; everything journaled
and recovered after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from _runtime_e2e import FIXTURES, SPEED, until
from _runtime_util import make_center
from callroute._core import Dialer
from callroute.adapters.ari import AriClient
from callroute.errors import DialerInvalidEventError, DialerUnknownIdError
from callroute.outbound import CampaignConfig, Contact, EngineClock, OutboundPlan
from callroute.runtime import Journal, Options, Runtime
from callroute.runtime.dialjournal import JournaledDialer
from callroute.runtime.outbound import OutboundOptions
from fakeari import FakeAsterisk

AGENT = "Local/agent1@agents"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)  # inside 08:00-21:00 UTC
CALLER_ID = "+18005550199"


def campaign(**kw: Any) -> CampaignConfig:
    spec: dict[str, Any] = {
        "id": "renew",
        "tenant": "acme",
        "queue": "sales",
        "caller_id": CALLER_ID,
        "skills": {"sales": 1},
        "retry": {"machine": {"delay": 7200, "max_attempts": 2}},
    }
    spec.update(kw)
    return CampaignConfig.model_validate(spec)


def contacts(*numbers: str) -> list[Contact]:
    return [Contact(f"c{i}", (n,), "UTC", 0, {"name": f"N{i}"}) for i, n in enumerate(numbers)]


def endpoint(number: str, template: str = "PJSIP/{number}@trunk") -> str:
    return template.format(number=number)


def recorded_originate() -> tuple[set[str], set[str]]:
    """The query keys and body keys of the recorded agent-leg originate (ari-acd-answered)."""
    for line in (FIXTURES / "ari-acd-answered.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == "http-request" and record["method"] == "POST":
            path, _, query = record["path"].partition("?")
            if path == "/ari/channels":
                body = json.loads(record["body"])
                return set(parse_qs(query)), set(body)
    raise AssertionError("no originate in the transcript")


class Setup:
    def __init__(self, fake: FakeAsterisk, tmp: Path | None = None) -> None:
        self.fake = fake
        self.tmp = tmp
        self.rt: Runtime
        self.task: asyncio.Task[None]
        self.ari: AriClient
        self.journals: list[Journal] = []

    async def start(
        self,
        config: CampaignConfig,
        people: list[Contact],
        prefix: str = "a",
        template: str = "PJSIP/{number}@trunk",
        agents: dict[str, str] | None = None,
        queue: dict[str, Any] | None = None,
    ) -> Runtime:
        """Run ``config`` over ``people``; ``queue``: settings of the center's queue."""
        loop = asyncio.get_running_loop()
        center = make_center(
            agents or {"agent1": AGENT}, ivr=False, **{"record": False, **(queue or {})}
        )
        journal = None
        dialer: Any = None
        if self.tmp is not None:
            journal = Journal(self.tmp / "engine.sqlite")
            djournal = Journal(self.tmp / "dialer.sqlite")
            self.journals = [journal, djournal]
            dialer = JournaledDialer.open(djournal)
        plan = OutboundPlan(center.engine, center.agents, EngineClock(NOON), dialer=dialer)
        if config.id in plan.dialer.campaigns():
            plan.restored(config, people, float(plan.dialer.now or 0.0))
        else:
            plan.add_campaign(config, people, 0.0)
        self.ari = AriClient(
            self.fake.base_url,
            "callroute",
            "callroute-test-secret",
            "callroute",
            backoff=(0.01, 0.05),
        )
        await self.ari.open()
        self.rt = Runtime(
            center,
            self.ari,
            journal=journal,
            clock=lambda: loop.time() * SPEED,
            wallclock=lambda: NOON,
            speed=SPEED,
            options=Options(id_prefix=prefix),
            outbound=plan,
            outbound_options=OutboundOptions(pace_every=0.5, dial_template=template),
        )
        self.task = asyncio.create_task(self.rt.run())
        await self.fake.wait_connected()
        return self.rt

    async def crash(self) -> bytes:
        """Gone at once (as by kill -9); returns the dialer's state at that moment."""
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task
        for t in list(self.rt._tasks):
            t.cancel()
        state = bytes(self.rt.outbound.dialer.snapshot())
        await self.ari.close()
        for j in self.journals:
            j.close()
        return state


def originates(fake: FakeAsterisk) -> Iterator[dict[str, str]]:
    """The originates of outbound lines (not agent legs)."""
    for r in fake.requests:
        outbound = r.query.get("appArgs", "").startswith("outbound,")
        if r.method == "POST" and r.path == "/ari/channels" and outbound:
            yield r.query


def run(body: Any) -> None:
    async def main() -> None:
        fake = FakeAsterisk(speed=SPEED)
        await fake.start()
        try:
            await body(fake)
        finally:
            await fake.stop()

    asyncio.run(main())


@pytest.mark.parametrize("template", ["PJSIP/{number}@trunk", "Local/{number}@outbound"])
def test_person_is_bridged_with_the_agent(template: str) -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.5)
        fake.set_agent(endpoint("5552001", template), answer_after=1.0, amd="HUMAN")
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5552001"), template=template)
        assert rt.clock_origin == NOON  # a fresh engine: second 0 is the start
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        # the originate as ARI takes it (the recorded agent-leg shape: endpoint, app,
        # appArgs, callerId, timeout, client-chosen channelId; a Local endpoint's
        # otherChannelId; variables in the JSON body)
        dial = next(originates(fake))
        assert dial["endpoint"] == endpoint("5552001", template)
        assert dial["app"] == "callroute"
        assert dial["appArgs"] == "outbound,renew,1"
        assert dial["callerId"] == CALLER_ID
        assert dial["channelId"] == "ao1"
        keys, body_keys = recorded_originate()
        local = template.startswith("Local/")
        expected = keys - {"originator"} - (set() if local else {"otherChannelId"})
        assert set(dial) == expected
        request = next(r for r in fake.requests if r.query is dial)
        assert set(request.body) == body_keys
        assert request.body["variables"]["CALLROUTE_LINE"] == "1"
        # the person's channel and the agent's leg share one mixing bridge
        await until(lambda: any(len(b.channels) == 2 for b in fake.bridges.values()))
        bridge = next(b for b in fake.bridges.values() if len(b.channels) == 2)
        assert "ao1" in bridge.channels
        assert rt.engine.agent_state("agent1") == "busy"
        dialer = rt.outbound.dialer
        assert dialer.stats("renew")["connected"] == 1
        assert dialer.contact("renew", "c0")["status"] == {"final": "done_person"}
        # the agent's screen pop carries the contact's data
        info = rt.engine.call_info("a1")
        assert info.data["contact"] == "c0"
        assert info.data["name"] == "N0"
        await fake.hangup("ao1")
        await until(lambda: rt.core.outcomes["answered"] == 1)
        await rt.stop()
        await s.crash()

    run(body)


def test_no_agent_within_the_limit_gets_the_message() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.5)
        fake.set_agent(endpoint("5552002"), answer_after=3.0, amd="HUMAN", talk=60.0)
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5552002"))
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: any(True for _ in originates(fake)))
        await rt.agent_not_ready("agent1", "break")  # gone before the person answers
        await until(lambda: rt.core.outcomes["outbound_abandoned"] == 1)
        await until(lambda: "ao1" not in fake.channels)
        plays = [r for r in fake.requests if r.path == "/ari/channels/ao1/play"]
        assert [p.query.get("media") for p in plays] == ["sound:callroute-sorry"]
        hangups = [r for r in fake.requests if r.method == "DELETE" and r.path.endswith("/ao1")]
        assert len(hangups) == 1
        order = [r.path for r in fake.requests if r.path.startswith("/ari/channels/ao1")]
        assert order.index("/ari/channels/ao1/play") < order.index("/ari/channels/ao1")
        dialer = rt.outbound.dialer
        stats = dialer.stats("renew")
        assert stats["abandoned"] == 1
        assert stats["connected"] == 0
        assert stats["abandonment_rate"] == 1.0
        assert rt.engine.queue_stats("sales").abandoned == 1
        assert rt.core.outcomes["abandoned"] == 1
        served = await rt.stats("acme")
        assert served["campaigns"]["renew"]["abandoned"] == 1
        assert (await rt.stats())["campaigns"].keys() == {"renew"}
        await rt.stop()
        await s.crash()

    run(body)


def test_machine_is_retried_by_the_campaign_rule() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.5)
        fake.set_agent(endpoint("5552003"), answer_after=1.0, amd="MACHINE")
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5552003"))
        await rt.agent_login("agent1")
        started = rt.now()
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_machine"] == 1)
        await until(lambda: "ao1" not in fake.channels)
        view = rt.outbound.dialer.contact("renew", "c0")
        assert view["status"] == "pending"
        assert view["attempts"] == 1
        assert view["last_outcome"] == "machine"
        # eligible again 7200 s after the outcome (the rule), not before
        assert started + 7200.0 <= view["next_eligible"] <= rt.now() + 7200.0
        assert rt.engine.queue_stats("sales").offered == 0  # a machine never reaches the queue
        assert len(list(originates(fake))) == 1
        await rt.stop()
        await s.crash()

    run(body)


def test_busy_and_no_answer_outcomes() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.5)
        fake.set_agent(endpoint("5552004"), busy=True, reject_after=0.5)
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5552004"))
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_busy"] == 1)
        assert rt.outbound.dialer.contact("renew", "c0")["last_outcome"] == "busy"
        await rt.stop()
        await s.crash()

    run(body)


def test_journaled_and_recovered_after_a_crash(tmp_path: Path) -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.5)
        fake.set_agent(endpoint("5552005"), answer_after=1.0, amd="HUMAN", talk=300.0)
        fake.set_agent(endpoint("5552006"), answer_after=1.0, amd="MACHINE")
        people = contacts("5552005", "5552006")
        s = Setup(fake, tmp_path)
        rt = await s.start(campaign(mode="progressive"), people, prefix="a")
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        await rt.agent_not_ready("agent1", "break")  # after this call: no more dials
        # the machine gets its turn only if a second agent were free: one line at a time
        await rt.idle()
        crashed = await s.crash()
        before = Dialer.restore(crashed).contacts("renew")

        # the journal alone gives back the crashed dialer, byte for byte
        journal = Journal(tmp_path / "dialer.sqlite")
        replayed = JournaledDialer.open(journal)
        assert replayed.snapshot() == crashed
        journal.close()

        s2 = Setup(fake, tmp_path)
        rt2 = await s2.start(campaign(mode="progressive"), people, prefix="b")
        dialer = rt2.outbound.dialer
        # engine time resumes where the journals stopped, at this run's wall clock (NOON):
        # the origin moves back by the time resumed, and the plan's windows follow it
        resumed = max(rt2.engine.now or 0.0, dialer.now or 0.0)
        assert resumed > 0
        assert NOON - timedelta(seconds=resumed) <= rt2.clock_origin < NOON
        assert rt2.outbound.clock.origin == rt2.clock_origin
        after = {v["id"]: v for v in dialer.contacts("renew")}
        assert after == {v["id"]: v for v in before}
        assert after["c0"]["status"] == {"final": "done_person"}
        assert after["c1"]["attempts"] == 0
        # the results keep when c0 was dialled: the first run's wall clock (12:00 UTC at
        # its start, the dial within its first minute of engine time)
        results = {r.id: r for r in rt2.outbound.results("renew")}
        assert results["c0"].outcome == "done_person"
        last = results["c0"].last_attempt
        assert last is not None
        assert NOON <= last <= NOON + timedelta(minutes=1)
        assert results["c1"].last_attempt is None
        # the connected call goes on after the restart and ends with one outcome
        await fake.hangup("ao1")
        await until(lambda: rt2.core.outcomes["answered"] == 1)
        assert len(list(originates(fake))) == 1  # nobody dialled twice
        await rt2.stop()
        await s2.crash()

    run(body)


def test_a_mixed_list_keeps_every_line_accounted_for() -> None:
    """Scripted numbers: each outcome as the fake answers it; every line closed once."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.2)
        fake.set_agent("Local/agent2@agents", answer_after=0.2)
        script = {
            "5553001": {"answer_after": 0.5, "amd": "HUMAN", "talk": 2.0},
            "5553002": {"answer_after": 0.5, "amd": "HUMAN", "talk": 2.0},
            "5553003": {"answer_after": 0.5, "amd": "MACHINE"},
            "5553004": {"busy": True, "reject_after": 0.3},
            "5553005": {"congestion": True, "reject_after": 0.3},
            "5553006": {"answer_after": None},  # rings out: the originate timeout
            "5553007": {"answer_after": 0.5, "amd": "NOTSURE", "talk": 2.0},
        }
        for number, kw in script.items():
            fake.set_agent(endpoint(number), **kw)
        s = Setup(fake)
        center_agents = {"agent1": AGENT, "agent2": "Local/agent2@agents"}
        rt = await s.start(campaign(), contacts(*script), agents=center_agents)
        for agent in center_agents:
            await rt.agent_login(agent)
            await rt.agent_ready(agent)
        dialer = rt.outbound.dialer

        def settled() -> bool:
            stats = dialer.stats("renew")
            return stats["dials"] == 7 and stats["lines_open"] == 0

        await until(settled, timeout=60.0)
        stats = dialer.stats("renew")
        assert stats["person"] == 3  # HUMAN twice and NOTSURE (not a machine)
        assert stats["machine"] == 1
        assert stats["busy"] == 1
        assert stats["failed"] == 1  # congestion
        assert stats["no_answer"] == 1
        assert stats["connected"] + stats["abandoned"] == stats["person"]
        total = sum(stats[k] for k in ("person", "machine", "busy", "failed", "no_answer"))
        assert total == stats["dials"]
        views = {v["id"]: v for v in dialer.contacts("renew")}
        assert all(v["attempts"] == 1 for v in views.values())
        assert {v["last_outcome"] for v in views.values()} >= {"machine", "busy", "no_answer"}
        assert len(list(originates(fake))) == 7
        await until(lambda: not rt.core.calls)
        await rt.stop()
        await s.crash()

    run(body)


def test_agent_offered_but_never_answering_abandons_the_person() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=None)  # rings until the offer's timeout
        fake.set_agent(endpoint("5552010"), answer_after=0.5, amd="HUMAN")
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5552010"))
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_abandoned"] == 1)
        await until(lambda: "ao1" not in fake.channels)
        plays = [r for r in fake.requests if r.path == "/ari/channels/ao1/play"]
        assert [p.query.get("media") for p in plays] == ["sound:callroute-sorry"]
        stats = rt.outbound.dialer.stats("renew")
        assert (stats["connected"], stats["abandoned"]) == (0, 1)
        await rt.stop()
        await s.crash()

    run(body)


def test_ringing_lines_across_a_crash(tmp_path: Path) -> None:
    """A line still ringing on the PBX after a restart goes on (its person is bridged); one
    that vanished meanwhile, its end unheard, is closed as no answer (docs/outbound.md:
    the outcome of a lost line; retried by that rule)."""

    async def body(fake: FakeAsterisk) -> None:
        agents = {"agent1": AGENT, "agent2": "Local/agent2@agents"}
        for ep in agents.values():
            fake.set_agent(ep, answer_after=0.2)
        fake.set_agent(endpoint("5554001"), answer_after=20.0, amd="HUMAN")
        fake.set_agent(endpoint("5554002"), answer_after=None)
        people = contacts("5554001", "5554002")
        s = Setup(fake, tmp_path)
        rt = await s.start(campaign(), people, prefix="a", agents=agents)
        for agent in agents:
            await rt.agent_login(agent)
            await rt.agent_ready(agent)
        await until(lambda: len(list(originates(fake))) == 2)
        await until(lambda: {"ao1", "ao2"} <= set(fake.channels))
        await rt.idle()
        await s.crash()
        await fake.hangup("ao2")  # gone while nothing listens

        s2 = Setup(fake, tmp_path)
        rt2 = await s2.start(campaign(), people, prefix="b", agents=agents)
        dialer = rt2.outbound.dialer
        await until(lambda: dialer.stats("renew")["no_answer"] == 1)
        await until(lambda: rt2.core.outcomes["outbound_connected"] == 1, timeout=30.0)
        views = {v["id"]: v for v in dialer.contacts("renew")}
        assert views["c0"]["status"] == {"final": "done_person"}
        assert views["c1"]["last_outcome"] == "no_answer"
        assert views["c1"]["status"] == "pending"
        assert len(list(originates(fake))) == 2  # nobody dialled twice
        await fake.hangup("ao1")
        await until(lambda: rt2.core.outcomes["answered"] == 1)
        await rt2.stop()
        await s2.crash()

    run(body)


def test_no_dialing_while_the_pbx_is_away() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.2)
        fake.set_agent(endpoint("5555001"), answer_after=0.5, amd="HUMAN")
        s = Setup(fake)
        rt = await s.start(campaign(), contacts("5555001"))
        await until(lambda: rt.core.pbx_up)
        fake.drop_websocket(down_for=1.0)
        await until(lambda: not rt.core.pbx_up)  # the Disconnected event
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        assert rt.core.pace(rt.now()) == []
        assert rt.outbound.dialer.stats("renew")["dials"] == 0
        await until(lambda: rt.core.pbx_up)  # back: dialing resumes
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert len(list(originates(fake))) == 1
        await fake.hangup("ao1")
        await until(lambda: rt.core.outcomes["answered"] == 1)
        await rt.stop()
        await s.crash()

    run(body)


def test_preview_accepted_is_dialled_and_bridged() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.2)
        fake.set_agent(endpoint("5556001"), answer_after=0.5, amd="HUMAN")
        s = Setup(fake)
        rt = await s.start(campaign(mode="preview"), contacts("5556001", "5556002"))
        stream = rt.subscribe(agent=None, tenant="acme")
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        previews = []
        while not previews:
            event = await asyncio.wait_for(stream.__anext__(), 5.0)
            if event["type"] == "preview":
                previews.append(event)
        assert previews[0]["contact"] == "c0"
        assert previews[0]["data"] == {"name": "N0"}
        assert list(originates(fake)) == []  # nothing dialled before the agent accepts
        assert await rt.preview_accept("renew", "c0", "agent1") is True
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert next(originates(fake))["endpoint"] == endpoint("5556001")
        with pytest.raises(DialerUnknownIdError):
            await rt.preview_accept("renew", "nobody", "agent1")
        with pytest.raises(DialerInvalidEventError):
            await rt.preview_accept("renew", "c0", "agent1")  # dialled already: no preview
        await fake.hangup("ao1")
        await until(lambda: rt.core.outcomes["answered"] == 1)
        await rt.stop()
        await s.crash()

    run(body)


def test_contacts_added_to_the_list_are_imported_after_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The list read again at a restart: a new id is added (in a zone new to the campaign)
    and dialled; a known id keeps its journaled state; an id gone from the list is logged
    and kept with its state."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(AGENT, answer_after=0.2)
        fake.set_agent(endpoint("5557001"), answer_after=0.5, amd="HUMAN", talk=300.0)
        fake.set_agent(endpoint("5557002"), busy=True)
        fake.set_agent(endpoint("5557003"), answer_after=0.5, amd="HUMAN", talk=300.0)
        first = contacts("5557001", "5557002")
        s = Setup(fake, tmp_path)
        rt = await s.start(campaign(mode="progressive"), first, prefix="a")
        await rt.agent_login("agent1")
        await rt.agent_ready("agent1")
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        await fake.hangup("ao1")
        await until(lambda: rt.core.outcomes["answered"] == 1)
        await rt.agent_not_ready("agent1", "break")  # c1 stays pending, never dialled
        await rt.idle()
        await s.crash()

        # the list now: c0 (its row changed: the journal's state wins), c2 new in a zone
        # the campaign had no contact in (Paris: 13:00 at NOON, inside the window); c1 gone
        second = [
            Contact("c0", ("5557001",), "UTC", 0, {"name": "changed"}),
            Contact("c2", ("5557003",), "Europe/Paris", 0, {"name": "N2"}),
        ]
        s2 = Setup(fake, tmp_path)
        with caplog.at_level("WARNING", logger="callroute.outbound"):
            rt2 = await s2.start(campaign(mode="progressive"), second, prefix="b")
        gone = [r.getMessage() for r in caplog.records if "no longer in the list" in r.message]
        assert len(gone) == 1
        assert "c1" in gone[0]
        dialer = rt2.outbound.dialer
        views = {v["id"]: v for v in dialer.contacts("renew")}
        assert set(views) == {"c0", "c1", "c2"}
        assert views["c0"]["status"] == {"final": "done_person"}
        assert views["c0"]["data"] == {"name": "N0"}
        assert views["c1"]["status"] == "pending"
        assert views["c1"]["attempts"] == 0
        assert views["c2"]["attempts"] == 0
        assert dialer.zone_names("renew") == ["UTC", "Europe/Paris"]
        # once an agent is ready both pending contacts are dialled (c1 kept, c2 imported;
        # c1's number is busy: then c2's turn)
        await rt2.agent_ready("agent1")

        def dialled() -> list[str]:
            return [q["endpoint"] for q in originates(fake)]

        await until(lambda: endpoint("5557003") in dialled(), timeout=30.0)
        assert endpoint("5557002") in dialled()
        assert dialled().count(endpoint("5557001")) == 1  # c0 never dialled again
        await rt2.stop()
        await s2.crash()

    run(body)


AGENT2 = "Local/agent2@agents"


async def _accepted_preview(
    fake: FakeAsterisk, s: Setup, person: str, *, queue: dict[str, Any] | None = None, **kw: Any
) -> Runtime:
    """agent2 ready first (the longest idle: the engine's choice for a queued call), then
    agent1, who accepts the preview of c0 (``person``'s number); ``queue``: settings of the
    campaign's queue, ``kw``: of the campaign."""
    for ep in (AGENT, AGENT2):
        fake.set_agent(ep, answer_after=0.2)
    agents = {"agent1": AGENT, "agent2": AGENT2}
    config = campaign(mode="preview", **kw)
    rt = await s.start(config, contacts(person, "5558999"), agents=agents, queue=queue)
    stream = rt.subscribe(agent=None, tenant="acme")
    for agent in ("agent2", "agent1"):
        await rt.agent_login(agent)
        await rt.agent_ready(agent)
    while True:
        event = await asyncio.wait_for(stream.__anext__(), 5.0)
        if event["type"] == "preview" and event["contact"] == "c0":
            break
    assert await rt.preview_accept("renew", "c0", "agent1") is True
    # reserved while the line rings: not ready for anything else
    assert rt.engine.agent_state("agent1") == "not_ready"
    assert rt.engine.agent_reason("agent1") == "preview"
    assert rt.engine.agent_state("agent2") == "ready"
    return rt


def _agent_legs(fake: FakeAsterisk) -> list[str]:
    return [
        r.query["endpoint"]
        for r in fake.requests
        if r.method == "POST"
        and r.path == "/ari/channels"
        and r.query.get("appArgs", "").startswith("agent,")
    ]


def test_accepted_preview_is_pinned_to_the_agent_who_accepted_it() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558001"), answer_after=1.0, amd="HUMAN", talk=300.0)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558001")
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        # bridged with agent1, though agent2 was free (and idle longer) all along
        assert _agent_legs(fake) == [AGENT]
        call = next(c for c in rt.core.calls.values() if c.caller == "5558001")
        assert rt.engine.call_info(call.id).agent == "agent1"
        assert rt.engine.agent_state("agent2") == "ready"
        # the pin is gone: agent1 holds its own skills again, nobody the pin skill
        assert "agent1" in rt.engine.eligible_agents("acme", {"sales": 5})[1]
        assert rt.engine.eligible_agents("acme", {"callroute-pin:agent1": 1}) == ([], [])
        await rt.stop()
        await s.crash()

    run(body)


def test_preview_whose_agent_left_falls_back_to_any_agent() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558002"), answer_after=1.0, amd="HUMAN", talk=300.0)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558002")
        await rt.agent_not_ready("agent1", "break")  # no longer reserved: another reason
        await until(lambda: rt.core.outcomes["outbound_connected"] == 1)
        assert _agent_legs(fake) == [AGENT2]  # queued for any agent: agent2 took it
        assert rt.engine.agent_reason("agent1") == "break"
        await rt.stop()
        await s.crash()

    run(body)


def test_preview_line_ending_without_a_person_frees_its_agent() -> None:
    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558003"), busy=True)
        s = Setup(fake)
        rt = await _accepted_preview(fake, s, "5558003")
        await until(lambda: rt.outbound.dialer.stats("renew")["busy"] == 1)
        await until(lambda: rt.engine.agent_state("agent1") != "not_ready")
        assert rt.engine.agent_state("agent1") in ("ready", "offered")
        assert _agent_legs(fake) == []
        await rt.stop()
        await s.crash()

    run(body)


def test_preview_pin_survives_a_crash(tmp_path: Path) -> None:
    """The reserved agent is in the line's journal note: after a restart, the person who
    answers the line still ringing is bridged with that agent, not the free one."""

    async def body(fake: FakeAsterisk) -> None:
        fake.set_agent(endpoint("5558004"), answer_after=20.0, amd="HUMAN", talk=300.0)
        s = Setup(fake, tmp_path)
        await _accepted_preview(fake, s, "5558004")
        await until(lambda: "ao1" in fake.channels)
        await s.rt.idle()
        await s.crash()

        s2 = Setup(fake, tmp_path)
        agents = {"agent1": AGENT, "agent2": AGENT2}
        rt2 = await s2.start(
            campaign(mode="preview"), contacts("5558004", "5558999"), prefix="b", agents=agents
        )
        assert rt2.engine.agent_reason("agent1") == "preview"
        assert rt2.core.lines[1].agent == "agent1"
        await until(lambda: rt2.core.outcomes["outbound_connected"] == 1, timeout=30.0)
        assert _agent_legs(fake) == [AGENT]
        await rt2.stop()
        await s2.crash()

    run(body)
