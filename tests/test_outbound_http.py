"""Preview answers over HTTP on the real runtime (stub PBX): the agent accepts, the line is
originated; another tenant's campaign stays unseen."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timezone

import aiohttp
from _http_util import HANG_GUARD, Client, center_mapping
from _runtime_util import StubPbx
from aiohttp.test_utils import TestServer
from callroute.center import load_mapping
from callroute.outbound import CampaignConfig, Contact, EngineClock, OutboundPlan
from callroute.runtime import Options, Runtime
from callroute.runtime.http import build_app

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def test_preview_accept_and_reject_over_http() -> None:
    async def go() -> None:
        center = load_mapping(center_mapping(), "test-center.yaml")
        plan = OutboundPlan(center.engine, center.agents, EngineClock(NOON))
        config = CampaignConfig.model_validate(
            {
                "id": "cards",
                "tenant": "bank",
                "queue": "bank_billing",
                "mode": "preview",
                "caller_id": "+4930123456",
                "skills": {"billing": 1},
                "windows": {"start": "00:00", "end": "23:59"},
            }
        )
        people = [Contact("k1", ("+4930555001",), "UTC"), Contact("k2", ("+4930555002",), "UTC")]
        plan.add_campaign(config, people, 0.0)
        pbx = StubPbx()
        rt = Runtime(
            center, pbx, options=Options(id_prefix="h"), outbound=plan, wallclock=lambda: NOON
        )
        rt.core.pbx_up = True  # type: ignore[attr-defined]  # the stub sends no Connected
        runner = asyncio.create_task(rt.run())
        server = TestServer(build_app(rt), host="127.0.0.1", port=0)
        await server.start_server()
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_read=HANG_GUARD)
            ) as session:
                client = Client(session, str(server.make_url("")).rstrip("/"))
                for action in ("login", "ready"):
                    status, _, text = await client.call("POST", f"/agents/anna/{action}", "anna")
                    assert status == 200, text
                loop = asyncio.get_running_loop()
                end = loop.time() + HANG_GUARD
                while plan.dialer.stats("cards")["offers_open"] == 0:
                    assert loop.time() < end, "no preview offered"
                    await asyncio.sleep(0.01)
                path = "/agents/anna/previews/cards/k1/accept"
                status, body, text = await client.call("POST", path, "anna")
                assert status == 200, text
                assert body == {"campaign": "cards", "contact": "k1", "dialled": True}
                await rt.idle()
                originate = [r for r in pbx.requests if r[0] == "originate"]
                assert originate == [
                    ("originate", "PJSIP/+4930555001@trunk", "ho1", 30, "outbound,cards,1")
                ]
                # accepting again: the preview is gone (409); a mobile agent never sees it
                status, _, _ = await client.call("POST", path, "anna")
                assert status == 409
                status, _, _ = await client.call(
                    "POST", "/agents/farid/previews/cards/k2/accept", "farid"
                )
                assert status == 404
                status, _, _ = await client.call(
                    "POST", "/agents/anna/previews/cards/k2/accept", "farid"
                )
                assert status == 403
        finally:
            await server.close()
            await rt.stop()
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner

    asyncio.run(go())
