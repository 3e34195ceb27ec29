"""A named flow: its nodes by name, validated on construction, with lint warnings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .._internal.checks import _Problems, _show
from .nodes import (
    AuthenticateNode,
    BranchNode,
    CallbackNode,
    HoursNode,
    LookupNode,
    Node,
    OpenHours,
    QueueNode,
    TimeOfDay,
    _Node,
)

DEFAULT_STEP_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Flow:
    """A named IVR flow: ``nodes`` by name, entered at ``start``.

    ``step_limit`` caps node visits per session (a loop then hangs up with reason
    ``"step_limit"``). ``where`` is the path problems and lint warnings are reported
    under (default ``ivr.<name>``). Construction validates every node and reference and
    raises :class:`~callroute.errors.ConfigError` listing all problems, one per line.
    """

    name: str
    start: str
    nodes: Mapping[str, Node]
    step_limit: int = DEFAULT_STEP_LIMIT
    where: str = ""

    def __post_init__(self) -> None:
        self._normalize()
        problems = _Problems()
        _check_flow(self.where, self.name, self.start, self.nodes, self.step_limit, problems)
        problems.raise_if_any()

    def _normalize(self) -> None:
        if isinstance(self.nodes, Mapping):
            object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
        if not self.where:
            object.__setattr__(self, "where", f"ivr.{self.name}")

    @classmethod
    def _checked(
        cls, name: str, start: str, nodes: Mapping[str, Node], step_limit: int, where: str
    ) -> Flow:
        """A flow from parts :func:`parse_flow` has validated already: not checked again."""
        values = {
            "name": name,
            "start": start,
            "nodes": nodes,
            "step_limit": step_limit,
            "where": where,
        }
        flow = object.__new__(cls)
        # every field of the class, so that one added later without a value here fails at
        # once (KeyError) rather than staying unset
        for part in dataclasses.fields(cls):
            object.__setattr__(flow, part.name, values[part.name])
        flow._normalize()
        return flow

    @property
    def needs_clock(self) -> bool:
        """True when some node branches on the wall clock (time of day, business hours)."""
        for node in self.nodes.values():
            if isinstance(node, HoursNode):
                return True
            if isinstance(node, BranchNode) and any(
                isinstance(r.when, (TimeOfDay, OpenHours)) for r in node.rules
            ):
                return True
        return False

    def references(self) -> list[tuple[str, tuple[str | int, ...], str]]:
        """The names this flow uses that live outside it, as ``(kind, path, name)``.

        ``kind`` is ``"prompt"``, ``"queue"``, ``"skill"`` (skills a queue or callback node
        asks for), ``"hours"`` (calendars given by name), ``"verifier"`` (verifiers given by
        name) or ``"lookup"`` (hook names); ``path`` is
        the place inside the flow, e.g. ``("nodes", "menu1", "prompt")``. For checking a
        configuration's cross references.
        """
        found: list[tuple[str, tuple[str | int, ...], str]] = []
        for name, node in self.nodes.items():
            at: tuple[str | int, ...] = ("nodes", name)
            for key in ("prompt", "invalid_prompt", "no_input_prompt"):
                value = getattr(node, key, None)
                if isinstance(value, str):
                    found.append(("prompt", (*at, key), value))
            if isinstance(node, (QueueNode, CallbackNode)):
                found.append(("queue", (*at, "queue"), node.queue))
                found.extend(("skill", (*at, "skills", i), s) for i, s in enumerate(node.skills))
            elif isinstance(node, AuthenticateNode) and isinstance(node.verifier, str):
                found.append(("verifier", (*at, "verifier"), node.verifier))
            elif isinstance(node, LookupNode):
                found.append(("lookup", (*at, "name"), node.name))
        for path, calendar in self._calendar_names(relative=True):
            found.append(("hours", path, calendar))
        return found

    def _calendar_names(self, *, relative: bool = False) -> list[tuple[Any, str]]:
        """Calendars given by name: ``(path, name)``; path a string, or a tuple when
        ``relative``."""
        found: list[tuple[Any, str]] = []
        for name, node in self.nodes.items():
            places: list[tuple[tuple[str | int, ...], object]] = []
            if isinstance(node, HoursNode):
                places.append((("nodes", name, "calendar"), node.calendar))
            elif isinstance(node, BranchNode):
                for i, rule in enumerate(node.rules):
                    if isinstance(rule.when, OpenHours):
                        places.append((("nodes", name, "rules", i, "open"), rule.when.calendar))
            for path, calendar in places:
                if isinstance(calendar, str):
                    found.append((path if relative else _join(self.where, path), calendar))
        return found

    def lint(self) -> list[str]:
        """Warnings (``path: message``) for nodes unreachable from ``start`` and for nodes
        from which no end (queue, callback, voicemail, transfer, hangup, or a menu or
        collect without a ``failure`` node, which hangs up) can be reached."""
        reachable = _closure([self.start], lambda n: self.nodes[n].targets())
        predecessors: dict[str, list[str]] = {name: [] for name in self.nodes}
        for name, node in self.nodes.items():
            for target in node.targets():
                predecessors[target].append(name)
        ending = _closure(
            [n for n, node in self.nodes.items() if node.can_end()], lambda n: predecessors[n]
        )
        warnings = []
        for name in self.nodes:
            path = f"{self.where}.nodes.{name}"
            if name not in reachable:
                warnings.append(f"{path}: cannot be reached from start ({self.start})")
            if name not in ending:
                warnings.append(
                    f"{path}: never ends (no queue, callback, voicemail, transfer or hangup"
                    " can be reached from it)"
                )
        return warnings


def _join(where: str, path: tuple[str | int, ...]) -> str:
    text = where
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _closure(seeds: list[str], step: Callable[[str], Collection[str]]) -> set[str]:
    seen = set(seeds)
    todo = list(seeds)
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_flow(
    where: str, name: object, start: object, nodes: object, step_limit: object, problems: _Problems
) -> None:
    problems.text(f"{where}.name", name)
    problems.integer(f"{where}.step_limit", step_limit, minimum=1)
    if not isinstance(nodes, Mapping) or not nodes:
        problems.add(f"{where}.nodes", f"must be a non-empty mapping of nodes, got {_show(nodes)}")
        return
    problems.ref(f"{where}.start", start, nodes)
    for key, node in nodes.items():
        path = f"{where}.nodes.{key}"
        if not isinstance(key, str) or not key:
            problems.add(path, "node names must be non-empty strings")
        if not isinstance(node, _Node):
            problems.add(path, f"must be a node, got {_show(node)}")
        else:
            node._check(path, problems, nodes)


def _flow_path(name: str, where: str) -> str:
    if where == name or where.endswith(f".{name}"):
        return where
    return f"{where}.{name}"
