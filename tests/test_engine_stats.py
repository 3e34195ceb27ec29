"""Queue, interval and agent statistics on a hand-computed scenario."""

from __future__ import annotations

import math

import callroute
import pytest
from _engine_util import conserved, offered

# Timeline (one agent "a", queue "q": SL threshold 20 s, short abandon 5 s, intervals 100 s):
#   c1 in at   0, offered at once, accepted at  10 (wait 10, within SL), ends at  70 (talk 60)
#   c2 in at   5, waits; offered at 70, accepted at  72 (wait 67, late),  ends at 102 (talk 30)
#   c3 in at  20, abandons at 23 (wait  3: a short abandon)
#   c4 in at  30, abandons at 50 (wait 20)
#   c5 in at 110 (second interval), offered at once, accepted at 115 (wait 5), ends at 135 (talk 20)


@pytest.fixture(scope="module")
def eng() -> callroute.Engine:
    eng = callroute.Engine(interval=100.0)
    eng.add_queue("q", sl_threshold=20.0, short_abandon=5.0)
    eng.add_agent("a")
    eng.agent_ready("a", 0.0)
    assert offered(eng.call_arrived("c1", 0.0, queue="q")) == [("c1", "a")]
    eng.call_arrived("c2", 5.0, queue="q")
    eng.offer_accepted("c1", 10.0)
    eng.call_arrived("c3", 20.0, queue="q")
    eng.call_abandoned("c3", 23.0)
    eng.call_arrived("c4", 30.0, queue="q")
    eng.call_abandoned("c4", 50.0)
    assert offered(eng.call_ended("c1", 70.0)) == [("c2", "a")]
    eng.offer_accepted("c2", 72.0)
    eng.call_ended("c2", 102.0)
    assert offered(eng.call_arrived("c5", 110.0, queue="q")) == [("c5", "a")]
    eng.offer_accepted("c5", 115.0)
    eng.call_ended("c5", 135.0)
    return eng


def test_queue_stats(eng: callroute.Engine) -> None:
    s = eng.queue_stats("q")
    counts = (s.offered, s.answered, s.answered_within_sl, s.abandoned, s.short_abandoned)
    assert counts == (5, 3, 2, 2, 1)
    assert (s.exited, s.moved_out, s.completed) == (0, 0, 3)
    assert s.wait_answered == pytest.approx(82.0)
    assert s.wait_abandoned == pytest.approx(23.0)
    assert s.talk == pytest.approx(110.0)
    assert s.asa == pytest.approx(82.0 / 3)
    assert s.aht == pytest.approx(110.0 / 3)
    assert s.service_level == pytest.approx(2 / 5)
    assert (s.waiting, s.offering, s.agents_logged_in, s.agents_available) == (0, 0, 1, 1)
    assert s.expected_wait == 0.0
    assert s.longest_wait == 0.0


def test_interval_stats(eng: callroute.Engine) -> None:
    first, second = eng.interval_stats("q")
    assert (first.start, second.start) == (0.0, 100.0)
    assert (first.offered, first.answered, first.answered_within_sl) == (4, 2, 1)
    assert (first.abandoned, first.short_abandoned, first.completed) == (2, 1, 2)
    assert first.asa == pytest.approx(77.0 / 2)
    assert first.aht == pytest.approx(45.0)
    assert first.service_level == pytest.approx(1 / 4)
    assert (second.offered, second.answered, second.answered_within_sl) == (1, 1, 1)
    assert second.abandoned == 0
    assert second.asa == pytest.approx(5.0)
    assert second.talk == pytest.approx(20.0)
    assert second.wait_abandoned == 0.0


def test_agent_stats(eng: callroute.Engine) -> None:
    s = eng.agent_stats("a")
    assert (s.handled, s.offered, s.declined, s.missed) == (3, 3, 0, 0)
    assert s.talk == pytest.approx(110.0)
    assert s.offered_time == pytest.approx(10.0 + 2.0 + 5.0)
    assert s.idle == pytest.approx(8.0)
    assert s.wrapup == 0.0
    assert s.not_ready == {}
    assert s.occupancy == pytest.approx(127.0 / 135.0)


def test_totals_and_conservation(eng: callroute.Engine) -> None:
    t = eng.totals()
    assert (t.arrived, t.completed, t.abandoned, t.exited, t.rejected, t.active) == (
        5,
        3,
        2,
        0,
        0,
        0,
    )
    conserved(eng)
    eng.audit()


def test_stats_before_any_call_are_nan() -> None:
    eng = callroute.Engine()
    eng.add_queue("q", expected_aht=120.0)
    eng.add_agent("a")
    s = eng.queue_stats("q")
    assert math.isnan(s.asa)
    assert math.isnan(s.aht)
    assert math.isnan(s.service_level)
    assert s.expected_wait == math.inf  # nobody logged in
    assert eng.interval_stats("q") == []
    assert math.isnan(eng.agent_stats("a").occupancy)
    eng.agent_not_ready("a", 0.0, "training")
    eng.call_arrived("c1", 0.0, queue="q")
    assert eng.queue_stats("q").expected_wait == pytest.approx(240.0)  # (1 + 1) * 120 / 1
    eng.agent_ready("a", 30.0)
    assert eng.agent_stats("a").not_ready == {"training": pytest.approx(30.0)}


def test_value_objects_are_frozen_and_comparable(eng: callroute.Engine) -> None:
    s = eng.queue_stats("q")
    with pytest.raises(AttributeError):
        s.offered = 0  # type: ignore[misc]
    assert eng.totals() == eng.totals()
    assert hash(eng.totals()) == hash(eng.totals())
    assert "offered=5" in repr(s)
    assert repr(eng.totals()).startswith("Totals(arrived=5, completed=3")
