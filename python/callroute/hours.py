"""Business hours: weekly ranges, holidays, one IANA time zone.

Shared by the IVR (``hours`` nodes and ``open`` rules), tenancy (a lease's weekly hours),
queues that open and close with the clock (:meth:`callroute.Center.apply_open_hours`) and,
later, outbound calling windows. Public names: :class:`BusinessHours`, :class:`HoursLike`
(anything with ``is_open(when)``), :data:`DayName`, :func:`day_index`, :func:`find_zone`
and :func:`local_time`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from ._internal.checks import _Problems, _show

# --------------------------------------------------------------------------------------
# Business hours


DayName = Literal[
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
DAY_NAMES: tuple[str, ...] = get_args(DayName)[:7]
"""The short day names, Monday first (``DAY_NAMES[0] == "mon"``)."""
_LONG_DAY_NAMES: tuple[str, ...] = get_args(DayName)[7:]
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


__all__ = [
    "DAY_NAMES",
    "BusinessHours",
    "DayName",
    "HoursLike",
    "day_index",
    "find_zone",
    "local_time",
]


def day_index(name: object) -> int | None:
    """The weekday index (0 = Monday) of a day name as configurations write it (``"mon"``,
    ``"Monday"``, case-insensitive); ``None`` for anything else.

    >>> day_index("Tue"), day_index("sunday"), day_index("someday")
    (1, 6, None)
    """
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in DAY_NAMES:
        return DAY_NAMES.index(key)
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


def find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name`` (e.g. ``"Europe/Berlin"``), or ``None`` when there is no
    such zone (never raises, whatever the string)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _zone(name: object, path: str, problems: _Problems) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        problems.add(path, f"must be an IANA time zone name, got {_show(name)}")
        return None
    zone = find_zone(name)
    if zone is None:
        problems.add(path, f'unknown time zone "{name}"')
    return zone


def local_time(when: datetime, zone: tzinfo | None) -> datetime:
    """``when`` as local time in ``zone``: an aware ``when`` is converted, a naive one is
    taken as local time in ``zone`` already (and ``zone=None`` returns ``when`` as is)."""
    if zone is None:
        return when
    if when.tzinfo is None:
        return when.replace(tzinfo=zone)
    return when.astimezone(zone)


class HoursLike(Protocol):
    """Anything that says whether a moment is inside its hours, such as
    :class:`BusinessHours` (a tenant's lease and queues take any such object)."""

    def is_open(self, when: datetime, /) -> bool:
        """True when ``when`` is inside the hours."""
        ...


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
        return local_time(when, ZoneInfo(self.zone)).date() in self.holidays

    def is_open(self, when: datetime) -> bool:
        """True when open at ``when`` (aware, or naive meaning local time in ``zone``)."""
        local = local_time(when, ZoneInfo(self.zone))
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
        index = day_index(day)
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
