"""The custom scorer's hard cases: interrupts that must not be swallowed, and re-entrance
through other engines that must fail with a typed error instead of deadlocking.

Every test that could hang on a regression runs its work in a daemon thread and joins it with
a generous timeout, so a deadlock fails the test instead of hanging the run.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import callroute
import pytest
from _engine_util import conserved, offered
from callroute import Engine

GUARD = 60.0  # seconds a thread may take before the test calls it a deadlock


def scored_engine(prefix: str = "") -> Engine:
    eng = Engine()
    eng.add_queue("q", strategy="custom")
    for name in ("a", "b", "c"):
        eng.add_agent(prefix + name)
        eng.agent_ready(prefix + name, 0.0)
    return eng


def in_thread(work: Callable[[], Any]) -> dict[str, Any]:
    """Run `work` in a daemon thread; fail (instead of hanging) if it never returns."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = work()
        except BaseException as exc:
            out["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(GUARD)
    assert not th.is_alive(), "the engine call deadlocked"
    return out


# --------------------------------------------------------------------------- interrupts


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_in_the_scorer_propagates_after_the_event(
    interrupt: type[BaseException],
) -> None:
    eng = scored_engine()

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        raise interrupt

    eng.set_scorer(scorer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an interrupt is not a warning
        with pytest.raises(interrupt) as info:
            eng.call_arrived("c1", 1.0, queue="q")
    # the interrupted decision was made as for a failed scorer: the first candidate
    decisions = info.value.decisions  # type: ignore[attr-defined]
    assert offered(decisions) == [("c1", "a")]
    assert eng.call_info("c1").state == "offered"
    assert eng.scorer_failures == 1
    eng.audit()
    # nothing is left pending: the next call runs normally
    eng.set_scorer(lambda call, agents: [float(a == "b") for a in agents])
    assert offered(eng.call_arrived("c2", 2.0, queue="q")) == [("c2", "b")]
    eng.offer_accepted("c1", 3.0)
    eng.call_ended("c1", 4.0)
    conserved(eng)


def test_after_an_interrupt_the_scorer_is_not_run_again_in_that_call() -> None:
    eng = Engine()
    eng.add_queue("q", strategy="custom")
    for i in range(6):
        eng.add_agent(f"a{i}")
        eng.agent_ready(f"a{i}", 0.0)
    for i in range(3):
        eng.call_arrived(f"c{i}", 1.0, queue="q")  # offered to a0, a1, a2 until 16.0
    runs: list[str] = []

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        runs.append(call.id)
        raise KeyboardInterrupt

    eng.set_scorer(scorer)
    # the three offers lapse at once: three calls to route again in one advance
    with pytest.raises(KeyboardInterrupt) as info:
        eng.advance(20.0)
    assert runs == ["c0"]  # Ctrl-C stops the scorer, not only its first decision
    # the rest of the advance went on as if the scorer had failed: every call re-offered
    again = offered(info.value.decisions)  # type: ignore[attr-defined]
    assert [call for call, _ in again] == ["c0", "c1", "c2"]
    assert eng.scorer_failures == 3
    eng.audit()


def test_a_batch_stops_after_the_interrupted_event() -> None:
    eng = scored_engine()
    runs: list[str] = []

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        runs.append(call.id)
        if call.id == "c2":
            raise KeyboardInterrupt
        return [0.0] * len(agents)

    eng.set_scorer(scorer)
    events = [("call_arrived", f"c{i}", float(i), {"queue": "q"}) for i in range(1, 4)]
    with pytest.raises(KeyboardInterrupt) as info:
        eng.feed(events)
    assert info.value.applied == 2  # type: ignore[attr-defined]
    assert offered(info.value.decisions) == [("c1", "a"), ("c2", "b")]  # type: ignore[attr-defined]
    assert runs == ["c1", "c2"]
    assert eng.calls() == ["c1", "c2"]  # c3 never arrived
    eng.audit()


def test_an_ordinary_exception_still_warns() -> None:
    eng = scored_engine()
    eng.set_scorer(lambda call, agents: 1 / 0)
    with pytest.warns(RuntimeWarning, match="custom scorer failed once"):
        eng.call_arrived("c1", 1.0, queue="q")


# --------------------------------------------------------------------------- re-entrance


def test_a_scorer_calling_its_own_engine_raises_reentrancy_error() -> None:
    eng = scored_engine()

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        eng.totals()  # the engine is busy routing this very call
        return [0.0] * len(agents)

    eng.set_scorer(scorer)
    out = in_thread(lambda: eng.call_arrived("c1", 1.0, queue="q"))
    err = out.get("error")
    assert isinstance(err, callroute.errors.ReentrancyError), out
    assert isinstance(err, callroute.InvalidEventError)  # the family it belongs to
    assert type(err) is callroute.errors.EngineReentrancyError  # raised by the engine
    assert "own engine" in str(err)
    # applied as for a failed scorer, and the engine goes on
    assert eng.call_info("c1").state == "offered"
    eng.set_scorer(None)
    eng.audit()


def test_engines_whose_scorers_call_each_other_on_one_thread() -> None:
    a, b = scored_engine(), scored_engine()

    def score_a(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        b.call_arrived("via-a", 1.0, queue="q")  # B's scorer then reads A: a cycle
        return [0.0] * len(agents)

    def score_b(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
        a.totals()
        return [0.0] * len(agents)

    a.set_scorer(score_a)
    b.set_scorer(score_b)
    out = in_thread(lambda: a.call_arrived("c1", 1.0, queue="q"))
    assert isinstance(out.get("error"), callroute.errors.ReentrancyError), out
    for eng in (a, b):
        eng.set_scorer(None)
        eng.audit()
    assert a.call_info("c1").state == "offered"
    assert b.call_info("via-a").state == "offered"


def test_engines_whose_scorers_call_each_other_from_two_threads() -> None:
    a, b = scored_engine(), scored_engine()
    both_scoring = threading.Barrier(2, timeout=GUARD)

    def crossing(other: Engine) -> Callable[[callroute.engine.CallView, list[str]], list[float]]:
        def scorer(call: callroute.engine.CallView, agents: list[str]) -> list[float]:
            both_scoring.wait()  # both engines are locked, each inside its scorer
            other.totals()
            return [0.0] * len(agents)

        return scorer

    a.set_scorer(crossing(b))
    b.set_scorer(crossing(a))
    results: dict[str, dict[str, Any]] = {}

    def run(name: str, eng: Engine) -> None:
        results[name] = in_thread(lambda: eng.call_arrived("c1", 1.0, queue="q"))

    threads = [threading.Thread(target=run, args=p, daemon=True) for p in (("a", a), ("b", b))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(2 * GUARD)
        assert not th.is_alive(), "the engine calls deadlocked"
    errors = [r["error"] for r in results.values() if "error" in r]
    # exactly one side closes the cycle and is refused; the other then goes through
    assert len(errors) == 1, results
    assert isinstance(errors[0], callroute.errors.ReentrancyError)
    assert "deadlock" in str(errors[0])
    for eng in (a, b):
        eng.set_scorer(None)
        assert eng.call_info("c1").state == "offered"
        eng.audit()


def test_a_scorer_dropped_by_set_scorer_may_call_the_engine_from_del() -> None:
    eng = scored_engine()
    seen: list[int] = []

    class Scorer:
        def __call__(self, call: callroute.engine.CallView, agents: list[str]) -> list[float]:
            return [0.0] * len(agents)

        def __del__(self) -> None:
            seen.append(eng.totals().arrived)

    eng.set_scorer(Scorer())
    out = in_thread(lambda: eng.set_scorer(None))
    assert "error" not in out, out
    assert seen == [0]
