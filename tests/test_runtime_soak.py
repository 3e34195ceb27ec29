"""Soak: waves of 1,000 concurrent calls through the fake Asterisk over loopback, journaled.

The whole runtime (Runtime + AriClient + a journal file) runs against the fake Asterisk on
127.0.0.1. Each wave places 1,000 callers at once on 250 agents (answer after 0.5 s, talk
4 s, far-end time); every fifth caller hangs up 0.1 s after dialing, before any agent can
answer (an agent answers no sooner than 0.5 s after its originate, which follows the call's
arrival), so it must end abandoned and the others answered.

None lost: every caller channel has exactly one outcome in the journal, the right one; the
engine's totals conserve (arrived = answered + abandoned, nothing waiting, no call left).

Memory flat: after a warm-up wave, tracemalloc traces a second wave; once it has ended, the
memory still held that was allocated by callroute's Python code is bounded by what the
runtime keeps by design (the last 100,000 channel ids it has seen, to tell a known channel
from a stranger at a resync: a few hundred bytes per call, see ``PER_CALL_BOUND``), and the
per-call tables, pending teardowns and command lanes are empty. The engine (Rust) is
checked through its own state: no call, no offer left.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from _runtime_e2e import until
from _runtime_util import DNIS, make_center
from callroute.adapters.ari import AriClient
from callroute.runtime import Journal, Options, Runtime
from fakeari import FakeAsterisk

CALLS = 1000
AGENTS = 250
SPEED = 4.0
#: bytes per call the runtime may keep after its calls ended. By design it keeps the ids of
#: the last 100,000 channels it saw (a caller and an agent leg per call: two ~120-byte strs
#: and their dict slots, ~400 bytes a call until the window is full, then nothing more) and
#: its emptied tables keep the capacity of the peak (~80 bytes a call). Measured on this
#: machine: ~750 bytes a call; the bound leaves room for allocator and dict-growth slack.
PER_CALL_BOUND = 1000


def _callroute_bytes(snapshot: tracemalloc.Snapshot) -> tuple[int, list[str]]:
    snap = snapshot.filter_traces([tracemalloc.Filter(True, "*/python/callroute/*")])
    stats = snap.statistics("lineno")
    return sum(s.size for s in stats), [str(s) for s in stats[:8]]


class _Counted(logging.Handler):
    """Counts the runtime's log records and keeps none (pytest's capture keeps every record,
    with the exceptions and frames it references, which would count as retained memory)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count ``record``."""
        self.count += 1


def test_waves_of_a_thousand_calls_lose_none_and_leave_memory_flat(tmp_path: Path) -> None:
    logger = logging.getLogger("callroute")
    counted = _Counted()
    logger.addHandler(counted)
    logger.propagate = False
    try:
        _waves(tmp_path, counted)
    finally:
        logger.removeHandler(counted)
        logger.propagate = True


def _waves(tmp_path: Path, counted: _Counted) -> None:
    async def main() -> dict[str, Any]:
        agents = {f"agent{i}": f"Local/agent{i}@agents" for i in range(1, AGENTS + 1)}
        fake = FakeAsterisk(speed=SPEED, log_size=5000)
        await fake.start()
        fake.default_agent.answer_after = 0.5
        fake.default_agent.talk = 4.0
        loop = asyncio.get_running_loop()
        center = make_center(agents, ivr=False, record=False, offer_timeout=60, wrapup=0)
        journal = Journal(tmp_path / "journal.sqlite")
        client = AriClient(fake.base_url, "callroute", "callroute-test-secret", "callroute")
        await client.open()
        rt = Runtime(
            center,
            client,
            journal=journal,
            clock=lambda: loop.time() * SPEED,
            speed=SPEED,
            options=Options(id_prefix="c"),
        )
        task = asyncio.create_task(rt.run())
        callers: list[list[str]] = []
        out: dict[str, Any] = {}
        try:
            await fake.wait_connected(10)
            for agent in agents:
                await rt.agent_login(agent)
                await rt.agent_ready(agent)

            async def wave(n: int) -> None:
                placed = await asyncio.gather(
                    *(
                        fake.place_call(
                            dnis=DNIS,
                            caller=f"55{n}{i:04d}",
                            hangup_after=0.1 if i % 5 == 0 else None,
                        )
                        for i in range(CALLS)
                    )
                )
                callers.append(list(placed))
                total = CALLS * (n + 1)
                await until(lambda: sum(rt.core.outcomes.values()) >= total, timeout=600)
                await until(lambda: not fake.channels and not fake.bridges, timeout=120)
                await rt.idle(timeout=60)
                assert rt.core.calls == {}
                assert rt.core.legs == {}
                assert rt.core._by_channel == {}
                assert rt.core._playbacks == {}
                assert rt._lanes == {}
                assert rt.core.ended_pending == set()
                assert not rt._tasks
                assert rt.engine.calls() == []

            await wave(0)  # warm-up: first-use allocations (imports, caches, buffers)
            gc.collect()
            tracemalloc.start()
            before, _ = _callroute_bytes(tracemalloc.take_snapshot())
            await wave(1)
            gc.collect()
            after, top = _callroute_bytes(tracemalloc.take_snapshot())
            tracemalloc.stop()
            out.update(growth=after - before, top=top, engine=rt.engine.queue_stats("sales"))
        finally:
            tracemalloc.stop()
            await rt.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await client.close()
            await fake.stop()
        out["outcomes"] = journal.outcomes()
        journal.close()
        out["callers"] = callers
        return out

    res = asyncio.run(main())
    waves = res["callers"]
    assert [len(set(w)) for w in waves] == [CALLS, CALLS]
    by_channel: dict[str, list[str]] = {}
    for o in res["outcomes"].values():
        by_channel.setdefault(str(o.detail.get("channel")), []).append(o.outcome)
    for wave in waves:
        for i, channel in enumerate(wave):
            want = "abandoned" if i % 5 == 0 else "answered"
            assert by_channel.get(channel) == [want], (channel, by_channel.get(channel))
    assert len(by_channel) == 2 * CALLS
    counts = Counter(o.outcome for o in res["outcomes"].values())
    stats = res["engine"]
    assert (stats.offered, stats.answered, stats.abandoned) == (
        2 * CALLS,
        counts["answered"],
        counts["abandoned"],
    )
    assert stats.answered + stats.abandoned == stats.offered
    assert stats.waiting == 0
    growth = res["growth"]
    print(
        f"\nretained after a wave of {CALLS} calls: {growth} bytes ({growth / CALLS:.0f}/call); "
        f"{counted.count} runtime warnings"
    )
    assert growth < CALLS * PER_CALL_BOUND, "\n".join(res["top"])
