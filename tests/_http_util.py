"""Helpers of the HTTP tests: a runtime without a PBX, a tokened center, a loopback server.

:class:`LocalRuntime` implements :class:`callroute.runtime.api.RuntimeAPI` over a real
:class:`~callroute.center.Center` and its engine: presence and other-media tasks go through
the engine, voice calls are placed directly with :meth:`LocalRuntime.place_call` (the PBX
side is not under test here), and every decision is published to a
:class:`~callroute.runtime.hub.Hub` as the event shapes of spec D.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import yaml
from aiohttp.test_utils import TestServer
from callroute.center import Center, example_config_path, load_mapping
from callroute.engine import AgentStateChanged, Decision, Offer, Queued, Revoked
from callroute.runtime.api import engine_stats, queue_media, queue_tenant
from callroute.runtime.auth import token_sha256
from callroute.runtime.http import build_app
from callroute.runtime.hub import Hub

HANG_GUARD = 10.0  # seconds; only against hangs, never an assertion about speed


def token(name: str) -> str:
    """The (test) token of an agent or operator."""
    return f"test-token-for-{name}-0123456789abcdef"


def center_mapping(*, chat_beside_voice: bool = False) -> dict[str, Any]:
    """The bundled outsourcer example, with a token for every agent and operator and a
    center-wide admin; ``chat_beside_voice`` lets anna (voice 1, chat 2) hold chats beside a
    call (``exclusive: []``; the default makes voice take her whole)."""
    data = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["operators"]["center_admin"] = {"tenant": "bank", "roles": ["admin"], "scope": "center"}
    data["operators"]["mobile_admin"] = {"tenant": "mobile", "roles": ["admin"]}
    for section in ("agents", "operators"):
        for name, entry in data[section].items():
            entry["token_sha256"] = token_sha256(token(name))
    if chat_beside_voice:
        data["agents"]["anna"]["exclusive"] = []
    # Open around the clock and leased for ever here: hours and leases are not under test
    # (and a test must not start failing on the day a lease in the example ends).
    for q in data["queues"].values():
        q.pop("hours", None)
    for t in data["tenants"].values():
        t.pop("lease", None)
    return data


def make_center(**kwargs: Any) -> Center:
    """A loaded center from :func:`center_mapping`."""
    return load_mapping(center_mapping(**kwargs), source="test-center.yaml")


class LocalRuntime:
    """The runtime facade (spec D) over an engine, without a PBX (see the module doc)."""

    def __init__(self, center: Center, hub: Hub | None = None) -> None:
        self._center = center
        self.hub = hub or Hub()
        self._lock = asyncio.Lock()
        self._t = 0.0
        self._tasks = 0
        self.meta: dict[str, dict[str, Any]] = {}
        self.published: list[dict[str, Any]] = []

    @property
    def center(self) -> Center:
        return self._center

    def _now(self) -> float:
        self._t += 1.0  # a deterministic clock: one second per input
        return self._t

    async def _apply(self, step: Callable[[float], list[Decision]]) -> list[Decision]:
        async with self._lock:
            decisions = step(self._now())
            for d in decisions:
                self._publish(d)
            return decisions

    def _emit(self, event: dict[str, Any]) -> None:
        self.published.append(event)
        self.hub.publish(event)

    def _agent_tenant(self, agent: str) -> str | None:
        return self._center.ownership.agents.get(agent)

    def _publish(self, d: Decision) -> None:
        eng = self._center.engine
        if isinstance(d, Offer):
            info = eng.call_info(d.call)
            meta = self.meta.get(d.call, {})
            self._emit(
                {
                    "type": "offer",
                    "call": d.call,
                    "agent": d.agent,
                    "queue": d.queue,
                    "tenant": queue_tenant(self._center, d.queue),
                    "media": queue_media(self._center, d.queue),
                    "caller": meta.get("caller"),
                    "dnis": meta.get("dnis"),
                    "data": dict(info.data),
                    "expires": d.expires,
                }
            )
        elif isinstance(d, Revoked):
            self._emit(
                {
                    "type": "offer_revoked",
                    "call": d.call,
                    "agent": d.agent,
                    "tenant": self._agent_tenant(d.agent),
                    "reason": d.reason,
                }
            )
        elif isinstance(d, AgentStateChanged):
            self._emit(
                {
                    "type": "agent_state",
                    "agent": d.agent,
                    "tenant": self._agent_tenant(d.agent),
                    "state": d.state,
                    "reason": d.reason,
                }
            )
        elif isinstance(d, Queued):
            self._emit(
                {
                    "type": "queued",
                    "call": d.call,
                    "queue": d.queue,
                    "tenant": queue_tenant(self._center, d.queue),
                    "position": d.position,
                }
            )

    # -- presence --

    async def agent_login(self, agent: str) -> object:
        # As the runtime does: logged in but not ready (reason "login") until /ready.
        if self._center.engine.agent_state(agent) != "logged_out":
            return []
        return await self._apply(
            lambda now: self._center.engine.agent_not_ready(agent, now, "login")
        )

    async def agent_ready(self, agent: str) -> object:
        return await self._apply(lambda now: self._center.engine.agent_ready(agent, now))

    async def agent_not_ready(self, agent: str, reason: str) -> object:
        return await self._apply(
            lambda now: self._center.engine.agent_not_ready(agent, now, reason)
        )

    async def agent_logout(self, agent: str) -> object:
        return await self._apply(lambda now: self._center.engine.agent_logout(agent, now))

    async def wrapup_done(self, agent: str) -> object:
        return await self._apply(lambda now: self._center.engine.wrapup_done(agent, now))

    # -- calls and tasks --

    async def place_call(
        self,
        call: str,
        *,
        tenant: str,
        queue: str,
        caller: str,
        dnis: str,
        data: Mapping[str, Any] | None = None,
    ) -> list[Decision]:
        """A voice call out of the IVR into ``queue`` (what the PBX side would do)."""
        self.meta[call] = {"caller": caller, "dnis": dnis, "tenant": tenant}
        return await self._apply(
            lambda now: self._center.call_arrived(
                call, now, tenant=tenant, queue=queue, data=dict(data or {})
            )
        )

    async def submit_task(
        self,
        media: str,
        tenant: str,
        *,
        queue: str | None = None,
        skills: Mapping[str, int] | None = None,
        priority: int = 0,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        self._tasks += 1
        task = f"{media}-{self._tasks}"
        self.meta[task] = {"tenant": tenant}
        eng = self._center.engine
        if queue is not None:
            await self._apply(
                lambda now: self._center.call_arrived(
                    task, now, tenant=tenant, queue=queue, priority=priority, data=data
                )
            )
        else:
            await self._apply(
                lambda now: eng.call_arrived(
                    task,
                    now,
                    skills=skills,
                    media=media,
                    tenant=tenant,
                    priority=priority,
                    data=data,
                )
            )
        return task

    async def _connected(self, call: str, kind: str) -> None:
        info = self._center.engine.call_info(call)
        self._emit(
            {
                "type": kind,
                "call": call,
                "agent": info.agent,
                "tenant": queue_tenant(self._center, info.queue),
            }
        )

    async def accept_task(self, task_id: str) -> object:
        out = await self._apply(lambda now: self._center.engine.offer_accepted(task_id, now))
        await self._connected(task_id, "connected")
        return out

    async def decline_task(self, task_id: str) -> object:
        return await self._apply(lambda now: self._center.engine.offer_declined(task_id, now))

    async def end_task(self, task_id: str) -> object:
        info = self._center.engine.call_info(task_id)
        out = await self._apply(lambda now: self._center.engine.call_ended(task_id, now))
        self._emit(
            {
                "type": "ended",
                "call": task_id,
                "agent": info.agent,
                "tenant": queue_tenant(self._center, info.queue),
            }
        )
        return out

    async def abandon(self, call: str) -> list[Decision]:
        """The caller hangs up while waiting."""
        return await self._apply(lambda now: self._center.engine.call_abandoned(call, now))

    # -- streams and statistics --

    def subscribe(
        self, agent: str | None = None, tenant: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        # Registered now, before the first read: the stream's ": subscribed" is true.
        return aiter(self.hub.subscribe(agent=agent, tenant=tenant))

    async def stats(self, tenant: str | None = None) -> dict[str, Any]:
        return engine_stats(self._center, tenant)


@asynccontextmanager
async def serve(runtime: LocalRuntime) -> AsyncIterator[Client]:
    """The app of ``runtime`` on a real loopback socket, and a client for it."""
    server = TestServer(build_app(runtime), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=HANG_GUARD)
        ) as session:
            yield Client(session, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()
        runtime.hub.close()


class Client:
    """Thin JSON client: ``await client.call("POST", "/tasks", "bank_admin", json=...)``."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(who)}"} if who else {}

    async def call(
        self,
        method: str,
        path: str,
        who: str | None,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any, str]:
        """(status, parsed JSON or None, text) of one request."""
        hdrs = {**self.headers(who), **(headers or {})}
        async with self.session.request(
            method, self.base + path, json=json_body, data=data, headers=hdrs
        ) as resp:
            text = await resp.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            return resp.status, parsed, text

    @asynccontextmanager
    async def stream(self, path: str, who: str) -> AsyncIterator[SSE]:
        """An open SSE stream, after its subscription is live (``: subscribed`` read)."""
        async with self.session.get(self.base + path, headers=self.headers(who)) as resp:
            assert resp.status == 200, await resp.text()
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            sse = SSE(resp)
            first = await asyncio.wait_for(resp.content.readline(), HANG_GUARD)
            assert first == b": subscribed\n"
            yield sse


class SSE:
    """Reads Server-Sent Events (``event``, ``data`` JSON) from a response."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self.resp = resp

    async def next(self) -> tuple[str, dict[str, Any]]:
        """The next event (comments skipped), hang-guarded."""
        return await asyncio.wait_for(self._next(), HANG_GUARD)

    async def _next(self) -> tuple[str, dict[str, Any]]:
        kind, data = "message", ""
        while True:
            line = (await self.resp.content.readline()).decode()
            if line == "":
                raise EOFError("stream ended")
            line = line.rstrip("\n")
            if not line:
                if data:
                    return kind, json.loads(data)
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                kind = value
            elif field == "data":
                data += value

    async def until(self, pred: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every event up to and including the first matching ``pred``."""
        seen = []
        while True:
            _, event = await self.next()
            seen.append(event)
            if pred(event):
                return seen
