"""A configured contact center: the engine and everything around it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._core import Engine
from .._internal.deprecation import warn_once
from ..engine import DataValue, Decision
from ..errors import PermissionDenied, UnknownIdError
from .lint import _lint
from .problems import _unknown
from .schema import AgentConfig, NumberConfig, PromptConfig, QueueConfig
from .tenancy import (
    Directory,
    Operator,
    OperatorView,
    Ownership,
    Permission,
    Refusal,
    Tenant,
)


@dataclass(eq=False)
class Center:
    """A configured contact center: the engine and everything around it.

    ``engine`` has every queue and agent added (agents start logged out). Use
    :meth:`operator` for tenant-scoped views and actions, :meth:`resolve` to map an access
    number to its tenant, :meth:`call_arrived` to route a call of a tenant.
    """

    source: str
    name: str
    timezone: str
    engine: Engine
    tenants: Mapping[str, Tenant]
    skills: tuple[str, ...]
    media: tuple[str, ...]
    queues: Mapping[str, QueueConfig]
    agents: Mapping[str, AgentConfig]
    hours: Mapping[str, Any]
    prompts: Mapping[str, PromptConfig]
    flows: Mapping[str, Any]
    numbers: Mapping[str, NumberConfig]
    operators: Mapping[str, Operator]
    roles: Mapping[str, frozenset[Permission]]
    directory: Directory
    ownership: Ownership

    def __repr__(self) -> str:
        return (
            f"Center({self.name or self.source!r}: {len(self.tenants)} tenants, "
            f"{len(self.queues)} queues, {len(self.agents)} agents)"
        )

    def operator(self, name: str) -> OperatorView:
        """What operator ``name`` may see and do: only its tenant, only its roles."""
        op = self.operators.get(name)
        if op is None:
            raise UnknownIdError(_unknown("operator", name, self.operators))
        return OperatorView(op, self.engine, self.ownership)

    def resolve(
        self,
        dnis: str,
        now: datetime,
        choice: str | int | None = None,
        code: str | None = None,
        *,
        media: str = "voice",
    ) -> Tenant | Refusal:
        """The tenant of an inbound call (see :meth:`Directory.resolve`)."""
        return self.directory.resolve(dnis, now, choice, code, media=media)

    def call_arrived(
        self,
        call: str,
        now: float,
        *,
        tenant: str,
        queue: str,
        priority: int = 0,
        data: Mapping[str, DataValue] | None = None,
    ) -> list[Decision]:
        """Route ``call`` of ``tenant`` to one of that tenant's queues."""
        if self.ownership.queues.get(queue) != tenant:
            raise PermissionDenied(
                f"tenant {tenant!r} has no queue {queue!r}; its calls go to its own queues"
            )
        return self.engine.call_arrived(call, now, queue=queue, priority=priority, data=data)

    def apply_open_hours(self, now: datetime) -> dict[str, bool]:
        """Open or close every queue that has business ``hours``, as they are at ``now``.

        This changes the engine's state (:meth:`Engine.set_queue_open` per such queue).

        :param now: the moment (an aware datetime, or naive meaning each queue's hours' own
            time zone).
        :returns: ``{queue: is_open}`` for each queue with hours (others are left as they
            are).
        """
        changed: dict[str, bool] = {}
        for name, q in self.queues.items():
            if q.hours is not None:
                is_open = bool(self.hours[q.hours].is_open(now))
                self.engine.set_queue_open(name, is_open)
                changed[name] = is_open
        return changed

    def open_queues(self, now: datetime) -> dict[str, bool]:
        """Deprecated name of :meth:`apply_open_hours` (it changes state; the old name read
        like a query)."""
        warn_once(
            "callroute.Center",
            "open_queues",
            "Center.open_queues is deprecated; use apply_open_hours",
        )
        return self.apply_open_hours(now)

    def lint(self) -> list[str]:
        """What validates but cannot work, one ``path: finding`` per line (empty: clean)."""
        return _lint(self)
