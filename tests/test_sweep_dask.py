"""callroute.sweep on a Dask distributed cluster on loopback (issue 15): the same numbers as
local threads, with worker threads or worker processes. Dask comes with the ``test`` extra
(``callroute[dask]`` for users)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import callroute as cr
import numpy as np
import pytest
from callroute import sim

distributed = pytest.importorskip(
    "distributed", reason="Dask is in the test extra: pip install '.[test]' or '.[dask]'"
)


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """A cluster that never comes up fails the test instead of hanging the suite."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("Dask sweep test still running after 300 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(300)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def model() -> sim.SimModel:
    return sim.SimModel(
        {
            "queues": [
                {"name": "general", "skills": {"general": 1}, "sl_threshold": 20.0},
                {"name": "premium", "skills": {"premium": 1}, "sl_threshold": 20.0},
            ],
            "groups": [
                {"name": "generalists", "count": 4, "skills": {"general": 5, "premium": 1}},
                {"name": "specialists", "count": 2, "skills": {"premium": 5, "general": 3}},
            ],
            "calls": [
                {
                    "name": "general",
                    "queue": "general",
                    "share": 0.7,
                    "handle": sim.exponential(120.0),
                    "patience": sim.exponential(90.0),
                },
                {
                    "name": "premium",
                    "queue": "premium",
                    "share": 0.3,
                    "handle": sim.exponential(200.0),
                    "patience": sim.exponential(60.0),
                },
            ],
            "arrivals": sim.poisson(calls=80, per=1800),
            "horizon": 2 * 3600.0,
        }
    )


GRID = {"strategy": ["longest_idle", "round_robin"], "groups.generalists.count": [3, 4]}


@pytest.mark.parametrize("processes", [False, True], ids=["worker-threads", "worker-processes"])
def test_a_sweep_on_a_local_dask_cluster_gives_the_numbers_of_local_threads(
    processes: bool,
) -> None:
    local = cr.sweep(model(), GRID, replications=6, seed=21)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1",
            protocol="tcp://",  # loopback TCP even with worker threads (not inproc)
            dashboard_address=None,
            silence_logs=40,  # errors only
        ) as cluster,
        distributed.Client(cluster, timeout="60s") as client,
    ):
        assert isinstance(client, cr.sim.DaskClient)
        seen: list[int] = []
        on_dask = cr.sweep(
            model(),
            GRID,
            replications=6,
            seed=21,
            executor=client,
            chunk=2 if not processes else None,  # None: the cluster's default
            progress=lambda done, total: seen.append(done),
        )
        # the tasks really ran on the cluster's workers
        assert sum(client.run(lambda dask_worker: 1).values()) == 2
    assert sorted(seen)[-1] == 4 * 6
    a, b = local.table(), on_dask.table()
    assert list(a) == list(b)
    for col in a:
        np.testing.assert_array_equal(a[col], b[col], err_msg=col)
    sa, sb = local.summary(), on_dask.summary()
    np.testing.assert_array_equal(sa["mean"], sb["mean"])
    np.testing.assert_array_equal(sa["half_width"], sb["half_width"])
