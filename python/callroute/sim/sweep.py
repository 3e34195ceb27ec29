"""Sweeps: many variants of a model, each run for the same replications (common random
numbers), on local cores, any :class:`concurrent.futures.Executor`, or a Dask cluster.

A sweep takes ``{name: model}``, or one base model and a grid of changes addressed by
dotted paths, and gives a :class:`SweepResult`: one row per variant and replication
(:meth:`SweepResult.table`), and the KPIs per variant with 95 % confidence intervals and
paired differences to the first variant (:meth:`SweepResult.summary`)::

    result = sweep(model, {"strategy": ["longest_idle", "highest_proficiency"],
                           "groups.tier1.count": [10, 12, 14]}, replications=20)
    result.summary().to_pandas()
    result.plot("sweep.png", x="groups.tier1.count", by="strategy")

Grid paths: ``strategy`` sets every queue's strategy (as :meth:`SimModel.with_strategy`);
otherwise the first segment is a key of the model (``groups``, ``calls``, ``queues``,
``arrivals``, ``horizon``...), a segment after a list of named items (``groups``) is an
item's ``name``, one after a mapping is a key, one after a list of values is an index
(``groups.tier1.counts.3``). The last segment may add a key to a queue, group or call
(``calls.billing.patience``); everything before it must exist.

Work goes out as tasks of ``chunk`` replications of one variant; each task sends back
only its replications' totals (a few numbers per line and group), so a cluster moves
kilobytes, not interval tables. Replication ``k`` of every variant draws from the streams
of ``seed`` and ``k`` alone, so the numbers are the same on any executor, with any number
of workers, in any order the tasks finish.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .. import _core
from ..errors import CallrouteError, ModelError, ParameterError, UnknownIdError
from .distributions import Distribution
from .model import _RUN_KEYS, SimModel, _model_body, _plain, _with_center
from .results import (
    KPIS,
    Estimate,
    Kind,
    Table,
    _align,
    _check_kind,
    _pm,
    kpi_difference,
    kpi_estimate,
    kpi_values,
    replication_sums,
)
from .run import _MAX_REPLICATIONS, _progress, _whole

__all__ = ["DaskClient", "SweepResult", "sweep"]

FloatArray = npt.NDArray[np.float64]

# The KPIs of a sweep's tables: the line KPIs, then the agents' occupancy (all groups).
SWEEP_KPIS = (*KPIS, "occupancy")
# Keys a model's top level may hold besides its sections (run settings and the lab's).
_TOP_KEYS = ("queues", "groups", "calls", "arrivals", "periods", "busyness", *_RUN_KEYS)
_MODEL_KEYS = ("queues", "groups", "calls", "arrivals", "center", "version", "kind")


@runtime_checkable
class DaskClient(Protocol):
    """What a sweep needs of a ``distributed.Client``: an executor on its workers
    (``client.get_executor()``, a :class:`concurrent.futures.Executor`)."""

    def get_executor(self, **kwargs: Any) -> Executor:
        """A :class:`concurrent.futures.Executor` that runs tasks on the cluster."""
        ...


# ------------------------------------------------------------------------ the grid


def _names(items: Sequence[Any]) -> list[str]:
    return [str(i.get("name")) for i in items if isinstance(i, Mapping)]


def _set_path(model: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (dotted) of ``model`` (a deep copy) to ``value``.

    :raises ModelError: naming the path and what exists where it goes wrong.
    """
    parts = path.split(".")
    if parts[0] not in model and parts[0] not in _TOP_KEYS:
        raise ModelError(
            f"grid: unknown path {path!r}: the model has no {parts[0]!r} "
            f"(paths start with strategy or one of {', '.join(_TOP_KEYS)})"
        )
    node: Any = model
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if node and all(isinstance(i, Mapping) and "name" in i for i in node):
                found = [k for k, i in enumerate(node) if str(i["name"]) == part]
                if not found:
                    raise ModelError(
                        f"grid: unknown path {path!r}: no item named {part!r} in "
                        f"{'.'.join(parts[:depth])} (names: {', '.join(_names(node))})"
                    )
                key: Any = found[0]
            elif part.isdigit() and int(part) < len(node):
                key = int(part)
            else:
                raise ModelError(
                    f"grid: unknown path {path!r}: {where} is not an index of a list of {len(node)}"
                )
        elif isinstance(node, dict):
            if part not in node and not (last and (depth == 0 or _is_item(parts, depth))):
                raise ModelError(
                    f"grid: unknown path {path!r}: no {part!r} at {where} "
                    f"(keys: {', '.join(map(str, node)) or 'none'})"
                )
            key = part
        else:
            raise ModelError(
                f"grid: unknown path {path!r}: {'.'.join(parts[:depth])} is a value "
                f"({node!r}), not a mapping or list"
            )
        if last:
            node[key] = value
            return
        child = node[key]
        if isinstance(child, Distribution):
            child = child.to_json()
        if isinstance(child, Mapping):
            child = dict(child)
        elif isinstance(child, (list, tuple)):
            child = list(child)
        node[key] = child
        node = child


def _is_item(parts: Sequence[str], depth: int) -> bool:
    """Whether the mapping at ``parts[:depth]`` is a queue, group or call (a key may be
    added to one: most of their keys are optional)."""
    return depth == 2 and parts[0] in ("queues", "groups", "calls")


def _apply(base: Mapping[str, Any], changes: Mapping[str, Any]) -> SimModel:
    model: dict[str, Any] = copy.deepcopy(dict(base))
    if "center" in model:
        model = _with_center(model)
    for path, value in changes.items():
        if path == "strategy":
            model = dict(SimModel(model).with_strategy(str(value)))
        else:
            _set_path(model, path, value)
    return SimModel(model)


def _label(value: Any) -> str:
    if isinstance(value, Distribution):
        return json.dumps(value.to_json(), separators=(",", ":"))
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=_plain, separators=(",", ":"))
    return str(value)


def _variants(
    models: Mapping[str, Any], grid: Mapping[str, Sequence[Any]] | None
) -> tuple[list[str], dict[str, list[Any]], list[SimModel]]:
    """(names, columns, models) of every variant: ``columns`` has ``model`` (when named
    models were given) and one column per grid path, one value per variant."""
    single = any(k in models for k in _MODEL_KEYS)
    if not single and not (models and all(isinstance(m, Mapping) for m in models.values())):
        raise ModelError(
            "sweep() takes {name: model}, or one model and a grid, e.g. "
            'sweep(model, {"strategy": ["longest_idle", "round_robin"]})'
        )
    named: dict[str, Mapping[str, Any]] = (
        {"model": models} if single else {str(k): v for k, v in models.items()}
    )
    grid = dict(grid or {})
    for path, values in grid.items():
        if not isinstance(path, str) or not path:
            raise ModelError(f"grid: a path is a dotted string, got {path!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ModelError(f"grid[{path!r}]: expected a list of values, got {values!r}")
        grid[path] = list(values)
        if not grid[path]:
            raise ModelError(f"grid[{path!r}]: no values")
    if single and not grid:
        raise ModelError("sweep(model) needs a grid, or {name: model} with several models")
    names: list[str] = []
    columns: dict[str, list[Any]] = {} if single else {"model": []}
    columns.update({path: [] for path in grid})
    out: list[SimModel] = []
    for name, base in named.items():
        for combo in itertools.product(*grid.values()):
            changes = dict(zip(grid, combo, strict=True))
            parts = [] if single else [name]
            parts += [f"{p}={_label(v)}" for p, v in changes.items()]
            names.append(", ".join(parts))
            if not single:
                columns["model"].append(name)
            for p, v in changes.items():
                columns[p].append(v)
            try:
                out.append(_apply(base, changes))
            except CallrouteError as exc:
                raise _in_variant(names[-1], exc) from None
    if len(set(names)) != len(names):
        raise ModelError("sweep: two variants have the same name; give distinct values")
    return names, columns, out


def _in_variant(name: str, exc: CallrouteError) -> CallrouteError:
    """The same error, its message prefixed with the variant it is about."""
    try:
        return type(exc)(f"variant {name!r}: {exc}")
    except Exception:  # an error class built otherwise: the message still says it all
        return ModelError(f"variant {name!r}: {exc}")


# ------------------------------------------------------------------------ the tasks


@functools.lru_cache(maxsize=32)
def _parsed(body: str) -> _core.SimModel:
    """A variant's model parsed once per process (a worker runs many chunks of it)."""
    return _core.sim_model(body)


def _run_chunk(body: str, seed: int, indices: list[int]) -> dict[str, Any]:
    """Run replications ``indices`` of one model (its JSON) on one thread, and keep their
    totals: per counter an array (replications, lines), ``busy``/``staffed`` per group.

    A plain module-level function of plain arguments, so any executor (threads, processes,
    a Dask cluster) can run it.
    """
    runs = _core.sim_run(_parsed(body), seed, indices, 1)
    names = {"lines": list(runs[0]["lines"]), "groups": list(runs[0]["groups"])}
    return {**names, **replication_sums(runs)}


def _chunks(replications: int, chunk: int) -> list[list[int]]:
    return [list(range(s, min(replications, s + chunk))) for s in range(0, replications, chunk)]


def _default_chunk(executor: Any, threads: int | None, replications: int, variants: int) -> int:
    """Replications per task: on local threads at most 10 (small studies spread over the
    cores, the progress bar moves); on a Dask cluster about four tasks per worker thread, at
    least 10 replications each (a task costs the scheduler about a millisecond)."""
    total = replications * variants
    nthreads = getattr(executor, "nthreads", None)
    if isinstance(executor, DaskClient) and callable(nthreads):
        try:
            workers = max(1, sum(int(n) for n in nthreads().values()))
        except Exception:  # a client that cannot say: the plain default
            workers = 0
        if workers:
            return max(1, min(replications, max(10, math.ceil(total / (4 * workers)))))
    local = threads or os.cpu_count() or 1
    return max(1, min(10, math.ceil(total / (4 * local))))


def sweep(
    models: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    replications: int = 10,
    seed: int = 0,
    executor: Executor | DaskClient | None = None,
    threads: int | None = None,
    chunk: int | None = None,
    progress: bool | Callable[[int, int], None] = False,
    **run: Any,
) -> SweepResult:
    """Run every variant of a study for the same ``replications`` (common random numbers).

    ``models`` is ``{name: model}``, or one model (a mapping with ``groups``, ``calls``...)
    that ``grid`` varies: ``{"strategy": [...], "groups.tier1.count": [10, 12]}`` makes one
    variant per combination (paths: see :mod:`callroute.sim.sweep`). With both, every named
    model is crossed with the grid.

    :param models: ``{name: model}``, or one base model when ``grid`` is given.
    :param grid: ``{dotted path: [values]}``; ``strategy`` sets every queue's strategy.
    :param replications: replications of every variant, 1 to 1,000,000.
    :param seed: the random seed: replication ``k`` of every variant draws from the streams
        of ``seed`` and ``k`` only (the same arrivals and callers for every variant).
    :param executor: where tasks run: ``None`` for threads on this machine (the simulator
        releases the GIL), any :class:`concurrent.futures.Executor` (a thread or process
        pool), or a ``distributed.Client`` (a Dask cluster). The result is the same on each.
    :param threads: the local threads when ``executor`` is ``None`` (default: every core).
    :param chunk: replications per task (default: at most 10 on local threads or another
        executor, so that small studies still spread over the workers; on a Dask client,
        about four tasks per worker thread and at least 10 replications each). On a cluster,
        give enough that a task runs for a tenth of a second or more: each costs the
        scheduler and the network a few milliseconds.
    :param progress: ``True`` draws a bar on stderr; a callable gets ``(done, total)``
        replications after each task.
    :param run: keyword arguments of :func:`simulate` for every variant (``horizon``,
        ``warmup``, ``interval``, ``daily_multiplier``...).
    :returns: a :class:`SweepResult`.
    :raises ~callroute.errors.ModelError: for an unknown grid path (naming it and what
        exists there), a variant the simulator rejects (naming the variant and the field),
        or a bad option.
    """
    _whole(replications, "replications", 1, _MAX_REPLICATIONS)
    _whole(seed, "seed", 0, 2**64 - 1)
    unknown = set(run) - set(_RUN_KEYS)
    if unknown:
        raise ModelError(
            f"sweep: unknown option(s) {', '.join(sorted(unknown))} (a sweep keeps totals, "
            "not per-call records: simulate() one variant for those)"
        )
    if threads is not None:
        _whole(threads, "threads", 0, 1024)
    names, columns, variants = _variants(models, grid)
    bodies = []
    for name, model in zip(names, variants, strict=True):
        try:
            body = json.dumps(
                _model_body(model, {**run, "record_calls": False}),
                default=_plain,
                allow_nan=False,
            )
            _parsed(body)  # every variant checked before anything runs (local threads reuse it)
        except CallrouteError as exc:
            raise _in_variant(name, exc) from None
        bodies.append(body)
    if chunk is None:
        chunk = _default_chunk(executor, threads, replications, len(bodies))
    _whole(chunk, "chunk", 1, _MAX_REPLICATIONS)
    report = _progress if progress is True else (progress or None)
    parts = _chunks(replications, chunk)
    done: dict[tuple[int, int], dict[str, Any]] = {}
    owned = executor is None
    pool: Executor
    if executor is None:
        pool = ThreadPoolExecutor(max_workers=min(1024, threads or os.cpu_count() or 1))
    elif isinstance(executor, Executor):
        pool = executor
    elif isinstance(executor, DaskClient):
        pool = executor.get_executor(pure=False)
    else:
        raise ParameterError(
            "executor: expected a concurrent.futures.Executor or a distributed.Client, "
            f"got {type(executor).__name__}"
        )
    futures: dict[Future[dict[str, Any]], tuple[int, int]] = {}
    try:
        for v, body in enumerate(bodies):
            for c, indices in enumerate(parts):
                futures[pool.submit(_run_chunk, body, seed, indices)] = (v, c)
        total, finished = replications * len(bodies), 0
        for future in as_completed(futures):
            v, c = futures[future]
            try:
                done[(v, c)] = future.result()
            except CallrouteError as exc:  # a variant the engine refuses once it runs
                raise _in_variant(names[v], exc) from None
            finished += len(parts[c])
            if report:
                report(finished, total)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    per_variant = []
    for v in range(len(bodies)):
        pieces = [done[(v, c)] for c in range(len(parts))]
        merged: dict[str, Any] = {"lines": pieces[0]["lines"], "groups": pieces[0]["groups"]}
        for key in pieces[0]:
            if key not in ("lines", "groups"):
                merged[key] = np.concatenate([p[key] for p in pieces])
        per_variant.append(merged)
    return SweepResult(names, columns, per_variant, replications, seed)


# ------------------------------------------------------------------------ the result


def _numeric(values: list[Any]) -> bool:
    """Whether a grid column holds numbers only (booleans are not)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _column(values: list[Any]) -> npt.NDArray[Any]:
    if _numeric(values):
        return np.asarray(
            values, dtype=np.float64 if any(isinstance(v, float) for v in values) else np.int64
        )
    return np.asarray([_label(v) for v in values], dtype=object)


@dataclass(frozen=True)
class SweepResult:
    """The replications of every variant of a sweep, kept as their totals.

    :attr:`names` are the variants (in grid order), :attr:`columns` what varies (``model``
    for named models, one column per grid path); :meth:`table` has one row per variant and
    replication, :meth:`summary` the KPIs per variant with 95 % CIs and paired differences
    to the first variant; :meth:`plot` draws a KPI against a grid column.
    """

    names: list[str]
    columns: dict[str, list[Any]]
    runs: list[dict[str, Any]]
    replications: int
    seed: int

    def totals(self, variant: str, line: str | None = None) -> dict[str, FloatArray]:
        """Per replication of ``variant``, the counters its KPIs are made of (as
        :meth:`SimulationResult.totals`), for ``line`` or every line together.

        :raises ~callroute.errors.UnknownIdError: for an unknown variant or line.
        """
        if variant not in self.names:
            raise UnknownIdError(f"unknown variant {variant!r}; variants: {self.names}")
        r = self.runs[self.names.index(variant)]
        if line is not None and line not in r["lines"]:
            raise UnknownIdError(f"unknown line {line!r}; lines: {', '.join(r['lines'])}")
        cols = slice(None) if line is None else [r["lines"].index(line)]
        out = {
            k: np.asarray(v[:, cols].sum(axis=1), dtype=np.float64)
            for k, v in r.items()
            if k not in ("lines", "groups", "busy", "staffed")
        }
        out["busy"] = r["busy"].sum(axis=1)
        out["staffed"] = r["staffed"].sum(axis=1)
        return out

    def table(self, line: str | None = None) -> Table:
        """One row per variant and replication: ``variant``, the varied columns,
        ``replication`` (its index: the same callers in every variant), the counts
        ``offered``, ``answered``, ``abandoned``, ``exited`` and each replication's own
        ratios (``service_level``, ``abandon_rate``, ``asa``, ``mean_wait``, ``aht``,
        ``occupancy``...); for ``line`` or every line together.
        """
        n = self.replications
        cols: dict[str, Any] = {"variant": np.repeat(np.asarray(self.names, dtype=object), n)}
        for key, values in self.columns.items():
            cols[key] = np.repeat(_column(values), n)
        cols["replication"] = np.tile(np.arange(n), len(self.names))
        per = [self.totals(v, line) for v in self.names]
        cols["abandoned"] = np.concatenate([t["abandoned"] for t in per])
        if all("balked" in t for t in per):
            cols["balked"] = np.concatenate([t["balked"] for t in per])
        for kpi in SWEEP_KPIS:
            cols[kpi] = np.concatenate([kpi_values(t, kpi) for t in per])
        return Table(cols)

    def summary(
        self,
        kind: Kind = "ratio_of_means",
        line: str | None = None,
        kpis: Sequence[str] = SWEEP_KPIS,
    ) -> Table:
        """The KPIs per variant, long: ``variant``, the varied columns, ``kpi``, ``mean``,
        ``half_width``, ``low``, ``high`` (95 % CI), and ``diff``, ``diff_half_width``: the
        paired difference to the first variant over the same replications.

        Ratios combine as :meth:`SimulationResult.summary` says: ``"ratio_of_means"`` (the
        default; totals over replications divided, delta-method CIs) or
        ``"mean_of_ratios"``.

        :raises ~callroute.errors.ParameterError: for another ``kind`` or an unknown KPI.
        """
        _check_kind(kind)
        bad = [k for k in kpis if k not in SWEEP_KPIS]
        if bad:
            raise ParameterError(
                f"unknown KPI(s) {', '.join(map(repr, bad))}; expected some of "
                f"{', '.join(SWEEP_KPIS)}"
            )
        base = self.totals(self.names[0], line)
        rows: list[tuple[int, str, Estimate, Estimate]] = []
        for v, name in enumerate(self.names):
            t = self.totals(name, line)
            for kpi in kpis:
                rows.append(
                    (v, kpi, kpi_estimate(t, kpi, kind), kpi_difference(t, base, kpi, kind))
                )
        out: dict[str, Any] = {
            "variant": np.asarray([self.names[r[0]] for r in rows], dtype=object)
        }
        for key, values in self.columns.items():
            out[key] = _column(values)[[r[0] for r in rows]]
        est = np.asarray([r[2] for r in rows], dtype=np.float64).reshape(-1, 2)
        diff = np.asarray([r[3] for r in rows], dtype=np.float64).reshape(-1, 2)
        out["kpi"] = np.asarray([r[1] for r in rows], dtype=object)
        out["mean"], out["half_width"] = est[:, 0], est[:, 1]
        out["low"], out["high"] = est[:, 0] - est[:, 1], est[:, 0] + est[:, 1]
        out["diff"], out["diff_half_width"] = diff[:, 0], diff[:, 1]
        return Table(out)

    def to_pandas(self, line: str | None = None) -> Any:
        """:meth:`table` as a ``pandas.DataFrame`` (needs pandas)."""
        return self.table(line).to_pandas()

    def to_polars(self, line: str | None = None) -> Any:
        """:meth:`table` as a ``polars.DataFrame`` (needs polars)."""
        return self.table(line).to_polars()

    def plot(
        self,
        out: str | Path,
        kpi: str = "service_level",
        x: str | None = None,
        by: str | None = None,
        kind: Kind = "ratio_of_means",
        line: str | None = None,
    ) -> Path:
        """Draw ``kpi`` (of ``line``, or all lines) against the grid column ``x`` with 95 %
        CI bands, one line per value of ``by`` (see :func:`callroute.sim.plot.plot_sweep`);
        returns the file."""
        from .plot import plot_sweep

        return plot_sweep(self, out, kpi=kpi, x=x, by=by, kind=kind, line=line)

    def format(self, kind: Kind = "ratio_of_means") -> str:
        """A text table: one row per variant, service level, abandonment and ASA with
        95 % CIs (what ``print(result)`` shows)."""
        s = self.summary(kind, kpis=("service_level", "abandon_rate", "asa", "occupancy"))
        cells: dict[str, dict[str, str]] = {}
        fmts = {"asa": "{:.1f}", "service_level": "{:.1%}", "abandon_rate": "{:.1%}"}
        for row in s.rows():
            fmt = fmts.get(row["kpi"], "{:.1%}")
            text = _pm((row["mean"], row["half_width"]), fmt)
            cells.setdefault(row["variant"], {})[row["kpi"]] = text
        head = ["variant", "SL", "abandoned", "ASA s", "occupancy"]
        table = [head] + [
            [n, c["service_level"], c["abandon_rate"], c["asa"], c["occupancy"]]
            for n, c in cells.items()
        ]
        lines = _align(table)
        lines.append(
            f"{len(self.names)} variant(s) x {self.replications} replication(s), seed "
            f"{self.seed}, common random numbers; {kind.replace('_', ' ')} ± 95 % CI"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
