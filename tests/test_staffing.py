"""Staffing plans: each row is a minimal, correct staffing of its interval."""

from __future__ import annotations

import callroute as cr
import numpy as np
import pytest

CALLS = [0.0, 12.0, 55.5, 130.0, 400.0]


def test_rows_are_minimal_erlang_c_staffing() -> None:
    plan = cr.staffing_plan(CALLS, interval=1800, aht=180, target=20, level=0.8, shrinkage=0.25)
    assert len(plan) == len(CALLS)
    np.testing.assert_allclose(plan.traffic, np.asarray(CALLS) * 180 / 1800)
    for a, n, sl in zip(plan.traffic, plan.agents, plan.service_level, strict=True):
        assert sl == pytest.approx(cr.service_level(a, int(n), 180, 20), rel=1e-15)
        assert sl >= 0.8
        if a > 0 and n - 1 > a:
            assert cr.service_level(a, int(n) - 1, 180, 20) < 0.8
    # zero calls need nobody and keep a perfect service level
    assert plan.agents[0] == 0
    assert plan.service_level[0] == 1.0
    assert plan.asa[0] == 0.0


def test_shrinkage_rounding_is_exact() -> None:
    # 7 agents at 30 % shrinkage: 7 / 0.7 = 10 exactly, not 11 from float noise.
    plan = cr.staffing_plan([39.0], interval=1800, aht=180, target=20, level=0.8, shrinkage=0.3)
    needed = int(plan.agents[0])
    m = int(plan.scheduled[0])
    assert m * 0.7 >= needed - 1e-9
    assert (m - 1) * 0.7 < needed - 1e-9
    plan = cr.staffing_plan(
        [1.0], interval=1, aht=7, target=20, level=0.01, shrinkage=0.3, max_occupancy=1.0
    )
    assert int(plan.agents[0]) == 8
    assert int(plan.scheduled[0]) == 12


def test_max_occupancy_caps_the_plan() -> None:
    plan = cr.staffing_plan(
        [800.0], interval=1800, aht=180, target=20, level=0.5, max_occupancy=0.8
    )
    assert plan.agents[0] == 100  # 80 Erlangs at 80 % occupancy
    assert plan.occupancy[0] <= 0.8


def test_erlang_a_plan_reports_abandonment() -> None:
    plan = cr.staffing_plan(
        CALLS, interval=1800, aht=180, target=20, level=0.8, model="erlang_a", patience=120
    )
    assert plan.p_abandon is not None
    for a, n, sl, ab in zip(
        plan.traffic, plan.agents, plan.service_level, plan.p_abandon, strict=True
    ):
        r = cr.erlang_a(a, int(n), 180, 120, target=20)
        assert sl == pytest.approx(r.service_level, rel=1e-15)
        assert ab == pytest.approx(r.p_abandon, rel=1e-15, abs=1e-300)
        assert sl >= 0.8


def test_tables_and_frames() -> None:
    table = {"interval_start": ["09:00", "09:30"], "calls": [100, 140]}
    plan = cr.staffing_plan(table, interval=1800, aht=200, target=30, level=0.9)
    assert list(plan.labels) == ["09:00", "09:30"]
    pd = pytest.importorskip("pandas")
    df = plan.to_pandas()
    assert list(df["agents"]) == list(plan.agents)
    plan2 = cr.staffing_plan(pd.DataFrame(table), interval=1800, aht=200, target=30, level=0.9)
    assert list(plan2.agents) == list(plan.agents)
    pl = pytest.importorskip("polars")
    assert plan.to_polars().shape == (2, len(plan.columns))
    assert list(
        cr.staffing_plan(pl.DataFrame(table), interval=1800, aht=200, target=30, level=0.9).agents
    ) == list(plan.agents)
    text = str(plan)
    assert "09:30" in text
    assert "total" in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"aht": 0}, "aht"),
        ({"interval": float("nan")}, "interval"),
        ({"model": "erlang_x"}, "model"),
        ({"model": "erlang_a"}, "patience"),
        ({"level": 1.5}, "level"),
        ({"patience": 100}, "erlang_a"),
    ],
)
def test_bad_plan_input_is_named(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"interval": 1800, "aht": 180, "target": 20, "level": 0.8}
    args.update(kwargs)
    with pytest.raises(cr.ParameterError, match=match):
        cr.staffing_plan([10.0, 20.0], **args)  # type: ignore[arg-type]


def test_bad_calls_name_the_index() -> None:
    with pytest.raises(cr.ParameterError, match=r"calls .* \(at index \(2,\)\)"):
        cr.staffing_plan([1, 2, -3], interval=1800, aht=180, target=20, level=0.8)
    with pytest.raises(cr.ParameterError, match="no 'calls' column"):
        cr.staffing_plan({"volume": [1]}, interval=1800, aht=180, target=20, level=0.8)
