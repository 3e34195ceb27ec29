"""callroute.sweep (issue 15): variants by name or by a grid of dotted paths, common random
numbers, the same numbers on every executor (threads, processes), tidy tables and a plot.
On a Dask distributed cluster on loopback (worker threads or processes) too: Dask comes with
the ``test`` extra (``callroute[dask]`` for users)."""

from __future__ import annotations

import copy
import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import callroute as cr
import numpy as np
import pytest
from callroute import sim


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Fail a test that runs for minutes instead of letting it hang the suite."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("sweep test still running after 240 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(240)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def two_skill_model() -> sim.SimModel:
    """Two queues, generalists and specialists; handle time independent of the agent."""
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


GRID = {"strategy": ["longest_idle", "highest_proficiency"], "groups.generalists.count": [3, 5]}


def same_tables(a: cr.SweepResult, b: cr.SweepResult) -> None:
    ta, tb = a.table(), b.table()
    assert list(ta) == list(tb)
    for col in ta:
        np.testing.assert_array_equal(ta[col], tb[col], err_msg=col)


def test_a_grid_makes_every_combination_and_matches_simulate_variant_by_variant() -> None:
    base = two_skill_model()
    result = cr.sweep(base, GRID, replications=5, seed=7)
    assert result.names == [
        "strategy=longest_idle, groups.generalists.count=3",
        "strategy=longest_idle, groups.generalists.count=5",
        "strategy=highest_proficiency, groups.generalists.count=3",
        "strategy=highest_proficiency, groups.generalists.count=5",
    ]
    assert result.columns == {
        "strategy": ["longest_idle"] * 2 + ["highest_proficiency"] * 2,
        "groups.generalists.count": [3, 5, 3, 5],
    }
    assert base["groups"][0]["count"] == 4  # the base model is left alone
    for name, strategy, count in zip(
        result.names,
        result.columns["strategy"],
        result.columns["groups.generalists.count"],
        strict=True,
    ):
        # the variant written by hand, run by simulate
        by_hand = copy.deepcopy(dict(base))
        by_hand["groups"][0]["count"] = count
        one = cr.simulate(sim.SimModel(by_hand).with_strategy(strategy), replications=5, seed=7)
        for line in (None, "premium"):
            mine, theirs = result.totals(name, line), one.totals(line)
            for key in ("offered", "answered", "answered_within", "abandoned"):
                np.testing.assert_array_equal(mine[key], theirs[key], err_msg=f"{name} {key}")
            for key in ("wait_answered", "busy"):  # seconds, summed in another order
                np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-12, err_msg=key)
        got = result.summary().to_pandas()
        got = got[(got["variant"] == name) & (got["kpi"] == "service_level")]
        mean, half = one.summary()["all"]["service_level"]
        assert got["mean"].item() == pytest.approx(mean, rel=1e-12)
        assert got["half_width"].item() == pytest.approx(half, rel=1e-9)


def test_common_random_numbers_same_callers_in_every_variant() -> None:
    result = cr.sweep(two_skill_model(), GRID, replications=6, seed=3)
    table = result.table()
    offered = table["offered"].reshape(4, 6)
    assert (offered == offered[0]).all()  # the same arrivals, replication by replication
    assert len(set(offered[0].tolist())) > 1  # and different ones between replications
    s = result.summary(kpis=("offered", "service_level")).to_pandas()
    assert (s[s["kpi"] == "offered"]["diff"] == 0).all()
    # a paired difference is much tighter than the KPI's own interval
    sl = s[(s["kpi"] == "service_level")].iloc[1:]
    assert (sl["diff_half_width"] < sl["half_width"]).all()


def test_results_are_the_same_on_every_executor_and_chunking() -> None:
    model = two_skill_model()
    grid = {"strategy": ["longest_idle", "round_robin"]}
    local = cr.sweep(model, grid, replications=7, seed=11)
    for options in (
        {"threads": 1},
        {"chunk": 1},
        {"chunk": 3, "threads": 2},
    ):
        same_tables(local, cr.sweep(model, grid, replications=7, seed=11, **options))
    with ThreadPoolExecutor(max_workers=3) as pool:
        same_tables(local, cr.sweep(model, grid, replications=7, seed=11, executor=pool))
    # fresh worker processes (spawn: no fork of a process that has run threads)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn) as pool:
        same_tables(local, cr.sweep(model, grid, replications=7, seed=11, executor=pool, chunk=2))
    other = cr.sweep(model, grid, replications=7, seed=12)
    assert not np.array_equal(local.table()["offered"], other.table()["offered"])


def test_named_models_and_named_models_crossed_with_a_grid() -> None:
    base = two_skill_model()
    quiet = copy.deepcopy(dict(base))
    quiet["arrivals"] = sim.poisson(calls=40, per=1800)
    named = cr.sweep({"busy": base, "quiet": quiet}, replications=3, seed=1)
    assert named.names == ["busy", "quiet"]
    assert named.columns == {"model": ["busy", "quiet"]}
    crossed = cr.sweep(
        {"busy": base, "quiet": quiet}, {"strategy": ["round_robin"]}, replications=3, seed=1
    )
    assert crossed.names == ["busy, strategy=round_robin", "quiet, strategy=round_robin"]
    table = crossed.table().to_polars()
    assert table.columns[:4] == ["variant", "model", "strategy", "replication"]
    assert table.height == 6
    busy, calm = (named.summary(kpis=("offered",))["mean"]).tolist()
    assert busy > 1.5 * calm  # twice the calls, give or take


def test_grid_paths_address_names_keys_and_indexes() -> None:
    model = two_skill_model()
    model["groups"][1] = {**model["groups"][1], "count": None, "counts": [2, 2, 2, 2]}
    del model["groups"][1]["count"]
    model["groups"][1]["interval"] = 1800.0
    result = cr.sweep(
        model,
        {
            "groups.specialists.counts.0": [0, 3],
            "calls.premium.handle": [sim.exponential(100.0)],
            "arrivals.poisson.rate": [0.02],
            "queues.general.max_wait": [600.0],
            "horizon": [3600.0],
        },
        replications=2,
    )
    assert result.names[0] == (
        "groups.specialists.counts.0=0, "
        'calls.premium.handle={"exponential":{"mean":100.0}}, arrivals.poisson.rate=0.02, '
        "queues.general.max_wait=600.0, horizon=3600.0"
    )
    offered = result.summary(kpis=("offered",))["mean"]
    assert offered[0] == offered[1] > 0


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("groups.tier9.count", "no item named 'tier9' in groups (names: generalists, specialists)"),
        ("group.generalists.count", "the model has no 'group'"),
        ("arrivals.poisson.rat", "no 'rat' at arrivals.poisson"),
        ("groups.generalists.skills.x.y", "groups.generalists.skills.x"),
        ("calls.general.handle.exponential.mean.x", "is a value"),
    ],
)
def test_an_unknown_grid_path_is_a_model_error_naming_it(path: str, message: str) -> None:
    with pytest.raises(cr.ModelError, match="grid: unknown path") as err:
        cr.sweep(two_skill_model(), {path: [1]}, replications=1)
    assert path in str(err.value)
    assert message in str(err.value)


def test_bad_variants_and_options_are_named_before_anything_runs() -> None:
    model = two_skill_model()
    with pytest.raises(cr.ModelError, match=r"variant 'groups.generalists.count=-1'.*count"):
        cr.sweep(model, {"groups.generalists.count": [4, -1]}, replications=1)
    with pytest.raises(cr.ModelError, match=r"variant 'strategy=best'.*best"):
        cr.sweep(model, {"strategy": ["longest_idle", "best"]}, replications=1)
    # refused by the engine only once the variant runs: still named
    model["queues"][1]["steps"] = [{"after": 30, "skills": {"premium": 1}}]
    with pytest.raises(cr.ModelError, match=r"variant 'queues.premium.steps.0.after=0'.*after"):
        cr.sweep(model, {"queues.premium.steps.0.after": [10, 0]}, replications=1)
    with pytest.raises(cr.ModelError, match="no values"):
        cr.sweep(model, {"strategy": []})
    with pytest.raises(cr.ModelError, match="needs a grid"):
        cr.sweep(model)
    with pytest.raises(cr.ModelError, match="list of values"):
        cr.sweep(model, {"strategy": "round_robin"})
    with pytest.raises(cr.ModelError, match=r"takes \{name: model\}"):
        cr.sweep({"a": 1})
    with pytest.raises(cr.ModelError, match="replications"):
        cr.sweep(model, {"strategy": ["round_robin"]}, replications=0)
    with pytest.raises(cr.ModelError, match="unknown option"):
        cr.sweep(model, {"strategy": ["round_robin"]}, horizn=5)
    with pytest.raises(cr.ModelError, match="record_calls"):
        cr.sweep(model, {"strategy": ["round_robin"]}, record_calls=True)
    with pytest.raises(cr.ParameterError, match="executor"):
        cr.sweep(model, {"strategy": ["round_robin"]}, executor=object())  # type: ignore[arg-type]
    result = cr.sweep(model, {"strategy": ["round_robin"]}, replications=2)
    with pytest.raises(cr.UnknownIdError, match="nobody"):
        result.totals("nobody")
    with pytest.raises(cr.ParameterError, match="kind"):
        result.summary(kind="median")  # type: ignore[arg-type]
    with pytest.raises(cr.ParameterError, match="happiness"):
        result.summary(kpis=("happiness",))


def test_progress_reports_replications_and_the_text_says_what_it_shows() -> None:
    seen: list[tuple[int, int]] = []
    result = cr.sweep(
        two_skill_model(),
        {"strategy": ["longest_idle", "round_robin"]},
        replications=5,
        chunk=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert [t for _, t in seen] == [10] * 6  # 3 tasks of 2, 2, 1 per variant
    assert sorted(d for d, _ in seen)[-1] == 10
    text = str(result)
    assert "strategy=round_robin" in text
    assert "2 variant(s) x 5 replication(s)" in text
    assert "ratio of means" in text


def test_the_plot_draws_a_kpi_against_a_grid_column(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = cr.sweep(two_skill_model(), GRID, replications=3, seed=2)
    out = result.plot(tmp_path / "sweep.png", kpi="service_level")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # strategies along x, one line per head count: categorical x with error bars
    assert result.plot(tmp_path / "by.png", x="strategy", by="groups.generalists.count")
    with pytest.raises(cr.ParameterError, match="no column 'variant_x'"):
        result.plot(tmp_path / "x.png", x="variant_x")
    three = cr.sweep(
        two_skill_model(), {**GRID, "groups.specialists.count": [1, 2]}, replications=2
    )
    with pytest.raises(cr.ParameterError, match=r"groups\.specialists\.count also vary"):
        three.plot(tmp_path / "x.png")
    assert result.plot(tmp_path / "premium.png", kpi="asa", line="premium").is_file()
    named = cr.sweep({"a": two_skill_model(), "b": two_skill_model()}, replications=2)
    assert named.plot(tmp_path / "named.png", kpi="asa").is_file()


def test_default_chunk_spreads_work_and_keeps_cluster_tasks_large() -> None:
    chunk = sys.modules["callroute.sim.sweep"]._default_chunk

    class FakeClient:  # what sweep reads of a distributed.Client
        def __init__(self, workers: int) -> None:
            self.workers = workers

        def get_executor(self, **kwargs: Any) -> Any:
            raise AssertionError("not used here")

        def nthreads(self) -> dict[str, int]:
            return {f"tcp://127.0.0.1:{9000 + k}": 1 for k in range(self.workers)}

    assert isinstance(FakeClient(1), cr.sim.DaskClient)
    # 1,000 variants x 100 replications on 100 workers: whole variants per task
    assert chunk(FakeClient(100), None, 100, 1_000) == 100
    # a small study on 2 workers: still at least 10 per task, at most a variant's all
    assert chunk(FakeClient(2), None, 6, 4) == 6
    assert chunk(FakeClient(2), None, 50, 4) == 25
    # local threads: at most 10, fewer so that the cores all get work
    assert chunk(None, 2, 7, 4) == 4
    assert chunk(None, 2, 1_000, 10) == 10


@pytest.mark.parametrize("processes", [False, True], ids=["worker-threads", "worker-processes"])
def test_a_sweep_on_a_local_dask_cluster_gives_the_numbers_of_local_threads(
    processes: bool,
) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="Dask is in the test extra: pip install '.[test]' or '.[dask]'"
    )
    local = cr.sweep(two_skill_model(), GRID, replications=6, seed=21)
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
            two_skill_model(),
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
    same_tables(local, on_dask)
    sa, sb = local.summary(), on_dask.summary()
    np.testing.assert_array_equal(sa["mean"], sb["mean"])
    np.testing.assert_array_equal(sa["half_width"], sb["half_width"])
