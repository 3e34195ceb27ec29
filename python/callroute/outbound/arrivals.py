"""Inbound arrival rates measured from an engine, for pacing blended campaigns.

Inbound has priority: an inbound call arriving while a line rings takes the agent the line
was dialled for. The pacer plans for the inbound calls expected to reach a campaign's agents
within a ring time (``rate x ring time``, a Poisson count); :class:`ArrivalMeter` gives the
rate of each queue from the engine's running ``offered`` counter
(:meth:`~callroute.Engine.queue_stats`), differenced over the last ``window`` seconds:
one counter read per queue a pace, a sample kept every ``window / 30`` seconds.
"""

from __future__ import annotations

from collections import deque
from typing import Any

__all__ = ["ArrivalMeter"]


class ArrivalMeter:
    """Recent arrivals per second of the engine's queues.

    ``window``: seconds the rate is measured over (default 300: five minutes, long enough to
    hold a few dozen calls of a busy queue, short enough to follow an hourly profile). Until
    a queue has been watched for ``window / 10`` seconds its rate is 0 (nothing measured yet).
    """

    def __init__(self, engine: Any, window: float = 300.0) -> None:
        if not window > 0:
            raise ValueError(f"window must be > 0 seconds, got {window!r}")
        self.engine = engine
        self.window = float(window)
        self._every = self.window / 30.0
        self._samples: dict[str, deque[tuple[float, int]]] = {}

    def rate(self, queue: str, now: float) -> float:
        """Arrivals per second at ``queue`` over the last ``window`` seconds (0 before
        ``window / 10`` seconds of samples, or for a queue the engine does not hold)."""
        try:
            offered = int(self.engine.queue_stats(queue).offered)
        except Exception:  # a queue the engine does not hold
            return 0.0
        samples = self._samples.setdefault(queue, deque())
        if samples and (offered < samples[-1][1] or now < samples[-1][0]):
            samples.clear()  # the counter or the clock started again (a restore)
        if not samples or now - samples[-1][0] >= self._every:
            samples.append((now, offered))
        # keep one sample at or before the window's start: the span it measures
        while len(samples) > 1 and samples[1][0] <= now - self.window:
            samples.popleft()
        t0, n0 = samples[0]
        span = now - t0
        if span < self.window / 10.0:
            return 0.0
        return max(0, offered - n0) / span
