"""A whole center in one file: tenants, skills, queues, agents, hours, prompts, IVR flows.

:func:`load` reads YAML, JSON or TOML (Python 3.11+), validates everything and returns a
:class:`Center` holding a configured :class:`~callroute.Engine`. Every problem is reported at
once, each with its path in the file and what is expected::

    center.yaml: queues.billing.steps[1].after: must be greater than the previous step (30)
    center.yaml: agents.bob.skills.biling: unknown skill 'biling' (did you mean 'billing'?)

as one :class:`~callroute.errors.ConfigError` (a ``ValueError``) whose ``problems`` lists
them. :meth:`Center.lint` (``callroute check``) also finds what validates but cannot work: a
queue no agent can serve, a relaxation step that changes nothing, a skill nobody has, an IVR
node that cannot be reached or never ends, a shared number with no way to tell tenants apart.

The shapes are pydantic models (typed, all errors at once with locations, JSON Schema for
editors: :func:`schema`, ``callroute schema``); references between sections are checked here.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ._core import Engine
from ._internal.files import read_document
from .engine import DataValue, Decision, Strategy
from .errors import CallrouteError, ConfigError, ParameterError, PermissionDenied
from .ivr import BusinessHours, Flow, parse_flow
from .ivr.hours import _DayName, _find_zone
from .tenancy import (
    BUILTIN_ROLES,
    AccessNumber,
    Directory,
    Lease,
    Operator,
    OperatorView,
    Ownership,
    Permission,
    Refusal,
    Tenant,
)

__all__ = [
    "AgentConfig",
    "Center",
    "CenterConfig",
    "EngineSettings",
    "LeaseConfig",
    "MediaConfig",
    "NumberConfig",
    "OperatorConfig",
    "PromptConfig",
    "QueueAnnouncements",
    "QueueConfig",
    "StepConfig",
    "TenantConfig",
    "example_config_path",
    "load",
    "load_mapping",
    "schema",
]

DEFAULT_MEDIA = ("voice", "chat", "email", "sms", "video", "social")
MAX_SECONDS = 1e12

# ------------------------------------------------------------------------ field types


def _name_or_number(value: Any) -> Any:
    # YAML reads 18005550100 and 1 as integers; a phone number or a menu digit is a string.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


def _check_dnis(value: str) -> str:
    digits = value[1:] if value.startswith("+") else value
    if not (digits.isascii() and digits.isdigit() and 2 <= len(digits) <= 20):
        raise PydanticCustomError(
            "dnis", "must be a phone number: 2 to 20 digits with an optional leading +"
        )
    return value


def _check_code(value: str) -> str:
    if not (value.isascii() and value.isdigit() and 1 <= len(value) <= 12):
        raise PydanticCustomError("code", "must be 1 to 12 digits, quoted (e.g. '0042')")
    return value


def _to_datetime(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value


def _prompt_shorthand(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
Level = Annotated[int, Field(ge=0, le=255)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Dnis = Annotated[str, BeforeValidator(_name_or_number), Field(min_length=1)]
Code = Annotated[str, Field(min_length=1)]
Choice = Annotated[str, BeforeValidator(_name_or_number)]
When = Annotated[datetime, BeforeValidator(_to_datetime)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------ the shapes


class EngineSettings(_Model):
    """Settings of the engine itself."""

    seed: Annotated[int, Field(ge=0, le=2**64 - 1)] = 0
    interval: PositiveSeconds = Field(default=1800.0, description="statistics interval, seconds")


class LeaseConfig(_Model):
    """When the center hosts the tenant; calls outside are refused with the reason."""

    start: When | None = Field(default=None, description="first moment (date or datetime)")
    end: When | None = Field(
        default=None, description="end, exclusive (date: the start of that day)"
    )
    hours: Name | None = Field(default=None, description="weekly hours (a name under `hours`)")


class MediaConfig(_Model):
    """Media the tenant may use, inbound and outbound."""

    inbound: list[Name] = Field(default_factory=lambda: ["voice"])
    outbound: list[Name] = Field(default_factory=list)


class TenantConfig(_Model):
    """A hosted tenant (for an in-house center, just one)."""

    name: str = Field(default="", description="display name")
    numbers: list[Annotated[Dnis, Field()]] = Field(
        default_factory=list, description="access numbers (DNIS)"
    )
    code: Code | None = Field(default=None, description="tenant code entered on a shared number")
    timezone: Name | None = Field(default=None, description="IANA zone; default: the center's")
    lease: LeaseConfig | None = None
    media: MediaConfig = Field(default_factory=MediaConfig)
    hours: Name | None = Field(default=None, description="business hours (a name under `hours`)")
    flow: Name | None = Field(default=None, description="IVR flow that answers its calls")

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return [_check_dnis(v) for v in value]

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else _check_code(value)


class NumberConfig(_Model):
    """How callers on a shared access number pick their tenant."""

    choices: dict[Choice, Name] = Field(
        default_factory=dict, description="IVR choice (digits) -> tenant"
    )
    prompt: Name | None = Field(default=None, description="announcement offering the choice")
    code_prompt: Name | None = Field(
        default=None, description="announcement asking for a tenant code"
    )


class PromptConfig(_Model):
    """An announcement: text (for TTS or the script) and/or a recorded file."""

    tenant: Name | None = Field(default=None, description="owner; none: usable by every tenant")
    text: str = ""
    file: str | None = None
    language: str | None = None


PromptEntry = Annotated[PromptConfig, BeforeValidator(_prompt_shorthand)]


class StepConfig(_Model):
    """A relaxation step: applies after `after` seconds in the queue, inherits the previous."""

    after: PositiveSeconds
    skills: dict[Name, Level] | None = Field(default=None, description="replaces the requirements")
    also_queues: list[Name] = Field(default_factory=list)
    priority: Int32 = Field(default=0, description="priority boost")


class QueueAnnouncements(_Model):
    """What callers hear while they wait."""

    welcome: Name | None = None
    hold: Name | None = Field(default=None, description="music or message on hold")
    periodic: Name | None = None
    every: PositiveSeconds = Field(
        default=60.0, description="seconds between periodic announcements"
    )
    position: bool = Field(default=False, description="announce the position in queue")
    closed: Name | None = Field(default=None, description="played when the queue is closed")


class QueueConfig(_Model):
    """A queue exactly as :meth:`Engine.add_queue` takes it, plus its tenant's extras."""

    tenant: Name
    media: Name = "voice"
    skills: dict[Name, Level] = Field(default_factory=dict)
    strategy: Strategy = "longest_idle"
    sl_threshold: Seconds = 20.0
    short_abandon: Seconds = 5.0
    wrapup: Seconds = 0.0
    offer_timeout: PositiveSeconds = 15.0
    retry: Seconds = 5.0
    max_wait: PositiveSeconds | None = None
    overflow: Name | None = None
    steps: list[StepConfig] = Field(default_factory=list)
    weight: Int32 = 0
    aging: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.0
    max_no_answer: Annotated[int, Field(ge=0, le=2**32 - 1)] = 3
    join_empty: bool = True
    leave_when_empty: bool = False
    shared_with: list[Name] = Field(default_factory=list)
    expected_aht: PositiveSeconds = 180.0
    hours: Name | None = Field(default=None, description="open only within these business hours")
    announcements: QueueAnnouncements | None = None
    description: str = ""


class AgentConfig(_Model):
    """An agent exactly as :meth:`Engine.add_agent` takes it."""

    tenant: Name
    skills: dict[Name, Level] = Field(default_factory=dict)
    capacity: dict[Name, Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        None, description="simultaneous tasks per media (default: one voice call)"
    )
    exclusive: list[Name] | None = Field(
        default=None, description="media that take the agent whole"
    )
    weight: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] = 1.0
    auto_answer: bool = Field(
        default=False, description="the phone answers by itself: offers connect at once"
    )
    full_name: str = ""


class OperatorConfig(_Model):
    """Someone who runs part of the center, for one tenant."""

    tenant: Name
    roles: list[Name] = Field(min_length=1)


class HoursConfig(_Model):
    """Business hours (schema only: :meth:`callroute.ivr.BusinessHours.from_spec` reads them)."""

    timezone: Name | None = Field(default=None, description="IANA zone; default: the center's")
    weekly: dict[_DayName, list[str] | str] = Field(
        default_factory=dict, description='open ranges per day, "HH:MM-HH:MM"; absent: closed'
    )
    holidays: list[date] = Field(default_factory=list, description="closed all day")


class FlowNodeConfig(BaseModel):
    """An IVR node (schema only: :func:`callroute.ivr.parse_flow` reads it)."""

    model_config = ConfigDict(extra="allow")

    type: Literal[
        "play",
        "menu",
        "collect",
        "authenticate",
        "branch",
        "hours",
        "set",
        "lookup",
        "queue",
        "callback",
        "voicemail",
        "transfer",
        "hangup",
    ]


class FlowConfig(_Model):
    """An IVR flow (schema only: :func:`callroute.ivr.parse_flow` reads it)."""

    tenant: Name | None = Field(default=None, description="owner; none: a shared flow")
    start: Name
    nodes: dict[Name, FlowNodeConfig]
    step_limit: Annotated[int, Field(ge=1)] = 1000


class _Settings(_Model):
    """The top-level settings of a center file (the sections follow in CenterConfig)."""

    version: Literal[1] = 1
    name: str = ""
    timezone: Name = Field(
        default="UTC", description="IANA time zone, default for tenants and hours"
    )
    engine: EngineSettings = EngineSettings()
    media: list[Name] = Field(default_factory=lambda: list(DEFAULT_MEDIA))
    skills: list[Name] = Field(default_factory=list)


class CenterConfig(_Settings):
    """A contact center: the whole configuration file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="callroute center",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    tenants: dict[Name, TenantConfig] = Field(min_length=1)
    numbers: dict[Dnis, NumberConfig] = Field(default_factory=dict)
    hours: dict[Name, HoursConfig] = Field(
        default_factory=dict, description="business hours and holidays (see callroute.ivr)"
    )
    prompts: dict[Name, PromptConfig | str] = Field(
        default_factory=dict, description="announcements; a string is the text"
    )
    flows: dict[Name, FlowConfig] = Field(
        default_factory=dict, description="IVR flows (see callroute.ivr)"
    )
    queues: dict[Name, QueueConfig] = Field(default_factory=dict)
    agents: dict[Name, AgentConfig] = Field(default_factory=dict)
    roles: dict[Name, list[Literal["login_agents", "change_queues", "view_stats"]]] = Field(
        default_factory=dict, description="extra operator roles -> permissions"
    )
    operators: dict[Name, OperatorConfig] = Field(default_factory=dict)


_SETTINGS = tuple(_Settings.model_fields)
_SECTIONS: dict[str, Any] = {
    "tenants": TenantConfig,
    "numbers": NumberConfig,
    "hours": dict[str, Any],
    "prompts": PromptEntry,
    "flows": dict[str, Any],
    "queues": QueueConfig,
    "agents": AgentConfig,
    "roles": list[Literal["login_agents", "change_queues", "view_stats"]],
    "operators": OperatorConfig,
}
_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "tenants": TenantConfig,
    "numbers": NumberConfig,
    "prompts": PromptConfig,
    "queues": QueueConfig,
    "agents": AgentConfig,
    "operators": OperatorConfig,
}
_KEY_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "numbers": TypeAdapter(Dnis),
}


def schema() -> dict[str, Any]:
    """The JSON Schema of a center file (for editor completion and validation)."""
    out = CenterConfig.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}


def example_config_path() -> Path:
    """The bundled example: an outsourcer hosting a bank and a mobile operator."""
    return Path(__file__).with_name("data") / "example_outsourcer.yaml"


# ------------------------------------------------------------------------ problems


def format_path(loc: Iterable[str | int]) -> str:
    """``("queues", "billing", "steps", 1, "after")`` -> ``queues.billing.steps[1].after``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {_show(value)}"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _one_of(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return "none declared"
    if len(listed) > 12:
        return "one of: " + ", ".join(listed[:12]) + ", ..."
    return "one of: " + ", ".join(listed)


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown {kind} {name!r} (did you mean {close[0]!r}?)"
    return f"unknown {kind} {name!r} (expected {_one_of(known)})"


def _fields_at(model: Any, loc: Sequence[str | int]) -> list[str] | None:
    """The field names allowed at ``loc`` under ``model`` (for "unknown field" messages)."""
    from typing import get_args, get_origin

    current: Any = model
    parts = list(loc)
    while True:
        while get_origin(current) is Annotated:
            current = get_args(current)[0]
        origin = get_origin(current)
        if origin is not None and type(None) in get_args(current):
            current = next(a for a in get_args(current) if a is not type(None))
            continue
        if not parts:
            break
        part = parts.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return None
            current = info.annotation
        elif origin is dict:
            current = get_args(current)[1]
        elif origin is list:
            current = get_args(current)[0]
        else:
            return None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _message(error: Mapping[str, Any], model: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        loc = error["loc"]
        allowed = _fields_at(model, loc[:-1]) or []
        name = str(loc[-1])
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown field (did you mean {close[0]!r}?)"
        return f"unknown field (expected {_one_of(allowed)})" if allowed else "unknown field"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        limit = next(iter(ctx.values()))
        return f"must be {op} {_num(limit)}, got {_show(given)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be an integer, got {_kind(given)}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {_kind(given)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(given)}"
    if kind in ("string_type",):
        if error["loc"] and error["loc"][-1] == "[key]":
            return f"name must be a string, got {_kind(given)}"
        return f"must be a string, got {_kind(given)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {_kind(given)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {_kind(given)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {_kind(given)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of: {expected}; got {_show(given)}"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind in ("string_too_long",):
        return f"must be at most {ctx.get('max_length')} characters"
    if kind in ("too_short",):
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind.startswith(("datetime", "date")):
        return (
            f"must be a date (2025-12-25) or a date and time (2025-12-25T08:00), got {_show(given)}"
        )
    msg = str(error.get("msg", kind))
    return msg.removeprefix("Value error, ")


class _Problems:
    """Problems in file order (section, item), each ``path: what is expected``."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._order = {k: i for i, k in enumerate(data)}
        self._items: dict[str, dict[Any, int]] = {}
        for key, value in data.items():
            if isinstance(value, Mapping):
                self._items[key] = {k: i for i, k in enumerate(value)}
        self._found: list[tuple[int, int, int, str]] = []

    def add(self, loc: Sequence[str | int], message: str) -> None:
        section = str(loc[0]) if loc else ""
        first = self._order.get(section, -1)
        second = self._items.get(section, {}).get(loc[1], -1) if len(loc) > 1 else -1
        self._found.append((first, second, len(self._found), f"{format_path(loc)}: {message}"))

    def extend(self, prefix: Sequence[str | int], error: ValidationError, model: Any) -> None:
        for e in error.errors(include_url=False):
            loc = tuple(e["loc"])
            self.add((*prefix, *loc), _message(e, model))

    def texts(self) -> list[str]:
        return [text for *_, text in sorted(self._found)]

    def __bool__(self) -> bool:
        return bool(self._found)


# ------------------------------------------------------------------------ loading


def load(path: str | os.PathLike[str]) -> Center:
    """Read, validate and build a center from a YAML, JSON or TOML file.

    The file is read with limits (size, and in YAML aliases and the size as expanded: see
    :mod:`callroute._internal.files`), so a hostile file fails fast with a ``ConfigError``.
    """
    return load_mapping(read_document(path), source=str(Path(path)))


def load_mapping(data: Any, source: str = "<mapping>") -> Center:
    """Validate and build a center from an already parsed mapping."""
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

    def _raw_entry(self, anchor: tuple[str | int, ...], text: str) -> tuple[int, int, int, str]:
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
            )
        numbers = {
            dnis: AccessNumber(dnis, (), dict(n.choices), n.prompt, n.code_prompt)
            for dnis, n in parsed.numbers.items()
        }
        engine = Engine(seed=s.engine.seed, interval=s.engine.interval)
        for name in _build_order(parsed.queues):
            self._engine_call(
                ("queues", name), engine.add_queue, name, _queue_kwargs(parsed.queues[name])
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


def _queue_kwargs(q: QueueConfig) -> dict[str, Any]:
    return {
        "tenant": q.tenant,
        "media": q.media,
        "skills": q.skills,
        "strategy": q.strategy,
        "sl_threshold": q.sl_threshold,
        "short_abandon": q.short_abandon,
        "wrapup": q.wrapup,
        "offer_timeout": q.offer_timeout,
        "retry": q.retry,
        "max_wait": q.max_wait,
        "overflow": q.overflow,
        "steps": [
            {
                "after": s.after,
                "skills": s.skills,
                "also_queues": s.also_queues,
                "priority": s.priority,
            }
            for s in q.steps
        ],
        "weight": q.weight,
        "aging": q.aging,
        "max_no_answer": q.max_no_answer,
        "join_empty": q.join_empty,
        "leave_when_empty": q.leave_when_empty,
        "shared_with": q.shared_with,
        "expected_aht": q.expected_aht,
    }


def _depends(q: QueueConfig) -> list[str]:
    out = [o for s in q.steps for o in s.also_queues]
    if q.overflow is not None:
        out.append(q.overflow)
    return out


def _build_order(queues: Mapping[str, QueueConfig]) -> list[str]:
    """Queues in file order, each after the queues it refers to (the engine needs that)."""
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
    return _find_zone(name) is not None


def _when(value: datetime) -> str:
    return value.date().isoformat() if value.time() == time() else value.isoformat()


def _aware(value: datetime | None, zone: str) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))


# ------------------------------------------------------------------------ the center


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
            raise ParameterError(_unknown("operator", name, self.operators))
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

    def open_queues(self, now: datetime) -> dict[str, bool]:
        """Open or close each queue with ``hours`` for the moment ``now``; returns them."""
        changed: dict[str, bool] = {}
        for name, q in self.queues.items():
            if q.hours is not None:
                is_open = bool(self.hours[q.hours].is_open(now))
                self.engine.set_queue_open(name, is_open)
                changed[name] = is_open
        return changed

    def lint(self) -> list[str]:
        """What validates but cannot work, one ``path: finding`` per line (empty: clean)."""
        return _lint(self)


# ------------------------------------------------------------------------ lint


def _meets(skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    return all(skills.get(s, -1) >= level for s, level in required.items())


def _capacity(agent: AgentConfig, media: str) -> int:
    capacity = agent.capacity if agent.capacity is not None else {"voice": 1}
    return capacity.get(media, 0)


def _requirement_sets(
    center: Center, q: QueueConfig
) -> list[tuple[int | None, list[dict[str, int]]]]:
    """Per step (None = arrival), the requirement sets that make an agent eligible."""
    current = dict(q.skills)
    also: list[str] = []
    out: list[tuple[int | None, list[dict[str, int]]]] = [(None, [current])]
    for i, step in enumerate(q.steps):
        if step.skills is not None:
            current = dict(step.skills)
        for other in step.also_queues:
            if other not in also:
                also.append(other)
        sets = [current] + [dict(center.queues[o].skills) for o in also if o in center.queues]
        out.append((i, sets))
    return out


def _lint(center: Center) -> list[str]:
    findings: list[str] = []
    # queues no agent can ever serve; steps that change nothing
    serves: dict[str, set[str]] = {a: set() for a in center.agents}
    for name, q in center.queues.items():
        tenants = {q.tenant, *q.shared_with}
        pool = {
            a: c
            for a, c in center.agents.items()
            if c.tenant in tenants and _capacity(c, q.media) > 0
        }
        eligible_any = False
        for _, sets in _requirement_sets(center, q):
            for req in sets:
                for a, c in pool.items():
                    if _meets(c.skills, req):
                        eligible_any = True
                        serves[a].add(name)
        if not eligible_any:
            needs = "; ".join(
                " and ".join(f"{s} >= {lvl}" for s, lvl in req.items()) or "any skill"
                for _, sets in _requirement_sets(center, q)
                for req in sets[:1]
            )
            where = "tenant " + ", ".join(repr(t) for t in sorted(tenants))
            findings.append(
                f"queues.{name}: no agent can ever serve it (needs {needs}, "
                f"{q.media} capacity, {where})"
            )
        previous = dict(q.skills)
        seen_also: set[str] = set()
        for i, step in enumerate(q.steps):
            skills = dict(step.skills) if step.skills is not None else previous
            new_also = set(step.also_queues) - seen_also
            if skills == previous and not new_also and step.priority == 0:
                findings.append(
                    f"queues.{name}.steps[{i}]: changes nothing (same skills as before, "
                    "no new also_queues, no priority boost)"
                )
            previous = skills
            seen_also |= set(step.also_queues)
    # skills nobody has
    held = {s for a in center.agents.values() for s in a.skills}
    for i, skill in enumerate(center.skills):
        if skill not in held:
            findings.append(f"skills[{i}]: no agent has skill {skill!r}")
    # agents who can serve no queue of theirs
    if center.queues:
        for a, queues in serves.items():
            if not queues:
                findings.append(f"agents.{a}: eligible for no queue")
    # IVR flows
    for flow in center.flows.values():
        lint = getattr(flow, "lint", None)
        if lint is not None:
            findings.extend(str(x) for x in lint())
    # shared numbers with no way to tell tenants apart
    for dnis, number in center.directory.numbers.items():
        if not number.shared:
            continue
        by_choice = set(number.choices.values()) >= set(number.tenants)
        by_code = all(center.tenants[t].code for t in number.tenants)
        if not (by_choice or by_code):
            names = ", ".join(number.tenants)
            findings.append(
                f"numbers.{dnis}: shared by {names} with no way to tell them apart "
                "(give numbers.<dnis>.choices for each tenant, or a code to each tenant)"
            )
    return findings
