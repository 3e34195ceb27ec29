"""Random event sequences against the engine's invariants (hypothesis state machine).

After every step the engine audits itself (conservation, capacity, indices, timers), and the
totals are checked against the outcomes the test saw: every completed, abandoned, exited or
rejected call is accounted for exactly once. Two agents answer automatically: their offers
are connected calls at once, and they are never in the offered state.
"""

from __future__ import annotations

from typing import Any

import callroute
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

QUEUES = ["sales", "general", "chat", "strict", "partner"]
AGENTS = ["a0", "a1", "a2", "a3", "a4", "a5", "p0"]
REASONS = ["break", "lunch", "training"]
AUTO = {"a3", "a4"}  # auto-answer agents


def build(seed: int) -> callroute.Engine:
    eng = callroute.Engine(seed=seed, interval=300.0)
    eng.add_queue("general", strategy="random", offer_timeout=10.0, retry=5.0, max_no_answer=2)
    eng.add_queue(
        "sales",
        skills={"sales": 5},
        strategy="longest_idle",
        wrapup=5.0,
        max_wait=120.0,
        overflow="general",
        aging=0.5,
        steps=[{"after": 20.0, "skills": {"sales": 1}}, {"after": 40.0, "priority": 2}],
    )
    eng.add_queue("chat", media="chat", strategy="round_robin", offer_timeout=8.0)
    eng.add_queue(
        "strict",
        skills={"vip": 1},
        strategy="weighted_random",
        join_empty=False,
        leave_when_empty=True,
        max_wait=60.0,
    )
    eng.add_queue("partner", tenant="other", shared_with=["default"], strategy="fewest_calls")
    eng.add_agent("a0", skills={"sales": 7, "vip": 2}, weight=2.0)
    eng.add_agent("a1", skills={"sales": 3}, capacity={"voice": 1, "chat": 2})
    eng.add_agent("a2", skills={"vip": 1}, capacity={"voice": 1, "chat": 3}, exclusive=())
    eng.add_agent("a3", capacity={"chat": 2}, auto_answer=True)
    eng.add_agent("a4", skills={"sales": 5}, auto_answer=True)
    eng.add_agent("a5", weight=0.5)
    eng.add_agent("p0", tenant="other")
    return eng


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.eng = build(seed=11)
        self.t = 0.0
        self.next_call = 0
        self.completed = 0
        self.abandoned = 0
        self.exits = 0

    # ------------------------------------------------------------------ helpers

    def tick(self, dt: float) -> float:
        self.t += dt
        return self.t

    def absorb(self, decisions: list[Any]) -> None:
        """Count exits; an offer that still stands after the event is the call's state: offered,
        or with an auto-answer agent connected (an offer with no lease, made at its time)."""
        standing: dict[str, tuple[str, str]] = {}
        for d in decisions:
            if isinstance(d, callroute.Exit):
                self.exits += 1
                standing.pop(d.call, None)
            elif isinstance(d, callroute.Offer):
                assert d.auto_answer == (d.agent in AUTO), d
                assert d.expires <= self.t or not d.auto_answer, d  # made now, or at a timer
                standing[d.call] = (d.agent, "connected" if d.auto_answer else "offered")
            elif isinstance(d, callroute.Revoked):
                assert d.agent not in AUTO, d
                assert standing.pop(d.call, (d.agent, "offered")) == (d.agent, "offered")
            elif isinstance(d, callroute.AgentStateChanged):
                assert not (d.agent in AUTO and d.state == "offered"), d
        for call, (agent, state) in standing.items():
            info = self.eng.call_info(call)
            assert (info.state, info.agent) == (state, agent)

    def act(self, method: str, *args: Any, **kwargs: Any) -> bool:
        """Apply an event that may not fit the state; a misfit must change nothing."""
        before = self.eng.snapshot()
        try:
            self.absorb(getattr(self.eng, method)(*args, **kwargs))
        except callroute.InvalidEventError:
            assert self.eng.snapshot() == before, f"refused {method}{args} changed the engine"
            return False
        return True

    def pick_call(self, data: st.DataObject) -> str | None:
        calls = self.eng.calls()
        if not calls:
            return None
        return calls[data.draw(st.integers(0, len(calls) - 1))]

    # ------------------------------------------------------------------ rules

    @rule(
        queue=st.sampled_from(QUEUES),
        priority=st.integers(0, 3),
        dt=st.sampled_from([0.0, 0.5, 1.0, 3.0, 10.0]),
    )
    def arrive(self, queue: str, priority: int, dt: float) -> None:
        self.next_call += 1
        call = f"c{self.next_call}"
        self.absorb(self.eng.call_arrived(call, self.tick(dt), queue=queue, priority=priority))

    @rule(skills=st.sampled_from([{"sales": 5}, {"vip": 1}, {}]), dt=st.sampled_from([0.0, 2.0]))
    def arrive_by_skills(self, skills: dict[str, int], dt: float) -> None:
        self.next_call += 1
        self.absorb(self.eng.call_arrived(f"c{self.next_call}", self.tick(dt), skills=skills))

    @rule(agent=st.sampled_from(AGENTS), dt=st.sampled_from([0.0, 1.0, 5.0]))
    def ready(self, agent: str, dt: float) -> None:
        self.act("agent_ready", agent, self.tick(dt))

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(REASONS))
    def not_ready(self, agent: str, reason: str) -> None:
        self.act("agent_not_ready", agent, self.tick(1.0), reason)

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        self.act("agent_logout", agent, self.tick(2.0))

    @rule(agent=st.sampled_from(AGENTS))
    def wrapup_done(self, agent: str) -> None:
        self.act("wrapup_done", agent, self.tick(0.5))

    @rule(data=st.data(), dt=st.sampled_from([0.0, 1.0, 4.0]))
    def accept(self, data: st.DataObject, dt: float) -> None:
        call = self.pick_call(data)
        if call is not None:
            self.act("offer_accepted", call, self.tick(dt))

    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        call = self.pick_call(data)
        if call is not None:
            self.act("offer_declined", call, self.tick(1.0))

    @rule(data=st.data(), dt=st.sampled_from([1.0, 30.0, 120.0]))
    def end(self, data: st.DataObject, dt: float) -> None:
        call = self.pick_call(data)
        if call is not None and self.act("call_ended", call, self.tick(dt)):
            self.completed += 1

    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        call = self.pick_call(data)
        if call is not None and self.act("call_abandoned", call, self.tick(2.0)):
            self.abandoned += 1

    @rule(data=st.data(), queue=st.sampled_from(["general", "sales", "partner"]))
    def transfer(self, data: st.DataObject, queue: str) -> None:
        call = self.pick_call(data)
        if call is None:
            return
        # refused (by act) if the call is in that queue already, or a chat for a voice queue
        was = self.eng.call_info(call).queue
        if not self.act("transfer", call, self.tick(1.0), queue):
            assert was == queue or "chat" in (was, queue)

    @rule(data=st.data())
    def callback(self, data: st.DataObject) -> None:
        call = self.pick_call(data)
        if call is not None:
            self.act("callback_requested", call, self.tick(0.5))

    @rule(skills=st.sampled_from([{"sales": 9}, {"vip": 3}, {}]), agent=st.sampled_from(AGENTS))
    def reskill(self, skills: dict[str, int], agent: str) -> None:
        self.absorb(self.eng.set_agent_skills(agent, skills, self.tick(0.0)))

    @rule()
    def advance_to_deadline(self) -> None:
        deadline = self.eng.next_deadline()
        if deadline is not None:
            self.t = max(self.t, deadline)
            self.absorb(self.eng.advance(self.t))

    @rule(dt=st.sampled_from([1.0, 15.0, 60.0]))
    def advance(self, dt: float) -> None:
        self.absorb(self.eng.advance(self.tick(dt)))

    # ------------------------------------------------------------------ invariants

    @invariant()
    def audited_and_conserved(self) -> None:
        self.eng.audit()
        t = self.eng.totals()
        assert t.arrived == self.next_call
        assert t.completed == self.completed
        assert t.abandoned == self.abandoned
        assert t.exited + t.rejected == self.exits
        assert t.arrived == t.completed + t.abandoned + t.exited + t.rejected + t.active
        assert t.active == len(self.eng.calls())
        for agent in AUTO:
            assert self.eng.agent_state(agent) != "offered"


EngineMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineMachine = EngineMachine.TestCase
