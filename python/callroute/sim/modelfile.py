"""Reading a model file of the name-keyed format (``kind: model``, ``version: 1``).

:func:`model_format` tells a model document (new or old, list-shaped, format) from anything
else; :func:`convert` checks a document of the new format (shapes with :mod:`.schema`, then
the cross references), reporting every problem with its path and line in the user's file,
and turns it into the list-shaped mapping :func:`callroute.simulate` runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from .._internal.files import Lines
from ..center.loader import _build_order
from ..center.problems import (
    _fields_at,
    _kind,
    _message,
    _unknown,
    _unknown_field,
    format_path,
)
from ..errors import ModelError, Problem
from .schema import (
    CallModel,
    GroupModel,
    ModelFile,
    PiecewiseArrivals,
    PoissonArrivals,
    TraceArrivals,
    dist_json,
)

__all__ = [
    "Found",
    "arrivals_json",
    "checked_document",
    "convert",
    "model_format",
    "section_items",
    "shape_problems",
    "user_problem",
]

_CENTER_SECTIONS = ("tenants", "agents", "numbers", "prompts", "flows", "operators", "roles")
_MODEL_KEYS = ("groups", "calls", "arrivals", "horizon", "center")

Format = Literal["new", "old"]


def model_format(data: Any) -> Format | None:
    """``"new"`` for a model of the name-keyed format, ``"old"`` for a list-shaped one,
    ``None`` for anything else (a center file, say).

    A file says it is a model with ``kind: model``; without it, a mapping with ``calls``,
    ``groups``, ``arrivals``, ``horizon`` or ``center`` and no section of a center file is
    one, of the new format when it has ``version`` or its sections are mappings.
    """
    if not isinstance(data, Mapping):
        return None
    if "kind" in data:
        return "new" if data["kind"] == "model" else None
    if any(k in data for k in _CENTER_SECTIONS):
        return None
    if not any(k in data for k in _MODEL_KEYS):
        return None
    if "version" in data:
        return "new"
    if any(isinstance(data.get(k), Mapping) for k in ("queues", "groups", "calls")):
        return "new"
    return "old"


# ------------------------------------------------------------------------ problems


class Found:
    """Problems with their paths and lines, sorted by line (the model files' and the
    blended-day files' shared machinery)."""

    def __init__(self, lines: Lines, source: str) -> None:
        self.lines = lines
        self.name = Path(source).name if source and not source.startswith("<") else ""
        self.items: list[tuple[int, int, Problem]] = []

    def line(self, loc: Sequence[Any]) -> int | None:
        parts = tuple(loc)
        while True:
            if parts in self.lines:
                return self.lines[parts]
            if not parts:
                return None
            parts = parts[:-1]

    def add(self, loc: Sequence[Any], message: str) -> None:
        line = self.line(loc)
        if line is not None:
            where = f"{self.name} line {line}" if self.name else f"line {line}"
            message = f"{message} ({where})"
        self.items.append((line or 0, len(self.items), Problem(format_path(loc), message)))

    def problems(self) -> list[Problem]:
        return [p for *_, p in sorted(self.items, key=lambda item: item[:2])]


def _strip_tags(loc: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        p for p in loc if not (isinstance(p, str) and p.startswith("<") and p.endswith(">"))
    )


def shape_problems(error: ValidationError, found: Found, root: type[BaseModel] = ModelFile) -> None:
    """Add pydantic's problems with a document of schema ``root`` to ``found``."""
    for e in error.errors(include_url=False):
        loc = _strip_tags(e["loc"])
        if e["type"] == "extra_forbidden":
            name = str(loc[-1])
            if name.endswith(")"):
                message = (
                    "unknown field: inside { } a distribution with several arguments must be "
                    "quoted ('lognormal(240, 1.1)'), or the commas split it"
                )
            else:
                message = _unknown_field(name, _fields_at(root, loc[:-1]))
        elif e["type"] == "missing" and loc == ("version",):
            message = "required: version: 1 (the model format's version)"
        else:
            message = _message({**e, "loc": loc}, None)
        found.add(loc, message)


# ------------------------------------------------------------------------ cross references


def _names(data: Mapping[str, Any], section: str) -> list[str]:
    value = data.get(section)
    return [str(k) for k in value] if isinstance(value, Mapping) else []


def section_items(data: Mapping[str, Any], section: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries of a name-keyed section that are mappings, as ``(name, settings)``."""
    value = data.get(section)
    if not isinstance(value, Mapping):
        return []
    return [(str(k), v) for k, v in value.items() if isinstance(v, Mapping)]


def _references(data: Mapping[str, Any], found: Found) -> None:
    """Names that point at nothing, settings that need another one: on the raw document,
    so they are found even where its shapes are wrong."""
    has_center = data.get("center") is not None
    queues, groups, calls = _names(data, "queues"), _names(data, "groups"), _names(data, "calls")
    periods = data.get("periods") is not None
    if has_center and "queues" in data:
        found.add(("queues",), "give queues or center, not both (the center has the queues)")
    if not has_center and not groups and "groups" not in data:
        found.add(("groups",), "required: at least one group of agents")
    if not has_center:
        for name, q in section_items(data, "queues"):
            target = q.get("overflow")
            if isinstance(target, str) and target not in queues:
                found.add(("queues", name, "overflow"), _unknown("queue", target, queues))
            steps = q.get("steps")
            for i, step in enumerate(steps if isinstance(steps, list) else ()):
                also = step.get("also_queues") if isinstance(step, Mapping) else None
                for j, other in enumerate(also if isinstance(also, list) else ()):
                    if isinstance(other, str) and other not in queues:
                        found.add(
                            ("queues", name, "steps", i, "also_queues", j),
                            _unknown("queue", other, queues),
                        )
    for name, g in section_items(data, "groups"):
        staffed = any(g.get(k) is not None for k in ("count", "counts", "shifts"))
        if not has_center and not staffed:
            found.add(("groups", name), "give count, counts (per interval) or shifts")
        if g.get("counts") is not None and g.get("interval") is None and not periods:
            found.add(("groups", name, "counts"), "needs interval (or the model's periods)")
    _period_counts(data, found)
    own_arrivals = []
    for name, c in section_items(data, "calls"):
        where = ("calls", name)
        joins = c.get("queue")
        if isinstance(joins, str) and not has_center and joins not in queues:
            found.add((*where, "queue"), _unknown("queue", joins, queues))
        by_group = c.get("handle_by_group")
        if isinstance(by_group, Mapping) and not has_center:
            for group in by_group:
                if str(group) not in groups:
                    found.add((*where, "handle_by_group", group), _unknown("group", group, groups))
        for key in ("handle_by_period", "patience_by_period", "wrapup_by_period"):
            if c.get(key) is not None and not periods:
                found.add((*where, key), "needs the model's periods (periods: {start, length})")
        arrivals = c.get("arrivals")
        own_arrivals.append(arrivals is not None)
        _check_arrivals(arrivals, (*where, "arrivals"), periods, calls, found, own=True)
    if "arrivals" not in data or data.get("arrivals") is None:
        missing = [
            n
            for (n, _), own in zip(section_items(data, "calls"), own_arrivals, strict=True)
            if not own
        ]
        if missing:
            found.add(
                ("arrivals",),
                "required: the call types without arrivals of their own "
                f"({', '.join(missing)}) share these",
            )
    else:
        if own_arrivals and all(own_arrivals):
            found.add(
                ("arrivals",),
                "every call type has arrivals of its own, so these would reach none: remove them",
            )
        _check_arrivals(data["arrivals"], ("arrivals",), periods, calls, found, own=False)
        shared = [
            c.get("share", 1.0)
            for (_, c), own in zip(section_items(data, "calls"), own_arrivals, strict=True)
            if not own
        ]
        if shared and all(isinstance(s, (int, float)) and s == 0 for s in shared):
            found.add(("calls",), "the shares of the call types sharing arrivals are all 0")


def _period_counts(data: Mapping[str, Any], found: Found) -> None:
    """Every value by period gives one value per main period: as many as the first one."""
    first: tuple[str, str, int] | None = None
    for name, c in section_items(data, "calls"):
        for key in ("handle_by_period", "patience_by_period", "wrapup_by_period"):
            values = c.get(key)
            if not isinstance(values, list):
                continue
            if first is None:
                first = (name, key, len(values))
            elif len(values) != first[2]:
                found.add(
                    ("calls", name, key),
                    f"gives {len(values)} periods where calls.{first[0]}.{first[1]} gives "
                    f"{first[2]}: give one value per main period everywhere",
                )


def _check_arrivals(
    value: Any, where: tuple[Any, ...], periods: bool, calls: list[str], found: Found, *, own: bool
) -> None:
    if not isinstance(value, Mapping) or len(value) != 1:
        return
    ((kind, spec),) = value.items()
    if not isinstance(spec, Mapping):
        return
    if kind == "piecewise" and spec.get("interval") is None and not periods:
        found.add((*where, kind), "needs interval (or the model's periods)")
    times = spec.get("times") if kind == "trace" else None
    if isinstance(times, list) and all(isinstance(t, (int, float)) for t in times):
        back = next((i for i in range(1, len(times)) if times[i] < times[i - 1]), None)
        if back is not None:
            found.add((*where, kind, "times", back), "must not be before the time before it")
        types_ = spec.get("types")
        if isinstance(types_, list) and len(types_) != len(times):
            found.add(
                (*where, kind, "types"),
                f"one call type per arrival time: {len(types_)} types for {len(times)} times",
            )
    if kind == "trace" and spec.get("types") is not None:
        if own:
            found.add((*where, kind, "types"), "a call type's own trace has no types")
            return
        types_ = spec["types"]
        for i, t in enumerate(types_ if isinstance(types_, list) else ()):
            if isinstance(t, str) and t not in calls:
                found.add((*where, kind, "types", i), _unknown("call type", t, calls))
                break


# ------------------------------------------------------------------------ conversion


def arrivals_json(
    a: PoissonArrivals | PiecewiseArrivals | TraceArrivals,
    *,
    start: float,
    interval: float,
    calls: Sequence[str] = (),
) -> dict[str, Any]:
    """Parsed arrivals as the core reads them (rates per second, a trace's call types by
    index in ``calls``). Piecewise arrivals without their own ``start`` or ``interval``
    take the file's defaults given here (model files: the model's ``periods``, else its
    ``start``; blended days: the day's ``start`` and statistics ``interval``)."""
    if isinstance(a, PoissonArrivals):
        p = a.poisson
        rate = p.rate if p.rate is not None else p.calls
        return {"poisson": {"rate": float(rate or 0.0) / p.per}}
    if isinstance(a, PiecewiseArrivals):
        w = a.piecewise
        first = w.start if w.start is not None else start
        length = w.interval or interval
        if w.calls is not None:
            rates = [c / length for c in w.calls]
        else:
            rates = [r / w.per for r in w.rates or ()]
        return {"piecewise": {"start": first, "interval": length, "rates": rates}}
    out: dict[str, Any] = {"times": list(a.trace.times)}
    if a.trace.types is not None:
        out["types"] = [list(calls).index(t) for t in a.trace.types]
    return {"trace": out}


def _first_period(m: ModelFile) -> float:
    """Where the model's periods start: ``periods.start``, else the model's ``start``
    (the by-period values, counts and piecewise arrivals that give no start of their own
    start there, not at 0, which a day starting at 08:00 never sees)."""
    if m.periods is not None and m.periods.start is not None:
        return m.periods.start
    return m.start


def _model_arrivals(a: Any, m: ModelFile, calls: list[str]) -> dict[str, Any]:
    interval = m.periods.length if m.periods else 0.0
    return arrivals_json(a, start=_first_period(m), interval=interval, calls=calls)


def _group_json(name: str, g: GroupModel, m: ModelFile) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if g.count is not None:
        out["count"] = g.count
    elif g.counts is not None:
        out["counts"] = list(g.counts)
        out["interval"] = g.interval or (m.periods.length if m.periods else 0.0)
        out["start"] = g.start if g.start is not None else _first_period(m)
    elif g.shifts is not None:
        out["shifts"] = [s.model_dump() for s in g.shifts]
    for key in ("tenant", "skills", "capacity", "exclusive", "weight", "no_answer"):
        value = getattr(g, key)
        if value is not None:
            out[key] = value
    if g.ring is not None:
        out["ring"] = dist_json(g.ring)
    return out


def _call_json(name: str, c: CallModel, m: ModelFile, calls: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    for key in ("queue", "skills", "tenant", "media", "sl_threshold"):
        value = getattr(c, key)
        if value is not None:
            out[key] = value
    out["priority"] = c.priority
    out["share"] = c.share
    if c.handle is not None:
        out["handle"] = dist_json(c.handle)
    elif c.handle_by_period:
        out["handle"] = dist_json(c.handle_by_period[0])
    out["patience"] = dist_json(c.patience)
    if c.wrapup is not None:
        out["wrapup"] = dist_json(c.wrapup)
    for key in ("handle_by_period", "patience_by_period", "wrapup_by_period"):
        values = getattr(c, key)
        if values is not None:
            out[key] = [dist_json(d) for d in values]
    if c.handle_by_group is not None:
        out["handle_by_group"] = [[g, dist_json(d)] for g, d in c.handle_by_group.items()]
    if c.handle_by_level is not None:
        out["handle_by_level"] = [[lvl, f] for lvl, f in c.handle_by_level.items()]
    if c.retrial is not None:
        out["retrial"] = {
            "probability": c.retrial.probability,
            "delay": dist_json(c.retrial.delay),
        }
    if c.callback is not None:
        out["callback"] = c.callback.model_dump()
    if c.balking is not None:
        out["balking"] = c.balking.model_dump(exclude_none=True)
        if "by_expected_wait" in out["balking"]:
            out["balking"]["by_expected_wait"] = [list(p) for p in c.balking.by_expected_wait or ()]
    if c.arrivals is not None:
        out["arrivals"] = _model_arrivals(c.arrivals, m, calls)
    return out


def _to_mapping(m: ModelFile) -> dict[str, Any]:
    calls = list(m.calls)
    out: dict[str, Any] = {}
    if m.center is not None:
        out["center"] = m.center
    else:
        # (in the file's order, each after the queues it names, as the center file's)
        out["queues"] = [{"name": n, **m.queues[n].model_dump()} for n in _build_order(m.queues)]
    out["groups"] = [_group_json(n, g, m) for n, g in m.groups.items()]
    out["calls"] = [_call_json(n, c, m, calls) for n, c in m.calls.items()]
    if m.arrivals is not None:
        out["arrivals"] = _model_arrivals(m.arrivals, m, calls)
    if m.periods is not None:
        out["periods"] = {"start": _first_period(m), "length": m.periods.length}
    if m.busyness != "shared":
        out["busyness"] = m.busyness
    if m.daily_multiplier is not None:
        out["daily_multiplier"] = dist_json(m.daily_multiplier)
    for key in ("start", "horizon", "warmup", "interval", "max_calls", "drain", "max_in_system"):
        value = getattr(m, key)
        if value is not None:
            out[key] = value
    if m.record_calls:
        out["record_calls"] = True
    return out


def convert(data: Any, *, source: str = "<mapping>", lines: Lines | None = None) -> dict[str, Any]:
    """Check a model of the name-keyed format and give the list-shaped mapping it means.

    :param data: the document (a mapping, as read from the file).
    :param source: the file, named in the problems (its name with each line).
    :param lines: where each path of the document is (``read_document_lines``).
    :returns: the list-shaped model mapping (see :mod:`callroute.sim.model`).
    :raises ~callroute.errors.ModelError: listing every problem, each ``path: message
        (file line n)``, in the order of the file.
    """
    return _to_mapping(checked_document(data, ModelFile, _references, source=source, lines=lines))


Root = TypeVar("Root", bound=BaseModel)


def checked_document(
    data: Any,
    root: type[Root],
    references: Callable[[Mapping[str, Any], Found], None],
    *,
    source: str,
    lines: Lines | None,
    what: str = "a model",
) -> Root:
    """``data`` parsed with the schema ``root``, its shapes and (on the raw document, so
    they are found even where the shapes are wrong) its ``references`` checked.

    :raises ~callroute.errors.ModelError: listing every problem with its path and line.
    """
    found = Found(lines or {}, source)
    if not isinstance(data, Mapping):
        found.add((), f"{what} must be a mapping, got {_kind(data)}")
        raise ModelError(problems=found.problems(), source=source)
    parsed: Root | None = None
    try:
        parsed = root.model_validate(dict(data))
    except ValidationError as exc:
        shape_problems(exc, found, root)
    references(data, found)
    if found.items or parsed is None:
        raise ModelError(problems=found.problems(), source=source)
    return parsed


_LIST_PATH = re.compile(r"^(queues|groups|calls)\[(\d+)\](.*)$")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def user_problem(
    problem: Problem, model: Mapping[str, Any], *, source: str, lines: Lines
) -> Problem:
    """A problem the core found in the list-shaped ``model`` (``calls[1].wrapup: ...``)
    at the path and line the user wrote in the name-keyed file (``calls.chat.wrapup: ...
    (model.yaml line 12)``); other problems as they are."""
    match = _LIST_PATH.match(problem.location)
    if match is None:
        return problem
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    items = model.get(section)
    if not isinstance(items, list) or index >= len(items):
        return problem
    loc: list[Any] = [section, items[index].get("name")]
    for name, number in _PART.findall(rest):
        loc.append(name if name else int(number))
    found = Found(lines, source)
    found.add(loc, problem.message)
    return found.problems()[0]
