"""The imperative shell: routes real calls through a PBX (Asterisk ARI first).

:class:`Runtime` (``callroute serve``) owns one engine, a monotonic clock, the timer loop,
the IVR sessions and the mapping from engine decisions and IVR actions to PBX commands.
Its core, :class:`~callroute.runtime.calls.CallCore`, is sans-I/O: PBX events in, commands
out (:mod:`callroute.runtime.commands`); the service carries the commands out. Every
engine input can be journaled first (:mod:`callroute.runtime.journal`). Outbound campaigns
(:mod:`callroute.runtime.outbound`): ``Runtime(..., outbound=OutboundPlan(...))``.
"""

from __future__ import annotations

from .calls import CallCore
from .dialjournal import JournaledDialer
from .journal import Journal, JournaledEngine, JournalError
from .outbound import OutboundCore, OutboundOptions
from .service import Runtime
from .state import Call, Leg, Options, Phase

__all__ = [
    "Call",
    "CallCore",
    "Journal",
    "JournalError",
    "JournaledDialer",
    "JournaledEngine",
    "Leg",
    "Options",
    "OutboundCore",
    "OutboundOptions",
    "Phase",
    "Runtime",
]
