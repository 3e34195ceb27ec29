"""Bearer tokens and who may do what over HTTP.

Tokens belong to the center file's agents and operators: each may carry ``token_sha256``,
the hex SHA-256 of its token (the file never holds a token). A request's
``Authorization: Bearer <token>`` is hashed and looked up; the tokens are meant to be long
random strings (``python -c 'import secrets; print(secrets.token_urlsafe(32))'``), for which
one unsalted SHA-256 is enough: nothing to guess, and the file's hashes do not give them away.

A :class:`Principal` is who a token names. Scopes:

- an agent acts only on itself (presence, its own stream, tasks offered to or held by it);
- a tenant operator (``scope: tenant``, the default) sees and changes only its tenant's
  agents, queues, calls and streams, as far as its roles allow -- the checks are those of
  :class:`~callroute.center.tenancy.OperatorView` over the center's
  :class:`~callroute.center.tenancy.Ownership`;
- a center operator (``scope: center``) has its roles' permissions on every tenant.

A scoped principal asking for something outside its reach gets the same
:class:`~callroute.errors.PermissionDenied` message whether it exists or not, so a tenant
cannot probe another's names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from .._core import Engine
from ..center import Center, Operator, OperatorView
from ..center.schema import token_hashes
from ..center.tenancy import Permission
from ..errors import CallrouteError, PermissionDenied, UnknownIdError
from .api import queue_tenant

__all__ = ["Access", "Principal", "TokenTable", "Unauthorized", "token_sha256"]


class Unauthorized(CallrouteError):  # noqa: N818 (reads as the HTTP status)
    """No token, a malformed ``Authorization`` header or a token nobody holds (HTTP 401)."""


def token_sha256(token: str) -> str:
    """The hex SHA-256 of ``token`` (UTF-8), as the center file stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a token names: an agent, or an operator with its scope and permissions."""

    name: str
    kind: Literal["agent", "operator"]
    tenant: str
    scope: Literal["agent", "tenant", "center"]
    permissions: frozenset[Permission]
    operator: Operator | None = None

    @property
    def label(self) -> str:
        """``agent 'anna'`` / ``operator 'bank_supervisor'`` for messages and logs."""
        return f"{self.kind} {self.name!r}"


class TokenTable:
    """Token hashes of a center's agents and operators, and who each one names."""

    def __init__(self, center: Center) -> None:
        self._by_hash: dict[str, Principal] = {}
        for name, agent in center.agents.items():
            for digest in token_hashes(agent.token_sha256):
                self._by_hash[digest] = Principal(name, "agent", agent.tenant, "agent", frozenset())
        for name, op in center.operators.items():
            for digest in token_hashes(op.token_sha256):
                self._by_hash[digest] = Principal(
                    name, "operator", op.tenant, op.scope, op.permissions or frozenset(), op
                )

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, header: str | None) -> Principal:
        """The principal of an ``Authorization`` header value; :class:`Unauthorized` else."""
        if not header:
            raise Unauthorized("missing Authorization header (expected: Bearer <token>)")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("malformed Authorization header (expected: Bearer <token>)")
        found = self._by_hash.get(token_sha256(token))
        if found is None:
            raise Unauthorized("unknown token")
        return found


class Access:
    """What one principal may see and do in one center (whose live engine is ``engine``,
    by default the center's); every check raises
    :class:`~callroute.errors.PermissionDenied` (or returns a filtered list)."""

    def __init__(self, center: Center, who: Principal, engine: Engine | None = None) -> None:
        self.center = center
        self.who = who
        self.engine = engine if engine is not None else center.engine
        self._view = (
            OperatorView(who.operator, self.engine, center.ownership)
            if who.operator is not None
            else None
        )

    # -- reach --

    def tenants(self, permission: Permission = "view_stats") -> list[str]:
        """Tenants whose data this principal may see (or act on, per ``permission``)."""
        if self.who.kind == "agent" or permission not in self.who.permissions:
            return []
        if self.who.scope == "center":
            return list(self.center.tenants)
        return [self.who.tenant]

    def _operator_may(
        self, permission: Permission, owner: str | None, target: str, kind: str
    ) -> bool:
        if permission not in self.who.permissions:
            return False
        if self.who.scope == "center":
            if owner is None:  # a center operator may learn that a name does not exist
                raise UnknownIdError(f"unknown {kind} {target!r}")
            return True
        if owner is None:
            return False
        assert self._view is not None
        # OperatorView's own rule (permission and ownership), and the owner we looked up.
        return owner == self.who.tenant and self._view.can(permission, target)

    def _deny(self, kind: str, name: str, what: str) -> PermissionDenied:
        return PermissionDenied(f"{self.who.label} cannot {what} {kind} {name!r}")

    # -- checks --

    def agent(self, agent: str, permission: Permission) -> None:
        """May this principal read (``view_stats``) or drive (``login_agents``) ``agent``?
        An agent principal may do both to itself only."""
        if self.who.kind == "agent":
            if agent != self.who.name:
                raise self._deny("agent", agent, "reach")
            return
        owner = self.center.ownership.agents.get(agent)
        if not self._operator_may(permission, owner, agent, "agent"):
            raise self._deny("agent", agent, "reach")

    def queue(self, queue: str, permission: Permission) -> None:
        """May this principal see (``view_stats``) or change (``change_queues``) ``queue``?"""
        if self.who.kind == "agent":
            raise self._deny("queue", queue, "reach")
        owner = queue_tenant(self.center, queue)
        if not self._operator_may(permission, owner, queue, "queue"):
            raise self._deny("queue", queue, "reach")

    def tenant(self, tenant: str, permission: Permission) -> None:
        """May this principal see or act on ``tenant`` as a whole (its stream, its tasks)?"""
        if tenant not in self.tenants(permission):
            if self.who.scope == "center" and permission in self.who.permissions:
                raise UnknownIdError(f"unknown tenant {tenant!r}")
            raise self._deny("tenant", tenant, "reach")

    def call(self, call: str, permission: Permission) -> None:
        """May this principal see or act on ``call`` (a call or task)? An agent: only one
        offered to or held by it; an operator: one in its tenants' queues."""
        engine = self.engine
        denied = self._deny("call", call, "reach")
        if call not in engine.calls():
            if self.who.scope == "center" and permission in self.who.permissions:
                raise UnknownIdError(f"unknown call {call!r}")
            raise denied
        info = engine.call_info(call)
        if self.who.kind == "agent":
            if info.agent != self.who.name:
                raise denied
            return
        owner = queue_tenant(self.center, info.queue)
        # A call is its tenant's: the target of the permission is the tenant itself.
        if not self._operator_may(permission, owner, owner or call, "call"):
            raise denied

    def visible_calls(self) -> list[str]:
        """Active calls this principal may see."""
        engine = self.engine
        if self.who.kind == "agent":
            return [c for c in engine.calls() if engine.call_info(c).agent == self.who.name]
        mine = set(self.tenants("view_stats"))
        return [
            c
            for c in engine.calls()
            if queue_tenant(self.center, engine.call_info(c).queue) in mine
        ]
