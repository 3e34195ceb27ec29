"""IVR scripting: call flows as data or Python, run by one sans-I/O interpreter.

A :class:`Flow` is a named graph of nodes (:class:`MenuNode`, :class:`AuthenticateNode`,
:class:`QueueNode`, ...). A :class:`Session` walks one call through a flow: it is *fed*
events (:class:`Digits`, :class:`Timeout`, :class:`PlaybackDone`, :class:`HungUp`,
:class:`LookupResult`) and *emits* actions (:class:`Play`, :class:`Collect`,
:class:`SetData`, :class:`Route`, :class:`OfferCallback`, :class:`Voicemail`,
:class:`Transfer`, :class:`Hangup`, :class:`Lookup`). The session does no I/O and reads no
clock: every call takes ``now`` (float seconds on any monotonic clock of the caller's
choosing), and branches on the wall clock (time of day, business hours) ask the ``clock``
callable passed to the session, which maps ``now`` to a :class:`~datetime.datetime`.

Actions of one batch are to be carried out in order (play, then collect, ...). A batch ends
either with a terminal action (:class:`Route`, :class:`OfferCallback`, :class:`Voicemail`,
:class:`Transfer`, :class:`Hangup`; the session is then :attr:`Session.finished`) or with
an action the session waits on:

- :class:`Collect` waits for :class:`Digits` (what the caller entered) or :class:`Timeout`
  (nothing entered within ``Collect.timeout``);
- :class:`Lookup` waits for :class:`LookupResult` (run the hook, e.g. with
  :func:`run_lookup`) or :class:`Timeout`;
- :class:`Play` from a ``PlayNode(wait=True)`` waits for :class:`PlaybackDone` (or
  :class:`Timeout`, treated alike).

Events the current wait does not consume (digits while a lookup runs, a late
:class:`LookupResult` whose ``token`` is not the pending one, :class:`PlaybackDone` while
collecting) are ignored and yield no actions. :class:`HungUp` ends the session in any state.

Flows from configuration go through :func:`parse_flow`, which reports every problem with its
path (``ivr.main.nodes.menu1.options.3: unknown node "foo"``) in one
:class:`~callroute.errors.ConfigError` (one problem per line). Flows built in Python
(``Flow("main", start=..., nodes={...})``) are validated the same way on construction.
:meth:`Flow.lint` warns about nodes that cannot be reached or never end.

Secrets: the PIN of :class:`AuthenticateNode` is collected with ``Collect(secret=True)``;
build the answer with :meth:`Session.digits` (or ``Digits(text, secret=True)``) and its repr
masks the digits. The session passes the PIN to the verifier and keeps it nowhere: not in
:attr:`Session.data`, reprs, log records or exception messages.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from types import MappingProxyType
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo

from .errors import ConfigError, InvalidEventError, TimeError

__all__ = [
    "Action",
    "AuthenticateNode",
    "BranchNode",
    "BusinessHours",
    "CallbackNode",
    "Collect",
    "CollectNode",
    "Condition",
    "DataTest",
    "Digits",
    "Event",
    "Flow",
    "Hangup",
    "HangupNode",
    "HoursNode",
    "HungUp",
    "Lookup",
    "LookupNode",
    "LookupResult",
    "MenuNode",
    "Node",
    "OfferCallback",
    "OpenHours",
    "Outcome",
    "Play",
    "PlayNode",
    "PlaybackDone",
    "QueueNode",
    "Route",
    "Rule",
    "Session",
    "SetData",
    "SetDataNode",
    "TimeOfDay",
    "Timeout",
    "Transfer",
    "TransferNode",
    "Voicemail",
    "VoicemailNode",
    "parse_flow",
    "run_lookup",
]

_log = logging.getLogger("callroute.ivr")

#: Keys of a telephone keypad (DTMF tones); ``A``-``D`` exist on some phones only.
DTMF = frozenset("0123456789*#ABCD")
_MENU_KEYS = frozenset("0123456789*#")
DEFAULT_STEP_LIMIT = 1000
_NO_INPUT = "no_valid_input"


# --------------------------------------------------------------------------------------
# Actions (what the session asks the adapter to do)


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
    the digits. Raises :class:`~callroute.errors.InvalidEventError` for other characters.
    """

    text: str
    secret: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidEventError(f"Digits.text must be a str, got {type(self.text).__name__}")
        if not set(self.text) <= DTMF:
            raise InvalidEventError("Digits.text may only hold DTMF characters 0-9 * # A-D")

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


# --------------------------------------------------------------------------------------
# Validation helpers


class _Problems:
    """Collects ``path: message`` lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        # One problem per line: escape what str.splitlines() would split on.
        line = f"{path}: {message}"
        self.lines.append("".join(c if c.isprintable() else repr(c)[1:-1] for c in line))

    def text(self, path: str, value: object, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            self.add(path, f"must be a non-empty string, got {_show(value)}")

    def number(self, path: str, value: object, *, positive: bool = False) -> None:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and math.isfinite(value) and (value > 0 if positive else value >= 0):  # type: ignore[operator, arg-type]
            return
        self.add(
            path, f"must be a finite number {'> 0' if positive else '>= 0'}, got {_show(value)}"
        )

    def integer(self, path: str, value: object, *, minimum: int) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return
        self.add(path, f"must be an integer >= {minimum}, got {_show(value)}")

    def flag(self, path: str, value: object) -> None:
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, got {_show(value)}")

    def ref(
        self, path: str, value: object, names: Collection[str], *, optional: bool = False
    ) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            self.add(path, f"must be a node name, got {_show(value)}")
        elif value not in names:
            self.add(path, f'unknown node "{value}"')

    def names(self, path: str, value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(s, str) and s for s in value):
            self.add(path, f"must be a list of non-empty strings, got {_show(value)}")

    def terminator(self, path: str, value: object) -> None:
        if value is not None and (not isinstance(value, str) or value not in ("#", "*")):
            self.add(path, f'must be "#", "*" or null, got {_show(value)}')

    def digit_range(self, path: str, low: object, high: object) -> None:
        self.integer(f"{path}.min_digits", low, minimum=1)
        self.integer(f"{path}.max_digits", high, minimum=1)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.add(f"{path}.max_digits", f"must be >= min_digits ({low}), got {high}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ConfigError("\n".join(self.lines))


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tuple(value: object) -> object:
    """Lists become tuples (so frozen nodes stay immutable); anything else is kept."""
    return tuple(value) if isinstance(value, list) else value


# --------------------------------------------------------------------------------------
# Business hours


_DayName = Literal[
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
"""A day of the week as configurations write it (matched case-insensitively): the seven
short names from Monday, then the seven long ones, an order the two tuples below rely on."""
_DAY_NAMES: tuple[str, ...] = get_args(_DayName)[:7]
_LONG_DAY_NAMES: tuple[str, ...] = get_args(_DayName)[7:]
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _day_index(name: object) -> int | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in _DAY_NAMES:
        return _DAY_NAMES.index(key)
    if key in _LONG_DAY_NAMES:
        return _LONG_DAY_NAMES.index(key)
    return None


def _parse_range(value: object, path: str, problems: _Problems) -> tuple[int, int] | None:
    """``"08:00-18:00"`` → minutes ``(480, 1080)``; ``24:00`` is allowed as the end."""
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        problems.add(path, f'must be a time range "HH:MM-HH:MM", got {_show(value)}')
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        problems.add(path, f"not a valid time of day: {_show(value)}")
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def _find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _zone(name: object, path: str, problems: _Problems) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        problems.add(path, f"must be an IANA time zone name, got {_show(name)}")
        return None
    zone = _find_zone(name)
    if zone is None:
        problems.add(path, f'unknown time zone "{name}"')
    return zone


def _local(when: datetime, zone: tzinfo | None) -> datetime:
    """``when`` in ``zone``; a naive ``when`` is taken as local time in ``zone`` already."""
    if zone is None:
        return when
    if when.tzinfo is None:
        return when.replace(tzinfo=zone)
    return when.astimezone(zone)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening hours: weekly ranges per weekday, holiday dates, one IANA time zone.

    ``weekly[d]`` holds the ``(start, end)`` minutes after local midnight that day ``d``
    (0 = Monday) is open, half-open ``[start, end)``, ``end`` up to 1440. On a date in
    ``holidays`` (local dates) it is closed all day. Build it with :meth:`from_spec`.
    """

    zone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        problems = _Problems()
        _zone(self.zone, "BusinessHours.zone", problems)
        if not isinstance(self.weekly, tuple) or len(self.weekly) != 7:
            problems.add("BusinessHours.weekly", "must be a tuple of 7 days (Monday first)")
        else:
            for d, ranges in enumerate(self.weekly):
                for start, end in ranges:
                    if not 0 <= start < end <= 1440:
                        problems.add(f"BusinessHours.weekly[{d}]", f"bad range {(start, end)}")
        if not all(isinstance(h, date) for h in self.holidays):
            problems.add("BusinessHours.holidays", "must hold dates")
        problems.raise_if_any()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], where: str = "business_hours") -> BusinessHours:
        """Build from a configuration mapping; raise ConfigError listing every problem.

        ``spec`` has ``timezone`` (IANA name, e.g. ``"Europe/Berlin"``), ``weekly`` (a
        mapping of day names ``mon``..``sun`` or ``monday``..``sunday`` to a list of
        ``"HH:MM-HH:MM"`` ranges; days left out are closed) and optional ``holidays`` (ISO
        date strings or :class:`~datetime.date`). Problems are reported as
        ``{where}.weekly.mon[1]: ...``.
        """
        hours, problems = _parse_hours(spec, where)
        problems.raise_if_any()
        assert hours is not None
        return hours

    def is_holiday(self, when: datetime) -> bool:
        """True when the local date of ``when`` is a holiday (naive ``when`` is local)."""
        return _local(when, ZoneInfo(self.zone)).date() in self.holidays

    def is_open(self, when: datetime) -> bool:
        """True when open at ``when`` (aware, or naive meaning local time in ``zone``)."""
        local = _local(when, ZoneInfo(self.zone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(start <= minute < end for start, end in self.weekly[local.weekday()])


def _parse_hours(spec: object, where: str) -> tuple[BusinessHours | None, _Problems]:
    problems = _Problems()
    if not isinstance(spec, Mapping):
        problems.add(where, f"must be a mapping, got {_show(spec)}")
        return None, problems
    for key in spec:
        if key not in ("timezone", "weekly", "holidays"):
            problems.add(f"{where}.{key}", "unknown key (expected timezone, weekly, holidays)")
    if "timezone" not in spec:
        problems.add(f"{where}.timezone", "missing")
    else:
        _zone(spec["timezone"], f"{where}.timezone", problems)
    weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    raw_weekly = spec.get("weekly", {})
    if not isinstance(raw_weekly, Mapping):
        problems.add(
            f"{where}.weekly", f"must be a mapping of day to ranges, got {_show(raw_weekly)}"
        )
        raw_weekly = {}
    for day, ranges in raw_weekly.items():
        path = f"{where}.weekly.{day}"
        index = _day_index(day)
        if index is None:
            problems.add(path, "unknown day (expected mon..sun)")
            continue
        if isinstance(ranges, str):
            ranges = [ranges]
        if not isinstance(ranges, list):
            problems.add(path, f'must be a list of "HH:MM-HH:MM" ranges, got {_show(ranges)}')
            continue
        for i, text in enumerate(ranges):
            parsed = _parse_range(text, f"{path}[{i}]", problems)
            if parsed is None:
                continue
            start, end = parsed
            if end <= start:
                problems.add(f"{path}[{i}]", "must end after it starts (split ranges at midnight)")
            elif any(s < end and start < e for s, e in weekly[index]):
                problems.add(f"{path}[{i}]", "overlaps another range of the same day")
            else:
                weekly[index].append(parsed)
    holidays: set[date] = set()
    raw_holidays = spec.get("holidays", [])
    if not isinstance(raw_holidays, list):
        problems.add(f"{where}.holidays", f"must be a list of dates, got {_show(raw_holidays)}")
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        if isinstance(item, date) and not isinstance(item, datetime):
            holidays.add(item)
            continue
        try:
            holidays.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            problems.add(f"{where}.holidays[{i}]", f"must be a date YYYY-MM-DD, got {_show(item)}")
    if problems.lines:
        return None, problems
    ordered = tuple(tuple(sorted(day)) for day in weekly)
    return BusinessHours(spec["timezone"], ordered, frozenset(holidays)), problems


# --------------------------------------------------------------------------------------
# Branch conditions


@dataclass(frozen=True, slots=True)
class DataTest:
    """A test on attached data ``key``.

    ``op`` is ``"equals"`` (the value equals ``value``), ``"in"`` (the value is one of the
    tuple ``value``), ``"exists"`` (the key is present if ``value`` is true, absent if
    false) or ``"regex"`` (the value is a string in which the pattern ``value`` is found,
    ``re.search`` semantics; anchor with ``^...$``).
    """

    key: str
    op: Literal["equals", "in", "exists", "regex"]
    value: Any = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _tuple(self.value))

    def holds(self, data: Mapping[str, Any]) -> bool:
        """Evaluate against ``data``."""
        if self.op == "exists":
            return (self.key in data) == bool(self.value)
        if self.key not in data:
            return False
        found = data[self.key]
        if self.op == "equals":
            return bool(found == self.value)
        if self.op == "in":
            return any(found == v for v in self.value)
        return isinstance(found, str) and re.search(self.value, found) is not None

    def _check(self, path: str, problems: _Problems) -> None:
        problems.text(f"{path}.data", self.key)
        if self.op not in ("equals", "in", "exists", "regex"):
            problems.add(path, f"unknown test {_show(self.op)} (equals, in, exists, regex)")
        elif self.op == "in" and not isinstance(self.value, tuple):
            problems.add(f"{path}.in", f"must be a list, got {_show(self.value)}")
        elif self.op == "exists":
            problems.flag(f"{path}.exists", self.value)
        elif self.op == "regex":
            if not isinstance(self.value, str):
                problems.add(f"{path}.regex", f"must be a string, got {_show(self.value)}")
            else:
                try:
                    re.compile(self.value)
                except re.error as exc:
                    problems.add(f"{path}.regex", f"bad regular expression: {exc}")


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """True from ``start`` (inclusive) to ``end`` (exclusive) local time on ``days``.

    ``days`` are weekday numbers (0 = Monday; all days if empty). ``zone`` is an IANA time
    zone the clock's datetime is converted to (None: use it as given). A range with
    ``end < start`` runs past midnight (``22:00-06:00``) and belongs to the day it starts.
    """

    start: time
    end: time
    days: frozenset[int] = frozenset()
    zone: str | None = None

    def holds(self, when: datetime) -> bool:
        """Evaluate at ``when``."""
        local = _local(when, ZoneInfo(self.zone) if self.zone else None)
        now = local.time().replace(tzinfo=None)
        start, end = self.start.replace(tzinfo=None), self.end.replace(tzinfo=None)
        if start < end:
            return (not self.days or local.weekday() in self.days) and start <= now < end
        day = local.weekday() if now >= start else (local.weekday() - 1) % 7
        return (not self.days or day in self.days) and (now >= start or now < end)

    def _check(self, path: str, problems: _Problems) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            problems.add(f"{path}.time", "start and end must be datetime.time values")
        elif self.start == self.end:
            problems.add(f"{path}.time", "start and end must differ")
        if not isinstance(self.days, frozenset) or not all(
            isinstance(d, int) and 0 <= d <= 6 for d in self.days
        ):
            problems.add(f"{path}.days", "must be weekdays (mon..sun)")
        if self.zone is not None:
            _zone(self.zone, f"{path}.tz", problems)


@dataclass(frozen=True, slots=True)
class OpenHours:
    """True when ``calendar`` is open (False on its holidays).

    ``calendar`` is a :class:`BusinessHours` or the name of one in the ``calendars``
    registry given to :class:`Session`.
    """

    calendar: BusinessHours | str

    def _check(self, path: str, problems: _Problems) -> None:
        if not isinstance(self.calendar, BusinessHours):
            problems.text(f"{path}.open", self.calendar)


Condition = DataTest | TimeOfDay | OpenHours


@dataclass(frozen=True, slots=True)
class Rule:
    """Go to node ``goto`` when ``when`` holds."""

    when: Condition
    goto: str


# --------------------------------------------------------------------------------------
# Nodes


class _Node:
    """Base of all nodes: the targets it may go to and whether it can end the call."""

    __slots__ = ()

    def targets(self) -> tuple[str, ...]:
        """Names of the nodes this node may continue with."""
        return ()

    def can_end(self) -> bool:
        """True when the call may end at this node."""
        return False

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class PlayNode(_Node):
    """Play ``prompt``, then continue with ``next``.

    With ``wait`` the session waits for :class:`PlaybackDone` (or :class:`Timeout`) first;
    without, it continues at once (the adapter plays the batch's actions in order).
    """

    prompt: str
    next: str
    wait: bool = False

    def targets(self) -> tuple[str, ...]:
        return (self.next,)

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.prompt", self.prompt)
        problems.ref(f"{path}.next", self.next, names)
        problems.flag(f"{path}.wait", self.wait)


@dataclass(frozen=True, slots=True)
class MenuNode(_Node):
    """Play ``prompt`` and collect one key; ``options`` maps keys (0-9 * #) to nodes.

    No key within ``timeout`` seconds plays ``no_input_prompt`` (if set), a key not in
    ``options`` plays ``invalid_prompt`` (if set); both then replay the menu, up to
    ``retries`` times (so ``retries + 1`` tries in all). After that the call goes to
    ``failure``, or hangs up with reason ``"no_valid_input"`` when ``failure`` is None.
    Of several digits in one :class:`Digits`, the first counts.
    """

    prompt: str
    options: Mapping[str, str]
    timeout: float = 5.0
    retries: int = 2
    invalid_prompt: str | None = None
    no_input_prompt: str | None = None
    failure: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.options, Mapping):
            object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def targets(self) -> tuple[str, ...]:
        found = tuple(v for v in self.options.values() if isinstance(v, str))
        return (*found, self.failure) if self.failure else found

    def can_end(self) -> bool:
        return self.failure is None

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.prompt", self.prompt)
        if not isinstance(self.options, Mapping) or not self.options:
            problems.add(
                f"{path}.options", f"must be a non-empty mapping, got {_show(self.options)}"
            )
        else:
            for key, target in self.options.items():
                if not isinstance(key, str) or key not in _MENU_KEYS:
                    problems.add(f"{path}.options.{key}", "must be one key: 0-9, * or #")
                problems.ref(f"{path}.options.{key}", target, names)
        problems.number(f"{path}.timeout", self.timeout, positive=True)
        problems.integer(f"{path}.retries", self.retries, minimum=0)
        problems.text(f"{path}.invalid_prompt", self.invalid_prompt, optional=True)
        problems.text(f"{path}.no_input_prompt", self.no_input_prompt, optional=True)
        problems.ref(f"{path}.failure", self.failure, names, optional=True)


@dataclass(frozen=True, slots=True)
class CollectNode(_Node):
    """Collect ``min_digits``..``max_digits`` digits into attached data ``key``.

    Plays ``prompt`` (if set) and emits :class:`Collect`. Input that is too short or too
    long or holds keys other than 0-9 and ``*`` (``#`` too when it is not the
    ``terminator``) plays ``invalid_prompt`` and asks again; so does a :class:`Timeout`.
    After ``retries`` repeats the call goes to ``failure`` (None: hang up with reason
    ``"no_valid_input"``); valid input is stored and the call continues with ``next``.
    """

    key: str
    next: str
    prompt: str | None = None
    min_digits: int = 1
    max_digits: int = 20
    terminator: str | None = "#"
    timeout: float = 5.0
    retries: int = 2
    invalid_prompt: str | None = None
    failure: str | None = None

    def targets(self) -> tuple[str, ...]:
        return (self.next, self.failure) if self.failure else (self.next,)

    def can_end(self) -> bool:
        return self.failure is None

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.key", self.key)
        problems.ref(f"{path}.next", self.next, names)
        problems.text(f"{path}.prompt", self.prompt, optional=True)
        problems.digit_range(path, self.min_digits, self.max_digits)
        problems.terminator(f"{path}.terminator", self.terminator)
        problems.number(f"{path}.timeout", self.timeout, positive=True)
        problems.integer(f"{path}.retries", self.retries, minimum=0)
        problems.text(f"{path}.invalid_prompt", self.invalid_prompt, optional=True)
        problems.ref(f"{path}.failure", self.failure, names, optional=True)


Verifier = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class AuthenticateNode(_Node):
    """Authenticate the caller by number (or data ``identity_key``) and a secret PIN.

    ``verifier`` is a callable ``verify(identity, pin) -> bool`` or the name of one in the
    ``verifiers`` registry given to :class:`Session`. Each try plays ``prompt`` and emits
    ``Collect(max_digits, min_digits, terminator, timeout, secret=True)``; a PIN of the
    wrong length, a :class:`Timeout`, a verifier answer other than ``True`` and a verifier
    that raises all count as a failed attempt (``invalid_prompt`` is played before the next
    try). On success attached data ``result_key`` becomes True and the call goes to
    ``success``; after ``max_attempts`` failures it becomes False and the call goes to
    ``lockout``; without an identity (withheld number) it goes to ``lockout`` at once.
    The PIN is never stored.
    """

    verifier: str | Verifier
    success: str
    lockout: str
    prompt: str = "enter_pin"
    invalid_prompt: str | None = None
    max_attempts: int = 3
    min_digits: int = 4
    max_digits: int = 8
    terminator: str | None = "#"
    timeout: float = 10.0
    identity_key: str | None = None
    result_key: str = "authenticated"

    def targets(self) -> tuple[str, ...]:
        return (self.success, self.lockout)

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        if not callable(self.verifier):
            problems.text(f"{path}.verifier", self.verifier)
        problems.ref(f"{path}.success", self.success, names)
        problems.ref(f"{path}.lockout", self.lockout, names)
        problems.text(f"{path}.prompt", self.prompt)
        problems.text(f"{path}.invalid_prompt", self.invalid_prompt, optional=True)
        problems.integer(f"{path}.max_attempts", self.max_attempts, minimum=1)
        problems.digit_range(path, self.min_digits, self.max_digits)
        problems.terminator(f"{path}.terminator", self.terminator)
        problems.number(f"{path}.timeout", self.timeout, positive=True)
        problems.text(f"{path}.identity_key", self.identity_key, optional=True)
        problems.text(f"{path}.result_key", self.result_key)


@dataclass(frozen=True, slots=True)
class BranchNode(_Node):
    """Go to the ``goto`` of the first rule whose condition holds, else to ``default``."""

    rules: tuple[Rule, ...]
    default: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", _tuple(self.rules))

    def targets(self) -> tuple[str, ...]:
        return (*(r.goto for r in self.rules), self.default)

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        if not isinstance(self.rules, tuple):
            problems.add(f"{path}.rules", f"must be a list of rules, got {_show(self.rules)}")
        else:
            for i, rule in enumerate(self.rules):
                if not isinstance(rule, Rule) or not isinstance(
                    rule.when, (DataTest, TimeOfDay, OpenHours)
                ):
                    problems.add(f"{path}.rules[{i}]", "must be a Rule with a condition")
                    continue
                rule.when._check(f"{path}.rules[{i}]", problems)
                problems.ref(f"{path}.rules[{i}].goto", rule.goto, names)
        problems.ref(f"{path}.default", self.default, names)


@dataclass(frozen=True, slots=True)
class HoursNode(_Node):
    """Go to ``open`` when ``calendar`` is open, ``holiday`` on its holidays (``closed``
    when ``holiday`` is None) and ``closed`` otherwise.

    ``calendar`` is a :class:`BusinessHours` or the name of one in the ``calendars``
    registry given to :class:`Session`.
    """

    calendar: BusinessHours | str
    open: str
    closed: str
    holiday: str | None = None

    def targets(self) -> tuple[str, ...]:
        both = (self.open, self.closed)
        return (*both, self.holiday) if self.holiday else both

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        if not isinstance(self.calendar, BusinessHours):
            problems.text(f"{path}.calendar", self.calendar)
        problems.ref(f"{path}.open", self.open, names)
        problems.ref(f"{path}.closed", self.closed, names)
        problems.ref(f"{path}.holiday", self.holiday, names, optional=True)


@dataclass(frozen=True, slots=True)
class SetDataNode(_Node):
    """Attach ``values`` to the call (one :class:`SetData` each, in order); go to ``next``."""

    values: Mapping[str, Any]
    next: str

    def __post_init__(self) -> None:
        if isinstance(self.values, Mapping):
            object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def targets(self) -> tuple[str, ...]:
        return (self.next,)

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        if not isinstance(self.values, Mapping) or not self.values:
            problems.add(f"{path}.values", f"must be a non-empty mapping, got {_show(self.values)}")
        else:
            for key in self.values:
                problems.text(f"{path}.values.{key}", key)
        problems.ref(f"{path}.next", self.next, names)


@dataclass(frozen=True, slots=True)
class LookupNode(_Node):
    """Ask the lookup hook ``name`` (e.g. a CRM query) and wait up to ``timeout`` seconds.

    The request holds ``caller``, ``dnis`` and the attached data keys listed in ``inputs``
    (those present). On success the value is stored in data ``store`` (if set) and the call
    goes to ``next``. On an error result, a :class:`Timeout` or a result later than
    ``timeout``, ``default`` is stored in ``store`` (when both are set) and the call goes to
    ``fallback`` (``next`` when None).
    """

    name: str
    next: str
    inputs: tuple[str, ...] = ()
    store: str | None = None
    timeout: float = 2.0
    fallback: str | None = None
    default: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", _tuple(self.inputs))

    def targets(self) -> tuple[str, ...]:
        return (self.next, self.fallback) if self.fallback else (self.next,)

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.name", self.name)
        problems.ref(f"{path}.next", self.next, names)
        problems.names(f"{path}.inputs", self.inputs)
        problems.text(f"{path}.store", self.store, optional=True)
        problems.number(f"{path}.timeout", self.timeout, positive=True)
        problems.ref(f"{path}.fallback", self.fallback, names, optional=True)


@dataclass(frozen=True, slots=True)
class QueueNode(_Node):
    """End: play ``prompt`` (if set) and emit :class:`Route` with the attached data."""

    queue: str
    skills: tuple[str, ...] = ()
    priority: int = 0
    prompt: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _tuple(self.skills))

    def can_end(self) -> bool:
        return True

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.queue", self.queue)
        problems.names(f"{path}.skills", self.skills)
        problems.integer(f"{path}.priority", self.priority, minimum=0)
        problems.text(f"{path}.prompt", self.prompt, optional=True)


@dataclass(frozen=True, slots=True)
class CallbackNode(_Node):
    """End: play ``prompt`` (if set) and emit :class:`OfferCallback`.

    The number is attached data ``number_key`` when set and present, else the caller's.
    """

    queue: str
    skills: tuple[str, ...] = ()
    priority: int = 0
    number_key: str | None = None
    prompt: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _tuple(self.skills))

    def can_end(self) -> bool:
        return True

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.queue", self.queue)
        problems.names(f"{path}.skills", self.skills)
        problems.integer(f"{path}.priority", self.priority, minimum=0)
        problems.text(f"{path}.number_key", self.number_key, optional=True)
        problems.text(f"{path}.prompt", self.prompt, optional=True)


@dataclass(frozen=True, slots=True)
class VoicemailNode(_Node):
    """End: play ``prompt`` (if set) and emit :class:`Voicemail`."""

    box: str
    prompt: str | None = None

    def can_end(self) -> bool:
        return True

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.box", self.box)
        problems.text(f"{path}.prompt", self.prompt, optional=True)


@dataclass(frozen=True, slots=True)
class TransferNode(_Node):
    """End: play ``prompt`` (if set) and emit :class:`Transfer`."""

    destination: str
    prompt: str | None = None

    def can_end(self) -> bool:
        return True

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.destination", self.destination)
        problems.text(f"{path}.prompt", self.prompt, optional=True)


@dataclass(frozen=True, slots=True)
class HangupNode(_Node):
    """End: play ``prompt`` (if set) and emit :class:`Hangup`."""

    reason: str = "normal"
    prompt: str | None = None

    def can_end(self) -> bool:
        return True

    def _check(self, path: str, problems: _Problems, names: Collection[str]) -> None:
        problems.text(f"{path}.reason", self.reason)
        problems.text(f"{path}.prompt", self.prompt, optional=True)


Node = (
    PlayNode
    | MenuNode
    | CollectNode
    | AuthenticateNode
    | BranchNode
    | HoursNode
    | SetDataNode
    | LookupNode
    | QueueNode
    | CallbackNode
    | VoicemailNode
    | TransferNode
    | HangupNode
)
_NODE_TYPES: dict[str, type[_Node]] = {
    "play": PlayNode,
    "menu": MenuNode,
    "collect": CollectNode,
    "authenticate": AuthenticateNode,
    "branch": BranchNode,
    "hours": HoursNode,
    "set": SetDataNode,
    "lookup": LookupNode,
    "queue": QueueNode,
    "callback": CallbackNode,
    "voicemail": VoicemailNode,
    "transfer": TransferNode,
    "hangup": HangupNode,
}


# --------------------------------------------------------------------------------------
# Flows


@dataclass(frozen=True, slots=True)
class Flow:
    """A named IVR flow: ``nodes`` by name, entered at ``start``.

    ``step_limit`` caps node visits per session (a loop then hangs up with reason
    ``"step_limit"``). ``where`` is the path problems and lint warnings are reported
    under (default ``ivr.<name>``). Construction validates every node and reference and
    raises :class:`~callroute.errors.ConfigError` listing all problems, one per line.
    """

    name: str
    start: str
    nodes: Mapping[str, Node]
    step_limit: int = DEFAULT_STEP_LIMIT
    where: str = ""

    def __post_init__(self) -> None:
        self._normalize()
        problems = _Problems()
        _check_flow(self.where, self.name, self.start, self.nodes, self.step_limit, problems)
        problems.raise_if_any()

    def _normalize(self) -> None:
        if isinstance(self.nodes, Mapping):
            object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
        if not self.where:
            object.__setattr__(self, "where", f"ivr.{self.name}")

    @classmethod
    def _checked(
        cls, name: str, start: str, nodes: Mapping[str, Node], step_limit: int, where: str
    ) -> Flow:
        """A flow from parts :func:`parse_flow` has validated already: not checked again."""
        values = {
            "name": name,
            "start": start,
            "nodes": nodes,
            "step_limit": step_limit,
            "where": where,
        }
        flow = object.__new__(cls)
        # every field of the class, so that one added later without a value here fails at
        # once (KeyError) rather than staying unset
        for part in dataclasses.fields(cls):
            object.__setattr__(flow, part.name, values[part.name])
        flow._normalize()
        return flow

    @property
    def needs_clock(self) -> bool:
        """True when some node branches on the wall clock (time of day, business hours)."""
        for node in self.nodes.values():
            if isinstance(node, HoursNode):
                return True
            if isinstance(node, BranchNode) and any(
                isinstance(r.when, (TimeOfDay, OpenHours)) for r in node.rules
            ):
                return True
        return False

    def references(self) -> list[tuple[str, tuple[str | int, ...], str]]:
        """The names this flow uses that live outside it, as ``(kind, path, name)``.

        ``kind`` is ``"prompt"``, ``"queue"``, ``"skill"`` (skills a queue or callback node
        asks for), ``"hours"`` (calendars given by name), ``"verifier"`` (verifiers given by
        name) or ``"lookup"`` (hook names); ``path`` is
        the place inside the flow, e.g. ``("nodes", "menu1", "prompt")``. For checking a
        configuration's cross references.
        """
        found: list[tuple[str, tuple[str | int, ...], str]] = []
        for name, node in self.nodes.items():
            at: tuple[str | int, ...] = ("nodes", name)
            for key in ("prompt", "invalid_prompt", "no_input_prompt"):
                value = getattr(node, key, None)
                if isinstance(value, str):
                    found.append(("prompt", (*at, key), value))
            if isinstance(node, (QueueNode, CallbackNode)):
                found.append(("queue", (*at, "queue"), node.queue))
                found.extend(("skill", (*at, "skills", i), s) for i, s in enumerate(node.skills))
            elif isinstance(node, AuthenticateNode) and isinstance(node.verifier, str):
                found.append(("verifier", (*at, "verifier"), node.verifier))
            elif isinstance(node, LookupNode):
                found.append(("lookup", (*at, "name"), node.name))
        for path, calendar in self._calendar_names(relative=True):
            found.append(("hours", path, calendar))
        return found

    def _calendar_names(self, *, relative: bool = False) -> list[tuple[Any, str]]:
        """Calendars given by name: ``(path, name)``; path a string, or a tuple when
        ``relative``."""
        found: list[tuple[Any, str]] = []
        for name, node in self.nodes.items():
            places: list[tuple[tuple[str | int, ...], object]] = []
            if isinstance(node, HoursNode):
                places.append((("nodes", name, "calendar"), node.calendar))
            elif isinstance(node, BranchNode):
                for i, rule in enumerate(node.rules):
                    if isinstance(rule.when, OpenHours):
                        places.append((("nodes", name, "rules", i, "open"), rule.when.calendar))
            for path, calendar in places:
                if isinstance(calendar, str):
                    found.append((path if relative else _join(self.where, path), calendar))
        return found

    def lint(self) -> list[str]:
        """Warnings (``path: message``) for nodes unreachable from ``start`` and for nodes
        from which no end (queue, callback, voicemail, transfer, hangup, or a menu or
        collect without a ``failure`` node, which hangs up) can be reached."""
        reachable = _closure([self.start], lambda n: self.nodes[n].targets())
        predecessors: dict[str, list[str]] = {name: [] for name in self.nodes}
        for name, node in self.nodes.items():
            for target in node.targets():
                predecessors[target].append(name)
        ending = _closure(
            [n for n, node in self.nodes.items() if node.can_end()], lambda n: predecessors[n]
        )
        warnings = []
        for name in self.nodes:
            path = f"{self.where}.nodes.{name}"
            if name not in reachable:
                warnings.append(f"{path}: cannot be reached from start ({self.start})")
            if name not in ending:
                warnings.append(
                    f"{path}: never ends (no queue, callback, voicemail, transfer or hangup"
                    " can be reached from it)"
                )
        return warnings


def _join(where: str, path: tuple[str | int, ...]) -> str:
    text = where
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _closure(seeds: list[str], step: Callable[[str], Collection[str]]) -> set[str]:
    seen = set(seeds)
    todo = list(seeds)
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_flow(
    where: str, name: object, start: object, nodes: object, step_limit: object, problems: _Problems
) -> None:
    problems.text(f"{where}.name", name)
    problems.integer(f"{where}.step_limit", step_limit, minimum=1)
    if not isinstance(nodes, Mapping) or not nodes:
        problems.add(f"{where}.nodes", f"must be a non-empty mapping of nodes, got {_show(nodes)}")
        return
    problems.ref(f"{where}.start", start, nodes)
    for key, node in nodes.items():
        path = f"{where}.nodes.{key}"
        if not isinstance(key, str) or not key:
            problems.add(path, "node names must be non-empty strings")
        if not isinstance(node, _Node):
            problems.add(path, f"must be a node, got {_show(node)}")
        else:
            node._check(path, problems, nodes)


def _flow_path(name: str, where: str) -> str:
    if where == name or where.endswith(f".{name}"):
        return where
    return f"{where}.{name}"


def parse_flow(
    name: str,
    spec: Mapping[str, Any],
    where: str = "ivr",
    *,
    calendars: Mapping[str, BusinessHours] | None = None,
) -> Flow:
    """Build the flow ``name`` from a configuration mapping, validating everything.

    ``spec`` has ``start`` (a node name), ``nodes`` (name → node mapping, each with a
    ``type``: ``play``, ``menu``, ``collect``, ``authenticate``, ``branch``, ``hours``,
    ``set``, ``lookup``, ``queue``, ``callback``, ``voicemail``, ``transfer``, ``hangup``;
    the other keys are the fields of the node class, e.g. ``MenuNode``) and an optional
    ``step_limit``. Branch rules are mappings with ``goto`` and one test: ``data: KEY``
    with ``equals``, ``in``, ``exists`` or ``regex``; ``time: "HH:MM-HH:MM"`` with
    optional ``days`` (``[mon, fri]``) and ``tz``; or ``open: CALENDAR``. A calendar
    (``hours`` node ``calendar``, rule ``open``) is a :meth:`BusinessHours.from_spec`
    mapping or a name: with ``calendars`` given, names must be in it and are resolved;
    without, they are kept for :class:`Session` (``calendars=``) to resolve and listed by
    :meth:`Flow.references`. Menu option keys may be integers (YAML).

    ``where`` is the path of the mapping that holds the flows: problems read
    ``{where}.{name}.nodes.menu1.options.3: unknown node "foo"``. A ``where`` that already
    ends with ``.{name}`` (``tenants.bank.ivr.main``) is the flow's own path and is used
    as is. Raises :class:`~callroute.errors.ConfigError` listing every problem, one per
    line; returns the flow (whose :attr:`Flow.where` is that path) otherwise.
    """
    path = _flow_path(name, where)
    problems = _Problems()
    if not isinstance(spec, Mapping):
        problems.add(path, f"must be a mapping with start and nodes, got {_show(spec)}")
        problems.raise_if_any()
    for key in spec:
        if key not in ("start", "nodes", "step_limit"):
            problems.add(f"{path}.{key}", "unknown key (expected start, nodes, step_limit)")
    if "start" not in spec:
        problems.add(f"{path}.start", "missing")
    raw_nodes = spec.get("nodes")
    nodes: dict[str, Node] = {}
    declared: set[str] = set()
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        problems.add(
            f"{path}.nodes", f"must be a non-empty mapping of nodes, got {_show(raw_nodes)}"
        )
        raw_nodes = {}
    declared = {k for k in raw_nodes if isinstance(k, str) and k}
    for key, node_spec in raw_nodes.items():
        node_path = f"{path}.nodes.{key}"
        if not isinstance(key, str) or not key:
            problems.add(node_path, "node names must be non-empty strings")
            continue
        node = _parse_node(node_spec, node_path, problems, calendars)
        if node is not None:
            node._check(node_path, problems, declared)
            nodes[key] = cast(Node, node)
    if "start" in spec:
        problems.ref(f"{path}.start", spec["start"], declared)
    step_limit = spec.get("step_limit", DEFAULT_STEP_LIMIT)
    problems.integer(f"{path}.step_limit", step_limit, minimum=1)
    problems.raise_if_any()
    # The above is everything Flow() checks but the name (reported only when all else is
    # valid, as Flow() would): build the flow without checking it all again.
    problems.text(f"{path}.name", name)
    problems.raise_if_any()
    return Flow._checked(name, spec["start"], nodes, step_limit, path)


def _parse_node(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> _Node | None:
    if not isinstance(spec, Mapping):
        problems.add(path, f"must be a mapping with a type, got {_show(spec)}")
        return None
    kind = spec.get("type")
    cls = _NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        problems.add(f"{path}.type", f"must be one of {', '.join(_NODE_TYPES)}, got {_show(kind)}")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    ok = True
    for key, value in spec.items():
        if key == "type":
            continue
        if key not in fields:
            problems.add(f"{path}.{key}", f"unknown key for a {kind} node")
            ok = False
            continue
        kwargs[key] = _tuple(value)
    for fname, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and fname not in spec:
            problems.add(f"{path}.{fname}", "missing")
            ok = False
    if not ok:
        return None
    if cls is MenuNode and isinstance(kwargs.get("options"), Mapping):
        kwargs["options"] = {
            (str(k) if isinstance(k, int) and not isinstance(k, bool) else k): v
            for k, v in kwargs["options"].items()
        }
    if cls is HoursNode:
        calendar = _calendar(kwargs["calendar"], f"{path}.calendar", problems, calendars)
        if calendar is None:
            return None
        kwargs["calendar"] = calendar
    if cls is BranchNode:
        rules = _parse_rules(kwargs["rules"], f"{path}.rules", problems, calendars)
        if rules is None:
            return None
        kwargs["rules"] = rules
    return cls(**kwargs)


def _calendar(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> BusinessHours | str | None:
    if isinstance(spec, str) and spec:
        if calendars is None:
            return spec
        if spec not in calendars:
            problems.add(path, f'unknown business hours "{spec}"')
            return None
        return calendars[spec]
    hours, found = _parse_hours(spec, path)
    problems.lines.extend(found.lines)
    return hours


_RULE_TESTS = ("equals", "in", "exists", "regex")


def _parse_rules(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> tuple[Rule, ...] | None:
    if not isinstance(spec, tuple):
        problems.add(path, f"must be a list of rules, got {_show(spec)}")
        return None
    rules = []
    for i, raw in enumerate(spec):
        rule_path = f"{path}[{i}]"
        if not isinstance(raw, Mapping):
            problems.add(rule_path, f"must be a mapping, got {_show(raw)}")
            continue
        kinds = [k for k in ("data", "time", "open") if k in raw]
        if len(kinds) != 1:
            problems.add(rule_path, "needs exactly one of data, time, open")
            continue
        allowed = {"goto", kinds[0]} | {
            "data": set(_RULE_TESTS),
            "time": {"days", "tz"},
            "open": set(),
        }[kinds[0]]
        unknown = [str(k) for k in raw if k not in allowed]
        for key in unknown:
            problems.add(f"{rule_path}.{key}", "unknown key for this rule")
        if "goto" not in raw:
            problems.add(f"{rule_path}.goto", "missing")
        condition = _parse_condition(kinds[0], raw, rule_path, problems, calendars)
        if condition is not None and not unknown and "goto" in raw:
            rules.append(Rule(condition, raw["goto"]))
    return tuple(rules) if len(rules) == len(spec) else None


def _parse_condition(
    kind: str,
    raw: Mapping[str, Any],
    path: str,
    problems: _Problems,
    calendars: Mapping[str, BusinessHours] | None,
) -> Condition | None:
    if kind == "data":
        tests = [t for t in _RULE_TESTS if t in raw]
        if len(tests) != 1:
            problems.add(path, "a data rule needs exactly one of equals, in, exists, regex")
            return None
        op = tests[0]
        return DataTest(raw["data"], op, raw[op])  # type: ignore[arg-type]
    if kind == "open":
        calendar = _calendar(raw["open"], f"{path}.open", problems, calendars)
        return OpenHours(calendar) if calendar is not None else None
    parsed = _parse_range(raw["time"], f"{path}.time", problems)
    days: set[int] = set()
    raw_days = _tuple(raw.get("days", ()))
    if not isinstance(raw_days, tuple):
        raw_days = (raw_days,)
    for j, day in enumerate(raw_days):
        index = _day_index(day)
        if index is None:
            problems.add(f"{path}.days[{j}]", f"unknown day {_show(day)} (expected mon..sun)")
        else:
            days.add(index)
    zone = raw.get("tz")
    if zone is not None:
        _zone(zone, f"{path}.tz", problems)
    if parsed is None or len(days) != len(raw_days) or parsed[1] > 1439:
        if parsed is not None and parsed[1] > 1439:
            problems.add(f"{path}.time", "use 00:00 for midnight as an end")
        return None
    start = time(parsed[0] // 60, parsed[0] % 60)
    end = time(parsed[1] // 60, parsed[1] % 60)
    return TimeOfDay(start, end, frozenset(days), zone)


# --------------------------------------------------------------------------------------
# Sessions


OutcomeKind = Literal[
    "queued", "callback", "voicemail", "transfer", "hangup", "caller_hangup", "step_limit"
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a session ended.

    ``kind`` is ``"queued"`` (:class:`Route`), ``"callback"``, ``"voicemail"``,
    ``"transfer"``, ``"hangup"`` (the flow hung up), ``"caller_hangup"`` (:class:`HungUp`)
    or ``"step_limit"``. ``node`` is the node it ended in (None before any), ``action``
    the terminal action emitted (None for ``caller_hangup``), ``steps`` the node visits
    and ``at`` the ``now`` it ended at.
    """

    kind: OutcomeKind
    node: str | None
    action: Action | None
    steps: int
    at: float


_KIND_OF: dict[type, OutcomeKind] = {
    Route: "queued",
    OfferCallback: "callback",
    Voicemail: "voicemail",
    Transfer: "transfer",
    Hangup: "hangup",
}

Wait = Literal["digits", "playback", "lookup"]


class Session:
    """One call walking through a :class:`Flow`; sans-I/O and single-threaded.

    ``clock`` maps the caller's ``now`` to a :class:`~datetime.datetime` for branches on
    time of day and business hours (aware datetimes are converted to each branch's time
    zone; naive ones are taken as local time there); it is required when
    :attr:`Flow.needs_clock`. ``verifiers`` resolves :class:`AuthenticateNode` verifiers
    given by name, ``calendars`` business hours given by name. ``step_limit`` overrides
    :attr:`Flow.step_limit`.

    Raises :class:`~callroute.errors.ConfigError` for a bad argument, a missing clock or
    verifier. :meth:`start` and :meth:`feed` raise only
    :class:`~callroute.errors.InvalidEventError` (not an event, not started, started
    twice, already finished, bad ``caller``/``dnis``/``data``),
    :class:`~callroute.errors.TimeError` (``now`` not finite or going backwards) and
    :class:`~callroute.errors.ConfigError` (the clock returned no datetime); the session is
    unchanged after any of them. Exceptions raised by ``clock`` itself propagate.
    """

    __slots__ = (
        "_attempts",
        "_calendars",
        "_clock",
        "_data",
        "_deadline",
        "_finished",
        "_node",
        "_now",
        "_outcome",
        "_path",
        "_started",
        "_step_limit",
        "_steps",
        "_token",
        "_verifiers",
        "_wait",
        "caller",
        "dnis",
        "flow",
    )

    def __init__(
        self,
        flow: Flow,
        *,
        clock: Callable[[float], datetime] | None = None,
        verifiers: Mapping[str, Verifier] | None = None,
        calendars: Mapping[str, BusinessHours] | None = None,
        step_limit: int | None = None,
    ) -> None:
        problems = _Problems()
        if not isinstance(flow, Flow):
            raise ConfigError(f"Session: flow must be a Flow, got {type(flow).__name__}")
        if step_limit is not None:
            problems.integer("Session.step_limit", step_limit, minimum=1)
        if clock is not None and not callable(clock):
            problems.add("Session.clock", "must be callable")
        if clock is None and flow.needs_clock:
            problems.add(f"{flow.where}", "branches on the wall clock: pass Session(clock=...)")
        registry = dict(verifiers or {})
        resolved: dict[str, Verifier] = {}
        for name, node in flow.nodes.items():
            if isinstance(node, AuthenticateNode):
                if callable(node.verifier):
                    resolved[name] = node.verifier
                elif callable(registry.get(node.verifier)):
                    resolved[name] = registry[node.verifier]
                else:
                    problems.add(
                        f"{flow.where}.nodes.{name}.verifier",
                        f'no verifier "{node.verifier}" in Session(verifiers=...)',
                    )
        known = dict(calendars or {})
        for path, name in flow._calendar_names():
            if not isinstance(known.get(name), BusinessHours):
                problems.add(path, f'no business hours "{name}" in Session(calendars=...)')
        problems.raise_if_any()
        self._calendars = known
        self.flow = flow
        #: The caller's number (None when withheld) and the number dialled, from start().
        self.caller: str | None = None
        self.dnis: str | None = None
        self._clock = clock
        self._verifiers = resolved
        self._step_limit = step_limit if step_limit is not None else flow.step_limit
        self._data: dict[str, Any] = {}
        self._started = False
        self._finished = False
        self._outcome: Outcome | None = None
        self._node: str | None = None
        self._wait: Wait | None = None
        self._attempts = 0
        self._steps = 0
        self._path: list[str] = []
        self._now = 0.0
        self._token = 0
        self._deadline = 0.0

    def __repr__(self) -> str:
        state = self._outcome.kind if self._outcome else (self._wait or "new")
        return (
            f"<Session flow={self.flow.name!r} node={self._node!r} state={state}"
            f" steps={self._steps}>"
        )

    # ----- read-only state

    @property
    def finished(self) -> bool:
        """True once the session ended (a terminal action, a hang-up, the step limit)."""
        return self._finished

    @property
    def outcome(self) -> Outcome | None:
        """How the session ended; None while it runs."""
        return self._outcome

    @property
    def data(self) -> Mapping[str, Any]:
        """The attached data (a read-only live view): start data, collected digits, set
        values, lookup results, authentication result. Never holds a PIN."""
        return MappingProxyType(self._data)

    @property
    def node(self) -> str | None:
        """The node the session is in (or ended in); None before start."""
        return self._node

    @property
    def waiting_for(self) -> Wait | None:
        """``"digits"``, ``"playback"``, ``"lookup"``, or None (not started or finished)."""
        return None if self._finished else self._wait

    @property
    def expects_secret(self) -> bool:
        """True while the session waits for a secret (a PIN)."""
        node = self.flow.nodes.get(self._node or "")
        return self.waiting_for == "digits" and isinstance(node, AuthenticateNode)

    @property
    def steps(self) -> int:
        """Node visits so far (at most the step limit)."""
        return self._steps

    @property
    def path(self) -> tuple[str, ...]:
        """The nodes visited, in order."""
        return tuple(self._path)

    def digits(self, text: str) -> Digits:
        """A :class:`Digits` event for ``text``, marked secret when :attr:`expects_secret`."""
        return Digits(text, secret=self.expects_secret)

    # ----- driving

    def start(
        self,
        now: float,
        *,
        caller: str | None = None,
        dnis: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> list[Action]:
        """Enter the flow at its start node; return the first batch of actions.

        ``caller`` is the calling number (None when withheld), ``dnis`` the number dialled,
        ``data`` initial attached data (copied).
        """
        if self._started:
            raise InvalidEventError("session already started")
        self._check_now(now)
        for label, value in (("caller", caller), ("dnis", dnis)):
            if value is not None and not isinstance(value, str):
                raise InvalidEventError(f"{label} must be a str or None")
        if data is not None and not isinstance(data, Mapping):
            raise InvalidEventError("data must be a mapping")
        if data is not None and not all(isinstance(k, str) for k in data):
            raise InvalidEventError("data keys must be strings")
        self._started = True
        self.caller, self.dnis = caller, dnis
        self._data = dict(data or {})
        self._now = float(now)
        out: list[Action] = []
        self._run(self.flow.start, out)
        return out

    def feed(self, event: Event, now: float) -> list[Action]:
        """Feed one event at ``now``; return the actions it causes (maybe none)."""
        if not isinstance(event, _EVENTS):
            raise InvalidEventError(f"not an IVR event: {type(event).__name__}")
        if not self._started:
            raise InvalidEventError("session not started: call start() first")
        if self._finished:
            raise InvalidEventError(
                f"session finished ({self._outcome.kind if self._outcome else '?'});"
                f" cannot feed {type(event).__name__}"
            )
        self._check_now(now)
        self._now = float(now)
        _log.debug("ivr %s: %s at node %s", self.flow.name, type(event).__name__, self._node)
        out: list[Action] = []
        if isinstance(event, HungUp):
            self._finish("caller_hangup", None)
            return out
        node = self.flow.nodes[self._node or ""]
        nxt: str | None = None
        if self._wait == "playback":
            if isinstance(event, (PlaybackDone, Timeout)):
                assert isinstance(node, PlayNode)
                nxt = node.next
        elif self._wait == "lookup":
            if isinstance(event, Timeout):
                nxt = self._lookup_failed(node)
            elif isinstance(event, LookupResult) and event.token in (None, self._token):
                nxt = self._lookup_done(node, event)
        elif isinstance(event, (Digits, Timeout)):
            text = event.text if isinstance(event, Digits) else None
            if isinstance(node, MenuNode):
                nxt = self._menu_input(node, text, out)
            elif isinstance(node, CollectNode):
                nxt = self._collect_input(node, text, out)
            elif isinstance(node, AuthenticateNode):
                nxt = self._pin_input(node, text, out)
        if nxt is not None:
            self._wait = None
            self._run(nxt, out)
        return out

    def _check_now(self, now: object) -> None:
        if isinstance(now, bool) or not isinstance(now, (int, float)):
            raise TimeError(f"now must be a number, got {type(now).__name__}")
        if not math.isfinite(now):
            raise TimeError(f"now must be finite, got {now}")
        if self._started and now < self._now:
            raise TimeError(f"now went backwards: {now} < {self._now}")

    def _finish(self, kind: OutcomeKind, action: Action | None) -> None:
        self._finished = True
        self._wait = None
        self._outcome = Outcome(kind, self._node, action, self._steps, self._now)
        _log.debug("ivr %s: ended %s at node %s", self.flow.name, kind, self._node)

    def _end(self, action: Action, out: list[Action]) -> None:
        out.append(action)
        self._finish(_KIND_OF[type(action)], action)

    def _run(self, name: str, out: list[Action]) -> None:
        """Visit nodes from ``name`` until one waits or ends the call."""
        nxt: str | None = name
        while nxt is not None:
            if self._steps >= self._step_limit:
                out.append(Hangup("step_limit"))
                self._finish("step_limit", out[-1])
                return
            self._steps += 1
            self._node = nxt
            self._path.append(nxt)
            self._attempts = 0
            _log.debug("ivr %s: enter node %s", self.flow.name, nxt)
            nxt = self._visit(self.flow.nodes[nxt], out)

    def _visit(self, node: Node, out: list[Action]) -> str | None:
        if isinstance(node, PlayNode):
            out.append(Play(node.prompt))
            if node.wait:
                self._wait = "playback"
                return None
            return node.next
        if isinstance(node, MenuNode):
            self._ask_menu(node, out)
            return None
        if isinstance(node, CollectNode):
            self._ask_collect(node, out)
            return None
        if isinstance(node, AuthenticateNode):
            if not self._identity(node):
                self._data[node.result_key] = False
                return node.lockout
            self._ask_pin(node, out)
            return None
        if isinstance(node, BranchNode):
            for rule in node.rules:
                if self._holds(rule.when):
                    return rule.goto
            return node.default
        if isinstance(node, HoursNode):
            when = self._wall()
            calendar = self._calendar(node.calendar)
            if node.holiday is not None and calendar.is_holiday(when):
                return node.holiday
            return node.open if calendar.is_open(when) else node.closed
        if isinstance(node, SetDataNode):
            for key, value in node.values.items():
                self._data[key] = value
                out.append(SetData(key, value))
            return node.next
        if isinstance(node, LookupNode):
            self._token += 1
            request = {"caller": self.caller, "dnis": self.dnis}
            request.update({k: self._data[k] for k in node.inputs if k in self._data})
            out.append(Lookup(node.name, request, node.timeout, self._token))
            self._deadline = self._now + node.timeout
            self._wait = "lookup"
            return None
        self._terminal(node, out)
        return None

    def _terminal(self, node: Node, out: list[Action]) -> None:
        prompt = getattr(node, "prompt", None)
        if prompt is not None:
            out.append(Play(prompt))
        if isinstance(node, QueueNode):
            self._end(Route(node.queue, node.skills, node.priority, self._data), out)
        elif isinstance(node, CallbackNode):
            number = self._data.get(node.number_key) if node.number_key else None
            number = number if isinstance(number, str) and number else self.caller
            self._end(
                OfferCallback(node.queue, number, node.skills, node.priority, self._data), out
            )
        elif isinstance(node, VoicemailNode):
            self._end(Voicemail(node.box), out)
        elif isinstance(node, TransferNode):
            self._end(Transfer(node.destination), out)
        else:
            assert isinstance(node, HangupNode)
            self._end(Hangup(node.reason), out)

    # ----- menus and digit collection

    def _ask_menu(self, node: MenuNode, out: list[Action]) -> None:
        out.append(Play(node.prompt))
        out.append(Collect(1, 1, None, node.timeout))
        self._wait = "digits"

    def _retry(
        self, retries: int, failure: str | None, prompt: str | None, out: list[Action]
    ) -> bool:
        """Count a failed try; True to ask again, False when out of tries (then the call
        goes to ``failure``, or hangs up when there is none)."""
        self._attempts += 1
        if self._attempts > retries:
            if failure is None:
                self._end(Hangup(_NO_INPUT), out)
            return False
        if prompt is not None:
            out.append(Play(prompt))
        return True

    def _menu_input(self, node: MenuNode, text: str | None, out: list[Action]) -> str | None:
        if text and text[0] in node.options:
            return node.options[text[0]]
        prompt = node.invalid_prompt if text else node.no_input_prompt
        if self._retry(node.retries, node.failure, prompt, out):
            self._ask_menu(node, out)
            return None
        return node.failure

    def _ask_collect(self, node: CollectNode, out: list[Action]) -> None:
        if node.prompt is not None:
            out.append(Play(node.prompt))
        out.append(Collect(node.max_digits, node.min_digits, node.terminator, node.timeout))
        self._wait = "digits"

    def _collect_input(self, node: CollectNode, text: str | None, out: list[Action]) -> str | None:
        value = _entered(text, node.terminator, node.min_digits, node.max_digits)
        if value is not None:
            self._data[node.key] = value
            return node.next
        if self._retry(node.retries, node.failure, node.invalid_prompt, out):
            self._ask_collect(node, out)
            return None
        return node.failure

    # ----- authentication

    def _identity(self, node: AuthenticateNode) -> str | None:
        if node.identity_key is None:
            return self.caller or None
        value = self._data.get(node.identity_key)
        return value if isinstance(value, str) and value else None

    def _ask_pin(self, node: AuthenticateNode, out: list[Action]) -> None:
        out.append(Play(node.prompt))
        out.append(
            Collect(node.max_digits, node.min_digits, node.terminator, node.timeout, secret=True)
        )
        self._wait = "digits"

    def _pin_input(self, node: AuthenticateNode, text: str | None, out: list[Action]) -> str | None:
        pin = _entered(text, node.terminator, node.min_digits, node.max_digits)
        if pin is not None and self._verify(node, pin):
            self._data[node.result_key] = True
            return node.success
        del pin
        if self._retry(node.max_attempts - 1, node.lockout, node.invalid_prompt, out):
            self._ask_pin(node, out)
            return None
        self._data[node.result_key] = False
        _log.info("ivr %s: authentication locked out at node %s", self.flow.name, self._node)
        return node.lockout

    def _verify(self, node: AuthenticateNode, pin: str) -> bool:
        identity = self._identity(node)
        if identity is None:
            return False
        try:
            return self._verifiers[self._node or ""](identity, pin) is True
        except Exception as exc:  # a broken verifier is a failed attempt; never leak the PIN
            _log.warning(
                "ivr %s: verifier of node %s raised %s",
                self.flow.name,
                self._node,
                type(exc).__name__,
            )
            return False

    # ----- lookups and the wall clock

    def _lookup_done(self, node: Node, result: LookupResult) -> str:
        assert isinstance(node, LookupNode)
        if not result.ok or self._now > self._deadline:
            return self._lookup_failed(node)
        if node.store is not None:
            self._data[node.store] = result.value
        return node.next

    def _lookup_failed(self, node: Node) -> str:
        assert isinstance(node, LookupNode)
        if node.store is not None and node.default is not None:
            self._data[node.store] = node.default
        return node.fallback or node.next

    def _wall(self) -> datetime:
        assert self._clock is not None  # checked in __init__ (needs_clock)
        when = self._clock(self._now)
        if not isinstance(when, datetime):
            raise ConfigError(f"Session.clock must return a datetime, got {type(when).__name__}")
        return when

    def _holds(self, condition: Condition) -> bool:
        if isinstance(condition, DataTest):
            return condition.holds(self._data)
        if isinstance(condition, OpenHours):
            return self._calendar(condition.calendar).is_open(self._wall())
        return condition.holds(self._wall())

    def _calendar(self, calendar: BusinessHours | str) -> BusinessHours:
        return calendar if isinstance(calendar, BusinessHours) else self._calendars[calendar]


def _entered(text: str | None, terminator: str | None, low: int, high: int) -> str | None:
    """The digits of ``text`` up to ``terminator`` if their count is in ``[low, high]`` and
    they are keypad digits (``0-9``, ``*``, and ``#`` when not the terminator); else None."""
    if text is None:
        return None
    if terminator is not None and terminator in text:
        text = text[: text.index(terminator)]
    allowed = set("0123456789*#") - {terminator}
    if low <= len(text) <= high and set(text) <= allowed:
        return text
    return None


# --------------------------------------------------------------------------------------
# Running lookup hooks (the imperative shell's helper)


def run_lookup(
    action: Lookup, hooks: Mapping[str, Callable[[Mapping[str, Any]], Any]]
) -> LookupResult:
    """Run the hook ``hooks[action.name](action.request)`` in a daemon thread, waiting at
    most ``action.timeout`` seconds; return the :class:`LookupResult` to feed back.

    The result carries ``action.token``. A missing hook gives ``error="unknown lookup
    hook"``, a hook that raises ``error="<ExceptionType>: <message>"``, a hook still
    running at the timeout ``error="timeout"`` (the thread is abandoned, not killed).
    """
    hook = hooks.get(action.name)
    if hook is None:
        return LookupResult(error=f'unknown lookup hook "{action.name}"', token=action.token)
    box: list[LookupResult] = []

    def call() -> None:
        try:
            box.append(LookupResult(value=hook(action.request), token=action.token))
        except Exception as exc:
            box.append(LookupResult(error=f"{type(exc).__name__}: {exc}", token=action.token))

    worker = threading.Thread(target=call, name=f"callroute-lookup-{action.name}", daemon=True)
    worker.start()
    worker.join(action.timeout)
    return box[0] if box else LookupResult(error="timeout", token=action.token)
