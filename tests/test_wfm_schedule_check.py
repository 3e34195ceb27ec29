"""The simulated check of a schedule against Erlang's steady-state promise."""

from __future__ import annotations

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
