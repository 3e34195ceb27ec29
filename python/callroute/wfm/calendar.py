"""A planning calendar: open weekdays, closed days and special days with their effects.

A :class:`Calendar` tells the forecast models which days the center is open, which days are
closed (holidays, gaps in the data) and which days are special (billing days, campaigns,
reduced-hours holidays). A special day has a multiplier on the whole day, optionally a
multiplier per interval, or neither: then the models estimate its effect from past days that
carry the same event name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

__all__ = ["Calendar", "SpecialDay"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SpecialDay:
    """An event on one date.

    ``name`` groups occurrences of the same event (``"billing"``, ``"campaign-spring"``): an
    effect not given is estimated from the past days with that name. ``multiplier`` scales
    the whole day's calls; ``profile`` (one factor per interval of the day) scales each
    interval and may be combined with ``multiplier``. ``closed=True`` makes the day a
    holiday with no calls at all.
    """

    date: dt.date
    name: str
    multiplier: float | None = None
    profile: tuple[float, ...] | None = None
    closed: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ParameterError(f"special day {self.date}: name must not be empty")
        if self.multiplier is not None and not (
            self.multiplier >= 0 and np.isfinite(self.multiplier)
        ):
            raise ParameterError(
                f"special day {self.date} ({self.name}): multiplier must be a finite number "
                f">= 0, got {self.multiplier!r}"
            )
        if self.profile is not None:
            arr = np.asarray(self.profile, dtype=np.float64)
            if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ParameterError(
                    f"special day {self.date} ({self.name}): profile must be finite factors >= 0"
                )


@dataclass(frozen=True)
class Calendar:
    """Open weekdays (0 = Monday), closed dates and special days.

    ``hours`` optionally gives each weekday's open window as ``(start, end)`` seconds after
    midnight; forecasts are zero outside it.
    """

    open_weekdays: frozenset[int] = frozenset(range(7))
    closed: frozenset[dt.date] = frozenset()
    special: Mapping[dt.date, SpecialDay] = field(default_factory=dict)
    hours: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = sorted(d for d in self.open_weekdays if d not in range(7))
        if bad:
            raise ParameterError(f"open_weekdays: weekdays are 0 (Monday) to 6, got {bad}")
        for day, (start, end) in self.hours.items():
            if day not in range(7) or not 0 <= start < end <= 86400:
                raise ParameterError(
                    f"hours[{day}]: need weekday 0-6 and 0 <= start < end <= 86400 seconds, "
                    f"got ({start}, {end})"
                )
        for date, event in self.special.items():
            if event.date != date:
                raise ParameterError(f"special[{date}]: the event is dated {event.date}")

    @classmethod
    def build(
        cls,
        *,
        open_weekdays: Iterable[int] = range(7),
        closed: Iterable[dt.date] = (),
        special: Sequence[SpecialDay] = (),
        hours: Mapping[int, tuple[int, int]] | None = None,
    ) -> Calendar:
        """A calendar from plain iterables; two events on one date is an error."""
        events: dict[dt.date, SpecialDay] = {}
        for event in special:
            if event.date in events:
                raise ParameterError(f"special days: two events on {event.date}")
            events[event.date] = event
        return cls(frozenset(open_weekdays), frozenset(closed), events, dict(hours or {}))

    @classmethod
    def weekdays(cls, **kwargs: object) -> Calendar:
        """A Monday-to-Friday calendar (other arguments as in :meth:`build`)."""
        return cls.build(open_weekdays=range(5), **kwargs)  # type: ignore[arg-type]

    def is_open(self, date: dt.date) -> bool:
        """Whether the center takes calls on ``date``."""
        if date in self.closed or date.weekday() not in self.open_weekdays:
            return False
        event = self.special.get(date)
        return not (event is not None and event.closed)

    def event(self, date: dt.date) -> SpecialDay | None:
        """The special day on ``date``, if any."""
        return self.special.get(date)

    def open_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The open dates from ``start`` to ``end`` inclusive."""
        out = []
        day = start
        while day <= end:
            if self.is_open(day):
                out.append(day)
            day += dt.timedelta(days=1)
        return out

    def next_open(self, after: dt.date, count: int = 1) -> list[dt.date]:
        """The next ``count`` open dates strictly after ``after``."""
        if count < 1:
            raise ParameterError(f"count must be >= 1, got {count}")
        if not self.open_weekdays:
            raise ParameterError("the calendar has no open weekday")
        out: list[dt.date] = []
        day = after
        for _ in range(count * 7 + 3660):
            day += dt.timedelta(days=1)
            if self.is_open(day):
                out.append(day)
                if len(out) == count:
                    return out
        raise ParameterError(f"fewer than {count} open days in ten years after {after}")

    def open_mask(self, date: dt.date, start: int, interval: int, slots: int) -> FloatArray:
        """1.0 for the intervals of ``date`` inside its open hours (all when none given)."""
        mask = np.ones(slots, dtype=np.float64)
        window = self.hours.get(date.weekday())
        if window is not None:
            begins = start + interval * np.arange(slots)
            mask[(begins + interval <= window[0]) | (begins >= window[1])] = 0.0
        return mask
