"""Validation helpers: collect every problem of a flow as ``path: message`` lines."""

from __future__ import annotations

import math
from collections.abc import Collection

from ..errors import ConfigError, Problem

# --------------------------------------------------------------------------------------
# Validation helpers


def _printable(text: str) -> str:
    """One problem per line: escape what str.splitlines() would split on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _Problems:
    """Collects problems (``path: message``)."""

    def __init__(self) -> None:
        self.lines: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(Problem(_printable(path), _printable(message)))

    def text(self, path: str, value: object, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            self.add(path, f"must be a non-empty string, got {_show(value)}")

    def number(self, path: str, value: object, *, positive: bool = False) -> None:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and math.isfinite(value) and (value > 0 if positive else value >= 0):  # type: ignore[operator, arg-type]
            return
        self.add(
            path, f"must be a finite number {'> 0' if positive else '>= 0'}, got {_show(value)}"
        )

    def integer(self, path: str, value: object, *, minimum: int) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return
        self.add(path, f"must be an integer >= {minimum}, got {_show(value)}")

    def flag(self, path: str, value: object) -> None:
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, got {_show(value)}")

    def ref(
        self, path: str, value: object, names: Collection[str], *, optional: bool = False
    ) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            self.add(path, f"must be a node name, got {_show(value)}")
        elif value not in names:
            self.add(path, f'unknown node "{value}"')

    def names(self, path: str, value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(s, str) and s for s in value):
            self.add(path, f"must be a list of non-empty strings, got {_show(value)}")

    def terminator(self, path: str, value: object) -> None:
        if value is not None and (not isinstance(value, str) or value not in ("#", "*")):
            self.add(path, f'must be "#", "*" or null, got {_show(value)}')

    def digit_range(self, path: str, low: object, high: object) -> None:
        self.integer(f"{path}.min_digits", low, minimum=1)
        self.integer(f"{path}.max_digits", high, minimum=1)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.add(f"{path}.max_digits", f"must be >= min_digits ({low}), got {high}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ConfigError(problems=self.lines)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tuple(value: object) -> object:
    """Lists become tuples (so frozen nodes stay immutable); anything else is kept."""
    return tuple(value) if isinstance(value, list) else value
