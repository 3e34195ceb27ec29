"""State objects of the fake Asterisk: channels, bridges, playbacks, recordings, endpoints."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .shapes import party


@dataclass
class AgentScript:
    """How the far end of an originated endpoint behaves (see ``FakeAsterisk.set_agent``).

    ``answer_after``: seconds of ringing before the agent answers (``None``: never answers, the
    originate ``timeout`` ends it with cause 19). ``busy`` / ``congestion``: the far end is busy
    (Dial ``BUSY``, peer cause 17) or congested (Dial ``CONGESTION``, peer cause 34) after
    ``reject_after`` seconds. ``unreachable``: for a Local endpoint the extension does not exist
    (no Dial event, both halves destroyed with cause 0); for any other technology the originate
    fails with ``500 {"error":"Allocation failed"}``, as it does for an endpoint Asterisk cannot
    allocate. ``talk``: the agent hangs up that many seconds after answering. ``online``: the
    endpoint's state (``EndpointStateChange`` when it changes; offline endpoints are unreachable).
    ``amd``: for a called party (an outbound campaign's number), what answering-machine
    detection concludes when it answers (``HUMAN``, ``MACHINE``, ``NOTSURE``): ``AMDSTATUS`` and
    ``AMDCAUSE`` are set (``ChannelVarset``) on the Local peer, or the channel itself, before
    the answer reaches the app, as a dialplan ``AMD()`` ahead of ``Stasis()`` sets them.
    """

    answer_after: float | None = 2.0
    busy: bool = False
    congestion: bool = False
    unreachable: bool = False
    talk: float | None = None
    reject_after: float = 0.0
    online: bool = True
    amd: str | None = None


@dataclass
class FakeChannel:
    """One channel as Asterisk knows it (``json()`` gives the ARI Channel object)."""

    id: str
    name: str
    state: str
    caller: tuple[str, str]
    connected: tuple[str, str]
    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str
    creationtime: str
    #: caller (placed by the test), caller-half (its ;1 half), agent (originated into the
    #: app), peer (an originated Local leg's ;2 half)
    role: str
    #: the app receives this channel's events
    subscribed: bool = True
    in_stasis: bool = False
    #: created by ARI originate: keeps sending events after StasisEnd, ChannelDestroyed at the end
    originated: bool = False
    language: str = "en"
    variables: dict[str, str] = field(default_factory=dict)
    bridge: str | None = None
    peer: str | None = None
    #: a dialplan caller's other Local half (``;1``, the caller's phone): listed by
    #: GET /channels, never in the app, gone with the caller
    half: str | None = None
    endpoint: str = ""
    dialstring: str = ""
    args: list[str] = field(default_factory=list)
    answered_at: float | None = None
    dtmf_plan: list[tuple[float, str]] = field(default_factory=list)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    playbacks: set[str] = field(default_factory=set)
    alive: bool = True
    #: caller id a Local peer takes over from its leg's connected line, published (as
    #: ChannelCallerId) only when the peer is destroyed (README quirk 38)
    pending_caller: tuple[str, str] | None = None

    def json(self) -> dict[str, Any]:
        """The ARI ``Channel`` object, keys in Asterisk's order."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": "",
            "caller": party(*self.caller),
            "connected": party(*self.connected),
            "accountcode": "",
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": self.priority,
                "app_name": self.app_name,
                "app_data": self.app_data,
            },
            "creationtime": self.creationtime,
            "language": self.language,
        }


@dataclass
class FakeBridge:
    """One ARI bridge; ``channels`` keeps insertion order, JSON lists them sorted."""

    id: str
    bridge_type: str
    name: str
    creationtime: str
    technology: str
    channels: dict[str, None] = field(default_factory=dict)
    #: addChannel minus removeChannel: the app is subscribed while positive (README quirk 35)
    app_refs: int = 0
    moh: str | None = None
    recording: str | None = None
    recorder_name: str = ""
    announcer_name: str = ""
    playbacks: set[str] = field(default_factory=set)

    def json(self) -> dict[str, Any]:
        """The ARI ``Bridge`` object."""
        return {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": sorted(self.channels),
            "creationtime": self.creationtime,
            "video_mode": "talker",
        }

    def participants(self) -> int:
        """Channels plus the hidden Recorder/Announcer channels (they count for mixing)."""
        return len(self.channels) + (1 if self.recording else 0) + (1 if self.playbacks else 0)

    def retech(self) -> None:
        """Re-evaluate the mixing technology as Asterisk's smart bridge does."""
        if self.bridge_type != "mixing":
            return
        self.technology = "softmix" if self.participants() > 2 else "simple_bridge"


@dataclass
class FakePlayback:
    """One playback (``json()`` gives the ARI ``Playback`` object)."""

    id: str
    #: the media URIs to play in turn (``media=a,b`` or repeated ``media``)
    media: list[str]
    target_uri: str
    state: str = "queued"
    language: str = "en"
    timer: asyncio.TimerHandle | None = None
    #: unknown URI scheme: no PlaybackFinished ever, not even on hangup (README quirk 29)
    endless: bool = False
    index: int = 0

    @property
    def media_uri(self) -> str:
        """The media URI playing now."""
        return self.media[self.index]

    def json(self) -> dict[str, Any]:
        """The ARI ``Playback`` object (``next_media_uri`` while a list has more to play;
        ARI 10 model, no list playback in the transcripts)."""
        out: dict[str, Any] = {"id": self.id, "media_uri": self.media_uri}
        if self.index + 1 < len(self.media):
            out["next_media_uri"] = self.media[self.index + 1]
        out["target_uri"] = self.target_uri
        out["language"] = self.language
        out["state"] = self.state
        return out


@dataclass
class FakeRecording:
    """One live bridge recording (``json()`` gives the ARI ``LiveRecording`` object)."""

    name: str
    format: str
    target_uri: str
    bridge: str
    started: float
    state: str = "queued"
    duration: int | None = None
    timer: asyncio.TimerHandle | None = None

    def json(self) -> dict[str, Any]:
        """The ARI ``LiveRecording`` object (``duration`` only once finished)."""
        out: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        }
        if self.duration is not None:
            out["duration"] = self.duration
        return out
