"""Erlang B / C and staffing searches against independent mpmath references.

Every expected value comes from ``_reference.py`` (mpmath, 60 digits, derived from the
definitions), never from the package itself.  Tolerances:

* Erlang B, integer servers: relative 1e-12 over traffic 0.01 .. 10,000 Erlangs and servers
  from 1 up to the tail where B ~ 1e-300 (points whose reference is below 1e-300 are skipped).
* Erlang B, real servers (continuous extension through the incomplete gamma): relative 1e-12.
* Erlang C, ASA, queue length, occupancy: relative 1e-12.  Service level: relative 1e-12 on SL
  and on 1 - SL where 1 - SL >= 1e-2 (below that, float64 SL cannot carry 1 - SL to 1e-12).
* Retrial fixed point, fractional staffing roots: relative 1e-12.
* Wait quantile: relative 1e-12 plus an absolute allowance of 1e-12 * aht / (n - A), which
  is the unavoidable error of ln(C / (1 - q)) when C is known to a relative 1e-12.
"""

from __future__ import annotations

import math

import _reference as R  # noqa: N812  (R = the reference)
import numpy as np
import pytest
from mpmath import mp, mpf

RTOL = 1e-12


def assert_rel(got, expected, rtol=RTOL, what=""):
    """Relative comparison against an mpf reference; the message carries every input."""
    assert isinstance(got, (float, int, np.floating, np.integer)), f"{what}: got {got!r}"
    if expected == mp.inf:
        assert got == math.inf, f"{what}: expected inf, got {got!r}"
        return
    if abs(expected) < 1e-295:
        # below ~1e-300 float64 is subnormal / zero: only an absolute check makes sense
        assert abs(mpf(got) - expected) <= rtol * abs(expected) + 1e-305, (
            f"{what}: expected {mp.nstr(expected, 20)}, got {got!r}"
        )
        return
    err = R.rel_err(got, expected)
    assert err <= rtol, (
        f"{what}: expected {mp.nstr(expected, 20)}, got {got!r} (rel err {err:.3e} > {rtol:g})"
    )


# --------------------------------------------------------------------------------------------
# Erlang B grid

TRAFFIC = [0.01, 0.1, 0.5, 1, 2.5, 10, 37.3, 100, 500, 1000, 2000, 5000, 10000]
TINY = mpf(10) ** -300


def _tail_servers(a: float) -> int:
    """Largest n whose reference B(n) is still >= 1e-300 (table grows as needed)."""
    n = max(int(a), 1)
    step = max(int(math.sqrt(a)), 1)
    while R.erlang_b_int(a, n + step) >= TINY:
        n += step
    while R.erlang_b_int(a, n + 1) >= TINY:
        n += 1
    return n


def _b_points():
    pts = []
    for a in TRAFFIC:
        top = _tail_servers(a)
        s = math.sqrt(a)
        cands = {1, 2, 3, 5, 10, 20, 50, 100, 200}
        cands |= {round(a * f) for f in (0.1, 0.25, 0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2, 3, 5)}
        cands |= {math.floor(a), math.ceil(a), math.ceil(a) + 1}
        cands |= {round(a + k * s) for k in (-5, -3, -1, 1, 2, 3, 5, 8, 12, 20, 30)}
        cands |= {top, top - 1, (top + math.ceil(a)) // 2, (3 * top + math.ceil(a)) // 4}
        for n in sorted(c for c in cands if 1 <= c <= top):
            pts.append(pytest.param(a, n, id=f"A={a:g}-n={n}"))
    return pts


B_POINTS = _b_points()


@pytest.mark.parametrize(("traffic", "servers"), B_POINTS)
def test_erlang_b_integer_servers(cr, traffic, servers):
    expected = R.erlang_b_int(traffic, servers)
    assert expected >= TINY
    got = cr.erlang_b(traffic, servers)
    assert_rel(got, expected, what=f"erlang_b({traffic}, {servers})")


def _b_real_points():
    pts = []
    for a in TRAFFIC:
        top = _tail_servers(a)
        cands = {0.3, 0.5, 0.999, 1.5, 2.25, 7.75}
        cands |= {a * f for f in (0.5, 0.97, 1.0, 1.03, 1.5, 2.0)}
        cands |= {math.floor(a) + 0.5, a + math.sqrt(a) + 0.37, a + 4.5 * math.sqrt(a) + 0.5}
        cands |= {top - 0.5, (top + a) / 2 + 0.25}
        for x in sorted(cands):
            if x <= 0 or x > top or float(x).is_integer():
                continue
            if R.erlang_b_gamma(float(a), float(x)) < TINY:
                continue
            pts.append(pytest.param(a, x, id=f"A={a:g}-x={x:.6g}"))
    return pts


@pytest.mark.parametrize(("traffic", "servers"), _b_real_points())
def test_erlang_b_real_servers(cr, traffic, servers):
    expected = R.erlang_b_gamma(float(traffic), float(servers))
    got = cr.erlang_b(traffic, servers)
    assert_rel(got, expected, what=f"erlang_b({traffic}, {servers!r}) [continuous]")


@pytest.mark.parametrize(
    ("traffic", "servers"),
    [pytest.param(a, n, id=f"A={a:g}-n={n}") for a, n in [(10, 14), (37.3, 40), (0.5, 3)]],
)
def test_reference_gamma_form_matches_recursion(traffic, servers):
    """Self-check of the reference: recursion, incomplete gamma and integral agree."""
    b_rec = R.erlang_b_int(traffic, servers)
    assert abs(R.erlang_b_gamma(float(traffic), float(servers)) / b_rec - 1) < mpf(10) ** -40
    assert abs(R.erlang_b_integral(traffic, servers) / b_rec - 1) < mpf(10) ** -30


def test_erlang_b_continuity_across_integers(cr):
    """The continuous extension meets the integer values: B(n +- tiny) ~ B(n)."""
    for a, n in [(10.0, 14), (100.0, 110), (2.5, 1)]:
        b = cr.erlang_b(a, n)
        lo = cr.erlang_b(a, n - 1e-9)
        hi = cr.erlang_b(a, n + 1e-9)
        assert hi <= b <= lo, (a, n, lo, b, hi)
        assert abs(lo / b - 1) < 1e-7
        assert abs(hi / b - 1) < 1e-7


def test_erlang_b_edges(cr):
    assert cr.erlang_b(10.0, 0) == 1.0
    assert cr.erlang_b(0.0, 5) == 0.0
    assert cr.erlang_b(0.0, 0.5) == 0.0
    # far tail: underflows gracefully to a non-negative tiny value, never NaN
    v = cr.erlang_b(1.0, 5000)
    assert 0.0 <= v < 1e-300
    # huge traffic on few servers: blocking ~ 1
    v = cr.erlang_b(1e6, 10)
    assert 0.99998 < v <= 1.0
    assert_rel(v, R.erlang_b_int(1e6, 10), what="erlang_b(1e6, 10)")


# --------------------------------------------------------------------------------------------
# Erlang C family


def _c_points():
    pts = []
    for a in [0.01, 0.5, 1, 2.5, 10, 37.3, 100, 1000, 10000]:
        s = math.sqrt(a)
        ns = {math.floor(a) + 1, math.floor(a) + 2, round(a + s) + 1, round(a + 3 * s) + 1}
        ns |= {round(2 * a) + 1, round(a + 10 * s) + 2}
        for n in sorted(ns):
            if n > a:
                pts.append(pytest.param(a, n, id=f"A={a:g}-n={n}"))
    # non-integer agents (continuous extension of B inside C)
    for a, x in [(10, 12.5), (37.3, 40.25), (1000, 1040.5), (2.5, 3.75), (0.5, 0.9)]:
        pts.append(pytest.param(a, x, id=f"A={a:g}-x={x:g}"))
    return pts


C_POINTS = _c_points()


@pytest.mark.parametrize(("traffic", "agents"), C_POINTS)
def test_erlang_c(cr, traffic, agents):
    expected = R.erlang_c(traffic, agents)
    got = cr.erlang_c(traffic, agents)
    assert_rel(got, expected, what=f"erlang_c({traffic}, {agents})")


@pytest.mark.parametrize(("traffic", "agents"), C_POINTS)
@pytest.mark.parametrize(("aht", "target"), [(180, 20), (300, 0), (60, 60), (240, 600)])
def test_service_level(cr, traffic, agents, aht, target):
    what = f"service_level({traffic}, {agents}, aht={aht}, target={target})"
    expected = R.service_level(traffic, agents, aht, target)
    got = cr.service_level(traffic, agents, aht, target)
    tail = R.prob_wait_exceeds(traffic, agents, aht, target)
    if expected > 1e-3:
        assert_rel(got, expected, what=what)
    else:
        assert abs(got - float(expected)) <= 1e-15, f"{what}: expected {expected}, got {got!r}"
    if tail >= 1e-2:
        assert_rel(1.0 - got, tail, what=f"1 - {what}")


@pytest.mark.parametrize(("traffic", "agents"), C_POINTS)
@pytest.mark.parametrize("aht", [180, 37.5])
def test_asa(cr, traffic, agents, aht):
    got = cr.asa(traffic, agents, aht)
    assert_rel(got, R.asa(traffic, agents, aht), what=f"asa({traffic}, {agents}, aht={aht})")


@pytest.mark.parametrize(("traffic", "agents"), C_POINTS)
def test_queue_length_and_occupancy(cr, traffic, agents):
    assert_rel(
        cr.erlang.queue_length(traffic, agents),
        R.queue_length(traffic, agents),
        what=f"queue_length({traffic}, {agents})",
    )
    assert_rel(
        cr.erlang.occupancy(traffic, agents),
        R.occupancy(traffic, agents),
        what=f"occupancy({traffic}, {agents})",
    )


@pytest.mark.parametrize(("traffic", "agents"), C_POINTS)
@pytest.mark.parametrize("q", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999999])
def test_wait_quantile(cr, traffic, agents, q):
    aht = 180.0
    what = f"wait_quantile({traffic}, {agents}, aht={aht}, q={q})"
    expected = R.wait_quantile(traffic, agents, aht, q)
    got = cr.erlang.wait_quantile(traffic, agents, aht, q)
    scale = aht / (agents - traffic)
    assert got >= 0.0, what
    # below the atom at 0 (q <= 1 - C) the answer is exactly 0
    c = R.erlang_c(traffic, agents)
    if mpf(q) < (1 - c) * (1 - mpf(10) ** -9):
        assert got == 0.0, f"{what}: q <= 1 - C = {mp.nstr(1 - c, 17)} so expected 0, got {got!r}"
        return
    err = abs(mpf(got) - expected)
    allowed = RTOL * abs(expected) + 1e-12 * scale
    assert err <= allowed, f"{what}: expected {mp.nstr(expected, 20)}, got {got!r}"


def test_wait_quantile_inverts_service_level(cr):
    """P(W > wait_quantile(q)) = 1 - q: the quantile is the inverse of the SL curve."""
    for a, n, q in [(10, 14, 0.95), (100, 110, 0.9), (1000, 1030, 0.99)]:
        t = cr.erlang.wait_quantile(a, n, 180, q)
        assert_rel(
            1.0 - cr.service_level(a, n, 180, t), mpf(1) - mpf(q), rtol=1e-9, what=f"{a},{n},{q}"
        )


# --------------------------------------------------------------------------------------------
# published points


def test_tijms_100_agents_rho_095(cr):
    # Tijms: M/M/100 at load 0.95 has a delay probability of 0.5065 (4 dp)
    assert round(cr.erlang_c(95, 100), 4) == 0.5065


def test_textbook_100_calls_per_half_hour(cr):
    # 100 calls / 1800 s, AHT 180 s -> A = 10 Erlangs; 14 agents
    traffic = 100 / 1800 * 180
    assert traffic == pytest.approx(10.0, abs=1e-12)
    assert round(cr.erlang_c(traffic, 14), 7) == 0.1741319
    assert round(cr.service_level(traffic, 14, 180, 20), 5) == 0.88835
    # the same via a traffic of exactly 10
    assert round(cr.erlang_c(10.0, 14), 7) == 0.1741319
    assert round(cr.service_level(10.0, 14, 180.0, 20.0), 5) == 0.88835


# --------------------------------------------------------------------------------------------
# unstable load


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [
        pytest.param(a, n, id=f"A={a:g}-n={n:g}")
        for a, n in [(10, 10), (10, 9), (10, 0), (95.5, 95), (1000, 999.999), (0.5, 0.5), (3, 1)]
    ],
)
def test_unstable_load(cr, traffic, agents):
    assert cr.erlang_c(traffic, agents) == 1.0
    assert cr.service_level(traffic, agents, 180, 20) == 0.0
    assert cr.service_level(traffic, agents, 180, 0) == 0.0
    assert cr.asa(traffic, agents, 180) == math.inf
    assert cr.erlang.queue_length(traffic, agents) == math.inf
    assert cr.erlang.wait_quantile(traffic, agents, 180, 0.8) == math.inf
    assert cr.erlang.occupancy(traffic, agents) == 1.0


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [
        pytest.param(10.0, np.nextafter(10.0, 11.0), id="n=nextafter(10)"),
        pytest.param(10.0, 10.0 * (1 + 1e-12), id="n=10(1+1e-12)"),
        pytest.param(1000.0, 1000.0 + 1e-9, id="n=1000+1e-9"),
        pytest.param(37.3, 37.3 + 1e-6, id="n=37.3+1e-6"),
    ],
)
def test_barely_stable_stays_a_probability(cr, traffic, agents):
    c = cr.erlang_c(traffic, agents)
    assert 0.0 <= c <= 1.0
    sl = cr.service_level(traffic, agents, 180, 20)
    assert 0.0 <= sl <= 1.0
    w = cr.asa(traffic, agents, 180)
    assert w > 0.0
    assert not math.isnan(w)
    assert cr.erlang.wait_quantile(traffic, agents, 180, 0.5) >= 0.0
    assert cr.erlang.queue_length(traffic, agents) > 0.0


def test_zero_traffic(cr):
    assert cr.erlang_c(0.0, 3) == 0.0
    assert cr.erlang_c(0.0, 0) == 0.0  # no calls: nobody waits, even with no agents
    assert cr.service_level(0.0, 3, 180, 20) == 1.0
    assert cr.asa(0.0, 3, 180) == 0.0
    assert cr.erlang.queue_length(0.0, 3) == 0.0
    assert cr.erlang.occupancy(0.0, 3) == 0.0
    assert cr.erlang.wait_quantile(0.0, 3, 180, 0.99) == 0.0


def test_service_level_huge_exponent(cr):
    """(n - A) t / aht far beyond 745: exp underflows, SL must be exactly/near 1, not NaN."""
    assert cr.service_level(10, 14, 180, 1e5) == 1.0
    assert cr.service_level(1000, 1100, 1, 1e4) == 1.0
    sl = cr.service_level(9999.5, 10000, 1e-3, 1e3)
    assert sl == 1.0


# --------------------------------------------------------------------------------------------
# vectorisation


def test_scalar_calls_return_python_float(cr):
    for v in (
        cr.erlang_b(10, 14),
        cr.erlang_c(10, 14),
        cr.service_level(10, 14, 180, 20),
        cr.asa(10, 14, 180),
        cr.erlang.occupancy(10, 14),
        cr.erlang.queue_length(10, 14),
        cr.erlang.wait_quantile(10, 14, 180, 0.9),
    ):
        assert type(v) is float, type(v)
    for v in (
        cr.erlang.agents_for_blocking(10, 0.01),
        cr.agents_for_service_level(10, 180, 20, 0.8),
        cr.erlang.agents_for_asa(10, 180, 20),
    ):
        assert type(v) is int, type(v)
    assert type(cr.agents_for_service_level(10, 180, 20, 0.8, fractional=True)) is float


ARRAY_FUNCS = {
    "erlang_b": lambda cr, a, n: cr.erlang_b(a, n),
    "erlang_c": lambda cr, a, n: cr.erlang_c(a, n),
    "service_level": lambda cr, a, n: cr.service_level(a, n, 180.0, 20.0),
    "asa": lambda cr, a, n: cr.asa(a, n, 180.0),
    "occupancy": lambda cr, a, n: cr.erlang.occupancy(a, n),
    "queue_length": lambda cr, a, n: cr.erlang.queue_length(a, n),
    "wait_quantile": lambda cr, a, n: cr.erlang.wait_quantile(a, n, 180.0, 0.9),
}


@pytest.mark.parametrize("name", list(ARRAY_FUNCS))
def test_broadcasting_matches_scalar_calls(cr, name):
    f = ARRAY_FUNCS[name]
    traffic = np.array([[2.5], [10.0], [37.3]])  # (3, 1)
    agents = np.array([3.0, 12.0, 14.5, 45.0])  # (4,)
    got = f(cr, traffic, agents)
    assert isinstance(got, np.ndarray)
    assert got.shape == (3, 4)
    assert got.dtype == np.float64
    for i in range(3):
        for j in range(4):
            s = f(cr, float(traffic[i, 0]), float(agents[j]))
            assert got[i, j] == s or (math.isinf(s) and got[i, j] == s), (name, i, j, got[i, j], s)


@pytest.mark.parametrize("name", list(ARRAY_FUNCS))
def test_array_input_list_and_0d(cr, name):
    f = ARRAY_FUNCS[name]
    got = f(cr, [10.0, 100.0], [14, 110])
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.float64
    assert got.shape == (2,)
    assert got[0] == f(cr, 10.0, 14)
    assert got[1] == f(cr, 100.0, 110)
    # a single array argument is enough to get an array back
    got = f(cr, np.array([10.0]), 14)
    assert isinstance(got, np.ndarray)
    assert got.shape == (1,)


def test_vectorised_against_reference(cr):
    a = np.array([0.5, 10.0, 1000.0, 10000.0])
    n = np.array([2.0, 14.0, 1040.0, 10150.0])
    got_b = cr.erlang_b(a, n)
    got_c = cr.erlang_c(a, n)
    got_sl = cr.service_level(a, n, 180.0, np.array([20.0, 20.0, 5.0, 1.0]))
    for k in range(4):
        assert_rel(got_b[k], R.erlang_b(a[k], n[k]), what=f"erlang_b[{k}]")
        assert_rel(got_c[k], R.erlang_c(a[k], n[k]), what=f"erlang_c[{k}]")
    assert_rel(got_sl[3], R.service_level(10000.0, 10150.0, 180.0, 1.0), what="SL[3]")


def test_staffing_vectorised_int64(cr):
    a = np.array([[1.0], [10.0], [100.0]])
    lvl = np.array([0.8, 0.9])
    got = cr.agents_for_service_level(a, 180.0, 20.0, lvl)
    assert isinstance(got, np.ndarray)
    assert got.shape == (3, 2)
    assert got.dtype == np.int64
    for i in range(3):
        for j in range(2):
            assert got[i, j] == cr.agents_for_service_level(
                float(a[i, 0]), 180.0, 20.0, float(lvl[j])
            )
    got = cr.erlang.agents_for_blocking([10.0, 100.0], 0.01)
    assert got.dtype == np.int64
    assert list(got) == [
        cr.erlang.agents_for_blocking(10.0, 0.01),
        cr.erlang.agents_for_blocking(100.0, 0.01),
    ]
    got = cr.erlang.agents_for_asa([10.0, 100.0], 180.0, [20.0, 5.0])
    assert got.dtype == np.int64
    frac = cr.agents_for_service_level(np.array([10.0, 100.0]), 180.0, 20.0, 0.8, fractional=True)
    assert frac.dtype == np.float64


# --------------------------------------------------------------------------------------------
# staffing searches

STAFF_TRAFFIC = [0.01, 0.5, 1, 2.5, 10, 37.3, 100, 1000, 10000]


@pytest.mark.parametrize("traffic", STAFF_TRAFFIC, ids=lambda a: f"A={a:g}")
@pytest.mark.parametrize(
    ("target", "level"),
    [(20, 0.8), (10, 0.5), (60, 0.95), (30, 0.99), (0, 0.9), (0, 0.75), (5, 0.999)],
    ids=lambda v: f"{v:g}",
)
def test_agents_for_service_level(cr, traffic, target, level):
    aht = 180.0
    n = cr.agents_for_service_level(traffic, aht, target, level)
    what = f"agents_for_service_level({traffic}, aht={aht}, target={target}, level={level})"
    assert isinstance(n, int), what
    sl_n = R.service_level(traffic, n, aht, target)
    sl_prev = R.service_level(traffic, n - 1, aht, target) if n >= 1 else mpf(-1)
    if min(abs(sl_n - level), abs(sl_prev - level)) < 1e-14:
        # SL(n) equals the level to float precision (e.g. A=0.5, n=2: C = 1/10 exactly):
        # either neighbour is a defensible answer
        assert n in (
            R.agents_for_service_level(traffic, aht, target, level) + d for d in (-1, 0, 1)
        )
        return
    assert sl_n >= level, f"{what} = {n}, but SL({n}) = {mp.nstr(sl_n, 15)} < level"
    assert sl_prev < level, f"{what} = {n}, but {n - 1} already gives SL {mp.nstr(sl_prev, 15)}"
    assert n == R.agents_for_service_level(traffic, aht, target, level)


@pytest.mark.parametrize("traffic", STAFF_TRAFFIC, ids=lambda a: f"A={a:g}")
@pytest.mark.parametrize("asa_target", [1, 5, 20, 60, 600], ids=lambda v: f"asa={v:g}")
def test_agents_for_asa(cr, traffic, asa_target):
    aht = 180.0
    n = cr.erlang.agents_for_asa(traffic, aht, asa_target)
    what = f"agents_for_asa({traffic}, aht={aht}, asa={asa_target})"
    assert isinstance(n, int), what
    assert R.asa(traffic, n, aht) <= asa_target, f"{what} = {n} does not meet the target"
    assert n < 1 or R.asa(traffic, n - 1, aht) > asa_target, f"{what} = {n}: {n - 1} suffices"


@pytest.mark.parametrize("traffic", [*STAFF_TRAFFIC, 5000], ids=lambda a: f"A={a:g}")
@pytest.mark.parametrize("blocking", [0.5, 0.1, 0.01, 0.001, 1e-6, 1e-12], ids=lambda v: f"B={v:g}")
def test_servers_for_blocking(cr, traffic, blocking):
    n = cr.erlang.agents_for_blocking(traffic, blocking)
    what = f"agents_for_blocking({traffic}, {blocking})"
    assert isinstance(n, int), what
    assert R.erlang_b_int(traffic, n) <= blocking, f"{what} = {n} does not meet the target"
    assert n >= 1
    assert R.erlang_b_int(traffic, n - 1) > blocking, f"{what} = {n}: {n - 1} suffices"


@pytest.mark.parametrize(
    ("traffic", "max_occ", "expected_floor"),
    [
        pytest.param(8.0, 0.8, 10, id="A=8-occ=0.8"),
        pytest.param(10.5, 0.7, 15, id="A=10.5-occ=0.7"),
        pytest.param(21.0, 0.7, 30, id="A=21-occ=0.7"),
        pytest.param(4.2, 0.6, 7, id="A=4.2-occ=0.6"),
        pytest.param(84.0, 0.7, 120, id="A=84-occ=0.7"),
        pytest.param(13.8, 0.6, 23, id="A=13.8-occ=0.6"),
    ],
)
def test_max_occupancy_allows_exact_ratio(cr, traffic, max_occ, expected_floor):
    """A / n == max_occupancy exactly is allowed; float rounding of A / max_occ must not add one.

    Here traffic / expected_floor <= max_occupancy holds both in float64 and exactly for the
    binary values, while traffic / max_occupancy rounds to just above the integer.
    """
    assert traffic / expected_floor <= max_occ
    # a lax service target that needs fewer agents than the occupancy cap
    aht, target, level = 180.0, 20.0, 0.3
    sl_only = R.agents_for_service_level(traffic, aht, target, level)
    assert sl_only < expected_floor
    got = cr.agents_for_service_level(traffic, aht, target, level, max_occupancy=max_occ)
    assert got == expected_floor, (
        f"agents_for_service_level({traffic}, aht={aht}, target={target}, level={level}, "
        f"max_occupancy={max_occ}) = {got}, expected {expected_floor}"
    )
    got = cr.erlang.agents_for_asa(traffic, aht, 1e6, max_occupancy=max_occ)
    assert got == expected_floor, f"agents_for_asa({traffic}, max_occupancy={max_occ}) = {got}"


def test_max_occupancy_not_binding(cr):
    # the SL requirement dominates: the cap changes nothing
    n0 = cr.agents_for_service_level(100.0, 180.0, 20.0, 0.9)
    assert 100.0 / n0 <= 0.95
    assert cr.agents_for_service_level(100.0, 180.0, 20.0, 0.9, max_occupancy=0.95) == n0
    assert n0 == R.agents_for_service_level(100.0, 180.0, 20.0, 0.9)


@pytest.mark.parametrize(
    ("traffic", "target", "level"),
    [
        pytest.param(a, t, lv, id=f"A={a:g}-t={t:g}-SL={lv:g}")
        for a, t, lv in [
            (0.5, 20, 0.8),
            (2.5, 20, 0.8),
            (10, 20, 0.8),
            (37.3, 10, 0.9),
            (100, 60, 0.95),
            (1000, 20, 0.8),
            (10000, 20, 0.8),
            (10, 0, 0.5),
        ]
    ],
)
def test_fractional_agents_for_service_level(cr, traffic, target, level):
    aht = 180.0
    n = cr.agents_for_service_level(traffic, aht, target, level)
    x = cr.agents_for_service_level(traffic, aht, target, level, fractional=True)
    what = f"agents_for_service_level({traffic}, {aht}, {target}, {level}, fractional=True)"
    assert isinstance(x, float), what
    assert n - 1 < x <= n, f"{what} = {x!r} not in ({n - 1}, {n}]"
    sl = R.service_level_real(traffic, mpf(x), aht, target)
    assert abs(sl - level) <= 1e-11, f"{what} = {x!r}: SL(x) = {mp.nstr(sl, 15)} != {level}"
    root = R.fractional_agents_for_service_level(traffic, aht, target, level)
    assert abs(mpf(x) - root) <= RTOL * root, f"{what} = {x!r}, root is {mp.nstr(root, 17)}"


@pytest.mark.parametrize(
    ("traffic", "asa_target"),
    [
        pytest.param(a, w, id=f"A={a:g}-asa={w:g}")
        for a, w in [(2.5, 20), (10, 20), (100, 5), (1000, 30)]
    ],
)
def test_fractional_agents_for_asa(cr, traffic, asa_target):
    aht = 180.0
    n = cr.erlang.agents_for_asa(traffic, aht, asa_target)
    x = cr.erlang.agents_for_asa(traffic, aht, asa_target, fractional=True)
    what = f"agents_for_asa({traffic}, {aht}, {asa_target}, fractional=True)"
    assert isinstance(x, float), what
    assert n - 1 < x <= n, f"{what} = {x!r} not in ({n - 1}, {n}]"
    root = R.fractional_agents_for_asa(traffic, aht, asa_target)
    assert abs(mpf(x) - root) <= RTOL * root, f"{what} = {x!r}, root is {mp.nstr(root, 17)}"


# --------------------------------------------------------------------------------------------
# Erlang B with retrials


@pytest.mark.parametrize(
    ("traffic", "servers", "retry"),
    [
        pytest.param(a, n, r, id=f"A={a:g}-n={n:g}-r={r:g}")
        for a, n, r in [
            (10, 12, 0.5),
            (10, 12, 0.0),
            (10, 8, 0.9),
            (2.5, 3, 0.3),
            (100, 105, 0.7),
            (1000, 1000, 0.5),
            (37.3, 40.5, 0.4),
            (5, 20, 0.99),
        ]
    ],
)
def test_erlang_b_retrial(cr, traffic, servers, retry):
    res = cr.erlang.erlang_b_retrial(traffic, servers, retry)
    blocking, load = res.blocking, res.offered_load
    exp_b, exp_y = R.erlang_b_retrial(float(traffic), float(servers), float(retry))
    what = f"erlang_b_retrial({traffic}, {servers}, {retry})"
    assert_rel(load, exp_y, what=f"{what}.offered_load")
    assert_rel(blocking, exp_b, what=f"{what}.blocking")
    # and the result is self-consistent with the package's own Erlang B
    assert_rel(blocking, mpf(cr.erlang_b(load, servers)), what=f"{what} B(y)")


def test_erlang_b_retrial_vectorised(cr):
    res = cr.erlang.erlang_b_retrial(np.array([10.0, 100.0]), np.array([12.0, 105.0]), 0.5)
    assert res.blocking.shape == (2,)
    assert res.offered_load.dtype == np.float64
    one = cr.erlang.erlang_b_retrial(100.0, 105.0, 0.5)
    assert res.blocking[1] == one.blocking
    assert res.offered_load[1] == one.offered_load
