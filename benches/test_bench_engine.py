"""Routing-engine benchmarks: the cost of one event seen from Python.

The design budget is a Python call overhead under 2 us per routing event (on top of the Rust
work, itself well under 1 us). Each benchmark drives an engine with 1,000 ready agents on one
queue through the cycle call_arrived -> Offer, offer_accepted, call_ended, and checks the
decisions it gets, so a fast wrong answer cannot pass:

* ``events: one by one``: three Python calls per cycle, ``CYCLES`` cycles per timed round;
* ``events: feed``: the same cycles as one ``Engine.feed`` batch of event tuples (built
  outside the timed part);
* ``events: minimal call``: ``Engine.next_deadline()``, a call that does no routing at all:
  the floor of the binding's cost (argument handling, lock, conversion).

Each records in ``extra_info``: ``impl`` ("callroute"), ``evaluations`` (events per timed
round, for the per-event figure of ``benches/conftest.py``'s summary), ``agents``, and
``target_seconds``: the per-round budget at 2 us per event plus 1 us of Rust work
(reported, not enforced).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

AGENTS = 1_000
CYCLES = 100  # call cycles per timed round
EVENTS = 3 * CYCLES
BUDGET_PER_EVENT = 3e-6  # seconds: 2 us of Python overhead + 1 us of routing


@pytest.fixture
def engine() -> Any:
    callroute = pytest.importorskip("callroute")
    eng = callroute.Engine(seed=1)
    eng.add_queue("q", skills={"s": 1})
    for i in range(AGENTS):
        eng.add_agent(f"a{i}", skills={"s": 1 + i % 5})
        eng.agent_ready(f"a{i}", 0.0)
    return eng


def record(benchmark: Any, evaluations: int, budget: float) -> None:
    benchmark.extra_info.update(
        impl="callroute",
        evaluations=evaluations,
        agents=AGENTS,
        target_seconds=budget,
    )


def test_events_one_by_one(benchmark: Any, engine: Any) -> None:
    import callroute

    benchmark.group = "events: one by one (1,000 agents)"
    record(benchmark, EVENTS, EVENTS * BUDGET_PER_EVENT)
    ids = itertools.count()

    def cycles() -> int:
        offers = 0
        for _ in range(CYCLES):
            k = next(ids)
            call, now = f"c{k}", 1.0 + k
            decisions = engine.call_arrived(call, now, queue="q")
            offers += isinstance(decisions[0], callroute.Offer)
            engine.offer_accepted(call, now)
            engine.call_ended(call, now)
        return offers

    assert benchmark(cycles) == CYCLES
    totals = engine.totals()
    assert totals.completed == totals.arrived
    engine.audit()


def test_events_feed(benchmark: Any, engine: Any) -> None:
    benchmark.group = "events: feed (1,000 agents)"
    record(benchmark, EVENTS, EVENTS * BUDGET_PER_EVENT)
    ids = itertools.count()

    def batch() -> tuple[tuple[list[tuple[Any, ...]]], dict[str, Any]]:
        events: list[tuple[Any, ...]] = []
        for _ in range(CYCLES):
            k = next(ids)
            call, now = f"c{k}", 1.0 + k
            events += [
                ("call_arrived", call, now, {"queue": "q"}),
                ("offer_accepted", call, now),
                ("call_ended", call, now),
            ]
        return (events,), {}

    decisions = benchmark.pedantic(engine.feed, setup=batch, rounds=200)
    assert sum(type(d).__name__ == "Offer" for d in decisions) == CYCLES
    totals = engine.totals()
    assert totals.completed == totals.arrived
    engine.audit()


def test_minimal_call(benchmark: Any, engine: Any) -> None:
    benchmark.group = "events: minimal call (1,000 agents)"
    record(benchmark, 1, 2e-6)
    assert benchmark(engine.next_deadline) is None
