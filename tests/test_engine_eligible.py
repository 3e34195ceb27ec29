"""Engine.eligible_agents and the outbound plan's agent counts, against a brute-force count.

Random engines (agents of random tenants and skills, moved through random states by random
inputs: login, ready, not ready, logout, calls offered, accepted and ended, skills
replaced, a snapshot and restore) are asked for the agents eligible for random skill
requirements; the truth is a scan of every agent, with the skills the test gave it and
``agent_state`` as the engine reports it. The plan's split rule (each agent counted for the
first campaign it serves) is checked the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from _runtime_util import make_center
from callroute import Engine
from callroute.outbound import CampaignConfig, EngineClock, OutboundPlan
from hypothesis import given, settings
from hypothesis import strategies as st

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
TENANTS = ("t0", "t1")
SKILLS = ("s0", "s1", "s2", "s3")

skill_sets = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=3)
agents_st = st.lists(st.tuples(st.sampled_from(TENANTS), skill_sets), min_size=1, max_size=10)
#: the inputs, "ready" and "call" twice (so agents get calls more often)
KINDS = ("login", "ready", "ready", "not_ready", "logout", "call", "call", "accept", "end")
ops_st = st.lists(
    st.tuples(
        st.sampled_from((*KINDS, "skills")),
        st.integers(0, 9),
        skill_sets,
    ),
    max_size=60,
)


def _drive(agents: list[tuple[str, dict[str, int]]], ops: list[Any]) -> tuple[Engine, list[Any]]:
    """An engine with ``agents`` (a0, a1, ...) after ``ops``; returns it and each agent's
    (name, tenant, skills) as the test gave them. Inputs the engine refuses are skipped."""
    eng = Engine(seed=7)
    for t in TENANTS:
        eng.add_queue(f"q{t}", tenant=t, skills={}, wrapup=30.0)
    held: list[Any] = []
    for i, (tenant, skills) in enumerate(agents):
        eng.add_agent(f"a{i}", tenant=tenant, skills=skills)
        held.append([f"a{i}", tenant, dict(skills)])
        if i % 3:  # most start logged in
            eng.agent_not_ready(f"a{i}", 0.0, "login")
    now, calls = 1.0, 0
    for kind, x, skills in ops:
        now += 1.0
        name = held[x % len(held)][0]
        try:
            if kind == "login":
                eng.agent_not_ready(name, now, "login")
            elif kind == "ready":
                eng.agent_ready(name, now)
            elif kind == "not_ready":
                eng.agent_not_ready(name, now, "break")
            elif kind == "logout":
                eng.agent_logout(name, now)
            elif kind == "call":
                calls += 1
                eng.call_arrived(f"c{calls}", now, queue=f"q{TENANTS[x % 2]}")
            elif kind == "accept":  # every call offered
                for call in eng.calls():
                    if eng.call_info(call).state == "offered":
                        eng.offer_accepted(call, now)
            elif kind == "end":
                live = [c for c in eng.calls() if eng.call_info(c).state == "connected"]
                if live:
                    eng.call_ended(live[x % len(live)], now)
            elif kind == "skills":
                eng.set_agent_skills(name, skills, now)
                held[x % len(held)][2] = dict(skills)
        except Exception:  # a refused input (wrong state): the engine is unchanged
            continue
    if len(ops) % 2:  # the index is rebuilt on restore, not kept in the snapshot
        eng = Engine.restore(eng.snapshot())
    return eng, held


def _by_scan(eng: Engine, held: list[Any], tenant: str, reqs: dict[str, int]) -> Any:
    ready, working = [], []
    for name, t, skills in held:
        if t != tenant or any(skills.get(s, -1) < lvl for s, lvl in reqs.items()):
            continue
        state = eng.agent_state(name)
        if state == "ready":
            ready.append(name)
        elif state in ("busy", "wrapup"):
            working.append(name)
    return ready, working


@settings(max_examples=150, deadline=None)
@given(agents_st, ops_st, st.lists(skill_sets, min_size=1, max_size=4))
def test_eligible_agents_equals_a_scan_of_every_agent(
    agents: Any, ops: Any, queries: list[dict[str, int]]
) -> None:
    eng, held = _drive(agents, ops)
    eng.audit()
    for tenant in (*TENANTS, "nobody"):
        for reqs in [*queries, {"unknown-skill": 0}]:
            ready, working = eng.eligible_agents(tenant, reqs)
            assert (ready, working) == _by_scan(eng, held, tenant, reqs), (tenant, reqs)


class _Agent:
    def __init__(self, tenant: str, skills: dict[str, int]) -> None:
        self.tenant = tenant
        self.skills = skills


@settings(max_examples=60, deadline=None)
@given(agents_st, ops_st, st.lists(st.tuples(st.sampled_from(TENANTS), skill_sets), max_size=4))
def test_plan_counts_each_agent_once_as_a_scan_does(
    agents: Any, ops: Any, campaigns: list[tuple[str, dict[str, int]]]
) -> None:
    eng, held = _drive(agents, ops)
    center = make_center({"x": "Local/x@agents"}, ivr=False)
    plan = OutboundPlan(eng, center.agents, EngineClock(NOON))
    for i, (tenant, skills) in enumerate(campaigns):
        config = CampaignConfig.model_validate(
            {"id": f"k{i}", "tenant": tenant, "caller_id": "+18005550199", "skills": skills}
        )
        plan.add_campaign(config, [], 0.0, start=False)
    # the documented rule, by scanning every agent: campaigns in the order added, an agent
    # ready or busy/wrap-up counted for the first one whose tenant and skills it matches
    taken: set[str] = set()
    expected: dict[str, int] = {}
    for i, (tenant, skills) in enumerate(campaigns):
        ready = 0
        for name, t, have in held:
            if name in taken or t != tenant:
                continue
            if any(have.get(s, -1) < lvl for s, lvl in skills.items()):
                continue
            state = eng.agent_state(name)
            if state in ("ready", "busy", "wrapup"):
                taken.add(name)
                ready += state == "ready"
        expected[f"k{i}"] = ready
    assert plan.ready_agents() == expected
