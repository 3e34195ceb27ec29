"""Calling windows: a contact's local hours turned into spans on the engine's clock.

The engine and the dialer count time in seconds on a monotonic clock and never read a wall
clock. :class:`EngineClock` fixes the mapping: engine second ``t`` is the instant
``origin + t`` seconds (an aware datetime). The runtime's origin is the wall clock at its
start minus the engine time it resumed from (``Runtime.clock_origin``); it counts elapsed
seconds, so a span on the engine clock is an interval of real time, whatever the zones do.

:func:`zone_spans` turns the daily window ``[start, end)`` in one IANA zone (zoneinfo, so
daylight-saving changes are exact) into the sorted, disjoint ``[start, end)`` spans of engine
seconds within a horizon. A local time that does not exist (the hour skipped in spring) is
reached at the change itself; one that exists twice (the hour repeated in autumn) is
resolved to the *narrower* window: a start at the later occurrence, an end at the earlier
one, so no call is placed while the contact's clock shows a time outside the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from ..errors import ParameterError, UnknownIdError
from ..hours import find_zone

__all__ = ["EngineClock", "ZoneTable", "zone_spans"]

Span = tuple[float, float]


@dataclass(frozen=True)
class EngineClock:
    """Engine seconds <-> aware datetimes: engine time ``t`` is ``origin + t`` seconds."""

    origin: datetime

    def __post_init__(self) -> None:
        if self.origin.tzinfo is None or self.origin.utcoffset() is None:
            raise ParameterError("EngineClock origin must be an aware datetime (with a zone)")

    @classmethod
    def at(cls, wall: datetime, engine_now: float) -> EngineClock:
        """The clock on which ``engine_now`` is the instant ``wall``."""
        return cls(wall - timedelta(seconds=engine_now))

    def to_engine(self, when: datetime) -> float:
        """Engine seconds of the aware datetime ``when``."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ParameterError(f"{when!r} is a naive datetime: give it a time zone")
        return (when - self.origin).total_seconds()

    def to_wall(self, t: float, zone: tzinfo = timezone.utc) -> datetime:
        """The instant of engine second ``t``, in ``zone`` (UTC by default)."""
        return (self.origin + timedelta(seconds=t)).astimezone(zone)


def _instant(day: date, at: time, zone: tzinfo, *, late: bool) -> datetime:
    """The UTC instant the local clock of ``zone`` reaches ``day at``.

    A time skipped by a daylight-saving change is reached at the change itself; a time that
    occurs twice gives the later occurrence when ``late`` (a window's start), else the
    earlier one (its end): the narrower window.
    """
    local = datetime.combine(day, at)
    a = local.replace(tzinfo=zone).astimezone(timezone.utc)
    b = local.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)
    if a == b:
        return a
    if a.astimezone(zone).replace(tzinfo=None) != local:
        # skipped: the first instant whose local time is at or past ``local``
        lo, hi = int(min(a, b).timestamp()), int(max(a, b).timestamp())
        while hi - lo > 1:  # zone changes fall on whole seconds
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= local:
                hi = mid
            else:
                lo = mid
        return datetime.fromtimestamp(hi, timezone.utc)
    return max(a, b) if late else min(a, b)


def zone_spans(
    zone: str | tzinfo,
    start: time,
    end: time,
    clock: EngineClock,
    since: float,
    until: float,
) -> list[Span]:
    """The spans ``[a, b)`` of engine seconds within ``[since, until)`` when the local time
    of ``zone`` is within ``[start, end)`` (``start < end``), sorted and disjoint.

    :raises UnknownIdError: an unknown zone name.
    :raises ParameterError: ``end`` not after ``start``, or ``until`` before ``since``.
    """
    tz = find_zone(zone) if isinstance(zone, str) else zone
    if tz is None:
        raise UnknownIdError(f"unknown IANA time zone {zone!r}")
    if not end > start:
        raise ParameterError(f"window end {end} must be after its start {start}")
    if not until >= since:
        raise ParameterError(f"until ({until}) must not be before since ({since})")
    first = clock.to_wall(since, tz).date() - timedelta(days=1)
    last = clock.to_wall(until, tz).date() + timedelta(days=1)
    spans: list[Span] = []
    day = first
    while day <= last:
        a = clock.to_engine(_instant(day, start, tz, late=True))
        b = clock.to_engine(_instant(day, end, tz, late=False))
        a, b = max(a, since), min(b, until)
        if b > a:
            if spans and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], b))
            else:
                spans.append((a, b))
        day += timedelta(days=1)
    return spans


class ZoneTable:
    """The campaign's zones in first-seen order: a contact names its zone by index."""

    def __init__(self, zones: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        for name in zones:
            self.index(name)

    def index(self, name: str) -> int:
        """The index of zone ``name`` (added at the end when new)."""
        found = self._index.get(name)
        if found is None:
            if find_zone(name) is None:
                raise UnknownIdError(f"unknown IANA time zone {name!r}")
            found = self._index[name] = len(self.names)
            self.names.append(name)
        return found

    def __len__(self) -> int:
        return len(self.names)

    def spans(
        self, start: time, end: time, clock: EngineClock, since: float, until: float
    ) -> dict[int, list[Span]]:
        """Every zone's spans (see :func:`zone_spans`) by index."""
        return {
            i: zone_spans(name, start, end, clock, since, until)
            for i, name in enumerate(self.names)
        }

    def as_mapping(self) -> Mapping[str, int]:
        """Zone name -> index."""
        return dict(self._index)
