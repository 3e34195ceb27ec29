"""A simulation model: the mapping (from Python, JSON, YAML or TOML) that :func:`simulate`
runs, checked and turned into the JSON the core reads.

Files are written in the name-keyed format (``version: 1``, ``kind: model``; README
"Simulation model file", :mod:`callroute.sim.schema`, :mod:`callroute.sim.modelfile`), which
:func:`load_model` and :func:`parse_model` check and turn into the list-shaped mapping
below; :func:`simulate` takes either. The list-shaped mapping, what a :class:`SimModel`
holds, looks like::

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
The routing lab's keys (see ``LAB-SPEC``/the README): the model's ``periods`` (``{"start": s,
"length": s}``) and ``busyness`` (``"shared"`` or ``"independent"``); a call type's own
``arrivals`` (then optional at the top), ``handle_by_period``, ``patience_by_period``,
``wrapup_by_period`` (lists, one per period), ``handle_by_group`` (``{group: dist}``),
``handle_by_level`` (``{level: multiplier}``) and ``balking`` (``{"probability": p}`` or
``{"by_expected_wait": {seconds: p}}``).
Durations and arrivals are the typed values of :mod:`callroute.sim.distributions` or their
plain JSON form. List-shaped files still load, with a deprecation warning.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import _core
from .._internal.deprecation import warn_once
from .._internal.files import Lines, read_document, read_document_lines, read_yaml_text
from ..errors import ModelError
from .distributions import Deterministic, Distribution
from .modelfile import convert, model_format, user_problem

__all__ = ["SimModel", "load_model", "parse_model"]

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
    if out.get("arrivals") is not None:
        out["arrivals"] = _arrivals(out["arrivals"], f"calls[{i}].arrivals")
    if out.get("handle_by_group") is not None:
        out["handle_by_group"] = _pairs(out["handle_by_group"], f"calls[{i}].handle_by_group")
    if isinstance(out.get("handle_by_level"), Mapping):  # {level: multiplier}
        out["handle_by_level"] = [
            [_number(k, int, f"calls[{i}].handle_by_level"), v]
            for k, v in out["handle_by_level"].items()
        ]
    balking = out.get("balking")
    if isinstance(balking, Mapping) and isinstance(balking.get("by_expected_wait"), Mapping):
        steps = balking["by_expected_wait"]  # {wait: probability}
        where = f"calls[{i}].balking.by_expected_wait"
        out["balking"] = dict(
            balking, by_expected_wait=[[_number(k, float, where), v] for k, v in steps.items()]
        )
    return out


def _number(key: Any, kind: type[int] | type[float], where: str) -> int | float:
    """A mapping key that stands for a number (YAML and JSON keys are often strings)."""
    try:
        return kind(key)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: expected a number as key, got {key!r}") from None


def _arrivals(a: Any, where: str = "arrivals") -> Any:
    """Accept ``calls`` (per interval, or per ``per`` seconds) where rates are expected."""
    if isinstance(a, Distribution):
        return a.to_json()
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
            raise ModelError(f"{where}.piecewise.interval must be > 0 seconds")
        spec["rates"] = [float(c) / length for c in calls]
    elif kind == "poisson":
        spec["rate"] = float(calls) / float(spec.pop("per", 1.0))
    return {kind: spec}


def _plain(value: Any) -> Any:
    """Typed distributions, numpy scalars and arrays to plain JSON values."""
    if isinstance(value, Distribution):
        return value.to_json()
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
    if model_format(model) == "new":
        model = convert(model)
    unknown = set(model) - {
        "queues",
        "groups",
        "calls",
        "arrivals",
        "record_calls",
        "center",
        "periods",
        "busyness",
        *_RUN_KEYS,
    }
    if unknown:
        raise ModelError(f"model: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if "center" in model:
        model = _with_center(model)
    for key in ("groups", "calls"):
        if key not in model:
            raise ModelError(f"model: missing {key}")
    body: dict[str, Any] = {
        "queues": [_queue(q, i) for i, q in enumerate(model.get("queues") or ())],
        "groups": [_group(g, i) for i, g in enumerate(model["groups"])],
        "calls": [_call(c, i) for i, c in enumerate(model["calls"])],
    }
    # (optional when every call type has its own arrivals: the core names what is missing)
    if model.get("arrivals") is not None:
        body["arrivals"] = _arrivals(model["arrivals"])
    for key in ("periods", "busyness"):
        if model.get(key) is not None:
            body[key] = model[key]
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
    from ..center import load_center
    from ..center.schema import queue_spec

    if "queues" in model:
        raise ModelError("model: give queues or center, not both")
    center = load_center(model["center"])
    specs: dict[str, dict[str, Any]] = {
        n: {"name": n, **queue_spec(q)} for n, q in center.queues.items()
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
    if isinstance(value, Deterministic):
        return value.value != 0
    if isinstance(value, Distribution):
        return True
    if isinstance(value, Mapping):  # a ring distribution: only a deterministic 0 rings not
        return value != Deterministic(0.0).to_json()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


class SimModel(dict[str, Any]):
    """A simulation model: a plain ``dict`` (see the module documentation for its keys)
    with helpers that derive variants without touching it.

    ``SimModel({...})`` wraps a mapping; :func:`load_model` returns one. Anything that takes
    a model also takes a plain mapping.
    """

    __slots__ = ()

    def with_strategy(self, strategy: str) -> SimModel:
        """A copy whose every queue routes with ``strategy`` (``"longest_idle"``,
        ``"round_robin"``, ``"highest_proficiency"``...).

        A model taking its queues from a ``center`` file gets them read from it first (the
        copy then holds the queues and agents and no ``center`` key).

        :param strategy: the strategy name, as :meth:`Engine.add_queue` takes it (checked
            when the model runs).
        :returns: a new :class:`SimModel`; this one is unchanged.
        :raises ~callroute.errors.ConfigError: when the ``center`` file does not load.
        :raises ~callroute.errors.ModelError: when the model's ``center`` and groups do not
            fit together.
        """
        base: Mapping[str, Any] = convert(self) if model_format(self) == "new" else self
        base = _with_center(base) if "center" in base else base
        out = SimModel(base)
        out["queues"] = [dict(q, strategy=strategy) for q in base.get("queues") or ()]
        return out


def load_model(path: str | os.PathLike[str]) -> SimModel:
    """Read a model from a YAML, JSON or TOML file, and check it.

    A model file of the name-keyed format (``version: 1``, ``kind: model``; see the README's
    "Simulation model file") is checked whole: every problem is reported at once with its
    path and line (``calls.billing.handle.exponential.mean: must be > 0, got -3 (model.yaml
    line 14)``). The older list-shaped files still load (with a ``DeprecationWarning``);
    their fields are checked when the model runs.

    :param path: the model file (``callroute.example_path("model")`` is a bundled one); a
        ``center`` path in it is taken relative to the file.
    :returns: the model (a :class:`SimModel`: a ``dict`` of the list-shaped form), for
        :func:`callroute.simulate`.
    :raises ~callroute.errors.ModelError: when the file cannot be read or parsed (within
        the size and alias limits of :mod:`callroute._internal.files`), its top level is not
        a mapping, or (new format) anything in it is wrong; ``problems`` lists them all.
    """
    p = Path(path)
    return _from_document(read_document(p, error=ModelError), p)


def _from_document(data: Any, p: Path) -> SimModel:
    """:func:`load_model` of the document already read from ``p``."""
    if not isinstance(data, dict):
        raise ModelError(f"{p}: expected a mapping at the top level")
    if model_format(data) == "new":
        return SimModel(_read_new(data, p))
    warn_once(
        "callroute.sim",
        "list-shaped model file",
        f"{p}: list-shaped model files are deprecated; write queues, groups and calls "
        "as mappings of names with version: 1 and kind: model (see the README, "
        '"Simulation model file")',
    )
    if isinstance(data.get("center"), str):
        data["center"] = str(p.parent / data["center"])
    return SimModel(data)


def _read_new(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """A name-keyed model file's list-shaped model, checked whole (its lines are worked out
    only when it has problems: then the file is read again for them)."""
    try:
        return _checked(data, path, None)
    except ModelError:
        _, lines = read_document_lines(path, error=ModelError)
    return _checked(data, path, lines)


def _checked(data: dict[str, Any], path: Path, lines: Lines | None) -> dict[str, Any]:
    out = convert(data, source=str(path), lines=lines)
    if isinstance(out.get("center"), str):
        out["center"] = str(path.parent / out["center"])
    _core_check(out, str(path), lines)
    return out


def parse_model(text: str, *, source: str = "<text>") -> SimModel:
    """Read a model of the name-keyed format from YAML text (JSON is YAML too), and check it.

    :param text: the model, as a model file holds it.
    :param source: what problems name (a file name); a ``center`` path is used as is.
    :returns: the model (a :class:`SimModel`), for :func:`callroute.simulate`.
    :raises ~callroute.errors.ModelError: listing every problem with its path and line.
    """
    data, lines = read_yaml_text(text, source=source, error=ModelError)
    if model_format(data) != "new":
        raise ModelError(
            problems=[
                "(top level): not a model of the name-keyed format (version: 1, kind: model, "
                "queues, groups and calls as mappings of names)"
            ],
            source=source,
        )
    out = convert(data, source=source, lines=lines)
    _core_check(out, source, lines)
    return SimModel(out)


def _core_check(model: dict[str, Any], source: str, lines: Lines | None = None) -> None:
    """What only the core checks (its own rules, the center file's queues and agents), at
    the user's path and line of a name-keyed model."""
    try:
        body = _model_body(model, {})
        _core.sim_model(json.dumps(body, default=_plain, allow_nan=False))
    except ModelError as exc:
        if lines is None:
            raise
        problems = [user_problem(p, model, source=source, lines=lines) for p in exc.problems]
        raise ModelError(problems=problems, source=source) from None
