"""Reading interval forecasts (CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
from collections import Counter
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


def _instant(label: str) -> tuple[int | None, float] | None:
    """A label as ``(day, seconds)``: ``HH:MM[:SS]`` has no day (``None``) and seconds
    since midnight; an ISO date-time (``2024-03-04 09:30``, ``...T09:30:00+01:00``) has
    the day's ordinal and seconds since the epoch (wall-clock seconds when no UTC offset is
    given). Anything else: ``None``."""
    text = label.strip()
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
        h, m, sec = (int(p) for p in (*parts, "0")[:3])
        return (None, h * 3600.0 + m * 60.0 + sec) if h < 24 and m < 60 and sec < 60 else None
    if "-" not in text or not any(c in text for c in " T"):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is not None:
        return when.toordinal(), when.timestamp()
    midnight = dt.datetime.combine(when.date(), dt.time())
    return when.toordinal(), when.toordinal() * 86400.0 + (when - midnight).total_seconds()


_MAX_PROBLEMS = 50


def load_forecast(path: str | Path, *, calls_column: str = "calls") -> Forecast:
    """Read a forecast: a CSV with a time column (``interval_start``/``time``...: ``HH:MM``
    or a date-time ``2024-03-04 09:30``; with a ``date`` column, ``HH:MM`` times are on
    that date) and a calls column.

    The interval length is inferred from the time labels: the most common gap between two
    rows. Every other gap must be that interval too, except across midnight to a later day
    (closed overnight; ``HH:MM`` labels going back start a new day): a gap of several
    intervals (a missing half hour), one that is not a multiple of the interval, or a label
    not after the one before is an error naming both rows.

    :param path: the CSV file (``callroute.example_path("forecast")`` is a bundled one).
    :param calls_column: the column holding calls offered per interval.
    :returns: a :class:`Forecast`; its ``interval`` (seconds) is the labels' spacing, or
        ``None`` when the labels are not times (or there is a single row).
    :raises ~callroute.errors.ConfigError: with ``source`` the file and ``problems`` every
        bad row (the first 50), each located ``line N``, when the file cannot be read,
        lacks the column, has no rows, a count that is not a number >= 0, or a gap in its
        times as said above.
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
        date_col = "date" if time_col and "date" in fields else None
        labels: list[str] = []
        lines: list[int] = []
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
                label = row[time_col] if time_col else str(len(labels))
                clock = _instant(label)
                if date_col and row.get(date_col) and clock is not None and clock[0] is None:
                    label = f"{row[date_col]} {label}"  # HH:MM on the row's date
                labels.append(label)
                lines.append(reader.line_num)
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(Problem(f"line {reader.line_num + 1}", str(exc)))
    if not calls and not problems:
        problems.append(Problem("", "the forecast has no rows"))
    interval = _spacing(labels, lines, problems) if time_col else None
    if problems:
        shown = problems[:_MAX_PROBLEMS]
        if len(problems) > _MAX_PROBLEMS:
            shown.append(Problem("", f"... and {len(problems) - _MAX_PROBLEMS} more"))
        raise ConfigError(problems=shown, source=source)
    return Forecast(labels=labels, calls=np.asarray(calls), interval=interval)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def _spacing(labels: list[str], lines: list[int], problems: list[Problem]) -> float | None:
    """The interval of time ``labels`` (the most common gap), appending a problem for every
    gap that breaks it; ``None`` when the labels are not all times or there is one."""
    parsed = [_instant(x) for x in labels]
    if len(parsed) < 2 or any(p is None for p in parsed):
        return None
    days: list[int] = []
    seconds: list[float] = []
    day = 0
    for item in parsed:
        assert item is not None
        date, at = item
        if date is None:  # HH:MM: a time not after the previous one is on the next day
            if seconds and at <= seconds[-1] - day * 86400.0:
                day += 1
            date, at = day, at + day * 86400.0
        days.append(date)
        seconds.append(at)
    gaps = [b - a for a, b in itertools.pairwise(seconds)]
    counts = Counter(g for g in gaps if g > 0)
    if not counts:
        step = None
    else:
        top = max(counts.values())
        step = min(g for g, n in counts.items() if n == top)
    for k, gap in enumerate(gaps):
        if gap == step:
            continue
        before, after = f"{labels[k]} (line {lines[k]})", f"{labels[k + 1]} (line {lines[k + 1]})"
        where = f"line {lines[k + 1]}"
        if gap <= 0:
            problems.append(Problem(where, f"{labels[k + 1]!r} is not after {before}"))
        elif step is None:
            continue
        elif days[k + 1] != days[k] and gap > step:
            continue  # closed overnight
        elif gap % step == 0:
            missing = int(gap // step) - 1
            problems.append(
                Problem(
                    where,
                    f"{missing} interval(s) of {_duration(step)} missing between {before} and "
                    f"{after}: add them (with 0 calls if none are expected)",
                )
            )
        else:
            problems.append(
                Problem(
                    where,
                    f"{_duration(gap)} after {before}, not a multiple of the forecast's "
                    f"interval ({_duration(step)}, its most common spacing)",
                )
            )
    return step


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
