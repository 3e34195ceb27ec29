"""Sweep benchmarks: replications per second of a strategy study on local threads and on a
local Dask cluster of 1 and 2 worker processes (issue 15).

The study: the bundled bank weekday (``callroute.example_path("model")``, two queues, two
agent groups) under 2 strategies x 2 skill levels of the specialists, ``SWEEP_BENCH_REPS``
replications each (default 4, so CI's single untimed run stays short; 25 or more for
figures). ``evaluations`` records the replications, so the summary reports the time per
replication. Every executor's table is checked against the local threads' one: the same
numbers, whatever ran them.

Run timed with ``SWEEP_BENCH_REPS=25 pytest benches/test_bench_sweep.py --benchmark-only``.
The Dask cluster (loopback TCP, worker processes of one thread) starts once per worker
count, outside the timing; a round includes sending the tasks and gathering the totals.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

REPS = int(os.environ.get("SWEEP_BENCH_REPS", "4"))
# how strongly the specialists are skilled for general calls: 1 (a last resort) or 5
GRID = {
    "strategy": ["longest_idle", "highest_proficiency"],
    "groups.specialists.skills.general": [1, 5],
}
VARIANTS = 4


@pytest.fixture(scope="module")
def cr() -> Any:
    return pytest.importorskip("callroute")


@pytest.fixture(scope="module")
def study(cr: Any) -> tuple[Any, Any]:
    """The base model and the local threads' result (the reference of every executor)."""
    model = cr.load_model(cr.example_path("model"))
    return model, cr.sweep(model, GRID, replications=REPS, seed=1)


def check(reference: Any, result: Any) -> None:
    a, b = reference.table(), result.table()
    assert a.height == VARIANTS * REPS
    for col in a:
        np.testing.assert_array_equal(a[col], b[col], err_msg=col)


def record(benchmark: Any, impl: str) -> None:
    benchmark.extra_info.update(impl=impl, evaluations=VARIANTS * REPS)


@pytest.mark.parametrize("threads", [1, os.cpu_count() or 1])
def test_sweep_threads(benchmark: Any, cr: Any, study: tuple[Any, Any], threads: int) -> None:
    benchmark.group = f"sweep: {VARIANTS} variants x {REPS} replications"
    model, reference = study
    result = benchmark.pedantic(
        cr.sweep,
        args=(model, GRID),
        kwargs={"replications": REPS, "seed": 1, "threads": threads},
        rounds=3,
    )
    record(benchmark, "callroute" if threads > 1 else "threads x1")
    check(reference, result)


@pytest.fixture(scope="module", params=[1, 2], ids=["dask-1-worker", "dask-2-workers"])
def dask_client(request: pytest.FixtureRequest) -> Iterator[tuple[int, Any]]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=request.param,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster, timeout="60s") as client,
    ):
        yield request.param, client


def test_sweep_dask(
    benchmark: Any, cr: Any, study: tuple[Any, Any], dask_client: tuple[int, Any]
) -> None:
    workers, client = dask_client
    benchmark.group = f"sweep: {VARIANTS} variants x {REPS} replications"
    model, reference = study
    result = benchmark.pedantic(
        cr.sweep,
        args=(model, GRID),
        kwargs={"replications": REPS, "seed": 1, "executor": client},
        rounds=3,
    )
    record(benchmark, f"dask x{workers} worker(s)")
    check(reference, result)
