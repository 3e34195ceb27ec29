"""Rostering: named agents to the shifts of several days' schedules.

Each day's :class:`~callroute.wfm.schedule.Schedule` says which shifts (with their breaks)
are wanted; :func:`build_roster` gives each to an agent, respecting per agent:

* skills: a day may ask for a skill (a queue's schedule), given only to agents who have it;
* availability: no shift overlapping one of the agent's ``unavailable`` windows;
* at most one shift a day, at most ``max_days`` working days and ``max_minutes`` paid;
* rest: at least ``min_rest_minutes`` between the end of one shift and the next;

and, among the rosters that fill the most shifts (``unfilled_penalty`` per shift left
open: never infeasible), the fairest: the least total deviation of each agent's minutes
from their target (their ``target_minutes``, or an equal share of the work).

Identical shifts of a day (same type, start and breaks) form one group; an agent takes at
most one from a group (one shift a day), so the model is binary per agent and group. It is
a MIP solved by the same back ends as the schedule (:mod:`callroute.wfm.schedule_solvers`),
started from a greedy roster (shifts in time order, each to the eligible agent furthest
below target), so a solver stopped by ``time_limit`` still returns a valid roster. Fairness
is not proven optimal at scale: the LP bound of the deviation is weak (0), so ``info.gap``
stays large on big rosters even when every shift is filled.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ParameterError
from .schedule import Schedule, ScheduledShift, Solver
from .schedule_solvers import MipModel, SolveInfo, solve_cpsat, solve_highs

__all__ = ["Agent", "Assignment", "Roster", "RosterDay", "build_roster"]

DAY = 24 * 60


@dataclass(frozen=True)
class Agent:
    """A named agent: skills, limits over the roster, and windows when not available
    (minutes from the start of the roster's day 0, ``[start, end)``)."""

    name: str
    skills: frozenset[str] = frozenset()
    max_minutes: float = math.inf
    max_days: int | None = None
    target_minutes: float | None = None
    unavailable: Sequence[tuple[float, float]] = ()


@dataclass(frozen=True)
class RosterDay:
    """One day to staff: its schedule, the clock time of the schedule's period 0 (minutes
    after midnight) and the skill its shifts need (``None``: any agent)."""

    day: int
    schedule: Schedule
    start_minutes: float = 0.0
    skill: str | None = None


@dataclass(frozen=True)
class Assignment:
    """One shift given to one agent; ``start``/``end`` in minutes from day 0's midnight."""

    agent: str
    day: int
    shift: ScheduledShift
    start: float
    end: float


@dataclass(frozen=True)
class Roster:
    """Who works which shift, what stayed open, and each agent's paid minutes."""

    assignments: tuple[Assignment, ...]
    unfilled: tuple[tuple[int, ScheduledShift], ...]
    minutes: dict[str, float]
    info: SolveInfo
    targets: dict[str, float] = field(default_factory=dict)

    def of(self, agent: str) -> list[Assignment]:
        """An agent's shifts in time order."""
        return sorted((a for a in self.assignments if a.agent == agent), key=lambda a: a.start)

    def format(self) -> str:
        """One line per agent: minutes worked and shifts by day."""
        lines = []
        for name in sorted(self.minutes):
            days = ", ".join(
                f"d{a.day} {a.shift.shift_type}@{_clock(a.start)}" for a in self.of(name)
            )
            lines.append(f"{name:<12} {self.minutes[name] / 60:6.1f} h  {days}")
        lines.append(f"unfilled shifts: {len(self.unfilled)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _clock(minutes: float) -> str:
    m = int(minutes) % DAY
    return f"{m // 60:02d}:{m % 60:02d}"


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class _Group:
    day: int
    shift: ScheduledShift  # count = how many wanted
    start: float
    end: float
    skill: str | None


def _groups(days: Sequence[RosterDay]) -> list[_Group]:
    seen: set[int] = set()
    out = []
    for d in days:
        if isinstance(d.day, bool) or not isinstance(d.day, int) or d.day < 0:
            raise ParameterError(f"RosterDay.day must be an integer >= 0, got {d.day!r}")
        if d.day in seen:
            raise ParameterError(f"day {d.day} is given twice")
        seen.add(d.day)
        if not (math.isfinite(d.start_minutes) and 0 <= d.start_minutes < DAY):
            raise ParameterError(f"day {d.day}: start_minutes must be in [0, 1440)")
        period = d.schedule.period_minutes
        for s in d.schedule.shifts:
            start = d.day * DAY + d.start_minutes + s.start * period
            end = d.day * DAY + d.start_minutes + s.end * period
            out.append(_Group(d.day, s, start, end, d.skill))
    return out


def build_roster(
    days: Sequence[RosterDay],
    agents: Sequence[Agent],
    *,
    min_rest_minutes: float = 11 * 60,
    unfilled_penalty: float = 1000.0,
    fairness_per_hour: float = 1.0,
    solver: Solver = "auto",
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
) -> Roster:
    """Give the shifts of ``days`` to ``agents`` (see the module docstring for the rules).

    Minimises ``unfilled_penalty`` per shift left open plus ``fairness_per_hour`` per hour
    an agent's paid time is off their target (above or below).
    """
    if not agents:
        raise ParameterError("agents is empty")
    names = [a.name for a in agents]
    if len(set(names)) != len(names):
        raise ParameterError(f"agent names repeat: {names}")
    for a in agents:
        if not (a.max_minutes >= 0):
            raise ParameterError(f"agent {a.name!r}: max_minutes must be >= 0")
        for w in a.unavailable:
            if not (len(w) == 2 and w[0] < w[1]):
                raise ParameterError(
                    f"agent {a.name!r}: unavailable window {w!r} needs start < end"
                )
    for name, value in (
        ("min_rest_minutes", min_rest_minutes),
        ("unfilled_penalty", unfilled_penalty),
        ("fairness_per_hour", fairness_per_hour),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise ParameterError(f"{name} must be finite and >= 0, got {value!r}")
    groups = _groups(days)
    total = sum(g.shift.count * (g.end - g.start) for g in groups)
    share = total / len(agents)
    targets = {a.name: a.target_minutes if a.target_minutes is not None else share for a in agents}

    m = MipModel()
    z: dict[tuple[int, int], int] = {}
    for ai, a in enumerate(agents):
        for gi, g in enumerate(groups):
            if g.skill is not None and g.skill not in a.skills:
                continue
            if g.end - g.start > a.max_minutes:
                continue
            if any(_overlaps((g.start, g.end), w) for w in a.unavailable):
                continue
            z[ai, gi] = m.var(0.0, 1.0, True)
    # a feasible start for the solvers: every shift open, each agent at zero minutes
    hint: dict[int, float] = {}
    unfilled_var: dict[int, int] = {}
    dev_var: dict[int, int] = {}
    for gi, g in enumerate(groups):
        ui = m.var(unfilled_penalty, float(g.shift.count), True)
        hint[ui] = float(g.shift.count)
        unfilled_var[gi] = ui
        idx = [z[ai, gi] for ai in range(len(agents)) if (ai, gi) in z] + [ui]
        count = float(g.shift.count)
        m.rows.append((idx, [1.0] * len(idx), count, count))
    for ai, a in enumerate(agents):
        mine = [gi for gi in range(len(groups)) if (ai, gi) in z]
        by_day: dict[int, list[int]] = {}
        for gi in mine:
            by_day.setdefault(groups[gi].day, []).append(gi)
        for gis in by_day.values():
            if len(gis) > 1:
                m.rows.append(([z[ai, gi] for gi in gis], [1.0] * len(gis), -math.inf, 1.0))
        if a.max_days is not None and len(by_day) > a.max_days:
            idx = [z[ai, gi] for gi in mine]
            m.rows.append((idx, [1.0] * len(idx), -math.inf, float(a.max_days)))
        length = [groups[gi].end - groups[gi].start for gi in mine]
        if math.isfinite(a.max_minutes) and sum(length) > a.max_minutes:
            m.rows.append(([z[ai, gi] for gi in mine], length, -math.inf, float(a.max_minutes)))
        # rest: a shift and any later-day shift starting too soon after it exclude each other
        for gi in mine:
            g = groups[gi]
            close = [
                hj
                for hj in mine
                if groups[hj].day > g.day
                and groups[hj].start < g.end + min_rest_minutes
                and groups[hj].start >= g.start
            ]
            if close:
                idx = [z[ai, gi]] + [z[ai, hj] for hj in close]
                m.rows.append((idx, [1.0] * len(idx), -math.inf, 1.0))
        # fairness: dev >= |minutes - target| (in hours)
        hours = [x / 60.0 for x in length]
        t = targets[a.name] / 60.0
        dev = m.var(fairness_per_hour, sum(hours) + t, False)
        hint[dev] = t
        dev_var[ai] = dev
        idx = [z[ai, gi] for gi in mine]
        m.rows.append(([*idx, dev], [*hours, 1.0], t, math.inf))
        m.rows.append(([*idx, dev], [-h for h in hours] + [1.0], -t, math.inf))

    _greedy(groups, agents, z, targets, min_rest_minutes, hint, unfilled_var, dev_var)
    start = [hint.get(i, 0.0) for i in range(len(m.cost))]
    if solver == "auto":
        # HiGHS: on a 107-agent 5-day roster it improved the greedy start in 20 s, CP-SAT
        # (one worker) did not
        solver = "highs" if importlib.util.find_spec("highspy") is not None else "cpsat"
    if solver == "cpsat":
        values, info = _cpsat_hours(m, time_limit, mip_gap, start)
    elif solver == "highs":
        values, info = solve_highs(m, time_limit, mip_gap, hint=start)
    else:
        raise ParameterError(f"solver must be 'auto', 'highs' or 'cpsat', got {solver!r}")

    assignments = []
    minutes = {a.name: 0.0 for a in agents}
    filled = [0] * len(groups)
    for (ai, gi), vi in sorted(z.items()):
        if round(values[vi]) == 1:
            g = groups[gi]
            one = ScheduledShift(g.shift.shift_type, g.shift.start, g.shift.end, g.shift.breaks, 1)
            assignments.append(Assignment(agents[ai].name, g.day, one, g.start, g.end))
            minutes[agents[ai].name] += g.end - g.start
            filled[gi] += 1
    unfilled = []
    for gi, g in enumerate(groups):
        one = ScheduledShift(g.shift.shift_type, g.shift.start, g.shift.end, g.shift.breaks, 1)
        unfilled += [(g.day, one)] * (g.shift.count - filled[gi])
    return Roster(
        assignments=tuple(sorted(assignments, key=lambda a: (a.start, a.agent))),
        unfilled=tuple(unfilled),
        minutes=minutes,
        info=info,
        targets=targets,
    )


def _greedy(
    groups: list[_Group],
    agents: Sequence[Agent],
    z: dict[tuple[int, int], int],
    targets: dict[str, float],
    rest: float,
    hint: dict[int, float],
    unfilled_var: dict[int, int],
    dev_var: dict[int, int],
) -> None:
    """A feasible start: shifts in time order, each to the eligible agent furthest below
    their target who keeps every rule; ``hint`` is updated in place."""
    worked: list[list[_Group]] = [[] for _ in agents]
    minutes = [0.0] * len(agents)
    for gi in sorted(range(len(groups)), key=lambda i: groups[i].start):
        g = groups[gi]
        length = g.end - g.start
        for _ in range(g.shift.count):
            best = None
            for ai, a in enumerate(agents):
                if (ai, gi) not in z or hint.get(z[ai, gi]):
                    continue
                mine = worked[ai]
                if any(w.day == g.day for w in mine):
                    continue
                if a.max_days is not None and len(mine) >= a.max_days:
                    continue
                if minutes[ai] + length > a.max_minutes:
                    continue
                if any(
                    (w.day < g.day and g.start < w.end + rest)
                    or (w.day > g.day and w.start < g.end + rest)
                    for w in mine
                ):
                    continue
                room = targets[a.name] - minutes[ai]
                if best is None or room > best[0]:
                    best = (room, ai)
            if best is None:
                break
            ai = best[1]
            worked[ai].append(g)
            minutes[ai] += length
            hint[z[ai, gi]] = 1.0
            hint[unfilled_var[gi]] -= 1.0
    for ai, a in enumerate(agents):
        hint[dev_var[ai]] = abs(minutes[ai] - targets[a.name]) / 60.0


def _cpsat_hours(
    m: MipModel, time_limit: float, mip_gap: float, hint: list[float]
) -> tuple[list[float], SolveInfo]:
    """CP-SAT needs integer rows: the fairness rows are scaled from hours to minutes and
    the deviation made an integer number of minutes (its cost per minute)."""
    scaled = MipModel(cost=list(m.cost), upper=list(m.upper), integer=[True] * len(m.cost))
    devs = {i for i, integer in enumerate(m.integer) if not integer}
    for i in devs:
        scaled.cost[i] = m.cost[i] / 60.0
        scaled.upper[i] = float(math.ceil(m.upper[i] * 60.0))
    for idx, val, lo, hi in m.rows:
        if any(i in devs for i in idx):
            val = [v * 60.0 for v in val[:-1]] + [1.0]
            lo, hi = lo * 60.0, hi * 60.0
            lo = math.ceil(lo - 1e-9) if math.isfinite(lo) else lo
        val = [round(v) for v in val]
        scaled.rows.append((idx, [float(v) for v in val], lo, hi))
    start = [math.ceil(v * 60.0 - 1e-9) if i in devs else v for i, v in enumerate(hint)]
    return solve_cpsat(scaled, time_limit, mip_gap, hint=start)
