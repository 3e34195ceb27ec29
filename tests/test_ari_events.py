"""ARI event parsing against the recorded Asterisk 22 transcripts (the independent truth).

Every websocket frame of every ``ari-*.jsonl`` parses into the class its ``type`` names, with
each typed field equal to the value at its place in the raw JSON; malformed and unknown
frames never raise. Quirk numbers refer to tests/fixtures/asterisk/README.md.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ari_replay import TRANSCRIPTS, load
from callroute.adapters import ari
from callroute.adapters.ari import (
    Bridge,
    Channel,
    ChannelCallerId,
    ChannelDestroyed,
    ChannelHangupRequest,
    Dial,
    Event,
    LiveRecording,
    MalformedEvent,
    Playback,
    PlaybackFinished,
    RecordingFinished,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from hypothesis import given, settings
from hypothesis import strategies as st

ALL_FRAMES = [(name, i, text) for name in TRANSCRIPTS for i, text in enumerate(load(name).frames)]

# The event types present in the recordings (counted from the files independently below).
RECORDED_TYPES = {
    "BridgeDestroyed",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelDestroyed",
    "ChannelDialplan",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelVarset",
    "Dial",
    "PlaybackFinished",
    "PlaybackStarted",
    "RecordingFinished",
    "RecordingStarted",
    "StasisEnd",
    "StasisStart",
}


def _check_channel(ch: Channel, js: dict[str, Any]) -> None:
    assert ch.id == js["id"]
    assert ch.name == js["name"]
    assert ch.state == js["state"]
    assert ch.caller_number == js["caller"]["number"]
    assert ch.caller_name == js["caller"]["name"]
    assert ch.connected_number == js["connected"]["number"]
    assert ch.connected_name == js["connected"]["name"]
    assert ch.dialplan_context == js["dialplan"]["context"]
    assert ch.dialplan_exten == js["dialplan"]["exten"]
    assert ch.dialplan_priority == js["dialplan"]["priority"]
    assert ch.dialplan_app_name == js["dialplan"]["app_name"]
    assert ch.dialplan_app_data == js["dialplan"]["app_data"]
    assert ch.creationtime == js["creationtime"]
    assert ch.language == js["language"]
    assert dict(ch.channelvars) == js.get("channelvars", {})
    assert ch.raw == js


def _check_bridge(b: Bridge, js: dict[str, Any]) -> None:
    assert (b.id, b.technology, b.bridge_type, b.bridge_class, b.name) == (
        js["id"],
        js["technology"],
        js["bridge_type"],
        js["bridge_class"],
        js["name"],
    )
    assert b.channels == tuple(js["channels"])
    assert (b.creator, b.creationtime, b.video_mode) == (
        js["creator"],
        js["creationtime"],
        js["video_mode"],
    )
    assert b.raw == js


def _check_playback(p: Playback, js: dict[str, Any]) -> None:
    assert (p.id, p.media_uri, p.target_uri, p.state, p.language) == (
        js["id"],
        js["media_uri"],
        js["target_uri"],
        js["state"],
        js["language"],
    )


def _check_recording(r: LiveRecording, js: dict[str, Any]) -> None:
    assert (r.name, r.format, r.state, r.target_uri) == (
        js["name"],
        js["format"],
        js["state"],
        js["target_uri"],
    )
    assert r.duration == js.get("duration")
    assert r.cause == js.get("cause")


def check_event(ev: Event, js: dict[str, Any]) -> None:
    """Every typed field of ``ev`` equals the raw JSON at its place (shared with other tests)."""
    assert type(ev).__name__ == js["type"]
    assert ev.type == js["type"]
    assert ev.application == js["application"]
    assert ev.timestamp == js["timestamp"]
    assert ev.asterisk_id == js["asterisk_id"]
    assert ev.raw == js
    for key in ("channel", "peer", "caller", "replace_channel", "forwarded"):
        if key in js:
            _check_channel(getattr(ev, key), js[key])
        elif hasattr(ev, key):
            assert getattr(ev, key) is None, key
    if "bridge" in js:
        _check_bridge(ev.bridge, js["bridge"])  # type: ignore[attr-defined]
    if "playback" in js:
        _check_playback(ev.playback, js["playback"])  # type: ignore[attr-defined]
    if "recording" in js:
        _check_recording(ev.recording, js["recording"])  # type: ignore[attr-defined]
    scalars = {
        "digit": None,
        "duration_ms": None,
        "cause": None,
        "cause_txt": "",
        "variable": None,
        "value": None,
        "dialstatus": None,
        "forward": None,
        "dialstring": None,
        "caller_presentation": None,
        "caller_presentation_txt": None,
        "dialplan_app": None,
        "dialplan_app_data": None,
    }
    for key, default in scalars.items():
        if key in js:
            assert getattr(ev, key) == js[key], key
        elif hasattr(ev, key) and default is not None:
            assert getattr(ev, key) == default, key
    if isinstance(ev, ChannelHangupRequest):
        assert ev.soft is js.get("soft", False)
    if isinstance(ev, StasisStart):
        assert ev.args == tuple(js["args"])


def test_the_recordings_hold_the_expected_types() -> None:
    """Guard: the fixture set is the one the other tests reason about."""
    types = {json.loads(text)["type"] for _, _, text in ALL_FRAMES}
    assert types == RECORDED_TYPES
    assert RECORDED_TYPES <= ari.KNOWN_TYPES


@pytest.mark.parametrize(("name", "index", "text"), ALL_FRAMES, ids=lambda v: str(v)[:40])
def test_every_recorded_frame_parses_into_its_typed_event(name: str, index: int, text: str) -> None:
    """Quirk 24: one JSON event per text frame with type, timestamp, asterisk_id, application."""
    ev = parse_event(text)
    assert not isinstance(ev, (UnknownEvent, MalformedEvent)), (name, index, ev)
    check_event(ev, json.loads(text))
    # The same frame as bytes or as an already decoded object gives the same event.
    assert parse_event(text.encode()) == ev
    assert parse_event(json.loads(text)) == ev


def _events(name: str) -> list[Event]:
    return [parse_event(t) for t in load(name).frames]


def test_soft_hangup_cause_is_a_flag_not_q850() -> None:
    """Quirk 31: DELETE /channels gives a soft ChannelHangupRequest with cause 32, both for
    reason=normal (answered) and reason=busy (agent-busy); the real cause is ChannelDestroyed's."""
    for name, chan in (
        ("ari-acd-answered.jsonl", "acd-1-agent1"),
        ("ari-acd-agent-busy.jsonl", "callroute-test-1796204265.37"),
    ):
        evs = _events(name)
        soft = [e for e in evs if isinstance(e, ChannelHangupRequest) and e.channel.id == chan]
        assert [(e.soft, e.cause) for e in soft] == [(True, 32)]
    destroyed = [
        e
        for e in _events("ari-acd-answered.jsonl")
        if isinstance(e, ChannelDestroyed) and e.channel.id == "acd-1-agent1"
    ]
    assert [(e.cause, e.cause_txt) for e in destroyed] == [(16, "Normal Clearing")]
    # A hard request (no "soft" key) is typed soft=False.
    hard = [
        e for e in _events("ari-acd-abandon-in-queue.jsonl") if isinstance(e, ChannelHangupRequest)
    ]
    assert [(e.soft, e.cause) for e in hard] == [(False, 16)]


def test_agent_leg_outcomes_are_readable_from_dial_and_destroyed() -> None:
    """Quirks 26, 32, 33: Dial has no caller for an ARI originate; BUSY/CONGESTION come as
    dialstatus with peer causes 17/34 and cause 0 on the originated leg; a missing extension
    gives no Dial at all and cause 0; a ring timeout stops at RINGING and ends with cause 19."""
    busy = _events("ari-acd-agent-busy.jsonl")
    dials = [e for e in busy if isinstance(e, Dial)]
    assert all(d.caller is None for d in dials)
    final = {d.peer.id: d.dialstatus for d in dials if d.dialstatus}
    assert final == {"acd-6-agent7": "BUSY", "acd-6-agent8": "CONGESTION"}
    causes = {e.channel.id: e.cause for e in busy if isinstance(e, ChannelDestroyed)}
    assert causes["acd-6-agent7"] == 0
    assert causes["acd-6-agent7-peer"] == 17
    assert causes["acd-6-agent8"] == 0
    assert causes["acd-6-agent8-peer"] == 34
    assert causes["acd-6-agent99"] == 0
    assert causes["acd-6-agent99-peer"] == 0
    assert not any(d.peer.id == "acd-6-agent99" for d in dials)
    no_answer = _events("ari-acd-no-answer.jsonl")
    statuses = [
        e.dialstatus for e in no_answer if isinstance(e, Dial) and e.peer.id == "acd-2-agent3"
    ]
    assert statuses == ["", "RINGING"]
    gone = {
        e.channel.id: (e.cause, e.cause_txt)
        for e in no_answer
        if isinstance(e, ChannelDestroyed) and e.channel.id.startswith("acd-2-agent3")
    }
    assert gone == {
        "acd-2-agent3": (19, "User alerting, no answer"),
        "acd-2-agent3-peer": (19, "User alerting, no answer"),
    }


def test_failed_playback_and_recording_duration() -> None:
    """Quirk 29 (missing sound file: PlaybackFinished state failed) and 36 (RecordingFinished
    with a whole-second duration, as a float)."""
    fin = [e for e in _events("ari-errors.jsonl") if isinstance(e, PlaybackFinished)]
    assert [e.playback.state for e in fin] == ["failed"]
    recs = [e for e in _events("ari-acd-answered.jsonl") if isinstance(e, RecordingFinished)]
    assert [(r.recording.name, r.recording.duration) for r in recs] == [("acd-answered-1", 7.0)]


def test_caller_id_after_destroyed_is_still_typed() -> None:
    """Quirk 38: a ChannelCallerId for acd-1-agent1-peer arrives after its ChannelDestroyed."""
    evs = _events("ari-acd-answered.jsonl")
    idx_destroyed = next(
        i
        for i, e in enumerate(evs)
        if isinstance(e, ChannelDestroyed) and e.channel.id == "acd-1-agent1-peer"
    )
    later = [
        e
        for e in evs[idx_destroyed + 1 :]
        if isinstance(e, ChannelCallerId) and e.channel.id == "acd-1-agent1-peer"
    ]
    assert later


BAD_FRAMES = [
    ("", "not JSON"),
    ("{", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('"StasisStart"', "not a JSON object"),
    ("{}", "no string 'type'"),
    ('{"type": 7}', "no string 'type'"),
    ('{"type": "StasisStart"}', "missing key 'channel'"),
    ('{"type": "StasisStart", "channel": {"name": "x"}}', "missing key 'id'"),
    ('{"type": "StasisStart", "channel": {"id": 5}}', "channel.id: expected a string"),
    ('{"type": "StasisStart", "channel": {"id": "a"}, "args": "x"}', "args"),
    ('{"type": "ChannelDestroyed", "channel": {"id": "a"}}', "missing key 'cause'"),
    ('{"type": "ChannelDtmfReceived", "channel": {"id": "a"}}', "missing key 'digit'"),
    ('{"type": "ChannelHangupRequest", "channel": {"id": "a"}, "soft": "yes"}', "soft"),
    ('{"type": "ChannelEnteredBridge", "channel": {"id": "a"}, "bridge": []}', "bridge"),
    ('{"type": "PlaybackStarted", "playback": {"id": "p", "state": 3}}', "playback.state"),
    ('{"type": "Dial", "peer": {"id": "a"}, "caller": "x"}', "caller"),
    ('{"type": "StasisEnd", "channel": {"id": "a"}, "timestamp": 12}', "timestamp"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_FRAMES)
def test_malformed_frames_become_malformed_events(text: str, reason: str) -> None:
    ev = parse_event(text)
    assert isinstance(ev, MalformedEvent)
    assert reason in ev.reason
    assert ev.raw_text == text


def test_invalid_utf8_bytes_are_malformed_not_an_exception() -> None:
    ev = parse_event(b"\xff\xfe{")
    assert isinstance(ev, MalformedEvent)


def test_unknown_types_are_kept_whole() -> None:
    text = '{"type":"ChannelTalkingStarted","application":"callroute","timestamp":"t","x":1}'
    ev = parse_event(text)
    assert isinstance(ev, UnknownEvent)
    assert (ev.type, ev.application, ev.timestamp) == ("ChannelTalkingStarted", "callroute", "t")
    assert ev.raw == json.loads(text)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_types = st.sampled_from(sorted(RECORDED_TYPES | {"Nope", "EndpointStateChange"}))


@settings(max_examples=300, deadline=None)
@given(
    kind=_types,
    body=st.dictionaries(
        st.sampled_from(
            ["channel", "bridge", "peer", "playback", "recording", "cause", "digit", "args", "soft"]
        ),
        _json,
    ),
)
def test_parse_event_never_raises_on_hostile_objects(kind: str, body: dict[str, Any]) -> None:
    ev = parse_event(json.dumps({"type": kind, **body}))
    assert isinstance(ev, Event)


@settings(max_examples=200, deadline=None)
@given(st.text() | st.binary())
def test_parse_event_never_raises_on_noise(frame: str | bytes) -> None:
    assert isinstance(parse_event(frame), Event)


def test_checked_and_fast_channel_paths_agree() -> None:
    """A recorded channel parses the same whether complete (fast path) or with a key the
    fast path does not take (channelvars present, protocol_id missing: checked path)."""
    js = json.loads(load("ari-acd-answered.jsonl").frames[0])["channel"]
    fast = Channel.from_json(js)
    with_vars = {**js, "channelvars": {"CALLROUTE_CALL": "acd-1"}}
    slow = Channel.from_json(with_vars)
    assert slow == fast  # channelvars and raw are not compared
    assert dict(slow.channelvars) == {"CALLROUTE_CALL": "acd-1"}
    _check_channel(slow, with_vars)
    missing = {k: v for k, v in js.items() if k != "protocol_id"}
    assert Channel.from_json(missing) == fast
    assert Channel.from_json(missing).protocol_id == ""
