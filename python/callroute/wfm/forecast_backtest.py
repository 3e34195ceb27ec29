"""Rolling-origin backtests of forecast models, expanding window.

For each origin (every day from ``min_train`` on), each model is fitted on the days before
it and forecasts the day ``h`` open days later, for each horizon ``h``; with ``intraday``
set, it is also updated at that time of day from the day's own first intervals and scored
on the rest of the day (beside the un-updated forecast on the same intervals). Scores per
method and horizon: RMSE, MAPE (intervals with calls), WAPE, and the share of actual counts
inside the central prediction interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from .calendar import Calendar
from .forecast import Model
from .history import History

__all__ = ["BacktestRow", "backtest", "format_table"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BacktestRow:
    """Scores of one method at one horizon over all origins."""

    method: str
    horizon: int
    interval: int
    forecasts: int
    rmse: float
    mape: float
    wape: float
    coverage: float
    level: float
    scope: str = "whole day"


def _scores(
    method: str,
    horizon: int,
    interval: int,
    actual: FloatArray,
    mean: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    level: float,
    scope: str,
) -> BacktestRow:
    err = actual - mean
    pos = actual > 0
    return BacktestRow(
        method=method,
        horizon=horizon,
        interval=interval,
        forecasts=int(actual.shape[0]),
        rmse=float(np.sqrt(np.mean(err**2))),
        mape=float(np.mean(np.abs(err[pos]) / actual[pos])) if pos.any() else math.nan,
        wape=float(np.sum(np.abs(err)) / np.sum(actual)) if actual.sum() > 0 else math.nan,
        coverage=float(np.mean((actual >= lo) & (actual <= hi))),
        level=level,
        scope=scope,
    )


def backtest(
    history: History,
    models: Sequence[Model],
    *,
    calendar: Calendar | None = None,
    horizons: Sequence[int] = (1,),
    min_train: int = 20,
    level: float = 0.9,
    intraday: int | None = None,
    queue: str | None = None,
) -> list[BacktestRow]:
    """Score ``models`` on ``history`` by rolling origin (expanding window).

    Horizons count days of the history (a closed day or gap absent from the history is
    not a forecast target). ``intraday`` is a time of day in seconds (e.g. ``12 * 3600``):
    forecasts are updated with the counts of the intervals ending by then.
    """
    if min_train < 1 or not horizons or min(horizons) < 1:
        raise ParameterError("min_train >= 1 and horizons >= 1 are required")
    n = len(history.dates)
    if n < min_train + min(horizons):
        raise ParameterError(f"{n} days are too few for min_train={min_train}")
    if not 0.0 < level < 1.0:
        raise ParameterError(f"level must be in (0, 1), got {level}")
    cut = None
    if intraday is not None:
        cut = (intraday - history.start) // history.interval
        if not 0 < cut < history.slots:
            raise ParameterError(f"intraday time {intraday} s is outside the day's intervals")
    matrix = history.total(queue)
    if calendar is None:
        calendar = Calendar.build(open_weekdays={d.weekday() for d in history.dates})
    collected: dict[tuple[str, int, str], list[tuple[FloatArray, ...]]] = {}
    for origin in range(min_train, n):
        train = history.days(list(history.dates[:origin]))
        for model in models:
            fitted = model.fit(train, calendar, queue=queue)
            for h in horizons:
                target = origin + h - 1
                if target >= n:
                    continue
                day = history.dates[target]
                fc = fitted.predict([day])
                lo, hi = fc.bounds(level)
                actual = matrix[target]
                key = (model.name, h, "whole day")
                collected.setdefault(key, []).append((actual, fc.mean[0], lo[0], hi[0]))
                if cut is None:
                    continue
                upd = fitted.update(day, actual[:cut])
                ulo, uhi = upd.bounds(level)
                rest = slice(cut, None)
                key = (model.name, h, f"after {cut} intervals")
                collected.setdefault(key, []).append(
                    (actual[rest], fc.mean[0, rest], lo[0, rest], hi[0, rest])
                )
                key = (model.name + " +intraday", h, f"after {cut} intervals")
                collected.setdefault(key, []).append(
                    (actual[rest], upd.mean[0, rest], ulo[0, rest], uhi[0, rest])
                )
    rows = []
    for (method, h, scope), items in collected.items():
        actual, mean, lo, hi = (np.array([it[j] for it in items]) for j in range(4))
        rows.append(_scores(method, h, history.interval, actual, mean, lo, hi, level, scope))
    rows.sort(key=lambda r: (r.scope != "whole day", r.scope, r.horizon))
    return rows


def format_table(rows: Sequence[BacktestRow]) -> str:
    """The rows as an aligned text table (RMSE in calls, MAPE/WAPE/coverage in %)."""
    head = (
        f"{'method':34} {'scope':20} {'min':>4} {'h':>3} {'n':>5} {'RMSE':>8} "
        f"{'MAPE%':>7} {'WAPE%':>7} {'cover%':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.method:34} {r.scope:20} {r.interval // 60:4d} {r.horizon:3d} {r.forecasts:5d} "
            f"{r.rmse:8.2f} {100 * r.mape:7.2f} {100 * r.wape:7.2f} {100 * r.coverage:7.1f}"
        )
    return "\n".join(lines)
