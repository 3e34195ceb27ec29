"""What a session and its adapter say to each other.

Actions go from the session to the adapter (play, collect, route, ...); events from the
adapter to the session (digits, timeout, playback done, hung up, lookup result).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import ParameterError

#: Keys of a telephone keypad (DTMF tones); ``A``-``D`` exist on some phones only.
DTMF = frozenset("0123456789*#ABCD")


@dataclass(frozen=True, slots=True)
class Play:
    """Play the prompt named ``prompt`` (the adapter maps names to recordings or TTS)."""

    prompt: str


@dataclass(frozen=True, slots=True)
class Collect:
    """Collect between ``min_digits`` and ``max_digits`` DTMF digits.

    Collection ends at ``max_digits``, at ``terminator`` (when not None; the terminator may
    be passed on in :class:`Digits`, the session strips it) or after ``timeout`` seconds of
    silence; answer with :class:`Digits` (what was entered) or :class:`Timeout` (nothing).
    ``secret`` marks a PIN: do not log the digits; answer with ``Digits(text, secret=True)``.
    """

    max_digits: int
    min_digits: int = 1
    terminator: str | None = "#"
    timeout: float = 5.0
    secret: bool = False


@dataclass(frozen=True, slots=True)
class SetData:
    """Attach ``key = value`` to the call (for the agent's screen pop)."""

    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Route:
    """Terminal: queue the call on ``queue`` with required ``skills`` and ``priority``.

    ``data`` is a read-only snapshot of the session's attached data for the screen pop.
    """

    queue: str
    skills: tuple[str, ...] = ()
    priority: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


@dataclass(frozen=True, slots=True)
class OfferCallback:
    """Terminal: register a callback to ``number`` (None: unknown) from ``queue``.

    ``skills``, ``priority`` and the ``data`` snapshot are as for :class:`Route`.
    """

    queue: str
    number: str | None
    skills: tuple[str, ...] = ()
    priority: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


@dataclass(frozen=True, slots=True)
class Voicemail:
    """Terminal: send the caller to voicemail box ``box``."""

    box: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Terminal: transfer the call to ``destination`` (a number or PBX endpoint)."""

    destination: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """Terminal: hang up; ``reason`` says why (``"normal"``, ``"step_limit"``, ...)."""

    reason: str = "normal"


@dataclass(frozen=True, slots=True)
class Lookup:
    """Run the lookup hook ``name`` with ``request``; answer with :class:`LookupResult`.

    Give the answer the same ``token`` (the session ignores results for other tokens) and
    send :class:`Timeout` (or an error result) if the hook takes longer than ``timeout``
    seconds; :func:`run_lookup` does all of this.
    """

    name: str
    request: Mapping[str, Any]
    timeout: float
    token: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "request", MappingProxyType(dict(self.request)))


Action = Play | Collect | SetData | Route | OfferCallback | Voicemail | Transfer | Hangup | Lookup


# --------------------------------------------------------------------------------------
# Events (what the adapter tells the session)


@dataclass(frozen=True, slots=True, repr=False)
class Digits:
    """The caller entered ``text`` (DTMF characters ``0-9 * # A-D``; may be empty).

    With ``secret=True`` (answering a ``Collect(secret=True)``) ``repr`` and ``str`` mask
    the digits. Raises :class:`~callroute.errors.ParameterError` for other characters.
    """

    text: str
    secret: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ParameterError(f"Digits.text must be a str, got {type(self.text).__name__}")
        if not set(self.text) <= DTMF:
            raise ParameterError("Digits.text may only hold DTMF characters 0-9 * # A-D")

    def __repr__(self) -> str:
        if self.secret:
            return f"Digits(text='{'*' * len(self.text)}', secret=True)"
        return f"Digits(text={self.text!r})"


@dataclass(frozen=True, slots=True)
class Timeout:
    """The wait the session is in ran out (no digits, no lookup answer, playback stuck)."""


@dataclass(frozen=True, slots=True)
class PlaybackDone:
    """The last :class:`Play` finished."""


@dataclass(frozen=True, slots=True)
class HungUp:
    """The caller hung up; the session ends with outcome ``"caller_hangup"``."""


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer of a :class:`Lookup`: ``value`` on success, else ``error`` (a message).

    ``token`` is the :attr:`Lookup.token` answered; ``None`` answers whatever is pending.
    """

    value: Any = None
    error: str | None = None
    token: int | None = None

    @property
    def ok(self) -> bool:
        """True when the lookup succeeded (``error`` is None)."""
        return self.error is None


Event = Digits | Timeout | PlaybackDone | HungUp | LookupResult
_EVENTS = (Digits, Timeout, PlaybackDone, HungUp, LookupResult)
