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


# --- Asterisk REST Interface (ARI) adapter errors (callroute.adapters.ari) ---------------------


class AriError(CallrouteError):
    """A request to Asterisk's REST interface (ARI) failed.

    ``status`` is the HTTP status (``None`` when no response came), ``method`` and ``path``
    name the request (the path without credentials), ``message`` is Asterisk's own text: the
    ``message`` of its JSON error body, or ``error`` for the 500 ``{"error": "Allocation
    failed"}`` of a bogus endpoint technology, or the start of a non-JSON body.
    """

    status: int | None
    method: str | None
    path: str | None
    message: str

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        where = f"{method} {path}" if method or path else "ARI"
        code = f" -> {status}" if status is not None else ""
        super().__init__(f"{where}{code}: {message}")
        self.message = message
        self.status = status
        self.method = method
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (
            partial(type(self), status=self.status, method=self.method, path=self.path),
            (self.message,),
        )


class AriUnauthorized(AriError):  # noqa: N818 (HTTP status names)
    """401/403: wrong ARI user or password (``{"message": "Authentication required"}``)."""


class AriNotFound(AriError, LookupError):  # noqa: N818 (HTTP status names)
    """404: no such channel, bridge, playback, recording or resource."""


class AriConflict(AriError):  # noqa: N818 (HTTP status names)
    """409 (or 412): the object is in the wrong state (``Channel not in Stasis application``)."""


class AriUnprocessable(AriError, ValueError):  # noqa: N818 (HTTP status names)
    """400 or 422: missing/invalid parameters, or an object that cannot take part.

    Asterisk answers 422 ``Channel not in Stasis application`` for a bridge ``addChannel``
    (where a channel operation gets 409) and 400 ``Channel not found`` when the channel to add
    does not exist.
    """


class AriServerError(AriError):
    """5xx: Asterisk failed (e.g. 500 ``Allocation failed`` for an unknown endpoint technology)."""


class AriUnavailable(AriError):  # noqa: N818 (HTTP status names)
    """No answer from Asterisk: connection refused or reset, timeout, websocket gone."""


class AriProtocolError(AriError, ValueError):
    """Asterisk answered with a body that is not the documented JSON shape."""


__all__ += [
    "AriConflict",
    "AriError",
    "AriNotFound",
    "AriProtocolError",
    "AriServerError",
    "AriUnauthorized",
    "AriUnavailable",
    "AriUnprocessable",
]
