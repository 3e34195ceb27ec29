"""Determinism, snapshots, batch replay, threads and the custom scorer."""

from __future__ import annotations

import gc
import math
import pickle
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import callroute
import pytest
from _engine_util import conserved, offered, the_offer
from callroute import Engine

Event = tuple[Any, ...]


def setup_events() -> list[Event]:
    return [
        ("add_queue", "general", {"strategy": "random", "offer_timeout": 8.0}),
        ("add_queue", "vip", {"strategy": "weighted_random", "skills": {"vip": 1},
                              "max_wait": 40.0, "overflow": "general", "wrapup": 3.0}),
        ("add_queue", "chat", {"media": "chat", "strategy": "round_robin"}),
        *[("add_agent", f"a{i}", {"skills": {"vip": i % 3}, "weight": 1.0 + i,
                                  "capacity": {"voice": 1, "chat": 2},
                                  "auto_answer": i % 3 == 2}) for i in range(8)],
    ]  # fmt: skip


def apply(eng: Engine, event: Event) -> list[object]:
    name, *args = event
    kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
    return list(getattr(eng, name)(*args, **kwargs) or [])


def drive(eng: Engine, rng: random.Random, steps: int, log: list[Event]) -> list[object]:
    """A closed-loop random shell: picks valid events from the engine's state, logs them."""
    out: list[object] = []
    t = eng.now or 0.0
    for _ in range(steps):
        t += rng.choice([0.0, 0.5, 1.0, 2.0, 5.0])
        calls = eng.calls()
        roll = rng.random()
        event: Event
        if roll < 0.3:
            queue = rng.choice(["general", "vip", "chat"])
            call = f"c{eng.totals().arrived}"
            event = ("call_arrived", call, t, {"queue": queue, "priority": rng.randint(0, 2)})
        elif roll < 0.45:
            agent = f"a{rng.randrange(8)}"
            state = eng.agent_state(agent)
            if state in ("logged_out", "not_ready"):
                event = ("agent_ready", agent, t)
            elif rng.random() < 0.5:
                event = ("agent_not_ready", agent, t, rng.choice(["break", "lunch"]))
            else:
                event = ("agent_logout", agent, t)
            if state == "ready" and event[0] == "agent_ready":
                continue
        elif roll < 0.85 and calls:
            call = rng.choice(calls)
            state = eng.call_info(call).state
            if state == "offered":
                event = (rng.choice(["offer_accepted"] * 4 + ["offer_declined"]), call, t)
            elif state == "connected":
                event = (rng.choice(["call_ended"] * 5 + ["transfer"]), call, t)
                if event[0] == "transfer":
                    queue = "chat" if eng.call_info(call).queue == "chat" else "general"
                    event = ("transfer", call, t, queue)
            else:
                event = (rng.choice(["call_abandoned", "callback_requested"]), call, t)
                if event[0] == "callback_requested" and eng.call_info(call).callback:
                    continue
        else:
            deadline = eng.next_deadline()
            t = max(t, deadline if deadline is not None else t)
            event = ("advance", t)
        try:
            out.extend(apply(eng, event))
        except callroute.InvalidEventError:
            continue  # e.g. ready while ready: nothing changed, nothing logged
        log.append(event)
    return out


def fresh(log: list[Event]) -> Engine:
    eng = Engine(seed=99)
    for event in setup_events():
        apply(eng, event)
        log.append(event)
    return eng


def test_same_events_same_decisions() -> None:
    log1: list[Event] = []
    log2: list[Event] = []
    first = drive(fresh(log1), random.Random(1), 3000, log1)
    second = drive(fresh(log2), random.Random(1), 3000, log2)
    assert len(first) > 1000
    assert first == second
    assert log1 == log2


def test_recorded_log_replays_through_feed() -> None:
    log: list[Event] = []
    eng = fresh(log)
    live = drive(eng, random.Random(2), 3000, log)
    replay = Engine(seed=99)
    assert replay.feed(log) == live
    assert replay.snapshot() == eng.snapshot()
    # and in chunks, through any iterable
    chunked = Engine(seed=99)
    out: list[object] = []
    for i in range(0, len(log), 97):
        out.extend(chunked.feed(iter(log[i : i + 97])))
    assert out == live


def test_snapshot_mid_run_continues_identically() -> None:
    log: list[Event] = []
    eng = fresh(log)
    drive(eng, random.Random(3), 1500, log)
    blob = eng.snapshot()
    restored = Engine.restore(blob)
    assert restored.snapshot() == blob
    tail: list[Event] = []
    rest = drive(eng, random.Random(4), 1500, tail)
    assert len(rest) > 300
    assert restored.feed(tail) == rest
    assert restored.snapshot() == eng.snapshot()
    restored.audit()
    copied = pickle.loads(pickle.dumps(eng))
    assert copied.snapshot() == eng.snapshot()


# --------------------------------------------------------------------------- threads

THREADS, ROUNDS, AGENTS = 4, 400, 3


def worker(eng: Engine, i: int, clock: Callable[[], float], errors: list[BaseException]) -> None:
    """One tenant per thread: its own queue, agents and calls."""

    def at(method: Callable[..., list[object]], *args: Any) -> list[object]:
        # another thread may have moved the clock past our reading: read again and retry
        while True:
            try:
                return method(*args, clock())
            except callroute.TimeError:
                continue

    try:
        mine = f"t{i}"
        for j in range(AGENTS):
            at(eng.agent_ready, f"{mine}a{j}")
        for k in range(ROUNDS):
            call = f"{mine}c{k}"
            decisions = at(lambda c, now: eng.call_arrived(c, now, queue=mine), call)
            for d in decisions:
                assert getattr(d, "call", getattr(d, "agent", "")).startswith(mine)
            for c in [c for c in eng.calls() if c.startswith(mine)]:
                state = eng.call_info(c).state
                if state == "offered":
                    at(eng.offer_accepted, c)
                elif state == "connected":
                    at(eng.call_ended, c)
        # drain: end everything still here
        while mine_calls := [c for c in eng.calls() if c.startswith(mine)]:
            for c in mine_calls:
                state = eng.call_info(c).state
                if state == "offered":
                    at(eng.offer_accepted, c)
                elif state == "connected":
                    at(eng.call_ended, c)
                else:
                    at(eng.call_abandoned, c)
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)


def feeder(eng: Engine, clock: Callable[[], float], errors: list[BaseException]) -> None:
    """Big batches: `feed` holds the lock with the GIL released while the others wait."""
    try:
        for _ in range(40):
            while True:
                now = clock()
                batch: list[Event] = []
                for _ in range(100):
                    batch += [
                        ("agent_not_ready", "feeder", now, "break"),
                        ("agent_ready", "feeder", now),
                    ]
                try:
                    decisions = eng.feed(batch)
                except callroute.TimeError as exc:
                    applied = getattr(exc, "applied", None)
                else:
                    assert len(decisions) == 200
                    break
                assert applied == 0  # a stale clock reading fails before anything changes
    except BaseException as exc:
        errors.append(exc)


def test_threads_share_one_engine() -> None:
    eng = Engine()
    eng.add_agent("feeder", tenant="feeder")
    eng.agent_ready("feeder", 0.0)
    for i in range(THREADS):
        eng.add_queue(f"t{i}", tenant=f"tenant{i}")
        for j in range(AGENTS):
            eng.add_agent(f"t{i}a{j}", tenant=f"tenant{i}")
    start = time.monotonic()

    def clock() -> float:
        return time.monotonic() - start

    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=worker, args=(eng, i, clock, errors)) for i in range(THREADS)
    ]
    threads.append(threading.Thread(target=feeder, args=(eng, clock, errors)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    eng.audit()
    t = eng.totals()
    assert t.arrived == THREADS * ROUNDS
    assert t.active == 0
    conserved(eng)
    for i in range(THREADS):
        assert eng.queue_stats(f"t{i}").offered == ROUNDS


def test_feed_batches_from_threads() -> None:
    eng = Engine()
    lock = threading.Lock()
    clock = [0.0]
    for i in range(THREADS):
        eng.add_queue(f"q{i}", tenant=f"x{i}")
        eng.add_agent(f"x{i}", tenant=f"x{i}")
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            for k in range(200):
                with lock:  # one shared clock: batches enter in time order
                    clock[0] += 1.0
                    now = clock[0]
                    batch: list[Event] = [("call_arrived", f"x{i}c{k}", now, {"queue": f"q{i}"})]
                    if k == 0:
                        batch.insert(0, ("agent_ready", f"x{i}", now))
                    decisions = eng.feed(batch)
                    offer = the_offer(decisions)
                    eng.feed([("offer_accepted", offer.call, now), ("call_ended", offer.call, now)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert eng.totals().completed == THREADS * 200
    eng.audit()


# --------------------------------------------------------------------------- custom scorer


def scored_engine() -> Engine:
    eng = Engine()
    eng.add_queue("q", strategy="custom")
    for name in ("a", "b", "c"):
        eng.add_agent(name)
        eng.agent_ready(name, 0.0)
    return eng


def test_custom_scorer_picks_the_highest_score() -> None:
    eng = scored_engine()
    seen: list[tuple[callroute.engine.CallView, list[str]]] = []
    scores = {"a": 1.0, "b": 5.0, "c": 3.0}

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> Sequence[float]:
        seen.append((call, agents))
        return [scores[a] for a in agents]

    eng.set_scorer(scorer)
    offer = the_offer(eng.call_arrived("c1", 4.0, queue="q", priority=2, data={"lang": "fr"}))
    assert offer.agent == "b"
    view, agents = seen[0]
    assert agents == ["a", "b", "c"]
    assert (view.id, view.queue, view.priority, view.waited) == ("c1", "q", 2, 0.0)
    assert view.data == {"lang": "fr"}
    assert the_offer(eng.call_arrived("c2", 5.0, queue="q")).agent == "c"
    assert eng.scorer_failures == 0
    eng.set_scorer(None)
    assert the_offer(eng.call_arrived("c3", 6.0, queue="q")).agent == "a"


@pytest.mark.parametrize(
    ("scorer", "cause"),
    [
        (lambda call, agents: 1 / 0, ZeroDivisionError),
        (lambda call, agents: [1.0], ValueError),
        (lambda call, agents: ["x", "y", "z"], ValueError),
        (lambda call, agents: [math.nan] * len(agents), ValueError),
        (lambda call, agents: None, ValueError),
    ],
)
def test_failing_scorer_warns_and_falls_back(
    scorer: Callable[[callroute.engine.CallView, list[str]], Any], cause: type[Exception]
) -> None:
    eng = scored_engine()
    eng.set_scorer(scorer)
    with pytest.warns(RuntimeWarning, match="custom scorer failed once") as record:
        decisions = eng.call_arrived("c1", 1.0, queue="q")
    assert offered(decisions) == [("c1", "a")]  # the first candidate
    assert isinstance(record[0].message.__cause__, cause)
    assert eng.scorer_failures == 1
    eng.audit()
    # the engine goes on normally
    eng.offer_accepted("c1", 2.0)
    eng.call_ended("c1", 3.0)
    conserved(eng)


def test_failing_scorer_under_warnings_as_errors_still_applies_the_event() -> None:
    eng = scored_engine()
    eng.set_scorer(lambda call, agents: 1 / 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            eng.call_arrived("c1", 1.0, queue="q")
    assert eng.call_info("c1").state == "offered"
    eng.audit()


def test_scorer_may_not_reenter_its_engine() -> None:
    eng = scored_engine()

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        eng.totals()  # the engine is busy routing this very call
        return [0.0] * len(agents)

    eng.set_scorer(scorer)
    # the ReentrancyError (an InvalidEventError) propagates once the event is applied
    with pytest.raises(callroute.InvalidEventError):
        eng.call_arrived("c1", 1.0, queue="q")
    assert eng.call_info("c1").state == "offered"
    eng.set_scorer(None)
    eng.audit()


def test_scorer_in_a_feed_and_not_in_snapshots() -> None:
    eng = scored_engine()
    eng.set_scorer(lambda call, agents: [float(a == "c") for a in agents])
    decisions = eng.feed([("call_arrived", "c1", 1.0, {"queue": "q"})])
    assert offered(decisions) == [("c1", "c")]
    restored = Engine.restore(eng.snapshot())
    assert the_offer(restored.call_arrived("c2", 2.0, queue="q")).agent == "a"
    with pytest.raises(callroute.ConfigError, match="callable"):
        eng.set_scorer(42)  # type: ignore[arg-type]


def test_an_engine_and_its_scorer_are_collected() -> None:
    collected = threading.Event()

    class Scorer:
        def __init__(self, eng: Engine) -> None:
            self.eng = eng  # a reference cycle: engine -> scorer -> engine

        def __call__(self, call: callroute.engine.CallView, agents: list[str]) -> list[float]:
            return [0.0] * len(agents)

        def __del__(self) -> None:
            collected.set()

    eng = Engine()
    eng.set_scorer(Scorer(eng))
    del eng
    gc.collect()
    assert collected.is_set()
