"""Shift scheduling with breaks and meals placed together with the shifts.

The day is cut into periods of ``period_minutes``; ``requirement[t]`` agents are wanted on
the phones in period ``t``. A :class:`ShiftType` has a length, a cost, the starts it may
take and its breaks (:class:`BreakRule`: a duration and a window for its start, in minutes
after the shift starts). The solver chooses how many shifts of each type start in each
period *and*, for each of them, where each break falls, minimising shift costs plus
``shortage_penalty`` per missing agent-period. It is never infeasible: what cannot be
covered at a price worth paying is reported as unmet demand.

Model (implicit breaks, in the style of Aykin 1996): integer ``x[k, s]`` shifts of type
``k`` start in period ``s``; integer ``y[k, s, j, b]`` of them take break ``j`` at offset
``b`` of its window, with ``sum_b y[k, s, j, b] = x[k, s]``; coverage of period ``t`` is the
shifts working at ``t`` minus those on a break at ``t``; a continuous ``u[t] >= 0`` takes the
shortfall. Break windows of one shift type must follow each other without overlap (break
``j + 1`` cannot start before break ``j`` has ended whatever their placement), which makes
any choice of placements a valid shift, so the integer solution splits into individual
shifts exactly (:attr:`Schedule.shifts`).

Solvers: OR-Tools CP-SAT (``pip install 'callroute[wfm]'``, the default when installed) and
HiGHS (``pip install 'callroute[highs]'``, a smaller install that also takes fractional
requirements); see :mod:`callroute.wfm.schedule_solvers`.
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import erlang
from ..errors import ParameterError
from .schedule_solvers import MipModel, SolveInfo, solve_cpsat, solve_highs

__all__ = [
    "BreakRule",
    "Schedule",
    "ScheduledShift",
    "ShiftType",
    "SolveInfo",
    "Solver",
    "coverage_of",
    "schedule_shifts",
]

Solver = Literal["auto", "highs", "cpsat"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BreakRule:
    """A break (or meal) of ``minutes``, starting between ``earliest`` and ``latest``
    minutes after the shift starts (both included)."""

    name: str
    minutes: float
    earliest: float
    latest: float


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift: its length and cost, the starts allowed (minutes after the start of
    the day; ``None``: every period where it fits), its breaks in order, and optionally a
    cap on how many may be used."""

    name: str
    minutes: float
    cost: float
    starts: Sequence[float] | None = None
    breaks: Sequence[BreakRule] = ()
    max_count: int | None = None


@dataclass(frozen=True)
class ScheduledShift:
    """``count`` identical shifts: type, start period and the start period of each break
    (absolute periods of the day, in the order of the type's breaks)."""

    shift_type: str
    start: int
    end: int
    breaks: tuple[int, ...]
    count: int


@dataclass(frozen=True)
class _Type:
    """A shift type in periods, validated."""

    name: str
    length: int
    cost: float
    starts: tuple[int, ...]
    breaks: tuple[tuple[int, int, int], ...]  # (duration, earliest offset, latest offset)
    max_count: int | None


@dataclass(frozen=True)
class Schedule:
    """A day's shifts with their breaks, and what they cover.

    ``coverage`` and ``unmet`` are recomputed from :attr:`shifts` (not read from the solver):
    agents on the phones per period, and ``max(requirement - coverage, 0)``.
    ``counts`` gives the shifts per type, ``break_periods`` each type's break lengths in
    periods (in the order of the shifts' ``breaks``).
    """

    period_minutes: float
    requirement: FloatArray
    shifts: tuple[ScheduledShift, ...]
    coverage: npt.NDArray[np.int64]
    shift_cost: float
    shortage_penalty: float
    info: SolveInfo
    counts: dict[str, int] = field(default_factory=dict)
    break_periods: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def unmet(self) -> FloatArray:
        """Missing agents per period."""
        return np.maximum(self.requirement - self.coverage, 0.0)

    @property
    def over(self) -> FloatArray:
        """Agents beyond the requirement per period."""
        return np.maximum(self.coverage - self.requirement, 0.0)

    @property
    def total_cost(self) -> float:
        """Shift costs plus the shortage penalty on the unmet agent-periods."""
        return self.shift_cost + self.shortage_penalty * float(self.unmet.sum())

    def agents(self) -> Iterator[ScheduledShift]:
        """Each shift once (``count == 1``), in start order."""
        for s in self.shifts:
            for _ in range(s.count):
                yield ScheduledShift(s.shift_type, s.start, s.end, s.breaks, 1)

    def format(self) -> str:
        """A text summary: shifts by start with their breaks, then totals."""
        lines = [f"{'type':<10} {'start':>5} {'end':>5} {'count':>5}  breaks (period)"]
        for s in self.shifts:
            br = " ".join(str(b) for b in s.breaks)
            lines.append(f"{s.shift_type:<10} {s.start:>5} {s.end:>5} {s.count:>5}  {br}")
        lines.append(
            f"shifts {sum(s.count for s in self.shifts)}, shift cost {self.shift_cost:.2f}, "
            f"unmet agent-periods {self.unmet.sum():.2f}, total {self.total_cost:.2f} "
            f"({self.info.solver} {self.info.status}, gap {self.info.gap:.3%}, "
            f"{self.info.seconds:.2f} s)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _periods(what: str, minutes: float, period: float) -> int:
    value = erlang._option(what, minutes)
    if value is None or not math.isfinite(value) or value < 0:
        raise ParameterError(f"{what} must be finite and >= 0, got {minutes!r}")
    n = round(value / period)
    if abs(n * period - value) > 1e-6 * max(1.0, value):
        raise ParameterError(
            f"{what} ({value:g} min) is not a multiple of the {period:g}-min period"
        )
    return n


def _validate(
    types: Sequence[ShiftType], horizon: int, period: float, penalty: float
) -> list[_Type]:
    if not types:
        raise ParameterError("shift_types is empty")
    names = [t.name for t in types]
    if len(set(names)) != len(names):
        raise ParameterError(f"shift type names repeat: {names}")
    out = []
    for t in types:
        where = f"shift type {t.name!r}"
        length = _periods(f"{where}: minutes", t.minutes, period)
        if length < 1:
            raise ParameterError(f"{where}: minutes must be > 0")
        if not (math.isfinite(t.cost) and t.cost > 0):
            raise ParameterError(f"{where}: cost must be finite and > 0, got {t.cost!r}")
        if t.starts is None:
            starts = tuple(range(horizon - length + 1))
        else:
            starts = tuple(sorted({_periods(f"{where}: start", s, period) for s in t.starts}))
            late = [s for s in starts if s + length > horizon]
            if late:
                raise ParameterError(
                    f"{where}: a start at period {late[0]} ends after the day's {horizon} periods"
                )
        breaks = []
        free = 0  # first offset where the next break may start
        for j, b in enumerate(t.breaks):
            bw = f"{where}, break {j} ({b.name!r})"
            d = _periods(f"{bw}: minutes", b.minutes, period)
            lo = _periods(f"{bw}: earliest", b.earliest, period)
            hi = _periods(f"{bw}: latest", b.latest, period)
            if d < 1 or hi < lo:
                raise ParameterError(f"{bw}: needs minutes > 0 and earliest <= latest")
            if hi + d > length:
                raise ParameterError(f"{bw}: may end after the shift ({t.minutes:g} min)")
            if lo < free:
                raise ParameterError(
                    f"{bw}: its window starts before the previous break can have ended; "
                    "break windows must follow each other"
                )
            free = hi + d
            breaks.append((d, lo, hi))
        if t.max_count is not None and (
            isinstance(t.max_count, bool) or not isinstance(t.max_count, int) or t.max_count < 0
        ):
            raise ParameterError(f"{where}: max_count must be an integer >= 0")
        out.append(_Type(t.name, length, float(t.cost), starts, tuple(breaks), t.max_count))
    return out


def _build(types: list[_Type], req: FloatArray, penalty: float) -> MipModel:
    horizon = len(req)
    m = MipModel()
    cover: list[list[tuple[int, float]]] = [[] for _ in range(horizon)]
    worst = penalty * float(req.sum())  # the empty schedule's cost bounds any optimum
    for k, t in enumerate(types):
        ub = math.floor(worst / t.cost + 1e-9)
        if t.max_count is not None:
            ub = min(ub, t.max_count)
        members = []
        for s in t.starts:
            xi = m.var(t.cost, ub, True)
            m.x_index[k, s] = xi
            members.append(xi)
            for p in range(s, s + t.length):
                cover[p].append((xi, 1.0))
            for j, (d, lo, hi) in enumerate(t.breaks):
                row_idx, row_val = [xi], [-1.0]
                for b in range(lo, hi + 1):
                    yi = m.var(0.0, ub, True)
                    m.y_index[k, s, j, b] = yi
                    row_idx.append(yi)
                    row_val.append(1.0)
                    for p in range(s + b, s + b + d):
                        cover[p].append((yi, -1.0))
                m.rows.append((row_idx, row_val, 0.0, 0.0))
        if t.max_count is not None and members:
            m.rows.append((members, [1.0] * len(members), -math.inf, float(t.max_count)))
    for p in range(horizon):
        ui = m.var(penalty, math.inf, False)
        m.u_index.append(ui)
        idx = [i for i, _ in cover[p]] + [ui]
        val = [v for _, v in cover[p]] + [1.0]
        m.rows.append((idx, val, float(req[p]), math.inf))
    return m


def _decode(
    types: list[_Type], model: MipModel, values: Sequence[float]
) -> tuple[tuple[ScheduledShift, ...], dict[str, int]]:
    """Individual shifts from the integer solution: the j-th smallest placement of each
    break goes to the j-th shift of the group (valid since break windows follow each other)."""
    found: Counter[tuple[str, int, int, tuple[int, ...]]] = Counter()
    counts: dict[str, int] = {t.name: 0 for t in types}
    for (k, s), xi in model.x_index.items():
        n = round(values[xi])
        if n <= 0:
            continue
        t = types[k]
        counts[t.name] += n
        per_break: list[list[int]] = []
        for j, (_, lo, hi) in enumerate(t.breaks):
            places: list[int] = []
            for b in range(lo, hi + 1):
                places += [s + b] * round(values[model.y_index[k, s, j, b]])
            if len(places) != n:
                raise AssertionError(f"break {j} of {t.name}@{s}: {len(places)} placed for {n}")
            per_break.append(places)
        for i in range(n):
            found[t.name, s, s + t.length, tuple(br[i] for br in per_break)] += 1
    shifts = tuple(
        ScheduledShift(name, s, e, br, c)
        for (name, s, e, br), c in sorted(
            found.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][3])
        )
    )
    return shifts, counts


def coverage_of(
    shifts: Sequence[ScheduledShift],
    types: Sequence[ShiftType],
    horizon: int,
    period_minutes: float,
) -> npt.NDArray[np.int64]:
    """Agents on the phones per period: shifts working minus those on a break."""
    length = {t.name: [round(b.minutes / period_minutes) for b in t.breaks] for t in types}
    cov = np.zeros(horizon, dtype=np.int64)
    for s in shifts:
        cov[s.start : s.end] += s.count
        for b, d in zip(s.breaks, length[s.shift_type], strict=True):
            cov[b : b + d] -= s.count
    return cov


def _pick_solver(req: FloatArray) -> Solver:
    """CP-SAT when installed and the requirement is whole (it was the faster at 15-minute
    periods, see benches/README.md), else HiGHS, else CP-SAT for its install message."""
    whole = bool(np.all(req == np.round(req)))
    if whole and importlib.util.find_spec("ortools") is not None:
        return "cpsat"
    if importlib.util.find_spec("highspy") is not None:
        return "highs"
    return "cpsat"


def schedule_shifts(
    requirement: Any,
    *,
    period_minutes: float,
    shift_types: Sequence[ShiftType],
    shortage_penalty: float,
    solver: Solver = "auto",
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    threads: int = 1,
) -> Schedule:
    """Shifts and their breaks covering ``requirement`` (agents per period) at least cost.

    Minimises the shifts' cost plus ``shortage_penalty`` per missing agent-period.
    ``solver`` is ``"cpsat"`` (OR-Tools), ``"highs"`` (highspy) or ``"auto"``: CP-SAT
    when OR-Tools is installed and the requirement is in whole agents, else HiGHS. The
    search stops at ``time_limit`` seconds or a relative gap of ``mip_gap`` (``threads``
    CP-SAT workers), and :attr:`Schedule.info` says which.
    """
    req = erlang._array("requirement", requirement).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(req) | (req < 0))
    if bad.size:
        raise ParameterError(
            f"requirement must be finite and >= 0, got {req[bad[0]]} (at period {bad[0]})"
        )
    if req.size == 0:
        raise ParameterError("requirement is empty")
    period = erlang._option("period_minutes", period_minutes)
    if period is None or not (math.isfinite(period) and period > 0):
        raise ParameterError(f"period_minutes must be finite and > 0, got {period_minutes!r}")
    penalty = erlang._option("shortage_penalty", shortage_penalty)
    if penalty is None or not (math.isfinite(penalty) and penalty >= 0):
        raise ParameterError(f"shortage_penalty must be finite and >= 0, got {shortage_penalty!r}")
    if not (math.isfinite(time_limit) and time_limit > 0):
        raise ParameterError(f"time_limit must be finite and > 0, got {time_limit!r}")
    if not (math.isfinite(mip_gap) and mip_gap >= 0):
        raise ParameterError(f"mip_gap must be finite and >= 0, got {mip_gap!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ParameterError(f"threads must be an integer >= 1, got {threads!r}")
    types = _validate(shift_types, req.size, period, penalty)
    model = _build(types, req, penalty)
    if solver == "auto":
        solver = _pick_solver(req)
    if solver == "highs":
        values, info = solve_highs(model, time_limit, mip_gap, threads)
    elif solver == "cpsat":
        values, info = solve_cpsat(model, time_limit, mip_gap, threads)
    else:
        raise ParameterError(f"solver must be 'auto', 'highs' or 'cpsat', got {solver!r}")
    shifts, counts = _decode(types, model, values)
    coverage = coverage_of(shifts, shift_types, req.size, period)
    shift_cost = sum(
        types[[t.name for t in types].index(s.shift_type)].cost * s.count for s in shifts
    )
    return Schedule(
        period_minutes=period,
        requirement=req,
        shifts=shifts,
        coverage=coverage,
        shift_cost=float(shift_cost),
        shortage_penalty=penalty,
        info=info,
        counts=counts,
        break_periods={t.name: tuple(d for d, _, _ in t.breaks) for t in types},
    )
