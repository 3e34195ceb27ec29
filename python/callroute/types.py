"""Type aliases shared by the layers (the bottom layer: it imports nothing of callroute).

The native module's stubs (``_core.pyi``) use them too, so they live here rather than in
:mod:`callroute.engine`, which imports the native module.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = [
    "AgentState",
    "CallState",
    "DataValue",
    "ExitReason",
    "RevokeReason",
    "Seconds",
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
