"""What validates but cannot work (``callroute check``).

Queues no agent can serve, steps that change nothing, skills nobody has, IVR nodes that
cannot be reached or never end, shared numbers with no way to tell tenants apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .schema import AgentConfig, QueueConfig

if TYPE_CHECKING:  # center.py imports this module
    from .center import Center


def _meets(skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    return all(skills.get(s, -1) >= level for s, level in required.items())


def _capacity(agent: AgentConfig, media: str) -> int:
    capacity = agent.capacity if agent.capacity is not None else {"voice": 1}
    return capacity.get(media, 0)


def _requirement_sets(
    center: Center, q: QueueConfig
) -> list[tuple[int | None, list[dict[str, int]]]]:
    """Per step (None = arrival), the requirement sets that make an agent eligible."""
    current = dict(q.skills)
    also: list[str] = []
    out: list[tuple[int | None, list[dict[str, int]]]] = [(None, [current])]
    for i, step in enumerate(q.steps):
        if step.skills is not None:
            current = dict(step.skills)
        for other in step.also_queues:
            if other not in also:
                also.append(other)
        sets = [current] + [dict(center.queues[o].skills) for o in also if o in center.queues]
        out.append((i, sets))
    return out


def _lint(center: Center) -> list[str]:
    findings: list[str] = []
    # queues no agent can ever serve; steps that change nothing
    serves: dict[str, set[str]] = {a: set() for a in center.agents}
    for name, q in center.queues.items():
        tenants = {q.tenant, *q.shared_with}
        pool = {
            a: c
            for a, c in center.agents.items()
            if c.tenant in tenants and _capacity(c, q.media) > 0
        }
        eligible_any = False
        for _, sets in _requirement_sets(center, q):
            for req in sets:
                for a, c in pool.items():
                    if _meets(c.skills, req):
                        eligible_any = True
                        serves[a].add(name)
        if not eligible_any:
            needs = "; ".join(
                " and ".join(f"{s} >= {lvl}" for s, lvl in req.items()) or "any skill"
                for _, sets in _requirement_sets(center, q)
                for req in sets[:1]
            )
            where = "tenant " + ", ".join(repr(t) for t in sorted(tenants))
            findings.append(
                f"queues.{name}: no agent can ever serve it (needs {needs}, "
                f"{q.media} capacity, {where})"
            )
        previous = dict(q.skills)
        seen_also: set[str] = set()
        for i, step in enumerate(q.steps):
            skills = dict(step.skills) if step.skills is not None else previous
            new_also = set(step.also_queues) - seen_also
            if skills == previous and not new_also and step.priority == 0:
                findings.append(
                    f"queues.{name}.steps[{i}]: changes nothing (same skills as before, "
                    "no new also_queues, no priority boost)"
                )
            previous = skills
            seen_also |= set(step.also_queues)
    # skills nobody has
    held = {s for a in center.agents.values() for s in a.skills}
    for i, skill in enumerate(center.skills):
        if skill not in held:
            findings.append(f"skills[{i}]: no agent has skill {skill!r}")
    # agents who can serve no queue of theirs
    if center.queues:
        for a, queues in serves.items():
            if not queues:
                findings.append(f"agents.{a}: eligible for no queue")
    # IVR flows
    for flow in center.flows.values():
        lint = getattr(flow, "lint", None)
        if lint is not None:
            findings.extend(str(x) for x in lint())
    # shared numbers with no way to tell tenants apart
    for dnis, number in center.directory.numbers.items():
        if not number.shared:
            continue
        by_choice = set(number.choices.values()) >= set(number.tenants)
        by_code = all(center.tenants[t].code for t in number.tenants)
        if not (by_choice or by_code):
            names = ", ".join(number.tenants)
            findings.append(
                f"numbers.{dnis}: shared by {names} with no way to tell them apart "
                "(give numbers.<dnis>.choices for each tenant, or a code to each tenant)"
            )
    return findings
