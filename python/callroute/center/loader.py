"""Reading a center: :func:`load_center` and :func:`load_mapping`.

Every section and cross reference is validated, all problems reported at once, before the
engine is built.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from .._core import Engine
from .._internal.files import read_document
from ..errors import CallrouteError, ConfigError, Problem
from ..hours import find_zone
from ..ivr import BusinessHours, Flow, parse_flow
from .center import Center
from .problems import _kind, _message, _num, _one_of, _Problems, _unknown, format_path
from .schema import (
    _KEY_ADAPTERS,
    _SECTION_MODELS,
    _SECTIONS,
    _SETTINGS,
    AgentConfig,
    CenterConfig,
    NumberConfig,
    OperatorConfig,
    PromptConfig,
    QueueConfig,
    QueueSettings,
    TenantConfig,
    _check_dnis,
    _prompt_shorthand,
    _Settings,
    queue_spec,
    token_hashes,
)
from .tenancy import (
    BUILTIN_ROLES,
    AccessNumber,
    Directory,
    Lease,
    Operator,
    Ownership,
    Permission,
    Tenant,
)


def load_center(path: str | os.PathLike[str]) -> Center:
    """Read, validate and build a center from a YAML, JSON or TOML file.

    :param path: the center file (``.yaml``/``.yml``, ``.json`` or ``.toml``).
    :returns: the :class:`Center`, its engine holding every queue and agent (logged out).
    :raises ~callroute.errors.ConfigError: listing every problem, each with its path in the
        file (``queues.billing.steps[1].after: ...``); also when the file cannot be read.

    The file is read with limits (size, and in YAML aliases and the size as expanded: see
    :mod:`callroute._internal.files`), so a hostile file fails fast with a ``ConfigError``.
    """
    return load_mapping(read_document(path), source=str(Path(path)))


def load_mapping(data: Any, source: str = "<mapping>") -> Center:
    """Validate and build a center from an already parsed mapping.

    :param data: the mapping, as :func:`load_center` would read it from a file.
    :param source: what problems are reported against (a file name).
    :returns: the :class:`Center`.
    :raises ~callroute.errors.ConfigError: listing every problem with its path.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            problems=[f"(top level): must be a mapping, got {_kind(data)}"], source=source
        )
    builder = _Builder(data, source)
    return builder.build()


_T = TypeVar("_T")


@dataclass
class _Parsed:
    settings: _Settings
    tenants: dict[str, TenantConfig] = field(default_factory=dict)
    numbers: dict[str, NumberConfig] = field(default_factory=dict)
    hours: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: dict[str, PromptConfig] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    queues: dict[str, QueueConfig] = field(default_factory=dict)
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    roles: dict[str, list[Permission]] = field(default_factory=dict)
    operators: dict[str, OperatorConfig] = field(default_factory=dict)
    declared: dict[str, list[str]] = field(default_factory=dict)


class _Builder:
    def __init__(self, data: Mapping[Any, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.problems = _Problems(data)
        self.hours_objects: dict[str, Any] = {}
        self.flow_objects: dict[str, Any] = {}
        self.flow_owner: dict[str, str | None] = {}
        self.dropped: dict[tuple[str, str], set[str]] = {}

    # -- pass 1: shapes --

    def _shapes(self) -> _Parsed:
        data, problems = self.data, self.problems
        allowed = set(_SETTINGS) | set(_SECTIONS)
        for key in data:
            if not isinstance(key, str):
                problems.add((str(key),), "section name must be a string")
            elif key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"expected {_one_of(allowed)}"
                problems.add((key,), f"unknown section ({hint})")
        try:
            settings = _Settings.model_validate({k: data[k] for k in _SETTINGS if k in data})
        except ValidationError as exc:
            problems.extend((), exc, CenterConfig)
            settings = _Settings()
        parsed = _Parsed(settings)
        if "tenants" not in data:
            problems.add(("tenants",), "required: at least one tenant")
        for section, item_type in _SECTIONS.items():
            raw = data.get(section)
            if raw is None:
                if section in data and section == "tenants":
                    problems.add((section,), "must be a mapping of tenants, got null")
                parsed.declared[section] = []
                continue
            if not isinstance(raw, Mapping):
                problems.add((section,), f"must be a mapping of names, got {_kind(raw)}")
                parsed.declared[section] = []
                continue
            if section == "tenants" and not raw:
                problems.add((section,), "must declare at least one tenant")
            adapter: TypeAdapter[Any] = TypeAdapter(item_type)
            key_adapter = _KEY_ADAPTERS.get(section)
            names: list[str] = []
            good: dict[str, Any] = getattr(parsed, section)
            for key, value in raw.items():
                name = key
                if key_adapter is not None:
                    try:
                        name = _check_dnis(key_adapter.validate_python(key))
                    except (ValidationError, PydanticCustomError) as exc:
                        msg = (
                            _message(exc.errors()[0], None)
                            if isinstance(exc, ValidationError)
                            else exc.message()
                        )
                        problems.add((section, str(key)), msg)
                        continue
                elif not isinstance(key, str) or not key:
                    problems.add((section, str(key)), "name must be a non-empty string")
                    continue
                names.append(name)
                try:
                    good[name] = adapter.validate_python(value)
                except ValidationError as exc:
                    model = _SECTION_MODELS.get(section)
                    problems.extend((section, name), exc, model)
                    if model is not None:
                        self._salvage(section, name, value, exc, adapter, good)
            parsed.declared[section] = names
        return parsed

    def _salvage(
        self,
        section: str,
        name: str,
        value: Any,
        error: ValidationError,
        adapter: TypeAdapter[Any],
        good: dict[str, Any],
    ) -> None:
        """Keep an item whose bad fields are dropped, so its references are checked too
        (all problems at once); such an item is never built, and checks that depend on a
        dropped field skip it."""
        value = _prompt_shorthand(value)
        if not isinstance(value, Mapping):
            return
        bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        if not bad or any(e["type"] == "missing" and len(e["loc"]) == 1 for e in error.errors()):
            return
        try:
            good[name] = adapter.validate_python({k: v for k, v in value.items() if k not in bad})
        except ValidationError:
            return
        self.dropped[(section, name)] = bad

    def _intact(self, section: str, name: str, *fields: str) -> bool:
        """Were these fields of the item valid as given (not dropped while salvaging)?"""
        return not (self.dropped.get((section, name), set()) & set(fields))

    # -- pass 2: references and meaning --

    def build(self) -> Center:
        parsed = self._shapes()
        self._check_settings(parsed)
        self._check_tenants(parsed)
        self._check_numbers(parsed)
        self._check_hours(parsed)
        self._check_prompts(parsed)
        self._check_flows(parsed)
        self._check_queues(parsed)
        self._check_agents(parsed)
        self._check_operators(parsed)
        if self.problems:
            raise ConfigError(problems=self.problems.texts(), source=self.source)
        return self._assemble(parsed)

    def _check_settings(self, parsed: _Parsed) -> None:
        s, add = parsed.settings, self.problems.add
        if "timezone" in self.data and not _zone_ok(s.timezone):
            add(("timezone",), f"unknown time zone {s.timezone!r} (expected an IANA name)")
        for i, name in enumerate(s.skills):
            if name in s.skills[:i]:
                add(("skills", i), f"skill {name!r} is declared twice")
        for i, name in enumerate(s.media):
            if name in s.media[:i]:
                add(("media", i), f"media {name!r} is declared twice")

    def _ref(self, loc: tuple[str | int, ...], kind: str, name: str, known: Sequence[str]) -> bool:
        if name in known:
            return True
        self.problems.add(loc, _unknown(kind, name, known))
        return False

    def _check_tenants(self, parsed: _Parsed) -> None:
        add = self.problems.add
        media = parsed.settings.media
        codes: dict[str, str] = {}
        for name, t in parsed.tenants.items():
            at: tuple[str | int, ...] = ("tenants", name)
            for i, number in enumerate(t.numbers):
                if number in t.numbers[:i]:
                    add((*at, "numbers", i), f"number {number!r} is listed twice")
            if t.code is not None:
                if t.code in codes:
                    add((*at, "code"), f"code {t.code!r} is already tenant {codes[t.code]!r}'s")
                else:
                    codes[t.code] = name
            if t.timezone is not None and not _zone_ok(t.timezone):
                add((*at, "timezone"), f"unknown time zone {t.timezone!r} (expected an IANA name)")
            if t.lease is not None:
                lease = t.lease
                zone = t.timezone or parsed.settings.timezone
                zone = zone if _zone_ok(zone) else "UTC"
                start, end = _aware(lease.start, zone), _aware(lease.end, zone)
                if start and end and end <= start:
                    add(
                        (*at, "lease", "end"),
                        f"must be after lease.start ({_when(start)})",
                    )
                if lease.hours is not None:
                    self._ref(
                        (*at, "lease", "hours"), "business hours", lease.hours, self._hours(parsed)
                    )
            for direction in ("inbound", "outbound"):
                for i, m in enumerate(getattr(t.media, direction)):
                    self._ref((*at, "media", direction, i), "media", m, media)
            if t.hours is not None:
                self._ref((*at, "hours"), "business hours", t.hours, self._hours(parsed))
            if t.flow is not None and self._ref(
                (*at, "flow"), "IVR flow", t.flow, parsed.declared["flows"]
            ):
                owner = self._flow_tenant(parsed, t.flow)
                if owner not in (None, name):
                    add((*at, "flow"), f"flow {t.flow!r} belongs to tenant {owner!r}")

    def _hours(self, parsed: _Parsed) -> list[str]:
        return parsed.declared["hours"]

    def _flow_tenant(self, parsed: _Parsed, flow: str) -> str | None:
        spec = parsed.flows.get(flow, {})
        owner = spec.get("tenant")
        return owner if isinstance(owner, str) else None

    def _prompt_ok(
        self, parsed: _Parsed, loc: tuple[str | int, ...], prompt: str, tenant: str | None
    ) -> None:
        if not self._ref(loc, "prompt", prompt, parsed.declared["prompts"]):
            return
        owner = parsed.prompts[prompt].tenant if prompt in parsed.prompts else None
        if owner is not None and owner != tenant:
            whose = f"tenant {tenant!r}" if tenant else "every tenant"
            self.problems.add(loc, f"prompt {prompt!r} belongs to tenant {owner!r}, not {whose}")

    def _check_numbers(self, parsed: _Parsed) -> None:
        owners = _number_owners(parsed.tenants)
        for dnis, n in parsed.numbers.items():
            at: tuple[str | int, ...] = ("numbers", dnis)
            holders = owners.get(dnis, [])
            if any(not self._intact("tenants", t, "numbers") for t in parsed.tenants):
                holders = []
            if not holders and not any(
                not self._intact("tenants", t, "numbers") for t in parsed.tenants
            ):
                listed = list(owners)
                self.problems.add(
                    at,
                    "no tenant lists this number"
                    + (f" (tenants' numbers: {', '.join(sorted(listed))})" if listed else ""),
                )
            for choice, tenant in n.choices.items():
                loc = (*at, "choices", choice)
                if not (choice.isascii() and choice.isdigit()) and choice not in ("*", "#"):
                    self.problems.add(loc, "a choice must be digits (or * or #)")
                known = self._ref(loc, "tenant", tenant, parsed.declared["tenants"])
                if known and holders and tenant not in holders:
                    self.problems.add(loc, f"tenant {tenant!r} does not list number {dnis!r}")
            if len(set(n.choices.values())) < len(n.choices):
                self.problems.add((*at, "choices"), "two choices lead to the same tenant")
            for key in ("prompt", "code_prompt"):
                prompt = getattr(n, key)
                if prompt is not None:
                    self._prompt_ok(parsed, (*at, key), prompt, None)

    def _check_hours(self, parsed: _Parsed) -> None:
        default_zone = parsed.settings.timezone
        for name, spec in parsed.hours.items():
            where = f"hours.{name}"
            if "timezone" not in spec and _zone_ok(default_zone):
                spec = {**spec, "timezone": default_zone}
            try:
                self.hours_objects[name] = BusinessHours.from_spec(spec, where)
            except ConfigError as exc:
                for problem in exc.problems:
                    self._add_raw(("hours", name), problem)

    def _add_raw(self, anchor: tuple[str | int, ...], problem: str) -> None:
        """A problem already formatted with its path by another module (``ivr``)."""
        prefix = format_path(anchor)
        if problem.startswith(prefix):
            self.problems._found.append(self._raw_entry(anchor, problem))
        else:
            self.problems.add(anchor, problem)

    def _raw_entry(
        self, anchor: tuple[str | int, ...], text: str
    ) -> tuple[int, int, int, str | Problem]:
        p = self.problems
        first = p._order.get(str(anchor[0]), -1)
        second = p._items.get(str(anchor[0]), {}).get(anchor[1], -1) if len(anchor) > 1 else -1
        return (first, second, len(p._found), text)

    def _check_prompts(self, parsed: _Parsed) -> None:
        for name, prompt in parsed.prompts.items():
            if prompt.tenant is not None:
                self._ref(
                    ("prompts", name, "tenant"), "tenant", prompt.tenant, parsed.declared["tenants"]
                )
            if not prompt.text and not prompt.file:
                self.problems.add(("prompts", name), "needs a text or a file")

    def _check_flows(self, parsed: _Parsed) -> None:
        hours_intact = set(self.hours_objects) >= set(parsed.declared["hours"])
        for name, raw in parsed.flows.items():
            at: tuple[str | int, ...] = ("flows", name)
            spec = dict(raw)
            owner = spec.pop("tenant", None)
            if owner is not None:
                if not isinstance(owner, str):
                    self.problems.add((*at, "tenant"), f"must be a string, got {_kind(owner)}")
                    owner = None
                elif not self._ref((*at, "tenant"), "tenant", owner, parsed.declared["tenants"]):
                    owner = None
            self.flow_owner[name] = owner
            # With some business hours already refused, the flow cannot resolve them: leave
            # calendar names unchecked rather than report declared hours as unknown.
            calendars = self.hours_objects if hours_intact else None
            try:
                flow = parse_flow(name, spec, where=format_path(at), calendars=calendars)
            except ConfigError as exc:
                for problem in exc.problems:
                    self._add_raw(at, problem)
                continue
            self.flow_objects[name] = flow
            self._check_flow_refs(parsed, at, flow, owner)

    def _check_flow_refs(
        self, parsed: _Parsed, at: tuple[str | int, ...], flow: Flow, owner: str | None
    ) -> None:
        """Prompts, queues and skills a (valid) flow names exist and are its tenant's."""
        mine = f"tenant {owner!r}" if owner else "no tenant (shared)"
        for kind, path, ref in flow.references():
            loc = (*at, *path)
            if kind == "prompt":
                self._prompt_ok(parsed, loc, ref, owner)
            elif kind == "queue":
                if self._ref(loc, "queue", ref, parsed.declared["queues"]):
                    q = parsed.queues.get(ref)
                    if q is not None and q.tenant != owner:
                        self.problems.add(
                            loc, f"queue {ref!r} belongs to tenant {q.tenant!r}, not {mine}"
                        )
            elif kind == "skill":
                self._ref(loc, "skill", ref, parsed.settings.skills)

    def _check_queues(self, parsed: _Parsed) -> None:
        skills = parsed.settings.skills
        queues = parsed.declared["queues"]
        tenants = parsed.declared["tenants"]
        for name, q in parsed.queues.items():
            at: tuple[str | int, ...] = ("queues", name)
            add = self.problems.add
            tenant_ok = self._ref((*at, "tenant"), "tenant", q.tenant, tenants)
            if self._ref((*at, "media"), "media", q.media, parsed.settings.media) and tenant_ok:
                t = parsed.tenants.get(q.tenant)
                if not self._intact("tenants", q.tenant, "media"):
                    t = None
                if t is not None and q.media not in (*t.media.inbound, *t.media.outbound):
                    add(
                        (*at, "media"),
                        f"tenant {q.tenant!r} may not use {q.media!r} (inbound: "
                        f"{', '.join(t.media.inbound) or 'none'}; outbound: "
                        f"{', '.join(t.media.outbound) or 'none'})",
                    )
            for skill in q.skills:
                self._ref((*at, "skills", skill), "skill", skill, skills)
            previous = 0.0
            for i, step in enumerate(q.steps):
                sat = (*at, "steps", i)
                if step.after <= previous:
                    add(
                        (*sat, "after"),
                        f"must be greater than the previous step ({_num(previous)})",
                    )
                previous = max(previous, step.after)
                for skill in step.skills or {}:
                    self._ref((*sat, "skills", skill), "skill", skill, skills)
                for j, other in enumerate(step.also_queues):
                    loc = (*sat, "also_queues", j)
                    if other == name:
                        add(loc, "must name another queue")
                    elif self._ref(loc, "queue", other, queues):
                        self._same_tenant(parsed, loc, q, other)
            if q.overflow is not None:
                loc = (*at, "overflow")
                if q.overflow == name:
                    add(loc, "must name another queue")
                elif self._ref(loc, "queue", q.overflow, queues):
                    self._same_tenant(parsed, loc, q, q.overflow)
                    target = parsed.queues.get(q.overflow)
                    if not self._intact("queues", q.overflow, "media"):
                        target = None
                    if target is not None and target.media != q.media:
                        add(loc, f"queue {q.overflow!r} takes {target.media!r}, not {q.media!r}")
                if q.max_wait is None and self._intact("queues", name, "max_wait"):
                    add(loc, "needs max_wait (when to overflow)")
            for i, other_tenant in enumerate(q.shared_with):
                loc = (*at, "shared_with", i)
                if other_tenant == q.tenant:
                    add(loc, f"must name another tenant than the owner {q.tenant!r}")
                else:
                    self._ref(loc, "tenant", other_tenant, tenants)
            if q.hours is not None:
                self._ref((*at, "hours"), "business hours", q.hours, self._hours(parsed))
            if q.announcements is not None:
                for key in ("welcome", "hold", "periodic", "closed"):
                    prompt = getattr(q.announcements, key)
                    if prompt is not None:
                        self._prompt_ok(parsed, (*at, "announcements", key), prompt, q.tenant)
        for cycle in _cycles(parsed.queues):
            route = " -> ".join([*cycle, cycle[0]])
            self.problems.add(
                ("queues", cycle[0]),
                f"overflow/also_queues form a cycle ({route}); each queue must be built "
                "before the queues that refer to it",
            )

    def _same_tenant(
        self, parsed: _Parsed, loc: tuple[str | int, ...], q: QueueConfig, other: str
    ) -> None:
        target = parsed.queues.get(other)
        if target is not None and target.tenant != q.tenant:
            self.problems.add(
                loc, f"queue {other!r} belongs to tenant {target.tenant!r}, not {q.tenant!r}"
            )

    def _check_agents(self, parsed: _Parsed) -> None:
        skills, media = parsed.settings.skills, parsed.settings.media
        for name, a in parsed.agents.items():
            at: tuple[str | int, ...] = ("agents", name)
            self._ref((*at, "tenant"), "tenant", a.tenant, parsed.declared["tenants"])
            for skill in a.skills:
                self._ref((*at, "skills", skill), "skill", skill, skills)
            t = parsed.tenants.get(a.tenant)
            if not self._intact("tenants", a.tenant, "media"):
                t = None
            allowed = (*t.media.inbound, *t.media.outbound) if t is not None else None
            for m in a.capacity or {}:
                known = self._ref((*at, "capacity", m), "media", m, media)
                if known and allowed is not None and m not in allowed:
                    self.problems.add(
                        (*at, "capacity", m), f"tenant {a.tenant!r} may not use {m!r}"
                    )
            for i, m in enumerate(a.exclusive or []):
                self._ref((*at, "exclusive", i), "media", m, media)

    def _check_operators(self, parsed: _Parsed) -> None:
        roles = sorted({*BUILTIN_ROLES, *parsed.declared["roles"]})
        for name, op in parsed.operators.items():
            at: tuple[str | int, ...] = ("operators", name)
            self._ref((*at, "tenant"), "tenant", op.tenant, parsed.declared["tenants"])
            for i, role in enumerate(op.roles):
                self._ref((*at, "roles", i), "role", role, roles)
        # One token, one principal: a token shared by two would make either act as the other.
        seen: dict[str, str] = {}
        holders: list[tuple[str, str, str | list[str] | None]] = [
            *(("agents", n, a.token_sha256) for n, a in parsed.agents.items()),
            *(("operators", n, o.token_sha256) for n, o in parsed.operators.items()),
        ]
        for section, name, value in holders:
            for digest in token_hashes(value):
                first = seen.setdefault(digest, f"{section}.{name}")
                if first != f"{section}.{name}":
                    self.problems.add(
                        (section, name, "token_sha256"),
                        f"the same token as {first} (every agent and operator needs its own)",
                    )

    # -- assembling --

    def _assemble(self, parsed: _Parsed) -> Center:
        s = parsed.settings
        role_table: dict[str, frozenset[Permission]] = dict(BUILTIN_ROLES)
        role_table.update({k: frozenset(v) for k, v in parsed.roles.items()})
        tenants: dict[str, Tenant] = {}
        for name, t in parsed.tenants.items():
            zone = t.timezone or s.timezone
            lease = None
            if t.lease is not None:
                lease = Lease(
                    _aware(t.lease.start, zone),
                    _aware(t.lease.end, zone),
                    self.hours_objects.get(t.lease.hours) if t.lease.hours else None,
                    t.lease.hours,
                )
            tenants[name] = Tenant(
                name=name,
                display_name=t.name or name,
                numbers=tuple(t.numbers),
                code=t.code,
                timezone=zone,
                lease=lease,
                inbound=frozenset(t.media.inbound),
                outbound=frozenset(t.media.outbound),
                hours=t.hours,
                flow=t.flow,
                queues=tuple(q for q, c in parsed.queues.items() if c.tenant == name),
                agents=tuple(a for a, c in parsed.agents.items() if c.tenant == name),
                flows=tuple(f for f, o in self.flow_owner.items() if o == name),
                prompts=tuple(p for p, c in parsed.prompts.items() if c.tenant == name),
                record=t.record,
                crm_webhook=t.crm_webhook,
            )
        numbers = {
            dnis: AccessNumber(dnis, (), dict(n.choices), n.prompt, n.code_prompt)
            for dnis, n in parsed.numbers.items()
        }
        engine = Engine(seed=s.engine.seed, interval=s.engine.interval)
        for name in _build_order(parsed.queues):
            self._engine_call(
                ("queues", name), engine.add_queue, name, queue_spec(parsed.queues[name])
            )
        for name, a in parsed.agents.items():
            kwargs: dict[str, Any] = {
                "tenant": a.tenant,
                "skills": a.skills,
                "weight": a.weight,
                "auto_answer": a.auto_answer,
            }
            if a.capacity is not None:
                kwargs["capacity"] = a.capacity
            if a.exclusive is not None:
                kwargs["exclusive"] = a.exclusive
            self._engine_call(("agents", name), engine.add_agent, name, kwargs)
        if self.problems:
            raise ConfigError(problems=self.problems.texts(), source=self.source)
        operators = {
            name: Operator(
                name,
                op.tenant,
                tuple(op.roles),
                frozenset(p for r in op.roles for p in role_table.get(r, frozenset())),
                scope=op.scope,
                token_sha256=token_hashes(op.token_sha256),
            )
            for name, op in parsed.operators.items()
        }
        ownership = Ownership(
            queues={q: c.tenant for q, c in parsed.queues.items()},
            agents={a: c.tenant for a, c in parsed.agents.items()},
            shared_with={q: tuple(c.shared_with) for q, c in parsed.queues.items()},
        )
        return Center(
            source=self.source,
            name=s.name,
            timezone=s.timezone,
            engine=engine,
            tenants=tenants,
            skills=tuple(s.skills),
            media=tuple(s.media),
            queues=dict(parsed.queues),
            agents=dict(parsed.agents),
            hours=dict(self.hours_objects),
            prompts=dict(parsed.prompts),
            flows=dict(self.flow_objects),
            numbers=dict(parsed.numbers),
            operators=operators,
            roles=role_table,
            directory=Directory(tenants, numbers),
            ownership=ownership,
        )

    def _engine_call(
        self,
        loc: tuple[str, str],
        method: Callable[..., None],
        name: str,
        kwargs: Mapping[str, Any],
    ) -> None:
        # The checks above cover what the engine checks; this keeps any gap a typed error.
        try:
            method(name, **kwargs)
        except (CallrouteError, ValueError, TypeError, OverflowError) as exc:
            self.problems.add(loc, str(exc))


def _depends(q: QueueSettings) -> list[str]:
    out = [o for s in q.steps for o in s.also_queues]
    if q.overflow is not None:
        out.append(q.overflow)
    return out


def _build_order(queues: Mapping[str, QueueSettings]) -> list[str]:
    """Queues in file order, each after the queues it refers to (its overflow, its steps'
    also_queues: the engine needs that); of a center file, or of a simulation model."""
    done: set[str] = set()
    order: list[str] = []

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in done or name in stack or name not in queues:
            return
        for dep in _depends(queues[name]):
            visit(dep, (*stack, name))
        done.add(name)
        order.append(name)

    for name in queues:
        visit(name, ())
    return order


def _cycles(queues: Mapping[str, QueueConfig]) -> list[list[str]]:
    """Each reference cycle once, starting from its first queue in file order."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    rank = {n: i for i, n in enumerate(queues)}

    def walk(name: str, path: list[str]) -> None:
        for dep in _depends(queues[name]):
            if dep not in queues or dep == name:
                continue
            if dep in path:
                cycle = path[path.index(dep) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    start = min(range(len(cycle)), key=lambda i: rank[cycle[i]])
                    found.append(cycle[start:] + cycle[:start])
            elif len(path) < len(queues):
                walk(dep, [*path, dep])

    for name in queues:
        walk(name, [name])
    return found


def _number_owners(tenants: Mapping[str, TenantConfig]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for name, t in tenants.items():
        for dnis in dict.fromkeys(t.numbers):
            owners.setdefault(dnis, []).append(name)
    return owners


def _zone_ok(name: str) -> bool:
    return find_zone(name) is not None


def _when(value: datetime) -> str:
    return value.date().isoformat() if value.time() == time() else value.isoformat()


def _aware(value: datetime | None, zone: str) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))
