"""Running the whole runtime (Runtime + AriClient) against the fake Asterisk (tests/fakeari).

The fake's time runs ``SPEED`` times faster than the loop; the runtime's clock runs at the
same speed so ring and offer timeouts agree as they would on a real PBX.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from _runtime_util import make_center
from callroute.adapters.ari import AriClient
from callroute.runtime import Options, Runtime
from fakeari import FakeAsterisk

SPEED = 40.0
FIXTURES = Path(__file__).parent / "fixtures" / "asterisk"


def rest_kind(method: str, path: str, query: dict[str, str] | None = None) -> str | None:
    """A REST request as a step of the call flow (GETs are diagnostics: None)."""
    path = path.split("?", 1)[0]
    path = path[4:] if path.startswith("/ari") else path
    if method == "GET" or path.startswith("/applications/"):
        return None  # diagnostics, and the app's endpoint subscription at connect
    rules = [
        ("POST", r"^/channels/[^/]+/answer$", "answer"),
        ("POST", r"^/channels/[^/]+/play$", "play"),
        ("POST", r"^/channels/[^/]+/variable$", "setvar"),
        ("POST", r"^/channels/[^/]+/continue$", "continue"),
        ("POST", r"^/channels$", "originate"),
        ("DELETE", r"^/channels/[^/]+$", "hangup"),
        ("POST", r"^/bridges$", "bridge"),
        ("POST", r"^/bridges/[^/]+/addChannel$", "add"),
        ("POST", r"^/bridges/[^/]+/removeChannel$", "remove"),
        ("POST", r"^/bridges/[^/]+/moh$", "moh"),
        ("DELETE", r"^/bridges/[^/]+/moh$", "moh_stop"),
        ("POST", r"^/bridges/[^/]+/play$", "bridge_play"),
        ("POST", r"^/bridges/[^/]+/record$", "record"),
        ("DELETE", r"^/bridges/[^/]+$", "destroy"),
        ("POST", r"^/recordings/live/[^/]+/stop$", "stop_record"),
    ]
    for m, pattern, name in rules:
        if m == method and re.match(pattern, path):
            if name == "bridge" and query is not None:
                return f"bridge:{query.get('type', '')}"
            return name
    return f"{method} {path}"


def recorded_kinds(name: str) -> list[str]:
    """The REST steps of the recorded ACD app in transcript ``name``."""
    out: list[str] = []
    for line in (FIXTURES / name).read_text().splitlines():
        rec = json.loads(line)
        if rec["kind"] != "http-request":
            continue
        path, _, qs = rec["path"].partition("?")
        query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
        kind = rest_kind(rec["method"], path, query)
        if kind is not None:
            out.append(kind)
    return out


def our_kinds(fake: FakeAsterisk) -> list[str]:
    out: list[str] = []
    for r in fake.requests:
        kind = rest_kind(r.method, r.path, dict(r.query))
        if kind is not None:
            out.append(kind)
    return out


async def until(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for ``cond`` (a hang guard, not a timed assertion)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached before the hang guard")
        await asyncio.sleep(0.005)


@asynccontextmanager
async def running(
    agents: dict[str, str] | None = None,
    *,
    ivr: bool = False,
    fake_kw: dict[str, Any] | None = None,
    verifiers: dict[str, Any] | None = None,
    **queue: Any,
) -> AsyncIterator[tuple[FakeAsterisk, Runtime]]:
    """A fake Asterisk and a running Runtime on it (center of _runtime_util)."""
    fake = FakeAsterisk(speed=SPEED, **(fake_kw or {}))
    await fake.start()
    loop = asyncio.get_running_loop()
    center = make_center(agents, ivr=ivr, **queue)
    client = AriClient(
        fake.base_url,
        "callroute",
        "callroute-test-secret",
        "callroute",
        timeout=2.0,
        backoff=(0.01, 0.05),
    )
    await client.open()
    runtime = Runtime(
        center,
        client,
        clock=lambda: loop.time() * SPEED,
        speed=SPEED,
        options=Options(id_prefix="c"),
        verifiers=verifiers
        or {"bank_pin": lambda account, pin: (account, pin) == ("4711", "1234")},
    )
    task = asyncio.create_task(runtime.run())
    try:
        await fake.wait_connected()
        yield fake, runtime
    finally:
        await runtime.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await client.close()
        await fake.stop()
