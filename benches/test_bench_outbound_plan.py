"""The outbound plan's agent counts per pace: ``OutboundPlan.ready_agents()`` (what every
pacing round computes before asking the dialer) with 5 campaigns over 1,000 and 10,000
agents of one tenant, each holding 2 of 20 skills, half of them ready.

The counts come from ``Engine.eligible_agents`` (the engine's agents-by-skill index); each
benchmark first checks them against a scan of every agent (the rule: campaigns in the order
added, each agent counted for the first campaign whose skills it holds), so a fast wrong
answer cannot pass. ``extra_info``: ``impl``, ``agents``, ``campaigns``, ``evaluations``
(one pace's counts per round).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

SKILLS = [f"s{i}" for i in range(20)]
CAMPAIGNS = 5


def _plan(agents: int) -> tuple[Any, dict[str, int]]:
    callroute = pytest.importorskip("callroute")
    from callroute.outbound import CampaignConfig, EngineClock, OutboundPlan

    eng = callroute.Engine(seed=1)
    held: dict[str, dict[str, int]] = {}
    for i in range(agents):
        skills = {SKILLS[i % 20]: 3, SKILLS[(i * 7 + 3) % 20]: 2}
        eng.add_agent(f"a{i}", tenant="acme", skills=skills)
        held[f"a{i}"] = skills
        eng.agent_not_ready(f"a{i}", 0.0, "login")
        if i % 2:
            eng.agent_ready(f"a{i}", 0.0)
    clock = EngineClock(datetime(2026, 12, 2, 12, tzinfo=timezone.utc))
    plan = OutboundPlan(eng, {}, clock)
    for k in range(CAMPAIGNS):
        spec = {"id": f"k{k}", "tenant": "acme", "caller_id": "+1800", "skills": {SKILLS[k]: 1}}
        plan.add_campaign(CampaignConfig.model_validate(spec), [], 0.0, start=False)
    taken: set[str] = set()
    expected: dict[str, int] = {}
    for k in range(CAMPAIGNS):
        mine = [a for a, s in held.items() if a not in taken and SKILLS[k] in s]
        mine = [a for a in mine if eng.agent_state(a) in ("ready", "busy", "wrapup")]
        taken.update(mine)
        expected[f"k{k}"] = sum(eng.agent_state(a) == "ready" for a in mine)
    return plan, expected


@pytest.mark.parametrize("agents", [1_000, 10_000])
def test_pace_agent_counts(benchmark: Any, agents: int) -> None:
    plan, expected = _plan(agents)
    assert plan.ready_agents() == expected
    benchmark.group = "outbound plan: agent counts per pace (5 campaigns)"
    benchmark.extra_info.update(impl="callroute", agents=agents, campaigns=CAMPAIGNS, evaluations=1)
    assert benchmark(plan.ready_agents) == expected
