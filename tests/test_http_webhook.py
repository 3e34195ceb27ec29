"""CRM webhooks: each offer POSTed to its own tenant's URL only; a failing CRM is logged,
counted and harmless."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from _http_util import HANG_GUARD, LocalRuntime, center_mapping, serve
from aiohttp import web
from aiohttp.test_utils import TestServer
from callroute.center import load_mapping
from callroute.errors import ConfigError
from callroute.runtime.webhook import CrmWebhook


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _crm(
    status: int = 200, stall: asyncio.Event | None = None
) -> tuple[TestServer, list[Any]]:
    got: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(await request.json())
        if stall is not None:
            await stall.wait()  # never answers in time: the client's timeout must cut it
        return web.json_response({}, status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server, got


async def _until(pred: Any) -> None:
    async def wait() -> None:
        while not pred():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), HANG_GUARD)


def test_offers_reach_their_own_tenants_crm() -> None:
    async def go() -> None:
        bank_crm, bank_got = await _crm()
        mobile_crm, mobile_got = await _crm()
        data = center_mapping()
        data["tenants"]["bank"]["crm_webhook"] = str(bank_crm.make_url("/hook"))
        data["tenants"]["mobile"]["crm_webhook"] = str(mobile_crm.make_url("/hook"))
        rt = LocalRuntime(load_mapping(data, source="test-center.yaml"))
        try:
            async with serve(rt) as client:
                await client.call("POST", "/agents/anna/ready", "anna")
                await client.call("POST", "/agents/farid/ready", "farid")
                await rt.place_call(
                    "b1",
                    tenant="bank",
                    queue="bank_billing",
                    caller="+4940123",
                    dnis="+498001234510",
                    data={"account": "12345678", "authenticated": True, "pin": "1111"},
                )
                await rt.place_call(
                    "m1", tenant="mobile", queue="mobile_sales", caller="+4917", dnis="+4980012"
                )
                await _until(lambda: bank_got and mobile_got)
                assert [e["call"] for e in bank_got] == ["b1"]
                assert bank_got[0]["data"] == {"account": "12345678", "authenticated": True}
                assert bank_got[0]["caller"] == "+4940123"
                assert [e["call"] for e in mobile_got] == ["m1"]
        finally:
            await bank_crm.close()
            await mobile_crm.close()

    run(go())


def test_a_failing_crm_is_logged_and_routing_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        crm, got = await _crm(status=500)
        stall = asyncio.Event()
        slow, _ = await _crm(stall=stall)
        rt = LocalRuntime(load_mapping(center_mapping(), source="test-center.yaml"))
        hooks = {
            "bank": str(crm.make_url("/hook")),
            "mobile": str(slow.make_url("/hook")),
        }
        webhook = CrmWebhook(rt, urls=hooks, timeout=0.2)
        runner = asyncio.ensure_future(webhook.run())
        await asyncio.sleep(0)  # subscribed
        try:
            with caplog.at_level(logging.WARNING, logger="callroute.runtime.webhook"):
                await rt.agent_ready("anna")
                await rt.agent_ready("farid")
                await rt.place_call(
                    "b1", tenant="bank", queue="bank_billing", caller="1", dnis="+498001234510"
                )
                await rt.place_call(
                    "m1", tenant="mobile", queue="mobile_sales", caller="2", dnis="+4980012"
                )
                await _until(lambda: webhook.failed == 2)
                # routing went on: both calls are offered
                eng = rt.center.engine
                assert eng.call_info("b1").state == "offered"
                assert eng.call_info("m1").state == "offered"
            messages = [r.getMessage() for r in caplog.records]
            assert any("answered 500" in m and "'b1'" in m for m in messages)
            assert any("failed for call 'm1'" in m for m in messages)
            assert webhook.sent == 0
            assert len(got) == 1
        finally:
            runner.cancel()
            stall.set()
            await asyncio.gather(runner, return_exceptions=True)
            await crm.close()
            await slow.close()

    run(go())


def test_a_refused_connection_is_a_logged_failure() -> None:
    async def go() -> None:
        rt = LocalRuntime(load_mapping(center_mapping(), source="test-center.yaml"))
        # port 9 on loopback (discard) is closed on these machines; either way a failure
        webhook = CrmWebhook(rt, urls={"bank": "http://127.0.0.1:9/hook"}, timeout=1.0)
        runner = asyncio.ensure_future(webhook.run())
        await asyncio.sleep(0)
        await rt.agent_ready("anna")
        await rt.place_call("b1", tenant="bank", queue="bank_billing", caller="1", dnis="12")
        await _until(lambda: webhook.failed == 1)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)

    run(go())


@pytest.mark.parametrize("url", ["ftp://x/hook", "http://", "not a url", "https:// spaced"])
def test_a_bad_webhook_url_is_a_config_error(url: str) -> None:
    data = center_mapping()
    data["tenants"]["bank"]["crm_webhook"] = url
    with pytest.raises(ConfigError) as err:
        load_mapping(data, source="center.yaml")
    assert any(p.startswith("tenants.bank.crm_webhook:") for p in err.value.problems)
