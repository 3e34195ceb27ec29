"""Interval staffing plans: calls per interval in, agents per interval out.

For each interval the plan gives the offered traffic, the fewest agents that meet the
service target (Erlang C, or Erlang A with abandonment), the agents to *schedule* once
shrinkage (breaks, training, absence: the share of paid time not available for calls) is
taken into account, and what that staffing is expected to achieve.

Rounding: ``agents`` is the smallest whole number of agents meeting every constraint.
``scheduled`` is the smallest whole number ``m`` with ``m * (1 - shrinkage) >= agents``, i.e.
``ceil(agents / (1 - shrinkage))`` computed so that float noise cannot add an agent
(7 / 0.7 is 10, not 11). The expected service level, ASA, occupancy (and abandonment) are
those of ``agents`` on the phones: scheduling more covers shrinkage, it does not add capacity.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import erlang
from ._internal.deprecation import warn_once
from ._internal.tables import Table
from .errors import ParameterError

__all__ = ["StaffingPlan", "staffing_plan"]

Model = Literal["erlang_c", "erlang_a"]

_TIME_COLUMNS = ("interval_start", "interval", "time", "start", "period")


@dataclass(frozen=True)
class StaffingPlan:
    """A staffing plan, one row per interval, held as columns (numpy arrays).

    Convert with :meth:`to_pandas` or :meth:`to_polars`, iterate rows with :meth:`rows`,
    or ``print`` it as a table. ``labels`` names each interval (its start, ``"09:30"``, or
    its index); the interval length in seconds is ``parameters["interval"]``.
    """

    labels: npt.NDArray[np.object_]
    calls: npt.NDArray[np.float64]
    traffic: npt.NDArray[np.float64]
    agents: npt.NDArray[np.int64]
    scheduled: npt.NDArray[np.int64]
    service_level: npt.NDArray[np.float64]
    asa: npt.NDArray[np.float64]
    occupancy: npt.NDArray[np.float64]
    p_abandon: npt.NDArray[np.float64] | None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The columns by name, in display order."""
        cols: dict[str, npt.NDArray[Any]] = {
            "interval": self.labels,
            "calls": self.calls,
            "traffic": self.traffic,
            "agents": self.agents,
            "scheduled": self.scheduled,
            "service_level": self.service_level,
            "asa": self.asa,
            "occupancy": self.occupancy,
        }
        if self.p_abandon is not None:
            cols["p_abandon"] = self.p_abandon
        return cols

    @property
    def interval(self) -> npt.NDArray[np.object_]:
        """Deprecated: the interval labels are :attr:`labels` (``interval`` is seconds
        everywhere else: ``parameters["interval"]``)."""
        warn_once(
            "callroute.StaffingPlan", "interval", "StaffingPlan.interval is deprecated; use .labels"
        )
        return self.labels

    def __len__(self) -> int:
        """The number of intervals."""
        return len(self.calls)

    @property
    def table(self) -> Table:
        """The plan as a :class:`~callroute.sim.Table` (the columns of :attr:`columns`)."""
        return Table(self.columns)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each interval as a dict of plain Python values."""
        return self.table.rows()

    @property
    def agent_hours(self) -> float:
        """Scheduled agent-hours over the whole plan."""
        seconds = float(self.parameters.get("interval", 0.0))
        return float(self.scheduled.sum()) * seconds / 3600.0

    def to_pandas(self) -> Any:
        """The plan as a ``pandas.DataFrame`` (needs pandas)."""
        return self.table.to_pandas()

    def to_polars(self) -> Any:
        """The plan as a ``polars.DataFrame`` (needs polars; the labels become strings)."""
        return self.table.to_polars()

    def format(self) -> str:
        """The plan as an aligned text table with a totals line, and a note naming the
        overloaded intervals (offered load >= agents on the phones), if any."""
        headers = ["interval", "calls", "traffic", "agents", "scheduled", "SL", "ASA s", "occ"]
        if self.p_abandon is not None:
            headers.append("abandon")
        lines = []
        for i in range(len(self)):
            row = [
                str(self.labels[i]),
                f"{self.calls[i]:.1f}",
                f"{self.traffic[i]:.2f}",
                str(self.agents[i]),
                str(self.scheduled[i]),
                f"{self.service_level[i]:.1%}",
                _seconds(self.asa[i]),
                f"{self.occupancy[i]:.1%}",
            ]
            if self.p_abandon is not None:
                row.append(f"{self.p_abandon[i]:.1%}")
            lines.append(row)
        total = [
            "total",
            f"{self.calls.sum():.1f}",
            "",
            str(self.agents.sum()),
            str(self.scheduled.sum()),
            "",
            "",
            "",
        ]
        if self.p_abandon is not None:
            total.append("")
        widths = [max(len(r[c]) for r in [headers, total, *lines]) for c in range(len(headers))]

        def fmt(r: Sequence[str]) -> str:
            return "  ".join(
                v.ljust(w) if c == 0 else v.rjust(w)
                for c, (v, w) in enumerate(zip(r, widths, strict=True))
            )

        rule = "  ".join("-" * w for w in widths)
        text = [fmt(headers), rule, *map(fmt, lines), rule, fmt(total)]
        over = np.flatnonzero((self.traffic > 0) & (self.traffic >= self.agents))
        if over.size:
            names = ", ".join(str(self.labels[i]) for i in over[:10])
            more = f" and {over.size - 10} more" if over.size > 10 else ""
            meaning = (
                "only abandonment keeps their queues finite"
                if self.p_abandon is not None
                else "their queues grow without bound (ASA inf: every caller waits)"
            )
            text.append(
                f"note: overloaded (offered load >= agents on the phones) in {over.size} "
                f"interval(s): {names}{more}; {meaning}"
            )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.format()


def _seconds(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.1f}"


def _scheduled(agents: npt.NDArray[np.int64], shrinkage: float) -> npt.NDArray[np.int64]:
    """Smallest m with m * (1 - shrinkage) >= agents, immune to float noise."""
    available = 1.0 - shrinkage
    m = np.ceil(agents / available - 1e-9).astype(np.int64)
    return np.maximum(m, agents)


def _columns_of(table: Any) -> dict[str, Any] | None:
    """The columns of a pandas/polars DataFrame or a mapping of columns, else None."""
    if isinstance(table, Mapping):
        return dict(table)
    columns = getattr(table, "columns", None)
    if columns is not None and not isinstance(table, np.ndarray):
        return {str(c): np.asarray(table[c]) for c in columns}
    return None


def _split_table(
    calls: Any, time_column: str | None, calls_column: str
) -> tuple[npt.NDArray[np.object_] | None, Any]:
    cols = _columns_of(calls)
    if cols is None:
        return None, calls
    if calls_column not in cols:
        raise ParameterError(
            f"calls table has no {calls_column!r} column (columns: {sorted(cols)})"
        )
    name = time_column
    if name is None:
        name = next((c for c in _TIME_COLUMNS if c in cols), None)
    elif name not in cols:
        raise ParameterError(f"calls table has no {name!r} column (columns: {sorted(cols)})")
    labels = None if name is None else np.asarray([str(v) for v in cols[name]], dtype=object)
    return labels, cols[calls_column]


def _positive(name: str, value: object) -> float:
    number = erlang._option(name, value)
    if number is None or not (math.isfinite(number) and number > 0):
        raise ParameterError(f"{name} must be finite and > 0, got {value!r}")
    return number


def _forecast_parts(calls: Any) -> tuple[Mapping[str, Any], float | None] | None:
    """``(columns, interval)`` of a :class:`callroute.Forecast`, else ``None``. The forecast
    module sits above this one, so a forecast is recognised by its fields."""
    if not dataclasses.is_dataclass(calls) or isinstance(calls, type):
        return None
    if not {"labels", "calls", "interval"} <= {f.name for f in dataclasses.fields(calls)}:
        return None
    columns: Mapping[str, Any] = getattr(calls, "columns")  # noqa: B009 (a field of a dataclass)
    interval: float | None = getattr(calls, "interval")  # noqa: B009
    return columns, interval


def staffing_plan(
    calls: Any,
    *,
    interval: float | None = None,
    aht: float,
    target: float,
    level: float,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    model: Model = "erlang_c",
    patience: float | None = None,
    max_abandon: float | None = None,
    sl_definition: erlang.ServiceLevelDefinition = "offered",
    time_column: str | None = None,
    calls_column: str = "calls",
) -> StaffingPlan:
    """Staff each interval of a forecast to answer ``level`` of calls within ``target`` s.

    :param calls: calls offered per interval: a :class:`~callroute.Forecast` (its labels,
        calls and interval), a sequence or array, or a table (pandas or polars DataFrame, or
        a mapping of columns) with a ``calls_column`` and optionally a time column
        (``interval_start``, ``time``... or ``time_column``) whose values label the rows.
    :param interval: the interval length in seconds, > 0; by default the forecast's (needed
        with any other ``calls``).
    :param aht: average handle time in seconds, > 0.
    :param target: the service-level threshold in seconds, >= 0.
    :param level: the fraction of calls to answer within ``target``, in [0, 1).
    :param shrinkage: the share of paid time not on the phones (breaks, training), in
        [0, 1): ``scheduled = ceil(agents / (1 - shrinkage))``.
    :param max_occupancy: cap on ``traffic / agents`` per interval (``None``: none).
    :param model: ``"erlang_c"``, or ``"erlang_a"`` to take abandonment into account
        (needs ``patience``, the mean patience in seconds, and may add ``max_abandon``,
        the highest abandonment rate allowed).
    :param patience: mean patience in seconds (Erlang A only).
    :param max_abandon: the highest abandonment rate allowed (Erlang A only).
    :param sl_definition: what the service level divides by (see
        :func:`callroute.erlang_a`).
    :param time_column: the column labelling the intervals (default: the first of
        ``interval_start``, ``interval``, ``time``, ``start``, ``period`` present).
    :param calls_column: the column holding the calls.
    :returns: a :class:`StaffingPlan`, one row per interval (``labels``, ``calls``,
        ``traffic``, ``agents``, ``scheduled``, ``service_level``, ``asa``, ``occupancy``,
        and ``p_abandon`` with Erlang A).
    :raises ~callroute.errors.ParameterError: naming the argument, column or first bad
        interval when an input is out of its domain.
    """
    forecast = _forecast_parts(calls)
    if forecast is not None:
        calls, known = forecast
        if interval is None:
            interval = known
        elif known is not None and _positive("interval", interval) != known:
            raise ParameterError(
                f"interval={interval!r} s, but the forecast's intervals are {known:g} s long"
            )
    if interval is None:
        raise ParameterError(
            "interval (seconds) is needed: the calls do not say how long an interval is"
            + (" (the forecast's labels are not times, or it has one row)" if forecast else "")
        )
    labels, raw = _split_table(calls, time_column, calls_column)
    counts = erlang._array("calls", raw).reshape(-1)  # numbers only: no str, bool or mask
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if bad.size:
        raise ParameterError(
            f"calls must be finite and >= 0, got {counts[bad[0]]} (at index ({bad[0]},))"
        )
    interval, aht = _positive("interval", interval), _positive("aht", aht)
    share = erlang._option("shrinkage", shrinkage)
    if share is None or not 0.0 <= share < 1.0:
        raise ParameterError(f"shrinkage must be >= 0 and < 1, got {shrinkage!r}")
    shrinkage = share
    if labels is None:
        labels = np.asarray([str(i) for i in range(len(counts))], dtype=object)

    traffic = counts * aht / interval
    p_abandon: npt.NDArray[np.float64] | None = None
    if model == "erlang_c":
        if patience is not None or max_abandon is not None:
            raise ParameterError("patience and max_abandon apply to model='erlang_a' only")
        agents = erlang.agents_for_service_level(
            traffic, aht, target, level, max_occupancy=max_occupancy
        )
        sl = erlang.service_level(traffic, agents, aht, target)
        speed = erlang.asa(traffic, agents, aht)
        occ = erlang.occupancy(traffic, agents)
    elif model == "erlang_a":
        if patience is None:
            raise ParameterError("model='erlang_a' needs patience (mean patience in seconds)")
        agents = erlang.agents_for_erlang_a(
            traffic,
            aht,
            patience,
            target=target,
            level=level,
            max_abandon=max_abandon,
            max_occupancy=max_occupancy,
            sl_definition=sl_definition,
        )
        result = erlang.erlang_a(
            traffic, agents, aht, patience, target=target, sl_definition=sl_definition
        )
        sl = np.asarray(result.service_level)
        speed = np.nan_to_num(np.asarray(result.asa), nan=0.0)
        occ = np.asarray(result.occupancy)
        p_abandon = np.asarray(result.p_abandon, dtype=np.float64)
    else:
        raise ParameterError(f"model must be 'erlang_c' or 'erlang_a', got {model!r}")

    agents_arr = np.asarray(agents, dtype=np.int64).reshape(-1)
    return StaffingPlan(
        labels=labels,
        calls=counts,
        traffic=np.asarray(traffic, dtype=np.float64),
        agents=agents_arr,
        scheduled=_scheduled(agents_arr, float(shrinkage)),
        service_level=np.asarray(sl, dtype=np.float64).reshape(-1),
        asa=np.asarray(speed, dtype=np.float64).reshape(-1),
        occupancy=np.asarray(occ, dtype=np.float64).reshape(-1),
        p_abandon=p_abandon,
        parameters={
            "interval": float(interval),
            "aht": float(aht),
            "target": float(target),
            "level": float(level),
            "shrinkage": float(shrinkage),
            "max_occupancy": max_occupancy,
            "model": model,
            "patience": patience,
            "max_abandon": max_abandon,
            "sl_definition": sl_definition,
        },
    )
