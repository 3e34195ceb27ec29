"""Typed ARI events, and the markers the event stream adds when the websocket comes and goes.

Every websocket text frame from Asterisk is one JSON object with ``type``, an ISO
``timestamp`` (``...+0000``), ``asterisk_id`` and ``application`` (quirk 24).
:func:`parse_event` turns one frame into a frozen dataclass: the class named by ``type`` for
the types below, :class:`UnknownEvent` for any other type (a newer Asterisk may add some),
and :class:`MalformedEvent` for a frame that is not a JSON object, has no string ``type``,
or misses a key its type needs. It never raises, so one bad frame cannot stop the stream.

Protocol facts an event consumer must know (README of the fixtures, numbered quirks):

* 25/33: events can come *before* the REST response that caused them (PlaybackStarted
  before the 201 of ``/play``; a failed originate's Dial ``BUSY`` and ChannelDestroyed
  before its 200): match by the client-chosen ids, not by arrival order.
* 26: an originated Local channel's ``;2`` peer (``otherChannelId``) sends events too, and
  :class:`Dial` events may have no ``caller`` (``caller`` is then ``None``).
* 27/38: ChannelDestroyed is not always the last event for an id, and a channel that
  entered through dialplan ``Stasis()`` sends nothing after :class:`StasisEnd`.
* 31: with ``soft`` true, :attr:`ChannelHangupRequest.cause` is Asterisk's soft-hangup
  flag (32), not a Q.850 cause; the real cause is in :class:`ChannelDestroyed`.
* 32: an agent leg's end is told by :attr:`Dial.dialstatus` when there is a final one
  (``BUSY``, ``CONGESTION``, ``NOANSWER``; none at all on a ring timeout or a missing
  extension), else by the peer's ChannelDestroyed cause (19 no answer, 17 busy, 34
  congestion, 0 for the originated leg itself).
* 35/36: BridgeDestroyed only comes while one of the app's channels is in the bridge; a
  bridge recording finishes by itself when the Recorder is alone in the bridge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, Union

from callroute.adapters.ari.models import (
    Bridge,
    Channel,
    Endpoint,
    LiveRecording,
    Playback,
    require_object,
)
from callroute.errors import AriError, AriProtocolError

__all__ = [
    "KNOWN_TYPES",
    "ApplicationReplaced",
    "BridgeCreated",
    "BridgeDestroyed",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelCreated",
    "ChannelDestroyed",
    "ChannelDialplan",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelVarset",
    "Connected",
    "DeviceStateChanged",
    "Dial",
    "Disconnected",
    "EndpointStateChange",
    "Event",
    "MalformedEvent",
    "PlaybackContinuing",
    "PlaybackFinished",
    "PlaybackStarted",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingStarted",
    "StasisEnd",
    "StasisStart",
    "StreamItem",
    "UnknownEvent",
    "parse_event",
]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every ARI event: ``type``, ``application``, ``timestamp`` and the whole ``raw``."""

    type: str
    application: str = ""
    timestamp: str = ""
    asterisk_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class StasisStart(Event):
    """A channel entered the app; ``args`` are the ``Stasis(app,arg1,...)``/``appArgs`` args."""

    channel: Channel
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, kw_only=True)
class StasisEnd(Event):
    """A channel left the app (hung up, continued, ...); dialplan-entered ones then go silent."""

    channel: Channel


@dataclass(frozen=True, kw_only=True)
class ChannelCreated(Event):
    """A channel was created (sent for channels the app subscribed to)."""

    channel: Channel


@dataclass(frozen=True, kw_only=True)
class ChannelStateChange(Event):
    """The channel's ``state`` changed (``Ring`` -> ``Up`` on answer, ``Ringing``, ``Busy``)."""

    channel: Channel


@dataclass(frozen=True, kw_only=True)
class ChannelDtmfReceived(Event):
    """A DTMF digit (``0-9*#A-D``) ended on the channel, ``duration_ms`` long."""

    channel: Channel
    digit: str
    duration_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class ChannelHangupRequest(Event):
    """A hangup was requested; with ``soft`` the ``cause`` is a flag, not Q.850 (quirk 31)."""

    channel: Channel
    cause: int | None = None
    soft: bool = False


@dataclass(frozen=True, kw_only=True)
class ChannelDestroyed(Event):
    """The channel is gone; ``cause``/``cause_txt`` the real Q.850 cause (0 ``Unknown``)."""

    channel: Channel
    cause: int
    cause_txt: str = ""


@dataclass(frozen=True, kw_only=True)
class ChannelEnteredBridge(Event):
    """``channel`` joined ``bridge`` (``bridge.channels`` already lists it)."""

    bridge: Bridge
    channel: Channel


@dataclass(frozen=True, kw_only=True)
class ChannelLeftBridge(Event):
    """``channel`` left ``bridge`` (removed, or hung up)."""

    bridge: Bridge
    channel: Channel


@dataclass(frozen=True, kw_only=True)
class BridgeCreated(Event):
    """A bridge was created (only for bridges the app subscribed to)."""

    bridge: Bridge


@dataclass(frozen=True, kw_only=True)
class BridgeDestroyed(Event):
    """A bridge was destroyed (only while the app had a channel in it: quirk 35)."""

    bridge: Bridge


@dataclass(frozen=True, kw_only=True)
class ChannelVarset(Event):
    """A variable was set; ``channel`` is ``None`` for a global variable."""

    channel: Channel | None
    variable: str
    value: str


@dataclass(frozen=True, kw_only=True)
class Dial(Event):
    """Dial progress of ``peer``; ``dialstatus`` ``""`` on begin, ``RINGING``, ``ANSWER``, ...

    ``caller`` is ``None`` for an ARI originate (quirk 26).
    """

    peer: Channel
    caller: Channel | None = None
    forwarded: Channel | None = None
    dialstatus: str = ""
    forward: str = ""
    dialstring: str = ""


@dataclass(frozen=True, kw_only=True)
class PlaybackStarted(Event):
    """A playback began (may arrive before the 201 of ``/play``: quirk 25)."""

    playback: Playback


@dataclass(frozen=True, kw_only=True)
class PlaybackContinuing(Event):
    """A playback of several media moved on to the next one."""

    playback: Playback


@dataclass(frozen=True, kw_only=True)
class PlaybackFinished(Event):
    """A playback ended, ``playback.state`` ``done`` or ``failed`` (quirk 29)."""

    playback: Playback


@dataclass(frozen=True, kw_only=True)
class RecordingStarted(Event):
    """A recording began (may arrive before the 201 of ``/record``: quirk 36)."""

    recording: LiveRecording


@dataclass(frozen=True, kw_only=True)
class RecordingFinished(Event):
    """A recording ended (``recording.duration`` in whole seconds)."""

    recording: LiveRecording


@dataclass(frozen=True, kw_only=True)
class RecordingFailed(Event):
    """A recording failed (``recording.cause`` says why)."""

    recording: LiveRecording


@dataclass(frozen=True, kw_only=True)
class EndpointStateChange(Event):
    """An endpoint went ``online``/``offline`` (e.g. a SIP phone registered or not)."""

    endpoint: Endpoint


@dataclass(frozen=True, kw_only=True)
class DeviceStateChanged(Event):
    """A device state changed: ``name`` (``PJSIP/1001``), ``state`` (``NOT_INUSE``, ...)."""

    name: str
    state: str


@dataclass(frozen=True, kw_only=True)
class ChannelConnectedLine(Event):
    """The channel's connected line changed (``channel.connected_*``)."""

    channel: Channel


@dataclass(frozen=True, kw_only=True)
class ChannelCallerId(Event):
    """The channel's caller id changed (``channel.caller_*``); may follow ChannelDestroyed."""

    channel: Channel
    caller_presentation: int | None = None
    caller_presentation_txt: str = ""


@dataclass(frozen=True, kw_only=True)
class ChannelDialplan(Event):
    """The channel moved in the dialplan: now runs ``dialplan_app(dialplan_app_data)``."""

    channel: Channel
    dialplan_app: str = ""
    dialplan_app_data: str = ""


@dataclass(frozen=True, kw_only=True)
class ApplicationReplaced(Event):
    """Another websocket registered the same app name: this connection gets no more events."""


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """A well-formed event of a ``type`` this module does not type; ``raw`` holds it."""


@dataclass(frozen=True, kw_only=True)
class MalformedEvent(Event):
    """A frame that is not a JSON object, has no string ``type``, or misses a required key.

    ``raw_text`` is the frame as received (JSON-dumped when given a mapping), ``reason``
    names the problem; ``type`` is the frame's type when it had one, else ``""``.
    """

    type: str = ""
    raw_text: str
    reason: str


@dataclass(frozen=True)
class Connected:
    """Stream marker: the event websocket is (re)connected.

    ``resumed`` is False on the first connection and True after a reconnect: events sent
    while it was down are lost, so the consumer must resync (list channels and bridges).
    """

    resumed: bool


@dataclass(frozen=True)
class Disconnected:
    """Stream marker: the event websocket is down (or could not connect); ``reason`` says why.

    ``error`` is the typed error of a failed connect (:class:`~callroute.errors.AriUnauthorized`
    for a 401 upgrade, :class:`~callroute.errors.AriUnavailable` for a refused connection),
    ``None`` when an open websocket was closed or broke.
    """

    reason: str
    error: AriError | None = field(default=None, compare=False)


StreamItem: TypeAlias = Union[Event, Connected, Disconnected]  # noqa: UP007 (a runtime alias on 3.10)
"""What :meth:`AriClient.events` yields: events plus connection markers."""


def _need(obj: Mapping[str, Any], key: str) -> Any:
    if key not in obj or obj[key] is None:
        raise AriProtocolError(f"missing key {key!r}")
    return obj[key]


def _text(obj: Mapping[str, Any], key: str, default: str = "") -> str:
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise AriProtocolError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _req_text(obj: Mapping[str, Any], key: str) -> str:
    _need(obj, key)
    return _text(obj, key)


def _int(obj: Mapping[str, Any], key: str, *, required: bool = False) -> int | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise AriProtocolError(f"missing key {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AriProtocolError(f"{key}: expected an integer, got {type(value).__name__}")
    return value


def _channel(obj: Mapping[str, Any], key: str = "channel") -> Channel:
    return Channel.from_json(_need(obj, key), key)


def _opt_channel(obj: Mapping[str, Any], key: str) -> Channel | None:
    return None if obj.get(key) is None else Channel.from_json(obj[key], key)


def _bridge(obj: Mapping[str, Any]) -> Bridge:
    return Bridge.from_json(_need(obj, "bridge"))


def _playback(obj: Mapping[str, Any]) -> Playback:
    return Playback.from_json(_need(obj, "playback"))


def _recording(obj: Mapping[str, Any]) -> LiveRecording:
    return LiveRecording.from_json(_need(obj, "recording"))


def _args(obj: Mapping[str, Any]) -> tuple[str, ...]:
    value = obj.get("args", [])
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise AriProtocolError("args: expected a list of strings")
    return tuple(value)


def _device(obj: Mapping[str, Any]) -> dict[str, Any]:
    dev = require_object(_need(obj, "device_state"), "device_state")
    return {"name": _text(dev, "name"), "state": _text(dev, "state")}


def _hangup(obj: Mapping[str, Any]) -> dict[str, Any]:
    soft = obj.get("soft", False)
    if not isinstance(soft, bool):
        raise AriProtocolError(f"soft: expected a boolean, got {type(soft).__name__}")
    return {"channel": _channel(obj), "cause": _int(obj, "cause"), "soft": soft}


_Builder = Callable[[Mapping[str, Any]], dict[str, Any]]

_BUILDERS: dict[str, tuple[type[Event], _Builder]] = {
    "StasisStart": (
        StasisStart,
        lambda o: {
            "channel": _channel(o),
            "args": _args(o),
            "replace_channel": _opt_channel(o, "replace_channel"),
        },
    ),
    "StasisEnd": (StasisEnd, lambda o: {"channel": _channel(o)}),
    "ChannelCreated": (ChannelCreated, lambda o: {"channel": _channel(o)}),
    "ChannelStateChange": (ChannelStateChange, lambda o: {"channel": _channel(o)}),
    "ChannelDtmfReceived": (
        ChannelDtmfReceived,
        lambda o: {
            "channel": _channel(o),
            "digit": _req_text(o, "digit"),
            "duration_ms": _int(o, "duration_ms"),
        },
    ),
    "ChannelHangupRequest": (ChannelHangupRequest, _hangup),
    "ChannelDestroyed": (
        ChannelDestroyed,
        lambda o: {
            "channel": _channel(o),
            "cause": _int(o, "cause", required=True),
            "cause_txt": _text(o, "cause_txt"),
        },
    ),
    "ChannelEnteredBridge": (
        ChannelEnteredBridge,
        lambda o: {"bridge": _bridge(o), "channel": _channel(o)},
    ),
    "ChannelLeftBridge": (
        ChannelLeftBridge,
        lambda o: {"bridge": _bridge(o), "channel": _channel(o)},
    ),
    "BridgeCreated": (BridgeCreated, lambda o: {"bridge": _bridge(o)}),
    "BridgeDestroyed": (BridgeDestroyed, lambda o: {"bridge": _bridge(o)}),
    "ChannelVarset": (
        ChannelVarset,
        lambda o: {
            "channel": _opt_channel(o, "channel"),
            "variable": _req_text(o, "variable"),
            "value": _text(o, "value"),
        },
    ),
    "Dial": (
        Dial,
        lambda o: {
            "peer": _channel(o, "peer"),
            "caller": _opt_channel(o, "caller"),
            "forwarded": _opt_channel(o, "forwarded"),
            "dialstatus": _text(o, "dialstatus"),
            "forward": _text(o, "forward"),
            "dialstring": _text(o, "dialstring"),
        },
    ),
    "PlaybackStarted": (PlaybackStarted, lambda o: {"playback": _playback(o)}),
    "PlaybackContinuing": (PlaybackContinuing, lambda o: {"playback": _playback(o)}),
    "PlaybackFinished": (PlaybackFinished, lambda o: {"playback": _playback(o)}),
    "RecordingStarted": (RecordingStarted, lambda o: {"recording": _recording(o)}),
    "RecordingFinished": (RecordingFinished, lambda o: {"recording": _recording(o)}),
    "RecordingFailed": (RecordingFailed, lambda o: {"recording": _recording(o)}),
    "EndpointStateChange": (
        EndpointStateChange,
        lambda o: {"endpoint": Endpoint.from_json(_need(o, "endpoint"))},
    ),
    "DeviceStateChanged": (DeviceStateChanged, _device),
    "ChannelConnectedLine": (ChannelConnectedLine, lambda o: {"channel": _channel(o)}),
    "ChannelCallerId": (
        ChannelCallerId,
        lambda o: {
            "channel": _channel(o),
            "caller_presentation": _int(o, "caller_presentation"),
            "caller_presentation_txt": _text(o, "caller_presentation_txt"),
        },
    ),
    "ChannelDialplan": (
        ChannelDialplan,
        lambda o: {
            "channel": _channel(o),
            "dialplan_app": _text(o, "dialplan_app"),
            "dialplan_app_data": _text(o, "dialplan_app_data"),
        },
    ),
    "ApplicationReplaced": (ApplicationReplaced, lambda o: {}),
}

KNOWN_TYPES: frozenset[str] = frozenset(_BUILDERS)
"""The event ``type`` names :func:`parse_event` turns into their own classes."""


def parse_event(frame: str | bytes | bytearray | Mapping[str, Any]) -> Event:
    """One ARI websocket frame (text, bytes or an already decoded object) as a typed event.

    Never raises: a frame that cannot be typed becomes a :class:`MalformedEvent` whose
    ``reason`` names the problem (``not JSON``, ``missing key 'channel'``, ...).
    """
    text = ""
    try:
        if isinstance(frame, (bytes, bytearray)):
            text = bytes(frame).decode("utf-8", errors="replace")
            data: Any = json.loads(text)
        elif isinstance(frame, str):
            text = frame
            data = json.loads(text)
        else:
            data = frame
            text = json.dumps(frame, default=str)
    except (ValueError, TypeError, RecursionError) as exc:
        return MalformedEvent(raw_text=text, reason=f"not JSON: {exc}")
    if not isinstance(data, Mapping):
        return MalformedEvent(raw_text=text, reason=f"not a JSON object but {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        return MalformedEvent(raw_text=text, reason="no string 'type'", raw=data)
    try:
        common: dict[str, Any] = {
            "type": kind,
            "application": _text(data, "application"),
            "timestamp": _text(data, "timestamp"),
            "asterisk_id": _text(data, "asterisk_id"),
            "raw": data,
        }
        entry = _BUILDERS.get(kind)
        if entry is None:
            return UnknownEvent(**common)
        cls, build = entry
        return cls(**common, **build(data))
    except (AriProtocolError, ValueError, TypeError, KeyError, AttributeError) as exc:
        reason = exc.message if isinstance(exc, AriProtocolError) else repr(exc)
        return MalformedEvent(type=kind, raw_text=text, reason=f"{kind}: {reason}", raw=data)
    except RecursionError:  # pragma: no cover - absurdly nested input
        return MalformedEvent(type=kind, raw_text=text, reason=f"{kind}: nested too deep")
