"""Flow nodes and the branch conditions they test."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .._internal.checks import _Problems, _show, _tuple
from ..hours import BusinessHours, _zone, local_time

_MENU_KEYS = frozenset("0123456789*#")


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
        local = local_time(when, ZoneInfo(self.zone) if self.zone else None)
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
