"""Publish/subscribe for screen-pops and state events, never blocking the publisher.

The engine's owner calls :meth:`Hub.publish` with JSON-ready event dicts; every subscriber
whose filter matches gets the event in its own bounded queue. A subscriber that falls
``maxsize`` events behind is dropped at once (a warning is logged): it receives what is
already queued, then a final ``{"type": "lagged", ...}`` event, and its stream ends -- the
client reconnects and reads the current state afresh. Publishing is a few dict lookups and
``put_nowait`` calls: a slow desktop can never slow routing down.

Filters: an agent subscription gets events whose ``agent`` is that agent; a tenant
subscription those whose ``tenant`` is that tenant; a subscription with neither gets every
event (the center's own staff).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["Hub", "Subscription"]

log = logging.getLogger(__name__)

_CLOSED: dict[str, Any] = {"type": "closed"}


class Subscription:
    """One subscriber's bounded queue; iterate it (``async for``) to read its events."""

    def __init__(self, hub: Hub, agent: str | None, tenant: str | None, maxsize: int) -> None:
        self._hub = hub
        self.agent = agent
        self.tenant = tenant
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self.lagged = False
        self.closed = False
        self.delivered = 0

    def __repr__(self) -> str:
        return f"Subscription(agent={self.agent!r}, tenant={self.tenant!r})"

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` is for this subscriber."""
        if self.agent is not None and event.get("agent") != self.agent:
            return False
        return self.tenant is None or event.get("tenant") == self.tenant

    def _offer(self, event: dict[str, Any]) -> bool:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        """Stop: the iteration ends once what is queued has been read."""
        if not self.closed:
            self.closed = True
            self._hub._remove(self)
            self._offer(_CLOSED)  # wakes a reader waiting on an empty queue

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._events()

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                if self.closed and self._queue.empty():
                    break
                event = await self._queue.get()
                if event is _CLOSED:
                    break
                self.delivered += 1
                yield event
            if self.lagged:
                yield {
                    "type": "lagged",
                    "agent": self.agent,
                    "tenant": self.tenant,
                    "message": "events were dropped: this reader fell behind; "
                    "reconnect and read the current state",
                }
        finally:
            self.close()


class Hub:
    """Fan-out of events to bounded per-subscriber queues (see the module docstring)."""

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self._subs: set[Subscription] = set()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._subs)

    def subscribe(self, agent: str | None = None, tenant: str | None = None) -> Subscription:
        """A new subscription for ``agent``'s events and/or ``tenant``'s (both ``None``:
        all events). Close it (or finish iterating it) to unsubscribe."""
        sub = Subscription(self, agent, tenant, self.maxsize)
        self._subs.add(sub)
        return sub

    def publish(self, event: dict[str, Any]) -> int:
        """Hand ``event`` to every matching subscriber; returns how many got it. Never
        blocks: a subscriber whose queue is full is dropped (logged) instead."""
        got = 0
        for sub in list(self._subs):
            if not sub.matches(event):
                continue
            if sub._offer(event):
                got += 1
                continue
            sub.lagged = True
            self.dropped += 1
            log.warning(
                "event stream %r fell %d events behind: dropped (its client must reconnect); "
                "event type %r",
                sub,
                self.maxsize,
                event.get("type"),
            )
            sub.closed = True
            self._remove(sub)
        return got

    def close(self) -> None:
        """End every subscription (shutdown)."""
        for sub in list(self._subs):
            sub.close()

    def _remove(self, sub: Subscription) -> None:
        self._subs.discard(sub)
