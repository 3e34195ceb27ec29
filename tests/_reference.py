"""Independent high-precision reference values for the Erlang maths (mpmath only).

Nothing here imports callroute: every quantity is derived from first principles and computed
with mpmath at ``DPS`` significant digits, so the tests compare the package against values
that are exact to far more digits than a float64 carries.

Derivations (all times in seconds, traffic A in Erlangs, aht = mean handling time):

Erlang B, integer n
    B(0) = 1,  B(k) = A B(k-1) / (k + A B(k-1)).  This is the exact identity
    1/B(k) = 1 + (k/A) / B(k-1) for B(n) = (A^n/n!) / sum_{k<=n} A^k/k!; at 60+ digits the
    recursion is exact for our purposes (it is also cross-checked against the gamma form).

Erlang B, real x >= 0 (continuous extension)
    1/B(x, A) = A * int_0^inf exp(-A t) (1+t)^x dt = e^A A^(-x) Gamma(x+1, A),
    Gamma(s, A) the upper incomplete gamma function (``mpmath.gammainc(s, A)``).

Erlang C (M/M/n), n > A:  C = n B / (n - A (1 - B));  C = 1 for n <= A.
    P(W > t) = C exp(-(n - A) t / aht), so SL(t) = 1 - C exp(-(n-A) t/aht),
    ASA = E[W] = C aht / (n - A),  Lq = lambda E[W] = C A / (n - A),  occupancy = A / n,
    q-quantile of W: 0 if q <= 1 - C, else aht/(n-A) * ln(C / (1 - q)).

Erlang A (M/M/n+M), integer n, lambda = A/aht, mu = 1/aht, theta = 1/patience
    Birth-death chain on k = 0, 1, ...: birth lambda, death min(k, n) mu + (k - n)^+ theta.
    pi_k is proportional to prod_{i<=k} lambda / d_i.  The chain is truncated at a state N
    past which the (monotonically decreasing) ratios bound the neglected tail by a geometric
    series; that bound is checked to be < 1e-40 of the total mass.
    By PASTA an arrival sees pi.  An arrival finding j = k - n >= 0 waiting ahead of it
    (m = j + 1 including itself) has offered wait (wait if it were infinitely patient)
        V = sum_{i=0}^{j} Exp(n mu + i theta)      (stage i: i customers ahead of it)
    and an independent patience tau ~ Exp(theta); it is answered iff V < tau.
      * E[exp(-s V)] = prod_i (n mu + i theta) / (n mu + i theta + s), so
        P(answered | j) = E[exp(-theta V)] = n mu / (n mu + m theta)          (telescoping)
        E[V 1{answered} | j] = -d/ds E[e^{-sV}] at s = theta
                             = P(answered | j) * sum_{i=1}^{m} 1 / (n mu + i theta).
      * Writing a = n mu, alpha = a / theta: the density of V_m' = sum_{i=1}^{m} Exp(a + i theta)
        is  theta Gamma(alpha+m+1)/(Gamma(alpha+1) Gamma(m)) e^{-(a+theta) v}(1-e^{-theta v})^{m-1},
        i.e. U = exp(-theta V_m') ~ Beta(alpha + 1, m).  V itself is the case alpha -> alpha - 1,
        U = exp(-theta V) ~ Beta(alpha, m).  With x = exp(-theta t):
            P(answered within t | j) = E[e^{-theta V} 1{V <= t}]
                                     = P(answered | j) * P(V_m' <= t)
                                     = alpha/(alpha+m) * (1 - I_x(alpha + 1, m))
            P(abandoned within t | j) = int_0^t theta e^{-theta s} P(V > s) ds
                                     = int_x^1 I_u(alpha, m) du
                = m/(alpha+m) - x I_x(alpha, m) + alpha/(alpha+m) I_x(alpha+1, m)
            P(still waiting at t | j) = e^{-theta t} P(V > t) = x I_x(alpha, m)
        (the three add up to 1).  For integer m the regularised incomplete beta is the
        negative-binomial sum  I_x(b, m) = sum_{i=0}^{m-1} Gamma(b+i)/(Gamma(b) i!) x^b (1-x)^i,
        all terms positive, updated incrementally in m.
    p_wait = sum_{k>=n} pi_k,  Lq = sum (k-n)^+ pi_k,  P(abandon) = theta Lq / lambda,
    mean wait (all calls) = Lq / lambda (Little),  occupancy = A (1 - P(abandon)) / n,
    ASA = E[W 1{answered}] / P(answered).
    The stage model is cross-checked against Little's law (E[min(V, tau) | j] =
    (1 - P(answered | j)) / theta must reproduce Lq / lambda) and against a transient
    matrix-exponential solution of the tagged customer's Markov chain (see the tests).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from mpmath import mp, mpf

DPS = 60
mp.dps = DPS

# --------------------------------------------------------------------------------------------
# helpers


def rel_err(got: float, expected) -> float:
    """|got - expected| / |expected| computed in mpmath (expected may be an mpf)."""
    with mp.workdps(DPS):
        e = mpf(expected)
        g = mpf(got)
        if e == 0:
            return float(abs(g))
        return float(abs(g - e) / abs(e))


def _is_int(x: float) -> bool:
    return float(x).is_integer()


# --------------------------------------------------------------------------------------------
# Erlang B

_B_TABLES: dict[float, list] = {}


def _b_table(traffic: float, nmax: int) -> list:
    """[B(0), ..., B(nmax)] for traffic A (exact recursion, cached and grown on demand)."""
    table = _B_TABLES.get(traffic)
    if table is None:
        table = [mpf(1)]
        _B_TABLES[traffic] = table
    if len(table) <= nmax:
        with mp.workdps(DPS + 10):
            a = mpf(traffic)
            b = table[-1]
            for k in range(len(table), nmax + 1):
                b = a * b / (k + a * b)
                table.append(b)
    return table


def erlang_b_int(traffic: float, n: int):
    if traffic == 0:
        return mpf(1) if n == 0 else mpf(0)
    return _b_table(float(traffic), int(n))[int(n)]


@functools.cache
def erlang_b_gamma(traffic: float, x: float):
    """Continuous extension 1/B = e^A A^-x Gamma(x+1, A)."""
    if x == 0:
        return mpf(1)
    if traffic == 0:
        return mpf(0)
    with mp.workdps(DPS + 20):
        a = mpf(traffic)
        xx = mpf(x)
        inv = mp.exp(a) * a ** (-xx) * mp.gammainc(xx + 1, a)
        return +(1 / inv)


def erlang_b(traffic: float, x: float):
    """Reference B(x, A) for real x >= 0 (exact recursion when x is an integer)."""
    if _is_int(x) and x < 200_000:
        return erlang_b_int(traffic, int(x))
    return erlang_b_gamma(float(traffic), float(x))


def erlang_b_integral(traffic: float, x: float):
    """1/B from the integral representation A int_0^inf e^{-At} (1+t)^x dt (cross-check)."""
    with mp.workdps(DPS):
        a = mpf(traffic)
        xx = mpf(x)
        # split at the mode of the integrand to help the quadrature
        mode = max(xx / a - 1, mpf(0))
        pts = [0, mode, mode + 10 * (1 + mode) / max(mpf(1), mp.sqrt(xx)) + 10 / a, mp.inf]
        val = a * mp.quad(lambda t: mp.exp(-a * t + xx * mp.log1p(t)), pts)
        return 1 / val


# --------------------------------------------------------------------------------------------
# Erlang C family


def erlang_c(traffic: float, n: float):
    if n <= traffic:
        return mpf(1)
    if traffic == 0:
        return mpf(0)
    with mp.workdps(DPS):
        b = erlang_b(traffic, n)
        a = mpf(traffic)
        nn = mpf(n)
        return nn * b / (nn - a * (1 - b))


def prob_wait_exceeds(traffic: float, n: float, aht: float, t: float):
    """1 - SL = C exp(-(n - A) t / aht) (stable case)."""
    with mp.workdps(DPS):
        c = erlang_c(traffic, n)
        return c * mp.exp(-(mpf(n) - mpf(traffic)) * mpf(t) / mpf(aht))


def service_level(traffic: float, n: float, aht: float, t: float):
    if n <= traffic:
        return mpf(0)
    with mp.workdps(DPS):
        return 1 - prob_wait_exceeds(traffic, n, aht, t)


def asa(traffic: float, n: float, aht: float):
    if n <= traffic:
        return mp.inf
    with mp.workdps(DPS):
        return erlang_c(traffic, n) * mpf(aht) / (mpf(n) - mpf(traffic))


def queue_length(traffic: float, n: float):
    if n <= traffic:
        return mp.inf
    with mp.workdps(DPS):
        return erlang_c(traffic, n) * mpf(traffic) / (mpf(n) - mpf(traffic))


def occupancy(traffic: float, n: float):
    with mp.workdps(DPS):
        if n == 0:
            return mpf(1)
        return min(mpf(traffic) / mpf(n), mpf(1))


def wait_quantile(traffic: float, n: float, aht: float, q: float):
    if n <= traffic:
        return mp.inf
    with mp.workdps(DPS):
        c = erlang_c(traffic, n)
        qq = mpf(q)
        if qq <= 1 - c:
            return mpf(0)
        return mpf(aht) / (mpf(n) - mpf(traffic)) * mp.log(c / (1 - qq))


# --------------------------------------------------------------------------------------------
# staffing searches (integer answers)


def _smallest(pred, lo: int, hi_hint: int) -> int:
    """Smallest integer n >= lo with pred(n) true, pred monotone (false ... false true ...)."""
    hi = max(hi_hint, lo)
    while not pred(hi):
        hi = hi * 2 + 1
    if pred(lo):
        return lo
    # pred(lo) false, pred(hi) true
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def servers_for_blocking(traffic: float, blocking: float) -> int:
    target = mpf(blocking)
    return _smallest(lambda n: erlang_b(traffic, n) <= target, 0, int(traffic) + 10)


def agents_for_service_level(traffic, aht, target, level, max_occupancy=None) -> int:
    lvl = mpf(level)

    def ok(n: int) -> bool:
        if max_occupancy is not None and (n == 0 or mpf(traffic) / n > mpf(max_occupancy)):
            return False
        return service_level(traffic, n, aht, target) >= lvl

    return _smallest(ok, 0, int(traffic) + 10)


def agents_for_asa(traffic, aht, asa_target, max_occupancy=None) -> int:
    tgt = mpf(asa_target)

    def ok(n: int) -> bool:
        if max_occupancy is not None and (n == 0 or mpf(traffic) / n > mpf(max_occupancy)):
            return False
        return asa(traffic, n, aht) <= tgt

    return _smallest(ok, 0, int(traffic) + 10)


def _bisect_root(f, lo, hi, iters: int = 200):
    """Root of a continuous f with f(lo) < 0 <= f(hi) by bisection (robust, ~2^-200)."""
    with mp.workdps(DPS):
        lo = mpf(lo)
        hi = mpf(hi)
        for _ in range(iters):
            mid = (lo + hi) / 2
            if f(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo < mpf(10) ** (-40) * max(1, abs(hi)):
                break
        return (lo + hi) / 2


def _erlang_c_real(traffic, x):
    """Erlang C at real x (mpf) through the gamma-function extension of B."""
    a = mpf(traffic)
    if x <= a:
        return mpf(1)
    with mp.workdps(DPS + 20):
        b = 1 / (mp.exp(a) * a ** (-x) * mp.gammainc(x + 1, a))
        return x * b / (x - a * (1 - b))


def service_level_real(traffic, x, aht, t):
    a = mpf(traffic)
    if x <= a:
        return mpf(0)
    return 1 - _erlang_c_real(traffic, x) * mp.exp(-(x - a) * mpf(t) / mpf(aht))


def asa_real(traffic, x, aht):
    a = mpf(traffic)
    if x <= a:
        return mp.inf
    return _erlang_c_real(traffic, x) * mpf(aht) / (x - a)


def fractional_agents_for_service_level(traffic, aht, target, level):
    """Real root x > A of SL(x) = level (SL increases from 0 at x = A+ to 1)."""
    n = agents_for_service_level(traffic, aht, target, level)
    lo = max(mpf(n - 1), mpf(traffic))
    return _bisect_root(lambda x: service_level_real(traffic, x, aht, target) - mpf(level), lo, n)


def fractional_agents_for_asa(traffic, aht, asa_target):
    n = agents_for_asa(traffic, aht, asa_target)
    lo = max(mpf(n - 1), mpf(traffic))

    def f(x):
        if x <= mpf(traffic):
            return mpf(-1)
        return mpf(asa_target) - asa_real(traffic, x, aht)

    return _bisect_root(f, lo, n)


# --------------------------------------------------------------------------------------------
# Erlang B with retrials


@functools.cache
def erlang_b_retrial(traffic: float, n: float, retry_fraction: float):
    """(blocking, offered_load): the fixed point y = A + r y B(y, n), blocking = B(y, n).

    g(y) = y (1 - r B(y, n)) = (1 - r) y + r * y (1 - B(y, n)) is increasing (carried traffic
    grows with offered traffic), g(A) <= A and g(A / (1 - r)) >= A, so the root in
    [A, A/(1-r)] is unique; it is located by mp.findroot (Anderson) and confirmed.
    """
    with mp.workdps(DPS):
        a = mpf(traffic)
        r = mpf(retry_fraction)
        if r == 0 or a == 0:
            return erlang_b_gamma_or_int(traffic, n), a

        def b_of(y):
            return _erlang_b_real_traffic(y, n)

        def f(y):
            return y - a - r * y * b_of(y)

        lo, hi = a, a / (1 - r)
        y = mp.findroot(f, (lo, hi), solver="anderson", tol=mpf(10) ** (-45), maxsteps=500)
        assert lo - mpf(10) ** -30 <= y <= hi + mpf(10) ** -30
        assert abs(f(y)) <= mpf(10) ** (-35) * y
        return b_of(y), y


def erlang_b_gamma_or_int(traffic, n):
    return erlang_b(float(traffic), float(n))


def _erlang_b_real_traffic(y, n):
    """B(n, y) for mpf traffic y (offered load is not a float); recursion or gamma form."""
    with mp.workdps(DPS + 20):
        if float(n).is_integer():
            b = mpf(1)
            for k in range(1, int(n) + 1):
                b = y * b / (k + y * b)
            return b
        x = mpf(n)
        return 1 / (mp.exp(y) * y ** (-x) * mp.gammainc(x + 1, y))


# --------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M)


@dataclass(frozen=True)
class ErlangARef:
    p_wait: object
    p_abandon: object
    asa: object
    mean_wait: object
    occupancy: object
    queue_length: object
    # None when no target
    sl_offered: object
    sl_answered: object
    sl_offered_minus_early: object
    # diagnostics
    n_states: int
    tail_bound: object
    little_check: object  # relative mismatch of the stage model vs Little's law
    busy_check: object  # relative mismatch of occupancy via sum min(k, n) pi_k
    sl_precision_ok: bool


@functools.cache
def erlang_a_dist(traffic: float, n: int, aht: float, patience: float):
    """Normalised stationary distribution [pi_0 .. pi_N] plus the checked tail bound."""
    assert float(n).is_integer()
    assert n >= 0
    n = int(n)
    with mp.workdps(DPS + 10):
        a = mpf(traffic)
        r = mpf(aht) / mpf(patience)  # theta / mu
        w = [mpf(1)]
        total = mpf(1)
        k = 0
        tail = None
        while True:
            k += 1
            d = min(k, n) + max(k - n, 0) * r
            ratio = a / d
            wk = w[-1] * ratio
            w.append(wk)
            total += wk
            if k > n and ratio < 1:
                # every later ratio is <= this one (d increases with k): geometric bound
                nxt = a / (n + (k + 1 - n) * r)
                bound = wk * nxt / (1 - nxt)
                if bound < total * mpf(10) ** (-45):
                    tail = bound / total
                    break
            if k > 5_000_000:  # pragma: no cover - grids never get here
                raise RuntimeError("Erlang A reference: state space too large")
        pi = [x / total for x in w]
        assert tail < mpf(10) ** (-40)
        return pi, tail


@functools.cache
def erlang_a(traffic: float, n: int, aht: float, patience: float, target: float | None = None):
    n = int(n)
    pi, tail = erlang_a_dist(traffic, n, aht, patience)
    with mp.workdps(DPS + 10):
        a = mpf(traffic)
        aht_m = mpf(aht)
        pat = mpf(patience)
        r = aht_m / pat  # theta/mu
        lam = a / aht_m
        theta = 1 / pat
        big_n = len(pi) - 1

        p_wait = mp.fsum(pi[n:])
        lq = mp.fsum((k - n) * pi[k] for k in range(n + 1, big_n + 1))
        p_ab = theta * lq / lam
        mean_wait = lq / lam
        occ = a * (1 - p_ab) / n if n > 0 else mpf(1)
        busy = mp.fsum(min(k, n) * pi[k] for k in range(big_n + 1))
        busy_check = abs(busy / n - occ) / occ if n > 0 and occ > 0 else mpf(0)

        # stage model: sums over j = k - n >= 0 (m = j + 1)
        ew_served = mpf(0)  # E[W 1{answered}] in units of aht
        e_min = mpf(0)  # E[min(V, tau)] in units of aht
        harm = mpf(0)  # sum_{i=1}^{m} 1/(n + i r)  (units of aht)
        for k in range(n, big_n + 1):
            m = k - n + 1
            harm += 1 / (n + m * r)
            p_s = n / (n + m * r)
            ew_served += pi[k] * p_s * harm
            e_min += pi[k] * (m * r / (n + m * r)) / r  # (1 - p_s)/theta in aht units
        little_check = abs(e_min * aht_m - mean_wait) / mean_wait if mean_wait > 0 else e_min
        p_answered = 1 - p_ab
        asa_v = ew_served * aht_m / p_answered if p_answered > 0 else mpf(0)

        sl_off = sl_ans = sl_early = None
        sl_ok = True
        if target is not None:
            work = DPS + 60
            sl_off, ab_t, sl_ok = _erlang_a_sl(pi, n, a, r, pat, mpf(target), work)
            for _ in range(4):  # tiny service level: redo with enough digits to cancel
                if sl_ok:
                    break
                work += int(-mp.log10(sl_off)) + 40 if sl_off > 0 else 400
                sl_off, ab_t, sl_ok = _erlang_a_sl(pi, n, a, r, pat, mpf(target), work)
            assert sl_ok
            sl_ans = sl_off / p_answered
            sl_early = sl_off / (1 - ab_t)
        return ErlangARef(
            p_wait=p_wait,
            p_abandon=p_ab,
            asa=asa_v,
            mean_wait=mean_wait,
            occupancy=occ,
            queue_length=lq,
            sl_offered=sl_off,
            sl_answered=sl_ans,
            sl_offered_minus_early=sl_early,
            n_states=big_n + 1,
            tail_bound=tail,
            little_check=little_check,
            busy_check=busy_check,
            sl_precision_ok=sl_ok,
        )


def _erlang_a_sl(pi, n, a, r, pat, t, work):
    """(P(answered within t), P(abandoned within t), precision flag) for the whole stream.

    Runs at a raised precision: 1 - I_x(alpha+1, m) can cancel; the flag says the worst-case
    cancellation loss is below 1e-25 of the answer.
    """
    with mp.workdps(work):
        pi = [mpf(p) for p in pi]
        big_n = len(pi) - 1
        x = mp.exp(-t / pat)  # e^{-theta t}
        alpha = n / r  # n mu / theta
        ans = mp.fsum(pi[:n])  # found a free agent: answered at once (t >= 0)
        ab = mpf(0)
        # I_x(b, m) = sum_{i=0}^{m-1} term_b(i),  term_b(0) = x^b,
        # term_b(i) = term_b(i-1) * (b + i - 1)/i * (1 - x)
        b1 = alpha + 1
        b0 = alpha
        t1 = x**b1
        t0 = x**b0
        i1 = mpf(0)  # I_x(alpha+1, m)
        i0 = mpf(0)  # I_x(alpha, m)
        loss = mpf(0)
        for k in range(n, big_n + 1):
            m = k - n + 1
            i = m - 1
            if i > 0:
                t1 = t1 * (b1 + i - 1) / i * (1 - x)
                t0 = t0 * (b0 + i - 1) / i * (1 - x)
            i1 += t1
            i0 += t0
            frac = alpha / (alpha + m)
            ans += pi[k] * frac * (1 - i1)
            ab += pi[k] * (m / (alpha + m) - x * i0 + frac * i1)
            loss += pi[k]
        ok = loss * mpf(10) ** (-(work - 5)) < mpf(10) ** (-25) * ans
        return ans, ab, ok


def erlang_a_tagged_expm(n, a_traffic, aht, patience, j, t):
    """Cross-check by brute force: transient solution of the tagged customer's chain.

    States: 0..j = customers ahead of it, then 'answered' and 'abandoned' (absorbing).
    From state i it moves on at rate n mu + i theta (to i-1, or to 'answered' from 0) and
    abandons at rate theta.  Returns (P(answered by t), P(abandoned by t)) for j ahead.
    """
    with mp.workdps(DPS):
        mu = 1 / mpf(aht)
        th = 1 / mpf(patience)
        size = j + 3
        ans_i, ab_i = j + 1, j + 2
        q = mp.zeros(size, size)
        for i in range(j + 1):
            go = n * mu + i * th
            dest = i - 1 if i > 0 else ans_i
            q[i, dest] += go
            q[i, ab_i] += th
            q[i, i] -= go + th
        p = mp.expm(q * mpf(t))
        return p[j, ans_i], p[j, ab_i]


def poisson_tail(traffic: float, n: int):
    """P(X >= n) for X ~ Poisson(A), via the regularised lower incomplete gamma."""
    with mp.workdps(DPS):
        if n <= 0:
            return mpf(1)
        # P(X <= n-1) = Gamma(n, A)/Gamma(n) (upper regularised)  =>  P(X >= n) = P(n, A)
        return mp.gammainc(n, 0, mpf(traffic), regularized=True)


def poisson_excess(traffic: float, n: int):
    """E[(X - n)^+] = A P(X >= n - 1) - n P(X >= n) for X ~ Poisson(A)."""
    with mp.workdps(DPS):
        return mpf(traffic) * poisson_tail(traffic, n - 1) - n * poisson_tail(traffic, n)


def to_float(x) -> float:
    if x is None:
        return None
    if x == mp.inf:
        return math.inf
    return float(x)
