"""The HTTP API over the real Runtime and the fake Asterisk, on loopback.

The bundled outsourcer center (two tenants): an agent logs in and gets ready over HTTP, a
caller of Blitz Mobile dials its direct number, picks sales in the IVR, and the agent's
screen-pop stream carries the offer with the caller's data; the other tenant's supervisor
stream sees nothing of it; /stats shows the answered call.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
from _http_util import SSE, Client, center_mapping
from _runtime_e2e import until
from aiohttp.test_utils import TestServer
from callroute.adapters.ari import AriClient
from callroute.center import load_mapping
from callroute.runtime import Options, Runtime
from callroute.runtime.http import build_app
from fakeari import FakeAsterisk

SPEED = 20.0
WEDNESDAY_10AM = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_screen_pop_reaches_the_agent_and_no_other_tenant() -> None:
    async def main() -> None:
        spec = center_mapping()
        for name in spec["agents"]:
            spec["agents"][name]["endpoint"] = f"Local/{name}@agents"
        center = load_mapping(spec, "outsourcer")
        fake = FakeAsterisk(speed=SPEED)
        await fake.start()
        loop = asyncio.get_running_loop()
        ari = AriClient(fake.base_url, "callroute", "callroute-test-secret", "callroute")
        await ari.open()
        rt = Runtime(
            center,
            ari,
            clock=lambda: loop.time() * SPEED,
            speed=SPEED,
            wallclock=lambda: WEDNESDAY_10AM,
            options=Options(id_prefix="c"),
            lookups={"customer_segment": lambda request: "standard"},
        )
        task = asyncio.create_task(rt.run())
        server = TestServer(build_app(rt), host="127.0.0.1", port=0)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as session:
                http = Client(session, str(server.make_url("")).rstrip("/"))
                for action in ("login", "ready"):
                    status, _, text = await http.call("POST", f"/agents/farid/{action}", "farid")
                    assert status == 200, text
                async with (
                    http.stream("/agents/farid/stream", "farid") as farid,
                    http.stream("/tenants/bank/stream", "bank_supervisor") as bank,
                ):
                    await fake.place_call(
                        dnis="+498001234520",
                        caller="5551234",
                        name="Mia Mobile",
                        dtmf=[(6.0, "1")],
                        hangup_after=25.0,
                    )
                    seen = await farid.until(lambda e: e.get("type") == "offer")
                    offer = seen[-1]
                    assert offer["agent"] == "farid"
                    assert offer["tenant"] == "mobile"
                    assert offer["queue"] == "mobile_sales"
                    assert offer["caller"] == "5551234"
                    assert offer["dnis"] == "+498001234520"
                    assert offer["data"]["caller"] == "5551234"
                    await until(lambda: rt.core.outcomes["answered"] == 1, timeout=30)
                    # something for the bank: its stream must show that, and nothing before
                    status, _, text = await http.call(
                        "POST", "/agents/anna/login", "bank_supervisor"
                    )
                    assert status == 200, text
                    events = await SSE.until(bank, lambda e: e.get("agent") == "anna")
                    assert all(e.get("tenant", "bank") != "mobile" for e in events)
                    assert not any(e.get("call") == offer["call"] for e in events)
                status, stats, _ = await http.call("GET", "/stats", "mobile_supervisor")
                assert status == 200
                assert stats["queues"]["mobile_sales"]["answered"] == 1
                assert "bank_billing" not in stats["queues"]
        finally:
            await server.close()
            await rt.stop()
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            await ari.close()
            await fake.stop()

    asyncio.run(main())
