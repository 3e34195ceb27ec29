"""Deprecated: business hours live in :mod:`callroute.hours` (shared by the IVR, tenancy
and queues); ``callroute.ivr.BusinessHours`` stays available without a warning."""

from __future__ import annotations

import warnings

from ..hours import BusinessHours

__all__ = ["BusinessHours"]

warnings.warn(
    "callroute.ivr.hours is deprecated; use callroute.hours",
    DeprecationWarning,
    stacklevel=2,
)
