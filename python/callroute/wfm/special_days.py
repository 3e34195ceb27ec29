"""Holiday calendars for the forecast: from a file, a public calendar, or the history's gaps.

- :func:`load_calendar` reads closed days and special days from a YAML or CSV file;
- :func:`public_holidays` gives a country's public holidays (the optional ``holidays``
  package, ``pip install callroute[holidays]``);
- :func:`absent_weekdays` lists the open weekdays missing from a history (closed days, or
  gaps in the data: only the user can tell which);
- :func:`with_closure_events` marks the open day after (and optionally before) each closed
  day as a special day, :data:`AFTER_CLOSED` / :data:`BEFORE_CLOSED`, whose effect the models
  estimate from the past occurrences before the forecast origin (none: a prior).

CSV calendar: a header ``date,kind[,name][,multiplier]``; ``kind`` is ``closed`` or
``special``. YAML calendar::

    open_weekdays: [0, 1, 2, 3, 4]     # optional, 0 = Monday
    closed: [2003-05-26, {date: 2003-07-04, name: Independence Day}]
    special:
      - {date: 2003-06-16, name: billing, multiplier: 1.2}
      - {date: 2003-06-17, name: billing}         # effect estimated from past "billing" days
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._internal.files import read_document
from ..errors import ConfigError, ParameterError, Problem
from .calendar import Calendar, SpecialDay
from .history import History

__all__ = [
    "AFTER_CLOSED",
    "BEFORE_CLOSED",
    "absent_weekdays",
    "load_calendar",
    "public_holidays",
    "with_closure_events",
]

#: Event name of the first open day after a closed day (a holiday on an open weekday).
AFTER_CLOSED = "after-closed"
#: Event name of the last open day before a closed day.
BEFORE_CLOSED = "before-closed"

_KINDS = ("closed", "special")


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")


def _multiplier(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"multiplier must be a number, got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"multiplier must be a finite number >= 0, got {value!r}")
    return number


def load_calendar(path: str | Path, *, open_weekdays: Iterable[int] = range(5)) -> Calendar:
    """Read a calendar of closed and special days (``.yaml``/``.yml`` or ``.csv``).

    Every bad entry is reported at once in one :class:`ConfigError`, by ``file:line`` (CSV)
    or ``file: key`` (YAML); two entries on one date are an error.
    """
    path = Path(path)
    source = str(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        # the package's one safe reader: size and alias limits, unreadable or unparseable
        # files (2003-02-30 included) as a ConfigError naming the file
        return _from_yaml(read_document(path), source, open_weekdays)
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            detail = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(problems=[f"cannot read calendar: {detail}"], source=source) from None
        return _from_csv(text, source, open_weekdays)
    raise ConfigError(problems=["calendar file must be .yaml, .yml or .csv"], source=source)


def _build(
    closed: list[tuple[str, dt.date]],
    special: list[tuple[str, SpecialDay]],
    open_weekdays: Iterable[int],
    problems: list[Problem],
    source: str,
) -> Calendar:
    seen: dict[dt.date, str] = {}
    for where, day in [*closed, *((w, e.date) for w, e in special)]:
        if day in seen:
            problems.append(Problem(where, f"{day} is also given at {seen[day]}"))
        seen.setdefault(day, where)
    if problems:
        raise ConfigError(problems=problems, source=source)
    try:
        return Calendar.build(
            open_weekdays=open_weekdays,
            closed=[d for _, d in closed],
            special=[e for _, e in special],
        )
    except ParameterError as exc:
        raise ConfigError(problems=[str(exc)], source=source) from None


def _from_csv(text: str, source: str, open_weekdays: Iterable[int]) -> Calendar:
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ConfigError(
            problems=[Problem("line 1", "empty file, need a header date,kind")], source=source
        )
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("date", "kind") if c not in header]
    unknown = [c for c in header if c not in ("date", "kind", "name", "multiplier")]
    if missing or unknown:
        what = f"missing {missing}" if missing else f"unknown columns {unknown}"
        raise ConfigError(
            problems=[Problem("line 1", f"header {what} (date,kind[,name][,multiplier])")],
            source=source,
        )
    col = {h: i for i, h in enumerate(header)}
    closed: list[tuple[str, dt.date]] = []
    special: list[tuple[str, SpecialDay]] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != len(header):
            problems.append(Problem(where, f"{len(row)} fields, the header has {len(header)}"))
            continue
        cells = {h: row[i].strip() for h, i in col.items()}
        try:
            day = _date(cells["date"])
            kind = cells["kind"].lower()
            if kind not in _KINDS:
                raise ValueError(f"kind must be closed or special, got {cells['kind']!r}")
            mult = _multiplier(cells.get("multiplier"))
            name = cells.get("name") or kind
            if kind == "closed":
                if mult is not None:
                    raise ValueError("a closed day takes no multiplier")
                closed.append((where, day))
            else:
                special.append((where, SpecialDay(day, name, multiplier=mult)))
        except (ValueError, ParameterError) as exc:
            problems.append(Problem(where, str(exc)))
    return _build(closed, special, open_weekdays, problems, source)


def _from_yaml(data: Any, source: str, open_weekdays: Iterable[int]) -> Calendar:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            problems=["a mapping with closed, special, open_weekdays expected"], source=source
        )
    problems = [
        Problem(str(key), "unknown key (closed, special, open_weekdays)")
        for key in data
        if key not in ("closed", "special", "open_weekdays")
    ]
    weekdays = list(open_weekdays)
    if "open_weekdays" in data:
        value = data["open_weekdays"]
        if not isinstance(value, list) or any(
            not isinstance(d, int) or isinstance(d, bool) or d not in range(7) for d in value
        ):
            problems.append(
                Problem("open_weekdays", f"a list of weekdays 0 (Monday) to 6, got {value!r}")
            )
        else:
            weekdays = value
    closed: list[tuple[str, dt.date]] = []
    special: list[tuple[str, SpecialDay]] = []
    for section in ("closed", "special"):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            problems.append(Problem(section, f"a list expected, got {type(entries).__name__}"))
            continue
        for i, entry in enumerate(entries):
            where = f"{section}[{i}]"
            try:
                _yaml_entry(section, entry, where, closed, special)
            except (ValueError, ParameterError) as exc:
                problems.append(Problem(where, str(exc)))
    return _build(closed, special, weekdays, problems, source)


def _yaml_entry(
    section: str,
    entry: Any,
    where: str,
    closed: list[tuple[str, dt.date]],
    special: list[tuple[str, SpecialDay]],
) -> None:
    if not isinstance(entry, Mapping):
        if section == "special":
            raise ValueError("a mapping with date, name[, multiplier] expected")
        closed.append((where, _date(entry)))
        return
    allowed = ("date", "name") if section == "closed" else ("date", "name", "multiplier")
    unknown = [k for k in entry if k not in allowed]
    if unknown or "date" not in entry:
        raise ValueError(f"keys {list(allowed)} expected (date required), got {list(entry)}")
    day = _date(entry["date"])
    if section == "closed":
        closed.append((where, day))
        return
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("name: a non-empty text expected")
    special.append((where, SpecialDay(day, name, multiplier=_multiplier(entry.get("multiplier")))))


def public_holidays(country: str, years: Iterable[int], subdiv: str | None = None) -> list[dt.date]:
    """The public holidays of ``country`` (ISO code, e.g. ``"US"``) in ``years``, from the
    optional ``holidays`` package (``pip install callroute[holidays]``)."""
    try:
        holidays = importlib.import_module("holidays")
    except ImportError:
        raise ParameterError(
            "public holidays need the 'holidays' package: pip install 'callroute[holidays]'"
        ) from None
    try:
        table = holidays.country_holidays(country, subdiv=subdiv, years=sorted(set(years)))
    except NotImplementedError:
        raise ParameterError(f"unknown holiday calendar {country!r}") from None
    return sorted(table)


def absent_weekdays(history: History, open_weekdays: Iterable[int] = range(5)) -> list[dt.date]:
    """The ``open_weekdays`` between the history's first and last day that it does not have
    (holidays, or gaps in the data: the history cannot tell which)."""
    have = set(history.dates)
    calendar = Calendar.build(open_weekdays=open_weekdays)
    days = calendar.open_days(history.dates[0], history.dates[-1])
    return [day for day in days if day not in have]


def with_closure_events(
    calendar: Calendar,
    start: dt.date,
    end: dt.date,
    *,
    after: bool = True,
    before: bool = False,
    multipliers: Mapping[str, float] | None = None,
) -> Calendar:
    """``calendar`` with the first open day after each closed day (a closed date on an open
    weekday, or a closed special day) marked :data:`AFTER_CLOSED`, and with ``before`` the
    last open day before it :data:`BEFORE_CLOSED`, from ``start`` to ``end``.

    Days that already carry an event keep it. ``multipliers`` gives an event's effect (by
    name); without one the models estimate it from the occurrences before the origin.
    """
    given = dict(multipliers or {})
    events: dict[dt.date, SpecialDay] = dict(calendar.special)
    horizon = dt.timedelta(days=14)

    def holiday(day: dt.date) -> bool:
        return day.weekday() in calendar.open_weekdays and not calendar.is_open(day)

    def mark(day: dt.date, name: str) -> None:
        if day not in events and start <= day <= end:
            events[day] = SpecialDay(day, name, multiplier=given.get(name))

    day = start - horizon
    while day <= end + horizon:
        if holiday(day):
            if after:
                nxt = calendar.next_open(day)[0]
                mark(nxt, AFTER_CLOSED)
            if before:
                prev = day - dt.timedelta(days=1)
                while not calendar.is_open(prev) and prev > day - horizon:
                    prev -= dt.timedelta(days=1)
                if calendar.is_open(prev):
                    mark(prev, BEFORE_CLOSED)
        day += dt.timedelta(days=1)
    return dataclasses.replace(calendar, special=events)
