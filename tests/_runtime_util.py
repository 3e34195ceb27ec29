"""Shared pieces of the runtime tests: a center like the recorded ACD, stand-in ARI events
(the shapes of spec A: the core matches events by class name) and a tiny stub PBX that
records the commands it is sent and lets a test push events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from callroute.center import load_mapping

DNIS = "18005550100"

# The topology of the recorded ACD (fixtures/asterisk/README.md, "ACD flow"): one
# inbound number, agents rung as Local/agentN@agents; agent7 is Busy(), agent8 is
# Congestion(), agent99 has no extension.
CENTER: dict[str, Any] = {
    "version": 1,
    "name": "acd",
    "timezone": "UTC",
    "skills": ["sales"],
    "tenants": {"acme": {"numbers": [DNIS], "flow": "main"}},
    "prompts": {
        "callroute-welcome": "Welcome",
        "callroute-beep": "Beep",
        "pin": "PIN please",
    },
    "flows": {
        "main": {
            "tenant": "acme",
            "start": "welcome",
            "nodes": {
                "welcome": {"type": "play", "prompt": "callroute-welcome", "next": "account"},
                "account": {
                    "type": "collect",
                    "key": "account",
                    "min_digits": 4,
                    "max_digits": 10,
                    "next": "pin",
                    "failure": "queue",
                },
                "pin": {
                    "type": "authenticate",
                    "verifier": "bank_pin",
                    "identity_key": "account",
                    "prompt": "callroute-beep",
                    "max_attempts": 2,
                    "success": "queue",
                    "lockout": "queue",
                },
                "queue": {"type": "queue", "queue": "sales"},
            },
        }
    },
    "queues": {
        "sales": {
            "tenant": "acme",
            "skills": {"sales": 1},
            "offer_timeout": 15,
            "wrapup": 5,
            "record": True,
        }
    },
    "agents": {
        "agent1": {"tenant": "acme", "skills": {"sales": 5}, "endpoint": "Local/agent1@agents"},
    },
}


def make_center(agents: Mapping[str, str] | None = None, *, ivr: bool = True, **queue: Any) -> Any:
    """The ACD center with ``agents`` (name -> endpoint) and queue overrides; without
    ``ivr`` the tenant has no flow (calls go straight to its queue, as in most recordings)."""
    spec = {**CENTER, "queues": {"sales": {**CENTER["queues"]["sales"], **queue}}}
    if not ivr:
        spec["tenants"] = {"acme": {"numbers": [DNIS]}}
    if agents is not None:
        spec["agents"] = {
            name: {"tenant": "acme", "skills": {"sales": 5}, "endpoint": ep}
            for name, ep in agents.items()
        }
    return load_mapping(spec, "test-center")


# ---------------------------------------------------------------- stand-in events


@dataclass(frozen=True)
class Channel:
    id: str
    name: str = ""
    state: str = "Up"
    caller_number: str | None = "5551001"
    caller_name: str | None = "Carl Caller"
    dialplan_exten: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Playback:
    id: str
    state: str = "done"


@dataclass(frozen=True)
class LiveRecording:
    name: str
    duration: float | None = None
    state: str = "done"


@dataclass(frozen=True)
class Endpoint:
    technology: str
    resource: str
    state: str


@dataclass(frozen=True)
class StasisStart:
    channel: Channel
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class StasisEnd:
    channel: Channel


@dataclass(frozen=True)
class ChannelHangupRequest:
    channel: Channel
    cause: int | None = 16
    soft: bool = False


@dataclass(frozen=True)
class ChannelDestroyed:
    channel: Channel
    cause: int = 16
    cause_txt: str = "Normal Clearing"


@dataclass(frozen=True)
class ChannelDtmfReceived:
    channel: Channel
    digit: str
    duration_ms: int = 100


@dataclass(frozen=True)
class Dial:
    peer: Channel
    dialstatus: str


@dataclass(frozen=True)
class PlaybackFinished:
    playback: Playback


@dataclass(frozen=True)
class RecordingFinished:
    recording: LiveRecording


@dataclass(frozen=True)
class EndpointStateChange:
    endpoint: Endpoint


@dataclass(frozen=True)
class Connected:
    resumed: bool


@dataclass(frozen=True)
class MalformedEvent:
    raw_text: str
    reason: str


@dataclass(frozen=True)
class UnknownEvent:
    type: str
    raw: Mapping[str, Any]


# ---------------------------------------------------------------- stub PBX


class StubError(Exception):
    """An ARI-like error: ``status`` as the adapter's Ari* errors carry it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StubPbx:
    """Records every REST call as ``(method, args...)``; ``push`` queues an event."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, ...]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.channels: dict[str, Channel] = {}
        self._events: asyncio.Queue[Any] = asyncio.Queue()

    def fail_next(self, method: str, exc: Exception) -> None:
        self.failures.setdefault(method, []).append(exc)

    def push(self, *events: Any) -> None:
        for event in events:
            self._events.put_nowait(event)

    async def events(self) -> AsyncIterator[Any]:
        while True:
            yield await self._events.get()

    def names(self) -> list[str]:
        return [r[0] for r in self.requests]

    def _call(self, method: str, *args: Any) -> None:
        self.requests.append((method, *args))
        pending = self.failures.get(method)
        if pending:
            raise pending.pop(0)

    async def answer(self, ch: str) -> None:
        self._call("answer", ch)

    async def hangup(self, ch: str, reason: str = "normal") -> None:
        self._call("hangup", ch, reason)

    async def play(self, ch: str, media: Any, playback_id: str) -> None:
        self._call("play", ch, tuple(media), playback_id)

    async def play_on_bridge(self, b: str, media: Any, playback_id: str) -> None:
        self._call("play_on_bridge", b, tuple(media), playback_id)

    async def stop_playback(self, playback_id: str) -> None:
        self._call("stop_playback", playback_id)

    async def create_bridge(
        self, bridge_id: str, type: str = "mixing", name: str | None = None
    ) -> None:
        self._call("create_bridge", bridge_id, type)

    async def add_channel(self, b: str, ch: str, role: str | None = None) -> None:
        self._call("add_channel", b, ch)

    async def remove_channel(self, b: str, ch: str) -> None:
        self._call("remove_channel", b, ch)

    async def destroy_bridge(self, b: str) -> None:
        self._call("destroy_bridge", b)

    async def start_bridge_moh(self, b: str, moh_class: str | None = None) -> None:
        self._call("start_bridge_moh", b)

    async def stop_bridge_moh(self, b: str) -> None:
        self._call("stop_bridge_moh", b)

    async def originate(self, endpoint: str, **kw: Any) -> None:
        self._call("originate", endpoint, kw["channel_id"], kw["timeout"], kw.get("app_args"))

    async def record_bridge(self, b: str, name: str, **kw: Any) -> None:
        self._call("record_bridge", b, name)

    async def stop_recording(self, name: str) -> None:
        self._call("stop_recording", name)

    async def set_variable(self, ch: str, name: str, value: str) -> None:
        self._call("set_variable", ch, name, value)

    async def continue_in_dialplan(self, ch: str, **kw: Any) -> None:
        self._call("continue_in_dialplan", ch, kw.get("context"), kw.get("extension"))

    async def list_channels(self) -> list[Channel]:
        self._call("list_channels")
        return list(self.channels.values())


class ManualClock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t
