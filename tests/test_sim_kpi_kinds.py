"""Ratio KPIs over replications, two ways (issue 15): the ratio of the totals ("ratio of
means", the default, what published simulation studies report, with a delta-method CI) and
the mean of each replication's ratio. With a random daily busyness factor the two differ by
far more than their CIs, and both are checked against Erlang C computed here."""

from __future__ import annotations

import math

import callroute as cr
import numpy as np
import pytest
from callroute.sim import results

AGENTS, LOAD = 10, 6.0  # M/M/10, 6 calls per second of 1 s: 6 Erlangs on an average day
DAYS = (0.5, 1.5)  # the daily multiplier: a quiet day (3 Erlangs) or a busy one (9 Erlangs)


def erlang_c(traffic: float, agents: int) -> float:
    """P(wait) of M/M/c, from the Erlang B recurrence (independent of the library)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def day_model() -> dict[str, object]:
    return {
        "queues": [{"name": "q", "sl_threshold": 0.0}],
        "groups": [{"name": "agents", "count": AGENTS}],
        "calls": [{"name": "c", "queue": "q", "handle": cr.sim.exponential(1.0)}],
        "arrivals": cr.sim.poisson(LOAD),
        "daily_multiplier": cr.sim.empirical(DAYS),
    }


@pytest.fixture(scope="module")
def days() -> cr.SimulationResult:
    # a "day" of 1,000 s counted after 300 s of warm-up: about 3,000 or 9,000 calls
    return cr.simulate(day_model(), horizon=1_300, warmup=300, replications=1_000, seed=11)


def _truths(per_day: dict[float, float]) -> tuple[float, float]:
    """(ratio of means, mean of ratios) of a KPI whose denominator (calls offered or
    answered: all of them, nobody abandons) grows with the day's multiplier."""
    ratio_of_means = sum(m * per_day[m] for m in DAYS) / sum(DAYS)
    mean_of_ratios = sum(per_day.values()) / len(DAYS)
    return ratio_of_means, mean_of_ratios


@pytest.mark.parametrize(
    ("kpi", "per_day"),
    [
        # answered at once over offered
        ("service_level", {m: 1 - erlang_c(LOAD * m, AGENTS) for m in DAYS}),
        # mean wait of answered calls: C / (c mu - lambda)
        ("asa", {m: erlang_c(LOAD * m, AGENTS) / (AGENTS - LOAD * m) for m in DAYS}),
    ],
)
def test_ratio_of_means_and_mean_of_ratios_against_erlang_c(
    days: cr.SimulationResult, kpi: str, per_day: dict[float, float]
) -> None:
    truth_rom, truth_mor = _truths(per_day)
    assert abs(truth_rom - truth_mor) > 0.15  # the two estimands differ clearly here
    rom = days.summary()["all"][kpi]
    mor = days.summary(kind="mean_of_ratios")["all"][kpi]
    assert rom == days.summary(kind="ratio_of_means")["all"][kpi]  # the default
    assert rom.low <= truth_rom <= rom.high, (rom, truth_rom)
    assert mor.low <= truth_mor <= mor.high, (mor, truth_mor)
    # and each interval excludes the other estimand: they are not the same number
    assert not rom.low <= truth_mor <= rom.high
    assert not mor.low <= truth_rom <= mor.high
    # the ratio of means is the totals divided, and the mean of ratios the plain mean
    t = days.totals()
    num, den = results.RATIOS[kpi]
    assert rom.mean == pytest.approx(t[num].sum() / t[den].sum(), rel=1e-12)
    assert mor.mean == pytest.approx(float(np.mean(days.kpi(kpi))), rel=1e-12)


def test_counts_are_the_same_both_ways_and_occupancy_has_both(
    days: cr.SimulationResult,
) -> None:
    rom, mor = days.summary()["all"], days.summary("mean_of_ratios")["all"]
    for count in ("offered", "answered", "exited"):
        assert rom[count] == mor[count]
    busy = days.occupancy()["agents"]
    # busy over staffed seconds of all days: the mean load over the agents
    assert busy.low <= LOAD * np.mean(DAYS) / AGENTS <= busy.high, busy
    assert days.occupancy() == days.utilization
    mean_of_ratios = days.occupancy(kind="mean_of_ratios")["agents"]
    assert mean_of_ratios != busy
    assert mean_of_ratios.low <= LOAD * np.mean(DAYS) / AGENTS <= mean_of_ratios.high


def test_unknown_kind_is_a_parameter_error(days: cr.SimulationResult) -> None:
    for call in (days.summary, days.summary_table, days.occupancy):
        with pytest.raises(cr.ParameterError, match="kind must be one of ratio_of_means"):
            call(kind="median")  # type: ignore[operator]


def test_delta_method_interval_covers_the_true_ratio_95_percent_of_the_time() -> None:
    # Replications with a known ratio of expectations: E[num] / E[den] = 0.3 exactly.
    rng = np.random.default_rng(2026)
    trials, n, covered = 4_000, 30, 0
    for _ in range(trials):
        den = rng.gamma(4.0, 0.25, size=n)  # mean 1, busy and quiet "days"
        num = 0.3 * den + rng.normal(0.0, 0.1, size=n) * den
        est = results._ratio_of_means(num, den)
        covered += est.low <= 0.3 <= est.high
    assert 0.93 <= covered / trials <= 0.97, covered / trials


def test_paired_difference_of_a_variant_to_itself_is_exactly_zero() -> None:
    num = np.array([3.0, 5.0, 2.0])
    den = np.array([10.0, 12.0, 7.0])
    assert results._paired_ratio_difference(num, den, num, den) == (0.0, 0.0)
    est = results._ratio_of_means(num, den)
    assert est.mean == pytest.approx(10.0 / 29.0)
    assert math.isnan(results._ratio_of_means(num[:1], den[:1]).half_width)


def test_paired_ratio_difference_covers_the_true_difference() -> None:
    # two variants on the same days: E[num_a] / E[den] = 0.3, E[num_b] / E[den] = 0.25
    rng = np.random.default_rng(7)
    trials, n, covered, tighter = 3_000, 20, 0, 0
    for _ in range(trials):
        den = rng.gamma(4.0, 0.25, size=n)
        shared = rng.normal(0.0, 0.1, size=n) * den  # what both variants see (the callers)
        a = 0.30 * den + shared + rng.normal(0.0, 0.01, size=n) * den
        b = 0.25 * den + shared + rng.normal(0.0, 0.01, size=n) * den
        d = results._paired_ratio_difference(b, den, a, den)
        covered += d.low <= -0.05 <= d.high
        tighter += d.half_width < results._ratio_of_means(b, den).half_width
    assert 0.93 <= covered / trials <= 0.97, covered / trials
    assert tighter == trials  # pairing removes the shared noise


def test_compare_table_gives_both_kinds() -> None:
    model = day_model()
    variants = {
        "one_more": {**model, "groups": [{"name": "agents", "count": AGENTS + 1}]},
        "base": model,
    }
    comparison = cr.compare(variants, horizon=1_300, warmup=300, replications=30, seed=5)
    a, b = comparison.results["one_more"], comparison.results["base"]
    rom = comparison.table()["base"]["service_level_diff"]
    mor = comparison.table(kind="mean_of_ratios")["base"]["service_level_diff"]
    ta, tb = a.totals(), b.totals()
    expected = tb["answered_within"].sum() / tb["offered"].sum()
    expected -= ta["answered_within"].sum() / ta["offered"].sum()
    assert rom.mean == pytest.approx(expected, rel=1e-12)
    per_day = b.kpi("service_level") - a.kpi("service_level")
    assert mor.mean == pytest.approx(per_day.mean(), rel=1e-12)
    assert rom.high < 0  # one agent fewer answers fewer at once
    assert mor.high < 0
