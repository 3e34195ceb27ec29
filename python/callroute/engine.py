"""The routing engine: skill-based automatic call distribution, in Rust.

:class:`Engine` is a deterministic state machine. Every input carries the current time
``now`` (float seconds from any monotonic clock; never earlier than a time already seen) and
returns the decisions it causes, in order::

    eng = callroute.Engine(seed=1)
    eng.add_queue("sales", skills={"sales": 5})
    eng.add_agent("alice", skills={"sales": 7})
    eng.agent_ready("alice", 0.0)        # [AgentStateChanged("alice", "ready", None)]
    eng.call_arrived("c1", 1.0, queue="sales")
    # [Offer("c1", "alice", "sales", expires=16.0, callback=False),
    #  AgentStateChanged("alice", "offered", None)]

Timers (offer timeouts, relaxation steps, max wait, wrap-up, retries) fire only in
:meth:`Engine.advance`; :meth:`Engine.next_deadline` says when to call it.

Decisions are frozen value objects that compare equal by value and support ``match``::

    for d in decisions:
        match d:
            case callroute.Offer(call, agent):
                ring(agent, call)
            case callroute.Queued(call, queue, position, expected_wait):
                announce(call, position)

Contract details (``help(Engine.method)`` gives each method's arguments, result and errors):

* Errors: every input is validated before anything changes, so after an
  :class:`~callroute.errors.EngineError` the engine is exactly as it was.
* ``agent_state(agent)`` is the state's name (``logged_out``, ``ready``, ``offered``,
  ``busy``, ``wrapup``, ``not_ready``); ``agent_reason(agent)`` is the not-ready reason
  (``"break"``, ``"no answer"``, ...) or ``None``, as in :class:`AgentStateChanged`;
  ``agent_skills(agent)`` is ``{skill: level}`` as ``add_agent`` or the last
  ``set_agent_skills`` gave them, in skill-name order.
* Auto-answer: an agent added with ``add_agent(..., auto_answer=True)`` answers by itself.
  Its offers come as ``Offer(..., auto_answer=True)`` with ``expires`` the time of the offer;
  the call is connected already (the agent goes ``ready`` -> ``busy``, never ``offered``),
  so there is nothing to accept or decline: report ``call_ended`` when the call ends.
* ``feed(events)`` applies a batch under one lock: each event is a tuple
  ``(method, *args)`` or ``(method, *args, kwargs)`` naming one of the event methods
  (``Engine.EVENT_METHODS``: every method that takes an event, from ``add_queue`` to
  ``advance``); it returns all decisions concatenated. The first
  bad event (index ``N``, counted from 0) raises its error with the message prefixed
  ``"event N: "``; the events before it stay applied, and the exception carries them:
  ``err.applied`` (how many) and ``err.decisions`` (their decisions).
* Attached data (``call_arrived(..., data={...})``): str keys; str, int, float or bool
  values (:data:`DataValue`), each read back with its type; anything else is a
  :class:`~callroute.errors.ParameterError` naming the entry.
* Custom scorer (``strategy="custom"``): ``set_scorer(fn)`` with ``fn(call: CallView,
  agents: list[str]) -> sequence of float``, one score per candidate (highest wins, ties to
  the earlier candidate). If ``fn`` raises or returns junk the engine offers to the first
  candidate, counts the failure in ``scorer_failures``, and the call that triggered it
  issues a :class:`RuntimeWarning` whose ``__cause__`` is the scorer's exception (under
  ``-W error`` the warning is raised, after the event was applied).
  ``KeyboardInterrupt``, ``SystemExit`` (any ``BaseException`` that is not an
  ``Exception``) and :class:`~callroute.errors.ReentrancyError` are not swallowed: the
  decision being scored falls back as for a failure, the rest of the engine call goes on
  without running the scorer again (every such decision counts in ``scorer_failures``), and
  then the call raises the error, with its decisions in ``err.decisions`` (a ``feed`` stops
  after the interrupted event: ``err.applied`` counts it). The engine stays consistent.
  A scorer may call other engines, but not its own engine, nor an engine whose scorer is
  (through any chain of engines, in any thread) waiting for this one: such a call would wait
  forever, so it raises :class:`~callroute.errors.ReentrancyError` inside the scorer.
  The scorer is not part of snapshots: install it again after :meth:`Engine.restore`.
* Threads: an engine may be shared by threads; calls are serialized by a lock that is
  waited for without holding the GIL. ``feed`` releases the GIL for the batch when no
  Python scorer is installed.
* Snapshots: ``snapshot()`` returns bytes from which ``Engine.restore`` continues
  identically (engines also pickle through it); it encodes with the GIL released. The
  bytes carry a format version and a CRC-32: ``restore`` refuses another version
  ("unsupported snapshot version N (this build reads M)"), extra or missing bytes and any
  corruption with a :class:`~callroute.errors.SnapshotError` (docs/engine.md, "Snapshots").
"""

from __future__ import annotations

from typing import TypeAlias

from ._core import (
    AgentStateChanged,
    AgentStats,
    CallInfo,
    CallView,
    Engine,
    Exit,
    IntervalStats,
    Offer,
    Overflow,
    Queued,
    QueueStats,
    Revoked,
    StepReached,
    Totals,
)
from .types import (
    AgentState,
    CallState,
    DataValue,
    ExitReason,
    QueueSpec,
    RevokeReason,
    Seconds,
    StepSpec,
    Strategy,
)

__all__ = [
    "AgentState",
    "AgentStateChanged",
    "AgentStats",
    "CallInfo",
    "CallState",
    "CallView",
    "DataValue",
    "Decision",
    "Engine",
    "Exit",
    "ExitReason",
    "IntervalStats",
    "Offer",
    "Overflow",
    "QueueSpec",
    "QueueStats",
    "Queued",
    "RevokeReason",
    "Revoked",
    "Seconds",
    "StepReached",
    "StepSpec",
    "Strategy",
    "Totals",
]

Decision: TypeAlias = Offer | Queued | Revoked | Overflow | Exit | StepReached | AgentStateChanged
"""Any decision of the engine."""
