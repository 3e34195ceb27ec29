"""Routing behaviour of callroute.Engine on small hand-built scenes."""

from __future__ import annotations

import collections
import itertools
import math
import pickle
from typing import Any

import callroute
import pytest
from _engine_util import conserved, offered, only, the_offer
from callroute import Engine


def scene(strategy: str, agents: list[str], *, seed: int = 0, **queue: Any) -> Engine:
    eng = Engine(seed=seed)
    eng.add_queue("q", strategy=strategy, **queue)
    for name in agents:
        eng.add_agent(name)
    return eng


def serve(eng: Engine, call: str, at: float, talk: float = 0.0) -> list[object]:
    """Accept and end an offered call; the decisions of the end (the agent's next offer)."""
    eng.offer_accepted(call, at)
    return list(eng.call_ended(call, at + talk))


def cycle(eng: Engine, calls: int, start: float = 10.0) -> list[str]:
    """Calls arrive one by one and are served at once: who got each."""
    got = []
    for i in range(calls):
        t = start + i
        offer = the_offer(eng.call_arrived(f"k{i}", t, queue="q"))
        got.append(offer.agent)
        serve(eng, offer.call, t)
    return got


# --------------------------------------------------------------------------- strategies


def test_longest_idle_picks_the_agent_idle_longest() -> None:
    eng = scene("longest_idle", ["a", "b", "c"])
    eng.agent_ready("b", 0.0)
    eng.agent_ready("c", 1.0)
    eng.agent_ready("a", 2.0)
    assert offered(eng.call_arrived("c1", 3.0, queue="q")) == [("c1", "b")]
    serve(eng, "c1", 3.0, talk=1.0)  # b is free again, but since 4.0
    assert offered(eng.call_arrived("c2", 5.0, queue="q")) == [("c2", "c")]
    assert offered(eng.call_arrived("c3", 6.0, queue="q")) == [("c3", "a")]
    assert offered(eng.call_arrived("c4", 7.0, queue="q")) == [("c4", "b")]


def test_round_robin_rotates_with_memory() -> None:
    eng = scene("round_robin", ["a", "b", "c"])
    for name in "abc":
        eng.agent_ready(name, 0.0)
    assert cycle(eng, 5) == ["a", "b", "c", "a", "b"]
    # the rotation remembers its place even when an agent is away
    eng.agent_not_ready("c", 20.0)
    assert cycle(eng, 3, start=21.0) == ["a", "b", "a"]
    eng.agent_ready("c", 30.0)
    assert cycle(eng, 3, start=31.0) == ["b", "c", "a"]  # after a comes b, then c again


def test_fewest_calls_prefers_the_least_used_agent() -> None:
    eng = scene("fewest_calls", ["a", "b", "c"])
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 0.0)
    assert cycle(eng, 3) == ["a", "b", "a"]  # tie at one call each: longest idle (a)
    eng.agent_ready("c", 20.0)  # idle shortest, but no calls yet
    assert cycle(eng, 2, start=21.0) == ["c", "b"]


def test_least_talk_time_prefers_the_least_talked_agent() -> None:
    eng = scene("least_talk_time", ["a", "b"])
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 0.0)
    assert the_offer(eng.call_arrived("c1", 1.0, queue="q")).agent == "a"
    serve(eng, "c1", 1.0, talk=100.0)  # a: 100 s of talk, free since 101
    assert the_offer(eng.call_arrived("c2", 102.0, queue="q")).agent == "b"
    serve(eng, "c2", 102.0, talk=10.0)  # b: 10 s, free since 112
    assert the_offer(eng.call_arrived("c3", 113.0, queue="q")).agent == "b"
    assert the_offer(eng.call_arrived("c4", 114.0, queue="q")).agent == "a"


def test_highest_proficiency_with_ties_to_the_longest_idle() -> None:
    eng = Engine()
    eng.add_queue("q", strategy="highest_proficiency", skills={"s": 1})
    eng.add_agent("low", skills={"s": 3})
    eng.add_agent("hi1", skills={"s": 9})
    eng.add_agent("hi2", skills={"s": 9})
    eng.agent_ready("low", 0.0)
    eng.agent_ready("hi2", 1.0)
    eng.agent_ready("hi1", 2.0)
    got = [the_offer(eng.call_arrived(f"c{i}", 3.0 + i, queue="q")).agent for i in range(3)]
    assert got == ["hi2", "hi1", "low"]


def test_linear_always_takes_the_first_agent_added() -> None:
    eng = scene("linear", ["a", "b", "c"])
    eng.agent_ready("c", 0.0)
    eng.agent_ready("b", 1.0)
    eng.agent_ready("a", 2.0)
    assert cycle(eng, 3) == ["a", "a", "a"]
    # with a busy, the next in the order of addition
    assert the_offer(eng.call_arrived("x1", 20.0, queue="q")).agent == "a"
    assert the_offer(eng.call_arrived("x2", 21.0, queue="q")).agent == "b"


def draws(strategy: str, weights: list[float], n: int, seed: int) -> list[str]:
    eng = Engine(seed=seed)
    eng.add_queue("q", strategy=strategy)
    for i, w in enumerate(weights):
        eng.add_agent(f"a{i}", weight=w)
        eng.agent_ready(f"a{i}", 0.0)
    return cycle(eng, n)


def chi_square(counts: collections.Counter[str], expected: dict[str, float]) -> float:
    return sum((counts[k] - e) ** 2 / e for k, e in expected.items())


# 99.9th percentile of the chi-square distribution with 3 degrees of freedom
CHI2_3DOF_999 = 16.27


def test_random_is_reproducible_and_uniform() -> None:
    first = draws("random", [1, 1, 1, 1], 4000, seed=42)
    assert first == draws("random", [1, 1, 1, 1], 4000, seed=42)
    assert first[:50] != draws("random", [1, 1, 1, 1], 50, seed=43)
    counts = collections.Counter(first)
    assert chi_square(counts, {f"a{i}": 1000.0 for i in range(4)}) < CHI2_3DOF_999
    # each draw is fresh: the winner of one draw wins the next one a quarter of the time
    repeats = sum(x == y for x, y in itertools.pairwise(first)) / (len(first) - 1)
    assert repeats == pytest.approx(0.25, abs=0.04)


def test_weighted_random_is_proportional_to_weights() -> None:
    weights = [1.0, 2.0, 3.0, 4.0]
    got = draws("weighted_random", weights, 5000, seed=7)
    counts = collections.Counter(got)
    expected = {f"a{i}": 5000 * w / sum(weights) for i, w in enumerate(weights)}
    assert chi_square(counts, expected) < CHI2_3DOF_999
    assert got == draws("weighted_random", weights, 5000, seed=7)


def test_custom_strategy_without_scorer_takes_the_first_candidate() -> None:
    eng = scene("custom", ["a", "b"])
    eng.agent_ready("b", 0.0)
    eng.agent_ready("a", 1.0)
    assert the_offer(eng.call_arrived("c1", 2.0, queue="q")).agent == "a"


# --------------------------------------------------------------------------- call order


def queue_up(eng: Engine, calls: list[tuple[str, float, int]]) -> None:
    for call, at, priority in calls:
        assert only(eng.call_arrived(call, at, queue="q", priority=priority), callroute.Queued)


def service_order(eng: Engine, at: float) -> list[str]:
    """Make the one agent ready and serve every waiting call: in which order."""
    order = []
    decisions = eng.agent_ready("a", at)
    while offers := only(decisions, callroute.Offer):
        order.append(offers[0].call)
        at += 1.0
        decisions = serve(eng, offers[0].call, at)
    return order


def test_priority_then_arrival_when_an_agent_frees() -> None:
    eng = scene("longest_idle", ["a"])
    queue_up(eng, [("c1", 1.0, 0), ("c2", 2.0, 5), ("c3", 3.0, 5), ("c4", 4.0, 0)])
    assert eng.position("c2") == 1
    assert eng.position("c4") == 4
    assert service_order(eng, 10.0) == ["c2", "c3", "c1", "c4"]


@pytest.mark.parametrize(("aging", "order"), [(0.0, ["c2", "c3", "c1"]), (1.0, ["c2", "c1", "c3"])])
def test_aging_raises_the_priority_of_waiting_calls(aging: float, order: list[str]) -> None:
    # with one point per second, c1 (priority 0, in at 0) overtakes c3 (priority 5, in at 6)
    eng = scene("longest_idle", ["a"], aging=aging)
    queue_up(eng, [("c1", 0.0, 0), ("c2", 4.0, 5), ("c3", 6.0, 5)])
    assert service_order(eng, 10.0) == order


# --------------------------------------------------------------------------- relaxation


def test_relaxation_step_widens_the_skills_after_its_delay() -> None:
    eng = Engine()
    eng.add_queue("q", skills={"s": 7}, steps=[{"after": 30.0, "skills": {"s": 5}}])
    eng.add_agent("five", skills={"s": 5})
    eng.agent_ready("five", 0.0)
    assert only(eng.call_arrived("c1", 1.0, queue="q"), callroute.Queued)
    assert eng.next_deadline() == pytest.approx(31.0)
    assert eng.advance(30.9) == []
    decisions = eng.advance(eng.next_deadline() or 0.0)
    assert decisions[0] == callroute.StepReached("c1", "q", 1)
    assert offered(decisions) == [("c1", "five")]
    assert eng.call_info("c1").step == 1


def test_relaxation_step_also_queues_and_priority() -> None:
    eng = Engine()
    eng.add_queue("backup", skills={"b": 1})
    eng.add_queue(
        "q",
        skills={"s": 1},
        steps=[{"after": 10.0, "priority": 3}, {"after": 20.0, "also_queues": ["backup"]}],
    )
    eng.add_agent("bee", skills={"b": 1})
    eng.agent_ready("bee", 0.0)
    eng.call_arrived("c1", 0.0, queue="q", priority=1)
    assert only(eng.advance(10.0), callroute.StepReached) == [callroute.StepReached("c1", "q", 1)]
    assert eng.call_info("c1").priority == 4
    decisions = eng.advance(20.0)
    assert callroute.StepReached("c1", "q", 2) in decisions
    assert offered(decisions) == [("c1", "bee")]


# --------------------------------------------------------------------------- offers


def test_offer_timeout_revokes_and_reoffers_elsewhere() -> None:
    eng = scene("longest_idle", ["a", "b"], offer_timeout=10.0, retry=5.0)
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 1.0)
    offer = the_offer(eng.call_arrived("c1", 2.0, queue="q"))
    assert (offer.agent, offer.expires) == ("a", 12.0)
    assert eng.next_deadline() == 12.0
    decisions = eng.advance(12.0)
    assert decisions[0] == callroute.Revoked("c1", "a", "no_answer")
    assert offered(decisions) == [("c1", "b")]
    assert eng.agent_stats("a").missed == 1


def test_max_no_answer_sets_the_agent_not_ready() -> None:
    eng = scene("longest_idle", ["a"], offer_timeout=10.0, retry=0.0, max_no_answer=2)
    eng.agent_ready("a", 0.0)
    assert the_offer(eng.call_arrived("c1", 0.0, queue="q")).agent == "a"
    first = eng.advance(10.0)
    assert first[0] == callroute.Revoked("c1", "a", "no_answer")
    assert offered(first) == [("c1", "a")]  # no retry delay: offered again
    second = eng.advance(20.0)
    assert callroute.AgentStateChanged("a", "not_ready", "no answer") in second
    assert only(second, callroute.Queued) == [callroute.Queued("c1", "q", 1, 180.0)]
    assert eng.agent_state("a") == "not_ready"
    assert eng.agent_reason("a") == "no answer"
    # back to ready: the streak starts afresh and the call is offered again
    assert offered(eng.agent_ready("a", 21.0)) == [("c1", "a")]


def test_decline_puts_the_call_back_at_its_place() -> None:
    eng = scene("longest_idle", ["a", "b"])
    eng.agent_ready("a", 0.0)
    eng.add_agent("late")
    assert the_offer(eng.call_arrived("c1", 1.0, queue="q")).agent == "a"
    eng.call_arrived("c2", 2.0, queue="q")
    eng.call_arrived("c3", 3.0, queue="q")
    decisions = eng.offer_declined("c1", 4.0)
    # a may not get c1 again for `retry` seconds: it takes the next call instead
    assert offered(decisions) == [("c2", "a")]
    assert eng.position("c1") == 1
    assert eng.position("c3") == 2
    assert offered(eng.agent_ready("b", 5.0)) == [("c1", "b")]
    assert eng.agent_stats("a").declined == 1


def test_abandon_while_offered_revokes() -> None:
    eng = scene("longest_idle", ["a"])
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q")
    decisions = eng.call_abandoned("c1", 2.0)
    assert decisions[0] == callroute.Revoked("c1", "a", "abandoned")
    assert eng.agent_state("a") == "ready"
    assert eng.totals().abandoned == 1


def test_logout_revokes_and_requeues() -> None:
    eng = scene("longest_idle", ["a", "b"])
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q")
    eng.agent_not_ready("b", 1.5)
    decisions = eng.agent_logout("a", 2.0)
    assert decisions[0] == callroute.Revoked("c1", "a", "logged_out")
    assert callroute.AgentStateChanged("a", "logged_out", None) in decisions
    assert eng.call_info("c1").state == "waiting"


# --------------------------------------------------------------------------- wrap-up, capacity


def test_wrapup_ends_by_timer() -> None:
    eng = scene("longest_idle", ["a"], wrapup=30.0)
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q")
    eng.offer_accepted("c1", 1.0)
    decisions = eng.call_ended("c1", 11.0)
    assert decisions == [callroute.AgentStateChanged("a", "wrapup", None)]
    assert eng.next_deadline() == 41.0
    assert only(eng.call_arrived("c2", 20.0, queue="q"), callroute.Queued)
    decisions = eng.advance(41.0)
    assert offered(decisions) == [("c2", "a")]
    assert eng.agent_stats("a").wrapup == pytest.approx(30.0)


def test_wrapup_ends_by_wrapup_done() -> None:
    eng = scene("longest_idle", ["a"], wrapup=30.0)
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q")
    serve(eng, "c1", 1.0, talk=10.0)
    eng.call_arrived("c2", 12.0, queue="q")
    assert offered(eng.wrapup_done("a", 15.0)) == [("c2", "a")]
    assert eng.agent_stats("a").wrapup == pytest.approx(4.0)
    assert eng.queue_stats("q").aht == pytest.approx(14.0)  # 10 s talk + 4 s wrap-up
    with pytest.raises(callroute.InvalidEventError, match="not in wrap-up"):
        eng.wrapup_done("a", 16.0)


def test_capacity_per_media_and_exclusive_voice() -> None:
    eng = Engine()
    eng.add_queue("voice")
    eng.add_queue("chat", media="chat")
    eng.add_agent("a", capacity={"voice": 1, "chat": 3})
    eng.agent_ready("a", 0.0)
    got = [offered(eng.call_arrived(f"chat{i}", 1.0, queue="chat")) for i in range(4)]
    assert got[:3] == [[("chat0", "a")], [("chat1", "a")], [("chat2", "a")]]
    assert got[3] == []
    for i in range(3):
        eng.offer_accepted(f"chat{i}", 2.0)
    # voice is exclusive: not offered while a holds any chat
    assert offered(eng.call_arrived("v1", 3.0, queue="voice")) == []
    eng.call_ended("chat0", 4.0)
    assert eng.call_info("chat3").agent == "a"  # the free chat slot is refilled
    for call in ("chat1", "chat2"):
        eng.call_ended(call, 5.0)
    eng.offer_accepted("chat3", 5.0)
    assert offered(eng.call_ended("chat3", 6.0)) == [("v1", "a")]
    # and while on voice, no chat either
    assert offered(eng.call_arrived("chat4", 7.0, queue="chat")) == []
    eng.audit()


# --------------------------------------------------------------------------- callbacks, tenants


def test_callback_offer_says_so() -> None:
    eng = scene("longest_idle", ["a"])
    eng.call_arrived("c1", 0.0, queue="q", data={"crm": "42"})
    assert eng.callback_requested("c1", 5.0) == []
    assert eng.call_info("c1").callback is True
    offer = the_offer(eng.agent_ready("a", 10.0))
    assert offer.callback is True
    assert eng.call_info("c1").data == {"crm": "42"}
    with pytest.raises(callroute.InvalidEventError):
        eng.callback_requested("c1", 11.0)


def test_tenants_are_isolated_unless_shared() -> None:
    eng = Engine()
    eng.add_queue("mine", tenant="acme")
    eng.add_queue("shared", tenant="acme", shared_with=["globex"])
    eng.add_agent("g1", tenant="globex")
    eng.agent_ready("g1", 0.0)
    assert offered(eng.call_arrived("c1", 1.0, queue="mine")) == []
    assert eng.queue_stats("mine").agents_logged_in == 0
    assert offered(eng.call_arrived("c2", 2.0, queue="shared")) == [("c2", "g1")]
    # skills-routed calls stay within their tenant too
    assert offered(eng.call_arrived("c3", 3.0, skills={}, tenant="acme")) == []


def test_skills_routed_calls_use_an_implicit_queue() -> None:
    eng = Engine()
    eng.add_agent("a", skills={"fr": 3})
    eng.add_agent("b", skills={"fr": 8})
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 1.0)
    offer = the_offer(eng.call_arrived("c1", 2.0, skills={"fr": 5}))
    assert offer.agent == "b"
    assert offer.queue in eng.queues()


# --------------------------------------------------------------------------- leaving queues


def test_max_wait_exit() -> None:
    eng = scene("longest_idle", [], max_wait=60.0)
    assert only(eng.call_arrived("c1", 0.0, queue="q"), callroute.Queued)
    assert eng.next_deadline() == 60.0
    assert eng.advance(60.0) == [callroute.Exit("c1", "q", "max_wait")]
    assert eng.totals().exited == 1
    assert eng.calls() == []


def test_max_wait_overflow_to_another_queue() -> None:
    eng = Engine()
    eng.add_queue("q2", skills={"x": 1})
    eng.add_queue("q1", skills={"y": 1}, max_wait=30.0, overflow="q2")
    eng.add_agent("xa", skills={"x": 1})
    eng.agent_ready("xa", 0.0)
    assert only(eng.call_arrived("c1", 0.0, queue="q1"), callroute.Queued)
    decisions = eng.advance(30.0)
    assert decisions[0] == callroute.Overflow("c1", "q1", "q2")
    assert offered(decisions) == [("c1", "xa")]
    assert eng.queue_stats("q1").moved_out == 1
    assert eng.queue_stats("q2").offered == 1
    assert eng.call_info("c1").arrival == 0.0


def test_join_empty_false_rejects_and_leave_when_empty_exits() -> None:
    eng = Engine()
    eng.add_queue("strict", join_empty=False)
    eng.add_queue("leaving", leave_when_empty=True)
    eng.add_agent("a")
    assert eng.call_arrived("c1", 0.0, queue="strict") == [
        callroute.Exit("c1", "strict", "no_agents")
    ]
    assert eng.totals().rejected == 1
    eng.agent_not_ready("a", 1.0, "meeting")  # logged in: the queue is staffed
    assert only(eng.call_arrived("c2", 2.0, queue="leaving"), callroute.Queued)
    assert callroute.Exit("c2", "leaving", "no_agents") in eng.agent_logout("a", 3.0)
    assert eng.totals().exited == 1
    conserved(eng)


def test_closed_queue_refuses_new_calls() -> None:
    eng = scene("longest_idle", [])
    eng.call_arrived("c1", 0.0, queue="q")
    eng.set_queue_open("q", False)
    assert eng.call_arrived("c2", 1.0, queue="q") == [callroute.Exit("c2", "q", "closed")]
    assert eng.calls() == ["c1"]
    eng.set_queue_open("q", True)
    assert only(eng.call_arrived("c3", 2.0, queue="q"), callroute.Queued)


def test_transfer_keeps_the_original_arrival() -> None:
    eng = Engine()
    eng.add_queue("q1")
    eng.add_queue("q2")
    eng.call_arrived("c1", 0.0, queue="q1")
    eng.call_arrived("c2", 10.0, queue="q2")
    decisions = eng.transfer("c1", 50.0, "q2")
    info = eng.call_info("c1")
    assert (info.queue, info.arrival) == ("q2", 0.0)
    # no agent logged in: the expected wait is unbounded
    assert only(decisions, callroute.Queued) == [callroute.Queued("c1", "q2", 1, math.inf)]
    assert eng.position("c2") == 2


def test_transfer_of_a_connected_call_frees_the_agent() -> None:
    eng = Engine()
    eng.add_queue("q1")
    eng.add_queue("q2")
    eng.add_agent("a")
    eng.add_agent("b")
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q1")
    eng.offer_accepted("c1", 2.0)
    eng.agent_ready("b", 3.0)
    decisions = eng.transfer("c1", 10.0, "q2")
    # a frees at 10, b has been free since 3: b is idle longest
    assert offered(decisions) == [("c1", "b")]
    assert eng.queue_stats("q1").completed == 1
    assert eng.agent_state("a") == "ready"


# --------------------------------------------------------------------------- auto-answer


def test_auto_answer_agent_is_connected_at_once() -> None:
    eng = Engine()
    eng.add_queue("q", wrapup=0.0)
    eng.add_agent("a", auto_answer=True)
    eng.agent_ready("a", 0.0)
    # an offer with no lease (it expires when made) and the agent straight to busy
    assert eng.call_arrived("c1", 1.0, queue="q") == [
        callroute.Offer("c1", "a", "q", 1.0, False, True),
        callroute.AgentStateChanged("a", "busy", None),
    ]
    info = eng.call_info("c1")
    assert (info.state, info.agent) == ("connected", "a")
    assert eng.next_deadline() is None
    # nothing to accept or decline
    before = eng.snapshot()
    for refused in (eng.offer_accepted, eng.offer_declined):
        with pytest.raises(callroute.InvalidEventError, match="no outstanding offer"):
            refused("c1", 2.0)
    assert eng.snapshot() == before
    # a waiting call is connected as soon as the agent frees up
    assert only(eng.call_arrived("c2", 3.0, queue="q"), callroute.Queued)
    assert eng.call_ended("c1", 10.0) == [callroute.Offer("c2", "a", "q", 10.0, False, True)]
    assert eng.call_info("c2").state == "connected"
    assert eng.call_ended("c2", 20.0) == [callroute.AgentStateChanged("a", "ready", None)]
    stats = eng.queue_stats("q")
    assert (stats.answered, stats.completed, stats.offering) == (2, 2, 0)
    assert stats.asa == 3.5  # c1 waited 0 s, c2 7 s
    agent = eng.agent_stats("a")
    assert (agent.handled, agent.offered, agent.missed) == (2, 2, 0)
    conserved(eng)
    eng.audit()


def test_mixed_queue_of_auto_answer_and_ringing_agents() -> None:
    eng = Engine()
    eng.add_queue("q", offer_timeout=10.0)
    eng.add_agent("ring")
    eng.add_agent("auto", auto_answer=True)
    eng.agent_ready("ring", 0.0)
    eng.agent_ready("auto", 1.0)
    first = the_offer(eng.call_arrived("c1", 5.0, queue="q"))
    assert (first.agent, first.expires, first.auto_answer) == ("ring", 15.0, False)
    second = the_offer(eng.call_arrived("c2", 6.0, queue="q"))
    assert (second.agent, second.expires, second.auto_answer) == ("auto", 6.0, True)
    assert eng.agent_state("ring") == "offered"
    assert eng.agent_state("auto") == "busy"
    assert (eng.call_info("c1").state, eng.call_info("c2").state) == ("offered", "connected")
    assert eng.queue_stats("q").offering == 1
    restored = Engine.restore(eng.snapshot())
    for e in (eng, restored):
        e.offer_accepted("c1", 7.0)
        assert e.queue_stats("q").answered == 2
        e.audit()
    assert restored.snapshot() == eng.snapshot()


def test_offer_auto_answer_field() -> None:
    offer = callroute.Offer("c1", "a", "q", 1.0, False, True)
    assert offer.auto_answer is True
    # issue 13 added the call's attached data last, with a default (test_engine_data.py)
    assert callroute.Offer.__match_args__ == (
        "call", "agent", "queue", "expires", "callback", "auto_answer", "data",
    )  # fmt: skip
    match offer:
        case callroute.Offer(call, agent, _, expires, _, auto_answer=True):
            assert (call, agent, expires) == ("c1", "a", 1.0)
        case _:
            pytest.fail("no match")
    # added last, with a default: the five-field form still builds a ringing offer
    ringing = callroute.Offer("c1", "a", "q", 1.0, False)
    assert ringing.auto_answer is False
    assert ringing == callroute.Offer("c1", "a", "q", 1.0, callback=False, auto_answer=False)
    assert ringing != offer
    assert hash(ringing) != hash(offer)
    assert repr(offer).endswith("callback=False, auto_answer=True)")
    assert pickle.loads(pickle.dumps(offer)) == offer
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match="bool"):
            callroute.Offer("c1", "a", "q", 1.0, False, bad)  # type: ignore[arg-type]


def test_feed_takes_auto_answer() -> None:
    eng = Engine()
    decisions = eng.feed(
        [
            ("add_queue", "q"),
            ("add_agent", "a", {"auto_answer": True}),
            ("agent_ready", "a", 0.0),
            ("call_arrived", "c1", 1.0, {"queue": "q"}),
        ]
    )
    assert the_offer(decisions).auto_answer is True
    with pytest.raises(
        callroute.ConfigError, match='event 0: agent "b": auto_answer must be a bool'
    ):
        eng.feed([("add_agent", "b", {"auto_answer": "yes"})])
    assert eng.agents() == ["a"]
