"""The exception hierarchy of callroute.

Every error callroute raises on purpose derives from :class:`CallrouteError`; errors about
bad input also derive from :class:`ValueError` (or :class:`LookupError` for unknown ids), so
``except ValueError`` keeps working.

The routing engine (:class:`callroute.Engine`) raises subclasses of :class:`EngineError`.
Every engine input is validated before anything changes, so after any of these errors the
engine is exactly as it was before the call.
"""

from __future__ import annotations

from functools import partial
from typing import Any

__all__ = [
    "CallrouteError",
    "ConfigError",
    "DuplicateIdError",
    "EngineError",
    "EngineInvariantError",
    "InfeasibleError",
    "InvalidEventError",
    "ModelError",
    "ParameterError",
    "PermissionDenied",
    "ReentrancyError",
    "SnapshotError",
    "TimeError",
    "UnknownIdError",
]


class CallrouteError(Exception):
    """Root of every exception raised by callroute."""


class ParameterError(CallrouteError, ValueError):
    """An argument is outside its domain; the message names it (and the array index)."""


class InfeasibleError(CallrouteError, ValueError):
    """A well-formed question has no answer in reach (e.g. no staffing meets a target)."""


class EngineError(CallrouteError):
    """Root of the errors of the routing engine; the engine is left unchanged."""


class TimeError(EngineError, ValueError):
    """A time that is not a real number, is NaN or infinite, or goes backwards."""


class UnknownIdError(EngineError, LookupError):
    """An agent, queue, call, tenant, media or skill the engine does not know."""


class DuplicateIdError(EngineError, ValueError):
    """An agent, queue or (active) call id that already exists."""


class InvalidEventError(EngineError, ValueError):
    """An event that does not fit the current state (accepting an offer never made, ...)."""


class ReentrancyError(InvalidEventError):
    """A call into an engine, from inside a custom scorer, that could never be served.

    The scorer's own engine is busy routing the call being scored; an engine whose scorer is
    (directly or through other engines) waiting for this thread would wait forever. Either
    raises this instead of deadlocking. Raised inside the scorer, it also propagates out of
    the engine call that ran the scorer (see :class:`callroute.Engine`).
    """


class ConfigError(EngineError, ValueError):
    """A configuration value or argument of the wrong type or outside its domain.

    ``problems`` lists every problem found, one string each (``"path: what is expected"``);
    ``source`` is the file (or ``"<mapping>"``) when the error comes from loading a center.
    ``str(err)`` is the problems one per line, each prefixed with ``source`` when known.
    """

    problems: list[str]
    source: str | None

    def __init__(
        self, message: str = "", *, problems: list[str] | None = None, source: str | None = None
    ) -> None:
        if problems is None:
            problems = str(message).splitlines() or [str(message)]
        elif not message:
            prefix = f"{source}: " if source else ""
            message = "\n".join(prefix + p for p in problems)
        super().__init__(message)
        self.problems = list(problems)
        self.source = source

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return partial(type(self), problems=self.problems, source=self.source), self.args


class SnapshotError(EngineError, ValueError):
    """Bytes that are not a readable, consistent engine snapshot."""


class EngineInvariantError(EngineError, AssertionError):
    """The engine's state breaks one of its invariants (a bug: please report it)."""


class PermissionDenied(CallrouteError):  # noqa: N818 (the name reads as the event)
    """An operator tried something its roles do not allow, or outside its own tenant."""


class ModelError(CallrouteError, ValueError):
    """A simulation model that cannot run; the message names the field (``calls[1].handle``)."""
