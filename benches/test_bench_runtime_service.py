"""The live runtime service (asyncio loop, inbox, engine, command lanes), with and without
its journal: decision latency and events per second on one core.

Unlike ``test_bench_runtime.py`` (the sans-I/O call core alone), this drives a whole
:class:`~callroute.runtime.Runtime`: its event reader, inbox, timer loop, per-call command
lanes and, in the ``journal`` variants, a SQLite journal file (every engine input committed
before it applies, call notes, outcomes). The PBX is an in-process stub (no sockets) that
answers each REST call at once and, like Asterisk, sends the StasisStart of an originated
agent leg and the StasisEnd/ChannelDestroyed of a hung-up channel; so the figures are the
runtime's own cost, not the network's or a fake PBX's.

a: decision latency at 1,000 concurrent calls: 1,000 callers wait in the queue with every
   agent logged in but not ready; then agents become ready one at a time (``agent_ready``,
   as the HTTP API calls it) and each readiness is timed until the originate of the call
   it gets reaches the PBX (median and p99 over 1,000 decisions; the queue goes from 1,000
   waiting to 1 as the offers are made, every call staying in the system).
b: arrival latency: with 1,000 ready agents, 1,000 callers' StasisStart events are pushed
   one by one, each timed from its push to its originate reaching the PBX.
c: events per second: 1,000 whole calls (caller StasisStart; agent leg StasisStart; caller
   hangup request, StasisEnd, ChannelDestroyed; leg StasisEnd, ChannelDestroyed: 7 ARI
   events a call) through the runtime with 1,000 ready agents, timed from the first event
   pushed to the last outcome recorded. Target: >= 5,000 events/s (reported, not enforced).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from _runtime_util import (  # noqa: E402
    DNIS,
    Channel,
    ChannelDestroyed,
    ChannelHangupRequest,
    StasisEnd,
    StasisStart,
    StubPbx,
    make_center,
)

CALLS = 1000
EVENTS_PER_CALL = 7


class Pbx(StubPbx):
    """The stub PBX, timing each originate and answering like Asterisk would."""

    def __init__(self) -> None:
        super().__init__()
        self.originated: dict[str, float] = {}  # call -> perf_counter at the originate
        self.legs: dict[str, Channel] = {}
        self.answer_legs = False
        self.on_originate: Callable[[str], None] | None = None

    async def originate(self, endpoint: str, **kw: Any) -> None:
        call = str(kw["app_args"]).split(",", 1)[1]
        self.originated[call] = time.perf_counter()
        if self.on_originate is not None:
            self.on_originate(call)
        if self.answer_legs:
            leg = Channel(kw["channel_id"], caller_number=None)
            self.legs[leg.id] = leg
            self.push(StasisStart(leg, ("agent", call)))

    async def hangup(self, ch: str, reason: str = "normal") -> None:
        leg = self.legs.pop(ch, None)
        if leg is not None:
            self.push(StasisEnd(leg), ChannelDestroyed(leg, 16))


def _runtime(pbx: Pbx, journal_dir: str | None) -> Any:
    from callroute.runtime import Journal, Options, Runtime

    agents = {f"agent{i}": f"PJSIP/{1000 + i}" for i in range(CALLS)}
    center = make_center(agents, ivr=False, record=False, wrapup=0, offer_timeout=600)
    journal = Journal(Path(journal_dir) / "journal.sqlite") if journal_dir else None
    return Runtime(center, pbx, journal=journal, options=Options(id_prefix="b"))


async def _until(cond: Callable[[], bool], timeout: float = 300.0, pause: float = 0.0) -> None:
    """Wait for ``cond`` (hang guard); ``pause``: seconds between looks (0: every loop turn,
    for the latencies; more for the throughput, so the waiting costs the runtime nothing)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("hang guard")
        await asyncio.sleep(pause)


async def _with_runtime(journal: bool, body: Callable[[Any, Pbx], Any]) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        pbx = Pbx()
        rt = _runtime(pbx, tmp if journal else None)
        task = asyncio.create_task(rt.run())
        try:
            return await body(rt, pbx)
        finally:
            await rt.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if rt.journal is not None:
                rt.journal.close()


def _quantiles(latencies: list[float]) -> tuple[float, float]:
    latencies = sorted(latencies)
    return statistics.median(latencies), latencies[max(0, int(0.99 * len(latencies)) - 1)]


async def _ready_latency(rt: Any, pbx: Pbx) -> list[float]:
    agents = list(rt.center.agents)
    for agent in agents:
        await rt.agent_login(agent)  # logged in, not ready
    for i in range(CALLS):
        pbx.push(StasisStart(Channel(f"pbx-{i}", caller_number=f"555{i:04d}"), ("inbound", DNIS)))
    await _until(lambda: rt.engine.queue_stats("sales").waiting == CALLS)
    await rt.idle(60)
    latencies = []
    for agent in agents:
        before = len(pbx.originated)
        start = time.perf_counter()
        await rt.agent_ready(agent)
        await _until(lambda n=before: len(pbx.originated) > n)
        latencies.append(max(pbx.originated.values()) - start)
    assert len(pbx.originated) == CALLS
    return latencies


async def _arrival_latency(rt: Any, pbx: Pbx) -> list[float]:
    for agent in rt.center.agents:
        await rt.agent_login(agent)
        await rt.agent_ready(agent)
    await rt.idle(60)
    latencies = []
    for i in range(CALLS):
        start = time.perf_counter()
        pbx.push(StasisStart(Channel(f"pbx-{i}", caller_number=f"555{i:04d}"), ("inbound", DNIS)))
        await _until(lambda n=i: len(pbx.originated) > n)
        latencies.append(max(pbx.originated.values()) - start)
    return latencies


async def _whole_calls(rt: Any, pbx: Pbx) -> tuple[int, float]:
    for agent in rt.center.agents:
        await rt.agent_login(agent)
        await rt.agent_ready(agent)
    await rt.idle(60)
    pbx.answer_legs = True
    callers = [Channel(f"pbx-{i}", caller_number=f"555{i:04d}") for i in range(CALLS)]
    start = time.perf_counter()
    for caller in callers:
        pbx.push(StasisStart(caller, ("inbound", DNIS)))
    await _until(lambda: rt.engine.queue_stats("sales").answered == CALLS, pause=0.005)
    for caller in callers:
        pbx.push(ChannelHangupRequest(caller, 16), StasisEnd(caller), ChannelDestroyed(caller, 16))
    await _until(lambda: sum(rt.core.outcomes.values()) == CALLS and not pbx.legs, pause=0.005)
    await rt.idle(60)
    elapsed = time.perf_counter() - start
    assert rt.core.outcomes["answered"] == CALLS
    assert rt.core.calls == {}
    return CALLS * EVENTS_PER_CALL, elapsed


@pytest.mark.parametrize("journal", [False, True], ids=["no-journal", "journal"])
def test_a_agent_ready_to_originate(journal: bool, capsys: Any) -> None:
    latencies = asyncio.run(_with_runtime(journal, _ready_latency))
    median, p99 = _quantiles(latencies)
    with capsys.disabled():
        print(
            f"\nruntime service ({'journal' if journal else 'no journal'}): agent_ready -> "
            f"originate at {CALLS} calls: median {median * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us"
        )


@pytest.mark.parametrize("journal", [False, True], ids=["no-journal", "journal"])
def test_b_arrival_to_originate(journal: bool, capsys: Any) -> None:
    latencies = asyncio.run(_with_runtime(journal, _arrival_latency))
    median, p99 = _quantiles(latencies)
    with capsys.disabled():
        print(
            f"\nruntime service ({'journal' if journal else 'no journal'}): StasisStart -> "
            f"originate, up to {CALLS} calls: median {median * 1e6:.0f} us, "
            f"p99 {p99 * 1e6:.0f} us"
        )


@pytest.mark.parametrize("journal", [False, True], ids=["no-journal", "journal"])
def test_c_events_per_second(journal: bool, benchmark: Any, capsys: Any) -> None:
    benchmark.group = "runtime service: ARI events, " + ("journal" if journal else "no journal")
    results: list[tuple[int, float]] = []

    def run() -> None:
        results.append(asyncio.run(_with_runtime(journal, _whole_calls)))

    benchmark.pedantic(run, rounds=1, iterations=1)
    events, elapsed = results[-1]
    benchmark.extra_info.update(impl="callroute", evaluations=events, target_per_second=5000)
    with capsys.disabled():
        print(
            f"\nruntime service ({'journal' if journal else 'no journal'}): "
            f"{events / elapsed:,.0f} ARI events/s ({events} events, one core)"
        )
