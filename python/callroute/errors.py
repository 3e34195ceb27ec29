"""The exception hierarchy of callroute: classes say what went wrong, not who noticed.

Every error callroute raises on purpose derives from :class:`CallrouteError`. Errors about
bad input also derive from :class:`ValueError` (unknown ids from :class:`LookupError`), so
``except ValueError`` keeps working::

    CallrouteError
     +-- ParameterError        (ValueError) an argument outside its domain
     +-- ConfigError           (ValueError) a configuration; .problems, .source
     |    +-- ModelError                    a simulation model that cannot run
     +-- TimeError             (ValueError) a time that is not finite or goes backwards
     +-- InvalidEventError     (ValueError) an event that does not fit the state
     |    +-- ReentrancyError               a scorer calling into a busy engine
     +-- DuplicateIdError      (ValueError) an id that already exists
     +-- SnapshotError         (ValueError) bytes that are not a readable snapshot
     +-- InfeasibleError       (ValueError) a question with no answer in reach
     +-- UnknownIdError        (LookupError) an agent, queue, call, tenant ... not known
     +-- PermissionDenied                   an operator's roles do not allow it
     +-- DialerError                        marker: the outbound dialer raised it
     |    +-- DialerParameterError, DialerConfigError, DialerTimeError,
     |        DialerUnknownIdError, DialerDuplicateIdError, DialerInvalidEventError,
     |        DialerSnapshotError: each also its plain class
     +-- EngineError                        marker: the routing engine raised it
          +-- EngineParameterError, EngineConfigError, EngineTimeError,
          |   EngineInvalidEventError (+ EngineReentrancyError), EngineDuplicateIdError,
          |   EngineSnapshotError, EngineUnknownIdError: each also its plain class
          +-- EngineInvariantError (AssertionError) a broken engine invariant (a bug)

The routing engine (:class:`callroute.Engine`) raises only the ``Engine*`` classes, each a
subclass of both :class:`EngineError` and the class of what went wrong
(``EngineTimeError(TimeError, EngineError)``): catch ``TimeError`` for any bad time, or
``EngineError`` for anything the engine refused. Every engine input is validated before
anything changes, so after an :class:`EngineError` the engine is exactly as it was before the
call. Errors of loading files (``load_center``, simulation models, forecasts) are
:class:`ConfigError` and never :class:`EngineError`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

__all__ = [
    "CallrouteError",
    "ConfigError",
    "DuplicateIdError",
    "EngineConfigError",
    "EngineDuplicateIdError",
    "EngineError",
    "EngineInvalidEventError",
    "EngineInvariantError",
    "EngineParameterError",
    "EngineReentrancyError",
    "EngineSnapshotError",
    "EngineTimeError",
    "EngineUnknownIdError",
    "InfeasibleError",
    "InvalidEventError",
    "ModelError",
    "ParameterError",
    "PermissionDenied",
    "Problem",
    "ReentrancyError",
    "SnapshotError",
    "TimeError",
    "UnknownIdError",
]


class CallrouteError(Exception):
    """Root of every exception raised by callroute."""


# ---------------------------------------------------------------- what went wrong


class ParameterError(CallrouteError, ValueError):
    """An argument is outside its domain; the message names it (and the array index)."""


class Problem(str):
    """One problem of a configuration: ``"location: message"``, with both parts kept.

    A ``str`` (so a list of problems compares with, and prints as, plain text) that also
    carries ``location`` (the path in the file, ``queues.sales.wrapup``; ``""`` when the
    problem concerns no one place) and ``message`` (what is expected there).
    """

    location: str
    message: str

    def __new__(cls, location: str, message: str) -> Problem:
        """A problem at ``location`` (a path such as ``calls[1].handle``, or ``""``)."""
        self = super().__new__(cls, f"{location}: {message}" if location else message)
        self.location = location
        self.message = message
        return self

    @classmethod
    def parse(cls, text: str) -> Problem:
        """Split ``"location: message"`` text (location: no blank before the first ``: ``)."""
        if isinstance(text, Problem):
            return text
        head, sep, tail = str(text).partition(": ")
        if sep and head and " " not in head.strip():
            return cls(head, tail)
        return cls("", str(text))

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return type(self), (self.location, self.message)


class ConfigError(CallrouteError, ValueError):
    """A configuration value or argument of the wrong type or outside its domain.

    ``problems`` lists every problem found, each a :class:`Problem` (a ``str``
    ``"path: what is expected"`` with ``.location`` and ``.message``); ``source`` is the file
    (or ``"<mapping>"``) when the error comes from loading one. ``str(err)`` is the problems
    one per line, each prefixed with ``source`` when known.
    """

    problems: list[Problem]
    source: str | None

    def __init__(
        self,
        message: str = "",
        *,
        problems: list[str] | list[Problem] | None = None,
        source: str | None = None,
    ) -> None:
        """From a message (one problem a line) or from ``problems`` (the message built)."""
        if problems is None:
            problems = str(message).splitlines() or [str(message)]
        elif not message:
            prefix = f"{source}: " if source else ""
            message = "\n".join(prefix + p for p in problems)
        super().__init__(message)
        self.problems = [Problem.parse(p) for p in problems]
        self.source = source

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        problems = [str(p) for p in self.problems]
        return partial(type(self), problems=problems, source=self.source), self.args


class ModelError(ConfigError):
    """A simulation model that cannot run; ``problems`` name the field (``calls[1].handle``)."""


class TimeError(CallrouteError, ValueError):
    """A time that is not a real number, is NaN or infinite, or goes backwards."""


class InvalidEventError(CallrouteError, ValueError):
    """An event that does not fit the current state (accepting an offer never made, ...)."""


class ReentrancyError(InvalidEventError):
    """A call into an engine, from inside a custom scorer, that could never be served.

    The scorer's own engine is busy routing the call being scored; an engine whose scorer is
    (directly or through other engines) waiting for this thread would wait forever. Either
    raises this instead of deadlocking. Raised inside the scorer, it also propagates out of
    the engine call that ran the scorer (see :class:`callroute.Engine`).
    """


class DuplicateIdError(CallrouteError, ValueError):
    """An agent, queue or (active) call id that already exists."""


class SnapshotError(CallrouteError, ValueError):
    """Bytes that are not a readable, consistent engine snapshot."""


class InfeasibleError(CallrouteError, ValueError):
    """A well-formed question has no answer in reach (e.g. no staffing meets a target)."""


class UnknownIdError(CallrouteError, LookupError):
    """An agent, queue, call, tenant, operator, media, skill or other name not known."""


class PermissionDenied(CallrouteError):  # noqa: N818 (the name reads as the event)
    """An operator tried something its roles do not allow, or outside its own tenant."""


# ---------------------------------------------------------------- who raised it: the engine


class EngineError(CallrouteError):
    """Marks what the routing engine raised; the engine is left unchanged.

    Never raised alone for a known problem: the engine raises the ``Engine*`` classes below,
    each also the class of what went wrong.
    """


class EngineParameterError(ParameterError, EngineError):
    """A :class:`ParameterError` of an engine input (attached data of the wrong type, ...)."""


class EngineConfigError(ConfigError, EngineError):
    """A :class:`ConfigError` of an engine input (a queue or agent setting, an id's type)."""


class EngineTimeError(TimeError, EngineError):
    """A :class:`TimeError` of an engine input."""


class EngineInvalidEventError(InvalidEventError, EngineError):
    """An :class:`InvalidEventError` of an engine input."""


class EngineReentrancyError(ReentrancyError, EngineInvalidEventError):
    """A :class:`ReentrancyError` raised by an engine called from inside a scorer."""


class EngineDuplicateIdError(DuplicateIdError, EngineError):
    """A :class:`DuplicateIdError` of an engine input."""


class EngineSnapshotError(SnapshotError, EngineError):
    """A :class:`SnapshotError` of :meth:`callroute.Engine.restore`."""


class EngineUnknownIdError(UnknownIdError, EngineError):
    """An :class:`UnknownIdError` of an engine input."""


class EngineInvariantError(EngineError, AssertionError):
    """The engine's state breaks one of its invariants (a bug: please report it)."""


# ---------------------------------------------------------------- who raised it: the dialer


class DialerError(CallrouteError):
    """Marks what the outbound dialer (:class:`callroute.outbound.Dialer`) raised; the dialer
    is left unchanged. Raised as the ``Dialer*`` classes below, each also the class of what
    went wrong (``DialerTimeError(TimeError, DialerError)``)."""


class DialerParameterError(ParameterError, DialerError):
    """An argument of a dialer input of the wrong type or outside its domain."""


class DialerConfigError(ConfigError, DialerError):
    """A campaign or contact setting the dialer refuses (the message names the field)."""


class DialerTimeError(TimeError, DialerError):
    """A time of a dialer input that is not finite or goes backwards."""


class DialerUnknownIdError(UnknownIdError, DialerError):
    """A campaign, contact, zone or line the dialer does not know (a line never dialled)."""


class DialerDuplicateIdError(DuplicateIdError, DialerError):
    """A campaign or contact id that already exists."""


class DialerInvalidEventError(InvalidEventError, DialerError):
    """A dialer input that does not fit the state (an outcome for a closed line, ...)."""


class DialerSnapshotError(SnapshotError, DialerError):
    """Bytes that are not a readable dialer snapshot."""


__all__ += [
    "DialerConfigError",
    "DialerDuplicateIdError",
    "DialerError",
    "DialerInvalidEventError",
    "DialerParameterError",
    "DialerSnapshotError",
    "DialerTimeError",
    "DialerUnknownIdError",
]


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
