"""Simulate a center with the production routing engine, in virtual time.

A *model* is a plain mapping (from Python, JSON, YAML or TOML)::

    {
      "queues": [{"name": "billing", "skills": {"billing": 1}, "sl_threshold": 20, ...}],
      "groups": [{"name": "tier1", "count": 50, "skills": {"billing": 5}}],
      "calls":  [{"name": "billing", "queue": "billing", "handle": exponential(180),
                  "patience": exponential(300)}],
      "arrivals": poisson(calls=100, per=1800),
    }

Queues take the keyword arguments of :meth:`Engine.add_queue` (steps: ``{"after": 30,
"skills": {...}, "also_queues": [...], "priority": 1}``). A group has ``count`` (always on),
or ``counts`` with ``interval`` (and ``start``) for staffing per interval, or ``shifts``
(``[{"start": s, "end": e, "breaks": [[b0, b1]]}]``); plus ``skills``, ``capacity``,
``exclusive``, ``weight``, ``no_answer`` (probability an offer goes unanswered) and ``ring``
(time to answer). A call type has ``queue`` or ``skills``, ``share`` of the arrivals,
``handle``, ``patience`` (default: never abandons), ``wrapup``, ``retrial`` (``{"probability":
p, "delay": dist}``), ``callback`` (``{"after": s, "accept": p}``) and ``priority``.

Every replication draws from its own random streams derived from ``seed`` and its index,
so a result is the same on any machine and any number of threads, and two models run with
the same seed share their arrivals and callers (common random numbers): differences between
them come from the routing, not from luck.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._internal.files import read_document
from .errors import ModelError

__all__ = [
    "Comparison",
    "SimulationResult",
    "compare",
    "deterministic",
    "empirical",
    "example_model_path",
    "exponential",
    "gamma",
    "load_model",
    "lognormal",
    "never",
    "piecewise",
    "poisson",
    "simulate",
    "trace",
]

FloatArray = npt.NDArray[np.float64]
Dist = Mapping[str, Any] | str

# --------------------------------------------------------------------- distributions


def exponential(mean: float) -> dict[str, Any]:
    """Exponential durations with this mean (seconds)."""
    return {"exponential": {"mean": float(mean)}}


def lognormal(mean: float, cv: float) -> dict[str, Any]:
    """Lognormal durations with this mean (seconds) and coefficient of variation."""
    return {"lognormal": {"mean": float(mean), "cv": float(cv)}}


def gamma(mean: float, cv: float) -> dict[str, Any]:
    """Gamma durations with this mean (seconds) and coefficient of variation."""
    return {"gamma": {"mean": float(mean), "cv": float(cv)}}


def deterministic(value: float) -> dict[str, Any]:
    """Always this duration (seconds)."""
    return {"deterministic": {"value": float(value)}}


def empirical(values: Iterable[float]) -> dict[str, Any]:
    """Durations drawn uniformly from observed values (seconds)."""
    return {"empirical": {"values": [float(v) for v in values]}}


def never() -> str:
    """A patience that never runs out."""
    return "never"


# -------------------------------------------------------------------------- arrivals


def poisson(
    rate: float | None = None, *, calls: float | None = None, per: float = 1.0
) -> dict[str, Any]:
    """Poisson arrivals: ``rate`` calls per second, or ``calls`` per ``per`` seconds."""
    if (rate is None) == (calls is None):
        raise ModelError("poisson: give rate or calls (per seconds), not both")
    r = float(rate) if rate is not None else float(calls) / float(per)  # type: ignore[arg-type]
    return {"poisson": {"rate": r}}


def piecewise(calls: Iterable[float], *, interval: float, start: float = 0.0) -> dict[str, Any]:
    """Poisson arrivals with ``calls[i]`` expected calls in interval ``i`` from ``start``."""
    length = float(interval)
    if not length > 0:
        raise ModelError(f"piecewise: interval must be > 0, got {interval}")
    return {
        "piecewise": {
            "start": float(start),
            "interval": length,
            "rates": [float(c) / length for c in calls],
        }
    }


def trace(times: Iterable[float], types: Iterable[int] | None = None) -> dict[str, Any]:
    """Replay these arrival times (seconds, sorted), with the call type index of each."""
    out: dict[str, Any] = {"times": [float(t) for t in times]}
    if types is not None:
        out["types"] = [int(t) for t in types]
    return {"trace": out}


# ------------------------------------------------------------------------ the model

_RUN_KEYS = (
    "horizon",
    "warmup",
    "start",
    "interval",
    "max_calls",
    "daily_multiplier",
    "drain",
    "max_in_system",
)

# The most threads and replications one call runs (the core's own bounds), and the memory
# the replications' results may take together (estimated before the run).
_MAX_THREADS = 1024
_MAX_REPLICATIONS = 1_000_000
_RESULT_BUDGET = 4 << 30


def _pairs(value: Any, where: str) -> list[list[Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [[str(k), v] for k, v in value.items()]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [list(p) for p in value]
    raise ModelError(f"{where}: expected a mapping of name to value, got {value!r}")


def _queue(q: Mapping[str, Any], i: int) -> dict[str, Any]:
    if not isinstance(q, Mapping):
        raise ModelError(f"queues[{i}]: expected a mapping, got {q!r}")
    out = dict(q)
    out["skills"] = _pairs(q.get("skills"), f"queues[{i}].skills")
    steps = []
    for j, step in enumerate(q.get("steps") or ()):
        if not isinstance(step, Mapping):
            raise ModelError(f"queues[{i}].steps[{j}]: expected a mapping, got {step!r}")
        s = dict(step)
        if "skills" in s and s["skills"] is not None:
            s["skills"] = _pairs(s["skills"], f"queues[{i}].steps[{j}].skills")
        if "priority" in s:
            s["priority_boost"] = s.pop("priority")
        steps.append(s)
    out["steps"] = steps
    out["shared_with"] = list(q.get("shared_with") or ())
    return out


def _group(g: Mapping[str, Any], i: int) -> dict[str, Any]:
    if not isinstance(g, Mapping):
        raise ModelError(f"groups[{i}]: expected a mapping, got {g!r}")
    out = {
        k: v for k, v in g.items() if k not in ("count", "counts", "interval", "start", "shifts")
    }
    given = [k for k in ("count", "counts", "shifts", "staffing") if k in g]
    if len(given) != 1:
        raise ModelError(
            f"groups[{i}]: give exactly one of count, counts (with interval), shifts or staffing"
        )
    if "count" in g:
        out["staffing"] = {"fixed": {"count": g["count"]}}
    elif "counts" in g:
        if "interval" not in g:
            raise ModelError(f"groups[{i}]: counts needs interval (seconds)")
        out["staffing"] = {
            "intervals": {
                "start": g.get("start", 0.0),
                "interval": g["interval"],
                "counts": list(g["counts"]),
            }
        }
    elif "shifts" in g:
        out["staffing"] = {"shifts": {"shifts": list(g["shifts"])}}
    out["skills"] = _pairs(g.get("skills"), f"groups[{i}].skills")
    if "capacity" in g:
        out["capacity"] = _pairs(g["capacity"], f"groups[{i}].capacity")
    return out


def _call(c: Mapping[str, Any], i: int) -> dict[str, Any]:
    if not isinstance(c, Mapping):
        raise ModelError(f"calls[{i}]: expected a mapping, got {c!r}")
    out = dict(c)
    if out.get("skills") is not None:
        out["skills"] = _pairs(out["skills"], f"calls[{i}].skills")
    return out


def _arrivals(a: Any) -> Any:
    """Accept ``calls`` (per interval, or per ``per`` seconds) where rates are expected."""
    if not isinstance(a, Mapping) or len(a) != 1:
        return a
    ((kind, spec),) = a.items()
    if not isinstance(spec, Mapping) or "calls" not in spec:
        return a
    spec = dict(spec)
    calls = spec.pop("calls")
    if kind == "piecewise":
        length = float(spec.get("interval", 0) or 0)
        if not length > 0:
            raise ModelError("arrivals.piecewise.interval must be > 0 seconds")
        spec["rates"] = [float(c) / length for c in calls]
    elif kind == "poisson":
        spec["rate"] = float(calls) / float(spec.pop("per", 1.0))
    return {kind: spec}


def _plain(value: Any) -> Any:
    """numpy scalars and arrays to plain JSON values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {value!r}")


def _result_bytes(body: Mapping[str, Any]) -> float:
    """About the memory one replication's result takes: its counters per line and group and
    interval of the horizon (per-call records not counted)."""
    try:
        intervals = float(body["horizon"]) / float(body.get("interval", 1800.0)) + 1.0
        calls = body["calls"]
        lines = len(body["queues"]) + sum(1 for c in calls if c.get("skills") is not None)
        groups = len(body["groups"])
    except (TypeError, ValueError, KeyError, ZeroDivisionError, AttributeError):
        return 0.0  # (a malformed model: the core's parser names the problem)
    if not math.isfinite(intervals) or intervals < 0:
        return 0.0
    return 8.0 * intervals * (10 * lines + 2 * groups) + 4096.0


def _model_body(model: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(model, Mapping):
        raise ModelError(f"a model is a mapping, got {type(model).__name__}")
    unknown = set(model) - {
        "queues",
        "groups",
        "calls",
        "arrivals",
        "record_calls",
        "center",
        *_RUN_KEYS,
    }
    if unknown:
        raise ModelError(f"model: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if "center" in model:
        model = _with_center(model)
    for key in ("groups", "calls", "arrivals"):
        if key not in model:
            raise ModelError(f"model: missing {key}")
    body: dict[str, Any] = {
        "queues": [_queue(q, i) for i, q in enumerate(model.get("queues") or ())],
        "groups": [_group(g, i) for i, g in enumerate(model["groups"])],
        "calls": [_call(c, i) for i, c in enumerate(model["calls"])],
        "arrivals": _arrivals(model["arrivals"]),
    }
    for key in _RUN_KEYS:
        value = run.get(key, model.get(key))
        if value is not None:
            body[key] = value
    if "horizon" not in body:
        raise ModelError("model: missing horizon (seconds of arrivals to simulate)")
    body["record_calls"] = bool(run.get("record_calls", model.get("record_calls", False)))
    try:
        json.dumps(body, default=_plain, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"model: {exc}") from None
    return body


def _with_center(model: Mapping[str, Any]) -> dict[str, Any]:
    """Take queues and agents from a center configuration (``center: path/to/center.yaml``).

    Every queue of the center becomes a queue of the model as the engine has it; every agent
    a group of one, on duty all along unless ``groups`` names it (by agent name) with its own
    staffing (``counts``/``interval`` or ``shifts``).
    """
    from .center import load

    if "queues" in model:
        raise ModelError("model: give queues or center, not both")
    center = load(model["center"])
    skip = {"hours", "announcements", "description", "record"}  # not the engine's
    specs = {
        name: {"name": name, **q.model_dump(exclude=skip)} for name, q in center.queues.items()
    }
    queues: list[dict[str, Any]] = []

    def add(name: str) -> None:  # queues a queue names (overflow, also_queues) come first
        if any(q["name"] == name for q in queues):
            return
        spec = specs[name]
        for other in [spec.get("overflow")] + [
            o for step in spec.get("steps") or () for o in step.get("also_queues") or ()
        ]:
            if other in specs and other != name:
                add(other)
        queues.append(spec)

    for name in specs:
        add(name)
    staffing = {g.get("name"): g for g in model.get("groups") or () if isinstance(g, Mapping)}
    unknown = set(staffing) - set(center.agents)
    if unknown:
        raise ModelError(
            f"groups: not agents of the center: {', '.join(sorted(map(str, unknown)))}"
        )
    groups = []
    for name, a in center.agents.items():
        group: dict[str, Any] = {"name": name, "tenant": a.tenant, "skills": dict(a.skills)}
        if a.capacity is not None:
            group["capacity"] = dict(a.capacity)
        if a.exclusive is not None:
            group["exclusive"] = list(a.exclusive)
        group["weight"] = a.weight
        own = staffing.get(name, {"count": 1})
        if a.auto_answer and any(_positive(own.get(k)) for k in ("ring", "no_answer")):
            raise ModelError(
                f"groups.{name}: the center's agent answers automatically (auto_answer): "
                "it has no ring time and never misses an offer"
            )
        group.update({k: v for k, v in own.items() if k != "name"})
        groups.append(group)
    out = {k: v for k, v in model.items() if k != "center"}
    out["queues"], out["groups"] = queues, groups
    return out


def _positive(value: Any) -> bool:
    """Whether a group's ring or no_answer setting makes an offer ring or lapse (a malformed
    one is not judged here: the model's parser names it)."""
    if isinstance(value, Mapping):  # a ring distribution: only a deterministic 0 rings not
        return value != deterministic(0)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def load_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a model from a YAML, JSON or TOML file (a ``center`` path in it is taken relative
    to the file)."""
    p = Path(path)
    data = read_document(p, error=ModelError)
    if not isinstance(data, dict):
        raise ModelError(f"{p}: expected a mapping at the top level")
    if isinstance(data.get("center"), str):
        data["center"] = str(p.parent / data["center"])
    return data


EXAMPLES = {
    "outsourcer": "example_outsourcer_day.yaml",
    "bank": "example_center.yaml",
}


def example_model_path(name: str = "bank") -> Path:
    """A bundled model: ``"bank"``, a bank's weekday with two queues, generalists and
    specialists; ``"outsourcer"``, a weekday of the two-tenant center of
    :func:`callroute.example_config_path`."""
    if name not in EXAMPLES:
        raise ModelError(f"no example {name!r}; examples: {', '.join(EXAMPLES)}")
    return Path(__file__).with_name("data") / EXAMPLES[name]


# ------------------------------------------------------------------------- statistics

# Student t quantiles at 0.975 for 1..30 degrees of freedom; beyond, the normal one.
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def _half_width(values: FloatArray) -> float:
    """95 % confidence half-width of the mean of ``values`` (NaN for fewer than two)."""
    v = values[np.isfinite(values)]
    n = len(v)
    if n < 2:
        return math.nan
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96 + 2.4 / (n - 1)
    return float(t * v.std(ddof=1) / math.sqrt(n))


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


KPIS = (
    "offered",
    "answered",
    "abandon_rate",
    "service_level",
    "service_level_answered",
    "service_level_minus_early",
    "asa",
    "mean_wait",
    "aht",
    "exited",
)


@dataclass(frozen=True)
class SimulationResult:
    """Replications of one model. KPIs come as mean and 95 % confidence half-width."""

    lines: list[str]
    groups: list[str]
    start: float
    interval: float
    runs: list[dict[str, Any]] = field(repr=False)

    @property
    def replications(self) -> int:
        return len(self.runs)

    def _stack(self, key: str) -> FloatArray:
        width = max(r[key].shape[1] for r in self.runs)
        out = np.zeros((len(self.runs), self.runs[0][key].shape[0], width))
        for k, r in enumerate(self.runs):
            out[k, :, : r[key].shape[1]] = r[key]
        return out

    def kpi(self, name: str, line: str | None = None) -> FloatArray:
        """One KPI per replication (over the whole run), for a line or all lines together.

        ``service_level`` is answered within the threshold over offered;
        ``service_level_answered`` over answered; ``service_level_minus_early`` over offered
        minus calls abandoned within the threshold. ``asa`` averages answered calls' waits,
        ``mean_wait`` all calls', ``aht`` is mean talk time.
        """
        if name not in KPIS:
            raise ModelError(f"unknown KPI {name!r}; expected one of {', '.join(KPIS)}")
        if line is None:
            rows = slice(None)
        else:
            if line not in self.lines:
                raise ModelError(f"unknown line {line!r}; lines: {', '.join(self.lines)}")
            rows = slice(self.lines.index(line), self.lines.index(line) + 1)
        t: dict[str, FloatArray] = {}
        for key in (
            "offered",
            "answered",
            "answered_within",
            "abandoned",
            "abandoned_within",
            "exited",
            "wait_answered",
            "wait_all",
            "talk",
        ):
            t[key] = self._stack(key)[:, rows, :].sum(axis=(1, 2))
        finished = t["answered"] + t["abandoned"] + t["exited"]
        values = {
            "offered": t["offered"],
            "answered": t["answered"],
            "abandon_rate": _ratio(t["abandoned"], t["offered"]),
            "service_level": _ratio(t["answered_within"], t["offered"]),
            "service_level_answered": _ratio(t["answered_within"], t["answered"]),
            "service_level_minus_early": _ratio(
                t["answered_within"], t["offered"] - t["abandoned_within"]
            ),
            "asa": _ratio(t["wait_answered"], t["answered"]),
            "mean_wait": _ratio(t["wait_all"], finished),
            "aht": _ratio(t["talk"], t["answered"]),
            "exited": t["exited"],
        }
        return np.asarray(values[name], dtype=np.float64)

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """``{line: {kpi: (mean, half_width)}}``, with ``"all"`` for every line together."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for line in [*self.lines, None]:
            row = {}
            for name in KPIS:
                v = self.kpi(name, line)
                row[name] = (
                    float(np.nanmean(v)) if np.isfinite(v).any() else math.nan,
                    _half_width(v),
                )
            out["all" if line is None else line] = row
        return out

    def utilization(self) -> dict[str, tuple[float, float]]:
        """Per agent group: busy over logged-in time (mean, half-width), counted where the
        KPIs count calls: after the warm-up, until the end of the horizon (or the last event,
        if the run stops before it)."""
        busy, staffed = self._stack("busy").sum(axis=2), self._stack("staffed").sum(axis=2)
        share = _ratio(busy, staffed)
        return {
            g: (float(np.nanmean(share[:, k])), _half_width(share[:, k]))
            for k, g in enumerate(self.groups)
        }

    def intervals(self, line: str | None = None) -> dict[str, FloatArray]:
        """Per interval (means over replications): start, offered, answered, abandoned,
        service_level, asa and the occupancy of all agents."""
        rows = slice(None) if line is None else [self.lines.index(line)]
        s = {
            k: self._stack(k)[:, rows, :].sum(axis=1).mean(axis=0)
            for k in ("offered", "answered", "answered_within", "abandoned", "wait_answered")
        }
        busy = self._stack("busy").sum(axis=1).mean(axis=0)
        staffed = self._stack("staffed").sum(axis=1).mean(axis=0)
        n = len(s["offered"])
        return {
            "start": self.start + self.interval * np.arange(n),
            "offered": s["offered"],
            "answered": s["answered"],
            "abandoned": s["abandoned"],
            "service_level": _ratio(s["answered_within"], s["offered"]),
            "asa": _ratio(s["wait_answered"], s["answered"]),
            "occupancy": _ratio(busy, staffed),
        }

    @property
    def calls(self) -> dict[str, npt.NDArray[Any]] | None:
        """Per-call records of the first replication (``record_calls=True``): arrival,
        call_type, line, wait, outcome (0 answered, 1 abandoned, 2 exited, 3 unfinished),
        agent, handle, retrial."""
        calls = self.runs[0]["calls"]
        return None if calls is None else dict(calls)

    def format(self) -> str:
        head = ["line", "offered", "abandoned", "SL", "ASA s", "wait s", "AHT s"]
        rows = [head]
        for line, k in self.summary().items():
            rows.append(
                [
                    line,
                    _pm(k["offered"], "{:,.0f}"),
                    _pm(k["abandon_rate"], "{:.1%}"),
                    _pm(k["service_level"], "{:.1%}"),
                    _pm(k["asa"], "{:.1f}"),
                    _pm(k["mean_wait"], "{:.1f}"),
                    _pm(k["aht"], "{:.0f}"),
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        text = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        util = ", ".join(f"{g} {m:.1%}" for g, (m, _) in self.utilization().items())
        text.append(
            f"{self.replications} replication(s), means ± 95 % CI; agent utilization: {util}"
        )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.format()


def _pm(value: tuple[float, float], fmt: str) -> str:
    mean, half = value
    if not math.isfinite(mean):
        return "-"
    text = fmt.format(mean)
    if math.isfinite(half):
        text += " ± " + fmt.format(half).lstrip()
    return text


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} replications")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


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
    """
    if (
        not isinstance(replications, int)
        or isinstance(replications, bool)
        or not 1 <= replications <= _MAX_REPLICATIONS
    ):
        raise ModelError(
            f"replications must be a whole number in [1, {_MAX_REPLICATIONS:,}], "
            f"got {replications!r}"
        )
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


# -------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class Comparison:
    """The same workload under several variants, with paired differences to the first."""

    results: dict[str, SimulationResult]
    kpis: tuple[str, ...] = ("service_level", "abandon_rate", "asa", "mean_wait")

    def table(self, line: str | None = None) -> dict[str, dict[str, tuple[float, float]]]:
        """``{variant: {kpi: (mean, half_width), kpi + "_diff": (mean, half_width)}}``.

        Differences are to the first variant, replication by replication (same seeds, so
        the same arrivals and callers): their confidence intervals are much narrower than
        those of the KPIs themselves.
        """
        names = list(self.results)
        base = self.results[names[0]]
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for name in names:
            res = self.results[name]
            row = {}
            for k in self.kpis:
                v = res.kpi(k, line)
                d = v - base.kpi(k, line)
                row[k] = (float(np.nanmean(v)), _half_width(v))
                row[k + "_diff"] = (float(np.nanmean(d)), _half_width(d))
            out[name] = row
        return out

    def format(self, line: str | None = None) -> str:
        names = list(self.results)
        fmts = {
            "service_level": "{:.2%}",
            "abandon_rate": "{:.2%}",
            "asa": "{:.1f}",
            "mean_wait": "{:.1f}",
        }
        head = ["variant", *self.kpis, *(f"Δ {k}" for k in self.kpis)]
        rows = [head]
        for name, row in self.table(line).items():
            cells = [name]
            cells += [_pm(row[k], fmts.get(k, "{:.3g}")) for k in self.kpis]
            cells += [
                "(base)" if name == names[0] else _pm(row[k + "_diff"], fmts.get(k, "{:.3g}"))
                for k in self.kpis
            ]
            rows.append(cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        n = self.results[names[0]].replications
        lines.append(f"{n} paired replications, means ± 95 % CI, Δ against {names[0]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def compare(
    model: Mapping[str, Any],
    variants: Sequence[str] | Mapping[str, Mapping[str, Any]],
    **options: Any,
) -> Comparison:
    """Run the same workload under several variants, with common random numbers.

    ``variants`` is a list of strategy names (applied to every queue of the model), or a
    mapping of names to whole models. ``options`` go to :func:`simulate` (``replications``,
    ``seed``, ``horizon``...): every variant runs with the same seed, so replication ``k``
    of each sees the same arrivals and callers.
    """
    if isinstance(variants, Mapping):
        models = dict(variants)
    else:
        models = {}
        if "center" in model:
            model = _with_center(model)
        for strategy in variants:
            m = dict(model)
            m["queues"] = [dict(q, strategy=strategy) for q in model.get("queues") or ()]
            models[str(strategy)] = m
    if len(models) < 2:
        raise ModelError("compare needs at least two variants")
    return Comparison({name: simulate(m, **options) for name, m in models.items()})
