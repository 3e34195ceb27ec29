"""Screen-pops over SSE: the offered agent gets the call's attached data, nobody else does;
tenant streams carry only their tenant; the hub drops a slow reader without blocking."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from _http_util import LocalRuntime, make_center, serve, token
from aiohttp.test_utils import TestServer
from callroute.runtime.http import build_app, scrub
from callroute.runtime.hub import Hub


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_the_offered_agent_gets_its_screen_pop_and_no_other_agent_does() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            # anna alone is ready for bank_billing (billing 7: highest proficiency)
            assert (await client.call("POST", "/agents/anna/ready", "anna"))[0] == 200
            async with (
                client.stream("/agents/anna/stream", "anna") as anna,
                client.stream("/agents/ben/stream", "ben") as ben,
            ):
                await rt.place_call(
                    "call-1",
                    tenant="bank",
                    queue="bank_billing",
                    caller="+4940123456",
                    dnis="+498001234510",
                    data={
                        "account": "12345678",
                        "authenticated": True,
                        "segment": "premium",
                        "balance": 1234.5,
                        "attempts": 1,
                        "pin": "9999",  # a flow's mistake: never shown
                    },
                )
                seen = await anna.until(lambda e: e["type"] == "offer")
                offer = seen[-1]
                assert offer == {
                    "type": "offer",
                    "call": "call-1",
                    "agent": "anna",
                    "queue": "bank_billing",
                    "tenant": "bank",
                    "media": "voice",
                    "caller": "+4940123456",
                    "dnis": "+498001234510",
                    "data": {
                        "account": "12345678",
                        "authenticated": True,
                        "segment": "premium",
                        "balance": 1234.5,
                        "attempts": 1,
                    },
                    "expires": offer["expires"],
                }
                # the queue's offer timeout after the offer (15 s default; clock 1 s/input)
                assert offer["expires"] == pytest.approx(rt._t + 15.0)
                # ben: his own event arrives; nothing of anna's call came before it
                await client.call("POST", "/agents/ben/not-ready", "ben", json_body={})
                got = await ben.until(lambda e: e.get("type") == "agent_state")
                assert all(e.get("agent") == "ben" for e in got)
                assert got[-1]["state"] == "not_ready"
                assert not any(e.get("call") == "call-1" for e in got)

    run(go())


def test_a_tenant_stream_carries_only_its_tenant() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            async with (
                client.stream("/tenants/bank/stream", "bank_supervisor") as bank,
                client.stream("/tenants/mobile/stream", "mobile_supervisor") as mobile,
            ):
                await client.call("POST", "/agents/farid/ready", "mobile_supervisor")
                await client.call("POST", "/agents/anna/ready", "bank_supervisor")
                await rt.place_call(
                    "m-1",
                    tenant="mobile",
                    queue="mobile_sales",
                    caller="+4917000",
                    dnis="+498001234520",
                )
                await rt.place_call(
                    "b-1",
                    tenant="bank",
                    queue="bank_billing",
                    caller="+4940000",
                    dnis="+498001234510",
                    data={"account": "87654321"},
                )
                # a last bank event and a last mobile event mark the end of each stream
                await client.call("POST", "/agents/emma/ready", "bank_supervisor")
                await client.call("POST", "/agents/jonas/ready", "mobile_supervisor")
                bank_seen = await bank.until(lambda e: e.get("agent") == "emma")
                mobile_seen = await mobile.until(lambda e: e.get("agent") == "jonas")
            assert {e["tenant"] for e in bank_seen} == {"bank"}
            assert {e["tenant"] for e in mobile_seen} == {"mobile"}
            assert any(e["type"] == "offer" and e["call"] == "b-1" for e in bank_seen)
            assert any(e["type"] == "offer" and e["call"] == "m-1" for e in mobile_seen)
            assert "87654321" not in repr(mobile_seen)
            # a center operator may open either; a tenant supervisor not the other's
            status, body, _ = await client.call("GET", "/tenants/bank/stream", "mobile_supervisor")
            assert (status, body["error"]) == (403, "PermissionDenied")
            status, _, _ = await client.call("GET", "/agents/anna/stream", "mobile_supervisor")
            assert status == 403
            status, _, _ = await client.call("GET", "/agents/anna/stream", "ben")
            assert status == 403
            async with client.stream("/tenants/mobile/stream", "center_admin"):
                pass

    run(go())


def test_a_closed_stream_unsubscribes() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            async with client.stream("/agents/anna/stream", "anna"):
                assert len(rt.hub) == 1
            # the server notices the client going away when it next writes
            for _ in range(200):
                await rt.agent_ready("anna")
                await rt.agent_not_ready("anna", "break")
                if len(rt.hub) == 0:
                    break
                await asyncio.sleep(0.01)
            assert len(rt.hub) == 0

    run(go())


def test_hub_drops_a_slow_reader_and_never_blocks(caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        hub = Hub(maxsize=3)
        slow = hub.subscribe(agent="anna")
        fast = hub.subscribe(tenant="bank")
        other = hub.subscribe(agent="ben")
        got_fast: list[dict[str, Any]] = []

        async def read_fast() -> None:
            async for e in fast:
                got_fast.append(e)

        reader = asyncio.create_task(read_fast())
        with caplog.at_level(logging.WARNING, logger="callroute.runtime.hub"):
            for i in range(10):
                # publish is synchronous: it cannot wait for a reader
                hub.publish({"type": "offer", "agent": "anna", "tenant": "bank", "n": i})
                await asyncio.sleep(0)
        assert slow.lagged
        assert slow not in hub._subs
        assert any("fell 3 events behind" in r.getMessage() for r in caplog.records)
        events = [e async for e in slow]
        assert [e.get("n") for e in events[:-1]] == [0, 1, 2]
        assert events[-1]["type"] == "lagged"
        hub.close()
        await asyncio.wait_for(reader, 5)
        assert [e["n"] for e in got_fast] == list(range(10))
        assert [e async for e in other] == []
        assert hub.dropped == 1

    run(go())


def test_scrub_drops_secret_looking_keys_only() -> None:
    event = {
        "type": "offer",
        "data": {
            "PIN": "1",
            "new_pin": "2",
            "Password": "x",
            "cardPIN": "3",
            "userPin": "4",
            "account": "7",
            "pinned": True,
            "spinner": "s",
        },
    }
    assert scrub(event)["data"] == {"account": "7", "pinned": True, "spinner": "s"}
    assert event["data"]["PIN"] == "1"  # the original is left alone


def test_an_idle_stream_sends_keepalives(monkeypatch: pytest.MonkeyPatch) -> None:
    import callroute.runtime.http as http

    monkeypatch.setattr(http, "KEEPALIVE_SECONDS", 0.01)

    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client, client.stream("/agents/anna/stream", "anna") as anna:
            line = b"\n"
            while line == b"\n":  # the blank line that ends ": subscribed"
                line = await asyncio.wait_for(anna.resp.content.readline(), 10)
            assert line == b": keepalive\n"
            # and events still come through after keepalives
            await rt.agent_ready("anna")
            kind, event = await anna.next()
            assert (kind, event["state"]) == ("agent_state", "ready")

    run(go())


def test_a_failing_event_source_ends_the_stream_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(LocalRuntime):
        def subscribe(self, agent: str | None = None, tenant: str | None = None) -> Any:
            async def events() -> Any:
                yield {"type": "agent_state", "agent": agent, "state": "ready"}
                raise RuntimeError("event source broke")

            return events()

    async def go() -> None:
        rt = Broken(make_center())
        with caplog.at_level(logging.ERROR, logger="callroute.runtime.http"):
            async with serve(rt) as client, client.stream("/agents/anna/stream", "anna") as anna:
                kind, event = await anna.next()
                assert (kind, event["state"]) == ("agent_state", "ready")
                with pytest.raises(EOFError):
                    await anna.next()
        assert any("failed after 1 events" in r.getMessage() for r in caplog.records)
        # the server is still fine
        async with serve(rt) as client:
            assert (await client.call("GET", "/health", None))[0] == 200

    run(go())


def test_shutdown_ends_open_streams() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        server = TestServer(build_app(rt), host="127.0.0.1", port=0)
        await server.start_server()
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url("/agents/anna/stream"))
            async with session.get(url, headers={"Authorization": f"Bearer {token('anna')}"}) as r:
                assert await r.content.readline() == b": subscribed\n"
                assert len(rt.hub) == 1
                # the keepalive is 15 s: without the shutdown hook close() would wait on it
                await asyncio.wait_for(server.close(), 10)
                rest = await asyncio.wait_for(r.content.read(), 10)
                assert b"event:" not in rest
        assert len(rt.hub) == 0

    run(go())
