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

from ..hours import BusinessHours
from .flow import DEFAULT_STEP_LIMIT, Flow
from .lookup import run_lookup
from .messages import (
    DTMF,
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
    Rule,
    SetDataNode,
    TimeOfDay,
    TransferNode,
    VoicemailNode,
)
from .parse import parse_flow
from .session import Outcome, Session

__all__ = [
    "DEFAULT_STEP_LIMIT",
    "DTMF",
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
