"""Type aliases shared by the layers (the bottom layer: it imports nothing of callroute).

The native module's stubs (``_core.pyi``) use them too, so they live here rather than in
:mod:`callroute.engine`, which imports the native module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias, TypedDict

__all__ = [
    "AgentState",
    "CallState",
    "DataValue",
    "ExitReason",
    "QueueSpec",
    "RevokeReason",
    "Seconds",
    "StepSpec",
    "Strategy",
]

Seconds: TypeAlias = float
"""A time or a duration in seconds. Engine times are on the caller's clock (any monotonic
clock, never going backwards); durations are seconds."""

DataValue: TypeAlias = str | int | float | bool
"""A value of a call's attached data (``call_arrived(data=...)``); it comes back as it went
in (``CallInfo.data``, ``CallView.data``, ``Offer.data``). An int must fit 64 bits."""

Strategy: TypeAlias = Literal[
    "longest_idle",
    "round_robin",
    "fewest_calls",
    "least_talk_time",
    "highest_proficiency",
    "linear",
    "random",
    "weighted_random",
    "custom",
]
"""How a queue picks among the agents who can take a call (``Engine.add_queue(strategy=)``)."""

AgentState: TypeAlias = Literal["logged_out", "ready", "offered", "busy", "wrapup", "not_ready"]
"""An agent's state in the engine (``Engine.agent_state``, ``AgentStateChanged.state``). The
not-ready reason (``"break"``, the engine's own ``"no answer"``, ...) is free text."""

CallState: TypeAlias = Literal["waiting", "offered", "connected"]
"""Where an active call is (``CallInfo.state``)."""

RevokeReason: TypeAlias = Literal["no_answer", "abandoned", "transferred", "logged_out"]
"""Why an offer was taken back (``Revoked.reason``)."""

ExitReason: TypeAlias = Literal["max_wait", "closed", "no_agents"]
"""Why a call left a queue unanswered (``Exit.reason``)."""


class _StepAfter(TypedDict):
    after: Seconds


class StepSpec(_StepAfter, total=False):
    """A relaxation step of a queue: from ``after`` seconds in the queue on, the call's
    ``skills`` requirement is replaced (None: kept), agents of ``also_queues`` may take it
    too, and ``priority`` is added to its priority. Each step inherits the previous one."""

    skills: Mapping[str, int] | None
    also_queues: Sequence[str]
    priority: int


class QueueSpec(TypedDict, total=False):
    """The keyword arguments of :meth:`callroute.Engine.add_queue`: the one spelling of a
    queue's settings (the center file's queues validate into one, ``Engine.add_queue(name,
    **spec)`` takes it). Every key is optional; ``help(Engine.add_queue)`` and
    docs/engine.md give the defaults and their meaning. Times are :data:`Seconds`."""

    tenant: str
    media: str
    skills: Mapping[str, int] | None
    strategy: Strategy
    sl_threshold: Seconds
    short_abandon: Seconds
    wrapup: Seconds
    offer_timeout: Seconds
    retry: Seconds
    max_wait: Seconds | None
    overflow: str | None
    steps: Sequence[StepSpec]
    weight: int
    aging: float
    max_no_answer: int
    join_empty: bool
    leave_when_empty: bool
    shared_with: Sequence[str]
    expected_aht: Seconds
