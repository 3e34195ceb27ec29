"""The runtime journal: engine inputs per second with every input committed before it applies.

Each timed round drives ``CYCLES`` call cycles (call_arrived with three items of attached
data -> Offer, offer_accepted, call_ended: three inputs) through a
:class:`~callroute.runtime.JournaledEngine` over an engine of 1,000 ready agents, on a
journal in a temporary directory, with the default snapshot cadence (every 1,000 inputs, so
the snapshots' cost is in the figure) and pruning. Groups:

* ``journal: NORMAL`` -- WAL, ``synchronous=NORMAL`` (the default: survives a killed process);
* ``journal: FULL`` -- WAL, ``synchronous=FULL`` (an fsync per input: survives power loss;
  its figure is mostly the disk's flush time);
* ``journal: none`` -- the same cycles on the bare engine, for the overhead.

``extra_info``: ``impl``, ``evaluations`` (inputs per round: the summary prints the
per-input time), ``target_seconds`` (100 us per input, i.e. 10,000 inputs/s: twice the
runtime's 5,000 events/s aim; reported, not enforced). Each round checks its decisions, and
the journal's recovery is checked to give the live engine's state once at the end.

Snapshots are taken by count only (every 1,000 inputs, the default): the rounds advance the
engine's clock by a second per call cycle, far faster than a live center does, so the
default 30-second cadence would snapshot every 90 inputs here instead of every few thousand.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

AGENTS = 1_000
CYCLES = 100
INPUTS = 3 * CYCLES
BUDGET_PER_INPUT = 100e-6


def build() -> Any:
    callroute = pytest.importorskip("callroute")
    eng = callroute.Engine(seed=1)
    eng.add_queue("q", skills={"s": 1})
    for i in range(AGENTS):
        eng.add_agent(f"a{i}", skills={"s": 1 + i % 5})
        eng.agent_ready(f"a{i}", 0.0)
    return eng


def drive(benchmark: Any, target: Any) -> None:
    import callroute

    benchmark.extra_info.update(
        impl="callroute", evaluations=INPUTS, target_seconds=INPUTS * BUDGET_PER_INPUT
    )
    ids = itertools.count()

    def cycles() -> int:
        offers = 0
        for _ in range(CYCLES):
            k = next(ids)
            call, now = f"c{k}", 1.0 + k
            data = {"account": str(k), "authenticated": True, "score": 0.5}
            decisions = target.call_arrived(call, now, queue="q", data=data)
            offers += isinstance(decisions[0], callroute.Offer)
            target.offer_accepted(call, now)
            target.call_ended(call, now)
        return offers

    assert benchmark(cycles) == CYCLES
    totals = target.totals()
    assert totals.completed == totals.arrived


@pytest.mark.parametrize("synchronous", ["NORMAL", "FULL"])
def test_journaled_inputs(benchmark: Any, tmp_path: Path, synchronous: str) -> None:
    from callroute.runtime import Journal, JournaledEngine

    benchmark.group = f"journal: {synchronous} (1,000 agents)"
    path = tmp_path / "bench.sqlite"
    with Journal(path, synchronous=synchronous) as journal:  # type: ignore[arg-type]
        je = JournaledEngine(build(), journal, snapshot_every=1000, snapshot_seconds=None)
        drive(benchmark, je)
        live = je.snapshot()
    with Journal(path) as journal:
        again, _ = JournaledEngine.recover(build, journal)
        assert again.snapshot() == live


def test_bare_engine_inputs(benchmark: Any) -> None:
    benchmark.group = "journal: none (1,000 agents)"
    drive(benchmark, build())
