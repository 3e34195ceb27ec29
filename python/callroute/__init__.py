"""callroute: an embeddable contact-center routing engine.

This release brings the foundation: exact, fast Erlang B/C/A mathematics and interval
staffing plans, computed in Rust. See ``callroute.erlang`` and ``callroute.staffing``.
"""

from __future__ import annotations

from ._core import __version__
from .erlang import (
    ErlangAResult,
    RetrialResult,
    ServiceLevelDefinition,
    agents_for_asa,
    agents_for_erlang_a,
    agents_for_service_level,
    asa,
    erlang_a,
    erlang_b,
    erlang_b_retrial,
    erlang_c,
    occupancy,
    queue_length,
    servers_for_blocking,
    service_level,
    wait_quantile,
)
from .errors import CallrouteError, InfeasibleError, ParameterError
from .forecast import Forecast, example_forecast_path, read_forecast
from .staffing import StaffingPlan, staffing_plan

__all__ = [
    "CallrouteError",
    "ErlangAResult",
    "Forecast",
    "InfeasibleError",
    "ParameterError",
    "RetrialResult",
    "ServiceLevelDefinition",
    "StaffingPlan",
    "__version__",
    "agents_for_asa",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "asa",
    "erlang_a",
    "erlang_b",
    "erlang_b_retrial",
    "erlang_c",
    "example_forecast_path",
    "occupancy",
    "queue_length",
    "read_forecast",
    "servers_for_blocking",
    "service_level",
    "staffing_plan",
    "wait_quantile",
]
