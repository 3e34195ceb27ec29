"""The inbound arrival meter of the outbound plan: rates against hand-computed counts.

The rules are the module doc of ``callroute.outbound.arrivals`` and docs/outbound.md
("Inbound first"): the rate over the last ``window`` seconds from the running ``offered``
counter, read on every pace; a fallback (expected or last measured rate) until measured.
"""

from __future__ import annotations

from typing import Any

import pytest
from _runtime_util import make_center
from callroute.errors import EngineInvariantError, EngineUnknownIdError, ParameterError
from callroute.outbound import CampaignConfig, Contact, EngineClock, OutboundPlan
from callroute.outbound.arrivals import ArrivalMeter
from test_outbound_plan import AGENTS, NOON, config, people


class _Engine:
    """Agents with skills and states, and queues' running ``offered`` counters."""

    def __init__(self, offered: dict[str, int] | None = None) -> None:
        self.agents: dict[str, tuple[dict[str, int], str]] = {}
        self.offered: dict[str, int] = dict(offered or {})
        self.now = 0.0
        self.fail: Exception | None = None

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
        if self.fail is not None:
            raise self.fail
        if queue not in self.offered:
            raise EngineUnknownIdError(f"unknown queue {queue!r}")
        return type("Stats", (), {"offered": self.offered[queue], "aht": 0.0})()


def _queues(*names: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        q = type("Queue", (), {})()
        q.tenant, q.skills = "acme", {name: 1}
        out[name] = q
    return out


def _plan(engine: _Engine, **kw: Any) -> OutboundPlan:
    # a1 serves support and the campaign (sales), a2 support only: an arrival at support
    # takes a1 with probability 1/2 when both are ready
    engine.agents = {
        "a1": ({"support": 1, "sales": 1}, "ready"),
        "a2": ({"support": 1}, "ready"),
    }
    center = make_center(AGENTS, ivr=False)
    plan = OutboundPlan(engine, center.agents, EngineClock(NOON), queues=_queues("support"), **kw)
    cfg: CampaignConfig = config(mode="progressive", threshold=0, ring_time=10.0)
    contacts: list[Contact] = people(5)
    plan.add_campaign(cfg, contacts, 0.0)
    return plan


def _set_state(engine: _Engine, state: str) -> None:
    engine.agents = {a: (skills, state) for a, (skills, _) in engine.agents.items()}


def test_a_surge_while_every_agent_is_busy_is_measured_when_one_frees() -> None:
    # support: 0.1 calls a second for 35 min, then 1.0 a second for 5 min. Every agent is
    # busy from 600 s to 2400 s, the plan pacing every 10 s all along. At 2400 s both are
    # ready: 300 arrivals in the last 300 s (210 at 2100 s, 510 at 2400 s), 1.0 a second,
    # half of them taking a1: 0.5 a second, 5.0 within the 10 s ring (threshold 0: free 1,
    # none kept). Measured only while agents were ready, the rate would be the average since
    # 600 s: (510 - 60) / 1800 = 0.25 a second.
    engine = _Engine({"support": 0})
    plan = _plan(engine)

    def offered(t: int) -> int:
        return t // 10 if t <= 2100 else 210 + (t - 2100)

    for t in range(0, 2400, 10):
        if t == 600:
            _set_state(engine, "busy")
        engine.offered["support"] = offered(t)
        plan.free_agents(float(t))
    _set_state(engine, "ready")
    engine.offered["support"] = offered(2400)
    # (offered(2400) - offered(2100) = 300 arrivals in the last 300 s: 1.0 a second)
    free = plan.free_agents(2400.0)
    assert free["renew"] == (1, 0.0, pytest.approx(5.0, rel=1e-12), 0)


def test_the_count_at_the_windows_start_is_interpolated() -> None:
    # readings every 20 s; 0.5 a second until 200 s, then 2 a second. At 410 s the window
    # starts at 110 s, between the readings at 100 s (50) and 120 s (60): 55 there, 520 at
    # 410 s, 465 arrivals over 300 s: 1.55 a second (the reading at 100 s as the start would
    # give (520 - 50) / 310)
    engine = _Engine({"q": 0})
    meter = ArrivalMeter(engine, 300.0)

    def n(t: int) -> int:
        return t // 2 if t <= 200 else 100 + 2 * (t - 200)

    for t in [*range(0, 401, 20), 410]:
        engine.offered["q"] = n(t)
        meter.sample(["q"], float(t))
    assert meter.rate("q", 410.0) == pytest.approx(1.55, rel=1e-12)


def test_no_reading_for_longer_than_a_window_starts_the_readings_again() -> None:
    # readings every 10 s at 0.1 a second to 600 s (60), none until 2400 s (510): the count
    # at 2100 s is not known, only the average over the gap, (510 - 60) / 1800 = 0.25 a
    # second (more than the 0.1 measured before): the fallback until 30 s of fresh readings,
    # which then give their own rate: 1.0 a second
    engine = _Engine({"q": 0})
    meter = ArrivalMeter(engine, 300.0)
    for t in range(0, 601, 10):
        engine.offered["q"] = t // 10
        meter.sample(["q"], float(t))
    assert meter.rate("q") == pytest.approx(0.1, rel=1e-12)
    for t in range(2400, 2431, 10):
        engine.offered["q"] = 510 + (t - 2400)
        meter.sample(["q"], float(t))
        expect = 0.25 if t < 2430 else 1.0
        assert meter.rate("q") == pytest.approx(expect, rel=1e-12), t


def test_until_measured_the_plan_plans_for_the_expected_inbound() -> None:
    # support expected at 0.4 a second: at the first pace, nothing measured yet, half of it
    # takes a1: 0.2 a second, 2.0 within the 10 s ring. Without it: no inbound (free 1).
    engine = _Engine({"support": 0})
    plan = _plan(engine, inbound_expected={"support": 0.4})
    assert plan.free_agents(0.0)["renew"] == (1, 0.0, pytest.approx(2.0, rel=1e-12), 0)
    # measured from 30 s on: 0.1 a second (the measured rate, not the expected one)
    for t in range(10, 31, 10):
        engine.offered["support"] = t // 10
        free = plan.free_agents(float(t))
    assert free["renew"] == (1, 0.0, pytest.approx(0.5, rel=1e-12), 0)
    assert _plan(_Engine({"support": 0})).free_agents(0.0)["renew"] == 1
    with pytest.raises(ParameterError, match="support"):
        _plan(_Engine({"support": 0}), inbound_expected={"support": -1.0})


def test_after_a_counter_drop_the_last_measured_rate_is_kept_until_measured_again() -> None:
    # 0.2 a second measured over 300 s; the counter then drops (a restore): until 30 s of
    # new readings the rate is the last measured, 0.2, not 0; then the new readings' own
    # rate, 1.0 a second. An expected rate larger than the last measured one wins.
    engine = _Engine({"q": 0})
    meter = ArrivalMeter(engine, 300.0, expected={"q": 0.05})
    assert meter.rate("q") == 0.05  # nothing read yet
    for t in range(0, 301, 10):
        engine.offered["q"] = t // 5
        meter.sample(["q"], float(t))
    assert meter.rate("q") == pytest.approx(0.2, rel=1e-12)
    for t in range(310, 341, 10):
        engine.offered["q"] = t - 310
        meter.sample(["q"], float(t))
        assert meter.rate("q") == pytest.approx(0.2 if t < 340 else 1.0, rel=1e-12), t
    high = ArrivalMeter(engine, 300.0, expected={"q": 0.5})
    for t in range(0, 301, 10):
        engine.offered["q"] = t // 5
        high.sample(["q"], float(t))
    engine.offered["q"] = 0
    high.sample(["q"], 310.0)
    assert high.rate("q") == 0.5


def test_a_small_clock_step_back_skips_the_reading_and_keeps_the_rate() -> None:
    # 0.2 a second over 300 s; a reading 5 s back in time is skipped: still 0.2 (the
    # readings are kept); a step back of more than a window starts the readings again,
    # the last measured rate kept as the fallback
    engine = _Engine({"q": 0})
    meter = ArrivalMeter(engine, 300.0)
    for t in range(0, 301, 10):
        engine.offered["q"] = t // 5
        meter.sample(["q"], float(t))
    meter.sample(["q"], 295.0)
    assert meter.measured("q")
    assert meter.rate("q") == pytest.approx(0.2, rel=1e-12)
    engine.offered["q"] = 62
    meter.sample(["q"], 310.0)  # 2 more in 10 s: (62 - 2) / 300 over [10, 310]
    assert meter.rate("q") == pytest.approx(0.2, rel=1e-12)
    meter.sample(["q"], 0.0)
    assert not meter.measured("q")
    assert meter.rate("q") == pytest.approx(0.2, rel=1e-12)


def test_another_engine_starts_the_readings_again_even_when_its_counter_is_higher() -> None:
    # engine A: 1 a second to 390 s (390); the plan's engine is then B (a recovery swaps
    # it, as the runtime does), 500 calls already: above A's last count, so the counter
    # seems not to have dropped. B's readings are not differenced against A's: the last
    # measured rate (1.0) until 30 s of B's readings, then B's own: 3 a second.
    a = _Engine({"support": 0})
    plan = _plan(a)
    for t in range(0, 391, 10):
        a.offered["support"] = t
        plan.free_agents(float(t))
    b = _Engine({"support": 500})
    b.agents = dict(a.agents)
    plan.engine = b
    for t in range(400, 431, 10):
        b.offered["support"] = 500 + 3 * (t - 400)
        free = plan.free_agents(float(t))
        # half the rate takes a1, over the 10 s ring: 5 x rate
        expect = 5.0 * (1.0 if t < 430 else 3.0)
        assert free["renew"] == (1, 0.0, pytest.approx(expect, rel=1e-12), 0), t


def test_only_an_unknown_queue_is_skipped() -> None:
    # a queue the engine does not hold counts no inbound; any other error is not hidden
    engine = _Engine({})
    plan = _plan(engine)
    assert plan.free_agents(0.0)["renew"] == 1
    engine.fail = EngineInvariantError("broken")
    with pytest.raises(EngineInvariantError):
        plan.free_agents(10.0)


def test_serve_takes_the_expected_inbound_by_queue(tmp_path: Any) -> None:
    from callroute.cli import _parser
    from callroute.cli.serve import outbound_plan

    camp = tmp_path / "c.yaml"
    camp.write_text(
        "id: renew\ntenant: acme\nqueue: renew\nskills: {sales: 1}\n"
        "caller_id: '+18005550199'\nring_time: 10\n"
    )
    contacts = tmp_path / "l.csv"
    contacts.write_text("id,number,timezone\nc0,5552000,UTC\n")
    argv = ["serve", "center.yaml", "--ari", "http://x", "--ari-user", "u"]
    argv += ["--campaign", f"{camp}:{contacts}"]
    center = make_center(AGENTS, ivr=False)
    args = _parser().parse_args([*argv, "--inbound-expected", "sales=0.25"])
    plan, _ = outbound_plan(args, center, lambda: NOON)
    # what pacing gets: agent1 alone ready for both, so every inbound arrival of sales takes
    # it: 0.25 a second x the 10 s ring = 2.5 expected, nothing measured yet
    agent = next(iter(AGENTS))
    center.engine.agent_ready(agent, 0.0)
    assert plan.free_agents(0.0)["renew"] == (1, 0.0, pytest.approx(2.5, rel=1e-12), 0)
    for bad, what in (
        ("sales", "QUEUE=RATE"),
        ("sales=-1", "QUEUE=RATE"),
        ("x=1", "no queue"),
        ("renew=1", "campaign's own queue"),
    ):
        args = _parser().parse_args([*argv, "--inbound-expected", bad])
        with pytest.raises(ParameterError, match=what):
            outbound_plan(args, center, lambda: NOON)
