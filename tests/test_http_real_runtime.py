"""The HTTP API over the real :class:`callroute.runtime.Runtime` (a stub PBX: other media
need none): chats through POST /tasks up to the agent's chat capacity, offered on its SSE
stream, accepted and ended over HTTP; /metrics equal to the runtime engine's queue_stats;
another tenant's operator refused. (Voice over the fake Asterisk: test_runtime_http.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from _http_util import HANG_GUARD, Client, center_mapping
from _runtime_util import StubPbx
from aiohttp.test_utils import TestServer
from callroute.center import load_mapping
from callroute.runtime import Options, Runtime
from callroute.runtime.http import build_app
from prometheus_client.parser import text_string_to_metric_families


@asynccontextmanager
async def live() -> AsyncIterator[tuple[Runtime, Client]]:
    rt = Runtime(
        load_mapping(center_mapping(), "test-center.yaml"),
        StubPbx(),
        options=Options(id_prefix="r"),
    )
    runner = asyncio.create_task(rt.run())
    server = TestServer(build_app(rt), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=HANG_GUARD)
        ) as session:
            yield rt, Client(session, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()
        await rt.stop()
        runner.cancel()
        with contextlib.suppress(BaseException):
            await runner


async def _chat(client: Client, n: int) -> str:
    status, body, text = await client.call(
        "POST",
        "/tasks",
        "bank_admin",
        json_body={"media": "chat", "queue": "bank_chat", "data": {"customer": f"web-{n}"}},
    )
    assert status == 201, text
    return str(body["task"])


def test_chats_up_to_capacity_over_http_on_the_real_runtime() -> None:
    async def go() -> None:
        async with live() as (rt, client):
            for action in ("login", "ready"):
                status, _, text = await client.call("POST", f"/agents/anna/{action}", "anna")
                assert status == 200, text
            async with client.stream("/agents/anna/stream", "anna") as anna:
                chats = [await _chat(client, n) for n in range(3)]
                offers = {}
                while len(offers) < 2:
                    _, event = await anna.next()
                    if event["type"] == "offer":
                        offers[event["call"]] = event
                # anna: chat capacity 2 (the center file): two offered, the third waits
                assert set(offers) == set(chats[:2])
                assert offers[chats[0]]["data"] == {"customer": "web-0"}
                assert offers[chats[0]]["media"] == "chat"
                assert rt.engine.call_info(chats[2]).state == "waiting"
                for chat in chats[:2]:
                    status, _, text = await client.call("POST", f"/tasks/{chat}/accept", "anna")
                    assert status == 200, text
                # others cannot touch anna's task
                for who in ("ben", "mobile_admin"):
                    status, _, _ = await client.call("POST", f"/tasks/{chats[0]}/end", who)
                    assert status == 403
                status, _, _ = await client.call("POST", f"/tasks/{chats[0]}/end", "anna")
                assert status == 200
                await anna.until(lambda e: e["type"] == "offer" and e["call"] == chats[2])
                status, _, _ = await client.call("POST", f"/tasks/{chats[2]}/accept", "anna")
                assert status == 200
                status, body, _ = await client.call("POST", f"/tasks/{chats[0]}/end", "anna")
                # gone: to an agent, the same answer as someone else's task
                assert (status, body["error"]) == (403, "PermissionDenied")
                status, body, _ = await client.call(
                    "POST", f"/tasks/{chats[0]}/end", "center_admin"
                )
                assert (status, body["error"]) == (404, "UnknownIdError")

            status, _, text = await client.call("GET", "/metrics", "center_admin")
            assert status == 200
            got = {
                (s.name, s.labels.get("queue")): s.value
                for f in text_string_to_metric_families(text)
                for s in f.samples
            }
            s = rt.engine.queue_stats("bank_chat")
            assert (s.offered, s.answered) == (3, 3)  # the scenario's own count
            assert got[("callroute_queue_offered_total", "bank_chat")] == s.offered
            assert got[("callroute_queue_answered_total", "bank_chat")] == s.answered
            assert got[("callroute_queue_waiting_calls", "bank_chat")] == s.waiting == 0
            status, _, text = await client.call("GET", "/metrics", "mobile_analyst")
            assert "bank" not in text

    asyncio.run(asyncio.wait_for(go(), HANG_GUARD * 3))


def test_a_chat_for_a_voice_only_tenant_is_refused() -> None:
    async def go() -> None:
        async with live() as (rt, client):
            status, body, _ = await client.call(
                "POST",
                "/tasks",
                "mobile_admin",
                json_body={"media": "chat", "skills": {"sales": 1}},
            )
            assert (status, body["error"]) == (403, "PermissionDenied")
            assert rt.engine.calls() == []

    asyncio.run(asyncio.wait_for(go(), HANG_GUARD * 3))
