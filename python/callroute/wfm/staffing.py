"""Staffing at a chosen cost/service point: cost-optimal agents, the cost frontier,
staffing against an uncertain forecast (newsvendor) and a daily service level at least cost.

Everything builds on the exact Erlang C/A of :mod:`callroute.erlang`. Money is in any one
currency; times are in seconds unless a name says otherwise.

The cost of one interval staffed with ``n`` agents on the phones is::

    wage_per_hour * n / (1 - shrinkage) * interval / 3600      (paid time, shrinkage included)
  + per_abandon     * calls * P(abandon | n)                    (Erlang A only)
  + per_wait_minute * calls * mean_wait(n) / 60                 (every caller's wait)

where ``mean_wait`` is the mean wait of all calls (abandoned ones included) under Erlang A,
or the mean wait ``C(n) * aht / (n - R)`` under Erlang C (``patience=None``).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import erlang
from ..errors import ParameterError
from ..staffing import _scheduled

__all__ = [
    "CostFrontier",
    "CostOptimalPlan",
    "Costs",
    "cost_frontier",
    "cost_optimal_staffing",
    "daily_service_level_staffing",
    "newsvendor_fractile",
    "quantile_calls",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Costs:
    """Money per unit: an agent's paid hour, an abandoned call, a minute a caller waits."""

    wage_per_hour: float
    per_abandon: float = 0.0
    per_wait_minute: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.wage_per_hour) and self.wage_per_hour > 0):
            raise ParameterError(
                f"Costs.wage_per_hour must be finite and > 0, got {self.wage_per_hour!r}"
            )
        for name in ("per_abandon", "per_wait_minute"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ParameterError(f"Costs.{name} must be finite and >= 0, got {value!r}")


def _check(name: str, value: float, *, low: float = 0.0, strict: bool = True) -> float:
    number = erlang._option(name, value)
    ok = (
        number is not None and math.isfinite(number) and (number > low if strict else number >= low)
    )
    if not ok:
        raise ParameterError(
            f"{name} must be finite and {'>' if strict else '>='} {low}, got {value!r}"
        )
    assert number is not None
    return number


def _calls(calls: Any) -> FloatArray:
    counts = erlang._array("calls", calls).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if bad.size:
        raise ParameterError(
            f"calls must be finite and >= 0, got {counts[bad[0]]} (at index {bad[0]})"
        )
    return counts


def _shrinkage(value: float) -> float:
    share = erlang._option("shrinkage", value)
    if share is None or not 0.0 <= share < 1.0:
        raise ParameterError(f"shrinkage must be >= 0 and < 1, got {value!r}")
    return share


@dataclass(frozen=True)
class _Outcome:
    """Queue measures for candidate staffing levels of one interval (arrays over agents)."""

    agents: IntArray
    service_level: FloatArray | None
    p_abandon: FloatArray
    asa: FloatArray
    mean_wait: FloatArray
    occupancy: FloatArray


def _outcome(
    traffic: float, agents: IntArray, aht: float, patience: float | None, target: float | None
) -> _Outcome:
    n = agents.astype(np.float64)
    if patience is None:
        asa = np.asarray(erlang.asa(traffic, n, aht), dtype=np.float64)
        sl = None if target is None else np.asarray(erlang.service_level(traffic, n, aht, target))
        occ = np.asarray(erlang.occupancy(traffic, n), dtype=np.float64)
        return _Outcome(agents, sl, np.zeros_like(n), asa, asa, occ)
    res = erlang.erlang_a(traffic, n, aht, patience, target=target)
    sl = None if res.service_level is None else np.asarray(res.service_level, dtype=np.float64)
    return _Outcome(
        agents,
        sl,
        np.asarray(res.p_abandon, dtype=np.float64),
        np.nan_to_num(np.asarray(res.asa, dtype=np.float64), nan=0.0),
        np.asarray(res.mean_wait, dtype=np.float64),
        np.asarray(res.occupancy, dtype=np.float64),
    )


def _cost_parts(
    out: _Outcome, calls: float, interval: float, shrinkage: float, costs: Costs
) -> tuple[FloatArray, FloatArray, FloatArray]:
    wage = costs.wage_per_hour * out.agents / (1.0 - shrinkage) * interval / 3600.0
    abandon = costs.per_abandon * calls * out.p_abandon
    wait = costs.per_wait_minute * calls * out.mean_wait / 60.0
    wait = np.where(np.isfinite(wait), wait, np.inf) if calls > 0 else np.zeros_like(wage)
    return wage.astype(np.float64), abandon.astype(np.float64), wait.astype(np.float64)


def _lowest(traffic: float, patience: float | None) -> int:
    """Fewest agents worth considering: a stable queue under Erlang C, none under A."""
    if patience is None and traffic > 0:
        return math.floor(traffic) + 1
    return 0


def _optimum(
    calls: float,
    traffic: float,
    *,
    interval: float,
    aht: float,
    patience: float | None,
    costs: Costs,
    shrinkage: float,
    max_occupancy: float | None,
    target: float | None,
) -> tuple[int, _Outcome, tuple[FloatArray, FloatArray, FloatArray]]:
    """The exact cost-minimising agents of one interval, searched until wages alone exceed
    the best total found (beyond that no staffing can be cheaper)."""
    lo = _lowest(traffic, patience)
    if max_occupancy is not None and traffic > 0 and patience is None:
        # Erlang C occupancy is R / n; under Erlang A abandons lower it, so only filter
        lo = max(lo, math.floor(traffic / max_occupancy))
    hi = lo + int(8 * math.sqrt(traffic) + 20)
    wage_per_agent = costs.wage_per_hour / (1.0 - shrinkage) * interval / 3600.0
    while True:
        agents = np.arange(lo, hi + 1, dtype=np.int64)
        out = _outcome(traffic, agents, aht, patience, target)
        parts = _cost_parts(out, calls, interval, shrinkage, costs)
        total = parts[0] + parts[1] + parts[2]
        if max_occupancy is not None:
            total = np.where(out.occupancy <= max_occupancy + 1e-12, total, np.inf)
        best = int(np.argmin(total))
        if math.isfinite(total[best]) and wage_per_agent * (hi + 1) >= total[best]:
            return best, out, parts
        hi = lo + 2 * (hi - lo) + 1


class _ColumnTable:
    """Rows, length and text of a result whose ``columns`` are equal-length arrays."""

    @property
    def columns(self) -> dict[str, npt.NDArray[Any]]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row (an interval, or a staffing level) as a dict of plain Python values."""
        return _rows(self.columns, len(self))

    def format(self) -> str:
        """An aligned text table."""
        return _format(self.columns, len(self))

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class CostOptimalPlan(_ColumnTable):
    """Cost-optimal staffing, one row per interval, as columns (numpy arrays)."""

    calls: FloatArray
    traffic: FloatArray
    agents: IntArray
    scheduled: IntArray
    service_level: FloatArray | None
    p_abandon: FloatArray
    asa: FloatArray
    mean_wait: FloatArray
    occupancy: FloatArray
    wage_cost: FloatArray
    abandon_cost: FloatArray
    wait_cost: FloatArray
    parameters: Mapping[str, Any]

    @property
    def total_cost(self) -> FloatArray:
        """Wage + abandonment + waiting cost per interval."""
        return self.wage_cost + self.abandon_cost + self.wait_cost

    @property
    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The columns by name, in display order."""
        cols: dict[str, npt.NDArray[Any]] = {
            "calls": self.calls,
            "traffic": self.traffic,
            "agents": self.agents,
            "scheduled": self.scheduled,
        }
        if self.service_level is not None:
            cols["service_level"] = self.service_level
        cols.update(
            p_abandon=self.p_abandon,
            asa=self.asa,
            mean_wait=self.mean_wait,
            occupancy=self.occupancy,
            wage_cost=self.wage_cost,
            abandon_cost=self.abandon_cost,
            wait_cost=self.wait_cost,
            total_cost=self.total_cost,
        )
        return cols


def _rows(cols: Mapping[str, npt.NDArray[Any]], n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {k: v[i].item() for k, v in cols.items()}


def _format(cols: Mapping[str, npt.NDArray[Any]], n: int) -> str:
    headers = list(cols)
    body = []
    for i in range(n):
        row = []
        for name in headers:
            v = cols[name][i]
            if name in ("service_level", "p_abandon", "occupancy"):
                row.append(f"{v:.1%}")
            elif np.issubdtype(type(v), np.integer) or isinstance(v, (bool, np.bool_)):
                row.append(str(v))
            else:
                row.append(f"{v:.2f}")
        body.append(row)
    widths = [max(len(r[c]) for r in [headers, *body]) for c in range(len(headers))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def cost_optimal_staffing(
    calls: Any,
    *,
    interval: float,
    aht: float,
    costs: Costs,
    patience: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    target: float | None = None,
) -> CostOptimalPlan:
    """Agents per interval minimising wages + abandonment cost + waiting cost, exactly.

    ``calls`` is the number of calls offered per interval of ``interval`` seconds; ``aht``
    the mean handle time. With ``patience`` (mean patience, seconds) the queue is Erlang A,
    otherwise Erlang C (no abandonment, so ``costs.per_abandon`` plays no role).
    ``max_occupancy`` caps the occupancy; ``target`` (seconds) only adds the service level
    achieved to the plan. The search is exhaustive: each interval's optimum is global.
    """
    counts = _calls(calls)
    interval, aht = _check("interval", interval), _check("aht", aht)
    if patience is not None:
        patience = _check("patience", patience)
    if max_occupancy is not None:
        max_occupancy = _check("max_occupancy", max_occupancy)
        if max_occupancy > 1:
            raise ParameterError(f"max_occupancy must be <= 1, got {max_occupancy!r}")
    if target is not None:
        target = _check("target", target, strict=False)
    share = _shrinkage(shrinkage)
    traffic = counts * aht / interval
    cols: dict[str, list[float]] = {
        k: [] for k in ("n", "sl", "ab", "asa", "mw", "occ", "w", "a", "q")
    }
    for c, r in zip(counts.tolist(), traffic.tolist(), strict=True):
        best, out, parts = _optimum(
            c,
            r,
            interval=interval,
            aht=aht,
            patience=patience,
            costs=costs,
            shrinkage=share,
            max_occupancy=max_occupancy,
            target=target,
        )
        cols["n"].append(int(out.agents[best]))
        cols["sl"].append(float(out.service_level[best]) if out.service_level is not None else 0.0)
        cols["ab"].append(float(out.p_abandon[best]))
        cols["asa"].append(float(out.asa[best]))
        cols["mw"].append(float(out.mean_wait[best]))
        cols["occ"].append(float(out.occupancy[best]))
        for key, part in zip(("w", "a", "q"), parts, strict=True):
            cols[key].append(float(part[best]))
    agents = np.asarray(cols["n"], dtype=np.int64)
    return CostOptimalPlan(
        calls=counts,
        traffic=traffic,
        agents=agents,
        scheduled=_scheduled(agents, share),
        service_level=None if target is None else np.asarray(cols["sl"]),
        p_abandon=np.asarray(cols["ab"]),
        asa=np.asarray(cols["asa"]),
        mean_wait=np.asarray(cols["mw"]),
        occupancy=np.asarray(cols["occ"]),
        wage_cost=np.asarray(cols["w"]),
        abandon_cost=np.asarray(cols["a"]),
        wait_cost=np.asarray(cols["q"]),
        parameters={
            "interval": interval,
            "aht": aht,
            "patience": patience,
            "shrinkage": share,
            "max_occupancy": max_occupancy,
            "target": target,
            "costs": costs,
        },
    )


@dataclass(frozen=True)
class CostFrontier(_ColumnTable):
    """Service against cost for one interval, one row per staffing level.

    ``marginal_cost_per_abandon`` is, for each row, the extra wage paid for that row's last
    agent divided by the abandoned calls it avoids (``inf`` when it avoids none, ``nan`` on
    the first row): where it exceeds what an abandon costs, chasing a lower abandonment rate
    stops paying. ``optimal`` marks the cheapest row.
    """

    agents: IntArray
    service_level: FloatArray | None
    p_abandon: FloatArray
    abandons: FloatArray
    asa: FloatArray
    wage_cost: FloatArray
    abandon_cost: FloatArray
    wait_cost: FloatArray
    total_cost: FloatArray
    marginal_cost_per_abandon: FloatArray
    optimal: npt.NDArray[np.bool_]

    @property
    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The columns by name, in display order."""
        cols: dict[str, npt.NDArray[Any]] = {"agents": self.agents}
        if self.service_level is not None:
            cols["service_level"] = self.service_level
        cols.update(
            p_abandon=self.p_abandon,
            abandons=self.abandons,
            asa=self.asa,
            wage_cost=self.wage_cost,
            abandon_cost=self.abandon_cost,
            wait_cost=self.wait_cost,
            total_cost=self.total_cost,
            marginal_cost_per_abandon=self.marginal_cost_per_abandon,
            optimal=self.optimal,
        )
        return cols


def cost_frontier(
    calls: float,
    *,
    interval: float,
    aht: float,
    costs: Costs,
    patience: float | None = None,
    target: float | None = None,
    shrinkage: float = 0.0,
    agents: Sequence[int] | None = None,
) -> CostFrontier:
    """The service/abandonment-against-cost frontier of one interval of ``calls`` calls.

    ``agents`` lists the staffing levels (default: from the fewest worth considering to a
    few agents past the cost optimum). Same cost model as :func:`cost_optimal_staffing`.
    """
    c = _check("calls", calls, strict=False)
    interval, aht = _check("interval", interval), _check("aht", aht)
    if patience is not None:
        patience = _check("patience", patience)
    if target is not None:
        target = _check("target", target, strict=False)
    share = _shrinkage(shrinkage)
    traffic = c * aht / interval
    if agents is None:
        best, out, _ = _optimum(
            c,
            traffic,
            interval=interval,
            aht=aht,
            patience=patience,
            costs=costs,
            shrinkage=share,
            max_occupancy=None,
            target=target,
        )
        n_best = int(out.agents[best])
        lo = _lowest(traffic, patience)
        levels = np.arange(max(lo, n_best - max(10, int(2 * math.sqrt(traffic)))), n_best + 6)
    else:
        levels = np.asarray(list(agents), dtype=np.int64)
        if levels.size == 0 or np.any(levels < 0) or np.any(np.diff(levels) <= 0):
            raise ParameterError("agents must be a non-empty increasing sequence of counts >= 0")
    levels = levels.astype(np.int64)
    out = _outcome(traffic, levels, aht, patience, target)
    wage, abandon, wait = _cost_parts(out, c, interval, share, costs)
    total = wage + abandon + wait
    abandons = c * out.p_abandon
    marginal = np.full(levels.size, np.nan)
    if levels.size > 1:
        avoided = -np.diff(abandons)
        extra = np.diff(wage)
        with np.errstate(divide="ignore", invalid="ignore"):
            marginal[1:] = np.where(
                avoided > 0, extra / np.where(avoided > 0, avoided, 1.0), np.inf
            )
    optimal = np.zeros(levels.size, dtype=bool)
    optimal[int(np.argmin(total))] = True
    return CostFrontier(
        agents=levels,
        service_level=out.service_level,
        p_abandon=out.p_abandon,
        abandons=abandons,
        asa=out.asa,
        wage_cost=wage,
        abandon_cost=abandon,
        wait_cost=wait,
        total_cost=total,
        marginal_cost_per_abandon=marginal,
        optimal=optimal,
    )


def newsvendor_fractile(cost_under: float, cost_over: float) -> float:
    """The critical fractile ``cost_under / (cost_under + cost_over)``.

    ``cost_under`` is the cost of one agent (or call) too few, ``cost_over`` of one too
    many: staffing for this quantile of the uncertain demand minimises the expected cost.
    """
    cu = _check("cost_under", cost_under, strict=False)
    co = _check("cost_over", cost_over, strict=False)
    if cu + co <= 0:
        raise ParameterError("cost_under + cost_over must be > 0")
    return cu / (cu + co)


def quantile_calls(quantiles: Mapping[float, Any], level: float) -> FloatArray:
    """Calls per interval at quantile ``level`` of a quantile forecast.

    ``quantiles`` maps probability levels (0 < p < 1) to calls per interval (same length).
    Between given levels the calls are interpolated linearly in the level; outside them
    :class:`~callroute.errors.ParameterError` is raised (no extrapolation is invented).
    """
    p = _check("level", level)
    if not p < 1:
        raise ParameterError(f"level must be < 1, got {level!r}")
    if not quantiles:
        raise ParameterError("quantiles is empty")
    levels = sorted(float(k) for k in quantiles)
    if any(not 0 < k < 1 for k in levels):
        raise ParameterError(f"quantile levels must be > 0 and < 1, got {levels}")
    table = np.vstack([_calls(quantiles[k]) for k in sorted(quantiles, key=float)])
    if np.any(np.diff(table, axis=0) < 0):
        bad = int(np.flatnonzero(np.any(np.diff(table, axis=0) < 0, axis=0))[0])
        raise ParameterError(f"quantiles cross: calls decrease with the level at interval {bad}")
    if not levels[0] - 1e-12 <= p <= levels[-1] + 1e-12:
        raise ParameterError(
            f"level {p} is outside the forecast's quantiles {levels[0]}..{levels[-1]}"
        )
    out = np.empty(table.shape[1])
    for j in range(table.shape[1]):
        out[j] = np.interp(p, levels, table[:, j])
    return out


def daily_service_level_staffing(
    calls: Any,
    *,
    interval: float,
    aht: float,
    target: float,
    level: float,
    patience: float | None = None,
    max_step: int = 6,
) -> IntArray:
    """Fewest total agents so that the day as a whole answers ``level`` of its calls within
    ``target`` seconds, letting intervals differ (a busy interval may fall below ``level``
    where an agent buys more service elsewhere).

    Marginal analysis: agents are added one block at a time (up to ``max_step`` agents, to
    cross the convex start of the service-level curve) where they buy the most calls
    answered within target per agent, then any agent not needed is taken back.
    Returns the agents per interval.
    """
    counts = _calls(calls)
    interval, aht = _check("interval", interval), _check("aht", aht)
    target = _check("target", target, strict=False)
    goal = _check("level", level)
    if goal >= 1:
        raise ParameterError(f"level must be < 1, got {level!r}")
    if patience is not None:
        patience = _check("patience", patience)
    traffic = counts * aht / interval
    need = goal * float(counts.sum())

    def good(i: int, n: int) -> float:
        """Calls of interval i answered within target with n agents."""
        if counts[i] == 0:
            return 0.0
        out = _outcome(float(traffic[i]), np.asarray([n], dtype=np.int64), aht, patience, target)
        assert out.service_level is not None
        return float(counts[i] * out.service_level[0])

    agents = np.asarray([_lowest(float(r), patience) for r in traffic], dtype=np.int64)
    value = np.asarray([good(i, int(agents[i])) for i in range(len(counts))])

    def best_step(i: int) -> tuple[float, int]:
        gains = [(good(i, int(agents[i]) + k) - value[i]) / k for k in range(1, max_step + 1)]
        k = int(np.argmax(gains))
        return gains[k], k + 1

    heap = [(-g, i, k) for i in range(len(counts)) for g, k in [best_step(i)] if counts[i] > 0]
    heapq.heapify(heap)
    while value.sum() < need - 1e-9 and heap:
        _, i, k = heapq.heappop(heap)
        agents[i] += k
        value[i] = good(i, int(agents[i]))
        g, k2 = best_step(i)
        heapq.heappush(heap, (-g, i, k2))
    if value.sum() < need - 1e-9:
        raise ParameterError(f"a daily service level of {goal} cannot be reached")
    # take back agents a block step made unnecessary, cheapest loss first
    changed = True
    while changed:
        changed = False
        order = sorted(
            (value[i] - good(i, int(agents[i]) - 1), i)
            for i in range(len(counts))
            if agents[i] > _lowest(float(traffic[i]), patience)
        )
        for loss, i in order:
            if value.sum() - loss >= need - 1e-9:
                agents[i] -= 1
                value[i] -= loss
                changed = True
                break
    return agents
