"""Typed results: one Table type with data-frame conversions, Estimate(mean, half_width),
and compare() over named models built with model.with_strategy (issue 12)."""

from __future__ import annotations

import warnings

import callroute as cr
import numpy as np
import pytest
from callroute import sim
from callroute._internal import deprecation
from callroute._internal.tables import Estimate, Table
from callroute.sim.results import half_width


def small_model() -> sim.SimModel:
    return sim.SimModel(
        {
            "queues": [{"name": "q", "sl_threshold": 20.0}],
            "groups": [{"name": "g", "count": 3}],
            "calls": [
                {
                    "name": "c",
                    "queue": "q",
                    "handle": sim.exponential(100.0),
                    "patience": sim.exponential(60.0),
                }
            ],
            "arrivals": sim.poisson(0.02),
            "horizon": 3600.0,
        }
    )


def test_estimate_is_a_mean_and_half_width_that_unpacks() -> None:
    e = Estimate(0.8, 0.05)
    mean, half = e
    assert (mean, half) == (0.8, 0.05)
    assert e.low == pytest.approx(0.75)
    assert e.high == pytest.approx(0.85)


def test_half_width_is_students_t_times_the_standard_error() -> None:
    # 1, 2, 3, 4: sample sd sqrt(5/3); t(0.975, 3 df) = 3.182 (printed tables)
    assert half_width(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(
        3.182 * (5 / 3) ** 0.5 / 2, rel=1e-4
    )
    # non-finite values are left out; fewer than two finite ones give NaN
    assert half_width(np.array([1.0, np.nan, 2.0, np.inf, 3.0, 4.0])) == pytest.approx(
        half_width(np.array([1.0, 2.0, 3.0, 4.0]))
    )
    assert np.isnan(half_width(np.array([1.0, np.nan])))
    assert np.isnan(half_width(np.array([], dtype=np.float64)))


def test_table_is_a_mapping_of_equal_columns() -> None:
    t = Table({"start": [0.0, 1800.0], "label": np.array(["a", "b"], dtype=object)})
    assert list(t) == ["start", "label"]
    assert t.height == 2
    assert list(t.rows()) == [{"start": 0.0, "label": "a"}, {"start": 1800.0, "label": "b"}]
    assert isinstance(next(t.rows())["start"], float)  # plain values, not numpy scalars
    assert t.to_pandas()["label"].tolist() == ["a", "b"]
    assert t.to_polars()["label"].to_list() == ["a", "b"]
    with pytest.raises(ValueError, match="one length"):
        Table({"a": [1, 2], "b": [1]})


def test_simulation_results_are_estimates_and_tables() -> None:
    res = cr.simulate(small_model(), replications=4, seed=9)
    row = res.summary()["q"]
    assert isinstance(row["service_level"], Estimate)
    offered = res.kpi("offered")
    assert row["offered"].mean == pytest.approx(float(offered.mean()))
    # the half-width is the t-based 95 % one: t(0.975, 3) = 3.182
    sd = float(offered.std(ddof=1))
    assert row["offered"].half_width == pytest.approx(3.182 * sd / 2.0, rel=1e-9)
    util = res.utilization["g"]
    assert isinstance(util, Estimate)
    assert 0.0 < util.mean < 1.0
    per_interval = res.intervals()
    assert isinstance(per_interval, Table)
    assert per_interval["offered"].sum() == pytest.approx(float(offered.mean()))
    table = res.summary_table()
    assert list(table) == ["line", "kpi", "mean", "half_width"]
    frame = table.to_pandas()
    got = frame[(frame["line"] == "q") & (frame["kpi"] == "offered")]["mean"].item()
    assert got == row["offered"].mean


def test_staffing_plan_is_a_table() -> None:
    plan = cr.staffing_plan([100, 120], interval=1800, aht=180, target=20, level=0.8)
    t = plan.table
    assert isinstance(t, Table)
    assert t.height == len(plan) == 2
    assert t["agents"].tolist() == plan.agents.tolist()
    assert plan.to_polars()["agents"].to_list() == plan.agents.tolist()
    assert next(iter(plan.rows()))["agents"] == int(plan.agents[0])


def test_with_strategy_sets_every_queue_and_leaves_the_model_alone() -> None:
    model = small_model()
    model["queues"].append({"name": "r"})
    variant = model.with_strategy("round_robin")
    assert isinstance(variant, sim.SimModel)
    assert [q["strategy"] for q in variant["queues"]] == ["round_robin", "round_robin"]
    assert all("strategy" not in q for q in model["queues"])


def test_with_strategy_on_a_center_model_takes_the_center_queues() -> None:
    model = sim.load_model(cr.example_path("outsourcer_model"))
    assert isinstance(model, sim.SimModel)
    variant = model.with_strategy("round_robin")
    assert "center" not in variant
    assert variant["queues"]
    assert all(q["strategy"] == "round_robin" for q in variant["queues"])


def test_compare_takes_named_models() -> None:
    model = small_model()
    comparison = cr.compare(
        {s: model.with_strategy(s) for s in ("longest_idle", "round_robin")},
        replications=4,
        seed=3,
    )
    assert list(comparison.results) == ["longest_idle", "round_robin"]
    table = comparison.table()
    assert isinstance(table["round_robin"]["service_level_diff"], Estimate)
    base = table["longest_idle"]["service_level_diff"]
    assert base.mean == 0.0  # the base against itself, replication by replication


def test_compare_old_form_warns_once_and_gives_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deprecation, "_warned", set())
    model = small_model()
    new = cr.compare(
        {s: model.with_strategy(s) for s in ("longest_idle", "round_robin")},
        replications=3,
        seed=1,
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = cr.compare(dict(model), ["longest_idle", "round_robin"], replications=3, seed=1)
        cr.compare(dict(model), ["longest_idle", "round_robin"], replications=2, seed=1)
    messages = [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]
    assert len(messages) == 1
    assert "with_strategy" in messages[0]
    for name in new.results:
        a, b = new.results[name].kpi("asa"), old.results[name].kpi("asa")
        assert np.array_equal(a, b, equal_nan=True)


def test_compare_refuses_a_bare_model() -> None:
    with pytest.raises(cr.ModelError, match=r"compare\(\) takes \{name: model\}"):
        cr.compare(small_model())
    with pytest.raises(cr.ModelError, match="at least two"):
        cr.compare({"only": small_model()})
