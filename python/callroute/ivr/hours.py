"""Business hours: weekly ranges, holidays, one IANA time zone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from ._check import _Problems, _show

# --------------------------------------------------------------------------------------
# Business hours


_DayName = Literal[
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
"""A day of the week as configurations write it (matched case-insensitively): the seven
short names from Monday, then the seven long ones, an order the two tuples below rely on."""
_DAY_NAMES: tuple[str, ...] = get_args(_DayName)[:7]
_LONG_DAY_NAMES: tuple[str, ...] = get_args(_DayName)[7:]
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _day_index(name: object) -> int | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in _DAY_NAMES:
        return _DAY_NAMES.index(key)
    if key in _LONG_DAY_NAMES:
        return _LONG_DAY_NAMES.index(key)
    return None


def _parse_range(value: object, path: str, problems: _Problems) -> tuple[int, int] | None:
    """``"08:00-18:00"`` → minutes ``(480, 1080)``; ``24:00`` is allowed as the end."""
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        problems.add(path, f'must be a time range "HH:MM-HH:MM", got {_show(value)}')
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        problems.add(path, f"not a valid time of day: {_show(value)}")
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def _find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _zone(name: object, path: str, problems: _Problems) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        problems.add(path, f"must be an IANA time zone name, got {_show(name)}")
        return None
    zone = _find_zone(name)
    if zone is None:
        problems.add(path, f'unknown time zone "{name}"')
    return zone


def _local(when: datetime, zone: tzinfo | None) -> datetime:
    """``when`` in ``zone``; a naive ``when`` is taken as local time in ``zone`` already."""
    if zone is None:
        return when
    if when.tzinfo is None:
        return when.replace(tzinfo=zone)
    return when.astimezone(zone)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening hours: weekly ranges per weekday, holiday dates, one IANA time zone.

    ``weekly[d]`` holds the ``(start, end)`` minutes after local midnight that day ``d``
    (0 = Monday) is open, half-open ``[start, end)``, ``end`` up to 1440. On a date in
    ``holidays`` (local dates) it is closed all day. Build it with :meth:`from_spec`.
    """

    zone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        problems = _Problems()
        _zone(self.zone, "BusinessHours.zone", problems)
        if not isinstance(self.weekly, tuple) or len(self.weekly) != 7:
            problems.add("BusinessHours.weekly", "must be a tuple of 7 days (Monday first)")
        else:
            for d, ranges in enumerate(self.weekly):
                for start, end in ranges:
                    if not 0 <= start < end <= 1440:
                        problems.add(f"BusinessHours.weekly[{d}]", f"bad range {(start, end)}")
        if not all(isinstance(h, date) for h in self.holidays):
            problems.add("BusinessHours.holidays", "must hold dates")
        problems.raise_if_any()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], where: str = "business_hours") -> BusinessHours:
        """Build from a configuration mapping; raise ConfigError listing every problem.

        ``spec`` has ``timezone`` (IANA name, e.g. ``"Europe/Berlin"``), ``weekly`` (a
        mapping of day names ``mon``..``sun`` or ``monday``..``sunday`` to a list of
        ``"HH:MM-HH:MM"`` ranges; days left out are closed) and optional ``holidays`` (ISO
        date strings or :class:`~datetime.date`). Problems are reported as
        ``{where}.weekly.mon[1]: ...``.
        """
        hours, problems = _parse_hours(spec, where)
        problems.raise_if_any()
        assert hours is not None
        return hours

    def is_holiday(self, when: datetime) -> bool:
        """True when the local date of ``when`` is a holiday (naive ``when`` is local)."""
        return _local(when, ZoneInfo(self.zone)).date() in self.holidays

    def is_open(self, when: datetime) -> bool:
        """True when open at ``when`` (aware, or naive meaning local time in ``zone``)."""
        local = _local(when, ZoneInfo(self.zone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(start <= minute < end for start, end in self.weekly[local.weekday()])


def _parse_hours(spec: object, where: str) -> tuple[BusinessHours | None, _Problems]:
    problems = _Problems()
    if not isinstance(spec, Mapping):
        problems.add(where, f"must be a mapping, got {_show(spec)}")
        return None, problems
    for key in spec:
        if key not in ("timezone", "weekly", "holidays"):
            problems.add(f"{where}.{key}", "unknown key (expected timezone, weekly, holidays)")
    if "timezone" not in spec:
        problems.add(f"{where}.timezone", "missing")
    else:
        _zone(spec["timezone"], f"{where}.timezone", problems)
    weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    raw_weekly = spec.get("weekly", {})
    if not isinstance(raw_weekly, Mapping):
        problems.add(
            f"{where}.weekly", f"must be a mapping of day to ranges, got {_show(raw_weekly)}"
        )
        raw_weekly = {}
    for day, ranges in raw_weekly.items():
        path = f"{where}.weekly.{day}"
        index = _day_index(day)
        if index is None:
            problems.add(path, "unknown day (expected mon..sun)")
            continue
        if isinstance(ranges, str):
            ranges = [ranges]
        if not isinstance(ranges, list):
            problems.add(path, f'must be a list of "HH:MM-HH:MM" ranges, got {_show(ranges)}')
            continue
        for i, text in enumerate(ranges):
            parsed = _parse_range(text, f"{path}[{i}]", problems)
            if parsed is None:
                continue
            start, end = parsed
            if end <= start:
                problems.add(f"{path}[{i}]", "must end after it starts (split ranges at midnight)")
            elif any(s < end and start < e for s, e in weekly[index]):
                problems.add(f"{path}[{i}]", "overlaps another range of the same day")
            else:
                weekly[index].append(parsed)
    holidays: set[date] = set()
    raw_holidays = spec.get("holidays", [])
    if not isinstance(raw_holidays, list):
        problems.add(f"{where}.holidays", f"must be a list of dates, got {_show(raw_holidays)}")
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        if isinstance(item, date) and not isinstance(item, datetime):
            holidays.add(item)
            continue
        try:
            holidays.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            problems.add(f"{where}.holidays[{i}]", f"must be a date YYYY-MM-DD, got {_show(item)}")
    if problems.lines:
        return None, problems
    ordered = tuple(tuple(sorted(day)) for day in weekly)
    return BusinessHours(spec["timezone"], ordered, frozenset(holidays)), problems
