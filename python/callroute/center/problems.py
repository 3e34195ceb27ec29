"""Validation problems as ``path: message`` lines a person can act on.

Pydantic's errors are rephrased here (what is expected, the names that exist).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
)

from ..errors import Problem


def format_path(loc: Iterable[str | int]) -> str:
    """``("queues", "billing", "steps", 1, "after")`` -> ``queues.billing.steps[1].after``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {_show(value)}"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _one_of(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return "none declared"
    if len(listed) > 12:
        return "one of: " + ", ".join(listed[:12]) + ", ..."
    return "one of: " + ", ".join(listed)


def _unknown(kind: str, name: Any, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    if close:
        return f"unknown {kind} {name!r} (did you mean {close[0]!r}?)"
    return f"unknown {kind} {name!r} (expected {_one_of(known)})"


def _unknown_field(name: str, allowed: Sequence[str]) -> str:
    """The message for a field ``name`` that is not one of ``allowed`` (the closest, or all)."""
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean {close[0]!r}?)"
    return f"unknown field (expected {_one_of(allowed)})" if allowed else "unknown field"


def _members(tp: Any) -> list[Any]:
    """The types ``tp`` stands for: itself, or each member of a union (``Annotated`` peeled)."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]


def _fields_at(model: Any, loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at ``loc`` under ``model`` (for "unknown field" messages),
    following every member of a union; empty when ``loc`` leads to no model."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            for member in _members(tp):
                origin = get_origin(member)
                if isinstance(member, type) and issubclass(member, BaseModel):
                    info = member.model_fields.get(str(part))
                    if info is not None:
                        nxt.append(info.annotation)
                elif origin is dict:
                    nxt.append(get_args(member)[1])
                elif origin is list:
                    nxt.append(get_args(member)[0])
        current = nxt
    names: list[str] = []
    for tp in current:
        for member in _members(tp):
            if isinstance(member, type) and issubclass(member, BaseModel):
                names.extend(member.model_fields)
    return names


def _message(error: Mapping[str, Any], model: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        loc = error["loc"]
        return _unknown_field(str(loc[-1]), _fields_at(model, loc[:-1]))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        limit = next(iter(ctx.values()))
        return f"must be {op} {_num(limit)}, got {_show(given)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be an integer, got {_kind(given)}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {_kind(given)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(given)}"
    if kind in ("string_type",):
        if error["loc"] and error["loc"][-1] == "[key]":
            return f"name must be a string, got {_kind(given)}"
        return f"must be a string, got {_kind(given)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {_kind(given)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {_kind(given)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {_kind(given)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of: {expected}; got {_show(given)}"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind in ("string_too_long",):
        return f"must be at most {ctx.get('max_length')} characters"
    if kind in ("too_short",):
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind.startswith(("datetime", "date")):
        return (
            f"must be a date (2025-12-25) or a date and time (2025-12-25T08:00), got {_show(given)}"
        )
    msg = str(error.get("msg", kind))
    return msg.removeprefix("Value error, ")


class _Problems:
    """Problems in file order (section, item), each ``path: what is expected``."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._order = {k: i for i, k in enumerate(data)}
        self._items: dict[str, dict[Any, int]] = {}
        for key, value in data.items():
            if isinstance(value, Mapping):
                self._items[key] = {k: i for i, k in enumerate(value)}
        self._found: list[tuple[int, int, int, str | Problem]] = []

    def add(self, loc: Sequence[str | int], message: str) -> None:
        section = str(loc[0]) if loc else ""
        first = self._order.get(section, -1)
        second = self._items.get(section, {}).get(loc[1], -1) if len(loc) > 1 else -1
        self._found.append((first, second, len(self._found), Problem(format_path(loc), message)))

    def extend(self, prefix: Sequence[str | int], error: ValidationError, model: Any) -> None:
        for e in error.errors(include_url=False):
            loc = tuple(e["loc"])
            self.add((*prefix, *loc), _message(e, model))

    def texts(self) -> list[Problem]:
        """The problems in file order (each a ``str`` with ``location`` and ``message``)."""
        return [Problem.parse(text) for *_, text in sorted(self._found, key=lambda f: f[:3])]

    def __bool__(self) -> bool:
        return bool(self._found)
