"""Erlang benchmarks: callroute against the pyworkforce peer, workload by workload.

Each workload is one pytest-benchmark group holding the callroute test and, where there is a
peer, the pyworkforce test, so one run times both sides. Every test also checks its result
against an independent pure-Python reference (below), so that a fast wrong answer cannot pass.
pyworkforce is optional: its tests skip when it is not installed (``pip install pyworkforce``).

Each benchmark records in ``extra_info``:

* ``impl``: "callroute" or "pyworkforce";
* ``evaluations``: Erlang evaluations per timed call (for per-evaluation figures);
* ``target_ratio`` (callroute >= this many times faster than pyworkforce per evaluation) or
  ``target_seconds`` (callroute median per timed call <= this), both from the issue.

``benches/conftest.py`` turns these into a summary table at the end of a timed run.

pyworkforce takes ``transactions`` per ``interval`` and ``aht``/``asa`` in one time unit; with
``interval == aht`` its intensity is exactly the traffic in Erlangs.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pytest

AHT = 180.0  # seconds
TARGET = 20.0  # seconds (80/20 service level)
LEVEL = 0.8

# workload a: one Erlang C at 2,000 Erlangs
A_TRAFFIC, A_AGENTS = 2000.0, 2050
# workload b: agents for 80/20 at 10,000 Erlangs
B_TRAFFIC = 10000.0
# workload c: Erlang A at 1,000 Erlangs
C_TRAFFIC, C_AGENTS, C_PATIENCE = 1000.0, 1030, 300.0
# workload d: one million vectorized Erlang C; pyworkforce loops over the first D_PEER points
D_SIZE, D_PEER, D_SEED = 1_000_000, 1_000, 20240601
D_CHECK = 200  # points of the vector checked against the pure-Python reference


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def callroute() -> Any:
    return pytest.importorskip("callroute")


@pytest.fixture(scope="module")
def pyworkforce_erlang_c() -> Any:
    queuing = pytest.importorskip("pyworkforce.queuing")
    return queuing.ErlangC


@pytest.fixture(scope="module")
def vector_workload() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(D_SEED)
    traffic = rng.uniform(1.0, 2000.0, D_SIZE)
    agents = np.floor(traffic * 1.05 + 1.0).astype(np.int64)
    return traffic, agents


def _peer(erlang_c_cls: Any, traffic: float) -> Any:
    return erlang_c_cls(transactions=traffic, aht=AHT, asa=TARGET, interval=AHT)


# --------------------------------------------------------------- pure-Python references


def ref_erlang_c(traffic: float, agents: int) -> float:
    """P(wait) of M/M/n by the (stable) recursion on 1/B; 1.0 when agents <= traffic."""
    if agents <= traffic:
        return 1.0
    inv_b = 1.0
    for k in range(1, agents + 1):
        inv_b = 1.0 + inv_b * k / traffic
    b = 1.0 / inv_b
    return agents * b / (agents - traffic * (1.0 - b))


@cache
def ref_agents_for_service_level(traffic: float, aht: float, target: float, level: float) -> int:
    """Smallest n with 1 - C(n) exp(-(n - A) target / aht) >= level (Erlang C)."""
    inv_b = 1.0
    n = 0
    while True:
        n += 1
        inv_b = 1.0 + inv_b * n / traffic
        if n <= traffic:
            continue
        b = 1.0 / inv_b
        c = n * b / (n - traffic * (1.0 - b))
        if 1.0 - c * math.exp(-(n - traffic) * target / aht) >= level:
            return n


@cache
def ref_erlang_a(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> tuple[float, float]:
    """(P(wait), service level "offered") of M/M/n+M, exact up to truncation.

    Stationary birth-death distribution (death rate min(k, n) mu + max(k - n, 0) theta), and
    for an arrival finding j callers waiting ahead, P(answered within target) from the
    uniformized chain "j ahead -> j - 1 at rate n mu + j theta, abandon at rate theta".
    Checked against the Erlang C limit (patience -> inf) and a simulation.
    """
    n = agents
    lam, mu, theta = traffic / aht, 1.0 / aht, 1.0 / patience
    below = 0.0  # sum of pi_k / pi_n, k < n
    ratio = 1.0
    for k in range(n, 0, -1):
        ratio *= k / traffic
        below += ratio
        if ratio < 1e-300:
            break
    above = [1.0]  # pi_{n+j} / pi_n
    ratio, j = 1.0, 0
    while True:
        j += 1
        ratio *= lam / (n * mu + j * theta)
        if j > 10 and ratio < 1e-18 * sum(above):
            break
        above.append(ratio)
    total = below + sum(above)
    p_wait = sum(above) / total

    rates = [n * mu + i * theta for i in range(len(above))]
    big = rates[-1] + theta
    lt = big * target
    v = [0.0] * len(above)  # P(answered within m uniformized steps | i ahead)
    answered = [0.0] * len(above)
    weight, m = math.exp(-lt), 0
    while True:
        v = [
            (r * (1.0 if i == 0 else v[i - 1]) + (big - r - theta) * v[i]) / big
            for i, r in enumerate(rates)
        ]
        m += 1
        weight *= lt / m
        for i in range(len(v)):
            answered[i] += weight * v[i]
        if m > lt and weight < 1e-18:
            break
    sl = (below + sum(p * f for p, f in zip(above, answered, strict=True))) / total
    return p_wait, sl


# ------------------------------------------------ a. one Erlang C at 2,000 Erlangs


@pytest.mark.benchmark(group="a: erlang_c 2000 E")
def test_a_erlang_c_callroute(benchmark: Any, callroute: Any) -> None:
    benchmark.extra_info.update(impl="callroute", evaluations=1, target_ratio=100)
    # Sub-microsecond: time 200 calls a round so the timer's own cost does not count.
    p = benchmark.pedantic(
        callroute.erlang_c, args=(A_TRAFFIC, A_AGENTS), iterations=200, rounds=500, warmup_rounds=5
    )
    assert isinstance(p, float)
    assert p == pytest.approx(ref_erlang_c(A_TRAFFIC, A_AGENTS), rel=1e-10)


@pytest.mark.benchmark(group="a: erlang_c 2000 E")
def test_a_erlang_c_pyworkforce(benchmark: Any, pyworkforce_erlang_c: Any) -> None:
    benchmark.extra_info.update(impl="pyworkforce", evaluations=1)
    peer = _peer(pyworkforce_erlang_c, A_TRAFFIC)
    p = benchmark(peer.waiting_probability, A_AGENTS)
    assert p == pytest.approx(ref_erlang_c(A_TRAFFIC, A_AGENTS), rel=1e-10)


# ------------------------------------ b. agents for 80/20 (AHT 180 s) at 10,000 Erlangs


@pytest.mark.benchmark(group="b: agents 80/20 10000 E")
def test_b_agents_callroute(benchmark: Any, callroute: Any) -> None:
    benchmark.extra_info.update(impl="callroute", evaluations=1, target_ratio=1000)
    n = benchmark(callroute.agents_for_service_level, B_TRAFFIC, AHT, TARGET, LEVEL)
    assert isinstance(n, int)
    assert n == ref_agents_for_service_level(B_TRAFFIC, AHT, TARGET, LEVEL)


@pytest.mark.benchmark(group="b: agents 80/20 10000 E")
def test_b_agents_pyworkforce(benchmark: Any, pyworkforce_erlang_c: Any) -> None:
    benchmark.extra_info.update(impl="pyworkforce", evaluations=1)
    peer = _peer(pyworkforce_erlang_c, B_TRAFFIC)
    # ~10 ms a call: a few rounds are enough
    result = benchmark.pedantic(
        peer.required_positions, args=(LEVEL,), kwargs={"max_occupancy": 1.0}, rounds=3
    )
    assert result["raw_positions"] == ref_agents_for_service_level(B_TRAFFIC, AHT, TARGET, LEVEL)


def test_b_same_agent_count(callroute: Any, pyworkforce_erlang_c: Any) -> None:
    """Direct cross-check (not timed; skipped by --benchmark-only)."""
    ours = callroute.agents_for_service_level(B_TRAFFIC, AHT, TARGET, LEVEL)
    theirs = _peer(pyworkforce_erlang_c, B_TRAFFIC).required_positions(LEVEL)["raw_positions"]
    assert ours == theirs


# ---------------------------------------------- c. Erlang A service level at 1,000 Erlangs


@pytest.mark.benchmark(group="c: erlang_a 1000 E")
def test_c_erlang_a_callroute(benchmark: Any, callroute: Any) -> None:
    benchmark.extra_info.update(impl="callroute", evaluations=1, target_seconds=100e-6)
    result = benchmark(callroute.erlang_a, C_TRAFFIC, C_AGENTS, AHT, C_PATIENCE, target=TARGET)
    p_wait, sl = ref_erlang_a(C_TRAFFIC, C_AGENTS, AHT, C_PATIENCE, TARGET)
    assert result.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert result.service_level == pytest.approx(sl, rel=1e-9)


# ------------------------------- d. one million vectorized Erlang C, traffic 1..2,000


@pytest.mark.benchmark(group="d: erlang_c vector 1M")
def test_d_erlang_c_vector_callroute(
    benchmark: Any, callroute: Any, vector_workload: tuple[np.ndarray, np.ndarray]
) -> None:
    traffic, agents = vector_workload
    benchmark.extra_info.update(impl="callroute", evaluations=D_SIZE, target_seconds=1.0)
    p = benchmark.pedantic(callroute.erlang_c, args=(traffic, agents), rounds=5, warmup_rounds=1)
    assert isinstance(p, np.ndarray)
    assert p.shape == (D_SIZE,)
    assert p.dtype == np.float64
    assert np.all(np.isfinite(p))
    assert np.all((p > 0.0) & (p < 1.0))
    idx = np.linspace(0, D_SIZE - 1, D_CHECK).astype(int)
    ref = [ref_erlang_c(float(traffic[i]), int(agents[i])) for i in idx]
    np.testing.assert_allclose(p[idx], ref, rtol=1e-9)


@pytest.mark.benchmark(group="d: erlang_c vector 1M")
def test_d_erlang_c_loop_pyworkforce(
    benchmark: Any, pyworkforce_erlang_c: Any, vector_workload: tuple[np.ndarray, np.ndarray]
) -> None:
    traffic = vector_workload[0][:D_PEER].tolist()
    agents = vector_workload[1][:D_PEER].tolist()
    benchmark.extra_info.update(impl="pyworkforce", evaluations=D_PEER)

    def loop() -> list[float]:
        return [
            _peer(pyworkforce_erlang_c, a).waiting_probability(n)
            for a, n in zip(traffic, agents, strict=True)
        ]

    p = benchmark.pedantic(loop, rounds=3)
    for i in range(0, D_PEER, D_PEER // 50):
        assert p[i] == pytest.approx(ref_erlang_c(traffic[i], agents[i]), rel=1e-9)
