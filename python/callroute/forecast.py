"""Reading interval forecasts (CSV)."""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._internal.deprecation import moved
from .errors import ConfigError, Problem

__all__ = ["Forecast", "load_forecast"]

_TIME_COLUMNS = ("interval_start", "interval", "time", "start", "period")


@dataclass(frozen=True)
class Forecast:
    """Calls offered per interval, with the interval labels and length (seconds, if known)."""

    labels: list[str]
    calls: npt.NDArray[np.float64]
    interval: float | None

    @property
    def columns(self) -> dict[str, object]:
        """``{"interval_start": labels, "calls": calls}``, the table
        :func:`callroute.staffing_plan` takes."""
        return {"interval_start": self.labels, "calls": self.calls}


def _minutes(label: str) -> int | None:
    parts = label.strip().split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]) * 60 + int(parts[1])


_MAX_PROBLEMS = 50


def load_forecast(path: str | Path, *, calls_column: str = "calls") -> Forecast:
    """Read a forecast: a CSV with a time column (``interval_start``/``time``, ``HH:MM``)
    and a calls column.

    :param path: the CSV file (``callroute.example_path("forecast")`` is a bundled one).
    :param calls_column: the column holding calls offered per interval.
    :returns: a :class:`Forecast`; its ``interval`` is taken from the spacing of ``HH:MM``
        labels when they are evenly spaced (else ``None``).
    :raises ~callroute.errors.ConfigError: with ``source`` the file and ``problems`` every
        bad row (the first 50), each located ``line N``, when the file cannot be read,
        lacks the column, has no rows or a count that is not a number >= 0.
    """
    path = Path(path)
    source = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            problems=[Problem("", f"cannot read forecast: {exc.strerror}")], source=source
        ) from None
    problems: list[Problem] = []
    with handle:
        reader = csv.DictReader(handle)
        try:
            fields = [f.strip() for f in (reader.fieldnames or [])]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ConfigError(problems=[Problem("line 1", str(exc))], source=source) from None
        if calls_column not in fields:
            raise ConfigError(
                problems=[Problem("line 1", f"no {calls_column!r} column (columns: {fields})")],
                source=source,
            )
        time_col = next((c for c in _TIME_COLUMNS if c in fields), None)
        labels: list[str] = []
        calls: list[float] = []
        try:
            for row in reader:
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
                where = f"line {reader.line_num}"
                raw = row.get(calls_column, "")
                try:
                    value = float(raw)
                except ValueError:
                    problems.append(Problem(where, f"{calls_column} must be a number, got {raw!r}"))
                    value = 0.0
                if not math.isfinite(value) or value < 0:
                    problems.append(Problem(where, f"{calls_column} must be >= 0, got {raw!r}"))
                calls.append(value)
                labels.append(row[time_col] if time_col else str(len(labels)))
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(Problem(f"line {reader.line_num + 1}", str(exc)))
    if not calls and not problems:
        problems.append(Problem("", "the forecast has no rows"))
    if problems:
        shown = problems[:_MAX_PROBLEMS]
        if len(problems) > _MAX_PROBLEMS:
            shown.append(Problem("", f"... and {len(problems) - _MAX_PROBLEMS} more"))
        raise ConfigError(problems=shown, source=source)
    return Forecast(labels=labels, calls=np.asarray(calls), interval=_spacing(labels))


def _spacing(labels: list[str]) -> float | None:
    minutes = [_minutes(x) for x in labels]
    if len(minutes) < 2 or any(m is None for m in minutes):
        return None
    steps = {b - a for a, b in itertools.pairwise(minutes)}  # type: ignore[operator]
    if len(steps) != 1:
        return None
    step = steps.pop()
    return float(step * 60) if step > 0 else None


__getattr__ = moved(
    __name__,
    {
        "read_forecast": "callroute.forecast:load_forecast",
        "example_forecast_path": (
            "callroute._internal.examples:example_forecast_path",
            'callroute.example_path("forecast")',
        ),
    },
)
