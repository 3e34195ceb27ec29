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
    ChannelDestroyed,
    Connected,
    Dial,
    Event,
    LiveRecording,
    Playback,
    StasisEnd,
    StasisStart,
    StoredRecording,
    error_for_status,
    parse_event,
    query_string,
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


def _timeline(name: str) -> list[dict[str, Any]]:
    return load(name).records


def _first_seq(records: list[dict[str, Any]], pred: Any) -> int:
    return next(r["seq"] for r in records if pred(r))


def _frame(r: dict[str, Any]) -> dict[str, Any]:
    return json.loads(r["text"]) if r["kind"] == "ws-message" else {}


def test_events_before_their_rest_response_carry_client_chosen_ids() -> None:
    """Quirks 25, 33 and 36, read from the recorded timeline: PlaybackStarted of
    cr-bridge-tone comes before the 201 of its /play (which still says ``queued``),
    RecordingStarted of acd-answered-1 before the 201 of /record (``queued``), and the Busy()
    agent's Dial BUSY and ChannelDestroyed before the 200 of its POST /channels. The events
    carry the ids the client chose (playbackId, name, channelId), which is what lets a
    consumer match them; the replay test above checks the client sends those ids."""
    for name, marker, kind, key, model in (
        ("ari-bridge.jsonl", "playbackId=cr-bridge-tone", "PlaybackStarted", "playback", Playback),
        ("ari-acd-answered.jsonl", "name=acd-answered-1", "RecordingStarted", "recording", None),
    ):
        rec = _timeline(name)
        req = _first_seq(rec, lambda r, m=marker: m in r.get("path", ""))
        resp = next(r for r in rec if r.get("req") == req)
        early = [
            parse_event(r["text"])
            for r in rec
            if r["kind"] == "ws-message" and req < r["seq"] < resp["seq"]
        ]
        ours = [e for e in early if e.type == kind]
        assert len(ours) == 1, name
        body = json.loads(resp["body"])
        assert ours[0].raw[key].get("id", ours[0].raw[key].get("name")) == body.get(
            "id", body.get("name")
        )
        assert body["state"] == "queued"
        if model is Playback:
            assert Playback.from_json(body).state == "queued"
        else:
            assert LiveRecording.from_json(body).state == "queued"

    rec = _timeline("ari-acd-agent-busy.jsonl")
    orig_req = _first_seq(rec, lambda r: "channelId=acd-6-agent7&" in r.get("path", ""))
    orig_resp = next(r for r in rec if r.get("req") == orig_req)
    before = [
        parse_event(r["text"])
        for r in rec
        if r["kind"] == "ws-message" and orig_req < r["seq"] < orig_resp["seq"]
    ]
    busy = [e for e in before if isinstance(e, Dial) and e.dialstatus == "BUSY"]
    gone = [e for e in before if isinstance(e, ChannelDestroyed)]
    assert [e.peer.id for e in busy] == ["acd-6-agent7"]
    assert {e.channel.id for e in gone} == {"acd-6-agent7", "acd-6-agent7-peer"}
    assert Channel.from_json(json.loads(orig_resp["body"])).id == "acd-6-agent7"


def test_dialplan_stasis_channels_go_silent_after_stasis_end() -> None:
    """Quirk 27: a channel that entered through dialplan Stasis() sends nothing after its
    StasisEnd (not even ChannelDestroyed), so StasisEnd is its end for a consumer."""
    for name in TRANSCRIPTS:
        evs = [parse_event(t) for t in load(name).frames]
        for i, ev in enumerate(evs):
            if isinstance(ev, StasisStart) and ev.args[:1] == ("inbound",):
                cid = ev.channel.id
                end = next(
                    j for j, e in enumerate(evs) if isinstance(e, StasisEnd) and e.channel.id == cid
                )
                later = [e for e in evs[end + 1 :] if getattr(e, "channel", None) is not None]
                assert all(e.channel.id != cid for e in later), (name, cid)  # type: ignore[attr-defined]
                assert i < end


def test_recorder_is_not_a_bridge_channel_but_turns_it_softmix() -> None:
    """Quirk 36: GET of the recorded mixing bridge lists only caller and agent, with
    technology softmix (simple_bridge before the Recorder joined)."""
    t = load("ari-acd-answered.jsonl")
    got = [
        Bridge.from_json(json.loads(ex.response_body))
        for ex in t.exchanges
        if ex.path.startswith("/ari/bridges") and "acd-mix-1" in ex.path and ex.status == 200
    ]
    assert [(b.technology, sorted(b.channels)) for b in got] == [
        ("simple_bridge", []),
        ("softmix", ["acd-1-agent1", "callroute-test-1796204186.1"]),
    ]


def test_error_bodies_that_are_not_json_keep_their_text() -> None:
    """Quirk 30: the upgrade without ``app`` answers 400 with an HTML body."""
    html = next(h for h in load("ari-errors.jsonl").handshakes if h.status == 400)
    err = error_for_status(html.status, "GET", "/ari/events", html.body)
    assert isinstance(err, AriUnprocessable)
    assert "HTTP request is missing param: [app]" in err.message
    assert "<" not in err.message
    assert error_for_status(418, "GET", "/ari/x", "").message == "(empty body)"
    assert type(error_for_status(418, "GET", "/ari/x", "")) is AriError
    assert type(error_for_status(503, "GET", "/ari/x", "{}")) is AriServerError


def test_query_encoding_matches_the_recorded_requests() -> None:
    """Spaces as ``+``; ``<``, ``>``, ``=`` escaped; ``,:;/@`` kept (recorded paths)."""
    assert (
        query_string([("callerId", "Carl Caller <5551001>"), ("timeout", 15), ("x", None)])
        == "callerId=Carl+Caller+%3C5551001%3E&timeout=15"
    )
    assert query_string([("media", "tone:ring;tonezone=us")]) == "media=tone:ring;tonezone%3Dus"
    assert query_string([("endpoint", "Local/agent1@agents"), ("appArgs", "agent,acd-1")]) == (
        "endpoint=Local/agent1@agents&appArgs=agent,acd-1"
    )
    assert query_string([("beep", False), ("dtmf", "")]) == "beep=false&dtmf="
