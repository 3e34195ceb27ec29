"""Running models: :func:`simulate` (replications in parallel) and :func:`compare`
(several variants with common random numbers).

Every replication draws from its own random streams derived from ``seed`` and its index,
so a result is the same on any machine and any number of threads, and two models run with
the same seed share their arrivals and callers (common random numbers): differences between
them come from the routing, not from luck.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import _core
from .._internal.deprecation import warn_once
from ..errors import ModelError
from .model import _RUN_KEYS, SimModel, _model_body, _plain, _result_bytes
from .results import Comparison, SimulationResult

__all__ = ["compare", "simulate"]

# The most threads and replications one call runs (the core's own bounds), and the memory
# the replications' results may take together (estimated before the run).
_MAX_THREADS = 1024
_MAX_REPLICATIONS = 1_000_000
_RESULT_BUDGET = 4 << 30


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} replications")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _whole(value: Any, name: str, low: int, high: int) -> int:
    """``value`` when it is a whole number in ``[low, high]``, else a :class:`ModelError`
    naming ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ModelError(f"{name} must be a whole number in [{low:,}, {high:,}], got {value!r}")
    return value


def simulate(
    model: Mapping[str, Any],
    *,
    horizon: float | None = None,
    warmup: float | None = None,
    replications: int = 1,
    seed: int = 0,
    threads: int | None = None,
    record_calls: bool = False,
    progress: bool | Callable[[int, int], None] = False,
    **run: Any,
) -> SimulationResult:
    """Simulate ``replications`` independent runs of ``model`` in parallel.

    ``horizon`` (seconds of arrivals) and ``warmup`` (seconds not counted) override the
    model's; so do ``start``, ``interval``, ``max_calls``, ``daily_multiplier``, ``drain``
    and ``max_in_system`` (the most calls in the system at once before an overloaded model
    stops with an error; default 1,000,000). ``threads`` defaults to every core (``0`` too;
    at most 1,024 are used); the result does not depend on it. ``progress=True`` draws a bar
    on stderr; a callable gets ``(done, total)``. Ctrl-C stops a run (``KeyboardInterrupt``).

    Replications are at most 1,000,000, and their results together (estimated from the lines,
    groups and intervals of the horizon) at most 4 GiB.

    :param model: the model mapping (see :mod:`callroute.sim.model`; :func:`load_model`
        reads one from a file).
    :param replications: independent runs, 1 to 1,000,000.
    :param seed: the random seed, a whole number in [0, 2**64); replication ``k`` draws
        from streams derived from ``seed`` and ``k`` only.
    :param progress: ``True`` draws a progress bar on stderr; a callable gets ``(done,
        total)`` after each batch of replications.
    :param record_calls: keep per-call records of the first replication
        (:attr:`SimulationResult.calls`).
    :returns: a :class:`SimulationResult` holding every replication.
    :raises ~callroute.errors.ModelError: naming the field (``calls[1].handle``) when the
        model or an option is invalid, or when the run would exceed its limits.
    """
    _whole(replications, "replications", 1, _MAX_REPLICATIONS)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
        raise ModelError(f"seed must be a whole number in [0, 2**64), got {seed!r}")
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 0
    ):
        raise ModelError(
            f"threads must be a whole number >= 0 (0 or None: every core), got {threads!r}"
        )
    unknown = set(run) - set(_RUN_KEYS)
    if unknown:
        raise ModelError(f"simulate: unknown option(s) {', '.join(sorted(unknown))}")
    run = dict(run, record_calls=record_calls)
    if horizon is not None:
        run["horizon"] = horizon
    if warmup is not None:
        run["warmup"] = warmup
    body = _model_body(model, run)
    parsed = _core.sim_model(json.dumps(body, default=_plain, allow_nan=False))
    need = _result_bytes(body) * replications
    if need > _RESULT_BUDGET:
        raise ModelError(
            f"replications: {replications:,} result(s) of this model would take about "
            f"{need / 2**30:,.1f} GiB (at most {_RESULT_BUDGET / 2**30:.0f}); run fewer, or "
            "with a longer interval"
        )
    workers = min(_MAX_THREADS, max(1, threads or os.cpu_count() or 1))
    report = _progress if progress is True else (progress or None)
    runs: list[dict[str, Any]] = []
    batch = workers if report else replications
    while len(runs) < replications:
        indices = list(range(len(runs), min(replications, len(runs) + batch)))
        runs.extend(_core.sim_run(parsed, seed, indices, workers))
        if report:
            report(len(runs), replications)
    first = runs[0]
    return SimulationResult(
        lines=list(first["lines"]),
        groups=list(first["groups"]),
        start=float(first["start"]),
        interval=float(first["interval"]),
        runs=runs,
    )


def compare(
    models: Mapping[str, Mapping[str, Any]] | None = None,
    variants: Sequence[str] | Mapping[str, Mapping[str, Any]] | None = None,
    **options: Any,
) -> Comparison:
    """Run several models of the same workload with common random numbers.

    Every model runs with the same seed, so replication ``k`` of each sees the same arrivals
    and callers: the paired differences (:meth:`Comparison.table`) come from what differs
    between the models, typically the routing::

        base = load_model(path)
        compare({s: base.with_strategy(s) for s in ("longest_idle", "round_robin")})

    :param models: ``{name: model}``, two or more; the first is the base of the differences.
    :param variants: deprecated (the old form ``compare(model, variants)``): strategy names
        applied to every queue of ``model``, or ``{name: model}`` (then no ``model`` is
        needed: ``compare(variants={...})``; one given is not used).
    :param options: keyword arguments of :func:`simulate` (``replications``, ``seed``,
        ``horizon``...).
    :returns: a :class:`Comparison` of the models.
    :raises ~callroute.errors.ModelError: with fewer than two models, when ``models`` is not
        a mapping of names to models, or when a model is invalid (naming the field).
    """
    if isinstance(variants, Mapping):
        warn_once(
            "callroute.sim",
            "compare(variants={name: model})",
            "compare(model, {name: model}) is deprecated (the model was not used); pass the "
            "mapping alone: compare({name: model})",
        )
        models = dict(variants)
    elif variants is not None:
        warn_once(
            "callroute.sim",
            "compare(model, variants)",
            "compare(model, variants) is deprecated; use compare({name: model}), e.g. "
            "{s: model.with_strategy(s) for s in strategies}",
        )
        if not isinstance(models, Mapping):
            raise ModelError("compare(model, strategies): the model is missing")
        base = SimModel(models)
        models = {str(s): base.with_strategy(str(s)) for s in variants}
    if not isinstance(models, Mapping) or not all(isinstance(m, Mapping) for m in models.values()):
        raise ModelError(
            "compare() takes {name: model} (two or more models), e.g. "
            "{s: model.with_strategy(s) for s in strategies}"
        )
    if len(models) < 2:
        raise ModelError("compare needs at least two variants")
    return Comparison({str(name): simulate(m, **options) for name, m in models.items()})
