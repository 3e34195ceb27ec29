"""Type aliases shared by the layers (the bottom layer: it imports nothing of callroute).

The native module's stubs (``_core.pyi``) use them too, so they live here rather than in
:mod:`callroute.engine`, which imports the native module.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["DataValue", "Strategy"]

DataValue: TypeAlias = str | int | float | bool
"""A value of a call's attached data (``call_arrived(data=...)``); it comes back as it went
in (``CallInfo.data``, ``CallView.data``). An int must fit 64 bits."""

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
