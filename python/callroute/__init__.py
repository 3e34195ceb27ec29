"""callroute: an embeddable contact-center routing engine.

The top level holds the core of the library:

- the routing engine, :class:`Engine`, and the decisions it returns (:class:`Offer`,
  :class:`Overflow`, :class:`Exit`, ...);
- a whole center from one file: :func:`load_center` gives a :class:`Center`;
- exact Erlang B/C/A mathematics (:func:`erlang_b`, :func:`erlang_c`, :func:`erlang_a`,
  :func:`service_level`, :func:`asa`, :func:`agents_for_service_level`) and interval
  staffing (:func:`staffing_plan`);
- the simulator: :func:`simulate` and :func:`compare` run a model (:func:`load_model`),
  :func:`sweep` runs a study of many variants (local cores, any executor, or Dask);
- forecasts (:func:`load_forecast`), the bundled examples (:func:`example_path`);
- the errors, all under :class:`CallrouteError`.

Everything else lives in its subpackage: :mod:`callroute.engine` (statistics views),
:mod:`callroute.erlang` (every Erlang function), :mod:`callroute.center` (schema, tenancy,
operators), :mod:`callroute.ivr` (call flows), :mod:`callroute.hours` (business hours),
:mod:`callroute.sim` (distributions, results), :mod:`callroute.staffing`,
:mod:`callroute.forecast`, :mod:`callroute.errors`. Names that used to sit at the top level
still work for one release, with a ``DeprecationWarning`` (once per name) naming their home.
"""

from __future__ import annotations

from ._core import __version__
from ._internal.deprecation import moved
from ._internal.examples import example_path
from .center import Center, load_center
from .engine import (
    AgentStateChanged,
    Decision,
    Engine,
    Exit,
    Offer,
    Overflow,
    Queued,
    Revoked,
    StepReached,
)
from .erlang import (
    ErlangAResult,
    agents_for_service_level,
    asa,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)
from .errors import (
    CallrouteError,
    ConfigError,
    DuplicateIdError,
    EngineError,
    InfeasibleError,
    InvalidEventError,
    ModelError,
    ParameterError,
    PermissionDenied,
    TimeError,
    UnknownIdError,
)
from .forecast import Forecast, load_forecast
from .sim import Comparison, SimulationResult, SweepResult, compare, load_model, simulate, sweep
from .staffing import StaffingPlan, staffing_plan

__all__ = [
    "AgentStateChanged",
    "CallrouteError",
    "Center",
    "Comparison",
    "ConfigError",
    "Decision",
    "DuplicateIdError",
    "Engine",
    "EngineError",
    "ErlangAResult",
    "Exit",
    "Forecast",
    "InfeasibleError",
    "InvalidEventError",
    "ModelError",
    "Offer",
    "Overflow",
    "ParameterError",
    "PermissionDenied",
    "Queued",
    "Revoked",
    "SimulationResult",
    "StaffingPlan",
    "StepReached",
    "SweepResult",
    "TimeError",
    "UnknownIdError",
    "__version__",
    "agents_for_service_level",
    "asa",
    "compare",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "example_path",
    "load_center",
    "load_forecast",
    "load_model",
    "service_level",
    "simulate",
    "staffing_plan",
    "sweep",
]

# Former top-level names -> their home ("module:name"), or (home, what to use instead).
_MOVED: dict[str, str | tuple[str, str]] = {
    **{
        name: f"callroute.engine:{name}"
        for name in (
            "AgentStats",
            "CallInfo",
            "CallView",
            "IntervalStats",
            "QueueStats",
            "Totals",
        )
    },
    **{
        name: f"callroute.erlang:{name}"
        for name in (
            "RetrialResult",
            "ServiceLevelDefinition",
            "agents_for_asa",
            "agents_for_erlang_a",
            "erlang_b_retrial",
            "occupancy",
            "queue_length",
            "wait_quantile",
        )
    },
    **{
        name: f"callroute.errors:{name}"
        for name in ("EngineInvariantError", "ReentrancyError", "SnapshotError")
    },
    **{
        name: f"callroute.center:{name}"
        for name in ("Directory", "Operator", "OperatorView", "Refusal", "Tenant", "load_mapping")
    },
    "servers_for_blocking": "callroute.erlang:agents_for_blocking",
    "load": "callroute.center:load_center",
    "example_config_path": (
        "callroute._internal.examples:example_config_path",
        'callroute.example_path("center")',
    ),
    "example_model_path": (
        "callroute._internal.examples:example_model_path",
        'callroute.example_path("model") or example_path("outsourcer_model")',
    ),
    "example_forecast_path": (
        "callroute._internal.examples:example_forecast_path",
        'callroute.example_path("forecast")',
    ),
    "read_forecast": "callroute.forecast:load_forecast",
    "BusinessHours": "callroute.hours:BusinessHours",
    **{
        name: f"callroute.ivr:{name}"
        for name in (
            "Collect",
            "Digits",
            "Flow",
            "Hangup",
            "HungUp",
            "Lookup",
            "LookupResult",
            "OfferCallback",
            "Outcome",
            "Play",
            "PlaybackDone",
            "Route",
            "Session",
            "SetData",
            "Timeout",
            "Transfer",
            "Voicemail",
            "parse_flow",
            "run_lookup",
        )
    },
    **{
        name: f"callroute.sim:{name}"
        for name in (
            "deterministic",
            "empirical",
            "exponential",
            "gamma",
            "lognormal",
            "never",
            "piecewise",
            "poisson",
            "trace",
        )
    },
    # modules that moved
    "simulation": "callroute.sim",
    "plot": "callroute.sim.plot",
}

__getattr__ = moved(__name__, _MOVED)
