"""Other media over HTTP: chats submitted, offered on the agent's stream, accepted, ended and
wrapped up through the API, with the engine's per-media capacity (docs/engine.md, "Agents":
capacity per media; exclusive media, default voice, are offered only to an agent with no
other task, and while one is held nothing else is offered)."""

from __future__ import annotations

import asyncio
from typing import Any

from _http_util import LocalRuntime, center_mapping, make_center, serve
from callroute.center import load_mapping


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _chat(client: Any, n: int) -> str:
    status, body, text = await client.call(
        "POST",
        "/tasks",
        "bank_admin",
        json_body={"media": "chat", "queue": "bank_chat", "data": {"customer": f"web-{n}"}},
    )
    assert status == 201, text
    assert body["tenant"] == "bank"
    return str(body["task"])


def _offer_of(call: str) -> Any:
    return lambda e: e["type"] == "offer" and e["call"] == call


def _holding(rt: LocalRuntime, agent: str) -> list[str]:
    eng = rt.center.engine
    return sorted(
        c
        for c in eng.calls()
        if eng.call_info(c).agent == agent and eng.call_info(c).state == "connected"
    )


def test_chats_beside_a_call_up_to_capacity_over_http() -> None:
    """anna: voice 1, chat 2 and (in this center) no exclusive media: one call + two chats;
    the third chat waits until one ends."""

    async def go() -> None:
        rt = LocalRuntime(make_center(chat_beside_voice=True))
        async with serve(rt) as client:
            assert (await client.call("POST", "/agents/anna/ready", "anna"))[0] == 200
            async with client.stream("/agents/anna/stream", "anna") as anna:
                await rt.place_call(
                    "v1", tenant="bank", queue="bank_billing", caller="1", dnis="+498001234510"
                )
                await anna.until(lambda e: e["type"] == "offer" and e["call"] == "v1")
                assert (await client.call("POST", "/tasks/v1/accept", "anna"))[0] == 200
                chats = [await _chat(client, n) for n in range(3)]
                offers = []
                for chat in chats[:2]:
                    seen = await anna.until(
                        lambda e, c=chat: e["type"] == "offer" and e["call"] == c
                    )
                    offers.append(seen[-1])
                assert [o["media"] for o in offers] == ["chat", "chat"]
                assert [o["data"] for o in offers] == [{"customer": "web-0"}, {"customer": "web-1"}]
                assert offers[0]["caller"] is None  # a chat has no calling number
                for chat in chats[:2]:
                    status, body, _ = await client.call("POST", f"/tasks/{chat}/accept", "anna")
                    assert (status, body) == (200, {"task": chat, "done": "accept"})
                assert _holding(rt, "anna") == sorted(["v1", *chats[:2]])
                assert rt.center.engine.call_info(chats[2]).state == "waiting"
                # ending a chat frees a chat slot: the waiting chat is offered
                assert (await client.call("POST", f"/tasks/{chats[0]}/end", "anna"))[0] == 200
                await anna.until(lambda e: e["type"] == "offer" and e["call"] == chats[2])
                assert (await client.call("POST", f"/tasks/{chats[2]}/decline", "anna"))[0] == 200
                # bank_chat has no wrap-up (wrapup: 0), so there is none to end: a conflict
                status, body, _ = await client.call("POST", "/agents/anna/wrapup-done", "anna")
                assert (status, body["error"]) == (409, "InvalidEventError")

    run(go())


def test_voice_takes_the_agent_whole_by_default() -> None:
    """The example center as written: ben (voice 1, chat 1) on a call gets no chat; after
    the call and its wrap-up the chat is offered to him."""

    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            await client.call("POST", "/agents/ben/ready", "ben")
            async with client.stream("/agents/ben/stream", "ben") as ben:
                await rt.place_call(
                    "v1", tenant="bank", queue="bank_billing", caller="1", dnis="+498001234510"
                )
                await ben.until(lambda e: e["type"] == "offer" and e["call"] == "v1")
                await client.call("POST", "/tasks/v1/accept", "ben")
                chat = await _chat(client, 0)
                assert rt.center.engine.call_info(chat).state == "waiting"
                assert (await client.call("POST", "/tasks/v1/end", "ben"))[0] == 200
                # bank_billing has 15 s of wrap-up: still nothing until it is done
                assert rt.center.engine.call_info(chat).state == "waiting"
                status, body, _ = await client.call("POST", "/agents/ben/wrapup-done", "ben")
                assert status == 200, body
                seen = await ben.until(lambda e: e["type"] == "offer" and e["call"] == chat)
                assert seen[-1]["media"] == "chat"
                # another agent cannot take ben's task
                status, _, _ = await client.call("POST", f"/tasks/{chat}/accept", "anna")
                assert status == 403
                # a mobile supervisor cannot end it either; the bank supervisor may decline it
                status, _, _ = await client.call("POST", f"/tasks/{chat}/decline", "mobile_admin")
                assert status == 403
                status, _, _ = await client.call(
                    "POST", f"/tasks/{chat}/decline", "bank_supervisor"
                )
                assert status == 200

    run(go())


def test_tasks_by_skills_and_accepting_twice() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            await client.call("POST", "/agents/anna/ready", "anna")
            status, body, text = await client.call(
                "POST",
                "/tasks",
                "bank_admin",
                json_body={"media": "chat", "skills": {"billing": 5}, "priority": 3},
            )
            assert status == 201, text
            task = body["task"]
            info = rt.center.engine.call_info(task)
            assert (info.agent, info.state) == ("anna", "offered")
            assert info.queue.endswith("@bank/chat")
            assert (await client.call("POST", f"/tasks/{task}/accept", "anna"))[0] == 200
            status, body, _ = await client.call("POST", f"/tasks/{task}/accept", "anna")
            assert (status, body["error"]) == (409, "InvalidEventError")
            # the implicit queue shows up for the bank only
            _, queues, _ = await client.call("GET", "/queues", "bank_supervisor")
            assert info.queue in {q["queue"] for q in queues["queues"]}
            _, queues, _ = await client.call("GET", "/queues", "mobile_supervisor")
            assert info.queue not in {q["queue"] for q in queues["queues"]}
            # mobile takes only voice in (media: {inbound: [voice]} in the center file)
            status, body, _ = await client.call(
                "POST",
                "/tasks",
                "mobile_admin",
                json_body={"media": "chat", "skills": {"support": 1}},
            )
            assert (status, body["error"]) == (403, "PermissionDenied")
            assert "may not take 'chat' in" in body["message"]


def test_a_task_outside_the_lease_is_refused() -> None:
    async def go() -> None:
        data = center_mapping()
        data["tenants"]["bank"]["lease"] = {"start": "2020-01-01", "end": "2021-01-01"}
        rt = LocalRuntime(load_mapping(data, source="test-center.yaml"))
        async with serve(rt) as client:
            status, body, _ = await client.call(
                "POST", "/tasks", "bank_admin", json_body={"media": "chat", "queue": "bank_chat"}
            )
            assert (status, body["error"]) == (403, "PermissionDenied")
            assert "lease ended" in body["message"]
            assert rt.center.engine.calls() == []

    run(go())
