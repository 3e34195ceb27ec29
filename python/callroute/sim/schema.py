"""The shapes of a simulation model file (``kind: model``, ``version: 1``) and its JSON Schema.

A model file is name-keyed like a center file: ``queues``, ``groups`` and ``calls`` map
names to their settings. Pydantic checks the shapes (every problem at once, each with its
path); :mod:`callroute.sim.modelfile` checks the cross references, finds the lines and
turns a valid file into the list-shaped mapping :func:`callroute.simulate` runs.

Durations are written as a mapping, ``{exponential: {mean: 180}}`` (the form
:meth:`Distribution.to_json` gives), or as the same call as in Python, ``exponential(180)``
or ``gamma(mean=1, cv=0.2)``, a plain number of seconds (always that long) or ``never``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ..center.schema import Int32, Level, Name, QueueSettings, Seconds, _Model

__all__ = ["DURATIONS", "MODEL_VERSION", "ModelFile", "schema"]

MODEL_VERSION = 1
"""The version of the model format this release reads (``version: 1``)."""

MAX_DURATION = 1e9
MAX_TIME = 1e11

# ------------------------------------------------------------------------ numbers

Mean = Annotated[float, Field(gt=0, le=MAX_DURATION, allow_inf_nan=False)]
Cv = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Duration = Annotated[float, Field(ge=0, le=MAX_DURATION, allow_inf_nan=False)]
Time = Annotated[float, Field(ge=-MAX_TIME, le=MAX_TIME, allow_inf_nan=False)]
Span = Annotated[float, Field(gt=0, le=MAX_TIME, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Share = Annotated[float, Field(ge=0, le=MAX_TIME, allow_inf_nan=False)]
Factor = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]


# The base of every section: the center file's (unknown keys refused, values frozen).
_Spec = _Model


# ------------------------------------------------------------------------ durations


class ExponentialParams(_Spec):
    """Exponential durations with this mean (seconds)."""

    mean: Mean


class MeanCvParams(_Spec):
    """Durations with this mean (seconds) and coefficient of variation (sd / mean)."""

    mean: Mean
    cv: Cv


class GammaParams(_Spec):
    """Gamma durations: ``mean`` and ``cv``, or ``shape`` and ``rate`` (per second; a
    daily multiplier Gamma(a, a) has mean 1)."""

    mean: Mean | None = None
    cv: Cv | None = None
    shape: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None
    rate: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> GammaParams:
        mean_cv = self.mean is not None and self.cv is not None
        shape_rate = self.shape is not None and self.rate is not None
        given = sum(v is not None for v in (self.mean, self.cv, self.shape, self.rate))
        if given != 2 or not (mean_cv or shape_rate):
            raise PydanticCustomError("gamma", "give mean and cv, or shape and rate")
        return self

    def mean_cv(self) -> tuple[float, float]:
        """The mean (seconds) and coefficient of variation these parameters give."""
        if self.shape is not None and self.rate is not None:
            return self.shape / self.rate, 1.0 / math.sqrt(self.shape)
        assert self.mean is not None
        assert self.cv is not None
        return self.mean, self.cv


class DeterministicParams(_Spec):
    """Always this duration (seconds)."""

    value: Duration


class EmpiricalParams(_Spec):
    """Durations drawn uniformly from these observed values (seconds)."""

    values: list[Duration] = Field(min_length=1)


class ExponentialDist(_Spec):
    """``{exponential: {mean: s}}`` or ``exponential(s)``."""

    exponential: ExponentialParams


class LognormalDist(_Spec):
    """``{lognormal: {mean: s, cv: c}}`` or ``lognormal(s, c)``."""

    lognormal: MeanCvParams


class GammaDist(_Spec):
    """``{gamma: {mean: s, cv: c}}``, ``gamma(s, c)`` or ``gamma(shape=a, rate=b)``."""

    gamma: GammaParams


class DeterministicDist(_Spec):
    """``{deterministic: {value: s}}``, ``deterministic(s)`` or just ``s``."""

    deterministic: DeterministicParams


class EmpiricalDist(_Spec):
    """``{empirical: {values: [...]}}`` or ``empirical(s1, s2, ...)``."""

    empirical: EmpiricalParams


DURATIONS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
    "deterministic": ("value",),
    "empirical": ("values",),
}
"""Each distribution's name -> its parameters in the order ``name(a, b)`` gives them."""

_CALL = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.DOTALL)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise PydanticCustomError(
            "distribution", "{text} is not a number", {"text": repr(text.strip())}
        ) from None


def _unknown_distribution(name: str) -> None:
    close = difflib.get_close_matches(name, [*DURATIONS, "never"], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "expected " + ", ".join(DURATIONS)
    raise PydanticCustomError(
        "distribution", "unknown distribution {name} ({hint})", {"name": repr(name), "hint": hint}
    )


def _shorthand(value: Any) -> Any:
    """``exponential(180)`` / ``gamma(shape=2, rate=0.01)`` / ``12`` -> the mapping form."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if isinstance(key, str) and key not in DURATIONS:
            _unknown_distribution(key)
    if isinstance(value, (int, float)):
        return {"deterministic": {"value": value}}
    if not isinstance(value, str) or value.strip() == "never":
        return value.strip() if isinstance(value, str) else value
    match = _CALL.match(value)
    if match is not None and match.group(1) not in DURATIONS:
        _unknown_distribution(match.group(1))
    opened = re.match(r"^\s*([a-z_]+)\s*\(", value)
    if match is None and opened is not None and opened.group(1) in DURATIONS:
        raise PydanticCustomError(
            "distribution",
            "not a distribution: {value}: inside {brackets} a distribution with several "
            "arguments must be quoted ('lognormal(240, 1.1)'), or the commas split it",
            {"value": repr(value[:60]), "brackets": "[ ] or { }"},
        )
    if match is None:
        raise PydanticCustomError(
            "distribution",
            "not a distribution: {value} (expected never, a number of seconds, or "
            "exponential(mean), lognormal(mean, cv), gamma(mean, cv), "
            "gamma(shape=a, rate=b), deterministic(value), empirical(v1, v2, ...))",
            {"value": repr(value[:60])},
        )
    name, body = match.group(1), match.group(2)
    args = [a for a in (part.strip() for part in body.split(",")) if a]
    if name == "empirical":
        return {name: {"values": [_number(a) for a in args]}}
    params: dict[str, Any] = {}
    order = DURATIONS[name]
    keywords = False
    for i, arg in enumerate(args):
        key, eq, text = arg.partition("=")
        if eq:
            keywords = True
            params[key.strip()] = _number(text)
        elif i < len(order) and not keywords:
            params[order[i]] = _number(arg)
        else:
            raise PydanticCustomError(
                "distribution",
                "{name}(...): too many or misplaced arguments (expected {params})",
                {"name": name, "params": ", ".join(order)},
            )
    return {name: params}


def _dist_tag(value: Any) -> str | None:
    if value == "never":
        return "<never>"
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        return f"<{key}>" if key in DURATIONS else None
    return None


class _ShorthandSchema:
    """The JSON Schema of a distribution: the mapping forms pydantic writes, or a number,
    or the ``name(args)`` string."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        generated = handler(core)
        names = "|".join(DURATIONS)
        return {
            "anyOf": [
                generated,
                {"type": "number", "minimum": 0, "description": "always this many seconds"},
                {
                    "type": "string",
                    "pattern": rf"^\s*({names})\s*\(.*\)\s*$",
                    "description": "exponential(180), lognormal(177, 1.23), gamma(shape=2, "
                    "rate=0.01), deterministic(5), empirical(60, 90, 120)",
                },
            ],
        }


Dist = Annotated[
    Annotated[ExponentialDist, Tag("<exponential>")]
    | Annotated[LognormalDist, Tag("<lognormal>")]
    | Annotated[GammaDist, Tag("<gamma>")]
    | Annotated[DeterministicDist, Tag("<deterministic>")]
    | Annotated[EmpiricalDist, Tag("<empirical>")]
    | Annotated[Literal["never"], Tag("<never>")],
    Discriminator(
        _dist_tag,
        custom_error_type="distribution",
        custom_error_message="must be a distribution: never, a number of seconds, "
        "exponential(mean), lognormal(mean, cv), gamma(mean, cv), deterministic(value), "
        "empirical(v1, ...), or the same as a mapping ({exponential: {mean: 180}})",
    ),
    BeforeValidator(_shorthand),
    _ShorthandSchema,
    Field(
        description="a duration in seconds: never, a number, exponential(mean), "
        "lognormal(mean, cv), gamma(mean, cv), gamma(shape=a, rate=b), deterministic(value), "
        "empirical(v1, ...), or a mapping such as {exponential: {mean: 180}}"
    ),
]


def dist_json(dist: Any) -> Any:
    """The plain JSON form the core reads for a validated distribution."""
    if isinstance(dist, GammaDist):
        mean, cv = dist.gamma.mean_cv()
        return {"gamma": {"mean": mean, "cv": cv}}
    if isinstance(dist, BaseModel):
        return dist.model_dump()
    return dist


# ------------------------------------------------------------------------ arrivals


class PoissonParams(_Spec):
    """Poisson arrivals: ``rate`` calls per ``per`` seconds (default 1), or ``calls`` per
    ``per`` seconds."""

    rate: Rate | None = None
    calls: Rate | None = None
    per: Span = 1.0

    @model_validator(mode="after")
    def _one(self) -> PoissonParams:
        if (self.rate is None) == (self.calls is None):
            raise PydanticCustomError("arrivals", "give rate or calls (per `per` seconds)")
        return self


class PiecewiseParams(_Spec):
    """Poisson arrivals by interval from ``start``: ``calls`` expected in each interval, or
    ``rates`` (calls per ``per`` seconds). ``start`` and ``interval`` default to the model's
    ``periods`` (``start``: else the model's ``start``; none after the last interval)."""

    start: Time | None = None
    interval: Span | None = None
    calls: list[Rate] | None = None
    rates: list[Rate] | None = None
    per: Span = 1.0

    @model_validator(mode="after")
    def _one(self) -> PiecewiseParams:
        if (self.calls is None) == (self.rates is None):
            raise PydanticCustomError(
                "arrivals", "give calls (per interval) or rates (per `per` seconds)"
            )
        return self


class TraceParams(_Spec):
    """Replayed arrival times (seconds, sorted), with the call type (its name) of each."""

    times: list[Time]
    types: list[Name] | None = Field(
        default=None, description="the call type of each arrival (names); default: by share"
    )


class PoissonArrivals(_Spec):
    """``{poisson: {rate: r, per: s}}``."""

    poisson: PoissonParams


class PiecewiseArrivals(_Spec):
    """``{piecewise: {start: s, interval: s, calls: [...]}}`` (or ``rates`` and ``per``)."""

    piecewise: PiecewiseParams


class TraceArrivals(_Spec):
    """``{trace: {times: [...], types: [...]}}``."""

    trace: TraceParams


_ARRIVALS = ("poisson", "piecewise", "trace")


def _arrivals_tag(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        return f"<{key}>" if key in _ARRIVALS else None
    return None


Arrivals = Annotated[
    Annotated[PoissonArrivals, Tag("<poisson>")]
    | Annotated[PiecewiseArrivals, Tag("<piecewise>")]
    | Annotated[TraceArrivals, Tag("<trace>")],
    Discriminator(
        _arrivals_tag,
        custom_error_type="arrivals",
        custom_error_message="must be one of {poisson: {...}}, {piecewise: {...}}, {trace: {...}}",
    ),
]

# ------------------------------------------------------------------------ the sections


class QueueModel(QueueSettings):
    """A queue, with the settings of :meth:`callroute.Engine.add_queue`."""


class ShiftModel(_Spec):
    """One agent's shift (seconds), with breaks ``[[start, end], ...]`` inside it."""

    start: Time
    end: Time
    breaks: list[tuple[Time, Time]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order(self) -> ShiftModel:
        if self.end <= self.start:
            raise PydanticCustomError("shift", "end must be after start")
        return self


class GroupModel(_Spec):
    """A group of alike agents: ``count`` (always on duty), ``counts`` per interval (from
    ``start``, ``interval`` seconds each; both default to the model's ``periods``, ``start``
    else to the model's ``start``), or
    ``shifts`` (one agent each). With ``center``, a group names an agent of the center
    and only sets its staffing and answering."""

    count: Count | None = None
    counts: list[Count] | None = None
    start: Time | None = None
    interval: Span | None = None
    shifts: list[ShiftModel] | None = None
    tenant: Name | None = None
    skills: dict[Name, Level] | None = None
    capacity: dict[Name, Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        default=None, description="simultaneous tasks per media (default: one voice call)"
    )
    exclusive: list[Name] | None = None
    weight: Factor | None = Field(default=None, description="weight for weighted_random")
    no_answer: Probability | None = Field(
        default=None, description="probability an offer goes unanswered"
    )
    ring: Dist | None = Field(default=None, description="time to answer an offer")

    @model_validator(mode="after")
    def _staffing(self) -> GroupModel:
        given = [k for k in ("count", "counts", "shifts") if getattr(self, k) is not None]
        if len(given) > 1:
            raise PydanticCustomError(
                "staffing",
                "give one of count, counts or shifts (got {given})",
                {"given": ", ".join(given)},
            )
        if self.counts is None and (self.start is not None or self.interval is not None):
            raise PydanticCustomError("staffing", "start and interval go with counts")
        return self


class RetrialModel(_Spec):
    """Abandoned callers who call again."""

    probability: Probability
    delay: Dist


class CallbackModel(_Spec):
    """A callback offered to callers still waiting after ``after`` seconds."""

    after: Seconds
    accept: Probability = 1.0


class BalkingModel(_Spec):
    """A caller who must wait leaves at once: with ``probability``, or with the probability
    of the first step ``[w, p]`` whose ``w`` >= the expected wait announced."""

    probability: Probability | None = None
    by_expected_wait: list[tuple[Seconds, Probability]] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> BalkingModel:
        if (self.probability is None) == (self.by_expected_wait is None):
            raise PydanticCustomError("balking", "give probability or by_expected_wait")
        steps = [w for w, _ in self.by_expected_wait or ()]
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise PydanticCustomError("balking", "by_expected_wait: waits must increase")
        return self


class CallModel(_Spec):
    """A call type: where its calls go, how many come, how long they take and how their
    callers behave."""

    queue: Name | None = Field(default=None, description="the queue it joins (or skills)")
    skills: dict[Name, Level] | None = Field(
        default=None, description="skills it requires instead of a queue"
    )
    priority: Int32 = 0
    tenant: Name | None = None
    media: Name | None = None
    share: Share = Field(default=1.0, description="relative share of the model's arrivals")
    arrivals: Arrivals | None = Field(
        default=None, description="its own arrival process (its share is then ignored)"
    )
    handle: Dist | None = Field(default=None, description="talk time")
    handle_by_period: list[Dist] | None = Field(
        default=None, min_length=1, description="talk time by period of arrival"
    )
    handle_by_group: dict[Name, Dist] | None = Field(
        default=None, description="talk time when an agent of this group answers"
    )
    handle_by_level: dict[Level, Factor] | None = Field(
        default=None, description="talk time multiplier by the agent's level in the skill"
    )
    patience: Dist = Field(default="never", description="time before the caller hangs up")
    patience_by_period: list[Dist] | None = Field(default=None, min_length=1)
    wrapup: Dist | None = Field(default=None, description="after-call work")
    wrapup_by_period: list[Dist] | None = Field(default=None, min_length=1)
    retrial: RetrialModel | None = None
    callback: CallbackModel | None = None
    balking: BalkingModel | None = None
    sl_threshold: Seconds | None = Field(
        default=None, description="service-level threshold of a skills-routed type"
    )

    @model_validator(mode="after")
    def _route_and_handle(self) -> CallModel:
        if (self.queue is None) == (self.skills is None):
            raise PydanticCustomError("call", "give queue or skills (one of them)")
        if self.handle is None and self.handle_by_period is None:
            raise PydanticCustomError("call", "give handle (or handle_by_period)")
        if self.skills is not None and (self.wrapup or self.wrapup_by_period) is not None:
            raise PydanticCustomError(
                "call",
                "wrapup is only for queue-routed call types (a skills-routed call takes the "
                "wrap-up of its implicit queue: none)",
            )
        return self


class PeriodsModel(_Spec):
    """The main periods of the day: the first starts at ``start``, each ``length`` seconds.
    A call takes the by-period values of its arrival's period (before the first: the first;
    after the last: the last)."""

    start: Time | None = Field(default=None, description="default: the model's start")
    length: Span


class ModelFile(_Spec):
    """A simulation model: the whole file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="callroute simulation model",
    )

    version: Literal[1] = Field(description="the format's version: 1")
    kind: Literal["model"] = Field(default="model", description="what the file is: a model")
    center: str | None = Field(
        default=None,
        description="a center file whose queues and agents the model takes (relative to the "
        "model file); groups then name its agents",
    )
    queues: dict[Name, QueueModel] = Field(default_factory=dict)
    groups: dict[Name, GroupModel] = Field(default_factory=dict)
    calls: dict[Name, CallModel] = Field(min_length=1)
    arrivals: Arrivals | None = Field(
        default=None, description="the arrivals all call types share (by share)"
    )
    periods: PeriodsModel | None = None
    busyness: Literal["shared", "independent"] = Field(
        default="shared",
        description="one daily_multiplier draw for all call types a day, or one per type",
    )
    daily_multiplier: Dist | None = Field(
        default=None, description="a random factor of every arrival rate, drawn once a day"
    )
    start: Time = Field(default=0.0, description="the simulated clock at the start, seconds")
    horizon: Annotated[float, Field(ge=0, le=MAX_TIME, allow_inf_nan=False)] = Field(
        description="arrivals stop after this many seconds"
    )
    warmup: Annotated[float, Field(ge=0, le=MAX_TIME, allow_inf_nan=False)] = 0.0
    interval: Span = Field(default=1800.0, description="statistics interval, seconds")
    max_calls: Annotated[int, Field(ge=0)] | None = None
    drain: Annotated[float, Field(ge=0, le=MAX_TIME, allow_inf_nan=False)] | None = None
    max_in_system: Annotated[int, Field(ge=1, le=2_000_000)] | None = None
    record_calls: bool = False


def schema() -> dict[str, Any]:
    """The JSON Schema of a model file (for editor completion and validation)."""
    out = ModelFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}
