"""Erlang A (M/M/n+M) against an exact birth-death solution computed in mpmath.

The reference (``_reference.erlang_a``) solves the birth-death chain exactly at 70 digits on
0..N states, N chosen so that the neglected tail is provably < 1e-40 of the mass (checked),
and derives the answered-call quantities from the stage representation of the offered wait
(see the module docstring of ``_reference``).  Tolerance: relative 1e-10 on every field.
"""

from __future__ import annotations

import math

import _reference as R  # noqa: N812  (R = the reference)
import numpy as np
import pytest
from mpmath import mp, mpf

RTOL = 1e-10  # relative tolerance for every Erlang A quantity

FIELDS = ("p_wait", "p_abandon", "asa", "mean_wait", "occupancy", "queue_length")
SL_FIELD = {
    "offered": "sl_offered",
    "answered": "sl_answered",
    "offered_minus_early_abandons": "sl_offered_minus_early",
}


def check(got, expected, what, rtol=RTOL):
    assert got is not None, f"{what}: got None"
    assert not math.isnan(got), f"{what}: got nan"
    if abs(expected) < 1e-295:
        assert abs(mpf(got) - expected) <= rtol * abs(expected) + 1e-305, (
            f"{what}: expected {mp.nstr(expected, 17)}, got {got!r}"
        )
        return
    err = R.rel_err(got, expected)
    assert err <= rtol, (
        f"{what}: expected {mp.nstr(expected, 17)}, got {got!r} (rel err {err:.2e} > {rtol:g})"
    )


SL_TINY = 1e-6  # below this a service level is checked absolutely here (1e-14), and
# relatively in test_tiny_service_level_relative_accuracy


def check_result(res, ref, what, sl_definition=None):
    for f in FIELDS:
        check(getattr(res, f), getattr(ref, f), f"{what}.{f}")
    if sl_definition is None:
        assert res.service_level is None, f"{what}: service_level should be None without target"
        return
    expected = getattr(ref, SL_FIELD[sl_definition])
    if expected >= SL_TINY:
        check(res.service_level, expected, f"{what}.service_level")
    else:
        got = res.service_level
        assert 0.0 <= got <= 1.0, f"{what}.service_level = {got!r}"
        assert abs(mpf(got) - expected) <= 1e-14, (
            f"{what}.service_level: expected {mp.nstr(expected, 17)}, got {got!r}"
        )


# --------------------------------------------------------------------------------------------
# reference self-checks (no callroute needed)


@pytest.mark.parametrize(
    "args",
    [
        (5, 4, 180, 120, 20),
        (50, 48, 180, 18, 20),
        (1000, 900, 180, 3600, 20),
        (95, 100, 180, 900, 0),
    ],
    ids=str,
)
def test_reference_internal_consistency(args):
    ref = R.erlang_a(*args)
    assert ref.tail_bound < 1e-40
    assert ref.little_check < 1e-35  # stage model reproduces Little's law
    assert ref.busy_check < 1e-35  # occupancy = A (1 - P(ab)) / n = E[min(k, n)] / n
    assert ref.sl_precision_ok
    assert 0 <= ref.sl_offered <= 1 - ref.p_abandon + mpf(10) ** -40


def test_reference_sl_matches_transient_chain():
    """The closed-form service level equals a brute-force matrix-exponential solution.

    For each number j of calls ahead, the tagged call's chain (stages, answered, abandoned) is
    solved by expm and the results are mixed with the stationary distribution.
    """
    traffic, n, aht, patience, t = 2.0, 2, 180.0, 60.0, 40.0
    pi, _ = R.erlang_a_dist(traffic, n, aht, patience)
    ans = mp.fsum(pi[:n])
    ab = mpf(0)
    for k in range(n, len(pi)):
        if pi[k] < mpf(10) ** -24:  # the rest of the mass is < 1e-23: beyond the check below
            break
        a_k, b_k = R.erlang_a_tagged_expm(n, traffic, aht, patience, k - n, t)
        ans += pi[k] * a_k
        ab += pi[k] * b_k
    ref = R.erlang_a(traffic, n, aht, patience, t)
    assert abs(ans - ref.sl_offered) < mpf(10) ** -20
    # early abandons: sl_early = ans / (1 - ab)
    assert abs(ref.sl_offered / (1 - ab) - ref.sl_offered_minus_early) < mpf(10) ** -20


def test_reference_sl_matches_numeric_integration():
    """P(answered within t | j) = E[e^{-theta V} 1{V <= t}] by quadrature.

    Integrating by parts, E[e^{-theta V} 1{V <= t}] = e^{-theta t} F(t)
    + theta int_0^t e^{-theta v} F(v) dv, with F the CDF of the offered wait V (pure stage
    chain, no abandonment, solved by expm).  Independent of the Beta closed form.
    """
    n, aht, patience, t = 3, 100.0, 50.0, 30.0
    mu, th = 1 / mpf(aht), 1 / mpf(patience)
    alpha = n * mu / th
    x = mp.exp(-th * mpf(t))
    with mp.workdps(30):
        for j in (0, 1, 4):
            size = j + 2
            q = mp.zeros(size, size)
            for i in range(j + 1):
                go = n * mu + i * th
                q[i, i - 1 if i > 0 else j + 1] += go
                q[i, i] -= go

            def cdf(v, q=q, j=j):
                return mp.expm(q * v)[j, j + 1]

            got = mp.exp(-th * t) * cdf(mpf(t)) + th * mp.quad(
                lambda v: mp.exp(-th * v) * cdf(v), [0, t]
            )
            m = j + 1
            closed = alpha / (alpha + m) * (1 - mp.betainc(alpha + 1, m, 0, x, regularized=True))
            assert abs(got - closed) < mpf(10) ** -25, (j, got, closed)
            # and the reference's incremental negative-binomial sum gives the same number
            point_mass = [mpf(0)] * (n + j) + [mpf(1)]
            r = mpf(aht) / mpf(patience)
            ref_ans, _, _ = R._erlang_a_sl(point_mass, n, None, r, mpf(patience), mpf(t), 80)
            assert abs(ref_ans - closed) < mpf(10) ** -25, (j, ref_ans, closed)


def test_reference_poisson_identity():
    """patience == aht: the number in system is Poisson(A) whatever n is."""
    for traffic, n in [(5.0, 4), (50.0, 48), (1000.0, 1010)]:
        ref = R.erlang_a(traffic, n, 180.0, 180.0)
        assert abs(ref.p_wait / R.poisson_tail(traffic, n) - 1) < mpf(10) ** -38
        assert abs(ref.queue_length / R.poisson_excess(traffic, n) - 1) < mpf(10) ** -38


# --------------------------------------------------------------------------------------------
# the grid


def _grid():
    pts = []
    for a in (0.5, 5.0, 50.0, 95.0, 500.0, 1000.0):
        s = math.sqrt(a)
        ns = {max(1, round(0.8 * a)), max(1, round(a)), round(a + 2 * s) + 1}
        for n in sorted(ns):
            for pat in (18.0, 90.0, 180.0, 900.0, 3600.0):
                pts.append(pytest.param(a, n, pat, id=f"A={a:g}-n={n}-pat={pat:g}"))
    return pts


@pytest.mark.parametrize(("traffic", "agents", "patience"), _grid())
def test_erlang_a_grid(cr, traffic, agents, patience):
    aht, target = 180.0, 20.0
    ref = R.erlang_a(traffic, agents, aht, patience, target)
    base = f"erlang_a({traffic}, {agents}, aht={aht}, patience={patience}, target={target}"
    for sl_def in SL_FIELD:
        res = cr.erlang_a(traffic, agents, aht, patience, target=target, sl_definition=sl_def)
        check_result(res, ref, f"{base}, sl_definition={sl_def!r})", sl_def)


@pytest.mark.parametrize(
    ("traffic", "agents", "aht", "patience"),
    [(10.0, 12, 180.0, 60.0), (200.0, 190, 300.0, 600.0), (3.0, 5, 240.0, 2400.0)],
    ids=str,
)
def test_erlang_a_without_target(cr, traffic, agents, aht, patience):
    ref = R.erlang_a(traffic, agents, aht, patience)
    res = cr.erlang_a(traffic, agents, aht, patience)
    check_result(res, ref, f"erlang_a({traffic}, {agents}, {aht}, {patience})")


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [(5.0, 4), (50.0, 48), (95.0, 100), (1000.0, 1010), (1000.0, 950)],
    ids=str,
)
def test_poisson_identity_patience_equals_aht(cr, traffic, agents):
    """With patience == aht the number in system is Poisson(A) (M/M/inf in disguise)."""
    aht = 240.0
    res = cr.erlang_a(traffic, agents, aht, aht)
    what = f"erlang_a({traffic}, {agents}, {aht}, patience={aht})"
    check(res.p_wait, R.poisson_tail(traffic, agents), f"{what}.p_wait vs P(Poisson >= n)")
    check(res.queue_length, R.poisson_excess(traffic, agents), f"{what}.queue_length vs E[(X-n)+]")
    check(res.mean_wait, R.poisson_excess(traffic, agents) * aht / traffic, f"{what}.mean_wait")


def test_target_zero_is_immediate_answer(cr):
    ref = R.erlang_a(50.0, 52, 180.0, 300.0, 0.0)
    res = cr.erlang_a(50.0, 52, 180.0, 300.0, target=0.0)
    check(res.service_level, 1 - ref.p_wait, "erlang_a(50, 52, 180, 300, target=0).service_level")


@pytest.mark.parametrize(
    ("traffic", "patience"),
    [(950.0, 30.0), (1000.0, 120.0), (1050.0, 600.0), (990.0, 60.0)],
    ids=lambda v: f"{v:g}",
)
def test_large_rate_times_target(cr, traffic, patience):
    """n mu t = 1000 agents * 60 s / 60 s = 1000 >> 745: exp(-n mu t) underflows in float64."""
    agents, aht, target = 1000, 60.0, 60.0
    ref = R.erlang_a(traffic, agents, aht, patience, target)
    for sl_def in SL_FIELD:
        res = cr.erlang_a(traffic, agents, aht, patience, target=target, sl_definition=sl_def)
        check_result(
            res,
            ref,
            f"erlang_a({traffic}, {agents}, {aht}, {patience}, target={target}, {sl_def})",
            sl_def,
        )


@pytest.mark.parametrize(
    ("traffic", "agents", "aht", "patience", "target"),
    [
        (1000.0, 900, 180.0, 3600.0, 20.0),  # ~2000 calls queued on average
        (500.0, 450, 180.0, 3600.0, 300.0),  # ~1000 queued
        (300.0, 250, 60.0, 1800.0, 600.0),  # ~1500 queued, target of 10 min
        (100.0, 95, 180.0, 36000.0, 3600.0),  # patience 10 h: ~1000 queued
    ],
    ids=str,
)
def test_deep_queue_states_beyond_500(cr, traffic, agents, aht, patience, target):
    pi, _ = R.erlang_a_dist(traffic, agents, aht, patience)
    mass_beyond_500 = mp.fsum(pi[agents + 500 :])
    assert mass_beyond_500 > 0.01  # a 500-state truncation would be visibly wrong here
    ref = R.erlang_a(traffic, agents, aht, patience, target)
    for sl_def in SL_FIELD:
        res = cr.erlang_a(traffic, agents, aht, patience, target=target, sl_definition=sl_def)
        check_result(
            res,
            ref,
            f"erlang_a({traffic}, {agents}, {aht}, {patience}, target={target}, {sl_def})",
            sl_def,
        )


@pytest.mark.parametrize(
    ("traffic", "agents", "patience"),
    [
        (95.0, 76, 3600.0),
        (500.0, 400, 900.0),
        (500.0, 400, 3600.0),
        (1000.0, 800, 900.0),
        (1000.0, 900, 3600.0),
    ],
    ids=str,
)
def test_tiny_service_level_relative_accuracy(cr, traffic, agents, patience):
    """Deep overload: SL is astronomically small and must not be computed as 1 - (1 - SL).

    A probability like 5e-91 reported as 2.6e-15 is cancellation noise, not a value.
    """
    aht, target = 180.0, 20.0
    ref = R.erlang_a(traffic, agents, aht, patience, target)
    assert ref.sl_offered < SL_TINY
    for sl_def in SL_FIELD:
        res = cr.erlang_a(traffic, agents, aht, patience, target=target, sl_definition=sl_def)
        check(
            res.service_level,
            getattr(ref, SL_FIELD[sl_def]),
            f"erlang_a({traffic}, {agents}, {aht}, {patience}, target={target}, {sl_def})"
            ".service_level",
        )


def test_erlang_a_probabilities_and_relations(cr):
    for traffic, n, pat in [(10.0, 8, 60.0), (10.0, 15, 600.0), (1000.0, 1200, 30.0)]:
        res = cr.erlang_a(traffic, n, 180.0, pat, target=20.0)
        for f in ("p_wait", "p_abandon", "occupancy", "service_level"):
            v = getattr(res, f)
            assert 0.0 <= v <= 1.0, (traffic, n, pat, f, v)
        assert res.asa >= 0.0
        assert res.mean_wait >= 0.0
        assert res.queue_length >= 0.0
        assert res.p_abandon == pytest.approx(res.queue_length * 180.0 / pat / traffic, rel=1e-12)
        assert res.mean_wait == pytest.approx(res.queue_length * 180.0 / traffic, rel=1e-12)


@pytest.mark.parametrize("sl_def", list(SL_FIELD))
def test_erlang_a_zero_agents(cr, sl_def):
    """No agents: every call waits and abandons.  Mean wait = E[patience], Lq = lambda * patience.

    Nobody is answered, so the mean wait of answered calls is 0/0: the package reports the
    limit as agents fall to zero, a number (not NaN) continuous with small real agent counts.
    """
    traffic, aht, patience = 5.0, 180.0, 60.0
    res = cr.erlang_a(traffic, 0, aht, patience, target=20.0, sl_definition=sl_def)
    what = f"erlang_a({traffic}, 0, {aht}, {patience}, target=20, sl_definition={sl_def!r})"
    assert res.p_wait == 1.0, what
    assert res.p_abandon == 1.0, what
    check(res.mean_wait, mpf(patience), f"{what}.mean_wait")
    check(res.queue_length, mpf(traffic) / aht * patience, f"{what}.queue_length")
    assert not math.isnan(res.asa), f"{what}.asa is nan"
    assert res.asa >= 0.0, f"{what}.asa = {res.asa!r}"
    assert 0.0 <= res.service_level <= 1.0, f"{what}.service_level = {res.service_level!r}"
    if sl_def != "answered":
        assert res.service_level == 0.0, f"{what}.service_level = {res.service_level!r}"
    # The convention is the limit as agents fall to zero (continuous extension in agents).
    near = cr.erlang_a(traffic, 1e-7, aht, patience, target=20.0, sl_definition=sl_def)
    for name in ("asa", "occupancy"):
        got, limit = getattr(res, name), getattr(near, name)
        assert abs(got - limit) <= 1e-5 * limit, f"{what}.{name} = {got!r}, near 0: {limit!r}"
    if sl_def == "answered":
        assert abs(res.service_level - near.service_level) <= 1e-5 * near.service_level


def test_erlang_a_real_agents_between_neighbours(cr):
    """Continuous extension in the agents: values at n - 1/2 lie between those at n - 1 and n."""
    for traffic, n, pat in [(10.0, 12, 120.0), (100.0, 95, 600.0)]:
        lo = cr.erlang_a(traffic, n - 1, 180.0, pat, target=20.0)
        mid = cr.erlang_a(traffic, n - 0.5, 180.0, pat, target=20.0)
        hi = cr.erlang_a(traffic, n, 180.0, pat, target=20.0)
        assert hi.p_wait <= mid.p_wait <= lo.p_wait
        assert hi.p_abandon <= mid.p_abandon <= lo.p_abandon
        assert lo.service_level <= mid.service_level <= hi.service_level


def test_erlang_a_vectorised(cr):
    a = np.array([[10.0], [100.0]])
    n = np.array([9.0, 12.0, 110.0])
    res = cr.erlang_a(a, n, 180.0, 300.0, target=20.0)
    for f in (*FIELDS, "service_level"):
        arr = getattr(res, f)
        assert isinstance(arr, np.ndarray), f
        assert arr.shape == (2, 3), f
        assert arr.dtype == np.float64, f
    for i in range(2):
        for j in range(3):
            one = cr.erlang_a(float(a[i, 0]), float(n[j]), 180.0, 300.0, target=20.0)
            for f in (*FIELDS, "service_level"):
                assert getattr(res, f)[i, j] == getattr(one, f), (f, i, j)
    one = cr.erlang_a(10.0, 12, 180.0, 300.0, target=20.0)
    for f in (*FIELDS, "service_level"):
        assert type(getattr(one, f)) is float, f


# --------------------------------------------------------------------------------------------
# staffing under Erlang A


def _meets(traffic, n, aht, patience, target, level, max_abandon, max_occ, sl_def="offered"):
    if n <= 0:
        return False
    ref = R.erlang_a(traffic, n, aht, patience, target)
    if level is not None and getattr(ref, SL_FIELD[sl_def]) < level:
        return False
    if max_abandon is not None and ref.p_abandon > max_abandon:
        return False
    return not (max_occ is not None and mpf(traffic) / n > mpf(max_occ))


@pytest.mark.parametrize(
    ("traffic", "patience", "target", "level", "max_abandon", "max_occ", "sl_def"),
    [
        (10.0, 60.0, 20.0, 0.8, None, None, "offered"),
        (10.0, 600.0, 20.0, 0.8, None, None, "offered"),
        (100.0, 120.0, 20.0, 0.9, None, None, "answered"),
        (100.0, 300.0, None, None, 0.02, None, "offered"),
        (1000.0, 300.0, 20.0, 0.8, 0.01, None, "offered"),
        (1000.0, 60.0, 30.0, 0.95, None, None, "offered_minus_early_abandons"),
        (50.0, 180.0, 20.0, 0.5, None, 0.8, "offered"),
        (2.0, 30.0, 10.0, 0.7, None, None, "offered"),
    ],
    ids=str,
)
def test_agents_for_erlang_a(cr, traffic, patience, target, level, max_abandon, max_occ, sl_def):
    aht = 180.0
    n = cr.erlang.agents_for_erlang_a(
        traffic,
        aht,
        patience,
        target=target,
        level=level,
        max_abandon=max_abandon,
        max_occupancy=max_occ,
        sl_definition=sl_def,
    )
    what = (
        f"agents_for_erlang_a({traffic}, {aht}, {patience}, target={target}, level={level}, "
        f"max_abandon={max_abandon}, max_occupancy={max_occ}, sl_definition={sl_def!r}) = {n}"
    )
    assert isinstance(n, int), what
    assert _meets(traffic, n, aht, patience, target, level, max_abandon, max_occ, sl_def), (
        f"{what} does not meet the constraints"
    )
    assert not _meets(traffic, n - 1, aht, patience, target, level, max_abandon, max_occ, sl_def), (
        f"{what}: {n - 1} agents already meet them"
    )
