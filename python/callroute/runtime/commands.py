"""What the call core asks the shell to do: PBX commands and a few runtime effects.

The core (:mod:`callroute.runtime.calls`) is sans-I/O: it returns these frozen values and the
service (:mod:`callroute.runtime.service`) carries them out with the PBX client, in order per
call. Every id in them (bridges, originated channels, playbacks, recordings) is built from a
call id chosen by the runtime, never from caller-controlled strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..ivr import Lookup


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer channel ``channel``."""

    channel: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """Hang up ``channel`` (``reason`` as ARI takes it: normal, busy, congestion, ...)."""

    channel: str
    reason: str = "normal"


@dataclass(frozen=True, slots=True)
class PlayChannel:
    """Play ``media`` (ARI media URIs, played in order) on ``channel``."""

    channel: str
    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True, slots=True)
class PlayBridge:
    """Play ``media`` into bridge ``bridge`` (every channel in it hears it)."""

    bridge: str
    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop playback ``playback_id`` (gone already is fine)."""

    playback_id: str


@dataclass(frozen=True, slots=True)
class CreateBridge:
    """Create bridge ``bridge`` of ``kind`` (``holding`` or ``mixing``)."""

    bridge: str
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class AddChannels:
    """Put ``channels`` into ``bridge``."""

    bridge: str
    channels: tuple[str, ...]
    role: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveChannel:
    """Take ``channel`` out of ``bridge``."""

    bridge: str
    channel: str


@dataclass(frozen=True, slots=True)
class DestroyBridge:
    """Destroy ``bridge``."""

    bridge: str


@dataclass(frozen=True, slots=True)
class StartMoh:
    """Music on hold in ``bridge`` (class ``moh_class``; None: the PBX default)."""

    bridge: str
    moh_class: str | None = None


@dataclass(frozen=True, slots=True)
class StopMoh:
    """Stop the music on hold of ``bridge``."""

    bridge: str


@dataclass(frozen=True, slots=True)
class Originate:
    """Ring ``endpoint`` into the Stasis app as channel ``channel`` for call ``call``.

    ``timeout`` is the ring time in whole seconds; ``originator`` the caller's channel (for
    the PBX's bookkeeping only: it does not link lifetimes).
    """

    call: str
    endpoint: str
    channel: str
    app_args: str
    timeout: int
    caller_id: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    originator: str | None = None


@dataclass(frozen=True, slots=True)
class RecordBridge:
    """Record bridge ``bridge`` as ``name`` (wav)."""

    bridge: str
    name: str


@dataclass(frozen=True, slots=True)
class StopRecording:
    """Stop live recording ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class SetVariable:
    """Set channel variable ``name`` on ``channel``."""

    channel: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ContinueInDialplan:
    """Leave the app: continue ``channel`` in the dialplan at ``context``/``extension``."""

    channel: str
    context: str | None = None
    extension: str | None = None
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class RunLookup:
    """Run the IVR lookup hook of ``action`` for ``call``; answer with its result."""

    call: str
    action: Lookup


@dataclass(frozen=True, slots=True)
class Publish:
    """An event for the screen-pop / supervisor streams (``tenant`` scopes it)."""

    event: Mapping[str, Any]
    tenant: str | None
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """The one outcome of ``call`` (exactly once per call)."""

    call: str
    outcome: str
    t: float
    detail: Mapping[str, Any]


Command = (
    Answer
    | Hangup
    | PlayChannel
    | PlayBridge
    | StopPlayback
    | CreateBridge
    | AddChannels
    | RemoveChannel
    | DestroyBridge
    | StartMoh
    | StopMoh
    | Originate
    | RecordBridge
    | StopRecording
    | SetVariable
    | ContinueInDialplan
    | RunLookup
    | Publish
    | RecordOutcome
)

#: Commands that talk to the PBX (the others are runtime effects).
PBX_COMMANDS = (
    Answer,
    Hangup,
    PlayChannel,
    PlayBridge,
    StopPlayback,
    CreateBridge,
    AddChannels,
    RemoveChannel,
    DestroyBridge,
    StartMoh,
    StopMoh,
    Originate,
    RecordBridge,
    StopRecording,
    SetVariable,
    ContinueInDialplan,
)
