"""Every recorded ACD flow end to end: Runtime + AriClient against the fake Asterisk.

Each test checks the engine's outcome and statistics (what the flow means), and the REST
steps the runtime sent against the recorded ACD app's steps (fixtures/asterisk/ari-acd-*).
"""

from __future__ import annotations

import asyncio

from _runtime_e2e import our_kinds, recorded_kinds, running, until
from callroute.runtime import Runtime


def outcomes(rt: Runtime) -> int:
    return sum(rt.core.outcomes.values())


async def ready(rt: Runtime, *agents: str) -> None:
    for agent in agents:
        await rt.agent_login(agent)
        await rt.agent_ready(agent)


def test_answered_with_ivr_digits_and_recording() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}, ivr=True) as (fake, rt):
            fake.set_agent("Local/agent1@agents", answer_after=2.0)
            await ready(rt, "agent1")
            stream = rt.subscribe(agent="agent1")
            caller = await fake.place_call(dtmf=[(2.5, "4711#"), (5.0, "1234#")], hangup_after=16.0)
            offer = await asyncio.wait_for(anext(stream), 10)
            while offer["type"] != "offer":
                offer = await asyncio.wait_for(anext(stream), 10)
            assert offer["caller"] == "5551001"
            assert offer["dnis"] == "18005550100"
            assert offer["data"]["account"] == "4711"
            assert offer["data"]["authenticated"] is True
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["answered"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered, stats.abandoned) == (1, 1, 0)
            assert rt.engine.agent_state("agent1") in ("wrapup", "ready")
            ours = our_kinds(fake)
            recorded = [k for k in recorded_kinds("ari-acd-answered.jsonl") if k != "setvar"]
            # the recorded app destroyed the holding bridge at the end, we as soon as it is
            # empty: the same steps, one destroy moved
            assert sorted(ours) == sorted(recorded)
            assert ours[:3] == ["answer", "play", "play"]
            assert ours.index("originate") < ours.index("remove") < ours.index("record")
            assert caller not in fake.channels
            assert not fake.channels  # nothing left behind
            assert not fake.bridges
            recs = [r for r in fake.recordings.values() if r.name.startswith("c")]
            assert len(recs) == 1

    asyncio.run(main())


def test_no_answer_then_second_agent() -> None:
    async def main() -> None:
        agents = {"agent3": "Local/agent3@agents", "agent4": "Local/agent4@agents"}
        async with running(agents, offer_timeout=4) as (fake, rt):
            fake.set_agent("Local/agent3@agents", answer_after=None)
            fake.set_agent("Local/agent4@agents", answer_after=2.0, talk=4.0)
            await ready(rt, "agent3")
            await fake.place_call(caller="5551002", name="Nora NoAnswer")
            await until(lambda: any(r.path.endswith("/channels") for r in fake.requests))
            await ready(rt, "agent4")
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["answered"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered) == (1, 1)
            originates = [
                r.query["endpoint"]
                for r in fake.requests
                if r.method == "POST" and r.path.endswith("/channels")
            ]
            assert originates == ["Local/agent3@agents", "Local/agent4@agents"]
            ours = our_kinds(fake)
            recorded = recorded_kinds("ari-acd-no-answer.jsonl")
            # the recorded app left the recording to end by itself (quirk 36); we stop it
            # when the call ends, whoever hangs up first
            assert ours.count("stop_record") == 1
            ours.remove("stop_record")
            # ring timeout = offer expiry: whichever of the PBX and the engine's timer fires
            # first ends the unanswered leg; when the engine does, we DELETE it ourselves
            extra = ours.count("hangup") - recorded.count("hangup")
            assert extra in (0, 1)
            for _ in range(extra):
                ours.remove("hangup")
            assert sorted(ours) == sorted(recorded)
            assert not fake.channels

    asyncio.run(main())


def test_caller_gone_while_agent_rings() -> None:
    async def main() -> None:
        async with running({"agent3": "Local/agent3@agents"}, offer_timeout=30) as (fake, rt):
            fake.set_agent("Local/agent3@agents", answer_after=None)
            await ready(rt, "agent3")
            await fake.place_call(caller="5551003", name="Gwen Gone", hangup_after=8.0)
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            await until(lambda: not fake.channels)
            assert rt.core.outcomes["abandoned"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered, stats.abandoned) == (1, 0, 1)
            assert rt.engine.agent_state("agent3") == "ready"
            assert sorted(our_kinds(fake)) == sorted(
                recorded_kinds("ari-acd-caller-gone-while-ringing.jsonl")
            )

    asyncio.run(main())


def test_abandon_in_queue() -> None:
    async def main() -> None:
        async with running({"agent1": "Local/agent1@agents"}) as (fake, rt):
            await fake.place_call(caller="5551004", name="Abe Abandon", hangup_after=7.0)
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            assert rt.core.outcomes["abandoned"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.abandoned, stats.waiting) == (1, 1, 0)
            assert sorted(our_kinds(fake)) == sorted(
                recorded_kinds("ari-acd-abandon-in-queue.jsonl")
            )
            assert not fake.bridges

    asyncio.run(main())


def test_agent_busy_congestion_and_missing_extension() -> None:
    async def main() -> None:
        agents = {
            "agent7": "Local/agent7@agents-unavailable",
            "agent8": "Local/agent8@agents-unavailable",
            "agent99": "Local/agent99@agents",
        }
        async with running(agents, retry=1.0) as (fake, rt):
            fake.set_agent(agents["agent7"], busy=True)
            fake.set_agent(agents["agent8"], congestion=True)
            fake.set_agent(agents["agent99"], unreachable=True)
            await ready(rt, *agents)
            await fake.place_call(caller="5551006", name="Bo Busy", hangup_after=4.0)
            await until(lambda: outcomes(rt) == 1)
            await rt.idle()
            rung = {
                r.query["endpoint"]
                for r in fake.requests
                if r.method == "POST" and r.path.endswith("/channels")
            }
            assert rung == set(agents.values())
            assert rt.core.outcomes["abandoned"] == 1
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered, stats.abandoned) == (1, 0, 1)
            assert not fake.channels

    asyncio.run(main())
