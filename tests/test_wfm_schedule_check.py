"""The simulated check of a schedule against Erlang's steady-state promise."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from callroute import erlang
from callroute.errors import ParameterError
from callroute.wfm import BreakRule, ShiftType, schedule_shifts, simulate_schedule

pytest.importorskip("highspy")


def test_flat_day_without_breaks_meets_the_erlang_c_promise() -> None:
    # 12 agents all day; 100 calls of 180 s per 30 min = 10 Erlangs: the simulated day's
    # service level is Erlang C's, up to the empty start and noise
    calls = [100.0] * 16
    types = [ShiftType("8h", 480, 8.0, starts=[0])]
    s = schedule_shifts([12] * 16, period_minutes=30, shift_types=types, shortage_penalty=100)
    assert s.coverage.tolist() == [12] * 16
    check = simulate_schedule(s, calls, aht=180, target=20, replications=40, seed=3, threads=1)
    truth = erlang.service_level(10.0, 12, 180, 20)
    assert check.promised.tolist() == pytest.approx([truth] * 16)
    assert check.simulated_day == pytest.approx(truth, abs=0.03)
    assert check.promised_day == pytest.approx(truth)


def test_breaks_take_agents_off_in_the_simulation() -> None:
    # two agents, one 30-min break each: the simulated service level drops where the
    # schedule says an agent is off
    types = [
        ShiftType("s", 240, 4.0, starts=[0], breaks=[BreakRule("b", 30, 60, 150)], max_count=2)
    ]
    s = schedule_shifts([2] * 8, period_minutes=30, shift_types=types, shortage_penalty=10)
    assert s.counts == {"s": 2}
    assert s.coverage.min() < 2
    calls = [30.0] * 8
    check = simulate_schedule(
        s, calls, aht=60, target=20, patience=120, replications=40, seed=5, threads=1
    )
    one = [i for i, c in enumerate(s.coverage) if c < 2]
    two = [i for i, c in enumerate(s.coverage) if c == 2 and i > 0]
    assert max(check.simulated[i] for i in one) < min(check.simulated[i] for i in two)
    assert all(check.promised_abandon[i] > check.promised_abandon[two[0]] for i in one)


def test_calls_must_match_the_schedule() -> None:
    types = [ShiftType("s", 60, 1.0)]
    s = schedule_shifts([1] * 4, period_minutes=15, shift_types=types, shortage_penalty=10)
    with pytest.raises(ParameterError, match="periods"):
        simulate_schedule(s, [1.0] * 3, aht=60, target=20)


# --- a planned day: piecewise arrivals, the schedule's shifts and breaks ------------------

AHT, TARGET = 200.0, 20.0
SLOTS = 26  # half hours, 07:00 to 20:00


def _erlang_c_sl(a: float, n: float, aht: float, t: float) -> float:
    """Textbook Erlang C service level at ``n`` agents, linear between whole numbers.

    Written here on purpose, independent of :mod:`callroute.erlang` (Erlang B by its
    recursion, then C from B): the truth the schedule check's own Erlang is held to."""

    def whole(m: int) -> float:
        if m <= a:
            return 0.0
        b = 1.0
        for k in range(1, m + 1):
            b = a * b / (k + a * b)
        c = m * b / (m - a * (1 - b))
        return 1 - c * math.exp(-(m - a) * t / aht)

    lo = math.floor(n)
    return whole(lo) + (n - lo) * (whole(lo + 1) - whole(lo))


def _folded_truth(calls: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang C per 15-minute period at ``agents``, folded to half hours by calls."""
    sl = np.array(
        [_erlang_c_sl(c * AHT / 900, n, AHT, TARGET) for c, n in zip(calls, agents, strict=True)]
    )
    return (sl * calls).reshape(-1, 2).sum(axis=1) / calls.reshape(-1, 2).sum(axis=1)


@pytest.fixture(scope="module")
def planned() -> tuple[np.ndarray, Any]:
    from callroute.wfm import plan_day

    calls = np.sin(np.linspace(0.25, math.pi - 0.25, SLOTS)) * 400 + 60
    plan = plan_day(
        calls, start=7 * 3600, interval=1800, aht=AHT, target=TARGET, replications=2, seed=1
    )
    return np.repeat(calls / 2, 2), plan.schedule


def test_planned_day_agrees_with_erlang_at_the_agents_the_simulation_had(
    planned: tuple[np.ndarray, Any],
) -> None:
    """Agents finish the call in hand before a break or the end of their shift, while the
    break ends on time and the next shift starts on time: the simulation has more agents on
    the phones than the schedule's coverage, and its service level is Erlang's at those."""
    calls, schedule = planned
    check = simulate_schedule(
        schedule, calls, aht=AHT, target=TARGET, replications=40, seed=3, threads=1
    )
    assert np.all(check.effective >= schedule.coverage - 1e-9)
    assert check.effective.sum() > schedule.coverage.sum() + 10  # overruns add agent time
    at_coverage = _folded_truth(calls, schedule.coverage.astype(float))
    at_effective = _folded_truth(calls, check.effective)
    f = check.folded(2)
    w = f["calls"] / f["calls"].sum()
    day_hw = check.simulated_day_halfwidth
    # the day: like for like within the simulation's confidence; the schedule's promise not
    assert abs(check.simulated_day - float(at_effective @ w)) <= day_hw
    assert check.simulated_day - float(at_coverage @ w) > 2 * day_hw
    # per half hour: within the confidence interval in most (transients between intervals
    # remain, the first one starts empty)
    inside = np.abs(f["simulated"] - at_effective) <= f["halfwidth"]
    assert inside.mean() >= 0.8


@pytest.mark.parametrize("stretch", [1, 8])
def test_planned_day_coverage_agrees_with_erlang_per_interval(
    planned: tuple[np.ndarray, Any], stretch: int
) -> None:
    """The schedule's coverage simulated as agents per period against Erlang C at the
    coverage. Stretched (each period ``stretch`` times longer at the same rates) the
    transients between periods vanish and each half hour falls within the simulation's
    confidence interval; at the real time scale the half hours after the first (which
    starts empty) are off by about a point on average."""
    calls, schedule = planned
    if stretch > 1:
        schedule = dataclasses.replace(schedule, period_minutes=15.0 * stretch)
    check = simulate_schedule(
        schedule,
        calls * stretch,
        aht=AHT,
        target=TARGET,
        replications=40,
        seed=4,
        threads=1,
        agents="coverage",
    )
    truth = _folded_truth(calls, schedule.coverage.astype(float))
    f = check.folded(2)
    assert f["promised"] == pytest.approx(truth, abs=1e-9)
    w = f["calls"] / f["calls"].sum()
    # the day within its confidence interval, widened by one point: the transients left
    # (a busy agent leaving when the coverage drops finishes the call in hand)
    assert abs(check.simulated_day - float(truth @ w)) <= check.simulated_day_halfwidth + 0.01
    off = np.abs(f["simulated"] - truth)
    if stretch > 1:
        assert (off <= f["halfwidth"]).mean() >= 0.75
        assert np.all(off <= 2.5 * f["halfwidth"])
    else:
        assert float(np.mean(f["simulated"][1:] - truth[1:])) <= 0.02
