"""The shapes of a center file and their JSON Schema.

Pydantic models (typed, every error at once with its location); :func:`schema` (``callroute
schema``) gives the JSON Schema for editors.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ..engine import Strategy
from ..hours import DayName
from ..types import QueueSpec

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


def _check_token_hash(value: str) -> str:
    # A hash, never the token itself: the file may be read by more people than the tokens'
    # owners, and a leaked SHA-256 of a random token does not give the token away.
    lowered = value.lower()
    if len(lowered) != 64 or any(c not in "0123456789abcdef" for c in lowered):
        raise PydanticCustomError(
            "token_sha256",
            "must be the SHA-256 of the token as 64 hex digits "
            '(printf %s "$TOKEN" | sha256sum), never the token itself',
        )
    return lowered


def _check_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not sep or not host or any(c.isspace() for c in value):
        raise PydanticCustomError("url", "must be an http:// or https:// URL with a host")
    return value


def _check_token_hashes(value: str | list[str] | None) -> str | list[str] | None:
    # A list holds the hashes of tokens valid at once: a new one beside the old while a
    # desktop is switched over (rotation), then the old one removed.
    if value is None or isinstance(value, str):
        return None if value is None else _check_token_hash(value)
    if not 1 <= len(value) <= 4:
        raise PydanticCustomError("token_sha256", "a list of 1 to 4 token hashes")
    hashes = [_check_token_hash(v) for v in value]
    if len(set(hashes)) != len(hashes):
        raise PydanticCustomError("token_sha256", "lists the same hash twice")
    return hashes


def token_hashes(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The token hashes of a ``token_sha256`` value (none, one, or a list while rotating)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


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
TokenHash = Annotated[
    str,
    Field(
        description="SHA-256 (hex) of the bearer token for the HTTP API (a list of up to 4 "
        "while rotating); the token is never written in the file"
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    record: bool = Field(default=False, description="record every answered call of the tenant")
    crm_webhook: str | None = Field(
        default=None,
        description="http(s) URL that receives a POST of each offer's screen-pop (JSON)",
    )

    @field_validator("crm_webhook")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

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


class QueueSettings(_Model):
    """The settings of :meth:`callroute.Engine.add_queue` (a
    :class:`~callroute.types.QueueSpec`, validated, with its defaults): shared by the center
    file's queues and the simulation model's."""

    tenant: Name = "default"
    media: Name = "voice"
    skills: dict[Name, Level] = Field(default_factory=dict)
    strategy: Strategy = "longest_idle"
    sl_threshold: Seconds = Field(default=20.0, description="service-level threshold, seconds")
    short_abandon: Seconds = 5.0
    wrapup: Seconds = Field(default=0.0, description="fixed after-call work, seconds")
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


class QueueConfig(QueueSettings):
    """A queue of the center file: its :class:`QueueSettings` (the tenant named, no default)
    plus the file's extras (``hours``, ``announcements``, ``description``);
    :func:`queue_spec` gives the spec ``Engine.add_queue`` takes."""

    tenant: Name
    hours: Name | None = Field(default=None, description="open only within these business hours")
    announcements: QueueAnnouncements | None = None
    record: bool = Field(
        default=False, description="record answered calls (callroute serve: bridge recording)"
    )
    description: str = ""


_QUEUE_SPEC_KEYS = QueueSpec.__required_keys__ | QueueSpec.__optional_keys__


def queue_spec(q: QueueConfig) -> QueueSpec:
    """The queue's :class:`~callroute.types.QueueSpec`: ``Engine.add_queue(name, **spec)``."""
    return cast(QueueSpec, q.model_dump(include=set(_QUEUE_SPEC_KEYS)))


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
    endpoint: Name | None = Field(
        default=None,
        description="PBX endpoint rung for voice offers (e.g. PJSIP/1001); none: not by voice",
    )
    token_sha256: TokenHash | list[TokenHash] | None = None

    @field_validator("token_sha256")
    @classmethod
    def _token(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _check_token_hashes(value)


class OperatorConfig(_Model):
    """Someone who runs part of the center, for one tenant (``scope: center``: for all)."""

    tenant: Name
    roles: list[Name] = Field(min_length=1)
    scope: Literal["tenant", "center"] = Field(
        default="tenant",
        description="tenant: only its own tenant; center: every tenant (the center's own staff)",
    )
    token_sha256: TokenHash | list[TokenHash] | None = None

    @field_validator("token_sha256")
    @classmethod
    def _token(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _check_token_hashes(value)


class HoursConfig(_Model):
    """Business hours (schema only: :meth:`callroute.hours.BusinessHours.from_spec` reads them)."""

    timezone: Name | None = Field(default=None, description="IANA zone; default: the center's")
    weekly: dict[DayName, list[str] | str] = Field(
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
