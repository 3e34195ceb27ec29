"""One call walking through a flow: the sans-I/O interpreter."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from .._internal.checks import _Problems
from ..errors import InvalidEventError, ParameterError, TimeError
from ..hours import BusinessHours
from .flow import Flow
from .messages import (
    _EVENTS,
    Action,
    Collect,
    Digits,
    Event,
    Hangup,
    HungUp,
    Lookup,
    LookupResult,
    OfferCallback,
    Play,
    PlaybackDone,
    Route,
    SetData,
    Timeout,
    Transfer,
    Voicemail,
)
from .nodes import (
    AuthenticateNode,
    BranchNode,
    CallbackNode,
    CollectNode,
    Condition,
    DataTest,
    HangupNode,
    HoursNode,
    LookupNode,
    MenuNode,
    Node,
    OpenHours,
    PlayNode,
    QueueNode,
    SetDataNode,
    TransferNode,
    Verifier,
    VoicemailNode,
)

_log = logging.getLogger("callroute.ivr")
_NO_INPUT = "no_valid_input"


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

    Raises :class:`~callroute.errors.ParameterError` when ``flow`` is not a :class:`Flow`,
    :class:`~callroute.errors.ConfigError` (every problem listed) for a bad setting, a
    missing clock or verifier. :meth:`start` and :meth:`feed` raise only
    :class:`~callroute.errors.InvalidEventError` (not an event, not started, started
    twice, already finished), :class:`~callroute.errors.ParameterError` (bad
    ``caller``/``dnis``/``data``; the clock returned no datetime) and
    :class:`~callroute.errors.TimeError` (``now`` not finite or going backwards); the
    session is unchanged after any of them. Exceptions raised by ``clock`` itself propagate.
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
            raise ParameterError(f"Session: flow must be a Flow, got {type(flow).__name__}")
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
                raise ParameterError(f"{label} must be a str or None")
        if data is not None and not isinstance(data, Mapping):
            raise ParameterError("data must be a mapping")
        if data is not None and not all(isinstance(k, str) for k in data):
            raise ParameterError("data keys must be strings")
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
            raise ParameterError(f"Session.clock must return a datetime, got {type(when).__name__}")
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
