"""Flows from configuration mappings (:func:`parse_flow`), every problem reported at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import time
from typing import Any, cast

from .._internal.checks import _Problems, _show, _tuple
from ..hours import BusinessHours, _parse_hours, _parse_range, _zone, day_index
from .flow import DEFAULT_STEP_LIMIT, Flow, _flow_path
from .nodes import (
    _NODE_TYPES,
    BranchNode,
    Condition,
    DataTest,
    HoursNode,
    MenuNode,
    Node,
    OpenHours,
    Rule,
    TimeOfDay,
    _Node,
)


def parse_flow(
    name: str,
    spec: Mapping[str, Any],
    where: str = "ivr",
    *,
    calendars: Mapping[str, BusinessHours] | None = None,
) -> Flow:
    """Build the flow ``name`` from a configuration mapping, validating everything.

    ``spec`` has ``start`` (a node name), ``nodes`` (name → node mapping, each with a
    ``type``: ``play``, ``menu``, ``collect``, ``authenticate``, ``branch``, ``hours``,
    ``set``, ``lookup``, ``queue``, ``callback``, ``voicemail``, ``transfer``, ``hangup``;
    the other keys are the fields of the node class, e.g. ``MenuNode``) and an optional
    ``step_limit``. Branch rules are mappings with ``goto`` and one test: ``data: KEY``
    with ``equals``, ``in``, ``exists`` or ``regex``; ``time: "HH:MM-HH:MM"`` with
    optional ``days`` (``[mon, fri]``) and ``tz``; or ``open: CALENDAR``. A calendar
    (``hours`` node ``calendar``, rule ``open``) is a :meth:`BusinessHours.from_spec`
    mapping or a name: with ``calendars`` given, names must be in it and are resolved;
    without, they are kept for :class:`Session` (``calendars=``) to resolve and listed by
    :meth:`Flow.references`. Menu option keys may be integers (YAML).

    ``where`` is the path of the mapping that holds the flows: problems read
    ``{where}.{name}.nodes.menu1.options.3: unknown node "foo"``. A ``where`` that already
    ends with ``.{name}`` (``tenants.bank.ivr.main``) is the flow's own path and is used
    as is. Raises :class:`~callroute.errors.ConfigError` listing every problem, one per
    line; returns the flow (whose :attr:`Flow.where` is that path) otherwise.
    """
    path = _flow_path(name, where)
    problems = _Problems()
    if not isinstance(spec, Mapping):
        problems.add(path, f"must be a mapping with start and nodes, got {_show(spec)}")
        problems.raise_if_any()
    for key in spec:
        if key not in ("start", "nodes", "step_limit"):
            problems.add(f"{path}.{key}", "unknown key (expected start, nodes, step_limit)")
    if "start" not in spec:
        problems.add(f"{path}.start", "missing")
    raw_nodes = spec.get("nodes")
    nodes: dict[str, Node] = {}
    declared: set[str] = set()
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        problems.add(
            f"{path}.nodes", f"must be a non-empty mapping of nodes, got {_show(raw_nodes)}"
        )
        raw_nodes = {}
    declared = {k for k in raw_nodes if isinstance(k, str) and k}
    for key, node_spec in raw_nodes.items():
        node_path = f"{path}.nodes.{key}"
        if not isinstance(key, str) or not key:
            problems.add(node_path, "node names must be non-empty strings")
            continue
        node = _parse_node(node_spec, node_path, problems, calendars)
        if node is not None:
            node._check(node_path, problems, declared)
            nodes[key] = cast(Node, node)
    if "start" in spec:
        problems.ref(f"{path}.start", spec["start"], declared)
    step_limit = spec.get("step_limit", DEFAULT_STEP_LIMIT)
    problems.integer(f"{path}.step_limit", step_limit, minimum=1)
    problems.raise_if_any()
    # The above is everything Flow() checks but the name (reported only when all else is
    # valid, as Flow() would): build the flow without checking it all again.
    problems.text(f"{path}.name", name)
    problems.raise_if_any()
    return Flow._checked(name, spec["start"], nodes, step_limit, path)


def _parse_node(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> _Node | None:
    if not isinstance(spec, Mapping):
        problems.add(path, f"must be a mapping with a type, got {_show(spec)}")
        return None
    kind = spec.get("type")
    cls = _NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        problems.add(f"{path}.type", f"must be one of {', '.join(_NODE_TYPES)}, got {_show(kind)}")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    ok = True
    for key, value in spec.items():
        if key == "type":
            continue
        if key not in fields:
            problems.add(f"{path}.{key}", f"unknown key for a {kind} node")
            ok = False
            continue
        kwargs[key] = _tuple(value)
    for fname, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and fname not in spec:
            problems.add(f"{path}.{fname}", "missing")
            ok = False
    if not ok:
        return None
    if cls is MenuNode and isinstance(kwargs.get("options"), Mapping):
        kwargs["options"] = {
            (str(k) if isinstance(k, int) and not isinstance(k, bool) else k): v
            for k, v in kwargs["options"].items()
        }
    if cls is HoursNode:
        calendar = _calendar(kwargs["calendar"], f"{path}.calendar", problems, calendars)
        if calendar is None:
            return None
        kwargs["calendar"] = calendar
    if cls is BranchNode:
        rules = _parse_rules(kwargs["rules"], f"{path}.rules", problems, calendars)
        if rules is None:
            return None
        kwargs["rules"] = rules
    return cls(**kwargs)


def _calendar(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> BusinessHours | str | None:
    if isinstance(spec, str) and spec:
        if calendars is None:
            return spec
        if spec not in calendars:
            problems.add(path, f'unknown business hours "{spec}"')
            return None
        return calendars[spec]
    hours, found = _parse_hours(spec, path)
    problems.lines.extend(found.lines)
    return hours


_RULE_TESTS = ("equals", "in", "exists", "regex")


def _parse_rules(
    spec: object, path: str, problems: _Problems, calendars: Mapping[str, BusinessHours] | None
) -> tuple[Rule, ...] | None:
    if not isinstance(spec, tuple):
        problems.add(path, f"must be a list of rules, got {_show(spec)}")
        return None
    rules = []
    for i, raw in enumerate(spec):
        rule_path = f"{path}[{i}]"
        if not isinstance(raw, Mapping):
            problems.add(rule_path, f"must be a mapping, got {_show(raw)}")
            continue
        kinds = [k for k in ("data", "time", "open") if k in raw]
        if len(kinds) != 1:
            problems.add(rule_path, "needs exactly one of data, time, open")
            continue
        allowed = {"goto", kinds[0]} | {
            "data": set(_RULE_TESTS),
            "time": {"days", "tz"},
            "open": set(),
        }[kinds[0]]
        unknown = [str(k) for k in raw if k not in allowed]
        for key in unknown:
            problems.add(f"{rule_path}.{key}", "unknown key for this rule")
        if "goto" not in raw:
            problems.add(f"{rule_path}.goto", "missing")
        condition = _parse_condition(kinds[0], raw, rule_path, problems, calendars)
        if condition is not None and not unknown and "goto" in raw:
            rules.append(Rule(condition, raw["goto"]))
    return tuple(rules) if len(rules) == len(spec) else None


def _parse_condition(
    kind: str,
    raw: Mapping[str, Any],
    path: str,
    problems: _Problems,
    calendars: Mapping[str, BusinessHours] | None,
) -> Condition | None:
    if kind == "data":
        tests = [t for t in _RULE_TESTS if t in raw]
        if len(tests) != 1:
            problems.add(path, "a data rule needs exactly one of equals, in, exists, regex")
            return None
        op = tests[0]
        return DataTest(raw["data"], op, raw[op])  # type: ignore[arg-type]
    if kind == "open":
        calendar = _calendar(raw["open"], f"{path}.open", problems, calendars)
        return OpenHours(calendar) if calendar is not None else None
    parsed = _parse_range(raw["time"], f"{path}.time", problems)
    days: set[int] = set()
    raw_days = _tuple(raw.get("days", ()))
    if not isinstance(raw_days, tuple):
        raw_days = (raw_days,)
    for j, day in enumerate(raw_days):
        index = day_index(day)
        if index is None:
            problems.add(f"{path}.days[{j}]", f"unknown day {_show(day)} (expected mon..sun)")
        else:
            days.add(index)
    zone = raw.get("tz")
    if zone is not None:
        _zone(zone, f"{path}.tz", problems)
    if parsed is None or len(days) != len(raw_days) or parsed[1] > 1439:
        if parsed is not None and parsed[1] > 1439:
            problems.add(f"{path}.time", "use 00:00 for midnight as an end")
        return None
    start = time(parsed[0] // 60, parsed[0] % 60)
    end = time(parsed[1] // 60, parsed[1] % 60)
    return TimeOfDay(start, end, frozenset(days), zone)
