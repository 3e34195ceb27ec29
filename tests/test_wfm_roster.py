"""Rostering: every rule rechecked on the output, and the optimum against brute force over
every assignment of a small week."""

from __future__ import annotations

import itertools

import pytest
from callroute.errors import ParameterError
from callroute.wfm import Agent, Roster, RosterDay, ShiftType, build_roster, schedule_shifts

pytest.importorskip("highspy")
pytest.importorskip("ortools")

SOLVERS = ["highs", "cpsat"]
DAY = 1440


def day(d: int, starts_hours: list[int], hours: int = 8, skill: str | None = None) -> RosterDay:
    """A day whose schedule is exactly one shift of ``hours`` at each start (hour clock)."""
    req = [0] * 24
    for s in starts_hours:
        for h in range(s, s + hours):
            req[h] += 1
    types = [ShiftType(f"{hours}h", hours * 60, 1.0, starts=sorted({s * 60 for s in starts_hours}))]
    sched = schedule_shifts(req, period_minutes=60, shift_types=types, shortage_penalty=100)
    assert sum(s.count for s in sched.shifts) == len(starts_hours)
    return RosterDay(d, sched, skill=skill)


def check(roster: Roster, days: list[RosterDay], agents: list[Agent], rest: float) -> None:
    """Every rule, recounted from the assignments."""
    by = {a.name: a for a in agents}
    wanted = sum(s.count for d in days for s in d.schedule.shifts)
    assert len(roster.assignments) + len(roster.unfilled) == wanted
    for name, agent in by.items():
        mine = roster.of(name)
        assert len({a.day for a in mine}) == len(mine), "two shifts a day"
        if agent.max_days is not None:
            assert len(mine) <= agent.max_days
        assert sum(a.end - a.start for a in mine) <= agent.max_minutes
        assert roster.minutes[name] == sum(a.end - a.start for a in mine)
        for a, b in itertools.pairwise(mine):
            assert b.start - a.end >= rest, "rest too short"
        for a in mine:
            assert all(not (a.start < w[1] and w[0] < a.end) for w in agent.unavailable)
            skill = next(d.skill for d in days if d.day == a.day)
            assert skill is None or skill in agent.skills


@pytest.mark.parametrize("solver", SOLVERS)
def test_availability_is_respected(solver: str) -> None:
    days = [day(0, [9]), day(1, [9])]
    agents = [Agent("ann", unavailable=[(0, DAY)], max_days=1), Agent("bob", max_days=1)]
    r = build_roster(days, agents, solver=solver)
    check(r, days, agents, 660)
    assert [(a.agent, a.day) for a in r.assignments] == [("bob", 0), ("ann", 1)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_rest_rule_between_late_and_early_shift(solver: str) -> None:
    days = [day(0, [15]), day(1, [7])]  # 15-23 then 07-15: 8 h of rest
    one = [Agent("ann")]
    r = build_roster(days, one, min_rest_minutes=660, solver=solver)
    check(r, days, one, 660)
    assert len(r.unfilled) == 1
    r = build_roster(days, one, min_rest_minutes=480, solver=solver)
    assert r.unfilled == ()
    two = [Agent("ann"), Agent("bob")]
    r = build_roster(days, two, min_rest_minutes=660, solver=solver)
    check(r, days, two, 660)
    assert r.unfilled == ()
    assert {a.agent for a in r.assignments} == {"ann", "bob"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_skills_and_max_minutes(solver: str) -> None:
    days = [day(0, [9], skill="fr"), day(1, [9])]
    agents = [Agent("ann", skills=frozenset({"fr"}), max_minutes=480), Agent("bob")]
    r = build_roster(days, agents, solver=solver, fairness_per_hour=0)
    check(r, days, agents, 660)
    assert [(a.agent, a.day) for a in r.assignments] == [("ann", 0), ("bob", 1)]
    r = build_roster(days, agents[:1], solver=solver)
    assert len(r.unfilled) == 1  # max 480 min: one of the two 8-h shifts stays open


@pytest.mark.parametrize("solver", SOLVERS)
def test_fairness_splits_the_week_evenly(solver: str) -> None:
    days = [day(d, [9]) for d in range(4)]
    agents = [Agent("ann"), Agent("bob")]
    r = build_roster(days, agents, solver=solver)
    check(r, days, agents, 660)
    assert r.minutes == {"ann": 960.0, "bob": 960.0}


@pytest.mark.parametrize("solver", SOLVERS)
def test_brute_force_optimum_small_week(solver: str) -> None:
    days = [day(0, [6, 14]), day(1, [6, 14]), day(2, [6, 14])]
    agents = [
        Agent("ann", unavailable=[(DAY + 600, DAY + 700)]),
        Agent("bob", max_days=2),
        Agent("cy", max_minutes=960, target_minutes=480),
    ]
    rest, pen, fair = 600.0, 50.0, 1.0
    r = build_roster(
        days,
        agents,
        solver=solver,
        min_rest_minutes=rest,
        unfilled_penalty=pen,
        fairness_per_hour=fair,
    )
    check(r, days, agents, rest)
    shifts = [
        (d.day, d.day * DAY + s * 60, d.day * DAY + s * 60 + 480) for d in days for s in (6, 14)
    ]
    share = 6 * 480 / 3
    best = None
    for pick in itertools.product(range(4), repeat=len(shifts)):  # 3 = left open
        ok, cost = True, 0.0
        for ai, a in enumerate(agents):
            mine = sorted(shifts[i] for i, p in enumerate(pick) if p == ai)
            if len({m[0] for m in mine}) != len(mine):
                ok = False
            if a.max_days is not None and len(mine) > a.max_days:
                ok = False
            if 480 * len(mine) > a.max_minutes:
                ok = False
            if any(m[1] < w[1] and w[0] < m[2] for m in mine for w in a.unavailable):
                ok = False
            if any(b[1] - x[2] < rest for x, b in itertools.pairwise(mine)):
                ok = False
            target = a.target_minutes if a.target_minutes is not None else share
            cost += fair * abs(480 * len(mine) - target) / 60
        if ok:
            cost += pen * sum(1 for p in pick if p == 3)
            best = cost if best is None else min(best, cost)
    assert r.info.objective == pytest.approx(best, abs=1e-6)
    got = pen * len(r.unfilled) + sum(
        fair * abs(r.minutes[a.name] - r.targets[a.name]) / 60 for a in agents
    )
    assert got == pytest.approx(best, abs=1e-6)


def test_bad_roster_inputs() -> None:
    with pytest.raises(ParameterError, match="agents is empty"):
        build_roster([day(0, [9])], [])
    with pytest.raises(ParameterError, match="twice"):
        build_roster([day(0, [9]), day(0, [9])], [Agent("a")])
    with pytest.raises(ParameterError, match="repeat"):
        build_roster([day(0, [9])], [Agent("a"), Agent("a")])
    with pytest.raises(ParameterError, match="unavailable"):
        build_roster([day(0, [9])], [Agent("a", unavailable=[(5, 1)])])


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_roster_is_valid_even_without_time_to_solve(solver: str) -> None:
    # with (almost) no time the solver may return only the greedy start: still a roster
    # that keeps every rule, and the greedy start fills these shifts
    days = [day(d, [6, 9, 14]) for d in range(4)]
    agents = [Agent(f"a{i}", max_days=3) for i in range(4)]
    r = build_roster(days, agents, solver=solver, time_limit=1e-6)
    check(r, days, agents, 660)
    assert r.unfilled == ()
