"""Multi-tenant hosting: tenants, access numbers, lease windows, media and operators.

An outsourced center hosts several tenants on one engine. Each tenant has access numbers
(DNIS); a number shared by several tenants is told apart by an IVR choice or by an entered
tenant code. :meth:`Directory.resolve` maps an incoming call to its tenant, or to a
:class:`Refusal` that states why the call cannot be taken (unknown number, outside the lease
window, media not allowed, a choice still needed, ...). Nothing here does I/O: the caller
passes the time.

Operators act for exactly one tenant. :class:`OperatorView` is what an operator sees of the
engine: its own tenant's queues, agents, calls and statistics, and the actions its roles
permit; anything else raises :class:`~callroute.errors.PermissionDenied`, with the same
message whether the target belongs to another tenant or does not exist at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from .._core import AgentStats, CallInfo, Engine, IntervalStats, QueueStats
from ..engine import Decision
from ..errors import ParameterError, PermissionDenied

__all__ = [
    "BUILTIN_ROLES",
    "PERMISSIONS",
    "AccessNumber",
    "Directory",
    "Lease",
    "Operator",
    "OperatorView",
    "Ownership",
    "Permission",
    "Refusal",
    "RefusalReason",
    "Tenant",
]

Permission = Literal["login_agents", "change_queues", "view_stats"]
PERMISSIONS: tuple[Permission, ...] = ("login_agents", "change_queues", "view_stats")

#: Roles every center knows; a configuration may add more (or redefine these).
BUILTIN_ROLES: Mapping[str, frozenset[Permission]] = {
    "viewer": frozenset({"view_stats"}),
    "supervisor": frozenset({"login_agents", "view_stats"}),
    "admin": frozenset(PERMISSIONS),
}

RefusalReason = Literal[
    "unknown_number",
    "needs_choice",
    "invalid_choice",
    "invalid_code",
    "outside_lease",
    "media_not_allowed",
]


class OpenHours(Protocol):
    """Anything that says whether a moment is inside its hours (``ivr.BusinessHours``)."""

    def is_open(self, when: datetime, /) -> bool: ...


@dataclass(frozen=True)
class Lease:
    """When the center hosts a tenant: from ``start`` until ``end`` (aware datetimes; either
    may be open-ended) and, optionally, only within weekly ``hours`` (named ``hours_name``)."""

    start: datetime | None = None
    end: datetime | None = None
    hours: OpenHours | None = None
    hours_name: str | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why ``now`` is outside the lease, or ``None`` inside it."""
        if self.start is not None and now < self.start:
            return f"the lease starts {self.start.isoformat()}"
        if self.end is not None and now >= self.end:
            return f"the lease ended {self.end.isoformat()}"
        if self.hours is not None and not self.hours.is_open(now):
            return f"outside the leased hours {self.hours_name!r}"
        return None


@dataclass(frozen=True)
class Tenant:
    """A hosted tenant and what it owns (names of its queues, agents, flows, prompts)."""

    name: str
    display_name: str = ""
    numbers: tuple[str, ...] = ()
    code: str | None = None
    timezone: str = "UTC"
    lease: Lease | None = None
    inbound: frozenset[str] = frozenset({"voice"})
    outbound: frozenset[str] = frozenset()
    hours: str | None = None
    flow: str | None = None
    queues: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    record: bool = False
    crm_webhook: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class AccessNumber:
    """A dialed number (DNIS), the tenants behind it, and how callers pick one.

    ``choices`` maps an IVR choice (a digit string) to a tenant; ``prompt`` is the
    announcement that offers the choice, ``code_prompt`` the one asking for a tenant code.
    """

    dnis: str
    tenants: tuple[str, ...]
    choices: Mapping[str, str] = field(default_factory=dict)
    prompt: str | None = None
    code_prompt: str | None = None

    @property
    def shared(self) -> bool:
        return len(self.tenants) > 1


@dataclass(frozen=True)
class Refusal:
    """Why a call cannot be taken. ``options`` lists how to go on for ``needs_choice``
    (``"choice"`` and/or ``"code"``)."""

    reason: RefusalReason
    message: str
    dnis: str | None = None
    tenant: str | None = None
    options: tuple[str, ...] = ()


class Directory:
    """Access numbers to tenants, with lease windows and media permissions."""

    def __init__(
        self,
        tenants: Mapping[str, Tenant],
        numbers: Mapping[str, AccessNumber] | None = None,
    ) -> None:
        self._tenants = dict(tenants)
        owners: dict[str, list[str]] = {}
        for tenant in self._tenants.values():
            for dnis in tenant.numbers:
                owners.setdefault(dnis, []).append(tenant.name)
        self._numbers: dict[str, AccessNumber] = {}
        for dnis, names in owners.items():
            given = (numbers or {}).get(dnis)
            self._numbers[dnis] = AccessNumber(
                dnis,
                tuple(names),
                dict(given.choices) if given else {},
                given.prompt if given else None,
                given.code_prompt if given else None,
            )

    @property
    def tenants(self) -> Mapping[str, Tenant]:
        return self._tenants

    @property
    def numbers(self) -> Mapping[str, AccessNumber]:
        return self._numbers

    def number(self, dnis: str) -> AccessNumber | None:
        return self._numbers.get(dnis)

    def resolve(
        self,
        dnis: str,
        now: datetime,
        choice: str | int | None = None,
        code: str | None = None,
        *,
        media: str = "voice",
    ) -> Tenant | Refusal:
        """The tenant an inbound call on ``dnis`` at ``now`` belongs to, or why not.

        A number shared by several tenants needs the caller's IVR ``choice`` or an entered
        tenant ``code``; without either the refusal is ``needs_choice`` (its ``options``
        say which the number supports). ``now`` without a time zone is taken in the
        tenant's own zone.
        """
        number = self._numbers.get(dnis)
        if number is None:
            return Refusal("unknown_number", f"number {dnis!r} is not in service", dnis)
        if number.shared:
            picked = self._pick(number, choice, code)
            if isinstance(picked, Refusal):
                return picked
            tenant = self._tenants[picked]
        else:
            tenant = self._tenants[number.tenants[0]]
        return self._admit(tenant, now, media, "inbound", dnis)

    def outbound(self, tenant: str, now: datetime, *, media: str = "voice") -> Tenant | Refusal:
        """May ``tenant`` place an outbound contact of ``media`` at ``now``?"""
        found = self._tenants.get(tenant)
        if found is None:
            raise ParameterError(f"unknown tenant {tenant!r}")
        return self._admit(found, now, media, "outbound", None)

    def _pick(
        self, number: AccessNumber, choice: str | int | None, code: str | None
    ) -> str | Refusal:
        dnis = number.dnis
        if choice is not None:
            picked = number.choices.get(str(choice))
            if picked is None:
                offered = ", ".join(sorted(number.choices)) or "none"
                return Refusal(
                    "invalid_choice",
                    f"choice {str(choice)!r} is not offered on {dnis!r} (offered: {offered})",
                    dnis,
                )
            return picked
        if code is not None:
            for name in number.tenants:
                if self._tenants[name].code == code:
                    return name
            return Refusal("invalid_code", f"code {code!r} is not valid on {dnis!r}", dnis)
        options = tuple(
            kind
            for kind, ok in (
                ("choice", bool(number.choices)),
                ("code", any(self._tenants[t].code for t in number.tenants)),
            )
            if ok
        )
        return Refusal(
            "needs_choice",
            f"number {dnis!r} is shared by {len(number.tenants)} tenants: "
            + ("needs an IVR choice or a tenant code" if options else "no way to choose"),
            dnis,
            options=options,
        )

    @staticmethod
    def _admit(
        tenant: Tenant, now: datetime, media: str, direction: str, dnis: str | None
    ) -> Tenant | Refusal:
        when = now if now.tzinfo is not None else now.replace(tzinfo=tenant.zone)
        if tenant.lease is not None:
            why = tenant.lease.refusal(when)
            if why is not None:
                return Refusal(
                    "outside_lease",
                    f"tenant {tenant.name!r} is not hosted now: {why}",
                    dnis,
                    tenant.name,
                )
        allowed = tenant.inbound if direction == "inbound" else tenant.outbound
        if media not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            return Refusal(
                "media_not_allowed",
                f"tenant {tenant.name!r} may not use {media!r} {direction} (allowed: {listed})",
                dnis,
                tenant.name,
            )
        return tenant


# --------------------------------------------------------------------------- operators


@dataclass(frozen=True)
class Operator:
    """Someone who runs part of the center, for one tenant. ``permissions`` defaults to the
    union of the built-in roles' permissions (a center passes its own role table).

    ``scope`` is ``"tenant"`` (the default: only ``tenant``) or ``"center"`` (every tenant;
    :class:`OperatorView` still shows only ``tenant``, the HTTP layer widens it).
    ``token_sha256`` holds the hex SHA-256 of each of the operator's valid API tokens
    (none, one, or two while rotating).
    """

    name: str
    tenant: str
    roles: tuple[str, ...] = ()
    permissions: frozenset[Permission] | None = None
    scope: Literal["tenant", "center"] = "tenant"
    token_sha256: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.permissions is None:
            granted: set[Permission] = set()
            for role in self.roles:
                granted |= BUILTIN_ROLES.get(role, frozenset())
            object.__setattr__(self, "permissions", frozenset(granted))

    def has(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise ParameterError(
                f"unknown permission {permission!r} (expected one of: {', '.join(PERMISSIONS)})"
            )
        return permission in (self.permissions or frozenset())


@dataclass(frozen=True)
class Ownership:
    """Which tenant owns each queue and agent (and with whom a queue is shared)."""

    queues: Mapping[str, str]
    agents: Mapping[str, str]
    shared_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def queues_of(self, tenant: str) -> list[str]:
        return [q for q, t in self.queues.items() if t == tenant]

    def agents_of(self, tenant: str) -> list[str]:
        return [a for a, t in self.agents.items() if t == tenant]


class OperatorView:
    """An operator's window on the engine: only its tenant, only what its roles allow."""

    def __init__(self, operator: Operator, engine: Engine, ownership: Ownership) -> None:
        self._operator = operator
        self._engine = engine
        self._own = ownership

    @property
    def operator(self) -> Operator:
        return self._operator

    @property
    def tenant(self) -> str:
        return self._operator.tenant

    def __repr__(self) -> str:
        op = self._operator
        return f"OperatorView({op.name!r}, tenant={op.tenant!r}, roles={list(op.roles)!r})"

    def can(self, permission: str, target: str | None = None) -> bool:
        """May this operator do ``permission`` (on ``target``: a queue, an agent or a tenant
        name; ``None`` asks about the permission alone)?"""
        if not self._operator.has(permission):
            return False
        if target is None:
            return True
        return self._owns(permission, target)

    # -- views (view_stats) --

    def queues(self) -> list[str]:
        """The operator's tenant's queues."""
        return self._own.queues_of(self.tenant)

    def agents(self) -> list[str]:
        """The operator's tenant's agents."""
        return self._own.agents_of(self.tenant)

    def calls(self) -> list[str]:
        """Active calls in the tenant's queues."""
        self._require("view_stats", None, "")
        mine = set(self.queues())
        return [c for c in self._engine.calls() if self._engine.call_info(c).queue in mine]

    def queue_stats(self, queue: str) -> QueueStats:
        self._require("view_stats", queue, "queue")
        return self._engine.queue_stats(queue)

    def interval_stats(self, queue: str) -> list[IntervalStats]:
        self._require("view_stats", queue, "queue")
        return self._engine.interval_stats(queue)

    def agent_stats(self, agent: str) -> AgentStats:
        self._require("view_stats", agent, "agent")
        return self._engine.agent_stats(agent)

    def agent_state(self, agent: str) -> str:
        self._require("view_stats", agent, "agent")
        return self._engine.agent_state(agent)

    def call_info(self, call: str) -> CallInfo:
        self._require("view_stats", None, "")
        denied = PermissionDenied(
            f"operator {self._operator.name!r} cannot see call {call!r} "
            f"(not a call of tenant {self.tenant!r})"
        )
        if call not in self._engine.calls():
            raise denied
        info = self._engine.call_info(call)
        if self._own.queues.get(info.queue) != self.tenant:
            raise denied
        return info

    # -- actions --

    def login_agent(self, agent: str, now: float) -> list[Decision]:
        """Log ``agent`` in, ready (``login_agents``)."""
        self._require("login_agents", agent, "agent")
        return list(self._engine.agent_ready(agent, now))

    def agent_not_ready(self, agent: str, now: float, reason: str = "break") -> list[Decision]:
        self._require("login_agents", agent, "agent")
        return list(self._engine.agent_not_ready(agent, now, reason))

    def logout_agent(self, agent: str, now: float) -> list[Decision]:
        self._require("login_agents", agent, "agent")
        return list(self._engine.agent_logout(agent, now))

    def set_queue_open(self, queue: str, open: bool) -> None:
        """Open or close ``queue`` (``change_queues``)."""
        self._require("change_queues", queue, "queue")
        self._engine.set_queue_open(queue, open)

    # -- internals --

    def _owns(self, permission: str, target: str) -> bool:
        tenant = self.tenant
        if target == tenant:
            return True
        kinds: Iterable[Mapping[str, str]]
        if permission == "login_agents":
            kinds = (self._own.agents,)
        elif permission == "change_queues":
            kinds = (self._own.queues,)
        else:
            kinds = (self._own.queues, self._own.agents)
        return any(owners.get(target) == tenant for owners in kinds)

    def _require(self, permission: Permission, target: str | None, kind: str) -> None:
        op = self._operator
        if not op.has(permission):
            roles = ", ".join(op.roles) or "none"
            raise PermissionDenied(
                f"operator {op.name!r} may not {permission.replace('_', ' ')} (roles: {roles})"
            )
        if target is None:
            return
        owners = self._own.agents if kind == "agent" else self._own.queues
        if owners.get(target) != op.tenant:
            raise PermissionDenied(
                f"operator {op.name!r} cannot reach {kind} {target!r} "
                f"(not a {kind} of tenant {op.tenant!r})"
            )
