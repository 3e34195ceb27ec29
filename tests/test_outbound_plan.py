"""The Dialer binding (typed errors, values, snapshots) and OutboundPlan pacing from an
engine's ready agents minus the blending threshold."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import mpmath
import pytest
from _runtime_util import make_center
from callroute._core import Dial, Dialer, blending_threshold
from callroute.errors import (
    ConfigError,
    DialerConfigError,
    DialerDuplicateIdError,
    DialerError,
    DialerInvalidEventError,
    DialerParameterError,
    DialerSnapshotError,
    DialerTimeError,
    DialerUnknownIdError,
    DuplicateIdError,
    EngineError,
    EngineUnknownIdError,
    InvalidEventError,
    ParameterError,
    TimeError,
    UnknownIdError,
)
from callroute.outbound import (
    CampaignConfig,
    Contact,
    EngineClock,
    InboundLoad,
    OutboundPlan,
    core_config,
    load_campaign,
    write_results,
)

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
AGENTS = {f"agent{i}": f"Local/agent{i}@agents" for i in range(1, 5)}


def config(**kw: Any) -> CampaignConfig:
    spec: dict[str, Any] = {
        "id": "renew",
        "tenant": "acme",
        "queue": "sales",
        "caller_id": "+18005550199",
        "skills": {"sales": 1},
    }
    spec.update(kw)
    return CampaignConfig.model_validate(spec)


def people(n: int, zone: str = "UTC") -> list[Contact]:
    return [Contact(f"c{i}", (f"55520{i:02d}",), zone) for i in range(n)]


def dialer_with_campaign() -> Dialer:
    d = Dialer()
    d.add_campaign(core_config(config(), [[(0.0, 1e9)]]), 0.0)
    d.add_contacts("renew", [{"id": "a", "numbers": ["5551"], "zone": 0}], 0.0)
    d.start_campaign("renew", 0.0)
    return d


# ---------------------------------------------------------------- the binding


def test_abandon_risk_reaches_the_dialer(tmp_path: Any) -> None:
    # a campaign file's abandon_risk: default 0.05, checked by key, passed to the core
    path = tmp_path / "c.yaml"
    path.write_text("id: renew\ncaller_id: '+18005550199'\nabandon_risk: 0.2\n", "utf-8")
    assert load_campaign(path).abandon_risk == 0.2
    assert config().abandon_risk == 0.05
    for bad in ("0", "0.6", "nan", "high"):
        path.write_text(f"id: renew\ncaller_id: '+18005550199'\nabandon_risk: {bad}\n", "utf-8")
        with pytest.raises(ConfigError) as info:
            load_campaign(path)
        assert [p.location for p in info.value.problems] == ["abandon_risk"], bad
    settings = core_config(config(abandon_risk=0.2), [[(0.0, 1e9)]])
    assert settings["abandon_risk"] == 0.2
    Dialer().add_campaign(settings, 0.0)
    # the core checks it too (its domain, named): the key is read, not ignored
    with pytest.raises(DialerError, match="abandon_risk"):
        Dialer().add_campaign({**settings, "abandon_risk": 0.7}, 0.0)


def test_errors_are_typed() -> None:
    d = dialer_with_campaign()
    with pytest.raises(DialerDuplicateIdError) as dup:
        d.add_campaign(core_config(config(), [[(0.0, 1e9)]]), 1.0)
    assert isinstance(dup.value, DuplicateIdError)
    assert isinstance(dup.value, DialerError)
    assert not isinstance(dup.value, EngineError)
    with pytest.raises(DialerUnknownIdError) as unknown:
        d.start_campaign("nope", 1.0)
    assert isinstance(unknown.value, UnknownIdError)
    assert isinstance(unknown.value, LookupError)
    with pytest.raises(DialerUnknownIdError, match="line 7"):
        d.outcome(7, "busy", 1.0)
    with pytest.raises(DialerTimeError) as bad_time:
        d.advance(float("nan"))
    assert isinstance(bad_time.value, TimeError)
    d.advance(5.0)
    with pytest.raises(DialerTimeError, match="backwards"):
        d.advance(4.0)
    with pytest.raises(DialerTimeError):
        d.advance("5")  # type: ignore[arg-type]
    with pytest.raises(DialerParameterError) as param:
        d.outcome(1, "maybe", 6.0)
    assert isinstance(param.value, ParameterError)
    with pytest.raises(DialerParameterError, match="line"):
        d.outcome(-1, "busy", 6.0)
    with pytest.raises(DialerParameterError, match="campaign"):
        d.start_campaign(3, 6.0)  # type: ignore[arg-type]
    with pytest.raises(DialerParameterError, match="numbers"):
        d.set_dnc("5551", 6.0)  # type: ignore[arg-type]
    with pytest.raises(DialerParameterError, match="spans"):
        d.set_zone_windows("renew", 0, [(1.0,)], 6.0)  # type: ignore[list-item]
    with pytest.raises(DialerParameterError, match="free"):
        d.pace(6.0, {"renew": -1})
    with pytest.raises(DialerParameterError, match="free"):
        d.pace(6.0, {"renew": (1, float("nan"))})
    bad_inbound: list[Any] = [
        (1, 0.0, -0.5),
        (1, 0.0, float("inf")),
        (1, 0.0, 0.5, -1),
        (1, 0.0, 0.5, True),
        (1, 0.0, 0.5, 1, 0),
    ]
    for free in bad_inbound:
        with pytest.raises(DialerParameterError, match="inbound"):
            d.pace(6.0, {"renew": free})
    with pytest.raises(DialerParameterError, match="zone"):
        d.set_zone_windows("renew", -1, [(0.0, 1.0)], 6.0)
    with pytest.raises(DialerConfigError) as conf:
        d.add_campaign({"id": "x", "tenant": "t", "abandon_cap": "high"}, 6.0)
    assert isinstance(conf.value, ConfigError)
    assert "abandon_cap" in str(conf.value)
    with pytest.raises(DialerConfigError, match="abandon_cap"):
        d.add_campaign({"id": "y", "tenant": "t", "abandon_cap": 2.0}, 6.0)
    with pytest.raises(DialerConfigError, match="contacts"):
        d.add_contacts("renew", [{"id": "b", "numbers": ["1"], "colour": 1}], 6.0)
    dials, _ = d.pace(6.0, {"renew": 1})
    d.outcome(dials[0].line, "busy", 7.0)
    with pytest.raises(DialerInvalidEventError) as closed:
        d.outcome(dials[0].line, "busy", 8.0)
    assert isinstance(closed.value, InvalidEventError)
    with pytest.raises(DialerSnapshotError):
        Dialer.restore(b"not a snapshot")
    with pytest.raises(DialerSnapshotError):
        Dialer.restore("text")  # type: ignore[arg-type]


def test_an_error_changes_nothing() -> None:
    d = dialer_with_campaign()
    before = d.snapshot()
    with pytest.raises(DialerError):
        d.add_contacts("renew", [{"id": "a", "numbers": ["5552"], "zone": 0}], 1.0)
    with pytest.raises(DialerError):
        d.outcome(3, "busy", 1.0)
    assert d.snapshot() == before


def test_values_and_snapshot() -> None:
    d = dialer_with_campaign()
    dials, offers = d.pace(1.0, {"renew": 1})
    assert offers == []
    assert dials == [Dial(1, "renew", "a", "5551", "+18005550199", 1)]
    assert dials[0].line == 1
    assert dials[0].attempt == 1
    assert [line["line_id"] for line in d.lines()] == [1]
    # a (free, freeing) pair as a tuple or, as a journal gives it back, a list
    assert d.pace(1.5, {"renew": [0, 0.5]}) == ([], [])
    again = Dialer.restore(d.snapshot())
    assert again.snapshot() == d.snapshot()
    assert again.contacts("renew") == d.contacts("renew")
    assert d.campaigns() == ["renew"]
    assert again.now == 1.5


def test_blending_threshold_binding() -> None:
    assert blending_threshold(2, 5) == 2
    assert blending_threshold(9, 5) == 5
    # no inbound load: nothing to keep; all the inbound load: every agent
    assert blending_threshold("auto", 10, traffic=0.0, aht=180, answer_within=20, target=0.8) == 0
    assert blending_threshold("auto", 4, traffic=4.0, aht=180, answer_within=20, target=0.8) == 4
    with pytest.raises(DialerParameterError):
        blending_threshold("sometimes", 4)
    with pytest.raises(DialerParameterError):
        blending_threshold("auto", 4, traffic=1.0)
    with pytest.raises(DialerConfigError):
        blending_threshold("auto", 4)


# ---------------------------------------------------------------- the plan


def ready(center: Any, *names: str) -> None:
    for name in names:
        center.engine.agent_not_ready(name, 0.0, "login")
        center.engine.agent_ready(name, 0.0)


def plan_for(center: Any, **kw: Any) -> OutboundPlan:
    return OutboundPlan(center.engine, center.agents, EngineClock(NOON), **kw)


@pytest.mark.parametrize(("threshold", "expected"), [(0, 3), (1, 2), (3, 0), (5, 0)])
def test_pace_respects_the_threshold(threshold: int, expected: int) -> None:
    center = make_center(AGENTS, ivr=False)
    ready(center, "agent1", "agent2", "agent3")  # agent4 stays logged out
    plan = plan_for(center)
    plan.add_campaign(config(threshold=threshold), people(10), 0.0)
    assert plan.ready_agents() == {"renew": 3}
    assert plan.free_agents() == {"renew": expected}
    dials, _ = plan.pace(1.0)
    assert len(dials) == expected  # progressive: one line per free agent
    dials, _ = plan.pace(2.0)
    assert dials == []  # the lines out count against the free agents


def test_pace_counts_only_matching_agents_once() -> None:
    center = make_center(AGENTS, ivr=False)
    ready(center, "agent1", "agent2", "agent3", "agent4")
    plan = plan_for(center)
    plan.add_campaign(config(id="skilled", skills={"sales": 9}), people(3), 0.0)
    plan.add_campaign(config(id="a"), people(3), 0.0)
    plan.add_campaign(config(id="b"), people(3), 0.0)
    plan.add_campaign(config(id="other", tenant="globex"), people(3), 0.0)
    # level 9 > every agent's 5; a takes all four; b finds none left; globex has none
    assert plan.ready_agents() == {"skilled": 0, "a": 4, "b": 0, "other": 0}
    center.engine.agent_not_ready("agent2", 1.0, "break")
    assert plan.ready_agents()["a"] == 3


def test_pace_auto_threshold_needs_the_inbound_load() -> None:
    center = make_center(AGENTS, ivr=False)
    ready(center, "agent1", "agent2", "agent3", "agent4")
    with pytest.raises(ParameterError, match="inbound"):
        plan_for(center).add_campaign(config(threshold="auto"), people(3), 0.0)
    plan = plan_for(center, inbound=lambda cid: InboundLoad(traffic=0.0, aht=180.0))
    plan.add_campaign(config(threshold="auto"), people(3), 0.0)
    assert plan.free_agents() == {"renew": 4}  # no inbound load: keep none
    loaded = plan_for(center, inbound=lambda cid: InboundLoad(traffic=4.0, aht=180.0))
    loaded.add_campaign(config(threshold="auto"), people(3), 0.0)
    assert loaded.free_agents() == {"renew": 0}  # inbound needs all four


def test_windows_closed_means_no_dial() -> None:
    center = make_center(AGENTS, ivr=False)
    ready(center, "agent1")
    plan = plan_for(center)
    # noon UTC is 03:00 in Los Angeles (PST): outside 08:00-21:00
    plan.add_campaign(config(), people(2, "America/Los_Angeles"), 0.0)
    assert plan.pace(1.0) == ([], [])
    # 08:00 PST = 16:00 UTC, four hours after the clock's origin
    dials, _ = plan.pace(4 * 3600.0 + 1.0)
    assert len(dials) == 1


def test_dnc_and_results() -> None:
    center = make_center(AGENTS, ivr=False)
    ready(center, "agent1")
    plan = plan_for(center)
    plan.add_campaign(config(), people(2), 0.0, dnc=["5552001"])
    dials, _ = plan.pace(10.0)
    assert [d.contact for d in dials] == ["c0"]  # c1's only number is on the DNC list
    plan.dialer.outcome(dials[0].line, "person", 12.0)
    plan.dialer.agent_connected(dials[0].line, 13.0)
    results = {r.id: r for r in plan.results("renew")}
    assert results["c0"].attempts == 1
    assert results["c0"].outcome == "done_person"
    assert results["c0"].last_attempt == datetime(2026, 12, 2, 12, 0, 10, tzinfo=timezone.utc)
    assert results["c1"].outcome == "dnc"
    assert results["c1"].attempts == 0
    buf = io.StringIO()
    write_results(buf, plan.results("renew"))
    assert buf.getvalue().splitlines()[1] == "c0,1,done_person,2026-12-02T12:00:10+00:00"
    with pytest.raises(UnknownIdError):
        plan.results("nope")


def test_serve_builds_the_plan_and_keeps_it_across_restarts(tmp_path: Any) -> None:
    from callroute.cli import _parser
    from callroute.cli.serve import outbound_plan

    camp = tmp_path / "c.yaml"
    camp.write_text("id: renew\ntenant: acme\nqueue: sales\ncaller_id: '+18005550199'\n")
    contacts = tmp_path / "l.csv"
    contacts.write_text("id,number,timezone\nc0,5552000,UTC\nc1,5552001,UTC\n")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("5552001\n")
    argv = ["serve", "center.yaml", "--ari", "http://x", "--ari-user", "u"]
    argv += ["--campaign", f"{camp}:{contacts}", "--dnc", str(dnc)]
    argv += ["--journal", str(tmp_path / "j.sqlite")]
    args = _parser().parse_args(argv)
    center = make_center(AGENTS, ivr=False)
    # noon: inside the default 08:00-21:00 window whatever the hour the test runs at
    plan, journal = outbound_plan(args, center, lambda: NOON)
    assert list(plan.campaigns) == ["renew"]
    assert plan.dialer.contact("renew", "c1")["status"] == {"final": "dnc"}
    journal.close()
    # the list read again in another order: the zone table is the journal's, not the list's
    contacts.write_text("id,number,timezone\nc1,5552001,Asia/Tokyo\nc0,5552000,UTC\n")
    again, journal = outbound_plan(args, make_center(AGENTS, ivr=False), lambda: NOON)
    assert again.dialer.campaigns() == ["renew"]  # recovered, not added twice
    assert len(again.dialer.contacts("renew")) == 2
    assert again.campaigns["renew"].zones.names == ["UTC"]
    ready(center, "agent1")
    again.engine = center.engine  # pace from an engine with a ready agent
    dials, _ = again.pace(5.0)
    again.dialer.outcome(dials[0].line, "busy", 6.0)
    journal.close()
    # the results, exported from the dialer's journal alone
    from callroute.cli import main

    out = tmp_path / "results.csv"
    dialer_journal = f"{tmp_path / 'j.sqlite'}-outbound"
    assert main(["outbound", "results", dialer_journal, "renew", "-o", str(out)]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "contact_id,attempts,outcome,last_attempt"
    assert rows[1].startswith("c0,1,,20")  # pending (busy: retried later), dialled once
    assert rows[2] == "c1,0,dnc,"
    assert main(["outbound", "results", str(tmp_path / "none.sqlite"), "renew"]) == 2
    bad = _parser().parse_args([*argv[:6], "--campaign", str(camp)])
    with pytest.raises(ParameterError, match="CAMPAIGN_FILE:CONTACTS_CSV"):
        outbound_plan(bad, center)


class _StubEngine:
    """Agent states and a queue's mean handle time, as the plan reads them (every agent of
    the stub eligible for every campaign)."""

    def __init__(self, states: dict[str, str], aht: float) -> None:
        self.states = states
        self.aht = aht

    def eligible_agents(self, tenant: str, skills: Any) -> tuple[list[str], list[str]]:
        ready = [a for a, s in self.states.items() if s == "ready"]
        working = [a for a, s in self.states.items() if s in ("busy", "wrapup")]
        return ready, working

    def queue_stats(self, queue: str) -> Any:
        return type("Stats", (), {"aht": self.aht})()


def test_predictive_counts_agents_freeing_within_the_ring_time() -> None:
    center = make_center(AGENTS, ivr=False)
    states = {"agent1": "ready", "agent2": "busy", "agent3": "wrapup", "agent4": "logged_out"}
    engine = _StubEngine(states, aht=60.0)
    plan = OutboundPlan(engine, center.agents, EngineClock(NOON))
    plan.add_campaign(config(mode="predictive", ring_time=15.0), people(5), 0.0)
    plan.add_campaign(config(id="prog"), people(5), 0.0)

    # two busy agents; exponential handle times are memoryless, so each one's remaining
    # time has the exponential density of mean aht: P(done within the ring) is its integral
    # over [0, ring] (numerically here, independent of the plan's closed form)
    def p_done(ring: float, aht: float) -> float:
        return float(mpmath.quad(lambda t: mpmath.exp(-t / aht) / aht, [0, ring]))

    free = plan.free_agents()
    assert free["prog"] == 0
    ready, freeing = free["renew"]
    assert ready == 1
    assert freeing == pytest.approx(2 * p_done(15.0, 60.0), rel=1e-12)
    assert freeing < 2 * 15.0 / 60.0  # below the linear ring/aht the plan used before
    engine.aht = 0.0  # nothing measured yet: nobody counted as freeing
    assert plan.free_agents()["renew"] == (1, 0.0)
    engine.aht = 5.0  # shorter than the ring: most, not all, of the busy agents free up
    ready, freeing = plan.free_agents()["renew"]
    assert freeing == pytest.approx(2 * p_done(15.0, 5.0), rel=1e-12)
    assert freeing < 2.0
    dials, _ = plan.pace(1.0)
    assert 1 <= len(dials) <= 3 * (1 + 2)  # at least the free agent, at most the ceiling


def test_journaled_dialer_replays_to_the_same_state(tmp_path: Any) -> None:
    from callroute.runtime import Journal
    from callroute.runtime.dialjournal import JournaledDialer

    journal = Journal(tmp_path / "d.sqlite")
    dialer = JournaledDialer.open(journal, snapshot_every=3)
    dialer.add_campaign(core_config(config(mode="predictive"), [[(0.0, 1e9)]]), 0.0)
    specs = [{"id": f"c{i}", "numbers": [f"555{i:04d}"], "zone": 0} for i in range(20)]
    dialer.add_contacts("renew", specs, 0.0)
    dialer.set_dnc(["5550003"], 0.5, "renew")
    dialer.start_campaign("renew", 1.0)
    t = 2.0
    for step in range(6):
        dials, _ = dialer.pace(t, {"renew": (1, 0.5)})
        for i, d in enumerate(dials):
            outcome = ("person", "machine", "busy", "no_answer")[(step + i) % 4]
            dialer.outcome(d.line, outcome, t + 1)
            if outcome == "person":
                if i % 2:
                    dialer.connect_timeout(d.line, t + 2)
                else:
                    dialer.agent_connected(d.line, t + 2)
        t += 10.0
    with pytest.raises(DialerError):
        dialer.outcome(10_000, "busy", t)  # refused, and journaled as refused
    state = dialer.snapshot()
    journal.close()
    again = JournaledDialer.open(Journal(tmp_path / "d.sqlite"))
    assert again.snapshot() == state
    assert again.recovery is not None
    assert again.recovery.replayed  # some inputs came from the replay, not the snapshot
    assert again.stats("renew") == Dialer.restore(state).stats("renew")


def test_journaled_dialer_accepts_a_preview_and_replays_it(tmp_path: Any) -> None:
    """preview_accepted returns one Dial (not a list): journaled, returned, replayed."""
    from callroute.runtime import Journal
    from callroute.runtime.dialjournal import JournaledDialer

    journal = Journal(tmp_path / "d.sqlite")
    dialer = JournaledDialer.open(journal)
    dialer.add_campaign(core_config(config(mode="preview"), [[(0.0, 1e9)]]), 0.0)
    dialer.add_contacts("renew", [{"id": "a", "numbers": ["5551"], "zone": 0}], 0.0)
    dialer.start_campaign("renew", 0.0)
    _, offers = dialer.pace(1.0, {"renew": 1})
    assert [o.contact for o in offers] == ["a"]
    dial = dialer.preview_accepted("renew", "a", 2.0, "agent1")
    assert isinstance(dial, Dial)
    assert (dial.contact, dial.number) == ("a", "5551")
    state = dialer.snapshot()
    journal.close()
    again = JournaledDialer.open(Journal(tmp_path / "d.sqlite"))
    assert again.snapshot() == state
    assert [v["line_id"] for v in again.lines()] == [dial.line]


class _InboundEngine:
    """Agents with skills and states, and queues' running ``offered`` counters, as the plan
    reads them."""

    def __init__(self) -> None:
        self.agents: dict[str, tuple[dict[str, int], str]] = {}
        self.offered: dict[str, int] = {}
        self.now = 0.0

    def eligible_agents(self, tenant: str, skills: Any) -> tuple[list[str], list[str]]:
        fits = [
            a
            for a, (have, _) in self.agents.items()
            if all(have.get(s, 0) >= lvl for s, lvl in dict(skills).items())
        ]
        ready = [a for a in fits if self.agents[a][1] == "ready"]
        working = [a for a in fits if self.agents[a][1] in ("busy", "wrapup")]
        return ready, working

    def queue_stats(self, queue: str) -> Any:
        if queue not in self.offered:
            raise EngineUnknownIdError(f"unknown queue {queue!r}")
        return type("Stats", (), {"offered": self.offered[queue], "aht": 0.0})()


def test_pace_takes_the_inbound_as_a_tuple_or_a_list() -> None:
    # one agent free, 0.5 inbound calls expected within a ring: progressive keeps back the
    # smallest c with P(Poisson(0.5) > c) <= 1.5 % (P(I > 1) = 9.0 %, P(I > 2) = 1.44 %):
    # 2 agents, so 3 free give one line; with 3 kept idle agents taking the first inbound
    # calls, P(I > 3) = 0.18 %: none kept back, three lines
    for free, lines in (((3, 0.0, 0.5), 1), ([3, 0.0, 0.5], 1), ((3, 0.0, 0.5, 3), 3)):
        d = Dialer()
        d.add_campaign(core_config(config(mode="progressive"), [[(0.0, 1e9)]]), 0.0)
        d.add_contacts(
            "renew", [{"id": f"k{i}", "numbers": [f"555{i}"], "zone": 0} for i in range(5)], 0.0
        )
        d.start_campaign("renew", 0.0)
        dials, _ = d.pace(1.0, {"renew": free})  # type: ignore[dict-item]
        assert len(dials) == lines, free


def test_free_agents_count_the_inbound_reaching_the_campaigns_agents() -> None:
    # Four agents answer the "support" queue; two of them (a1, a2) also have the campaign's
    # skill. 60 support calls arrive in the first 300 s: 0.2 a second. An arrival takes one
    # of support's 4 ready agents, so it takes one of the campaign's 2 with probability 1/2:
    # 0.1 a second, and within the campaign's 15 s ring time 1.5 calls are expected. The
    # threshold keeps 1 of the 2 idle for inbound: free 1, kept 1. A queue none of the
    # campaign's agents serve ("billing") and the campaign's own queue ("sales") count
    # nothing.
    center = make_center(AGENTS, ivr=False)
    engine = _InboundEngine()
    engine.agents = {
        "a1": ({"support": 1, "sales": 1}, "ready"),
        "a2": ({"support": 1, "sales": 1}, "ready"),
        "a3": ({"support": 1}, "ready"),
        "a4": ({"support": 1}, "ready"),
        "b1": ({"billing": 1}, "ready"),
    }
    engine.offered = {"support": 0, "billing": 0, "sales": 0}
    queue = type("Queue", (), {})
    queues: dict[str, Any] = {}
    for name in ("support", "billing", "sales"):
        q = queue()
        q.tenant, q.skills = "acme", {name: 1}
        queues[name] = q
    plan = OutboundPlan(engine, center.agents, EngineClock(NOON), queues=queues)
    plan.add_campaign(config(mode="progressive", threshold=1, ring_time=15.0), people(5), 0.0)
    assert plan.free_agents(0.0) == {"renew": 1}  # nothing measured yet
    for t in range(10, 301, 10):
        engine.offered["support"] = 2 * t // 10  # 0.2 a second
        engine.offered["billing"] = 5 * t // 10
        engine.offered["sales"] = 5 * t // 10
        free = plan.free_agents(float(t))
    assert free["renew"] == (1, 0.0, pytest.approx(1.5, rel=1e-12), 1)
    # the dialer takes the 4-tuple: P(Poisson(1.5) > 1 + c) <= 1.5 % first at c = 4, so
    # progressive keeps the free agent back
    dials, _ = plan.pace(301.0)
    assert dials == []
    # without the queues the plan counts no inbound
    blind = OutboundPlan(engine, center.agents, EngineClock(NOON))
    blind.add_campaign(config(mode="progressive", threshold=1, ring_time=15.0), people(5), 0.0)
    assert blind.free_agents(300.0) == {"renew": 1}
