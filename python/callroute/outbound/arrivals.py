"""Inbound arrival rates measured from an engine, for pacing blended campaigns.

Inbound has priority: an inbound call arriving while a line rings takes the agent the line
was dialled for. The pacer plans for the inbound calls expected to reach a campaign's agents
within a ring time (``rate x ring time``, a Poisson count); :class:`ArrivalMeter` gives the
rate of each queue from the engine's running ``offered`` counter
(:meth:`~callroute.Engine.queue_stats`), differenced over the last ``window`` seconds.

:meth:`ArrivalMeter.sample` reads every watched queue's counter (the plan calls it on every
pace, whether or not any agent is ready: the rate is wanted the moment one frees, and an
inbound peak is when none is), keeping a reading every ``window / 30`` seconds. The rate is
``(count now - count at now - window) / window``, the count at the window's start
interpolated between the readings either side of it (so known to within ``window / 30``
seconds of arrivals).

Until a queue has ``window / 10`` seconds of readings its rate is not measured and the
meter answers a cautious fallback instead of 0 (0 would have the dialer keep no agent back
for inbound): the larger of the queue's configured ``expected`` rate and the last rate it
measured for the queue in this process. The readings start again (the last rate kept as
that fallback) when the counter goes down, when the engine object read is another one (a
restore or recovery swaps it; its counter may have climbed past the old one's before the
next read), when the clock steps back more than a window, or when no reading was taken for
more than ``window + window / 30`` seconds (the count at the window's start is then not
known). A smaller backward clock step skips the reading and keeps the readings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ParameterError, UnknownIdError

__all__ = ["ArrivalMeter"]


class ArrivalMeter:
    """Recent arrivals per second of the engine's queues (module doc).

    ``window``: seconds the rate is measured over (default 300: five minutes, long enough to
    hold a few dozen calls of a busy queue, short enough to follow an hourly profile).
    ``expected``: calls per second expected at each queue (by name), answered until the
    queue has been watched for ``window / 10`` seconds (default: none, 0).
    """

    def __init__(
        self, engine: Any, window: float = 300.0, expected: Mapping[str, float] | None = None
    ) -> None:
        if not window > 0:
            raise ParameterError(f"window must be > 0 seconds, got {window!r}")
        self.engine = engine
        self.window = float(window)
        self._every = self.window / 30.0
        self.expected: dict[str, float] = {}
        for name, rate in (expected or {}).items():
            value = float(rate)
            if not 0 <= value < float("inf"):
                raise ParameterError(
                    f"expected inbound of queue {name!r} must be >= 0 calls a second, got {rate!r}"
                )
            self.expected[str(name)] = value
        #: kept readings (engine time, offered count) per queue, oldest first
        self._samples: dict[str, deque[tuple[float, int]]] = {}
        #: the latest reading per queue (the rate's end)
        self._latest: dict[str, tuple[float, int]] = {}
        #: the last rate measured per queue, kept when the readings start again
        self._last: dict[str, float] = {}
        self._source: Any = None

    def sample(self, queues: Iterable[str], now: float, engine: Any = None) -> None:
        """Read the ``offered`` counter of each of ``queues`` at engine time ``now`` from
        ``engine`` (default: :attr:`engine`; another object than the last one read starts
        every queue's readings again). A queue the engine does not hold is skipped."""
        if engine is None:
            engine = self.engine
        if engine is not self._source:
            if self._source is not None:
                for name in list(self._samples):
                    self._restart(name)
            self._source = engine
            self.engine = engine
        for name in queues:
            try:
                offered = int(engine.queue_stats(name).offered)
            except UnknownIdError:  # a queue the engine does not hold
                continue
            self._read(name, float(now), offered)

    def _read(self, name: str, now: float, offered: int) -> None:
        samples = self._samples.setdefault(name, deque())
        latest = self._latest.get(name)
        if latest is not None:
            t1, n1 = latest
            if now < t1:
                if t1 - now <= self.window:
                    return  # a small step back: skip this reading, keep the others
                self._restart(name)
            elif offered < n1:
                self._restart(name)  # the counter started again
            elif now - t1 > self.window + self._every:
                # no reading near the window's start: only the average over the gap is
                # known, kept (if larger) for the fallback until the fresh readings tell
                self._restart(name)
                gap = (offered - n1) / (now - t1)
                self._last[name] = max(self._last.get(name, 0.0), gap)
            samples = self._samples.setdefault(name, deque())
        if not samples or now - samples[-1][0] >= self._every:
            samples.append((now, offered))
        self._latest[name] = (now, offered)
        start = now - self.window
        while len(samples) > 1 and samples[1][0] <= start:
            samples.popleft()
        measured = self._measured(name)
        if measured is not None:
            self._last[name] = measured

    def _restart(self, name: str) -> None:
        measured = self._measured(name)
        if measured is not None:
            self._last[name] = measured
        self._samples.pop(name, None)
        self._latest.pop(name, None)

    def _measured(self, name: str) -> float | None:
        """The rate over the last window from the readings (None: not yet measured)."""
        samples = self._samples.get(name)
        latest = self._latest.get(name)
        if not samples or latest is None:
            return None
        t1, n1 = latest
        start = t1 - self.window
        ta, na = samples[0]
        if ta > start:  # watched for less than a window: the rate since the first reading
            span = t1 - ta
            if span < self.window / 10.0:
                return None
            return max(0, n1 - na) / span
        tb, nb = samples[1] if len(samples) > 1 else latest
        at_start = float(na) if tb <= ta else na + (nb - na) * (start - ta) / (tb - ta)
        return max(0.0, n1 - at_start) / self.window

    def measured(self, queue: str) -> bool:
        """Whether ``queue``'s rate is measured (``window / 10`` seconds of readings)."""
        return self._measured(queue) is not None

    def rate(self, queue: str, now: float | None = None) -> float:
        """Arrivals per second at ``queue`` over the last ``window`` seconds to its latest
        reading (taken now, at engine time ``now``, if :meth:`sample` has not read it
        since; without ``now``, the readings as they are); not yet measured: the fallback
        (module doc), 0 for a queue never read and not expected."""
        latest = self._latest.get(queue)
        if now is not None and (latest is None or latest[0] < now):
            self.sample([queue], now)
        measured = self._measured(queue)
        if measured is not None:
            return measured
        return max(self.expected.get(queue, 0.0), self._last.get(queue, 0.0))
