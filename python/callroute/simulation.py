"""Deprecated: the simulator lives in :mod:`callroute.sim` (same names)."""

from __future__ import annotations

import warnings

from .sim import *  # noqa: F403
from .sim import __all__ as __all__

warnings.warn(
    "callroute.simulation is deprecated; use callroute.sim (same names)",
    DeprecationWarning,
    stacklevel=2,
)
