"""Shift scheduling with breaks against optima known by hand or by brute force over every
explicit (shift, break placement) column; coverage is recounted here from the shifts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from callroute.errors import ParameterError
from callroute.wfm import BreakRule, Schedule, ShiftType, schedule_shifts
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("highspy")
pytest.importorskip("ortools")

SOLVERS = ["highs", "cpsat"]


def recount(schedule: Schedule, types: list[ShiftType], horizon: int) -> np.ndarray:
    """Agents on the phones per period, from the individual shifts and the break rules."""
    period = schedule.period_minutes
    rules = {t.name: t for t in types}
    cov = np.zeros(horizon, dtype=int)
    for shift in schedule.agents():
        t = rules[shift.shift_type]
        assert shift.end - shift.start == round(t.minutes / period)
        on = np.zeros(horizon, dtype=bool)
        on[shift.start : shift.end] = True
        for b, rule in zip(shift.breaks, t.breaks, strict=True):
            offset = (b - shift.start) * period
            assert rule.earliest <= offset <= rule.latest, "break outside its window"
            d = round(rule.minutes / period)
            assert on[b : b + d].all(), "breaks overlap or leave the shift"
            on[b : b + d] = False
        cov += on
    return cov


@pytest.mark.parametrize("solver", SOLVERS)
def test_flat_requirement_takes_exact_shift_counts(solver: str) -> None:
    types = [ShiftType("day", 480, 80.0, starts=[0])]
    s = schedule_shifts(
        [5] * 32, period_minutes=15, shift_types=types, shortage_penalty=50, solver=solver
    )
    assert s.counts == {"day": 5}
    assert recount(s, types, 32).tolist() == [5] * 32
    assert s.total_cost == 400.0
    assert s.unmet.sum() == 0


@pytest.mark.parametrize("solver", SOLVERS)
def test_flat_twelve_hours_mixes_eight_and_four_hour_shifts(solver: str) -> None:
    # per lane of one agent over 12 h: 8h + 4h costs 13, three 4h cost 15, 8h+8h 16
    types = [ShiftType("long", 480, 8.0), ShiftType("short", 240, 5.0)]
    s = schedule_shifts(
        [3] * 12, period_minutes=60, shift_types=types, shortage_penalty=100, solver=solver
    )
    assert s.total_cost == pytest.approx(39.0)
    assert s.counts == {"long": 3, "short": 3}
    assert (recount(s, types, 12) >= 3).all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_break_window_forces_staggering(solver: str) -> None:
    # 2 agents wanted all 2 h; each shift has a 15-min break in minutes 30..75: two shifts
    # leave one agent while either is on break, three cover it only with breaks apart
    types = [ShiftType("s", 120, 10.0, starts=[0], breaks=[BreakRule("b", 15, 30, 75)])]
    s = schedule_shifts(
        [2] * 8, period_minutes=15, shift_types=types, shortage_penalty=100, solver=solver
    )
    cov = recount(s, types, 8)
    assert s.counts == {"s": 3}
    assert (cov >= 2).all()
    starts = [a.breaks[0] for a in s.agents()]
    assert len(set(starts)) == 3
    assert cov.tolist() == s.coverage.tolist()


@pytest.mark.parametrize("solver", SOLVERS)
def test_penalty_below_shift_cost_reports_unmet_demand_exactly(solver: str) -> None:
    req = [0] * 32
    req[10:14] = [1, 1, 1, 1]
    types = [ShiftType("day", 480, 10.0)]
    s = schedule_shifts(
        req, period_minutes=15, shift_types=types, shortage_penalty=1.0, solver=solver
    )
    assert s.shifts == ()
    assert s.unmet.tolist() == req
    assert s.total_cost == 4.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_two_breaks_and_a_meal_in_their_windows(solver: str) -> None:
    rules = [
        BreakRule("break1", 15, 60, 150),
        BreakRule("meal", 30, 180, 300),
        BreakRule("break2", 15, 330, 420),
    ]
    types = [ShiftType("full", 510, 1.0, breaks=rules), ShiftType("half", 240, 0.6)]
    req = [0] * 8 + [4] * 40 + [0] * 8  # 14 h at 15 min
    s = schedule_shifts(
        req, period_minutes=15, shift_types=types, shortage_penalty=5, solver=solver
    )
    cov = recount(s, types, len(req))
    assert cov.tolist() == s.coverage.tolist()
    assert s.unmet.sum() == 0
    assert s.total_cost == pytest.approx(s.info.objective, rel=1e-6)


def brute_force(req: list[int], penalty: float) -> float:
    """The least cost over every count (0..max req) of every explicit column.

    Hours of 60 min over 7 periods. Type A: 4 h, cost 4, starts 0..3, a 1-h break at
    offset 1 or 2. Type B: 2 h, cost 2.5, starts 0, 2, 4, no break. Counts above the
    largest requirement never help (that column alone would already cover it)."""
    cols, costs = [], []
    for s in range(4):
        for b in (1, 2):
            v = np.zeros(7, dtype=int)
            v[s : s + 4] = 1
            v[s + b] = 0
            cols.append(v)
            costs.append(4.0)
    for s in (0, 2, 4):
        v = np.zeros(7, dtype=int)
        v[s : s + 2] = 1
        cols.append(v)
        costs.append(2.5)
    matrix, cost = np.array(cols), np.array(costs)
    top = max(req)
    counts = np.array(list(itertools.product(range(top + 1), repeat=len(cols))))
    cover = counts @ matrix
    short = np.maximum(np.array(req) - cover, 0).sum(axis=1)
    return float((counts @ cost + penalty * short).min())


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("solver", SOLVERS)
def test_brute_force_optimum(seed: int, solver: str) -> None:
    rng = np.random.default_rng(seed)
    req = rng.integers(0, 3, size=7).tolist()
    penalty = [1.5, 3.0, 10.0][seed % 3]
    types = [
        ShiftType("A", 240, 4.0, starts=[0, 60, 120, 180], breaks=[BreakRule("b", 60, 60, 120)]),
        ShiftType("B", 120, 2.5, starts=[0, 120, 240]),
    ]
    s = schedule_shifts(
        req, period_minutes=60, shift_types=types, shortage_penalty=penalty, solver=solver
    )
    assert s.total_cost == pytest.approx(brute_force(req, penalty))
    assert recount(s, types, 7).tolist() == s.coverage.tolist()


def test_max_count_caps_a_shift_type() -> None:
    types = [ShiftType("cheap", 240, 1.0, max_count=2), ShiftType("dear", 240, 3.0)]
    s = schedule_shifts([5] * 16, period_minutes=15, shift_types=types, shortage_penalty=50)
    assert s.counts == {"cheap": 2, "dear": 3}


def test_bad_inputs_are_parameter_errors() -> None:
    ok = ShiftType("s", 120, 1.0)
    with pytest.raises(ParameterError, match="not a multiple"):
        schedule_shifts(
            [1] * 8, period_minutes=15, shift_types=[ShiftType("s", 100, 1.0)], shortage_penalty=1
        )
    rules = [BreakRule("a", 15, 15, 60), BreakRule("b", 15, 60, 90)]
    with pytest.raises(ParameterError, match="break windows must follow"):
        schedule_shifts(
            [1] * 8,
            period_minutes=15,
            shift_types=[ShiftType("s", 120, 1.0, breaks=rules)],
            shortage_penalty=1,
        )
    rules = [BreakRule("a", 30, 15, 105)]
    with pytest.raises(ParameterError, match="end after the shift"):
        schedule_shifts(
            [1] * 8,
            period_minutes=15,
            shift_types=[ShiftType("s", 120, 1.0, breaks=rules)],
            shortage_penalty=1,
        )
    with pytest.raises(ParameterError, match="ends after the day"):
        schedule_shifts(
            [1] * 8,
            period_minutes=15,
            shift_types=[ShiftType("s", 120, 1.0, starts=[15])],
            shortage_penalty=1,
        )
    with pytest.raises(ParameterError, match="period 2"):
        schedule_shifts([1, 1, -1], period_minutes=15, shift_types=[ok], shortage_penalty=1)
    with pytest.raises(ParameterError, match="solver"):
        schedule_shifts(
            [1] * 8, period_minutes=15, shift_types=[ok], shortage_penalty=1, solver="glpk"
        )  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="whole requirements"):
        schedule_shifts(
            [1.5] * 8, period_minutes=15, shift_types=[ok], shortage_penalty=1, solver="cpsat"
        )


def test_auto_solver_takes_cpsat_for_whole_and_highs_for_fractional_requirements() -> None:
    types = [ShiftType("s", 120, 1.0)]
    whole = schedule_shifts([1] * 8, period_minutes=15, shift_types=types, shortage_penalty=5)
    assert whole.info.solver == "cpsat"
    frac = schedule_shifts([1.5] * 8, period_minutes=15, shift_types=types, shortage_penalty=5)
    assert frac.info.solver == "highs"
    # 1.5 wanted: two shifts (cost 2) beat one shift plus 0.5 x 8 x 5 of shortfall
    assert frac.counts == {"s": 2}
    assert frac.unmet.sum() == 0


@settings(max_examples=15, deadline=None)
@given(
    req=st.lists(st.integers(0, 4), min_size=10, max_size=16),
    penalty=st.sampled_from([0.5, 2.0, 20.0]),
    long_break=st.integers(1, 3),
)
def test_both_solvers_reach_the_same_optimum(
    req: list[int], penalty: float, long_break: int
) -> None:
    types = [
        ShiftType("long", 120, 5.0, breaks=[BreakRule("b", 15 * long_break, 15, 60)]),
        ShiftType("short", 60, 3.0),
    ]
    results = [
        schedule_shifts(
            req, period_minutes=15, shift_types=types, shortage_penalty=penalty, solver=s
        )
        for s in SOLVERS
    ]
    for s in results:
        assert recount(s, types, len(req)).tolist() == s.coverage.tolist()
        assert s.total_cost == pytest.approx(s.info.objective, abs=1e-6)
    assert results[0].total_cost == pytest.approx(results[1].total_cost, abs=1e-6)
