"""Crash recovery in process: a runtime journals to SQLite, is dropped without any
cleanup (as by kill -9: no stop, no outcome flushed), and a new runtime on the same journal
and the same (fake) PBX carries on. Calls keep exactly one outcome each.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from _runtime_e2e import SPEED, until
from _runtime_util import make_center
from callroute.adapters.ari import AriClient
from callroute.runtime import Journal, Options, Runtime
from fakeari import FakeAsterisk

AGENTS = {"agent1": "Local/agent1@agents", "agent2": "Local/agent2@agents"}


async def start(
    fake: FakeAsterisk, path: Path, prefix: str
) -> tuple[Runtime, asyncio.Task[None], AriClient, Journal]:
    loop = asyncio.get_running_loop()
    ari = AriClient(
        fake.base_url, "callroute", "callroute-test-secret", "callroute", backoff=(0.01, 0.05)
    )
    await ari.open()
    journal = Journal(path)
    rt = Runtime(
        make_center(AGENTS, ivr=False, record=False),
        ari,
        journal=journal,
        clock=lambda: loop.time() * SPEED,
        speed=SPEED,
        options=Options(id_prefix=prefix),
    )
    task = asyncio.create_task(rt.run())
    await fake.wait_connected()
    return rt, task, ari, journal


async def crash(rt: Runtime, task: asyncio.Task[None], ari: AriClient, journal: Journal) -> None:
    """Gone at once: the loop task cancelled, nothing flushed, the files closed."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    for t in list(rt._tasks):
        t.cancel()
    await ari.close()
    journal.close()


def test_calls_survive_a_crash_with_one_outcome_each(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "journal.sqlite"
        fake = FakeAsterisk(speed=SPEED)
        await fake.start()
        try:
            fake.set_agent(AGENTS["agent1"], answer_after=1.0)
            fake.set_agent(AGENTS["agent2"], answer_after=1.0)
            rt, task, ari, journal = await start(fake, path, "a")
            await rt.agent_login("agent1")
            await rt.agent_ready("agent1")
            talking = await fake.place_call(caller="5551001")
            await until(lambda: rt.engine.agent_state("agent1") == "busy")
            waiting = await fake.place_call(caller="5551002")
            await until(lambda: rt.engine.queue_stats("sales").waiting == 1)
            await rt.idle()
            await crash(rt, task, ari, journal)

            await fake.hangup(waiting)  # abandons while nothing listens
            rt, task, ari, journal = await start(fake, path, "b")
            assert rt.engine.agent_state("agent1") == "busy"  # its live bridge keeps it busy
            await until(lambda: rt.core.outcomes["abandoned"] == 1)
            assert len(rt.core.calls) == 1
            await fake.hangup(talking)
            await until(lambda: rt.core.outcomes["answered"] == 1)
            await rt.idle()
            await until(lambda: not fake.channels)
            outcomes = journal.outcomes()
            assert sorted(o.outcome for o in outcomes.values()) == ["abandoned", "answered"]
            stats = rt.engine.queue_stats("sales")
            assert (stats.offered, stats.answered, stats.abandoned) == (2, 1, 1)
            assert rt.core.calls == {}
            await rt.stop()
            await crash(rt, task, ari, journal)
        finally:
            await fake.stop()

    asyncio.run(main())
