"""Conformance of the fake Asterisk (tests/fakeari) with the recorded ARI transcripts.

Each ``ari-acd-*.jsonl`` flow is replayed against the fake (the recorded app's REST calls, the
recorded far ends' DTMF and hangups) and the fake's websocket events must match the recording
event for event: type, channel role, state, cause, dialstatus, bridge members... and the same
JSON keys, recursively, with equal values modulo ids Asterisk chose, timestamps and the far
ends' dialplan positions. ``ari-bridge`` and ``ari-errors`` are replayed too (REST answers
byte-for-byte modulo ids; events per channel, as cross-channel interleavings there are races).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import re
from collections import Counter
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from fakeari import DEFAULT_ORDER, FakeAsterisk
from fakeari.transcript import FIXTURES, Replay, key_shape, replay, signature

ACD = sorted(p.name for p in FIXTURES.glob("ari-acd-*.jsonl"))
# the flows that record a bridge
RECORDED = [n for n in ACD if "RecordingFinished" in (FIXTURES / n).read_text()]
BLOCKS = ["ari-bridge.jsonl", "ari-errors.jsonl", "ari-stasis-dtmf.jsonl"]
SPEED = 10.0
AUTH = {"Authorization": "Basic " + base64.b64encode(b"callroute:callroute-test-secret").decode()}

_cache: dict[str, Replay] = {}


def replayed(name: str) -> Replay:
    """Replay a transcript once per test session."""
    if name not in _cache:
        _cache[name] = asyncio.run(asyncio.wait_for(replay(FIXTURES / name, SPEED), 120))
    return _cache[name]


def normalized(value: Any, back: dict[str, str], peers: set[str], key: str = "") -> Any:
    """``value`` with the fake's ids mapped back to the recording's, timestamps and
    creation times dropped, channel name sequence numbers blanked, and the dialplan position
    of Local peers (the recording's own extensions, not modelled) dropped."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("timestamp", "creationtime", "duration"):
                continue
            if k == "dialplan" and value.get("id") in peers:
                continue
            out[k] = normalized(v, back, peers, k)
        return out
    if isinstance(value, list):
        return [normalized(v, back, peers, key) for v in value]
    if isinstance(value, str):
        value = back.get(value, value)
        for fake_id, rec_id in back.items():
            value = value.replace(fake_id, rec_id)
        value = re.sub(r"-[0-9a-f]{8};", "-N;", value)
        return re.sub(r"(Recorder|Announcer)/ARI-[0-9a-f]{8}", r"\1/ARI-N", value)
    return value


def peers_of(rep: Replay) -> set[str]:
    """Channel ids (both sides) whose dialplan position is the recording's own dialplan:
    Local peer halves and channels originated into the dialplan."""
    ids = {cid for cid, role in rep.recorded_roles.items() if role.startswith("peer:")}
    for ex in rep.exchanges:
        into_dialplan = ex.path.startswith("/ari/channels?") and "extension=" in ex.path
        if into_dialplan and isinstance(ex.recorded_body, dict) and "id" in ex.recorded_body:
            ids.add(ex.recorded_body["id"])
    return ids | {rep.idmap.get(cid, cid) for cid in ids}


def rec_backmap(rep: Replay) -> dict[str, str]:
    """Fake id -> recorded id."""
    return {fake: rec for rec, fake in rep.idmap.items()}


# ----------------------------------------------------------------------------- ACD flows


@pytest.mark.parametrize("name", ACD)
def test_acd_event_sequence_matches_recording(name: str) -> None:
    rep = replayed(name)
    recorded = [signature(e, rep.recorded_roles) for e in rep.recorded_events]
    fake = [signature(e, rep.fake_roles) for e in rep.fake_events]
    assert fake == recorded


@pytest.mark.parametrize("name", ACD)
def test_acd_event_sequence_is_the_same_with_the_other_response_orderings(name: str) -> None:
    """Both orderings of events and REST responses occur in the transcripts; either way the
    event sequence is the recorded one."""
    flipped = {
        op: "response_first" if way == "events_first" else "events_first"
        for op, way in DEFAULT_ORDER.items()
    }
    rep = asyncio.run(asyncio.wait_for(replay(FIXTURES / name, SPEED, order=flipped), 120))
    recorded = [signature(e, rep.recorded_roles) for e in rep.recorded_events]
    assert [signature(e, rep.fake_roles) for e in rep.fake_events] == recorded


@pytest.mark.parametrize("name", ACD)
def test_acd_event_json_matches_recording(name: str) -> None:
    rep = replayed(name)
    assert len(rep.fake_events) == len(rep.recorded_events)
    back, peers = rec_backmap(rep), peers_of(rep)
    for rec, fake in zip(rep.recorded_events, rep.fake_events, strict=True):
        assert key_shape(fake) == key_shape(rec), rec["type"]
        assert normalized(fake, back, peers) == normalized(rec, {}, peers), rec["type"]


@pytest.mark.parametrize("name", RECORDED)
def test_acd_recording_durations_are_whole_seconds_as_recorded(name: str) -> None:
    """Asterisk reports a recording's duration as its whole seconds, truncated (7.35 s of
    timestamps recorded as 7); the fake follows the same rule on its own clock. Compared
    with each side's own timestamps, not with each other: the replay's timing stretches on
    a loaded machine, the rule does not."""
    rep = replayed(name)
    checked = 0
    for events in (rep.recorded_events, rep.fake_events):
        started: dict[str, float] = {}
        for e in events:
            name_ = e.get("recording", {}).get("name")
            if e["type"] == "RecordingStarted":
                started[name_] = _epoch(e["timestamp"])
            elif e["type"] == "RecordingFinished":
                duration = e["recording"]["duration"]
                assert isinstance(duration, int)
                elapsed = _epoch(e["timestamp"]) - started[name_]
                # timestamps are to the millisecond: the truncation is exact within 1 ms
                assert math.floor(elapsed - 0.001) <= duration <= math.floor(elapsed + 0.001)
                checked += 1
    assert checked >= 2  # at least one recording on each side


def _epoch(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


@pytest.mark.parametrize("name", ACD + BLOCKS)
def test_rest_answers_match_recording(name: str) -> None:
    rep = replayed(name)
    assert rep.exchanges
    back, peers = rec_backmap(rep), peers_of(rep)
    for ex in rep.exchanges:
        where = f"{ex.method} {ex.path}"
        assert ex.fake_status == ex.recorded_status, where
        if ex.recorded_reason:
            assert ex.fake_reason == ex.recorded_reason, where
        if isinstance(ex.recorded_body, str):  # the HTML 400 of a websocket upgrade
            assert ex.fake_body == ex.recorded_body, where
            continue
        if ex.path == "/ari/asterisk/info" and ex.recorded_status == 200:
            continue  # build data of two different recording machines
        assert key_shape(ex.fake_body) == key_shape(ex.recorded_body), where
        recorded = normalized(ex.recorded_body, {}, peers)
        if "/play?" in ex.path and recorded.get("state") == "playing":
            # the 201 of /play raced PlaybackStarted there (quirk 25); the fake answers first
            recorded["state"] = "queued"
        assert normalized(ex.fake_body, back, peers) == recorded, where


# ----------------------------------------------------------------------------- building blocks


def per_role(events: list[dict[str, Any]], roles: dict[str, str]) -> dict[str, list[Any]]:
    """Each channel role's, bridge's and playback's own event subsequence."""
    out: dict[str, list[Any]] = {}
    for event in events:
        sig = signature(event, roles)
        channel = event.get("channel") or event.get("peer") or {}
        keys = [roles.get(channel.get("id", ""), "")]
        keys.append((event.get("bridge") or {}).get("id", ""))
        keys.append((event.get("playback") or {}).get("media_uri", ""))
        for key in filter(None, keys):
            out.setdefault(key, []).append(sig[0:3] + sig[6:12] + sig[13:])
    return out


@pytest.mark.parametrize("name", BLOCKS)
def test_building_block_events_per_channel_match_recording(name: str) -> None:
    rep = replayed(name)
    recorded = per_role(rep.recorded_events, rep.recorded_roles)
    fake = per_role(rep.fake_events, rep.fake_roles)
    assert set(fake) == set(recorded)
    for key, seq in recorded.items():
        if key.startswith("peer:"):
            # a Local peer's late ChannelCallerId comes when its own dialplan next runs
            assert Counter(fake[key]) == Counter(seq), key
        else:
            assert fake[key] == seq, key
    shapes_rec = {
        (e["type"], json.dumps(key_shape(e), sort_keys=True)) for e in rep.recorded_events
    }
    shapes_fake = {(e["type"], json.dumps(key_shape(e), sort_keys=True)) for e in rep.fake_events}
    assert shapes_fake == shapes_rec


# ----------------------------------------------------------------------------- scripted fake


class Client:
    """A minimal ARI app for the scripted tests: REST with Basic auth + the event websocket."""

    def __init__(self, fake: FakeAsterisk, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, extra: str = "") -> None:
        key = "callroute:callroute-test-secret"
        url = f"{self.fake.base_url}/ari/events?app=callroute&api_key={key}{extra}"
        self.ws = await self.session.ws_connect(url)
        self._reader = asyncio.create_task(self._read(self.ws))
        await self.fake.wait_connected()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.raw.append(msg.data)
                with contextlib.suppress(ValueError):
                    self.events.append(json.loads(msg.data))

    async def closed(self) -> None:
        """Wait until the websocket reader ends (the server cut it)."""
        assert self._reader is not None
        await asyncio.wait_for(self._reader, 5)

    async def call(self, method: str, path: str, **params: str) -> tuple[int, Any]:
        body = params.pop("json", None)
        kwargs: dict[str, Any] = {"params": params, "headers": AUTH}
        if body is not None:
            kwargs["data"] = body
            kwargs["headers"] = {**AUTH, "Content-Type": "application/json"}
        async with self.session.request(method, self.fake.base_url + "/ari" + path, **kwargs) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text else None)

    async def until(self, kind: str, channel: str | None = None) -> dict[str, Any]:
        """Wait (hang guard) until the client has received such an event."""
        for _ in range(500):
            for event in self.events:
                ids = {(event.get(k) or {}).get("id") for k in ("channel", "peer", "bridge")}
                if event["type"] == kind and (channel is None or channel in ids):
                    return event
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {kind} for {channel}")

    def types(self, channel: str) -> list[str]:
        out = []
        for event in self.events:
            ids = {(event.get(k) or {}).get("id") for k in ("channel", "peer")}
            if channel in ids:
                out.append(event["type"])
        return out


def scenario(test: Any, **options: Any) -> None:
    """Run ``await test(fake, client)`` against a fresh fake (speed 100) and app client."""

    async def main() -> None:
        fake = FakeAsterisk(speed=options.pop("speed", 100.0), **options)
        async with fake, aiohttp.ClientSession() as session:
            client = Client(fake, session)
            await client.connect()
            await test(fake, client)
            if client.ws is not None:
                await client.ws.close()

    asyncio.run(asyncio.wait_for(main(), 60))


def originate(endpoint: str, cid: str, timeout: str = "15") -> dict[str, str]:
    return {
        "endpoint": endpoint,
        "app": "callroute",
        "appArgs": f"agent,{cid}",
        "channelId": cid,
        "otherChannelId": f"{cid}-peer",
        "timeout": timeout,
        "callerId": "Carl Caller <5551001>",
    }


def test_placed_call_enters_stasis_unanswered_with_recorded_args() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call(dnis="18005550100", caller="5551001", name="Carl Caller")
        start = await app.until("StasisStart", cid)
        assert start["args"] == ["inbound", "18005550100"]
        assert start["channel"]["state"] == "Ring"
        assert re.fullmatch(r"callroute-test-17962041\d\d\.\d+", cid)
        assert start["channel"]["dialplan"]["app_data"] == "callroute,inbound,18005550100"
        assert re.fullmatch(r"2026-12-02T\d\d:\d\d:\d\d\.\d{3}\+0000", start["timestamp"])
        assert await app.call("POST", f"/channels/{cid}/answer") == (204, None)
        assert (await app.until("ChannelStateChange", cid))["channel"]["state"] == "Up"
        assert fake.requests[-1][:2] == ("POST", f"/ari/channels/{cid}/answer")

    scenario(run)


def test_agent_answering_at_once_starts_stasis_before_the_originate_response() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001", answer_after=0.0)
        mark = fake.mark()
        status, body = await app.call("POST", "/channels", **originate("PJSIP/1001", "a1"))
        assert (status, body["id"], body["state"]) == (200, "a1", "Down")
        start = await fake.wait_event("StasisStart", channel="a1", since=mark)
        index = list(fake.events).index(start)
        response = fake.responses[-1]
        assert response.path == "/ari/channels"
        assert index < response.events_before  # published before the response went out

    scenario(run)


def test_originate_response_first_when_configured() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.order["originate"] = "response_first"
        fake.set_agent("PJSIP/1001", answer_after=0.0)
        mark = fake.mark()
        await app.call("POST", "/channels", **originate("PJSIP/1001", "a1"))
        start = await fake.wait_event("StasisStart", channel="a1", since=mark)
        assert list(fake.events).index(start) >= fake.responses[-1].events_before

    scenario(run)


def test_no_answer_ends_with_cause_19_and_no_stasis_start() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("Local/agent3@agents", answer_after=None)
        await app.call("POST", "/channels", **originate("Local/agent3@agents", "a3", "4"))
        destroyed = await app.until("ChannelDestroyed", "a3")
        assert (destroyed["cause"], destroyed["cause_txt"]) == (19, "User alerting, no answer")
        assert "StasisStart" not in app.types("a3")
        dials = [e["dialstatus"] for e in app.events if e["type"] == "Dial"]
        assert dials == ["", "RINGING"]  # no final Dial event (README quirk 32)
        assert "a3" not in fake.channels

    scenario(run)


@pytest.mark.parametrize(
    ("script", "dialstatus", "peer_cause"),
    [({"busy": True}, "BUSY", 17), ({"congestion": True}, "CONGESTION", 34)],
)
def test_busy_and_congestion_as_recorded(
    script: dict[str, bool], dialstatus: str, peer_cause: int
) -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("Local/agent7@agents-unavailable", **script)
        mark = fake.mark()
        await app.call("POST", "/channels", **originate("Local/agent7@agents-unavailable", "a7"))
        await fake.wait_event("ChannelDestroyed", channel="a7-peer", since=mark)
        by_id = {e["channel"]["id"]: e for e in app.events if e["type"] == "ChannelDestroyed"}
        assert by_id["a7"]["cause"] == 0  # the originated leg itself: Unknown (quirk 32)
        assert by_id["a7-peer"]["cause"] == peer_cause
        assert [e["dialstatus"] for e in app.events if e["type"] == "Dial"] == ["", dialstatus]
        # the whole failure was published before the 200 of POST /channels (quirk 33)
        last = max(i for i, e in enumerate(fake.events) if e["type"] == "ChannelDestroyed")
        originate_response = next(r for r in fake.responses if r.path == "/ari/channels")
        assert last < originate_response.events_before

    scenario(run)


def test_unreachable_endpoints() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("Local/agent99@agents", unreachable=True)
        status, _ = await app.call("POST", "/channels", **originate("Local/agent99@agents", "a9"))
        assert status == 200
        await app.until("ChannelDestroyed", "a9")
        assert "Dial" not in app.types("a9")
        fake.set_agent("PJSIP/1002", online=False)
        status, body = await app.call("POST", "/channels", **originate("PJSIP/1002", "b2"))
        assert (status, body) == (500, {"error": "Allocation failed"})

    scenario(run)


def test_endpoint_state_changes_reach_a_subscribed_app_only() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001")
        fake.set_agent("PJSIP/1002")
        fake.set_endpoint_state("PJSIP/1002", online=False)  # not subscribed: not told
        assert not any(e["type"] == "EndpointStateChange" for e in fake.events)
        status, body = await app.call(
            "POST", "/applications/callroute/subscription", eventSource="endpoint:PJSIP/1001"
        )
        assert (status, body["endpoint_ids"]) == (200, ["PJSIP/1001"])
        assert (
            await app.call(
                "POST", "/applications/callroute/subscription", eventSource="endpoint:PJSIP/9"
            )
        )[0] == 422
        fake.set_endpoint_state("PJSIP/1001", online=False)
        event = await app.until("EndpointStateChange")
        assert event["endpoint"] == {
            "technology": "PJSIP",
            "resource": "1001",
            "state": "offline",
            "channel_ids": [],
        }
        status, body = await app.call("GET", "/endpoints")
        assert status == 200
        assert [e["state"] for e in body] == ["offline", "offline"]

    scenario(run)


def test_subscribe_all_websocket_gets_endpoint_events() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001")
        assert app.ws is not None
        await app.ws.close()
        await app.connect("&subscribeAll=true")
        fake.set_endpoint_state("PJSIP/1001", online=False)
        assert (await app.until("EndpointStateChange"))["endpoint"]["state"] == "offline"

    scenario(run)


@pytest.mark.parametrize("destroyed_first", [False, True])
def test_channel_destroyed_before_or_after_stasis_end(destroyed_first: bool) -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001", answer_after=0.0, talk=1.0)
        await app.call("POST", "/channels", **originate("PJSIP/1001", "a1"))
        await app.until("ChannelDestroyed", "a1")
        kinds = [k for k in app.types("a1") if k in ("StasisEnd", "ChannelDestroyed")]
        if destroyed_first:
            assert kinds == ["ChannelDestroyed", "StasisEnd"]
        else:
            assert kinds == ["StasisEnd", "ChannelDestroyed"]  # as in every transcript

    scenario(run, destroyed_before_stasis_end=destroyed_first)


def test_caller_dtmf_scripted_and_on_demand() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call(dtmf=[(0.5, "47#")])
        await app.call("POST", f"/channels/{cid}/answer")
        await fake.caller_dtmf(cid, "9")
        for _ in range(500):
            digits = [e["digit"] for e in app.events if e["type"] == "ChannelDtmfReceived"]
            if len(digits) == 4:
                break
            await asyncio.sleep(0.01)
        assert sorted(digits) == sorted("947#")
        assert [d for d in digits if d != "9"] == list("47#")

    scenario(run)


def test_caller_hangup_in_bridge_and_silence_after_stasis_end() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call(hangup_after=3.0)
        await app.call("POST", f"/channels/{cid}/answer")
        await app.call("POST", "/bridges", type="holding", bridgeId="h1", name="hold")
        await app.call("POST", "/bridges/h1/addChannel", channel=cid)
        await app.call("POST", "/bridges/h1/moh", mohClass="default")
        await app.until("StasisEnd", cid)
        assert app.types(cid)[-3:] == ["ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd"]
        assert await app.call("GET", f"/channels/{cid}") == (404, {"message": "Channel not found"})
        status, bridge = await app.call("GET", "/bridges/h1")
        assert (status, bridge["channels"]) == (200, [])
        assert await app.call("DELETE", "/bridges/h1") == (204, None)
        await app.until("BridgeDestroyed", "h1")  # left by hangup: destroyed is told (q. 35)

    scenario(run)


def test_fail_next_injects_recorded_style_errors_once() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call()
        fake.fail_next("POST", r"/answer$", 500, "Internal Server Error")
        assert await app.call("POST", f"/channels/{cid}/answer") == (
            500,
            {"message": "Internal Server Error"},
        )
        assert await app.call("POST", f"/channels/{cid}/answer") == (204, None)
        fake.fail_next("*", r"/bridges", 409, times=2, body={"message": "Conflict"})
        assert (await app.call("GET", "/bridges"))[0] == 409
        assert (await app.call("POST", "/bridges", bridgeId="x"))[0] == 409
        assert (await app.call("POST", "/bridges", bridgeId="x"))[0] == 200

    scenario(run)


def test_websocket_gap_loses_events_and_state_is_still_there() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        first = await fake.place_call(caller="5551001")
        await app.until("StasisStart", first)
        fake.drop_websocket(down_for=0.2)
        await app.closed()
        second = await fake.place_call(caller="5551002")  # during the gap
        await fake.hangup(first)
        assert [e["type"] for e in fake.lost_events] == [
            "StasisStart",
            "ChannelHangupRequest",
            "StasisEnd",
        ]
        await asyncio.sleep(0.25)
        await app.connect()
        assert fake.ws_connects == 2
        assert (await app.call("GET", "/channels"))[0] == 200
        channels = (await app.call("GET", "/channels"))[1]
        in_app = [c["id"] for c in channels if c["dialplan"]["app_name"] == "Stasis"]
        assert in_app == [second]  # the resync source after a gap
        assert len(channels) == 2  # and its Local ;1 half, never in the app
        assert not any(
            e["type"] == "StasisStart" and e["channel"]["id"] == second for e in app.events
        )
        await fake.hangup(second)
        await app.until("StasisEnd", second)

    scenario(run)


def test_pbx_restart_forgets_every_call_silently() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001", answer_after=0.0)
        cid = await fake.place_call()
        await app.call("POST", f"/channels/{cid}/answer")
        await app.call("POST", "/channels", **originate("PJSIP/1001", "a1"))
        await app.call("POST", "/bridges", type="mixing", bridgeId="m1")
        await app.call("POST", "/bridges/m1/addChannel", channel=f"{cid},a1")
        await app.call("POST", "/bridges/m1/record", name="r1", format="wav")
        seen = len(app.events)
        fake.restart_pbx(down_for=0.1)
        await app.closed()
        assert len(app.events) == seen  # nothing told: the process is gone
        await asyncio.sleep(0.15)
        await app.connect()
        assert await app.call("GET", "/channels") == (200, [])
        assert await app.call("GET", "/bridges") == (200, [])
        assert (await app.call("GET", "/recordings/live/r1"))[0] == 404
        again = await fake.place_call()
        assert again.endswith(".1")  # uniqueids start again at .0 (its ;1 half)
        await app.until("StasisStart", again)

    scenario(run)


def test_inject_raw_frames_reach_the_client() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.inject_raw("not json {")
        fake.inject_raw('{"type":"Nonsense"}')
        for _ in range(500):
            if len(app.raw) == 2:
                break
            await asyncio.sleep(0.01)
        assert app.raw == ["not json {", '{"type":"Nonsense"}']

    scenario(run)


def test_bridge_recording_and_playback_timing_table() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        fake.set_agent("PJSIP/1001", answer_after=0.0)
        cid = await fake.place_call()
        await app.call("POST", f"/channels/{cid}/answer")
        status, playback = await app.call(
            "POST", f"/channels/{cid}/play", media="sound:callroute-welcome", playbackId="p1"
        )
        assert (status, playback["state"]) == (201, "queued")
        assert (await app.until("PlaybackFinished"))["playback"]["state"] == "done"
        await app.call("POST", "/channels", **originate("PJSIP/1001", "a1"))
        await app.call("POST", "/bridges", type="mixing", bridgeId="m1")
        await app.call("POST", "/bridges/m1/addChannel", channel=f"{cid},a1")
        status, rec = await app.call("POST", "/bridges/m1/record", name="r1", format="wav")
        assert (status, rec["state"]) == (201, "queued")
        assert fake.recordings["r1"].state == "recording"
        assert (await app.call("GET", "/bridges/m1"))[1]["technology"] == "softmix"
        await asyncio.sleep(0.05)
        assert await app.call("POST", "/recordings/live/r1/stop") == (204, None)
        finished = await app.until("RecordingFinished")
        assert finished["recording"]["state"] == "done"
        assert isinstance(finished["recording"]["duration"], int)
        assert await app.call("GET", "/recordings/stored/r1") == (
            200,
            {"name": "r1", "format": "wav"},
        )

    scenario(run)


def test_thousand_concurrent_calls() -> None:
    """1,000 callers placed, answered, bridged and hung up at once: every event arrives and
    the fake's state is empty afterwards (dict lookups only, no per-event scans)."""

    async def run(fake: FakeAsterisk, app: Client) -> None:
        n = 1000
        ids = await asyncio.gather(
            *(fake.place_call(caller=f"{5550000 + i}", hangup_after=3600.0) for i in range(n))
        )
        sem = asyncio.Semaphore(50)

        async def handle(i: int, cid: str) -> None:
            async with sem:
                await app.call("POST", f"/channels/{cid}/answer")
                await app.call("POST", "/bridges", type="holding", bridgeId=f"h{i}")
                await app.call("POST", f"/bridges/h{i}/addChannel", channel=cid)

        await asyncio.gather(*(handle(i, cid) for i, cid in enumerate(ids)))
        assert len(fake.channels) == 2 * n  # each caller's ;1 half is listed too
        await asyncio.gather(*(fake.hangup(cid) for cid in ids))
        for _ in range(1000):
            ends = sum(1 for e in app.events if e["type"] == "StasisEnd")
            if ends == n:
                break
            await asyncio.sleep(0.01)
        assert ends == n
        assert Counter(e["type"] for e in app.events)["StasisStart"] == n
        assert fake.channels == {}
        assert not fake.lost_events
        await asyncio.gather(*(app.call("DELETE", f"/bridges/h{i}") for i in range(n)))
        assert (fake.bridges, fake.playbacks, fake.timers_pending) == ({}, {}, 0)

    scenario(run)


def test_media_list_plays_in_turn_with_playback_continuing() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call()
        await app.call("POST", f"/channels/{cid}/answer")
        status, body = await app.call(
            "POST",
            f"/channels/{cid}/play",
            media="sound:callroute-beep,digits:3",
            playbackId="pos",
        )
        assert status == 201
        assert (body["media_uri"], body["next_media_uri"]) == ("sound:callroute-beep", "digits:3")
        await app.until("PlaybackFinished")
        kinds = [
            (e["type"], e["playback"]["media_uri"], e["playback"]["state"])
            for e in app.events
            if "playback" in e
        ]
        assert kinds == [
            ("PlaybackStarted", "sound:callroute-beep", "playing"),
            ("PlaybackContinuing", "digits:3", "continuing"),
            ("PlaybackFinished", "digits:3", "done"),
        ]
        assert fake.playbacks == {}

    scenario(run)


def test_caller_local_half_is_listed_and_goes_with_the_caller() -> None:
    async def run(fake: FakeAsterisk, app: Client) -> None:
        cid = await fake.place_call()
        _, channels = await app.call("GET", "/channels")
        half = next(c for c in channels if c["id"] != cid)
        assert half["name"].endswith(";1")
        assert half["dialplan"]["app_name"] != "Stasis"
        assert await app.call("POST", f"/channels/{half['id']}/answer") == (
            409,
            {"message": "Channel not in Stasis application"},
        )
        assert await app.call("DELETE", f"/channels/{half['id']}") == (204, None)
        await app.until("StasisEnd", cid)
        request = next(e for e in app.events if e["type"] == "ChannelHangupRequest")
        assert (request["cause"], request.get("soft")) == (16, None)  # a far-end hangup
        assert fake.channels == {}

    scenario(run)
