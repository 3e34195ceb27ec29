"""The simulator's defects of issue 11 through the public API: occupancy against its exact
value, common random numbers across routing variants, and hostile models and options that
used to hang, overflow, crash or raise untyped errors."""

from __future__ import annotations

import math
import os
import signal
import threading
from typing import Any

import callroute as cr
import numpy as np
import pytest


def mmn(rate: float, aht: float, agents: int, *, patience: Any = "never", **queue: Any) -> dict:
    return {
        "queues": [{"name": "q", "max_no_answer": 0, **queue}],
        "groups": [{"name": "g", "count": agents}],
        "calls": [
            {"name": "c", "queue": "q", "handle": cr.sim.exponential(aht), "patience": patience}
        ],
        "arrivals": cr.sim.poisson(rate),
    }


# ------------------------------------------------------------------ defect 6: occupancy


def test_utilization_is_offered_load_over_agents() -> None:
    """M/M/10 at 8 Erlangs: the mean number of busy agents is lambda/mu exactly, so the
    occupancy is 0.8. Very patient callers (10^5 s) never abandon, but their patience timers
    used to stretch the counted staffed time up to a day past the last call."""
    model = mmn(0.08, 100.0, 10, patience=cr.sim.deterministic(1e5))
    res = cr.simulate(model, horizon=23_000, warmup=3_000, interval=1_000, replications=20, seed=5)
    busy = res._stack("busy").sum(axis=(1, 2))
    staffed = res._stack("staffed").sum(axis=(1, 2))
    share = busy / staffed
    mean, half = res.utilization["g"]
    assert mean == pytest.approx(float(share.mean()))
    half99 = 2.58 / 1.96 * half
    assert abs(mean - 0.8) <= half99, f"occupancy {mean:.4f} ± {half99:.4f}, exact 0.8"
    # agents' time counts where the calls do: 10 agents over the 20,000 s after the warm-up
    assert np.allclose(staffed, 10 * 20_000)
    occupancy = res.intervals()["occupancy"]
    assert np.isnan(occupancy[:3]).all()  # the warm-up
    assert np.isfinite(occupancy[3:23]).all()


# ----------------------------------------------------- defect 7: common random numbers


def test_compare_variants_see_the_same_callers() -> None:
    """Two variants differing only in which queue an agent serves first: the same callers
    arrive, and each draws the same handle time, whatever the routing did before (wrap-ups
    and callback acceptances used to be drawn from the callers' stream in routing order)."""

    def variant(first: int) -> dict[str, Any]:
        patience = cr.sim.exponential(60)
        return {
            "queues": [
                {"name": "a", "weight": first, "max_no_answer": 0},
                {"name": "b", "weight": 1 - first, "max_no_answer": 0},
            ],
            "groups": [{"name": "g", "count": 5}],
            "calls": [
                {
                    "name": "ca",
                    "queue": "a",
                    "handle": cr.sim.exponential(50),
                    "patience": patience,
                    "wrapup": cr.sim.exponential(5),
                    "callback": {"after": 20, "accept": 0.3},
                },
                {
                    "name": "cb",
                    "queue": "b",
                    "handle": cr.sim.lognormal(40, 1.2),
                    "patience": patience,
                    "wrapup": cr.sim.gamma(4, 0.5),
                },
            ],
            "arrivals": cr.sim.poisson(0.11),
        }

    comparison = cr.compare(
        {"a first": variant(1), "b first": variant(0)},
        horizon=20_000,
        replications=2,
        seed=4,
        record_calls=True,
    )
    x, y = (r.calls for r in comparison.results.values())
    assert x is not None
    assert y is not None
    fx, fy = x["retrial"] == 0, y["retrial"] == 0
    np.testing.assert_array_equal(x["arrival"][fx], y["arrival"][fy])
    np.testing.assert_array_equal(x["call_type"][fx], y["call_type"][fy])
    hx, hy = x["handle"][fx], y["handle"][fy]
    both = (hx > 0) & (hy > 0)
    assert both.sum() > 500
    np.testing.assert_array_equal(hx[both], hy[both])
    # the routing did change what happened to many callers
    assert (x["wait"][fx] != y["wait"][fy]).sum() > 300


# ------------------------------------------------------------- defect 8, hostile runs


def test_threads_must_be_a_whole_number() -> None:
    model = mmn(0.1, 10.0, 2)
    for bad in (2.5, "2", True, -1):
        with pytest.raises(cr.ModelError, match="threads"):
            cr.simulate(model, horizon=100, threads=bad)
    # any number of threads is fine: as many as there is work for are started
    one = cr.simulate(model, horizon=1_000, replications=3, seed=1, threads=1)
    many = cr.simulate(model, horizon=1_000, replications=3, seed=1, threads=10**30)
    assert one.summary() == many.summary()


def test_replications_are_bounded_by_memory() -> None:
    model = mmn(0.1, 10.0, 2)
    with pytest.raises(cr.ModelError, match="replications"):
        cr.simulate(model, horizon=100, replications=10**12)
    # 300,000 replications of a year in one-minute intervals: far more than 4 GiB
    with pytest.raises(cr.ModelError, match=r"replications: 300,000 result\(s\) .* GiB"):
        cr.simulate(model, horizon=365 * 86_400, interval=60, replications=300_000)


@pytest.mark.parametrize(
    ("handle", "field"),
    [
        (cr.sim.deterministic(1e13), "calls[0].handle.value"),
        (cr.sim.exponential(2e9), "calls[0].handle.mean"),
        (cr.sim.lognormal(100, 1e300), "calls[0].handle.cv"),
        (cr.sim.gamma(100, 1e300), "calls[0].handle.cv"),
    ],
)
def test_distribution_parameters_are_bounded(handle: Any, field: str) -> None:
    model = mmn(0.1, 10.0, 2)
    model["calls"][0]["handle"] = handle
    with pytest.raises(cr.ModelError, match=field.replace("[", r"\[").replace("]", r"\]")):
        cr.simulate(model, horizon=100)


def test_tiny_and_huge_cvs_give_finite_handle_times() -> None:
    for handle in (cr.sim.gamma(30, 1e-160), cr.sim.lognormal(30, 1e-160), cr.sim.gamma(30, 100)):
        model = mmn(0.1, 10.0, 2)
        model["calls"][0]["handle"] = handle
        res = cr.simulate(model, horizon=2_000, seed=1, record_calls=True)
        calls = res.calls
        assert calls is not None
        h = calls["handle"][calls["outcome"] == 0]
        assert len(h) > 0
        assert np.isfinite(h).all()
        assert (h >= 0).all()


def test_a_zero_delay_retrial_loop_is_refused() -> None:
    model = mmn(0.1, 10.0, 0, patience=cr.sim.deterministic(0))
    model["calls"][0]["retrial"] = {"probability": 1.0, "delay": cr.sim.deterministic(0)}
    with pytest.raises(cr.ModelError, match=r"calls\[0\]\.retrial\.delay"):
        cr.simulate(model, horizon=100)


def test_a_retrial_delay_beyond_the_clock_is_refused() -> None:
    model = mmn(0.01, 10.0, 0, patience=cr.sim.deterministic(0))
    model["calls"][0]["retrial"] = {"probability": 1.0, "delay": cr.sim.deterministic(1e13)}
    with pytest.raises(cr.ModelError, match=r"calls\[0\]\.retrial\.delay\.value"):
        cr.simulate(model, horizon=1_000)


def test_an_overloaded_model_stops_with_an_error_naming_the_line() -> None:
    model = mmn(1e6, 1.0, 1)
    with pytest.raises(cr.ModelError, match=r'overloaded.*line "q"'):
        cr.simulate(model, horizon=10, max_in_system=20_000)
    with pytest.raises(cr.ModelError, match="max_in_system"):
        cr.simulate(model, horizon=10, max_in_system=0)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to itself")
def test_ctrl_c_stops_a_long_run() -> None:
    """A run of tens of seconds, interrupted after a second: KeyboardInterrupt comes from
    inside the run, before its first replication is done (the progress callback never
    runs); it used to wait for the end of the batch."""
    model = mmn(50.0, 1.0, 60)
    done: list[tuple[int, int]] = []
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            cr.simulate(
                model,
                horizon=2_000_000,
                replications=2,
                threads=1,
                progress=lambda k, n: done.append((k, n)),
            )
    finally:
        timer.cancel()
    assert done == []
    assert math.isfinite(cr.simulate(model, horizon=10).kpi("offered")[0])
