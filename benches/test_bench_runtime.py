"""The live runtime's call core: events per second and arrival-to-originate latency.

Sans-I/O (no sockets): the core is fed the ARI events of whole calls, exactly as the
service feeds them, with the engine inside. This measures what one runtime process spends
per event on one core, without the network and the PBX (which the end-to-end load test in
``tests/test_runtime_load.py`` covers, untimed).

a: events/s: 1,000 calls with 1,000 ready agents, 7 ARI events each (caller StasisStart,
   agent leg StasisStart, the caller's ChannelHangupRequest and StasisEnd, the leg's soft
   hangup, StasisEnd and ChannelDestroyed); target >= 5,000 events/s on one core.
b: latency from a queued call's StasisStart to its Originate command, with 1,000 calls in
   the system at once: median and p99 over the 1,000 arrivals.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from _runtime_util import (  # noqa: E402
    DNIS,
    Channel,
    ChannelDestroyed,
    ChannelHangupRequest,
    StasisEnd,
    StasisStart,
    make_center,
)

CALLS = 1000
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


def _core() -> Any:
    from callroute.runtime import CallCore, Options

    agents = {f"agent{i}": f"PJSIP/{1000 + i}" for i in range(CALLS)}
    center = make_center(agents, ivr=False, record=False, wrapup=0)
    core = CallCore(
        center,
        center.engine,
        wall=lambda t: T0 + timedelta(seconds=t),
        options=Options(id_prefix="c"),
    )
    for i, agent in enumerate(agents):
        core.engine.agent_ready(agent, i * 1e-6)
    return core


def _arrivals(core: Any, now: float) -> tuple[list[tuple[Channel, Any]], list[float]]:
    from callroute.runtime import commands as cmd

    legs, latencies = [], []
    for i in range(CALLS):
        caller = Channel(f"pbx-{i}", caller_number=f"555{i:04d}")
        start = time.perf_counter()
        out = core.on_event(StasisStart(caller, ("inbound", DNIS)), now + i * 1e-3)
        latencies.append(time.perf_counter() - start)
        (orig,) = [c for c in out if isinstance(c, cmd.Originate)]
        legs.append((caller, orig))
    return legs, latencies


def _whole_calls(core: Any) -> int:
    legs, _ = _arrivals(core, 1.0)
    events = CALLS
    # time only moves forward: every agent answers (5-6 s), then every call ends (15-16 s)
    for i, (_, orig) in enumerate(legs):
        core.on_event(StasisStart(Channel(orig.channel), ("agent", orig.call)), 5.0 + i * 1e-3)
    for i, (caller, orig) in enumerate(legs):
        leg = Channel(orig.channel)
        now = 15.0 + i * 1e-3
        core.on_event(ChannelHangupRequest(caller, 16), now)
        core.on_event(StasisEnd(caller), now)
        core.on_event(ChannelHangupRequest(leg, 32, soft=True), now)
        core.on_event(StasisEnd(leg), now)
        core.on_event(ChannelDestroyed(leg, 16), now)
        events += 6
    totals = core.engine.totals()  # every call answered and completed: the workload it claims
    assert (totals.completed, totals.abandoned) == (CALLS, 0), totals
    assert core.calls == {}
    return events


def test_a_events_per_second(benchmark: Any, capsys: Any) -> None:
    benchmark.group = "runtime: ARI events through the call core"
    events = benchmark.pedantic(_whole_calls, setup=lambda: ((_core(),), {}), rounds=3)
    benchmark.extra_info.update(impl="callroute", evaluations=events, target_per_second=5000)
    assert events > 0
    if benchmark.stats is None:  # --benchmark-disable (CI): ran once, nothing timed
        return
    with capsys.disabled():
        rate = events / benchmark.stats.stats.median
        print(f"\nruntime core: {rate:,.0f} ARI events/s ({events} events per round, one core)")


def test_b_arrival_to_originate_latency(capsys: Any) -> None:
    core = _core()
    _, latencies = _arrivals(core, 1.0)
    latencies.sort()
    median = statistics.median(latencies)
    p99 = latencies[int(0.99 * len(latencies)) - 1]
    with capsys.disabled():
        print(
            f"\nruntime core: StasisStart -> Originate at {CALLS} concurrent calls: "
            f"median {median * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us"
        )
    assert len(core.calls) == CALLS


class _NullPbx:
    """A PBX that accepts every command at once; its events are a prepared list."""

    def __init__(self, events: list[Any]) -> None:
        self._events = events

    async def events(self) -> Any:
        import asyncio

        for event in self._events:
            yield event
        await asyncio.Event().wait()

    def __getattr__(self, name: str) -> Any:
        async def ok(*args: Any, **kwargs: Any) -> None:
            return None

        return ok


def test_c_service_events_per_second(capsys: Any) -> None:
    """The whole service (inbox, engine, command lanes, streams) on a PBX that answers
    instantly: 1,000 calls, 7 events each, through Runtime.run."""
    import asyncio

    from callroute.runtime import Options, Runtime

    agents = {f"agent{i}": f"PJSIP/{1000 + i}" for i in range(CALLS)}
    events: list[Any] = []
    for i in range(CALLS):
        caller = Channel(f"pbx-{i}", caller_number=f"555{i:04d}")
        events.append(StasisStart(caller, ("inbound", DNIS)))
    for i in range(CALLS):
        caller, leg = Channel(f"pbx-{i}"), Channel(f"c{i + 1}-a1")
        events += [
            StasisStart(leg, ("agent", f"c{i + 1}")),
            ChannelHangupRequest(caller, 16),
            StasisEnd(caller),
            ChannelHangupRequest(leg, 32, soft=True),
            StasisEnd(leg),
            ChannelDestroyed(leg, 16),
        ]

    async def main() -> float:
        center = make_center(agents, ivr=False, record=False, wrapup=0)
        rt = Runtime(center, _NullPbx(events), options=Options(id_prefix="c"))
        for agent in agents:
            await rt.agent_login(agent)
            await rt.agent_ready(agent)
        start = time.perf_counter()
        task = asyncio.create_task(rt.run())
        while sum(rt.core.outcomes.values()) < CALLS:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - start
        await rt.stop()
        task.cancel()
        return elapsed

    elapsed = asyncio.run(main())
    with capsys.disabled():
        print(
            f"\nruntime service: {len(events) / elapsed:,.0f} ARI events/s end to end (no network)"
        )
