"""Other media through the real Runtime facade: a chat task is offered over the agent's
stream, accepted, ended (one outcome), and declined tasks are offered again; bad requests
are typed errors."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from _runtime_util import StubPbx
from callroute.center import example_config_path, load_mapping
from callroute.errors import ParameterError, PermissionDenied, UnknownIdError
from callroute.runtime import Options, Runtime


def runtime() -> Runtime:
    spec = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    for t in spec["tenants"].values():
        t.pop("lease", None)
    return Runtime(load_mapping(spec, "outsourcer"), StubPbx(), options=Options(id_prefix="r"))


def test_chat_task_offer_accept_end() -> None:
    async def main() -> None:
        rt = runtime()
        stream = rt.subscribe(agent="anna")
        await rt.agent_login("anna")
        await rt.agent_ready("anna")
        task = await rt.submit_task("chat", "bank", queue="bank_chat", data={"topic": "card"})
        offer = await asyncio.wait_for(anext(stream), 5)
        while offer["type"] != "offer":
            offer = await asyncio.wait_for(anext(stream), 5)
        assert (offer["call"], offer["media"], offer["tenant"]) == (task, "chat", "bank")
        assert offer["data"] == {"topic": "card"}
        await rt.accept_task(task)
        await rt.end_task(task)
        stats = rt.engine.queue_stats("bank_chat")
        assert (stats.offered, stats.answered, stats.completed) == (1, 1, 1)
        with pytest.raises(UnknownIdError):
            await rt.end_task(task)

    asyncio.run(main())


def test_declined_task_goes_to_another_agent() -> None:
    async def main() -> None:
        rt = runtime()
        for agent in ("anna", "ben"):
            await rt.agent_login(agent)
            await rt.agent_ready(agent)
        task = await rt.submit_task("chat", "bank", queue="bank_chat")
        first = rt.engine.call_info(task).agent
        await rt.decline_task(task)
        assert rt.engine.call_info(task).agent not in (None, first)

    asyncio.run(main())


def test_bad_task_requests_are_typed_errors() -> None:
    async def main() -> None:
        rt = runtime()
        with pytest.raises(UnknownIdError):
            await rt.submit_task("chat", "nobody", queue="bank_chat")
        with pytest.raises(PermissionDenied):
            await rt.submit_task("chat", "mobile", queue="bank_chat")  # another tenant's
        with pytest.raises(PermissionDenied):
            await rt.submit_task("email", "bank", queue="bank_chat")  # media not leased
        with pytest.raises(ParameterError):
            await rt.submit_task("voice", "bank", queue="bank_billing")
        with pytest.raises(ParameterError):
            await rt.submit_task("chat", "bank", queue="bank_chat", data={"x": [1, 2]})
        with pytest.raises(UnknownIdError):
            await rt.agent_ready("nobody")
        with pytest.raises(UnknownIdError):
            rt.subscribe(tenant="nobody")

    asyncio.run(main())
