"""AriClient against a transcript-replay server: the recorded REST calls, byte for byte.

For each ``ari-*.jsonl``, the client issues the recorded sequence of REST calls through its
typed methods (arguments read back from the recorded requests); the replay server
(tests/ari_replay.py) checks each request equals the recorded one (method, path and query as
encoded, JSON body, Basic auth header) and answers with the recorded status and body. The
client's typed results are compared with the recorded JSON, and every recorded error status
with the typed error README quirk 28 says it is. The websocket of each transcript is
replayed too: every recorded frame arrives typed, after ``Connected(resumed=False)``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from ari_replay import TRANSCRIPTS, Exchange, ReplayServer, WsPlan, load
from callroute.adapters.ari import (
    AriClient,
    AriConflict,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnprocessable,
    Bridge,
    Channel,
    Connected,
    Event,
    LiveRecording,
    Playback,
    StoredRecording,
)
from test_ari_events import check_event

USER, PASSWORD, APP = "callroute", "callroute-test-secret", "callroute"
GUARD = 20.0  # seconds: a hang guard, never a timing assertion

# README quirk 28 and ari-errors.jsonl: the status -> typed error table, written from the docs.
ERROR_FOR_STATUS = {
    400: AriUnprocessable,
    401: AriUnauthorized,
    404: AriNotFound,
    409: AriConflict,
    422: AriUnprocessable,
    500: AriServerError,
}


def _split(path: str) -> tuple[list[str], dict[str, str]]:
    base, _, query = path.partition("?")
    assert base.startswith("/ari/")
    parts = base[len("/ari/") :].split("/")
    return parts, dict(parse_qsl(query, keep_blank_values=True))


def _channels(value: str) -> str | list[str]:
    return value.split(",") if "," in value else value


async def call_recorded(ari: AriClient, ex: Exchange) -> Any:
    """Issue ``ex`` through the client's typed method that the recorded request corresponds to."""
    parts, q = _split(ex.path)
    m = ex.method
    body = json.loads(ex.body) if ex.body else None
    variables = body["variables"] if body else None
    match (m, parts):
        case ("GET", ["asterisk", "info"]):
            return await ari.asterisk_info()
        case ("GET", ["applications"]):
            return await ari.list_applications()
        case ("GET", ["applications", name]):
            return await ari.get_application(name)
        case ("GET", ["channels"]):
            return await ari.list_channels()
        case ("GET", ["channels", ch]):
            return await ari.get_channel(ch)
        case ("GET", ["channels", ch, "variable"]):
            return await ari.get_variable(ch, q["variable"])
        case ("POST", ["channels", ch, "answer"]):
            return await ari.answer(ch)
        case ("POST", ["channels", ch, "play"]):
            return await ari.play(ch, q["media"], q.get("playbackId"))
        case ("POST", ["channels", ch, "variable"]):
            return await ari.set_variable(ch, q["variable"], q["value"])
        case ("POST", ["channels", ch, "continue"]):
            return await ari.continue_in_dialplan(
                ch, q["context"], q["extension"], int(q["priority"])
            )
        case ("POST", ["channels", ch, "dtmf"]):
            return await ari.send_dtmf(ch, q["dtmf"])
        case ("DELETE", ["channels", ch]):
            return await ari.hangup(ch, q.get("reason"))
        case ("POST", ["channels"]) if "context" in q:
            return await ari.originate_to_dialplan(
                q["endpoint"],
                context=q["context"],
                extension=q["extension"],
                priority=int(q["priority"]),
                caller_id=q.get("callerId"),
                variables=variables,
            )
        case ("POST", ["channels"]) if "endpoint" in q and q.get("app") == APP:
            return await ari.originate(
                q["endpoint"],
                channel_id=q.get("channelId"),
                app_args=q.get("appArgs", ""),
                timeout=int(q["timeout"]) if "timeout" in q else None,
                caller_id=q.get("callerId"),
                variables=variables,
                other_channel_id=q.get("otherChannelId"),
                originator=q.get("originator"),
            )
        case ("POST", ["channels"]):
            # The deliberately incomplete requests of ari-errors (no endpoint / no app).
            return await ari.request("POST", "/channels", list(q.items()))
        case ("DELETE", ["playbacks", pb]):
            return await ari.stop_playback(pb)
        case ("POST", ["bridges"]):
            return await ari.create_bridge(q["bridgeId"], q["type"], q.get("name"))
        case ("GET", ["bridges"]):
            return await ari.list_bridges()
        case ("GET", ["bridges", b]):
            return await ari.get_bridge(b)
        case ("DELETE", ["bridges", b]):
            return await ari.destroy_bridge(b)
        case ("POST", ["bridges", b, "addChannel"]):
            return await ari.add_channel(b, _channels(q["channel"]), q.get("role"))
        case ("POST", ["bridges", b, "removeChannel"]):
            return await ari.remove_channel(b, _channels(q["channel"]))
        case ("POST", ["bridges", b, "moh"]):
            return await ari.start_bridge_moh(b, q.get("mohClass"))
        case ("DELETE", ["bridges", b, "moh"]):
            return await ari.stop_bridge_moh(b)
        case ("POST", ["bridges", b, "play"]):
            return await ari.play_on_bridge(b, q["media"], q.get("playbackId"))
        case ("POST", ["bridges", b, "record"]):
            return await ari.record_bridge(
                b,
                q["name"],
                q["format"],
                q["ifExists"],
                max_duration=int(q["maxDurationSeconds"]) if "maxDurationSeconds" in q else None,
                beep={"true": True, "false": False}[q["beep"]] if "beep" in q else None,
                terminate_on=q.get("terminateOn"),
            )
        case ("POST", ["recordings", "live", name, "stop"]):
            return await ari.stop_recording(name)
        case ("GET", ["recordings", "stored"]):
            return await ari.list_stored_recordings()
        case ("GET", ["recordings", "stored", name]):
            return await ari.get_stored_recording(name)
        case ("GET", ["nosuchresource"]):
            return await ari.request("GET", "/nosuchresource")
    raise AssertionError(f"no client method for {m} {ex.path}")


def _expected_model(ex: Exchange) -> type | None:
    parts, _ = _split(ex.path)
    if (ex.method == "POST" and parts == ["channels"]) or (
        parts[0] == "channels" and len(parts) == 2
    ):
        return Channel
    if parts[0] == "bridges" and (len(parts) == 2 or (ex.method == "POST" and len(parts) == 1)):
        return Bridge
    if parts[-1] == "play":
        return Playback
    if parts[-1] == "record":
        return LiveRecording
    if parts[:2] == ["recordings", "stored"] and len(parts) == 3:
        return StoredRecording
    return None


def check_result(ex: Exchange, result: Any) -> None:
    """The typed result carries what the recorded response body says."""
    if ex.status == 204:
        assert result is None
        return
    js = json.loads(ex.response_body)
    if isinstance(js, list):
        assert isinstance(result, list)
        assert len(result) == len(js)
        for item, item_js in zip(result, js, strict=False):
            assert item == item_js if isinstance(item, dict) else item.raw == item_js
        if _split(ex.path)[0] == ["channels"]:
            assert all(isinstance(r, Channel) for r in result)
        if _split(ex.path)[0] == ["bridges"]:
            assert [b.channels for b in result] == [tuple(b["channels"]) for b in js]
        return
    parts, _ = _split(ex.path)
    if parts[-1] == "variable":
        assert result == js["value"]
        return
    model = _expected_model(ex)
    if model is None:
        assert result == js
        return
    assert isinstance(result, model), (ex.path, result)
    assert result.raw == js
    key = "name" if model in (LiveRecording, StoredRecording) else "id"
    assert getattr(result, key) == js[key]
    if model is Channel:
        assert (result.state, result.caller_number, result.caller_name) == (
            js["state"],
            js["caller"]["number"],
            js["caller"]["name"],
        )
    if model is Bridge:
        assert (result.bridge_type, result.technology, result.channels) == (
            js["bridge_type"],
            js["technology"],
            tuple(js["channels"]),
        )
    if model in (Playback, LiveRecording):
        assert (result.state, result.target_uri) == (js["state"], js["target_uri"])


def check_error(ex: Exchange, err: AriError) -> None:
    """Status, method, path and Asterisk's message (``message``, or ``error`` for a 500)."""
    assert type(err) is ERROR_FOR_STATUS[ex.status], (ex.path, ex.status, err)
    js = json.loads(ex.response_body)
    assert (err.status, err.method, err.path) == (ex.status, ex.method, ex.path)
    assert err.message == js.get("message", js.get("error"))
    assert ex.path in str(err)
    assert err.message in str(err)


def _client_for(ex: Exchange) -> tuple[str, str]:
    """ari-errors sends one request with a wrong password and one without credentials."""
    auth = ex.headers.get("authorization")
    if auth is None:
        return "", ""
    user, _, password = base64.b64decode(auth.split()[1]).decode().partition(":")
    return user, password


async def replay(name: str) -> None:
    t = load(name)
    ok_handshake = next(h for h in t.handshakes if h.status == 101)
    server = ReplayServer(t.exchanges, [WsPlan(frames=t.frames)], ws_path=ok_handshake.path)
    await server.start()
    clients: dict[tuple[str, str], AriClient] = {}
    main = AriClient(server.base_url, USER, PASSWORD, APP, timeout=GUARD, backoff=(0.01, 0.05))
    clients[(USER, PASSWORD)] = main
    try:
        events = main.events()
        first = await asyncio.wait_for(events.__anext__(), GUARD)
        assert first == Connected(resumed=False)
        for ex in t.exchanges:
            creds = _client_for(ex)
            if creds not in clients:
                clients[creds] = AriClient(server.base_url, *creds, APP, timeout=GUARD)
            ari = clients[creds]
            if ex.status >= 400:
                with pytest.raises(AriError) as info:
                    await asyncio.wait_for(call_recorded(ari, ex), GUARD)
                check_error(ex, info.value)
            else:
                result = await asyncio.wait_for(call_recorded(ari, ex), GUARD)
                check_result(ex, result)
        got: list[Any] = []
        while len(got) < len(t.frames):
            got.append(await asyncio.wait_for(events.__anext__(), GUARD))
        for item, text in zip(got, t.frames, strict=False):
            assert isinstance(item, Event)
            check_event(item, json.loads(text))
        assert server.mismatches == []
        assert len(server.received) == len(t.exchanges)
        assert server.exchanges == []
        assert server.ws_connects == [ok_handshake.path]
        await main.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(events.__anext__(), GUARD)
    finally:
        for c in clients.values():
            await c.close()
        await server.stop()


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_recorded_rest_calls_and_frames_replay(name: str) -> None:
    asyncio.run(replay(name))


def test_every_recorded_error_status_is_covered() -> None:
    """ari-errors has 400, 401, 404, 409, 422 and 500 (README quirk 28), all in the table."""
    statuses = {ex.status for ex in load("ari-errors.jsonl").exchanges if ex.status >= 400}
    assert statuses == set(ERROR_FOR_STATUS)
