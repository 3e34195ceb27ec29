"""Load: 1,000 concurrent calls through the fake Asterisk over loopback.

250 agents answer after 1 s and talk 4 s; 1,000 callers arrive at once and wait. Every call
must end answered (none lost, each with one outcome) and the runtime must hold nothing
afterwards (its per-call tables empty: memory flat once the calls end).
"""

from __future__ import annotations

import asyncio

import _runtime_e2e
from _runtime_e2e import running, until

CALLS = 1000
AGENTS = 250


def test_thousand_concurrent_calls() -> None:
    async def main() -> None:
        agents = {f"agent{i}": f"Local/agent{i}@agents" for i in range(1, AGENTS + 1)}
        async with running(agents, record=False, offer_timeout=60) as (fake, rt):
            fake.default_agent.answer_after = 1.0
            fake.default_agent.talk = 4.0
            for agent in agents:
                await rt.agent_login(agent)
                await rt.agent_ready(agent)
            placed = await asyncio.gather(
                *(fake.place_call(caller=f"555{i:04d}") for i in range(CALLS))
            )
            assert len(set(placed)) == CALLS
            await until(lambda: sum(rt.core.outcomes.values()) == CALLS, timeout=300)
            await rt.idle(timeout=30)
            await until(lambda: not fake.channels, timeout=60)
            assert rt.core.outcomes["answered"] == CALLS
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered, stats.abandoned) == (CALLS, CALLS, 0)
            assert rt.core.calls == {}
            assert rt.core.legs == {}
            assert rt._lanes == {}
            assert rt.core._playbacks == {}
            assert rt.core._by_channel == {}
            assert not fake.bridges

    old = _runtime_e2e.SPEED
    _runtime_e2e.SPEED = 4.0  # loaded: keep 60 s offers well above the backlog
    try:
        asyncio.run(main())
    finally:
        _runtime_e2e.SPEED = old
