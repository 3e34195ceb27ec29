"""The records the call core keeps: one :class:`Call` per inbound call, one :class:`Leg`
per originated channel (agent legs, callback customer legs), and the runtime options."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..ivr import Collect, Session
from ..types import DataValue


class Phase(str, enum.Enum):
    """Where a call is in its life (``ended``: nothing more happens to it)."""

    FRONT_DOOR = "front_door"  # a shared number: the caller picks the tenant
    IVR = "ivr"
    QUEUED = "queued"
    OFFERING = "offering"
    CONNECTED = "connected"
    CALLBACK = "callback"  # registered for a callback; the caller has hung up
    ENDED = "ended"


@dataclass
class Leg:
    """A channel the runtime originated for ``call``: ``kind`` ``agent`` or ``customer``.

    ``current`` is False once the offer it carries was revoked or resolved otherwise: any
    later event of the leg only tidies up.
    """

    channel: str
    call: str
    agent: str
    kind: Literal["agent", "customer"] = "agent"
    state: Literal["ringing", "up", "gone"] = "ringing"
    current: bool = True
    born: int = 0


@dataclass
class Call:
    """One call the runtime handles (a voice call from a caller channel)."""

    id: str
    channel: str | None
    dnis: str
    caller: str | None
    caller_name: str | None
    started: float
    born: int = 0
    tenant: str | None = None
    phase: Phase = Phase.IVR
    session: Session | None = None
    caller_up: bool = True
    queue: str | None = None
    agent: str | None = None
    leg: str | None = None
    customer_leg: str | None = None
    hold: str | None = None
    mix: str | None = None
    attempts: int = 0
    playback_seq: int = 0
    playbacks: set[str] = field(default_factory=set)
    play_guard: float | None = None
    deferred: list[Any] = field(default_factory=list)
    collect: Collect | None = None
    buffer: str = ""
    collect_deadline: float | None = None
    front: Literal["choice", "code"] | None = None
    front_tries: int = 0
    callback: bool = False
    callback_number: str | None = None
    last_announce: float | None = None
    announce_at: float | None = None
    recording: str | None = None
    recording_duration: float | None = None
    outcome_pending: tuple[str, float, dict[str, Any]] | None = None
    outcome_guard: float | None = None
    outcome_done: bool = False
    auto_answer: bool = False
    restored: bool = False
    data: dict[str, DataValue] = field(default_factory=dict)

    def next_playback(self) -> str:
        """A fresh playback id built from the call id."""
        self.playback_seq += 1
        return f"{self.id}-p{self.playback_seq}"


@dataclass
class Task:
    """A non-voice task (chat, email, web callback request) submitted over the API."""

    id: str
    tenant: str
    media: str
    queue: str | None
    agent: str | None = None
    state: Literal["waiting", "offered", "connected"] = "waiting"


@dataclass(frozen=True)
class Options:
    """How the runtime talks to the PBX (defaults match the README's dialplan).

    ``exit_action``: what an engine ``Exit`` does to the caller: ``dialplan`` (continue at
    ``exit_context``, extension = the exit reason: ``max_wait``, ``closed``, ``no_agents``)
    or ``hangup``. Voicemail and IVR transfers continue at ``voicemail_context`` /
    ``transfer_context`` with the box / destination as extension. Callbacks ring the agent,
    then ``callback_endpoint`` formatted with the customer's number. ``id_prefix`` starts
    every call id (None: the runtime picks one unique to this run, so call ids never repeat
    across restarts on one journal).
    """

    app: str = "callroute"
    id_prefix: str | None = None
    moh_class: str | None = None
    exit_action: Literal["dialplan", "hangup"] = "dialplan"
    exit_context: str = "callroute-exit"
    voicemail_context: str = "callroute-voicemail"
    transfer_context: str = "callroute-transfer"
    callback_endpoint: str = "Local/{number}@callroute-callback"
    sorry_prompt: str = "callroute-sorry"
    ring_timeout: int = 30
    playback_guard: float = 120.0
    recording_guard: float = 10.0
    front_door_tries: int = 3
    front_door_timeout: float = 6.0
    prompt_media: Mapping[str, str] = field(default_factory=dict)


def engine_data(values: Mapping[str, Any]) -> dict[str, DataValue]:
    """Attached data the engine takes: str keys; str, int, float or bool values.

    ``None`` is dropped, a non-finite float becomes its text, and anything else (a lookup's
    dict or list) its JSON text, cut at 1,000 characters.
    """
    out: dict[str, DataValue] = {}
    for key, value in values.items():
        if not isinstance(key, str) or value is None:
            continue
        if isinstance(value, (bool, str, int)):
            out[key] = value
        elif isinstance(value, float):
            out[key] = value if math.isfinite(value) else str(value)
        else:
            out[key] = json.dumps(value, default=str, sort_keys=True)[:1000]
    return out


def safe_number(text: str | None) -> str | None:
    """``text`` if it is a phone number (digits, optional leading +, 2 to 20 digits)."""
    if not text:
        return None
    digits = text[1:] if text.startswith("+") else text
    if digits.isascii() and digits.isdigit() and 2 <= len(digits) <= 20:
        return text
    return None
