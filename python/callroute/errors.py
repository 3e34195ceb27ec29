"""The exception hierarchy of callroute.

Every error callroute raises on purpose derives from :class:`CallrouteError`; errors about
bad input also derive from :class:`ValueError`, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = ["CallrouteError", "InfeasibleError", "ParameterError"]


class CallrouteError(Exception):
    """Root of every exception raised by callroute."""


class ParameterError(CallrouteError, ValueError):
    """An argument is outside its domain; the message names it (and the array index)."""


class InfeasibleError(CallrouteError, ValueError):
    """A well-formed question has no answer in reach (e.g. no staffing meets a target)."""
