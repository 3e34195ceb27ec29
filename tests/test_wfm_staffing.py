"""Cost-optimal staffing against independent truth: the Borst-Mandelbaum-Reiman optimum
(y* derived here from the Halfin-Whitt delay probability with mpmath), square-root
staffing, a birth-death chain solved in numpy for Erlang A, and brute force."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from callroute.errors import ParameterError
from callroute.wfm import (
    Costs,
    cost_frontier,
    cost_optimal_staffing,
    daily_service_level_staffing,
    newsvendor_fractile,
    quantile_calls,
)


def hw_delay(beta: mp.mpf) -> mp.mpf:
    """Halfin-Whitt probability of waiting at N = R + beta sqrt(R)."""
    return 1 / (1 + beta * mp.ncdf(beta) / mp.npdf(beta))


def y_star(r: float) -> mp.mpf:
    """argmin of y + r * alpha(y) / y: the BMR cost-optimal square-root coefficient."""
    f = lambda y: y + r * hw_delay(y) / y  # noqa: E731
    return mp.findroot(lambda y: mp.diff(f, y), 1.0)


@pytest.mark.parametrize(("r", "published"), [(1, 0.842), (10, 1.667), (100, 2.474)])
def test_y_star_matches_published_values(r: float, published: float) -> None:
    assert abs(float(y_star(r)) - published) < 5e-4


@pytest.mark.parametrize("load", [400, 900, 1600])
@pytest.mark.parametrize("r", [1, 10, 100])
def test_exact_optimum_within_an_agent_of_bmr(load: int, r: float) -> None:
    # waiting cost per second / wage per second = r: wage 36/h, a waiting minute r*36/60
    wage = 36.0
    costs = Costs(wage, per_wait_minute=r * wage / 60.0)
    interval, aht = 1800.0, 300.0
    plan = cost_optimal_staffing([load * interval / aht], interval=interval, aht=aht, costs=costs)
    approx = load + float(y_star(r)) * math.sqrt(load)
    assert abs(int(plan.agents[0]) - round(approx)) <= 1


def erlang_a_chain(
    lam: float, mu: float, theta: float, n: int, cap: int = 4000
) -> tuple[float, float]:
    """P(abandon) and mean wait of M/M/n+M from its truncated birth-death chain."""
    k = np.arange(cap + 1)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    logp = np.zeros(cap + 1)
    for i in range(1, cap + 1):
        logp[i] = logp[i - 1] + math.log(lam) - math.log(death[i])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    queue = float((np.maximum(k - n, 0) * p).sum())
    return theta * queue / lam, queue / lam


def test_frontier_matches_birth_death_chain_and_marginal_cost() -> None:
    calls, interval, aht, patience = 240.0, 1800.0, 240.0, 180.0
    costs = Costs(30.0, per_abandon=4.0, per_wait_minute=0.5)
    fr = cost_frontier(
        calls, interval=interval, aht=aht, patience=patience, costs=costs, agents=range(20, 40)
    )
    lam = calls / interval
    totals = []
    for row in fr.rows():
        p_ab, wait = erlang_a_chain(lam, 1 / aht, 1 / patience, row["agents"])
        assert row["p_abandon"] == pytest.approx(p_ab, rel=1e-7)
        total = 30.0 * row["agents"] * 0.5 + 4.0 * calls * p_ab + 0.5 * calls * wait / 60
        assert row["total_cost"] == pytest.approx(total, rel=1e-7)
        totals.append(total)
    rows = list(fr.rows())
    assert math.isnan(rows[0]["marginal_cost_per_abandon"])
    for prev, row in itertools.pairwise(rows):
        avoided = prev["abandons"] - row["abandons"]
        assert row["marginal_cost_per_abandon"] == pytest.approx(15.0 / avoided, rel=1e-9)
    assert [r["optimal"] for r in rows].index(True) == int(np.argmin(totals))
    # the plan's optimum is the frontier's cheapest row
    plan = cost_optimal_staffing(
        [calls], interval=interval, aht=aht, patience=patience, costs=costs
    )
    assert plan.agents[0] == rows[int(np.argmin(totals))]["agents"]


def test_cost_optimum_is_global_against_brute_force_with_shrinkage_and_cap() -> None:
    calls = [0.0, 12.0, 150.0, 600.0]
    interval, aht, patience = 900.0, 200.0, 90.0
    costs = Costs(20.0, per_abandon=3.0, per_wait_minute=0.8)
    plan = cost_optimal_staffing(
        calls,
        interval=interval,
        aht=aht,
        patience=patience,
        costs=costs,
        shrinkage=0.3,
        max_occupancy=0.85,
    )
    for i, c in enumerate(calls):
        lam = c / interval
        best = None
        for n in range(300):
            if c == 0:
                p_ab, wait, occ = 0.0, 0.0, 0.0
            else:
                p_ab, wait = erlang_a_chain(lam, 1 / aht, 1 / patience, n)
                occ = lam * (1 - p_ab) * aht / n if n else 1.0
            if occ > 0.85 + 1e-12:
                continue
            total = 20.0 * n / 0.7 * 0.25 + 3.0 * c * p_ab + 0.8 * c * wait / 60
            if best is None or total < best[0] - 1e-9:
                best = (total, n)
        assert best is not None
        assert plan.agents[i] == best[1]
        assert plan.total_cost[i] == pytest.approx(best[0], rel=1e-7)
        assert plan.scheduled[i] == math.ceil(round(best[1] / 0.7, 9))
        assert plan.occupancy[i] <= 0.85 + 1e-12


def test_square_root_staffing_delay_probability() -> None:
    # at N = R + beta sqrt(R) the exact (Erlang C) frontier's wait probability approaches
    # the Halfin-Whitt value; with mean wait = P(wait) * aht / (N - R) it is read back
    load, beta = 2500, 1.0
    n = load + int(beta * math.sqrt(load))
    fr = cost_frontier(load * 10.0, interval=3000.0, aht=300.0, costs=Costs(1.0), agents=[n])
    p_wait = fr.asa[0] * (n - load) / 300.0
    assert p_wait == pytest.approx(float(hw_delay(mp.mpf(beta))), rel=0.03)


def test_newsvendor_fractile_and_quantile_interpolation() -> None:
    assert newsvendor_fractile(3.0, 1.0) == 0.75
    q = {0.5: [100, 10], 0.75: [120, 12], 0.9: [150, 20]}
    assert quantile_calls(q, 0.75).tolist() == [120, 12]
    # halfway between 0.75 and 0.9
    assert quantile_calls(q, 0.825).tolist() == pytest.approx([135, 16])
    with pytest.raises(ParameterError, match="outside"):
        quantile_calls(q, 0.95)
    with pytest.raises(ParameterError, match="cross"):
        quantile_calls({0.5: [10, 10], 0.9: [12, 9]}, 0.6)
    with pytest.raises(ParameterError, match="cost_under"):
        newsvendor_fractile(-1.0, 1.0)


def test_newsvendor_quantile_of_normal_forecast_meets_expected_cost_optimum() -> None:
    # demand ~ Normal(100, 15); the fractile quantile minimises expected newsvendor cost
    cu, co = 4.0, 1.0
    levels = [0.05 * k for k in range(1, 20)]
    q = {p: [100 + 15 * float(mp.sqrt(2) * mp.erfinv(2 * p - 1))] for p in levels}
    level = newsvendor_fractile(cu, co)
    s = quantile_calls(q, level)[0]
    z = (s - 100) / 15
    # expected cost derivative: co*F(s) - cu*(1-F(s)) = 0 at F(s) = cu/(cu+co)
    assert float(mp.ncdf(z)) == pytest.approx(0.8, abs=2e-3)


def test_daily_target_matches_brute_force_and_lets_intervals_differ() -> None:
    calls = [40.0, 200.0, 90.0]
    interval, aht, target, level = 1800.0, 180.0, 20.0, 0.8
    agents = daily_service_level_staffing(
        calls, interval=interval, aht=aht, target=target, level=level
    )
    from callroute import erlang

    def good(n: tuple[int, ...]) -> float:
        return sum(
            c * erlang.service_level(c * aht / interval, k, aht, target)
            for c, k in zip(calls, n, strict=True)
        )

    need = level * sum(calls)
    ranges = [range(math.floor(c * aht / interval) + 1, 40) for c in calls]
    best = min(sum(n) for n in itertools.product(*ranges) if good(n) >= need - 1e-9)
    assert int(agents.sum()) == best
    assert good(tuple(int(a) for a in agents)) >= need - 1e-9
    per_interval = [
        erlang.service_level(c * aht / interval, int(k), aht, target)
        for c, k in zip(calls, agents, strict=True)
    ]
    # the quiet interval is let go below the target: one agent fewer than staffing each
    # interval to 80/20 on its own
    each = sum(
        erlang.agents_for_service_level(c * aht / interval, aht, target, level) for c in calls
    )
    assert int(agents.sum()) < each
    assert min(per_interval) < level


def test_bad_inputs_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="wage_per_hour"):
        Costs(0.0)
    with pytest.raises(ParameterError, match="calls"):
        cost_optimal_staffing([1.0, -2.0], interval=900, aht=100, costs=Costs(10))
    with pytest.raises(ParameterError, match="shrinkage"):
        cost_optimal_staffing([1.0], interval=900, aht=100, costs=Costs(10), shrinkage=1.0)
    with pytest.raises(ParameterError, match="agents"):
        cost_frontier(10.0, interval=900, aht=100, costs=Costs(10), agents=[3, 2])


def test_frontier_and_coverage_plots_write_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from callroute.wfm import BreakRule, ShiftType, plot_coverage, plot_frontier, schedule_shifts

    fr = cost_frontier(
        240.0, interval=1800, aht=240, patience=180, target=20, costs=Costs(30, per_abandon=4)
    )
    out = plot_frontier(fr, tmp_path / "frontier.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pytest.importorskip("highspy")
    types = [ShiftType("s", 120, 10.0, breaks=[BreakRule("b", 15, 30, 75)])]
    s = schedule_shifts([2] * 8 + [0] * 4, period_minutes=15, shift_types=types, shortage_penalty=1)
    out = plot_coverage(s, tmp_path / "coverage.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
