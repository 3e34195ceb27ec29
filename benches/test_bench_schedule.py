"""Shift scheduling benchmark: a ~300-agent day at 15-minute periods.

The requirement comes from :func:`callroute.staffing_plan` (Erlang C, 80 % in 20 s,
AHT 300 s) on a two-peak weekday curve from 07:00 to 22:00 (60 periods), peaking near 300
agents. Shift types, every start where they fit: 8.5 h (two 15-min breaks and a 30-min
meal, in windows), 6 h (two 15-min breaks), 4 h (one 15-min break); costs 8, 6 and 4.2 per
shift, 5 per missing agent-period. Each solver (HiGHS, CP-SAT; 1 thread) runs once with a
60 s limit and a 0.1 % gap target; the figures (cost, gap, unmet agent-periods, seconds)
are printed and recorded as ``extra_info``. Run alone for a table::

    PYTHONPATH=python python benches/test_bench_schedule.py [--period 5] [--week]

pyworkforce (MinRequiredResources, no breaks: it places breaks separately) runs on the
same requirement with the same shift lengths when installed; its shifts are then given
breaks by callroute's model with the shift counts fixed, to report its coverage deficit on
the same footing.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from typing import Any

import numpy as np
import pytest

OPEN, CLOSE = 7.0, 22.0


WEEK = (1.0, 0.95, 0.9, 0.9, 0.85, 0.6, 0.4)  # Monday's volume x these, Monday to Sunday


def requirement(period: int = 15, scale: float = 1.0) -> list[int]:
    """Agents wanted per period: a two-peak weekday (10:30 and 15:00), ~300 at the top
    (times ``scale``)."""
    from callroute import staffing_plan

    n = int((CLOSE - OPEN) * 60 / period)
    hours = OPEN + (np.arange(n) + 0.5) * period / 60
    shape = (
        0.15
        + np.exp(-(((hours - 10.5) / 1.6) ** 2))
        + 0.85 * np.exp(-(((hours - 15.0) / 2.0) ** 2))
    )
    calls = 880.0 * scale * period / 15 * shape / shape.max()
    plan = staffing_plan(calls, interval=period * 60, aht=300, target=20, level=0.8)
    return [int(a) for a in plan.agents]


def shift_types(period: int = 15) -> list[Any]:
    from callroute.wfm import BreakRule, ShiftType

    day = int((CLOSE - OPEN) * 60)
    starts = lambda minutes: list(range(0, day - minutes + 1, period))  # noqa: E731
    return [
        ShiftType(
            "8.5h",
            510,
            8.0,
            starts=starts(510),
            breaks=[
                BreakRule("break1", 15, 60, 150),
                BreakRule("meal", 30, 180, 300),
                BreakRule("break2", 15, 330, 420),
            ],
        ),
        ShiftType(
            "6h",
            360,
            6.0,
            starts=starts(360),
            breaks=[BreakRule("break1", 15, 60, 150), BreakRule("break2", 15, 180, 270)],
        ),
        ShiftType("4h", 240, 4.2, starts=starts(240), breaks=[BreakRule("break", 15, 60, 150)]),
    ]


def run(solver: str, period: int = 15, time_limit: float = 60.0) -> dict[str, Any]:
    """Solve the day once; the figures."""
    from callroute.wfm import schedule_shifts

    req = requirement(period)
    t0 = time.perf_counter()
    s = schedule_shifts(
        req,
        period_minutes=period,
        shift_types=shift_types(period),
        shortage_penalty=5.0 * period / 15,
        solver=solver,  # type: ignore[arg-type]
        time_limit=time_limit,
        mip_gap=1e-3,
    )
    seconds = time.perf_counter() - t0
    return {
        "solver": solver,
        "period": period,
        "peak": max(req),
        "shifts": sum(s.counts.values()),
        "counts": s.counts,
        "cost": s.total_cost,
        "bound": s.info.bound,
        "gap": s.info.gap,
        "unmet": float(s.unmet.sum()),
        "over": float(s.over.sum()),
        "status": s.info.status,
        "seconds": seconds,
        "variables": s.info.variables,
    }


def run_week(solver: str, period: int = 15, time_limit: float = 60.0) -> dict[str, Any]:
    """A week: each day (volumes ``WEEK``) scheduled on its own (days off and weekly hours
    are the roster's business); total time, total cost and the worst gap."""
    from callroute.wfm import schedule_shifts

    t0 = time.perf_counter()
    cost, bound, worst, unmet, shifts = 0.0, 0.0, 0.0, 0.0, 0
    for scale in WEEK:
        s = schedule_shifts(
            requirement(period, scale),
            period_minutes=period,
            shift_types=shift_types(period),
            shortage_penalty=5.0 * period / 15,
            solver=solver,  # type: ignore[arg-type]
            time_limit=time_limit / len(WEEK),
            mip_gap=1e-3,
        )
        cost += s.total_cost
        bound += s.info.bound
        worst = max(worst, s.info.gap)
        unmet += float(s.unmet.sum())
        shifts += sum(s.counts.values())
    return {
        "solver": f"{solver} week",
        "period": period,
        "peak": max(requirement(period)),
        "shifts": shifts,
        "cost": cost,
        "gap": (cost - bound) / cost,
        "worst_day_gap": worst,
        "unmet": unmet,
        "status": "7 days",
        "seconds": time.perf_counter() - t0,
    }


def run_pyworkforce(period: int = 15, time_limit: float = 60.0) -> dict[str, Any]:
    """pyworkforce's MinRequiredResources on the same day (shifts without breaks), then the
    breaks of its shifts placed by callroute with its shift counts fixed."""
    from callroute.wfm import ShiftType, schedule_shifts
    from pyworkforce.scheduling import MinRequiredResources

    req = requirement(period)
    types = shift_types(period)
    n = len(req)
    coverage = {}
    for t in types:
        length = int(t.minutes // period)
        assert t.starts is not None
        for s in t.starts:
            p = int(s // period)
            coverage[f"{t.name}@{p}"] = [1 if p <= i < p + length else 0 for i in range(n)]
    cost = {name: next(t.cost for t in types if name.startswith(t.name + "@")) for name in coverage}
    t0 = time.perf_counter()
    model = MinRequiredResources(
        num_days=1,
        periods=n,
        shifts_coverage=coverage,
        required_resources=[req],
        cost_dict=cost,
        max_period_concurrency=10 * max(req),
        max_shift_concurrency=max(req),
        max_search_time=time_limit,
        num_search_workers=1,
    )
    solution = model.solve()
    seconds = time.perf_counter() - t0
    chosen: dict[str, int] = {}
    for row in solution["resources_shifts"]:
        if row["resources"]:
            chosen[row["shift"]] = chosen.get(row["shift"], 0) + int(row["resources"])
    shift_cost = sum(cost[k] * v for k, v in chosen.items())
    # the same shifts with their breaks placed (counts fixed per start): coverage deficit
    fixed = [
        ShiftType(
            name,
            next(t for t in types if name.startswith(t.name + "@")).minutes,
            1.0,
            starts=[int(name.split("@")[1]) * period],
            breaks=next(t for t in types if name.startswith(t.name + "@")).breaks,
            max_count=v,
        )
        for name, v in chosen.items()
    ]
    placed = schedule_shifts(
        req,
        period_minutes=period,
        shift_types=fixed,
        shortage_penalty=1000.0,
        time_limit=time_limit,
    )
    unmet = float(placed.unmet.sum())
    return {
        "solver": "pyworkforce",
        "period": period,
        "peak": max(req),
        "shifts": sum(chosen.values()),
        "cost": shift_cost + 5.0 * period / 15 * unmet,
        "gap": math.nan,
        "unmet": unmet,
        "unmet_before_breaks": float(
            np.maximum(np.asarray(req) - _cover(chosen, coverage, n), 0).sum()
        ),
        "status": solution["status"],
        "seconds": seconds,
    }


def _cover(chosen: dict[str, int], coverage: dict[str, list[int]], n: int) -> np.ndarray:
    total = np.zeros(n)
    for k, v in chosen.items():
        total += v * np.asarray(coverage[k])
    return total


@pytest.mark.parametrize("solver", ["highs", "cpsat"])
def test_schedule_day_300_agents(benchmark: Any, solver: str) -> None:
    pytest.importorskip("highspy" if solver == "highs" else "ortools")
    out = benchmark.pedantic(run, args=(solver,), rounds=1, iterations=1)
    benchmark.extra_info.update(
        impl=f"callroute-{solver}", **{k: v for k, v in out.items() if k != "counts"}
    )
    print(f"\n{out}")
    assert out["peak"] >= 250
    assert out["gap"] <= 1e-3 or out["seconds"] >= 60


def test_schedule_day_pyworkforce(benchmark: Any) -> None:
    pytest.importorskip("pyworkforce")
    pytest.importorskip("highspy")
    out = benchmark.pedantic(run_pyworkforce, rounds=1, iterations=1)
    benchmark.extra_info.update(impl="pyworkforce", **out)
    print(f"\n{out}")


@pytest.mark.parametrize("solver", ["highs", "cpsat"])
def test_schedule_week_300_agents(benchmark: Any, solver: str) -> None:
    pytest.importorskip("highspy" if solver == "highs" else "ortools")
    out = benchmark.pedantic(run_week, args=(solver,), rounds=1, iterations=1)
    benchmark.extra_info.update(impl=f"callroute-{solver}-week", **out)
    print(f"\n{out}")
    assert out["peak"] >= 250


def main(argv: list[str]) -> None:
    period = int(argv[argv.index("--period") + 1]) if "--period" in argv else 15
    head = ("period", "peak", "shifts", "cost", "gap", "unmet", "seconds")
    print(f"{'solver':<12} " + " ".join(f"{h:>8}" for h in head) + "  status")
    if "--week" in argv:
        rows = [run_week("highs", period), run_week("cpsat", period)]
    else:
        rows = [run("highs", period), run("cpsat", period)]
    with contextlib.suppress(ImportError):
        if "--week" not in argv:
            rows.append(run_pyworkforce(period))
    for r in rows:
        print(
            f"{r['solver']:<12} {r['period']:>8} {r['peak']:>8} {r['shifts']:>8} "
            f"{r['cost']:>8.2f} {r['gap']:>8.3%} {r['unmet']:>8.1f} {r['seconds']:>8.2f}  "
            f"{r['status']}"
        )


if __name__ == "__main__":
    main(sys.argv)
