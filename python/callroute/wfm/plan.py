"""The planning chain on one day: calls per interval -> agents -> shifts with breaks ->
simulated check; and the surge what-if (a billing day or campaign scaling the calls).

Calls come per forecast interval (e.g. 30 minutes); shifts are scheduled on finer periods
(``period_minutes``, 15 by default, so 15-minute breaks fit): each interval's requirement
applies to each of its periods and its calls are split evenly between them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from ..staffing import staffing_plan
from .calendar import Calendar, SpecialDay
from .forecast import DailyProfile, Model
from .history import History
from .schedule import BreakRule, Schedule, ShiftType, schedule_shifts
from .schedule_check import ScheduleCheck, simulate_schedule
from .staffing import Costs, cost_optimal_staffing

__all__ = [
    "DayPlan",
    "SurgeWhatIf",
    "default_shift_types",
    "plan_day",
    "requirement_for",
    "schedule_requirement",
    "surge_what_if",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Staffing = Literal["erlang_c", "erlang_a", "cost"]


def default_shift_types(day_minutes: float, *, wage_per_hour: float = 1.0) -> list[ShiftType]:
    """Full days (8 h: a 15-min break, a 30-min meal, a 15-min break, each in a window) and
    half days (4 h, one 15-min break) at ``wage_per_hour``, starting anywhere on a 15-minute
    grid; types longer than the day are left out."""
    full = ShiftType(
        "8h",
        480,
        8 * wage_per_hour,
        breaks=(
            BreakRule("break", 15, 90, 150),
            BreakRule("meal", 30, 210, 270),
            BreakRule("break", 15, 330, 390),
        ),
    )
    half = ShiftType("4h", 240, 4 * wage_per_hour, breaks=(BreakRule("break", 15, 90, 135),))
    types = [t for t in (full, half) if t.minutes <= day_minutes]
    if not types:
        raise ParameterError(f"the day ({day_minutes:g} min) is shorter than a 4-hour shift")
    return types


def requirement_for(
    calls: Any,
    *,
    interval: float,
    aht: float,
    target: float,
    level: float = 0.8,
    staffing: Staffing = "erlang_c",
    patience: float | None = None,
    costs: Costs | None = None,
) -> IntArray:
    """Agents on the phones per interval: Erlang C (or A with ``patience``) answering
    ``level`` of calls within ``target`` s, or (``staffing="cost"``) the cost-optimal
    number for ``costs`` (exact Erlang A with ``patience``, else Erlang C)."""
    counts = np.asarray(calls, dtype=np.float64).reshape(-1)
    if staffing == "cost":
        if costs is None:
            raise ParameterError("staffing='cost' needs costs")
        plan = cost_optimal_staffing(
            counts, interval=interval, aht=aht, costs=costs, patience=patience, target=target
        )
        return np.asarray(plan.agents, dtype=np.int64)
    if staffing not in ("erlang_c", "erlang_a"):
        raise ParameterError(f"staffing must be erlang_c, erlang_a or cost, got {staffing!r}")
    if staffing == "erlang_a" and patience is None:
        raise ParameterError("staffing='erlang_a' needs patience (mean, seconds)")
    out = staffing_plan(
        counts,
        interval=interval,
        aht=aht,
        target=target,
        level=level,
        model=staffing,
        patience=patience,
    )
    return np.asarray(out.agents, dtype=np.int64)


def _per_period(interval: float, period_minutes: float) -> int:
    ratio = interval / (period_minutes * 60.0)
    k = round(ratio)
    if k < 1 or abs(k - ratio) > 1e-9:
        raise ParameterError(
            f"the interval ({interval / 60:g} min) must be a multiple of the "
            f"{period_minutes:g}-min scheduling period"
        )
    return k


@dataclass(frozen=True)
class DayPlan:
    """One day planned: calls and agents per interval, the schedule (on periods) and its
    simulated check (on periods; :meth:`interval_sl` folds it back to intervals)."""

    start: int
    interval: int
    calls: FloatArray
    requirement: IntArray
    schedule: Schedule
    check: ScheduleCheck

    @property
    def labels(self) -> list[str]:
        """``HH:MM`` start of each interval."""
        return [_hhmm(self.start + i * self.interval) for i in range(len(self.calls))]

    def interval_sl(self) -> tuple[FloatArray, FloatArray, IntArray]:
        """Per interval: the promised service level (periods weighted by calls), the
        simulated one (pooled: calls answered within the target over calls offered in the
        interval's periods, all replications, as a center reports it) and the fewest agents
        on the phones."""
        return _fold(self.check, len(self.calls))


def _fold(check: ScheduleCheck, n: int) -> tuple[FloatArray, FloatArray, IntArray]:
    """``check``'s periods folded to ``n`` intervals by :meth:`ScheduleCheck.folded`, with
    the fewest agents on the phones in each."""
    k = len(check.calls) // n
    f = check.folded(k)
    agents = check.coverage.reshape(n, k).min(axis=1)
    return f["promised"], f["simulated"], np.asarray(agents, dtype=np.int64)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds % 3600 // 60:02d}"


def schedule_requirement(
    requirement: Any,
    *,
    interval: float,
    period_minutes: float = 15.0,
    shift_types: Sequence[ShiftType] | None = None,
    shortage_penalty: float = 1.0,
    time_limit: float = 60.0,
) -> Schedule:
    """Shifts with breaks covering ``requirement`` agents per interval (of ``interval``
    seconds), scheduled on ``period_minutes`` periods."""
    req = np.asarray(requirement, dtype=np.float64).reshape(-1)
    k = _per_period(interval, period_minutes)
    types = shift_types or default_shift_types(req.size * interval / 60.0)
    return schedule_shifts(
        np.repeat(req, k),
        period_minutes=period_minutes,
        shift_types=types,
        shortage_penalty=shortage_penalty,
        time_limit=time_limit,
    )


def plan_day(
    calls: Any,
    *,
    start: int,
    interval: int,
    aht: float,
    target: float,
    level: float = 0.8,
    staffing: Staffing = "erlang_c",
    patience: float | None = None,
    costs: Costs | None = None,
    period_minutes: float = 15.0,
    shift_types: Sequence[ShiftType] | None = None,
    shortage_penalty: float = 1.0,
    replications: int = 20,
    seed: int = 0,
) -> DayPlan:
    """Staff, schedule and simulate one day of ``calls`` per interval (the day's first
    interval starting ``start`` s after midnight)."""
    counts = np.asarray(calls, dtype=np.float64).reshape(-1)
    req = requirement_for(
        counts,
        interval=interval,
        aht=aht,
        target=target,
        level=level,
        staffing=staffing,
        patience=patience,
        costs=costs,
    )
    schedule = schedule_requirement(
        req,
        interval=interval,
        period_minutes=period_minutes,
        shift_types=shift_types,
        shortage_penalty=shortage_penalty,
    )
    k = _per_period(interval, period_minutes)
    check = simulate_schedule(
        schedule,
        np.repeat(counts / k, k),
        aht=aht,
        target=target,
        patience=patience,
        replications=replications,
        seed=seed,
    )
    return DayPlan(start, interval, counts, req, schedule, check)


@dataclass(frozen=True)
class SurgeWhatIf:
    """A surge day: the normal plan, the calls with the event, the agents each needs, the
    extra shifts covering the difference, and the simulated service level per interval
    with the normal schedule only (``without``) and with the extra shifts (``with_extra``)."""

    date: dt.date
    multiplier: float
    level: float
    base: DayPlan
    surge_calls: FloatArray
    surge_requirement: IntArray
    extra: Schedule
    without: ScheduleCheck
    with_extra: ScheduleCheck

    @property
    def delta(self) -> IntArray:
        """Extra agents needed per interval."""
        return np.asarray(self.surge_requirement - self.base.requirement, dtype=np.int64)

    @property
    def extra_shifts(self) -> int:
        """How many shifts are added."""
        return sum(s.count for s in self.extra.shifts)

    def rows(self) -> list[dict[str, Any]]:
        """Per interval: calls and agents without and with the event, the SL with the
        normal schedule and with the extra shifts (promised and simulated)."""
        n = len(self.base.calls)
        _, sim_without, _ = _fold(self.without, n)
        promised_with, sim_with, on_phones = _fold(self.with_extra, n)
        return [
            {
                "interval_start": label,
                "calls": float(self.base.calls[i]),
                "surge_calls": float(self.surge_calls[i]),
                "agents": int(self.base.requirement[i]),
                "surge_agents": int(self.surge_requirement[i]),
                "delta": int(self.delta[i]),
                "on_phones_with_extra": int(on_phones[i]),
                "sl_without": float(sim_without[i]),
                "sl_with_extra": float(sim_with[i]),
                "promised_with_extra": float(promised_with[i]),
            }
            for i, label in enumerate(self.base.labels)
        ]

    def format(self) -> str:
        """An aligned table with the day's totals."""
        head = (
            f"{'time':>5} {'calls':>7} {'surge':>7} {'agents':>6} {'surge':>6} {'+':>3} "
            f"{'SL without':>10} {'SL with':>8}"
        )
        lines = [head]
        for r in self.rows():
            lines.append(
                f"{r['interval_start']:>5} {r['calls']:>7.1f} {r['surge_calls']:>7.1f} "
                f"{r['agents']:>6} {r['surge_agents']:>6} {r['delta']:>3} "
                f"{r['sl_without']:>10.1%} {r['sl_with_extra']:>8.1%}"
            )
        lines.append(
            f"{'day':>5} {self.base.calls.sum():>7.1f} {self.surge_calls.sum():>7.1f} "
            f"{'':>6} {'':>6} {'':>3} {self.without.simulated_day:>10.1%} "
            f"{self.with_extra.simulated_day:>8.1%}"
        )
        lines.append(
            f"{self.date} x{self.multiplier:g}: {self.extra_shifts} extra shifts "
            f"({', '.join(f'{n} x {t}' for t, n in self.extra.counts.items() if n)}), "
            f"extra cost {self.extra.shift_cost:.2f}"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _combined(base: Schedule, extra: Schedule, requirement: FloatArray) -> Schedule:
    counts = {t: base.counts.get(t, 0) + extra.counts.get(t, 0) for t in base.counts}
    return Schedule(
        period_minutes=base.period_minutes,
        requirement=requirement,
        shifts=base.shifts + extra.shifts,
        coverage=base.coverage + extra.coverage,
        shift_cost=base.shift_cost + extra.shift_cost,
        shortage_penalty=base.shortage_penalty,
        info=extra.info,
        counts=counts,
        break_periods={**base.break_periods, **extra.break_periods},
    )


def surge_what_if(
    history: History,
    date: dt.date,
    multiplier: float,
    *,
    aht: float,
    target: float,
    level: float = 0.8,
    model: Model | None = None,
    calendar: Calendar | None = None,
    queue: str | None = None,
    staffing: Staffing = "erlang_c",
    patience: float | None = None,
    costs: Costs | None = None,
    period_minutes: float = 15.0,
    shift_types: Sequence[ShiftType] | None = None,
    shortage_penalty: float = 1.0,
    replications: int = 20,
    seed: int = 0,
) -> SurgeWhatIf:
    """What a surge of ``multiplier`` x the calls on ``date`` (a billing day, a campaign)
    needs: the day planned as normal, the forecast with the event (a :class:`SpecialDay`
    of that multiplier), the extra agents per interval, extra shifts (with breaks) covering
    what the normal schedule lacks, and the simulated service level with and without them.
    """
    if not (math.isfinite(multiplier) and multiplier > 0):
        raise ParameterError(f"multiplier must be finite and > 0, got {multiplier!r}")
    model = model or DailyProfile()
    if calendar is None:
        calendar = Calendar.build(open_weekdays={d.weekday() for d in history.dates})
    if not calendar.is_open(date):
        raise ParameterError(f"{date} is not an open day of the calendar")
    normal = model.fit(history, calendar, queue=queue).predict([date]).mean[0]
    events = {d: e for d, e in calendar.special.items() if d != date}
    events[date] = SpecialDay(date, "surge", multiplier=multiplier)
    surged_cal = Calendar(calendar.open_weekdays, calendar.closed, events, calendar.hours)
    surged = model.fit(history, surged_cal, queue=queue).predict([date]).mean[0]
    opts: dict[str, Any] = {
        "aht": aht,
        "target": target,
        "level": level,
        "staffing": staffing,
        "patience": patience,
        "costs": costs,
    }
    base = plan_day(
        normal,
        start=history.start,
        interval=history.interval,
        period_minutes=period_minutes,
        shift_types=shift_types,
        shortage_penalty=shortage_penalty,
        replications=replications,
        seed=seed,
        **opts,
    )
    surge_req = requirement_for(surged, interval=history.interval, **opts)
    k = _per_period(history.interval, period_minutes)
    need = np.repeat(surge_req.astype(np.float64), k)
    types = list(shift_types or default_shift_types(len(normal) * history.interval / 60.0))
    missing = np.maximum(need - base.schedule.coverage, 0.0)
    if missing.any():
        extra = schedule_shifts(
            missing,
            period_minutes=period_minutes,
            shift_types=types,
            shortage_penalty=shortage_penalty,
        )
    else:
        extra = Schedule(
            period_minutes,
            missing,
            (),
            np.zeros(missing.size, dtype=np.int64),
            0.0,
            shortage_penalty,
            base.schedule.info,
            {t.name: 0 for t in types},
            {},
        )
    calls = np.repeat(surged / k, k)
    sim: dict[str, Any] = {
        "aht": aht,
        "target": target,
        "patience": patience,
        "replications": replications,
    }
    without = simulate_schedule(
        _combined(base.schedule, _empty_like(extra), need), calls, seed=seed, **sim
    )
    with_extra = simulate_schedule(_combined(base.schedule, extra, need), calls, seed=seed, **sim)
    return SurgeWhatIf(date, multiplier, level, base, surged, surge_req, extra, without, with_extra)


def _empty_like(extra: Schedule) -> Schedule:
    return Schedule(
        extra.period_minutes,
        extra.requirement,
        (),
        np.zeros_like(extra.coverage),
        0.0,
        extra.shortage_penalty,
        extra.info,
        dict.fromkeys(extra.counts, 0),
        {},
    )
