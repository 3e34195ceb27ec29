"""Simulate a center with the production routing engine, in virtual time.

- :mod:`~callroute.sim.distributions`: typed durations and arrival processes
  (:func:`exponential`, :func:`gamma`, :func:`never`, :func:`poisson`, :func:`piecewise`,
  :func:`trace`, ...);
- :mod:`~callroute.sim.model`: the model mapping, :func:`load_model` and
  :func:`parse_model` (bundled examples: ``callroute.example_path("model")``);
- :mod:`~callroute.sim.schema` and :mod:`~callroute.sim.modelfile`: the model file format
  (``kind: model``, ``version: 1``), its JSON Schema and its checks;
- :mod:`~callroute.sim.run`: :func:`simulate` and :func:`compare`;
- :mod:`~callroute.sim.results`: :class:`SimulationResult` and :class:`Comparison`;
- :mod:`~callroute.sim.sweep`: :func:`sweep` (many variants, on local cores, any
  ``concurrent.futures`` executor or a Dask cluster) and :class:`SweepResult`;
- :mod:`~callroute.sim.plot`: pictures of results and staffing plans (matplotlib, optional).

Every replication draws from its own random streams derived from ``seed`` and its index,
so a result is the same on any machine and any number of threads, and two models run with
the same seed share their arrivals and callers (common random numbers).
"""

from __future__ import annotations

from .._internal.deprecation import moved
from .distributions import (
    Arrivals,
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Never,
    Piecewise,
    Poisson,
    Trace,
    deterministic,
    empirical,
    exponential,
    gamma,
    lognormal,
    never,
    piecewise,
    poisson,
    trace,
)
from .model import SimModel, load_model, parse_model
from .results import KPIS, Comparison, Estimate, SimulationResult, Table
from .run import compare, simulate
from .sweep import DaskClient, SweepResult, sweep

__all__ = [
    "KPIS",
    "Arrivals",
    "Comparison",
    "DaskClient",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Estimate",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Never",
    "Piecewise",
    "Poisson",
    "SimModel",
    "SimulationResult",
    "SweepResult",
    "Table",
    "Trace",
    "compare",
    "deterministic",
    "empirical",
    "exponential",
    "gamma",
    "load_model",
    "lognormal",
    "never",
    "parse_model",
    "piecewise",
    "poisson",
    "simulate",
    "sweep",
    "trace",
]

__getattr__ = moved(
    __name__,
    {
        "example_model_path": (
            "callroute._internal.examples:example_model_path",
            'callroute.example_path("model") or example_path("outsourcer_model")',
        ),
    },
)
