"""JSON shapes of Asterisk 22 ARI objects and events, as recorded in tests/fixtures/asterisk.

Every builder returns a fresh ``dict`` whose keys appear in the order Asterisk wrote them in
the ``ari-*.jsonl`` transcripts (the order differs between event types: ``ChannelVarset`` starts
with ``variable``/``value``, ``ChannelHangupRequest`` with ``cause``/``soft``, ``ChannelDestroyed``
puts ``cause`` after ``timestamp``).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

ASTERISK_ID = "02:fc:00:00:00:01"
SYSTEM_NAME = "callroute-test"
#: 2026-12-02T09:36:00Z, the clock of the ``ari-acd-*`` recording.
BASE_EPOCH = 1796204160

#: Q.850 cause texts Asterisk prints in ``ChannelDestroyed.cause_txt``.
CAUSE_TXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}

#: ``DELETE /channels/{id}?reason=`` values and the Q.850 cause each one sets.
HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}

ASTERISK_INFO: dict[str, Any] = {
    "build": {
        "os": "Linux",
        "kernel": "6.18.44-fc-v857",
        "machine": "x86_64",
        "options": "OPTIONAL_API",
        "date": "2026-12-02 09:22:03 UTC",
        "user": "root",
    },
    "system": {"version": "22.10.1", "entity_id": ASTERISK_ID},
    "config": {
        "name": SYSTEM_NAME,
        "default_language": "en",
        "setid": {"user": "", "group": ""},
    },
    "status": {
        "startup_time": "2026-12-02T09:36:22.678+0000",
        "last_reload_time": "2026-12-02T09:36:22.678+0000",
    },
}


_second_cache: dict[int, str] = {}


def timestamp(epoch: float) -> str:
    """Format ``epoch`` seconds as ARI does: ``2026-12-02T09:36:26.377+0000`` (UTC)."""
    ms = round(epoch * 1000)
    second = ms // 1000
    prefix = _second_cache.get(second)
    if prefix is None:
        if len(_second_cache) > 4096:
            _second_cache.clear()
        dt = _dt.datetime.fromtimestamp(second, tz=_dt.timezone.utc)
        prefix = _second_cache[second] = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{prefix}.{ms % 1000:03d}+0000"


def party(name: str, number: str) -> dict[str, str]:
    """A ``caller``/``connected`` sub-object."""
    return {"name": name, "number": number}


def parse_caller_id(text: str | None) -> tuple[str, str]:
    """Split an ARI ``callerId`` parameter (``Carl Caller <5551001>``) into (name, number)."""
    if not text:
        return "", ""
    text = text.strip()
    if text.endswith(">") and "<" in text:
        name, _, rest = text.rpartition("<")
        return name.strip().strip('"'), rest[:-1].strip()
    if text.replace("+", "").isdigit():
        return "", text
    return text, ""


def envelope(event: dict[str, Any], app: str) -> dict[str, Any]:
    """Add the trailing ``asterisk_id``/``application`` keys every ARI event carries."""
    event["asterisk_id"] = ASTERISK_ID
    event["application"] = app
    return event


def ev_channel(kind: str, ts: str, channel: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Events shaped ``{type, timestamp, <extra...>, channel}`` (StasisStart puts args first)."""
    event: dict[str, Any] = {"type": kind, "timestamp": ts}
    event.update(extra)
    event["channel"] = channel
    return event


def ev_varset(ts: str, channel: dict[str, Any] | None, variable: str, value: str) -> dict[str, Any]:
    """``ChannelVarset``: ``variable`` and ``value`` come before ``type``."""
    event: dict[str, Any] = {
        "variable": variable,
        "value": value,
        "type": "ChannelVarset",
        "timestamp": ts,
    }
    if channel is not None:
        event["channel"] = channel
    return event


def ev_hangup_request(
    ts: str, channel: dict[str, Any], cause: int, soft: bool = False
) -> dict[str, Any]:
    """``ChannelHangupRequest``: ``cause`` (and ``soft`` only when true) before ``type``."""
    event: dict[str, Any] = {"cause": cause}
    if soft:
        event["soft"] = True
    event["type"] = "ChannelHangupRequest"
    event["timestamp"] = ts
    event["channel"] = channel
    return event


def ev_destroyed(ts: str, channel: dict[str, Any], cause: int) -> dict[str, Any]:
    """``ChannelDestroyed`` with the cause and Asterisk's text for it."""
    return {
        "type": "ChannelDestroyed",
        "timestamp": ts,
        "cause": cause,
        "cause_txt": CAUSE_TXT.get(cause, "Unknown"),
        "channel": channel,
    }


def ev_dial(ts: str, peer: dict[str, Any], dialstatus: str, dialstring: str) -> dict[str, Any]:
    """``Dial`` for an ARI originate: no ``caller`` key (README quirk 26)."""
    return {
        "type": "Dial",
        "timestamp": ts,
        "dialstatus": dialstatus,
        "forward": "",
        "dialstring": dialstring,
        "peer": peer,
    }


def ev_callerid(ts: str, channel: dict[str, Any]) -> dict[str, Any]:
    """``ChannelCallerId`` as sent for a Local peer half (presentation allowed)."""
    return {
        "type": "ChannelCallerId",
        "timestamp": ts,
        "caller_presentation": 0,
        "caller_presentation_txt": "Presentation Allowed, Not Screened",
        "channel": channel,
    }


def ev_callerid_unavailable(ts: str, channel: dict[str, Any]) -> dict[str, Any]:
    """The late ``ChannelCallerId`` of a destroyed Local peer (README quirk 38)."""
    return {
        "type": "ChannelCallerId",
        "timestamp": ts,
        "caller_presentation": 67,
        "caller_presentation_txt": "Number Unavailable",
        "channel": channel,
    }


def ev_bridge(kind: str, ts: str, bridge: dict[str, Any], channel: dict[str, Any] | None):
    """``ChannelEnteredBridge``/``ChannelLeftBridge``/``BridgeDestroyed``."""
    event: dict[str, Any] = {"type": kind, "timestamp": ts, "bridge": bridge}
    if channel is not None:
        event["channel"] = channel
    return event


def ev_playback(kind: str, ts: str, playback: dict[str, Any]) -> dict[str, Any]:
    """``PlaybackStarted``/``PlaybackFinished``."""
    return {"type": kind, "timestamp": ts, "playback": playback}


def ev_recording(kind: str, ts: str, recording: dict[str, Any]) -> dict[str, Any]:
    """``RecordingStarted``/``RecordingFinished``/``RecordingFailed``."""
    return {"type": kind, "timestamp": ts, "recording": recording}


def ev_endpoint(ts: str, endpoint: dict[str, Any]) -> dict[str, Any]:
    """``EndpointStateChange`` (shape from the ARI 10 model; not in the transcripts)."""
    return {"type": "EndpointStateChange", "timestamp": ts, "endpoint": endpoint}


def ev_dtmf(ts: str, channel: dict[str, Any], digit: str, duration_ms: int) -> dict[str, Any]:
    """``ChannelDtmfReceived``."""
    return {
        "type": "ChannelDtmfReceived",
        "timestamp": ts,
        "digit": digit,
        "duration_ms": duration_ms,
        "channel": channel,
    }


def html_400_missing_app() -> str:
    """The HTML body Asterisk sends for a websocket upgrade without ``app`` (quirk 30)."""
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n'
        "<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n"
        "<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n"
        "<address>callroute-test-asterisk</address>\r\n</body></html>\r\n"
    )
