"""Deprecated: plots live in :mod:`callroute.sim.plot` (same names)."""

from __future__ import annotations

import warnings

from .sim.plot import plot_comparison, plot_simulation, plot_staffing

warnings.warn(
    "callroute.plot is deprecated; use callroute.sim.plot (same names)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["plot_comparison", "plot_simulation", "plot_staffing"]
