"""Forecast models for calls per interval, all behind one interface.

``model.fit(history, calendar)`` returns a fitted model; its ``predict(dates)`` gives an
:class:`IntervalForecast` (mean per day and interval, negative binomial quantiles), and
``update(date, observed)`` re-forecasts the rest of a day from its first intervals' counts.

Models:

- :class:`SeasonalNaive`: each interval as on the last open day of the same weekday;
- :class:`WeekdayAverage`: the historical mean of each weekday and interval (the baseline);
- :class:`DailyProfile`: a daily total (weekday effects times an exponentially weighted
  level, its half-life chosen on the training days alone, times a turn-of-month effect on
  the first and last open days of each month) times a weekday intraday profile shrunk
  toward the all-days profile, with special-day multipliers (given, or estimated from past
  days of the same event); the day after a closed day (:mod:`.special_days`) starts from
  the week's opening weekday and is corrected by its past occurrences.

Every model estimates the negative binomial size of its own one-day-ahead errors on the
training days, so its quantiles reflect real over-dispersion, not Poisson noise alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from .calendar import Calendar
from .forecast_dist import nb_quantile
from .history import History
from .special_days import AFTER_CLOSED

__all__ = [
    "DailyProfile",
    "FittedModel",
    "IntervalForecast",
    "Model",
    "SeasonalNaive",
    "WeekdayAverage",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class IntervalForecast:
    """Expected calls per ``(day, interval)`` and the count distribution around them.

    Counts are negative binomial with mean ``mean`` and size ``size[day]`` (variance
    ``mean + mean**2 / size``; ``inf`` is Poisson): one size per day, as uncertainty grows
    with the days ahead.
    """

    method: str
    dates: tuple[dt.date, ...]
    start: int
    interval: int
    mean: FloatArray
    size: FloatArray

    def quantile(self, q: float) -> FloatArray:
        """The ``q`` quantile of calls in each interval."""
        return np.array(
            [nb_quantile(row, float(r), q) for row, r in zip(self.mean, self.size, strict=True)]
        ).reshape(self.mean.shape)

    def bounds(self, level: float = 0.9) -> tuple[FloatArray, FloatArray]:
        """The central prediction interval of ``level`` (e.g. 0.9: the 5 % and 95 % quantiles)."""
        if not 0.0 < level < 1.0:
            raise ParameterError(f"level must be in (0, 1), got {level}")
        tail = (1.0 - level) / 2
        return self.quantile(tail), self.quantile(1.0 - tail)


def _weekdays(dates: Sequence[dt.date]) -> npt.NDArray[np.int64]:
    return np.array([d.weekday() for d in dates], dtype=np.int64)


def _size_from_errors(actual: FloatArray, mean: FloatArray) -> float:
    """Method-of-moments negative binomial size of ``actual`` around ``mean``."""
    keep = mean > 0
    if not keep.any():
        return math.inf
    excess = float(np.sum((actual[keep] - mean[keep]) ** 2 - mean[keep]))
    scale = float(np.sum(mean[keep] ** 2))
    if excess <= 0 or scale <= 0:
        return math.inf
    return scale / excess


class FittedModel:
    """A model fitted to history: predicts whole days and updates a day in progress."""

    method: str = ""

    def __init__(self, history: History, calendar: Calendar, matrix: FloatArray) -> None:
        self.start = history.start
        self.interval = history.interval
        self.calendar = calendar
        self.slots = history.slots
        self.last_date = history.dates[-1]
        self.size = math.inf
        #: Variance of the day's level relative to the forecast (prior of :meth:`update`).
        self.level_var = 0.0
        self._matrix = matrix
        self._dates = history.dates
        self._events_cache: tuple[int, dict[str, FloatArray]] | None = None

    def _day_means(self, dates: Sequence[dt.date]) -> FloatArray:
        raise NotImplementedError

    def predict(self, dates: Sequence[dt.date]) -> IntervalForecast:
        """The forecast for ``dates`` (after the history); closed days are all zero."""
        dates = tuple(dates)
        if not dates:
            raise ParameterError("predict needs at least one date")
        mean = self._day_means(dates)
        for i, day in enumerate(dates):
            if not self.calendar.is_open(day):
                mean[i] = 0.0
                continue
            mean[i] *= self.calendar.open_mask(day, self.start, self.interval, self.slots)
            event = self.calendar.event(day)
            if event is not None:
                if event.multiplier is not None:
                    mean[i] *= event.multiplier
                elif event.profile is None:
                    mean[i] *= self._event_prior(event.name, day) * self._estimated_events().get(
                        event.name, 1.0
                    )
                if event.profile is not None:
                    profile = np.asarray(event.profile, dtype=np.float64)
                    if profile.size != self.slots:
                        raise ParameterError(
                            f"special day {day} ({event.name}): profile has {profile.size} "
                            f"factors, the day has {self.slots} intervals"
                        )
                    mean[i] *= profile
        sizes = np.array([self._size_ahead(self._ahead(day)) for day in dates])
        return IntervalForecast(self.method, dates, self.start, self.interval, mean, sizes)

    def _ahead(self, day: dt.date) -> int:
        """Open days from the end of the history to ``day`` (at least 1)."""
        return max(1, len(self.calendar.open_days(self.last_date + dt.timedelta(days=1), day)))

    def _size_ahead(self, ahead: int) -> float:
        """The negative binomial size ``ahead`` open days out (default: as one day out)."""
        return self.size

    def horizon(self, days: int) -> IntervalForecast:
        """The forecast for the next ``days`` open days of the calendar."""
        return self.predict(self.calendar.next_open(self.last_date, days))

    #: Prior weight, in expected calls, of an event's whole-day ratio in each interval's.
    event_prior_calls = 100.0
    #: Occurrences' worth of "no effect beyond the prior" the log day ratio is shrunk by.
    event_shrinkage = 0.0

    def _event_prior(self, name: str, day: dt.date) -> float:
        """An estimated event's whole-day factor before any past occurrence (1.0)."""
        return 1.0

    def _estimated_events(self) -> dict[str, FloatArray]:
        """Per event name, factors per interval estimated from its past occurrences.

        Over the past days carrying the event (with neither multiplier nor profile given),
        ``A_s`` calls came in interval ``s`` where the model (without the event) expected
        ``E_s``. The day ratio ``R`` is the geometric mean of the days' actual/expected
        totals; each interval's factor is ``(A_s + m R) / (E_s + m)``, shrunk toward ``R``
        with ``m = event_prior_calls`` expected calls of weight. The model's expectation
        includes the event's prior (:meth:`_event_prior`), so the factors are relative to it;
        ``log R`` over ``n`` days is shrunk by ``n / (n + event_shrinkage)``.
        """
        key = id(self.calendar)
        if self._events_cache is not None and self._events_cache[0] == key:
            return self._events_cache[1]
        logs: dict[str, list[float]] = {}
        actual: dict[str, FloatArray] = {}
        expected: dict[str, FloatArray] = {}
        for i, day in enumerate(self._dates):
            event = self.calendar.event(day)
            if event is None or event.multiplier is not None or event.profile is not None:
                continue
            if event.closed:
                continue
            base = self._day_means([day])[0] * self._event_prior(event.name, day)
            if base.sum() > 0 and self._matrix[i].sum() > 0:
                logs.setdefault(event.name, []).append(math.log(self._matrix[i].sum() / base.sum()))
                actual[event.name] = actual.get(event.name, 0.0) + self._matrix[i]
                expected[event.name] = expected.get(event.name, 0.0) + base
        m = self.event_prior_calls
        out = {}
        for name, values in logs.items():
            ratio = math.exp(float(np.sum(values)) / (len(values) + self.event_shrinkage))
            out[name] = (actual[name] + m * ratio) / (expected[name] + m)
        self._events_cache = (key, out)
        return out

    def update(self, date: dt.date, observed: npt.ArrayLike) -> IntervalForecast:
        """Re-forecast ``date`` from its first intervals' counts (``observed``, in order).

        The day's level is scaled by the shrunk ratio of observed to expected calls: with
        prior variance ``level_var`` of the level and sampling variance ``1/E`` plus the
        model's residual dispersion, the weight on the observed ratio is
        ``level_var / (level_var + noise)`` (linear Bayes). Observed intervals keep their
        counts in the returned mean (size of their uncertainty: none).
        """
        base = self.predict([date])
        seen = np.asarray(observed, dtype=np.float64).ravel()
        k = seen.size
        if k > self.slots or np.any(~np.isfinite(seen)) or np.any(seen < 0):
            raise ParameterError(f"observed: at most {self.slots} finite counts >= 0")
        expected = float(base.mean[0, :k].sum())
        factor = 1.0
        if expected > 0 and self.level_var > 0:
            size = float(base.size[0])
            extra = 0.0 if math.isinf(size) else max(1.0 / size - self.level_var, 0.0)
            noise = 1.0 / expected + extra / max(k, 1)
            weight = self.level_var / (self.level_var + noise)
            factor = 1.0 + weight * (float(seen.sum()) / expected - 1.0)
        mean = base.mean.copy()
        mean[0, k:] *= max(factor, 0.0)
        mean[0, :k] = seen
        return IntervalForecast(
            self.method + "+intraday", (date,), self.start, self.interval, mean, base.size
        )


class Model:
    """A forecast method: ``fit(history, calendar)`` gives a :class:`FittedModel`."""

    name = "model"

    def fit(
        self, history: History, calendar: Calendar | None = None, *, queue: str | None = None
    ) -> FittedModel:
        """Fit to ``history`` (one ``queue``, or all queues summed); special and closed days
        come from ``calendar`` (default: open on the weekdays the history has, none special)."""
        if calendar is None:
            calendar = Calendar.build(open_weekdays={d.weekday() for d in history.dates})
        matrix = history.total(queue)
        if matrix.shape[0] < 1:
            raise ParameterError("the history has no days")
        return self._fit(history, calendar, matrix)

    def _fit(self, history: History, calendar: Calendar, matrix: FloatArray) -> FittedModel:
        raise NotImplementedError


def _normal_days(history: History, calendar: Calendar) -> npt.NDArray[np.bool_]:
    """Days that are neither special nor marked closed."""
    return np.array(
        [calendar.event(d) is None and d not in calendar.closed for d in history.dates],
        dtype=bool,
    )


class _SeasonalNaiveFit(FittedModel):
    method = "seasonal naive"

    def __init__(self, history: History, calendar: Calendar, matrix: FloatArray) -> None:
        super().__init__(history, calendar, matrix)
        normal = _normal_days(history, calendar)
        self._last: dict[int, FloatArray] = {}
        days = _weekdays(history.dates)
        actual, mean = [], []
        for i in np.flatnonzero(normal):
            dow = int(days[i])
            if dow in self._last:
                actual.append(matrix[i])
                mean.append(self._last[dow])
            self._last[dow] = matrix[i]
        self._fallback = matrix[np.flatnonzero(normal)[-1] if normal.any() else -1]
        if actual:
            self.size = _size_from_errors(np.array(actual), np.array(mean))
            totals = np.array(actual).sum(1) / np.maximum(np.array(mean).sum(1), 1e-9)
            self.level_var = float(np.var(totals))

    def _day_means(self, dates: Sequence[dt.date]) -> FloatArray:
        return np.array([self._last.get(d.weekday(), self._fallback) for d in dates], dtype=float)


class SeasonalNaive(Model):
    """Each interval as on the most recent normal day of the same weekday."""

    name = "seasonal naive"

    def _fit(self, history: History, calendar: Calendar, matrix: FloatArray) -> FittedModel:
        return _SeasonalNaiveFit(history, calendar, matrix)


class _WeekdayAverageFit(FittedModel):
    method = "weekday x interval average"

    def __init__(self, history: History, calendar: Calendar, matrix: FloatArray) -> None:
        super().__init__(history, calendar, matrix)
        normal = _normal_days(history, calendar)
        days = _weekdays(history.dates)
        rows = matrix[normal] if normal.any() else matrix
        self._all = rows.mean(axis=0)
        self._by_day: dict[int, FloatArray] = {}
        sums: dict[int, FloatArray] = {}
        counts: dict[int, int] = {}
        actual, mean = [], []
        for i in np.flatnonzero(normal):
            dow = int(days[i])
            if counts.get(dow, 0) >= 1:
                actual.append(matrix[i])
                mean.append(sums[dow] / counts[dow])
            sums[dow] = sums.get(dow, 0.0) + matrix[i]
            counts[dow] = counts.get(dow, 0) + 1
        self._by_day = {dow: sums[dow] / counts[dow] for dow in sums}
        if actual:
            self.size = _size_from_errors(np.array(actual), np.array(mean))
            totals = np.array(actual).sum(1) / np.maximum(np.array(mean).sum(1), 1e-9)
            self.level_var = float(np.var(totals))

    def _day_means(self, dates: Sequence[dt.date]) -> FloatArray:
        return np.array([self._by_day.get(d.weekday(), self._all) for d in dates], dtype=float)


class WeekdayAverage(Model):
    """The mean of each interval over past normal days of the same weekday (the baseline)."""

    name = "weekday x interval average"

    def _fit(self, history: History, calendar: Calendar, matrix: FloatArray) -> FittedModel:
        return _WeekdayAverageFit(history, calendar, matrix)


class _DailyProfileFit(FittedModel):
    method = "daily total x profile"

    def __init__(
        self, history: History, calendar: Calendar, matrix: FloatArray, model: DailyProfile
    ) -> None:
        super().__init__(history, calendar, matrix)
        self.event_shrinkage = model.event_shrinkage
        self._opening_prior = model.opening_prior
        normal = _normal_days(history, calendar) & (matrix.sum(axis=1) > 0)
        if not normal.any():
            raise ParameterError("DailyProfile needs at least one normal day with calls")
        days = _weekdays(history.dates)
        totals = matrix.sum(axis=1)
        self._weekday = self._weekday_effects(days, totals, normal, model.window)
        x = totals / np.array([self._weekday.get(int(d), 1.0) for d in days])
        self._month_turn = model.month_turn
        turn = np.array([self.is_month_turn(d) for d in history.dates], dtype=bool)
        self.turn_effect = self._turn_effect(x, turn, normal, model.window, model.turn_shrinkage)
        if turn.any():
            # weekday effects again without the turn days' excess, and the turn effect on them
            plain = np.where(turn, totals / self.turn_effect, totals)
            self._weekday = self._weekday_effects(days, plain, normal, model.window)
            x = totals / np.array([self._weekday.get(int(d), 1.0) for d in days])
            self.turn_effect = self._turn_effect(
                x, turn, normal, model.window, model.turn_shrinkage
            )
        x = np.where(turn, x / self.turn_effect, x)
        half_lives = model.half_lives if model.half_life is None else (model.half_life,)
        # The day after a closed day stays in the level's history as observed (its catch-up
        # carries over to the next days through the persistence), unless ``after_closed_level``
        # is off.
        level_days = normal.copy()
        if model.after_closed_level:
            after = [
                (e := calendar.event(d)) is not None and e.name == AFTER_CLOSED
                for d in history.dates
            ]
            level_days |= np.array(after, dtype=bool) & (totals > 0)
        self._xs = x[level_days]
        self._burn_in = model.burn_in
        self._means = {h: self._ew_means(self._xs, h) for h in half_lives}
        self._choices = [(h, phi) for h in half_lives for phi in model.persistence]
        self._by_ahead: dict[int, tuple[float, float, float, float]] = {}
        self.half_life, self.persistence, self._level, _ = self._level_ahead(1)
        # The one-day-ahead level known before each normal day (the mean of all before any).
        means = self._means[self.half_life]
        pred = np.full(x.size, float(self._xs.mean()))
        idx = np.flatnonzero(level_days)
        pred[idx[1:]] = means[:-1] + self.persistence * (self._xs[:-1] - means[:-1])
        self._profiles = self._profiles_by_day(days, matrix, normal, model.shrinkage)
        self._shape = self._recent_shape(days, matrix, normal, model)
        # One-day-ahead errors on the training days give the dispersion and level variance.
        check = np.flatnonzero(normal)[model.burn_in :]
        if check.size:
            w = np.array([self._weekday.get(int(days[i]), 1.0) for i in check])
            w = np.where(turn[check], w * self.turn_effect, w)
            expected_totals = pred[check] * w
            # Each day's profile without that day itself (leave one out), so the profile's
            # own estimation error shows in the dispersion as it will on a new day.
            prof = np.empty((check.size, matrix.shape[1]))
            k = model.shrinkage
            for row, i in enumerate(check):
                dow = int(days[i])
                own_sum, count = self._own[dow]
                share = matrix[i] / totals[i]
                prof[row] = (own_sum - share + k * self._all) / max(count - 1 + k, 1e-9)
                if count - 1 + k <= 0:
                    prof[row] = self._all
            prof = prof * self._shape_pred[check]
            self.size = _size_from_errors(matrix[check], expected_totals[:, None] * prof)
            self.level_var = float(np.var(totals[check] / expected_totals))

    @staticmethod
    def _weekday_effects(
        days: npt.NDArray[np.int64], totals: FloatArray, normal: npt.NDArray[np.bool_], window: int
    ) -> dict[int, float]:
        """Geometric mean ratio of each weekday's total to a centred moving mean of totals."""
        idx = np.flatnonzero(normal)
        logs: dict[int, list[float]] = {}
        for j, i in enumerate(idx):
            lo, hi = max(0, j - window), min(idx.size, j + window + 1)
            local = float(totals[idx[lo:hi]].mean())
            logs.setdefault(int(days[i]), []).append(math.log(totals[i] / local))
        effects = {d: math.exp(float(np.mean(v))) for d, v in logs.items()}
        scale = float(np.exp(np.mean(np.log(list(effects.values())))))
        return {d: e / scale for d, e in effects.items()}

    def _event_prior(self, name: str, day: dt.date) -> float:
        """The first open day after a closed day opens the week: the weekday effect of the
        calendar's first open weekday replaces its own (``opening_prior``); else 1.0."""
        if name != AFTER_CLOSED or not self._opening_prior:
            return 1.0
        own = self._weekday.get(day.weekday(), 1.0)
        first = min(self.calendar.open_weekdays, default=day.weekday())
        return self._weekday.get(first, own) / own

    def is_month_turn(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the first ``k`` or last ``j`` open days of its month
        (``month_turn = (k, j)``), open days counted on the calendar."""
        first, last = self._month_turn
        if (first <= 0 and last <= 0) or not self.calendar.is_open(day):
            return False
        month_start = day.replace(day=1)
        before = len(self.calendar.open_days(month_start, day - dt.timedelta(days=1)))
        if before < first:
            return True
        if last <= 0:
            return False
        month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return len(self.calendar.open_days(day + dt.timedelta(days=1), month_end)) < last

    @staticmethod
    def _turn_effect(
        x: FloatArray,
        turn: npt.NDArray[np.bool_],
        normal: npt.NDArray[np.bool_],
        window: int,
        shrinkage: float,
    ) -> float:
        """The turn-of-month days' ratio to the centred moving mean of the other days
        (weekday-adjusted totals): geometric mean over the ``n`` turn days, its log shrunk
        by ``n / (n + shrinkage)`` toward no effect (1.0 with no turn day)."""
        idx = np.flatnonzero(normal)
        plain = idx[~turn[idx]]
        logs = []
        for i in idx[turn[idx]]:
            pos = int(np.searchsorted(plain, i))
            near = plain[max(0, pos - window) : pos + window]
            if near.size:
                logs.append(math.log(x[i] / float(x[near].mean())))
        if not logs:
            return 1.0
        return math.exp(float(np.sum(logs)) / (len(logs) + shrinkage))

    @staticmethod
    def _ew_means(xs: FloatArray, half_life: float) -> FloatArray:
        """``m[j]``: the mean of ``xs[: j + 1]`` with weights halving every ``half_life`` days
        back (``inf``: the plain mean, ``0``: the last value alone)."""
        keep = 0.0 if half_life <= 0 else 0.5 ** (1.0 / half_life)
        out = np.empty(xs.size)
        total = weight = 0.0
        for j, value in enumerate(xs):
            total = keep * total + float(value)
            weight = keep * weight + 1.0
            out[j] = total / weight
        return out

    def _level_ahead(self, ahead: int) -> tuple[float, float, float, float]:
        """(half-life, phi, level, relative error variance) for ``ahead`` days out.

        The level is an exponentially weighted mean ``m`` plus ``phi**ahead`` times the last
        day's departure from it (AR(1) persistence). Half-life and ``phi`` are the pair with
        the least squared error ``ahead`` days out over the training days (after
        ``burn_in``); the variance is that of the training days' ratio to their forecast.
        """
        if ahead in self._by_ahead:
            return self._by_ahead[ahead]
        xs = self._xs
        n = xs.size
        best: tuple[float, float, float, float, float] | None = None
        for half_life, phi in self._choices:
            means = self._means[half_life]
            fade = phi**ahead
            level = float(means[-1] + fade * (xs[-1] - means[-1]))
            score = var = 0.0
            if n > ahead:
                pred = means[: n - ahead] + fade * (xs[: n - ahead] - means[: n - ahead])
                keep = np.arange(ahead, n) >= self._burn_in
                if keep.any():
                    err = xs[ahead:][keep] - pred[keep]
                    score = float(np.mean(err**2))
                    var = float(np.mean((xs[ahead:][keep] / pred[keep] - 1.0) ** 2))
            if best is None or score < best[0]:
                best = (score, half_life, phi, level, var)
        assert best is not None
        self._by_ahead[ahead] = best[1:]
        return self._by_ahead[ahead]

    def _size_ahead(self, ahead: int) -> float:
        """One-day-ahead dispersion plus the growth of the level's error variance."""
        growth = max(0.0, self._level_ahead(ahead)[3] - self._level_ahead(1)[3])
        if growth == 0.0:
            return self.size
        return 1.0 / ((0.0 if math.isinf(self.size) else 1.0 / self.size) + growth)

    def _profiles_by_day(
        self,
        days: npt.NDArray[np.int64],
        matrix: FloatArray,
        normal: npt.NDArray[np.bool_],
        shrinkage: float,
    ) -> dict[int, FloatArray]:
        """Weekday intraday shares, shrunk toward the all-days shares by ``shrinkage`` days."""
        shares = matrix[normal] / matrix[normal].sum(axis=1, keepdims=True)
        self._all = shares.mean(axis=0)
        out = {}
        self._own: dict[int, tuple[FloatArray, int]] = {}
        for dow in np.unique(days[normal]):
            own = shares[days[normal] == dow]
            n = own.shape[0]
            self._own[int(dow)] = (own.sum(axis=0), n)
            out[int(dow)] = (own.sum(axis=0) + shrinkage * self._all) / (n + shrinkage)
        return out

    def _recent_shape(
        self,
        days: npt.NDArray[np.int64],
        matrix: FloatArray,
        normal: npt.NDArray[np.bool_],
        model: DailyProfile,
    ) -> FloatArray:
        """Recent days' departure from their weekday profile, exponentially weighted.

        The half-life (normal days) is the one of ``model.shape_half_lives`` with the least
        one-day-ahead squared error of the training days' shares (``inf``: no adjustment);
        ``_shape_pred[i]`` is the adjustment known before day ``i``.
        """
        slots = matrix.shape[1]
        base = np.array([self._profiles.get(int(d), self._all) for d in days])
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = matrix / matrix.sum(axis=1, keepdims=True)
            ratio = np.where(base > 0, shares / base, 1.0)
        best: tuple[float, float, FloatArray, FloatArray] | None = None
        for h in model.shape_half_lives:
            keep = 0.5 ** (1.0 / h) if h > 0 else 0.0
            pred = np.ones((days.size, slots))
            total = np.zeros(slots)
            weight = 0.0
            for i in range(days.size):
                if weight > 0 and math.isfinite(h):
                    adj = total / weight
                    pred[i] = adj / float(np.sum(adj * base[i]))
                if normal[i]:
                    total = keep * total + ratio[i]
                    weight = keep * weight + 1.0
            check = np.flatnonzero(normal)[model.burn_in :]
            score = float(np.sum((shares[check] - base[check] * pred[check]) ** 2))
            current = np.ones(slots)
            if weight > 0 and math.isfinite(h):
                current = total / weight
            if best is None or score < best[0]:
                best = (score, h, pred, current)
        assert best is not None
        _, self.shape_half_life, self._shape_pred, current = best
        return current

    def _day_means(self, dates: Sequence[dt.date]) -> FloatArray:
        rows = []
        for day in dates:
            dow = day.weekday()
            level = self._level_ahead(self._ahead(day))[2]
            total = level * self._weekday.get(dow, 1.0)
            if self.is_month_turn(day):
                total *= self.turn_effect
            profile = self._profiles.get(dow, self._all) * self._shape
            rows.append(total * profile / profile.sum())
        return np.array(rows, dtype=float)


class DailyProfile(Model):
    """Daily total (weekday effect x exponentially weighted level) x intraday profile.

    ``half_life`` (open days) of the level: ``None`` picks, at each fit, the value among
    ``half_lives`` with the smallest one-day-ahead error of the training days' totals
    (``inf`` weighs all days equally). ``shrinkage`` is the weight, in days, of the all-days
    profile in each weekday's profile; ``window`` the half-width (days) of the moving mean
    the weekday effects are measured against; ``burn_in`` the first days not scored.

    ``month_turn = (first, last)``: the first ``first`` and last ``last`` open days of each
    month (open days of the calendar) share one whole-day effect, the geometric mean ratio
    of their weekday-adjusted totals to the moving mean of the other days around them, its
    log shrunk by ``n / (n + turn_shrinkage)`` over ``n`` such past days; ``(0, 0)`` turns
    it off. Turn days stay in the level's history with the effect divided out, and the
    weekday effects are measured again without it. The defaults (3, 1) and 0 were chosen on
    the first 60 days of the 2003 bank series (origins 20-59) only.

    Estimated special days (no multiplier given): the log of the past occurrences' day
    ratio is shrunk by ``n / (n + event_shrinkage)`` (default 1: one occurrence counts
    half). With ``opening_prior``, an :data:`~callroute.wfm.special_days.AFTER_CLOSED` day
    (the day after a holiday) starts from the weekday effect of the week's first open day
    (Monday's, for the Tuesday after a Monday holiday); its past occurrences then correct it.
    With ``after_closed_level`` that day stays in the level's history as observed, so its
    catch-up carries to the next days through the level's persistence.
    """

    name = "daily total x profile"

    def __init__(
        self,
        *,
        half_life: float | None = None,
        half_lives: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf),
        persistence: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8),
        shape_half_lives: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 16.0, math.inf),
        shrinkage: float = 4.0,
        window: int = 5,
        burn_in: int = 5,
        month_turn: tuple[int, int] = (3, 1),
        turn_shrinkage: float = 0.0,
        event_shrinkage: float = 1.0,
        opening_prior: bool = True,
        after_closed_level: bool = True,
    ) -> None:
        if half_life is not None and not half_life >= 0:
            raise ParameterError(f"half_life must be >= 0, got {half_life}")
        if not half_lives or any(not h >= 0 for h in half_lives):
            raise ParameterError("half_lives must be values >= 0")
        if shrinkage < 0 or window < 1 or burn_in < 0:
            raise ParameterError("shrinkage >= 0, window >= 1 and burn_in >= 0 are required")
        self.half_life = half_life
        self.half_lives = tuple(half_lives)
        self.shape_half_lives = tuple(shape_half_lives)
        if not persistence or any(not 0 <= p <= 1 for p in persistence):
            raise ParameterError("persistence values must be in [0, 1]")
        self.persistence = tuple(persistence)
        self.shrinkage = shrinkage
        self.window = window
        self.burn_in = burn_in
        if len(month_turn) != 2 or min(month_turn) < 0 or turn_shrinkage < 0:
            raise ParameterError("month_turn is (first, last) open days >= 0; turn_shrinkage >= 0")
        self.month_turn = (int(month_turn[0]), int(month_turn[1]))
        self.turn_shrinkage = turn_shrinkage
        if not event_shrinkage >= 0:
            raise ParameterError(f"event_shrinkage must be >= 0, got {event_shrinkage}")
        self.event_shrinkage = event_shrinkage
        self.opening_prior = opening_prior
        self.after_closed_level = after_closed_level

    def _fit(self, history: History, calendar: Calendar, matrix: FloatArray) -> FittedModel:
        return _DailyProfileFit(history, calendar, matrix, self)
