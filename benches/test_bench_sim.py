"""Simulator benchmarks: callroute against Ciw and SimPy on the same queueing models.

Workloads (times in seconds, service rate mu = 1 per second):

* ``sim: M/M/50``: Poisson arrivals at 44 per second, exponential service, 50 agents, no
  abandonment;
* ``sim: M/M/50+M``: 48 per second, exponential patience of mean 2 s;
* ``sim: day, 1,000 agents, 20 skills``: callroute alone, about 200,000 calls over a bank's
  weekday profile, twenty skill queues, agents with two skills each (target: under 1 s);
* ``sim: replications``: eight replications of the day on one thread and on all cores.

Every simulator runs the same horizon (Ciw's cost per call grows with the run, so a shorter
one would flatter it); ``evaluations`` records the calls each simulated, so
``benches/conftest.py`` reports the time per call and the ratio. Each side is timed over a
similar span of wall time (callroute 40 rounds of ~20 ms, a peer one round of 0.7-2.5 s):
the development machine's speed drifts by up to 1.5x over seconds, and a few short rounds
would land in one phase of that drift where a peer's long one averages over it. A peer gets
one round, its first: Ciw's later rounds in the same process run ~15 % slower. The day gets
five rounds and the replications three (medians): one round of each fell in a slow spell as
often as not.
Every result is checked (callroute and the peers against Erlang C / A, loosely), so a fast
wrong answer cannot pass. Ciw and SimPy are optional (``pip install ciw simpy``).
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

LAMBDA_C, LAMBDA_A, AGENTS, PATIENCE = 44.0, 48.0, 50, 2.0
HORIZON = 2_000.0  # seconds of arrivals, the same for every simulator: ~90,000 calls


@pytest.fixture(scope="module")
def cr() -> Any:
    return pytest.importorskip("callroute")


def mm50(cr: Any, rate: float, patience: float | None) -> dict[str, Any]:
    return {
        "queues": [{"name": "q", "sl_threshold": 0.0, "max_no_answer": 0}],
        "groups": [{"name": "g", "count": AGENTS}],
        "calls": [
            {
                "name": "c",
                "queue": "q",
                "handle": cr.sim.exponential(1.0),
                "patience": cr.sim.exponential(patience) if patience else "never",
            }
        ],
        "arrivals": cr.sim.poisson(rate),
    }


def record(benchmark: Any, impl: str, calls: int, **extra: Any) -> None:
    benchmark.extra_info.update(impl=impl, evaluations=calls, **extra)


# ----------------------------------------------------------------------------- peers


def ciw_run(rate: float, patience: float | None, horizon: float) -> tuple[int, float, float]:
    """Calls finished, share answered at once, and share abandoned (Ciw)."""
    import ciw

    spec: dict[str, Any] = {
        "arrival_distributions": [ciw.dists.Exponential(rate=rate)],
        "service_distributions": [ciw.dists.Exponential(rate=1.0)],
        "number_of_servers": [AGENTS],
    }
    if patience:
        spec["reneging_time_distributions"] = [ciw.dists.Exponential(rate=1 / patience)]
    ciw.seed(1)
    sim = ciw.Simulation(ciw.create_network(**spec))
    sim.simulate_until_max_time(horizon)
    records = sim.get_all_records()
    reneged = [r for r in records if r.record_type == "renege"]
    served = [r for r in records if r.record_type == "service"]
    total = len(served) + len(reneged)
    no_wait = sum(r.waiting_time == 0 for r in served)
    return total, no_wait / total, len(reneged) / total


def simpy_run(rate: float, patience: float | None, horizon: float) -> tuple[int, float, float]:
    """Calls finished, share answered at once, and share abandoned (SimPy)."""
    import simpy

    rng = random.Random(1)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    done = {"n": 0, "no_wait": 0, "abandoned": 0}

    def caller(env: Any) -> Any:
        arrived = env.now
        with agents.request() as req:
            if patience:
                got = yield req | env.timeout(rng.expovariate(1 / patience))
                if req not in got:
                    done["n"] += 1
                    done["abandoned"] += 1
                    return
            else:
                yield req
            done["no_wait"] += env.now == arrived
            yield env.timeout(rng.expovariate(1.0))
            done["n"] += 1

    def source(env: Any) -> Any:
        while True:
            yield env.timeout(rng.expovariate(rate))
            env.process(caller(env))

    env.process(source(env))
    env.run(until=horizon)
    n = done["n"]
    return n, done["no_wait"] / n, done["abandoned"] / n


# ------------------------------------------------------------------------ workloads


@pytest.mark.parametrize(
    ("group", "rate", "patience"),
    [("sim: M/M/50", LAMBDA_C, None), ("sim: M/M/50+M", LAMBDA_A, PATIENCE)],
)
def test_sim_callroute(benchmark: Any, cr: Any, group: str, rate: float, patience: Any) -> None:
    benchmark.group = group
    model = mm50(cr, rate, patience)
    res = benchmark.pedantic(cr.simulate, args=(model,), kwargs={"horizon": HORIZON}, rounds=40)
    calls = int(res.kpi("offered")[0])
    record(benchmark, "callroute", calls, target_ratio_ciw=100, target_ratio_simpy=50)
    check_against_theory(
        cr, rate, patience, res.kpi("service_level")[0], res.kpi("abandon_rate")[0]
    )


def check_against_theory(
    cr: Any, rate: float, patience: float | None, answered_at_once: float, abandoned: float
) -> None:
    """One run of ~90,000 calls: P(no wait) within 0.04 of Erlang C / A, abandonment within
    15 % of Erlang A (about three times the spread seen between seeds)."""
    if patience:
        exact = cr.erlang_a(rate, AGENTS, 1.0, patience)
        assert abs(abandoned / exact.p_abandon - 1) < 0.15
        assert abs(answered_at_once - (1 - exact.p_wait)) < 0.04
    else:
        assert abs(answered_at_once - (1 - cr.erlang_c(rate, AGENTS))) < 0.04
        assert abandoned == 0


@pytest.mark.parametrize(
    ("group", "rate", "patience"),
    [("sim: M/M/50", LAMBDA_C, None), ("sim: M/M/50+M", LAMBDA_A, PATIENCE)],
)
@pytest.mark.parametrize("peer", ["ciw", "simpy"])
def test_sim_peer(
    benchmark: Any, cr: Any, peer: str, group: str, rate: float, patience: Any
) -> None:
    pytest.importorskip(peer)
    benchmark.group = group
    run = ciw_run if peer == "ciw" else simpy_run
    calls, no_wait, abandoned = benchmark.pedantic(run, args=(rate, patience, HORIZON), rounds=1)
    record(benchmark, peer, calls)
    check_against_theory(cr, rate, patience, no_wait, abandoned)


def center_day(cr: Any) -> dict[str, Any]:
    """A 1,000-agent, 20-skill center over a bank's weekday profile: ~200,000 calls."""
    forecast = cr.load_forecast(cr.example_path("forecast"))
    scale = 200_000 / float(forecast.calls.sum())
    skills = [f"s{k}" for k in range(20)]
    groups = [
        {"name": f"g{k}", "count": 50, "skills": {skills[k]: 5, skills[(k + 1) % 20]: 2}}
        for k in range(20)
    ]
    queues = [
        {"name": s, "skills": {s: 2}, "steps": [{"after": 30, "skills": {s: 1}}]} for s in skills
    ]
    calls = [
        {
            "name": s,
            "queue": s,
            "handle": cr.sim.lognormal(170, 1.2),
            "patience": cr.sim.exponential(300),
        }
        for s in skills
    ]
    return {
        "queues": queues,
        "groups": groups,
        "calls": calls,
        "arrivals": cr.sim.piecewise([c * scale for c in forecast.calls], interval=1800),
        "horizon": 1800 * len(forecast.calls),
    }


def test_sim_center_day(benchmark: Any, cr: Any) -> None:
    benchmark.group = "sim: day, 1,000 agents, 20 skills"
    model = center_day(cr)
    res = benchmark.pedantic(cr.simulate, args=(model,), kwargs={"threads": 1}, rounds=5)
    calls = int(res.kpi("offered")[0])
    record(benchmark, "callroute", calls, target_seconds=1.0)
    assert 190_000 < calls < 210_000
    check_day(res)


def check_day(res: Any) -> None:
    """Every call finishes, and 1,000 agents on ~390 Erlangs at the peak's rate answer
    nearly all of them at once (so a simulator that answers nobody cannot pass)."""
    for run in res.runs:
        assert run["unfinished"] == 0
        assert run["offered"].sum() == run["answered"].sum() + run["abandoned"].sum()
    assert res.kpi("abandon_rate").max() < 0.01
    assert res.kpi("service_level").min() > 0.95


@pytest.mark.parametrize("threads", [1, os.cpu_count() or 1])
def test_sim_replications(benchmark: Any, cr: Any, threads: int) -> None:
    benchmark.group = "sim: 8 replications of the day"
    model = center_day(cr)
    res = benchmark.pedantic(
        cr.simulate, args=(model,), kwargs={"replications": 8, "threads": threads}, rounds=3
    )
    record(benchmark, f"callroute x{threads} threads", int(res.kpi("offered").sum()))
    assert res.replications == 8
    check_day(res)
    if threads > 1:  # the same replications whatever the threads
        one = cr.simulate(model, replications=8, threads=1)
        for a, b in zip(one.runs, res.runs, strict=True):
            assert (a["wait_all"] == b["wait_all"]).all()
