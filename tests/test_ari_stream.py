"""The event stream's connection handling, and REST failures without an answer.

Against the replay server (tests/ari_replay.py) on loopback: a dropped websocket gives
``Disconnected`` then ``Connected(resumed=True)`` after the backoff (events during the gap are
lost, README "events while down are LOST"); a rejected upgrade (the recorded 401 of
ari-errors.jsonl) gives ``Disconnected`` with :class:`AriUnauthorized` and the client keeps
trying; malformed frames become :class:`MalformedEvent` and the stream goes on; a hanging REST
endpoint gives :class:`AriUnavailable` after the client's timeout; ``close()`` ends the
iterator whether it is reading, or waiting to reconnect. Timeouts here are hang guards only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ari_replay import Exchange, ReplayServer, WsPlan, load
from callroute.adapters.ari import (
    AriClient,
    AriConflict,
    AriProtocolError,
    AriUnauthorized,
    AriUnavailable,
    AriUnprocessable,
    Connected,
    Disconnected,
    Event,
    MalformedEvent,
    StasisStart,
    UnknownEvent,
    backoff_delay,
)

USER, PASSWORD, APP = "callroute", "callroute-test-secret", "callroute"
GUARD = 20.0
FAST = (0.01, 0.05)


async def take(it: AsyncIterator[Any], n: int) -> list[Any]:
    return [await asyncio.wait_for(it.__anext__(), GUARD) for _ in range(n)]


async def ends(it: AsyncIterator[Any]) -> bool:
    try:
        await asyncio.wait_for(it.__anext__(), GUARD)
    except StopAsyncIteration:
        return True
    return False


def test_drop_then_resumed_connect() -> None:
    frames = load("ari-stasis-dtmf.jsonl").frames
    first, second = frames[:10], frames[10:20]

    async def main() -> None:
        server = ReplayServer(ws_plans=[WsPlan(frames=first, drop=True), WsPlan(frames=second)])
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP, backoff=FAST, rng=random.Random(1))
        try:
            it = ari.events()
            items = await take(it, 1 + len(first) + 2 + len(second))
            assert items[0] == Connected(resumed=False)
            got1 = items[1 : 1 + len(first)]
            assert [e.raw for e in got1] == [json.loads(t) for t in first]
            down, up = items[1 + len(first)], items[2 + len(first)]
            assert isinstance(down, Disconnected)
            assert "1011" in down.reason
            assert down.error is None
            assert up == Connected(resumed=True)
            assert [e.raw for e in items[3 + len(first) :]] == [json.loads(t) for t in second]
            assert len(server.ws_connects) == 2
            await ari.close()
            assert await ends(it)
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_rejected_upgrade_is_reported_once_then_retried() -> None:
    """The recorded 401 upgrade (wrong api_key) twice, then the recorded 101: one
    Disconnected carrying AriUnauthorized (status 401), then Connected(resumed=False)."""
    t = load("ari-errors.jsonl")
    rejected = next(h for h in t.handshakes if h.status == 401)
    html_400 = next(h for h in t.handshakes if h.status == 400)
    plans = [WsPlan(reject=rejected), WsPlan(reject=html_400), WsPlan(frames=t.frames[:3])]

    async def main() -> None:
        server = ReplayServer(ws_plans=plans)
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP, backoff=FAST)
        try:
            it = ari.events()
            items = await take(it, 5)
            assert isinstance(items[0], Disconnected)
            assert isinstance(items[0].error, AriUnauthorized)
            assert items[0].error.status == 401
            assert PASSWORD not in items[0].reason
            assert "api_key=***" in items[0].reason
            assert items[1] == Connected(resumed=False)
            assert all(isinstance(e, Event) for e in items[2:])
            assert len(server.ws_connects) == 3
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_malformed_frames_do_not_stop_the_stream() -> None:
    good = load("ari-acd-answered.jsonl").frames[0]
    frames = [
        good,
        "not json",
        "[1, 2]",
        '{"type": "StasisStart"}',
        '{"type": "SomethingNew", "application": "callroute"}',
        good,
    ]

    async def main() -> None:
        server = ReplayServer(ws_plans=[WsPlan(frames=frames, binary=[b"\x00\xff"])])
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP, backoff=FAST)
        try:
            items = await take(ari.events(), 8)
            kinds = [type(i).__name__ for i in items]
            assert kinds == [
                "Connected",
                "StasisStart",
                "MalformedEvent",
                "MalformedEvent",
                "MalformedEvent",
                "UnknownEvent",
                "StasisStart",
                "MalformedEvent",
            ]
            assert isinstance(items[3], MalformedEvent)
            assert items[3].raw_text == "[1, 2]"
            assert isinstance(items[5], UnknownEvent)
            assert items[5].type == "SomethingNew"
            assert isinstance(items[6], StasisStart)
            assert items[6].channel.id == json.loads(good)["channel"]["id"]
            assert isinstance(items[7], MalformedEvent)
            assert items[7].reason == "binary frame"
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_hanging_rest_endpoint_times_out_as_unavailable() -> None:
    async def main() -> None:
        server = ReplayServer(hang=["/ari/channels/stuck/answer"])
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP, timeout=0.2)
        try:
            with pytest.raises(AriUnavailable) as info:
                await asyncio.wait_for(ari.answer("stuck"), GUARD)
            err = info.value
            assert (err.status, err.method, err.path) == (
                None,
                "POST",
                "/ari/channels/stuck/answer",
            )
            assert "no response within" in err.message
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_and_close_during_backoff() -> None:
    """Nothing listens: REST raises AriUnavailable; the stream reports Disconnected once and
    keeps retrying; close() while it waits to reconnect ends the iterator."""

    async def main() -> None:
        url = f"http://127.0.0.1:{_free_port()}"
        ari = AriClient(url, USER, PASSWORD, APP, timeout=2.0, backoff=(5.0, 5.0))
        try:
            with pytest.raises(AriUnavailable) as info:
                await asyncio.wait_for(ari.list_channels(), GUARD)
            assert info.value.path == "/ari/channels"
            assert info.value.status is None
            it = ari.events()
            (down,) = await take(it, 1)
            assert isinstance(down, Disconnected)
            assert isinstance(down.error, AriUnavailable)
            nxt = asyncio.ensure_future(it.__anext__())
            await asyncio.sleep(0.05)  # let it enter the 2.5-5 s backoff wait
            await ari.close()
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(nxt, GUARD)
        finally:
            await ari.close()

    asyncio.run(main())


def test_close_while_reading_ends_the_iterator_and_one_reader_at_a_time() -> None:
    async def main() -> None:
        server = ReplayServer(ws_plans=[WsPlan(frames=())])
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP, backoff=FAST)
        try:
            it = ari.events()
            assert await take(it, 1) == [Connected(resumed=False)]
            with pytest.raises(AriConflict):
                await ari.events().__anext__()
            nxt = asyncio.ensure_future(it.__anext__())
            await asyncio.sleep(0.05)
            await ari.close()
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(nxt, GUARD)
            assert ari.closed
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_backoff_is_capped_doubling_with_jitter() -> None:
    rng = random.Random(7)
    base, cap = 0.2, 10.0
    for attempt in range(80):
        ceiling = min(cap, base * 2**attempt)
        for _ in range(20):
            d = backoff_delay(attempt, (base, cap), rng)
            assert ceiling / 2 <= d <= ceiling
    delays = {round(backoff_delay(3, (base, cap), rng), 9) for _ in range(50)}
    assert len(delays) > 1  # jittered


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"app": ""}, "app"), ({"timeout": 0}, "timeout"), ({"backoff": (2.0, 1.0)}, "backoff")],
)
def test_bad_client_settings_are_refused(kwargs: dict[str, Any], word: str) -> None:
    args: dict[str, Any] = {"app": APP, **kwargs}
    app = args.pop("app")
    with pytest.raises(ValueError, match=word):
        AriClient("http://127.0.0.1:1", USER, PASSWORD, app, **args)


def _exchange(method: str, path: str, status: int, body: str) -> Exchange:
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return Exchange(
        method=method,
        path=path,
        headers={"authorization": auth},
        body=None,
        status=status,
        reason="OK",
        response_headers={"content-type": "application/json"},
        response_body=body,
    )


def test_bodies_of_the_wrong_shape_are_protocol_errors_naming_the_request() -> None:
    """A 200 whose body is not JSON, not an object, or an object missing a required key
    raises AriProtocolError with the method, path and the missing key; never a KeyError."""
    exchanges = [
        _exchange("GET", "/ari/channels/c1", 200, '{"name": "Local/x"}'),
        _exchange("GET", "/ari/bridges/b1", 200, "[]"),
        _exchange("GET", "/ari/channels", 200, '[{"id": "a"}, {"id": 5}]'),
        _exchange("GET", "/ari/bridges", 200, '{"not": "a list"}'),
        _exchange("GET", "/ari/asterisk/info", 200, "<html>"),
        _exchange("GET", "/ari/channels/c1/variable?variable=X", 200, '{"value": 3}'),
    ]

    async def main() -> None:
        server = ReplayServer(exchanges)
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP)
        calls = [
            (ari.get_channel("c1"), "/ari/channels/c1", "missing key 'id'"),
            (ari.get_bridge("b1"), "/ari/bridges/b1", "expected a JSON object"),
            (ari.list_channels(), "/ari/channels", "expected a string"),
            (ari.list_bridges(), "/ari/bridges", "expected a JSON list"),
            (ari.asterisk_info(), "/ari/asterisk/info", "expected a JSON body"),
            (ari.get_variable("c1", "X"), "/ari/channels/c1", "value"),
        ]
        try:
            for coro, path, words in calls:
                with pytest.raises(AriProtocolError) as info:
                    await asyncio.wait_for(coro, GUARD)
                assert info.value.method == "GET"
                assert info.value.path is not None
                assert info.value.path.startswith(path)
                assert words in info.value.message
            assert server.mismatches == []
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_empty_ids_are_refused_before_any_request() -> None:
    """``hangup("")`` must not become ``DELETE /ari/channels`` (or any request at all)."""

    async def main() -> None:
        server = ReplayServer()
        await server.start()
        ari = AriClient(server.base_url, USER, PASSWORD, APP)
        try:
            for coro in (ari.hangup(""), ari.destroy_bridge(""), ari.play("", "sound:x")):
                with pytest.raises(AriUnprocessable):
                    await asyncio.wait_for(coro, GUARD)
            with pytest.raises(AriUnprocessable):
                await ari.play("c1", [])
            assert server.received == []
        finally:
            await ari.close()
            await server.stop()

    asyncio.run(main())


def test_a_closed_client_refuses_requests() -> None:
    async def main() -> None:
        ari = AriClient("http://127.0.0.1:1", USER, PASSWORD, APP)
        await ari.close()
        with pytest.raises(AriUnavailable, match="closed"):
            await ari.answer("c1")
        assert [i async for i in ari.events()] == []

    asyncio.run(main())


def test_the_password_never_shows_in_the_events_path_or_errors() -> None:
    secret = "p@ss w:rd"
    ari = AriClient("http://127.0.0.1:1", USER, secret, APP)
    assert secret not in ari.events_path()
    assert "api_key=***" in ari.events_path()
    leaked = "ClientResponseError url=http://h/ari/events?api_key=callroute:p%40ss+w:rd " + secret
    assert "p%40ss" not in ari._scrub(leaked.replace("+", "%20"))
    assert secret not in ari._scrub(leaked)
