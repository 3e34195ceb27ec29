"""Typed, immutable views of the objects Asterisk's REST interface (ARI) returns.

Each model is a frozen dataclass built from the JSON object Asterisk sent, by its
``from_json`` class method, and keeps that object whole in ``raw`` (not compared, not in
``repr``), so a field this module does not type is still at hand. The shapes follow Asterisk
22 (ARI 10.0.0) as recorded in ``tests/fixtures/asterisk/ari-*.jsonl``.

``from_json`` raises :class:`~callroute.errors.AriProtocolError` naming the missing or
mistyped key when the object does not have the documented shape; keys Asterisk does not
always send (``channelvars``, ``duration``, ``cause``, ...) get a neutral default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callroute.errors import AriProtocolError

__all__ = [
    "Bridge",
    "Channel",
    "Endpoint",
    "LiveRecording",
    "Playback",
    "StoredRecording",
    "require_object",
]


def require_object(data: object, what: str) -> Mapping[str, Any]:
    """``data`` as a JSON object, or :class:`AriProtocolError` naming ``what`` it should be."""
    if not isinstance(data, Mapping):
        raise AriProtocolError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, what: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise AriProtocolError(f"{what}: missing key {key!r}")
    if not isinstance(value, str):
        raise AriProtocolError(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AriProtocolError(f"{what}.{key}: expected an integer, got {type(value).__name__}")
    return value


def _opt_float(data: Mapping[str, Any], key: str, what: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AriProtocolError(f"{what}.{key}: expected a number, got {type(value).__name__}")
    return float(value)


def _sub(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    return require_object(value, f"{what}.{key}")


def _str_tuple(data: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AriProtocolError(f"{what}.{key}: expected a list of strings")
    return tuple(value)


def _str_map(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, str]:
    sub = _sub(data, key, what)
    return {str(k): v if isinstance(v, str) else str(v) for k, v in sub.items()}


@dataclass(frozen=True)
class Channel:
    """An ARI channel (one leg of a call).

    ``state`` is Asterisk's text (``Down``, ``Ring``, ``Ringing``, ``Up``, ``Busy``, ...).
    ``caller_*`` is the caller id, ``connected_*`` the connected line; ``dialplan_*`` where
    the channel is in the dialplan (``dialplan_app_name`` ``Stasis`` while in an app).
    ``channelvars`` holds the variables Asterisk was told to include (often absent: empty).
    """

    id: str
    name: str
    state: str
    caller_number: str = ""
    caller_name: str = ""
    connected_number: str = ""
    dialplan_context: str = ""
    dialplan_exten: str = ""
    creationtime: str = ""
    language: str = ""
    channelvars: Mapping[str, str] = field(default_factory=dict, compare=False)
    connected_name: str = ""
    dialplan_priority: int | None = None
    dialplan_app_name: str = ""
    dialplan_app_data: str = ""
    accountcode: str = ""
    protocol_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object, what: str = "channel") -> Channel:
        """Build from ARI's channel JSON; :class:`AriProtocolError` if the shape is wrong."""
        if type(data) is dict:  # fast path: the complete shape Asterisk 22 always sends
            fast = _channel_fast(cls, data)
            if fast is not None:
                return fast
        obj = require_object(data, what)
        caller = _sub(obj, "caller", what)
        connected = _sub(obj, "connected", what)
        dialplan = _sub(obj, "dialplan", what)
        return cls(
            id=_str(obj, "id", what),
            name=_str(obj, "name", what, ""),
            state=_str(obj, "state", what, ""),
            caller_number=_str(caller, "number", f"{what}.caller", ""),
            caller_name=_str(caller, "name", f"{what}.caller", ""),
            connected_number=_str(connected, "number", f"{what}.connected", ""),
            dialplan_context=_str(dialplan, "context", f"{what}.dialplan", ""),
            dialplan_exten=_str(dialplan, "exten", f"{what}.dialplan", ""),
            creationtime=_str(obj, "creationtime", what, ""),
            language=_str(obj, "language", what, ""),
            channelvars=_str_map(obj, "channelvars", what),
            connected_name=_str(connected, "name", f"{what}.connected", ""),
            dialplan_priority=_opt_int(dialplan, "priority", f"{what}.dialplan"),
            dialplan_app_name=_str(dialplan, "app_name", f"{what}.dialplan", ""),
            dialplan_app_data=_str(dialplan, "app_data", f"{what}.dialplan", ""),
            accountcode=_str(obj, "accountcode", what, ""),
            protocol_id=_str(obj, "protocol_id", what, ""),
            raw=obj,
        )


def _channel_fast(cls: type[Channel], data: dict[str, Any]) -> Channel | None:
    """The channel when every field is present with its type, else None (checked path)."""
    try:
        caller, connected, dialplan = data["caller"], data["connected"], data["dialplan"]
        texts = (
            data["id"],
            data["name"],
            data["state"],
            caller["number"],
            caller["name"],
            connected["number"],
            dialplan["context"],
            dialplan["exten"],
            data["creationtime"],
            data["language"],
            connected["name"],
            dialplan["app_name"],
            dialplan["app_data"],
            data["accountcode"],
            data["protocol_id"],
        )
        priority = dialplan["priority"]
    except (KeyError, TypeError):
        return None
    if "channelvars" in data or type(priority) is not int:
        return None
    for value in texts:
        if type(value) is not str:
            return None
    return cls(*texts[:10], {}, *texts[10:11], priority, *texts[11:], raw=data)


@dataclass(frozen=True)
class Bridge:
    """An ARI bridge: ``bridge_type`` ``mixing``/``holding``; ``channels`` the channel ids.

    ``technology`` can change while the bridge lives (``simple_bridge`` becomes ``softmix``
    once a bridge Recorder joins, quirk 36); the Recorder itself is never in ``channels``.
    """

    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    name: str
    channels: tuple[str, ...]
    creator: str = ""
    creationtime: str = ""
    video_mode: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object, what: str = "bridge") -> Bridge:
        """Build from ARI's bridge JSON; :class:`AriProtocolError` if the shape is wrong."""
        obj = require_object(data, what)
        return cls(
            id=_str(obj, "id", what),
            technology=_str(obj, "technology", what, ""),
            bridge_type=_str(obj, "bridge_type", what, ""),
            bridge_class=_str(obj, "bridge_class", what, ""),
            name=_str(obj, "name", what, ""),
            channels=_str_tuple(obj, "channels", what),
            creator=_str(obj, "creator", what, ""),
            creationtime=_str(obj, "creationtime", what, ""),
            video_mode=_str(obj, "video_mode", what, ""),
            raw=obj,
        )


@dataclass(frozen=True)
class Playback:
    """A media playback on a channel or bridge (``target_uri`` ``channel:<id>``/``bridge:<id>``).

    ``state`` is ``queued``, ``playing``, ``done`` or ``failed``: the 201 of ``/play`` often
    still says ``queued`` after PlaybackStarted already arrived (quirk 25), and a missing sound
    file is accepted with 201 and ends in a PlaybackFinished with ``failed`` (quirk 29).
    """

    id: str
    media_uri: str
    target_uri: str
    state: str
    language: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object, what: str = "playback") -> Playback:
        """Build from ARI's playback JSON; :class:`AriProtocolError` if the shape is wrong."""
        obj = require_object(data, what)
        return cls(
            id=_str(obj, "id", what),
            media_uri=_str(obj, "media_uri", what, ""),
            target_uri=_str(obj, "target_uri", what, ""),
            state=_str(obj, "state", what, ""),
            language=_str(obj, "language", what, ""),
            raw=obj,
        )


@dataclass(frozen=True)
class LiveRecording:
    """A recording in progress or just ended (``state`` ``queued``/``recording``/``done``/...).

    ``duration`` (whole seconds, as Asterisk reports it) is only present once finished;
    ``cause`` only on a failure.
    """

    name: str
    format: str
    state: str
    target_uri: str
    duration: float | None = None
    cause: str | None = None
    talking_duration: float | None = None
    silence_duration: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object, what: str = "recording") -> LiveRecording:
        """Build from ARI's LiveRecording JSON; :class:`AriProtocolError` if malformed."""
        obj = require_object(data, what)
        cause = obj.get("cause")
        return cls(
            name=_str(obj, "name", what),
            format=_str(obj, "format", what, ""),
            state=_str(obj, "state", what, ""),
            target_uri=_str(obj, "target_uri", what, ""),
            duration=_opt_float(obj, "duration", what),
            cause=None if cause is None else str(cause),
            talking_duration=_opt_float(obj, "talking_duration", what),
            silence_duration=_opt_float(obj, "silence_duration", what),
            raw=obj,
        )


@dataclass(frozen=True)
class StoredRecording:
    """A finished recording on disk: Asterisk lists only ``{"name", "format"}`` (quirk 36)."""

    name: str
    format: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object, what: str = "stored recording") -> StoredRecording:
        """Build from ARI's StoredRecording JSON; :class:`AriProtocolError` if malformed."""
        obj = require_object(data, what)
        return cls(name=_str(obj, "name", what), format=_str(obj, "format", what, ""), raw=obj)


@dataclass(frozen=True)
class Endpoint:
    """A device endpoint (``PJSIP/1001`` is technology ``PJSIP``, resource ``1001``).

    ``state`` is ``online``, ``offline``, ``unknown``; ``channel_ids`` its current channels.
    """

    technology: str
    resource: str
    state: str
    channel_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """``technology/resource``, the form originate takes as its endpoint."""
        return f"{self.technology}/{self.resource}"

    @classmethod
    def from_json(cls, data: object, what: str = "endpoint") -> Endpoint:
        """Build from ARI's endpoint JSON; :class:`AriProtocolError` if the shape is wrong."""
        obj = require_object(data, what)
        return cls(
            technology=_str(obj, "technology", what),
            resource=_str(obj, "resource", what),
            state=_str(obj, "state", what, ""),
            channel_ids=_str_tuple(obj, "channel_ids", what),
            raw=obj,
        )
