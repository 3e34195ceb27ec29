"""A campaign file: :func:`load_campaign` reads and validates one outbound campaign.

One YAML, JSON or TOML document describes one campaign::

    id: renewals
    tenant: acme
    queue: renewals              # the center queue answered calls enter (optional)
    mode: predictive             # preview | progressive | predictive
    caller_id: "+18005550100"
    skills: {renewals: 1}
    windows: {start: "08:00", end: "21:00"}    # in each contact's local time
    retry:
      no_answer: {delay: 3600, max_attempts: 3}
      machine: {delay: 14400, max_attempts: 2}
    abandon_cap: 0.03
    abandon_risk: 0.05           # largest allowed P(a window's rate ends above the cap)
    cap_window: us               # us (30 days) | uk (24 h) | seconds
    connect_within: 2
    amd_false_positive: 0.02
    threshold: 1                 # idle agents kept for inbound, or "auto"
    message: sound:callroute-sorry

Every problem is reported at once with the file and its key (``renewals.yaml:
retry.busy.delay: must be >= 0, got -5``) as a :class:`~callroute.errors.ConfigError`.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from .._internal.files import read_document
from ..center.problems import _kind, _message, format_path
from ..errors import ConfigError, Problem

__all__ = [
    "CAP_WINDOWS",
    "OUTCOMES",
    "CampaignConfig",
    "RetryRule",
    "Windows",
    "campaign_from_mapping",
    "load_campaign",
]

#: the rolling windows of the abandonment cap by rule name (seconds)
CAP_WINDOWS = {"us": 30 * 86400.0, "uk": 86400.0}
RetryOutcome = Literal["no_answer", "busy", "machine", "failed", "callback_requested"]
#: the outcomes a retry rule can name
OUTCOMES: tuple[str, ...] = get_args(RetryOutcome)

Name = Annotated[str, Field(min_length=1, max_length=200)]
Level = Annotated[int, Field(ge=0, le=255)]


def _phone(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


def _check_phone(value: str) -> str:
    digits = value[1:] if value.startswith("+") else value
    if not (digits.isascii() and digits.isdigit() and 2 <= len(digits) <= 20):
        raise PydanticCustomError(
            "phone", "must be a phone number: 2 to 20 digits with an optional leading +"
        )
    return value


def _clock_time(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads 08:00 unquoted as the sexagesimal 480 (minutes)
        return time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "clock_time", "must be a time of day HH:MM, got {given}", {"given": repr(value)}
            ) from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryRule(_Model):
    """When to call a contact again after an outcome: ``delay`` seconds later, at most
    ``max_attempts`` attempts in all."""

    delay: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)] = 3600.0
    max_attempts: Annotated[int, Field(ge=1, le=1000)] = 3


def _default_retry() -> dict[RetryOutcome, RetryRule]:
    return {
        "no_answer": RetryRule(delay=3600.0, max_attempts=3),
        "busy": RetryRule(delay=900.0, max_attempts=3),
        "machine": RetryRule(delay=4 * 3600.0, max_attempts=2),
        "failed": RetryRule(delay=1800.0, max_attempts=2),
        "callback_requested": RetryRule(delay=0.0, max_attempts=5),
    }


ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class Windows(_Model):
    """The daily calling window in the contact's local time: ``[start, end)``."""

    start: ClockTime = time(8, 0)
    end: ClockTime = time(21, 0)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: time, info: Any) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise PydanticCustomError(
                "window", "must be after start ({start})", {"start": start.strftime("%H:%M")}
            )
        return end


class DialingKeys(_Model):
    """The dialing keys a campaign file and a blended day's campaign share: one definition,
    with the core's bounds (a value the dialer would refuse is refused here, at its key)."""

    tenant: Name = "default"
    mode: Literal["preview", "progressive", "predictive"] = "progressive"
    skills: dict[Name, Level] = Field(default_factory=dict)
    retry: dict[RetryOutcome, RetryRule] = Field(default_factory=_default_retry)
    abandon_cap: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.03
    abandon_risk: Annotated[float, Field(gt=0, le=0.5, allow_inf_nan=False)] = Field(
        default=0.05,
        description="the largest allowed probability that the window's abandonment rate "
        "ends above abandon_cap (the predictive pacer's confidence margin)",
    )
    cap_window: Literal["us", "uk"] | Annotated[float, Field(gt=0, le=1e9)] = "us"
    connect_within: Annotated[float, Field(gt=0, le=60, allow_inf_nan=False)] = 2.0
    amd_false_positive: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        default=0.0, description="the false-positive rate the dialer assumes"
    )
    max_lines_per_agent: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 3.0
    answer_prior: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.3
    threshold: Literal["auto"] | Annotated[int, Field(ge=0, le=100_000)] = 0
    inbound_target: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.8
    inbound_answer_within: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = 20.0

    @field_validator("retry")
    @classmethod
    def _retry(cls, value: dict[RetryOutcome, RetryRule]) -> dict[RetryOutcome, RetryRule]:
        # outcomes the file does not name keep their default rule
        return {**_default_retry(), **value}


class CampaignConfig(DialingKeys):
    """One outbound campaign as a campaign file states it (see the module doc)."""

    id: Name
    queue: Name | None = Field(
        default=None, description="the center queue answered calls enter (default: the id)"
    )
    caller_id: Annotated[str, BeforeValidator(_phone)]
    windows: Windows = Field(default_factory=Windows)
    ring_time: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = Field(
        default=15.0, description="mean seconds from dial to answer (predictive pacing)"
    )
    message: Name = "sound:callroute-sorry"

    @field_validator("caller_id")
    @classmethod
    def _caller_id(cls, value: str) -> str:
        return _check_phone(value)

    @property
    def queue_name(self) -> str:
        """The center queue answered calls enter (``queue``, else the campaign id)."""
        return self.queue or self.id

    @property
    def cap_window_seconds(self) -> float:
        """The rolling window of the abandonment cap in seconds."""
        if isinstance(self.cap_window, str):
            return CAP_WINDOWS[self.cap_window]
        return float(self.cap_window)

    def retry_rule(self, outcome: str) -> RetryRule:
        """The retry rule of ``outcome`` (one of :data:`OUTCOMES`); a rule not given: no
        retry (one attempt)."""
        rule = self.retry.get(outcome)  # type: ignore[call-overload]
        return rule if isinstance(rule, RetryRule) else RetryRule(delay=0.0, max_attempts=1)


def load_campaign(path: str | os.PathLike[str]) -> CampaignConfig:
    """Read and validate a campaign file (YAML, JSON or TOML).

    :raises ~callroute.errors.ConfigError: every problem, each ``key: what is expected``,
        with ``source`` the file (also when it cannot be read).
    """
    return campaign_from_mapping(read_document(path), source=str(Path(path)))


def campaign_from_mapping(data: Any, source: str = "<mapping>") -> CampaignConfig:
    """Validate an already parsed campaign mapping (``source`` names it in problems)."""
    if not isinstance(data, dict):
        raise ConfigError(
            problems=[Problem("(top level)", f"must be a mapping, got {_kind(data)}")],
            source=source,
        )
    try:
        return CampaignConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(format_path(tuple(e["loc"])), _message(e, CampaignConfig))
            for e in exc.errors(include_url=False)
        ]
        raise ConfigError(problems=problems, source=source) from None
