"""Forecast models of callroute.wfm against analytic truth on synthetic counts.

Synthetic days have known rates (Poisson or negative binomial); forecasts must converge to
them, 90 % intervals must cover within a binomial confidence band, special-day multipliers
must be recovered, and the intraday update must equal the gamma-Poisson posterior mean.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from callroute.errors import ParameterError
from callroute.wfm import (
    Calendar,
    DailyProfile,
    History,
    SeasonalNaive,
    SpecialDay,
    WeekdayAverage,
)
from callroute.wfm.forecast_backtest import backtest, format_table
from callroute.wfm.forecast_dist import nb_quantile
from callroute.wfm.history import read_interval_csv

MONDAY = dt.date(2024, 1, 1)
SLOTS = 12
# A known rate per weekday (Mon-Fri) and interval: a hump, Mondays 30 % busier.
SHAPE = np.sin(np.linspace(0.3, math.pi - 0.3, SLOTS))
RATES = {d: 80.0 * SHAPE * (1.3 if d == 0 else 1.0) for d in range(5)}


def _weekdays(count: int, start: dt.date = MONDAY) -> list[dt.date]:
    out, day = [], start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _history(dates: list[dt.date], counts: np.ndarray) -> History:
    zeros = np.zeros((1, *counts.shape))
    return History(
        900, 9 * 3600, tuple(dates), ("q",), counts[None].astype(float), zeros, zeros, zeros, zeros
    )


def _nb(rng: np.random.Generator, mean: np.ndarray, size: float) -> np.ndarray:
    if math.isinf(size):
        return rng.poisson(mean).astype(float)
    return rng.poisson(rng.gamma(size, mean / size)).astype(float)


def _synthetic(days: int, size: float, seed: int) -> tuple[list[dt.date], np.ndarray]:
    rng = np.random.default_rng(seed)
    dates = _weekdays(days)
    mean = np.array([RATES[d.weekday()] for d in dates])
    return dates, _nb(rng, mean, size)


# --- negative binomial quantiles ----------------------------------------------------------


def _brute_quantile(mu: float, size: float, q: float) -> int:
    """Sum the pmf term by term from k = 0 (independent of the windowed implementation)."""
    cdf, k = 0.0, 0
    while True:
        if math.isinf(size):
            logp = k * math.log(mu) - mu - math.lgamma(k + 1)
        else:
            logp = (
                math.lgamma(k + size)
                - math.lgamma(size)
                - math.lgamma(k + 1)
                + size * math.log(size / (size + mu))
                + k * math.log(mu / (size + mu))
            )
        cdf += math.exp(logp)
        if cdf >= q - 1e-12:
            return k
        k += 1


@pytest.mark.parametrize(
    ("mu", "size"), [(0.3, 1.0), (4.0, 2.0), (37.5, 8.0), (900.0, 150.0), (12.0, math.inf)]
)
@pytest.mark.parametrize("q", [0.05, 0.5, 0.9, 0.99])
def test_nb_quantile_matches_the_summed_pmf(mu: float, size: float, q: float) -> None:
    assert nb_quantile([mu], size, q)[0] == _brute_quantile(mu, size, q)


def test_nb_quantile_zero_mean_and_bad_input() -> None:
    assert nb_quantile(np.zeros((2, 3)), 5.0, 0.9).tolist() == [[0.0] * 3] * 2
    with pytest.raises(ParameterError):
        nb_quantile([1.0], 5.0, 1.0)
    with pytest.raises(ParameterError):
        nb_quantile([-1.0], 5.0, 0.5)
    with pytest.raises(ParameterError):
        nb_quantile([1.0], 0.0, 0.5)


# --- convergence to the true rates --------------------------------------------------------


@pytest.mark.parametrize("model", [WeekdayAverage(), DailyProfile(half_life=math.inf)])
def test_forecasts_converge_to_poisson_rates(model: WeekdayAverage | DailyProfile) -> None:
    dates, counts = _synthetic(400, math.inf, seed=1)
    fitted = model.fit(_history(dates, counts))
    fc = fitted.horizon(5)
    truth = np.array([RATES[d.weekday()] for d in fc.dates])
    # 80 weekdays each: the mean's standard error is sqrt(rate / 80), under 1.1 calls.
    assert np.max(np.abs(fc.mean - truth) / np.sqrt(truth / 80)) < 4.5
    assert fitted.size > 200  # Poisson data: no over-dispersion found (size -> inf)


def test_seasonal_naive_repeats_the_last_same_weekday() -> None:
    dates, counts = _synthetic(15, math.inf, seed=2)
    fc = SeasonalNaive().fit(_history(dates, counts)).predict([dates[-1] + dt.timedelta(days=3)])
    assert fc.dates[0].weekday() == 0
    assert fc.mean[0].tolist() == counts[10].tolist()  # the third Monday


def test_estimated_size_of_negative_binomial_counts() -> None:
    dates, counts = _synthetic(600, 10.0, seed=3)
    fitted = WeekdayAverage().fit(_history(dates, counts))
    # Method of moments on 7,000+ cells: within 15 % of the true size 10.
    assert fitted.size == pytest.approx(10.0, rel=0.15)


@pytest.mark.parametrize("model", [WeekdayAverage(), DailyProfile(), SeasonalNaive()])
def test_coverage_of_90_percent_intervals_on_nb_data(
    model: WeekdayAverage | DailyProfile | SeasonalNaive,
) -> None:
    dates, counts = _synthetic(300, 12.0, seed=4)
    fitted = model.fit(_history(dates[:200], counts[:200]))
    fc = fitted.predict(dates[200:])
    lo, hi = fc.bounds(0.9)
    inside = (counts[200:] >= lo) & (counts[200:] <= hi)
    n = inside.size
    # Counts are discrete and bounds inclusive, so coverage is at least 90 % (up to about
    # 92 % at these means); allow 3.3 binomial standard errors either way. Seasonal naive
    # centres its interval on one noisy day, so its errors are shared by all the days after
    # it and are not binomial; its intervals run a few points short (0.81-0.91 over ten
    # seeds): a known weakness of that method, held only to the right region here.
    se = math.sqrt(0.9 * 0.1 / n)
    slack = 3.3 * se if not isinstance(model, SeasonalNaive) else 0.1
    assert 0.9 - slack <= inside.mean() <= 0.92 + slack


# --- special days and closed days ---------------------------------------------------------


def test_special_day_multiplier_estimated_from_past_occurrences() -> None:
    rng = np.random.default_rng(5)
    dates = _weekdays(200)
    billing = {d for d in dates if d.day == 15 or (d.day == 16 and d.weekday() == 0)}
    mean = np.array([RATES[d.weekday()] * (1.6 if d in billing else 1.0) for d in dates])
    counts = _nb(rng, mean, math.inf)
    calendar = Calendar.weekdays(special=[SpecialDay(d, "billing") for d in billing])
    fitted = DailyProfile(half_life=math.inf).fit(_history(dates, counts), calendar)
    future = dt.date(2024, 10, 15)  # a Tuesday
    cal2 = Calendar.weekdays(special=[SpecialDay(future, "billing")])
    fitted.calendar = cal2
    assert "billing" not in fitted._estimated_events()  # no past billing days in cal2
    fitted.calendar = Calendar.weekdays(
        special=[*(SpecialDay(d, "billing") for d in billing), SpecialDay(future, "billing")]
    )
    fc = fitted.predict([future])
    ratio = fc.mean.sum() / RATES[1].sum()
    # About 9 billing days of ~660 calls each: the ratio's standard error is about 1.5 %.
    assert ratio == pytest.approx(1.6, rel=0.06)
    # Special days are left out of the normal days' level and profile.
    plain = fitted.predict([future + dt.timedelta(days=1)])
    assert plain.mean.sum() / RATES[2].sum() == pytest.approx(1.0, rel=0.03)


def test_special_day_profile_estimated_per_interval() -> None:
    # A campaign that triples the last four intervals and leaves the rest alone.
    rng = np.random.default_rng(11)
    dates = _weekdays(300)
    campaign = set(dates[10::15])
    lift = np.array([1.0] * 8 + [3.0] * 4)
    mean = np.array([RATES[d.weekday()] * (lift if d in campaign else 1.0) for d in dates])
    counts = _nb(rng, mean, math.inf)
    future = dt.date(2025, 3, 4)
    special = [SpecialDay(d, "campaign") for d in sorted(campaign)]
    calendar = Calendar.weekdays(special=[*special, SpecialDay(future, "campaign")])
    fitted = WeekdayAverage().fit(_history(dates, counts), calendar)
    with_event = fitted.predict([future]).mean[0]
    fitted.calendar = Calendar.weekdays()  # the same day without the event
    factors = with_event / fitted.predict([future]).mean[0]
    # 20 occurrences of 25-80 calls per interval: each factor within about 10 % of the truth
    # (the prior of 100 expected calls pulls toward the day ratio, about 1.6, by under 7 %).
    assert np.allclose(factors, lift, rtol=0.12)


def test_given_multiplier_profile_and_closed_days() -> None:
    dates, counts = _synthetic(60, math.inf, seed=6)
    tuesday = dt.date(2024, 6, 4)
    holiday = dt.date(2024, 6, 5)
    factors = tuple([1.0] * 6 + [2.0] * 6)
    calendar = Calendar.weekdays(
        special=[
            SpecialDay(tuesday, "campaign", multiplier=1.5, profile=factors),
            SpecialDay(holiday, "holiday", closed=True),
        ],
        closed=[dt.date(2024, 6, 6)],
    )
    fitted = WeekdayAverage().fit(_history(dates, counts), calendar)
    base = fitted.predict([dt.date(2024, 6, 11)]).mean[0]
    fc = fitted.predict([tuesday, holiday, dt.date(2024, 6, 6), dt.date(2024, 6, 8)])
    assert np.allclose(fc.mean[0], base * 1.5 * np.array(factors))
    assert fc.mean[1:].sum() == 0.0  # holiday, closed date, Saturday
    assert fitted.horizon(3).dates == (
        dt.date(2024, 3, 25),
        dt.date(2024, 3, 26),
        dt.date(2024, 3, 27),
    )
    with pytest.raises(ParameterError):
        SpecialDay(tuesday, "x", multiplier=-1.0)


def test_open_hours_zero_the_closed_intervals() -> None:
    dates, counts = _synthetic(30, math.inf, seed=7)
    # Open 10:00-11:30 on Mondays: the slots 09:00-09:45 and 11:30-11:45 get no calls.
    calendar = Calendar.weekdays(hours={0: (10 * 3600, 11 * 3600 + 1800)})
    fc = WeekdayAverage().fit(_history(dates, counts), calendar).predict([dt.date(2024, 3, 4)])
    assert (fc.mean[0, :4] == 0).all()
    assert (fc.mean[0, 4:10] > 0).all()
    assert (fc.mean[0, 10:] == 0).all()


# --- intraday updating --------------------------------------------------------------------


def test_intraday_update_is_the_gamma_poisson_posterior_mean() -> None:
    dates, counts = _synthetic(100, math.inf, seed=8)
    fitted = WeekdayAverage().fit(_history(dates, counts))
    # With a gamma(1/v, v) prior on the day's multiplier and Poisson counts, the posterior
    # mean multiplier after observing N calls where E were expected is (1/v + N) / (1/v + E).
    v = 0.04
    fitted.level_var = v
    fitted.size = math.inf
    day = dt.date(2024, 6, 3)
    expected = fitted.predict([day]).mean[0]
    observed = np.round(expected[:5] * 1.2)
    upd = fitted.update(day, observed)
    posterior = (1 / v + observed.sum()) / (1 / v + expected[:5].sum())
    assert np.allclose(upd.mean[0, 5:], expected[5:] * posterior)
    assert upd.mean[0, :5].tolist() == observed.tolist()


def test_intraday_update_helps_when_days_vary() -> None:
    rng = np.random.default_rng(9)
    dates = _weekdays(260)
    level = rng.gamma(25.0, 1 / 25.0, len(dates))  # day multipliers, CV 20 %
    counts = _nb(rng, np.array([RATES[d.weekday()] for d in dates]) * level[:, None], math.inf)
    fitted = WeekdayAverage().fit(_history(dates[:200], counts[:200]))
    assert fitted.level_var == pytest.approx(0.04, rel=0.3)
    plain, updated = [], []
    for i in range(200, 260):
        fc = fitted.predict([dates[i]]).mean[0, 4:]
        up = fitted.update(dates[i], counts[i, :4]).mean[0, 4:]
        plain.append(np.mean((counts[i, 4:] - fc) ** 2))
        updated.append(np.mean((counts[i, 4:] - up) ** 2))
    assert np.mean(updated) < 0.6 * np.mean(plain)


# --- backtest -----------------------------------------------------------------------------


def test_backtest_on_stationary_poisson_days() -> None:
    dates, counts = _synthetic(80, math.inf, seed=10)
    rows = backtest(_history(dates, counts), [WeekdayAverage(), SeasonalNaive()], horizons=(1, 5))
    table = {(r.method, r.horizon): r for r in rows}
    mean_rate = np.mean([RATES[d.weekday()].mean() for d in dates[20:]])
    # The average's error is Poisson noise plus its own estimation error (>= 4 past days
    # per weekday): RMSE between sqrt(rate) and sqrt(rate * 1.25). Seasonal naive's is
    # the difference of two Poisson counts: sqrt(2 rate).
    avg = table[("weekday x interval average", 1)]
    assert math.sqrt(mean_rate) * 0.9 < avg.rmse < math.sqrt(mean_rate * 1.25) * 1.1
    naive = table[("seasonal naive", 5)]
    assert naive.rmse == pytest.approx(math.sqrt(2 * mean_rate), rel=0.1)
    assert avg.forecasts == 60
    assert table[("weekday x interval average", 5)].forecasts == 56
    assert "RMSE" in format_table(rows)


# --- turn of the month -------------------------------------------------------------------


def test_month_turn_days_are_the_first_and_last_open_days() -> None:
    """Counted on the calendar's open days: a closed 1st pushes the first three along."""
    dates = _weekdays(30, dt.date(2024, 4, 1))
    counts = np.array([RATES[d.weekday()] for d in dates])
    closed = dt.date(2024, 5, 1)  # a Wednesday
    cal = Calendar.build(open_weekdays=range(5), closed=[closed])
    fitted = DailyProfile(month_turn=(3, 1)).fit(_history(dates, counts), cal)
    # April 2024: Mon 1, Tue 2, Wed 3 first; Tue 30 last. May: Thu 2, Fri 3, Mon 6 first.
    may_end = _weekdays(45, dt.date(2024, 4, 1))
    turn = [d for d in may_end if d.month < 6 and fitted.is_month_turn(d)]
    assert turn == [
        dt.date(2024, 4, 1),
        dt.date(2024, 4, 2),
        dt.date(2024, 4, 3),
        dt.date(2024, 4, 30),
        dt.date(2024, 5, 2),
        dt.date(2024, 5, 3),
        dt.date(2024, 5, 6),
        dt.date(2024, 5, 31),
    ]
    off = DailyProfile(month_turn=(0, 0)).fit(_history(dates, counts), cal)
    assert not any(off.is_month_turn(d) for d in dates)
    with pytest.raises(ParameterError):
        DailyProfile(month_turn=(-1, 0))


def test_month_turn_effect_is_recovered_from_synthetic_days() -> None:
    """Poisson days with a known 1.15 x on the first three and last weekday of each month."""
    rng = np.random.default_rng(11)
    dates = _weekdays(160, dt.date(2024, 1, 1))
    model = DailyProfile(month_turn=(3, 1), half_life=math.inf)
    probe = model.fit(_history(dates, np.ones((len(dates), SLOTS))))
    lift = np.array([1.15 if probe.is_month_turn(d) else 1.0 for d in dates])
    mean = np.array([RATES[d.weekday()] for d in dates]) * 10 * lift[:, None]
    fitted = model.fit(_history(dates, rng.poisson(mean).astype(float)))
    assert fitted.turn_effect == pytest.approx(1.15, abs=0.015)  # type: ignore[attr-defined]
    # a turn Monday against a plain Monday: the effect times the same weekday level
    turn_day, plain_day = dt.date(2024, 9, 2), dt.date(2024, 9, 9)
    assert fitted.is_month_turn(turn_day)
    assert not fitted.is_month_turn(plain_day)
    fc = fitted.predict([turn_day, plain_day]).mean
    assert fc[0].sum() / fc[1].sum() == pytest.approx(1.15, abs=0.015)
    assert fc[1].sum() == pytest.approx(RATES[0].sum() * 10, rel=0.02)


# --- the bank series (development workspace only) -----------------------------------------

_ROOT = Path(__file__).resolve().parents[1]
BANK_2003 = next(
    (
        p / "bank-calls-2003" / "calls-5min.csv"
        for p in (_ROOT.parent / "shared" / "data", _ROOT.parents[1] / "shared" / "data")
        if (p / "bank-calls-2003").exists()
    ),
    _ROOT.parent / "shared" / "data" / "bank-calls-2003" / "calls-5min.csv",
)
_NO_BANK = (
    f"bank 2003 arrivals not found at {BANK_2003}: the data set is not part of the "
    "repository, only of the development workspace (../shared/data)"
)


def test_bank_series_one_day_ahead_at_30_minutes() -> None:
    if not BANK_2003.exists():
        pytest.skip(_NO_BANK)
    history = read_interval_csv(BANK_2003).resample(1800)
    rows = backtest(history, [SeasonalNaive(), WeekdayAverage(), DailyProfile()])
    rmse = {r.method: r.rmse for r in rows}
    # The issue measured seasonal naive at about 125 calls on this series.
    assert rmse["seasonal naive"] == pytest.approx(125, rel=0.03)
    # Regression bounds on measured figures (docs/forecast.md: 83.56 against 103.51; days
    # 60-119: 82.64 against 96.49), not independent truth.
    assert rmse["daily total x profile"] < 0.85 * rmse["weekday x interval average"]
    # Out of sample: DailyProfile's defaults were chosen on origins 20-59; days 60-119.
    later = backtest(history, [WeekdayAverage(), DailyProfile()], min_train=60)
    rmse = {r.method: r.rmse for r in later}
    assert rmse["daily total x profile"] < 0.9 * rmse["weekday x interval average"]


def test_bank_series_issue_figure_for_the_average_is_a_mean_of_daily_rmses() -> None:
    """The issue's weekday x interval average, RMSE about 92 and MAPE about 7 %, is the
    mean over the forecast days of each day's own RMSE (from day 20, expanding window);
    the RMSE pooled over every interval is higher. Computed here with numpy alone."""
    if not BANK_2003.exists():
        pytest.skip(_NO_BANK)
    history = read_interval_csv(BANK_2003).resample(1800)
    counts = history.total()
    weekday = np.array([d.weekday() for d in history.dates])
    daily, errors, ape = [], [], []
    for i in range(20, counts.shape[0]):
        same = (weekday[:i] == weekday[i]).nonzero()[0]
        err = counts[i] - counts[same].mean(axis=0)
        daily.append(math.sqrt(float(np.mean(err**2))))
        errors.append(err)
        ape.append(np.abs(err) / counts[i])
    assert float(np.mean(daily)) == pytest.approx(92, abs=1.0)
    assert float(np.mean(ape)) == pytest.approx(0.07, abs=0.005)
    assert math.sqrt(float(np.mean(np.square(errors)))) > 100
