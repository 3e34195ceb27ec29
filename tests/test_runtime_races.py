"""Races and bad input, end to end against the fake Asterisk.

Orderings from fixtures/asterisk/README.md: the agent's StasisStart before the originate
response (quirk 33), ChannelDestroyed before StasisEnd, events lost while the websocket is
down (quirk 24 ff.: a real Asterisk does not replay them), REST errors as recorded (28).
"""

from __future__ import annotations

import asyncio
import time

from _runtime_e2e import running, until
from _runtime_util import StubPbx, make_center
from callroute.ivr import Lookup
from callroute.runtime import Runtime
from callroute.runtime import commands as cmd


def outcomes(rt: Runtime) -> int:
    return sum(rt.core.outcomes.values())


async def ready(rt: Runtime, *agents: str) -> None:
    for agent in agents:
        await rt.agent_login(agent)
        await rt.agent_ready(agent)


def agent_legs(fake: object) -> list[str]:
    return [cid for cid, role in fake.roles().items() if role == "agent"]  # type: ignore[attr-defined]


def test_agent_stasis_start_before_the_originate_response() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=0.0, talk=3.0)
            await ready(rt, "agent1")
            await fake.place_call()
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["answered"] == 1
            assert rt.engine.queue_stats("sales").answered == 1
            assert not fake.channels

    asyncio.run(main())


def test_channel_destroyed_before_stasis_end() -> None:
    async def main() -> None:
        async with running(
            {"agent1": "Local/agent1@agents"}, fake_kw={"destroyed_before_stasis_end": True}
        ) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0, talk=3.0)
            await ready(rt, "agent1")
            await fake.place_call()
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["answered"] == 1
            assert rt.engine.queue_stats("sales").completed == 1

    asyncio.run(main())


def test_both_hang_up_at_once() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0)
            await ready(rt, "agent1")
            caller = await fake.place_call()
            await until(lambda: rt.engine.agent_state("agent1") == "busy")
            (leg,) = agent_legs(fake)
            await asyncio.gather(fake.hangup(caller), fake.hangup(leg))
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["answered"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.answered, stats.completed, stats.abandoned) == (1, 1, 0)
            assert rt.engine.agent_state("agent1") in ("wrapup", "ready")

    asyncio.run(main())


def test_websocket_drop_mid_call_with_lost_events() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0)
            await ready(rt, "agent1")
            caller = await fake.place_call()
            await until(lambda: rt.engine.agent_state("agent1") == "busy")
            fake.drop_websocket(down_for=0.2)
            await fake.hangup(caller)  # its events go nowhere
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            await until(lambda: not fake.channels)
            assert rt.core.outcomes["answered"] == 1
            assert rt.engine.queue_stats("sales").completed == 1
            assert rt.engine.agent_state("agent1") in ("wrapup", "ready")

    asyncio.run(main())


def test_websocket_drop_while_waiting_then_queue_goes_on() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0, talk=2.0)
            first = await fake.place_call(caller="5551001")
            await until(lambda: rt.engine.queue_stats("sales").waiting == 1)
            fake.drop_websocket(down_for=0.2)
            await fake.hangup(first)  # abandoned during the gap
            second = await fake.place_call(caller="5551002")  # its StasisStart is lost too
            await until(lambda: rt.core.outcomes["abandoned"] == 1)
            await until(lambda: len(rt.core.calls) == 1)  # the second one adopted
            await ready(rt, "agent1")
            await until(lambda: rt.core.outcomes["answered"] == 1)
            assert second not in fake.channels

    asyncio.run(main())


def test_originate_failure_is_an_unanswered_offer() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}, retry=1.0) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0, talk=2.0)
            fake.fail_next("POST", r"/ari/channels$", 500, body={"error": "Allocation failed"})
            await ready(rt, "agent1")
            await fake.place_call()
            await until(lambda: outcomes(rt) == 1)
            originates = [
                r for r in fake.requests if r.method == "POST" and r.path.endswith("/channels")
            ]
            assert len(originates) == 2
            assert rt.core.outcomes["answered"] == 1
            assert rt.errors_seen >= 1

    asyncio.run(main())


def test_rest_errors_and_bad_frames_do_not_stop_the_runtime() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=1.0, talk=2.0)
            fake.inject_raw("this is not json")
            fake.inject_raw('{"type": "SomethingNew", "application": "callroute"}')
            fake.inject_raw('{"type": "StasisStart", "application": "callroute"}')
            # a 500 is tried again (twice); failing every time, the caller is hung up
            fake.fail_next("POST", r"/bridges$", 500, "Internal Server Error", times=3)
            await fake.place_call(caller="5551001")
            await until(lambda: outcomes(rt) == 1)
            fake.fail_next("POST", r"/moh$", 404, "Bridge not found")
            fake.fail_next("POST", r"/answer$", 500, "Internal Server Error")  # retried
            fake.fail_next("DELETE", r"/bridges/", 404, "Bridge not found", times=5)
            await ready(rt, "agent1")
            await fake.place_call(caller="5551002")
            await until(lambda: rt.core.outcomes["answered"] == 1)
            assert rt.errors_seen >= 2
            assert not fake.channels

    asyncio.run(main())


def test_lookup_hooks_async_sync_slow_and_failing() -> None:
    """The IVR's lookup hooks run outside the loop's task that owns the engine: a
    coroutine hook is awaited, a plain one runs in a thread, each cut at its timeout."""

    async def main() -> None:
        center = make_center()
        rt = Runtime(center, StubPbx())

        async def fast(request: object) -> str:
            return "gold"

        def slow(request: object) -> str:
            time.sleep(0.5)
            return "late"

        def broken(request: object) -> str:
            raise RuntimeError("CRM down")

        rt._lookups = {"fast": fast, "slow": slow, "broken": broken}
        results = {}
        for name, timeout in (("fast", 1.0), ("slow", 0.05), ("broken", 1.0), ("none", 1.0)):
            rt._spawn(rt._run_lookup(cmd.RunLookup("c1", Lookup(name, {}, timeout, 7))))
            item = await asyncio.wait_for(rt._inbox.get(), 5)
            results[name] = item[2]
        assert results["fast"].value == "gold"
        assert results["fast"].token == 7
        assert results["slow"].error == "timeout"
        assert results["broken"].error == "RuntimeError: CRM down"
        assert "unknown lookup hook" in (results["none"].error or "")

    asyncio.run(main())


def test_offline_endpoint_makes_its_agent_not_ready_live_and_after_a_gap() -> None:
    async def main() -> None:
        agents = {"agent1": "Local/agent1@agents", "agent2": "Local/agent2@agents"}
        async with running(agents) as (fake, rt):
            fake.set_agent(agents["agent1"])
            fake.set_agent(agents["agent2"])
            await ready(rt, "agent1", "agent2")
            fake.set_endpoint_state(agents["agent1"], online=False)  # EndpointStateChange
            await until(lambda: rt.engine.agent_state("agent1") == "not_ready")
            assert rt.engine.agent_reason("agent1") == "offline"
            fake.drop_websocket(down_for=0.2)
            fake.set_endpoint_state(agents["agent2"], online=False)  # its event is lost
            await until(lambda: rt.engine.agent_state("agent2") == "not_ready")
            assert rt.engine.agent_reason("agent2") == "offline"

    asyncio.run(main())
