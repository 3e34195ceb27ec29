"""The runtime facade the HTTP layer talks to (RUNTIME-SPEC section D), as a Protocol.

:class:`RuntimeAPI` is what :func:`callroute.runtime.http.build_app` needs of a runtime:
agent presence, other-media tasks, the screen-pop/event stream and statistics. Every method
is ``async`` and raises typed callroute errors (:class:`~callroute.errors.UnknownIdError`,
:class:`~callroute.errors.PermissionDenied`, :class:`~callroute.errors.ParameterError`,
:class:`~callroute.errors.InvalidEventError`); the HTTP layer maps them to 4xx answers.

:func:`engine_stats` computes the ``stats()`` mapping from a center's engine, so every
runtime reports the same shape (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, cast

from .._core import Engine
from ..center import Center
from ..engine import DataValue

__all__ = [
    "RuntimeAPI",
    "engine_stats",
    "queue_media",
    "queue_tenant",
    "runtime_engine",
]


class RuntimeAPI(Protocol):
    """What the HTTP layer calls; ``callroute.runtime.Runtime`` implements it."""

    @property
    def center(self) -> Center:
        """The center: tenants, operators, roles and ownership (for scoping)."""
        ...

    async def agent_login(self, agent: str) -> object:
        """Log ``agent`` in (ready)."""
        ...

    async def agent_ready(self, agent: str) -> object:
        """Make ``agent`` ready."""
        ...

    async def agent_not_ready(self, agent: str, reason: str) -> object:
        """Make ``agent`` not ready with ``reason``."""
        ...

    async def agent_logout(self, agent: str) -> object:
        """Log ``agent`` out."""
        ...

    async def wrapup_done(self, agent: str) -> object:
        """End ``agent``'s after-call work."""
        ...

    async def submit_task(
        self,
        media: str,
        tenant: str,
        *,
        queue: str | None = None,
        skills: Mapping[str, int] | None = None,
        priority: int = 0,
        data: Mapping[str, DataValue] | None = None,
    ) -> str:
        """Route a task of another media (chat, email, callback); returns its id."""
        ...

    async def accept_task(self, task_id: str) -> object:
        """The agent offered ``task_id`` takes it."""
        ...

    async def decline_task(self, task_id: str) -> object:
        """The agent offered ``task_id`` refuses it (the engine decides again)."""
        ...

    async def end_task(self, task_id: str) -> object:
        """``task_id`` is done (its agent goes to wrap-up)."""
        ...

    def subscribe(
        self, agent: str | None = None, tenant: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Events for ``agent`` (its offers, revocations, state), or for ``tenant`` (all
        of its events), or everything when both are ``None``. Each event is a JSON-ready
        dict with ``type``. The subscription must be live when this returns (not at the
        first read), so nothing published after the call is missed."""
        ...

    async def stats(self, tenant: str | None = None) -> dict[str, Any]:
        """Statistics (only ``tenant``'s if given). The HTTP layer computes its own
        ``/stats`` and ``/metrics`` with :func:`engine_stats`, one shape for every runtime."""
        ...


def queue_tenant(center: Center, queue: str) -> str | None:
    """The tenant owning ``queue``: a configured queue's, or the one named in an implicit
    queue's name (``skills[...]@tenant/media``); ``None`` when unknown or unparseable."""
    owner = center.ownership.queues.get(queue)
    if owner is not None:
        return owner
    parsed = _implicit(queue)
    return parsed[0] if parsed else None


def queue_media(center: Center, queue: str) -> str | None:
    """The media of ``queue`` (configured or implicit); ``None`` when unknown."""
    conf = center.queues.get(queue)
    if conf is not None:
        return conf.media
    parsed = _implicit(queue)
    return parsed[1] if parsed else None


def _implicit(queue: str) -> tuple[str, str] | None:
    # Names holding one of `[],>=@/"\` are quoted by the engine; such a tenant or media name
    # is not parsed here (the queue then belongs to nobody, which only hides it).
    if not queue.startswith("skills[") or "]@" not in queue:
        return None
    tail = queue.rsplit("]@", 1)[1]
    if tail.count("/") != 1 or '"' in tail:
        return None
    tenant, media = tail.split("/")
    return (tenant, media) if tenant and media else None


def _num(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value


def runtime_engine(runtime: RuntimeAPI) -> Engine:
    """The engine a runtime routes with: its ``engine`` attribute when it has one (a
    journaled or recovered engine), else its center's."""
    found = getattr(runtime, "engine", None)
    return cast(Engine, found) if found is not None else runtime.center.engine


def engine_stats(
    center: Center, tenant: str | None = None, engine: Engine | None = None
) -> dict[str, Any]:
    """Statistics of the center's engine, for ``tenant`` only when given.

    Shape (JSON-ready; NaN and infinities become ``None``)::

        {"queues": {queue: {"tenant", "media", "waiting", "longest_wait", "offered",
                            "answered", "abandoned", "service_level", "asa",
                            "agents_logged_in", "agents_available"}},
         "agents": {agent: {"tenant", "state", "reason"}},
         "agents_by_state": {tenant: {state: count}}}

    ``offered``/``answered``/``abandoned`` count since the engine started; ``service_level``
    is answered within the queue's threshold over those offered that ended (engine rule);
    ``asa`` the mean wait of answered calls (``None`` before the first). ``engine``
    defaults to the center's (pass :func:`runtime_engine` of a runtime).
    """
    engine = engine if engine is not None else center.engine
    queues: dict[str, dict[str, Any]] = {}
    for q in engine.queues():
        owner = queue_tenant(center, q)
        if tenant is not None and owner != tenant:
            continue
        s = engine.queue_stats(q)
        queues[q] = {
            "tenant": owner,
            "media": queue_media(center, q),
            "waiting": s.waiting,
            "longest_wait": s.longest_wait,
            "offered": s.offered,
            "answered": s.answered,
            "abandoned": s.abandoned,
            "service_level": _num(s.service_level),
            "asa": _num(s.asa),
            "agents_logged_in": s.agents_logged_in,
            "agents_available": s.agents_available,
        }
    agents: dict[str, dict[str, Any]] = {}
    by_state: dict[str, dict[str, int]] = {}
    for a in engine.agents():
        owner = center.ownership.agents.get(a)
        if owner is None or (tenant is not None and owner != tenant):
            continue
        state = engine.agent_state(a)
        agents[a] = {"tenant": owner, "state": state, "reason": engine.agent_reason(a)}
        counts = by_state.setdefault(owner, {})
        counts[state] = counts.get(state, 0) + 1
    return {"queues": queues, "agents": agents, "agents_by_state": by_state}
