"""Tenant isolation over HTTP on loopback, as a property (hypothesis).

Random operators (every tenant-scoped operator of the center, with its roles) try random
requests on random resources of either tenant -- agents, queues, calls, streams, statistics.
The rule (issue 13, "Security"; center/tenancy.py): an operator of tenant A never sees or
changes anything of tenant B. So a request about a resource of another tenant is a 403 and
changes nothing (the engine's snapshot is byte-identical); list answers (/stats, /metrics,
/queues, /calls) hold only the operator's tenant; and two tenant streams left open for the
whole run receive only their own tenant's events, whatever the requests did.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from _http_util import HANG_GUARD, Client, LocalRuntime, make_center, serve, token
from callroute.runtime.api import queue_tenant
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

CENTER = make_center()
TENANTS = sorted(CENTER.tenants)
OPERATORS = sorted(n for n, op in CENTER.operators.items() if op.scope == "tenant")
AGENTS = sorted(CENTER.agents)
QUEUES = sorted(CENTER.queues)
AGENT_ACTIONS = ["login", "ready", "not-ready", "logout", "wrapup-done"]
TASK_ACTIONS = ["accept", "decline", "end"]


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    rt: LocalRuntime
    client: Client
    seen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: int = 0

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, HANG_GUARD * 3))


async def _collect(
    client: Client, tenant: str, who: str, sink: list[dict[str, Any]], ready: asyncio.Event
) -> None:
    async with client.stream(f"/tenants/{tenant}/stream", who) as sse:
        ready.set()
        while True:
            _, event = await sse._next()
            sink.append(event)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    loop = asyncio.new_event_loop()
    rt = LocalRuntime(make_center())
    server = serve(rt)
    client = loop.run_until_complete(server.__aenter__())
    w = World(loop, rt, client)
    readers = []
    for tenant, who in (("bank", "bank_supervisor"), ("mobile", "mobile_supervisor")):
        w.seen[tenant] = []
        ready = asyncio.Event()
        readers.append(loop.create_task(_collect(client, tenant, who, w.seen[tenant], ready)))
        loop.run_until_complete(asyncio.wait_for(ready.wait(), HANG_GUARD))
    yield w
    for task in readers:
        task.cancel()
        with contextlib.suppress(BaseException):
            loop.run_until_complete(task)
    loop.run_until_complete(server.__aexit__(None, None, None))
    loop.close()


def _tenant_of(rt: LocalRuntime, kind: str, name: str) -> str | None:
    if kind == "agent":
        return rt.center.ownership.agents.get(name)
    if kind == "queue":
        return queue_tenant(rt.center, name)
    if kind == "tenant":
        return name
    eng = rt.center.engine
    return queue_tenant(rt.center, eng.call_info(name).queue) if name in eng.calls() else None


async def _request(w: World, who: str, req: tuple[Any, ...]) -> tuple[int, Any, str]:
    kind = req[0]
    if kind == "stream":
        path = req[1]
        async with w.client.session.get(
            w.client.base + path, headers=w.client.headers(who)
        ) as resp:
            if resp.status == 200:
                first = await resp.content.readline()
                assert first == b": subscribed\n"
                return 200, None, ""
            return resp.status, await resp.json(), ""
    method, path, body = req[1], req[2], req[3] if len(req) > 3 else None
    return await w.client.call(method, path, who, json_body=body)


def _draw_request(data: st.DataObject, w: World) -> tuple[str | None, str | None, tuple[Any, ...]]:
    """(resource kind, resource name, request)."""
    shape = data.draw(
        st.sampled_from(
            [
                "agent_get",
                "agent_action",
                "agent_stream",
                "tenant_stream",
                "stats_tenant",
                "task_queue",
                "task_action",
                "stats",
                "metrics",
                "queues",
                "calls",
            ]
        )
    )
    if shape == "agent_get":
        a = data.draw(st.sampled_from(AGENTS))
        return "agent", a, ("call", "GET", f"/agents/{a}")
    if shape == "agent_action":
        a = data.draw(st.sampled_from(AGENTS))
        act = data.draw(st.sampled_from(AGENT_ACTIONS))
        body = {"reason": "lunch"} if act == "not-ready" else None
        return "agent", a, ("call", "POST", f"/agents/{a}/{act}", body)
    if shape == "agent_stream":
        a = data.draw(st.sampled_from(AGENTS))
        return "agent", a, ("stream", f"/agents/{a}/stream")
    if shape == "tenant_stream":
        t = data.draw(st.sampled_from(TENANTS))
        return "tenant", t, ("stream", f"/tenants/{t}/stream")
    if shape == "stats_tenant":
        t = data.draw(st.sampled_from(TENANTS))
        return "tenant", t, ("call", "GET", f"/stats?tenant={t}")
    if shape == "task_queue":
        q = data.draw(st.sampled_from(QUEUES))
        media = CENTER.queues[q].media
        return "queue", q, ("call", "POST", "/tasks", {"media": media, "queue": q})
    if shape == "task_action":
        # draws independent of the run's state (hypothesis replays them): an index
        pick = data.draw(st.integers(0, 10_000))
        act = data.draw(st.sampled_from(TASK_ACTIONS))
        calls = sorted(w.rt.center.engine.calls())
        if not calls:
            return None, None, ("call", "GET", "/calls")
        c = calls[pick % len(calls)]
        return "call", c, ("call", "POST", f"/tasks/{c}/{act}")
    path = {"stats": "/stats", "metrics": "/metrics", "queues": "/queues", "calls": "/calls"}
    return None, None, ("call", "GET", path[shape])


def _needed(req: tuple[Any, ...]) -> str:
    """The permission a request needs (tenancy.PERMISSIONS)."""
    if req[0] == "stream" or req[1] == "GET":
        return "view_stats"
    if req[2] == "/tasks":
        return "change_queues"
    return "login_agents"


def _tenants_in(path: str, body: Any, text: str) -> set[str]:
    if path == "/metrics":
        return {
            s.labels["tenant"]
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if "tenant" in s.labels
        }
    if path == "/stats":
        found = {v["tenant"] for v in body["queues"].values()}
        found |= {v["tenant"] for v in body["agents"].values()}
        return found | set(body["agents_by_state"])
    key = path.strip("/")
    return {item["tenant"] for item in body[key]}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_operator_never_reaches_another_tenant(world: World, data: st.DataObject) -> None:
    w = world
    rt = w.rt
    # now and then a new call of either tenant, so there are calls, offers and events
    if data.draw(st.booleans()):
        q = data.draw(st.sampled_from([q for q in QUEUES if CENTER.queues[q].media == "voice"]))
        w.calls += 1
        tenant = rt.center.ownership.queues[q]
        w.run(rt.place_call(f"call-{w.calls}", tenant=tenant, queue=q, caller="1", dnis="12"))
    who = data.draw(st.sampled_from(OPERATORS))
    op = rt.center.operators[who]
    kind, name, req = _draw_request(data, w)
    owner = _tenant_of(rt, kind, name) if kind and name else None
    needed = _needed(req)
    before = rt.center.engine.snapshot()
    published = len(rt.published)
    status, body, text = w.run(_request(w, who, req))
    assert status != 500, text
    if kind is not None and owner != op.tenant:
        event("other tenant")
        # another tenant's (or nobody's) resource: refused, nothing changed or leaked
        assert status == 403, (who, req, status, body)
        assert body["error"] == "PermissionDenied"
        assert rt.center.engine.snapshot() == before
        assert len(rt.published) == published
    elif kind is not None:
        # its own tenant's resource: refused exactly when its roles lack the permission
        assert (status == 403) == (needed not in (op.permissions or ())), (who, req, body)
        event("own tenant: " + ("refused by role" if status == 403 else "allowed"))
    elif kind is None and req[1] == "GET" and status == 200:
        path = req[2]
        assert _tenants_in(path, body, text) <= {op.tenant}, (who, path)
    # the two long-lived tenant streams only ever carried their own tenant
    w.run(asyncio.sleep(0))
    for tenant, events in w.seen.items():
        assert {e.get("tenant") for e in events} <= {tenant}


def test_the_property_saw_both_tenants_events(world: World) -> None:
    """Guard against a vacuous property: events of both tenants were produced and seen."""
    world.run(asyncio.sleep(0.05))
    assert world.seen["bank"], "no bank event reached the bank stream"
    assert world.seen["mobile"], "no mobile event reached the mobile stream"


def test_tokens_of_the_property_are_distinct() -> None:
    assert len({token(n) for n in OPERATORS}) == len(OPERATORS)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_agent_reaches_only_itself(world: World, data: st.DataObject) -> None:
    """Agents' tokens: presence, state and stream of the agent itself, tasks offered to or
    held by it; nothing of another agent (its own tenant's included), no tenant-wide view."""
    w = world
    rt = w.rt
    if data.draw(st.booleans()):
        q = data.draw(st.sampled_from([q for q in QUEUES if CENTER.queues[q].media == "voice"]))
        w.calls += 1
        tenant = rt.center.ownership.queues[q]
        w.run(rt.place_call(f"call-{w.calls}", tenant=tenant, queue=q, caller="1", dnis="12"))
    who = data.draw(st.sampled_from(AGENTS))
    kind, name, req = _draw_request(data, w)
    eng = rt.center.engine
    if kind == "agent":
        mine = name == who
    elif kind == "call":
        mine = name in eng.calls() and eng.call_info(name).agent == who
    else:
        mine = False
    before = eng.snapshot()
    published = len(rt.published)
    status, body, text = w.run(_request(w, who, req))
    assert status != 500, text
    if kind is None:
        if req[2] == "/calls":
            assert status == 200
            assert all(c["agent"] == who for c in body["calls"]), body
        else:
            assert status == 403, (who, req, status)
        event("agent: list")
    elif not mine:
        event("agent: not its own")
        assert status == 403, (who, req, status, body)
        assert eng.snapshot() == before
        assert len(rt.published) == published
    else:
        event("agent: its own")
        assert status != 403, (who, req, body)
