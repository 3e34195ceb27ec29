"""A blended day's model file (``kind: blend``, ``version: 1``): its shapes and reading.

Inbound queues, inbound call types, agent groups and campaigns are mappings of names, as
in a simulation model file (``kind: model``); durations are written the same way
(``lognormal(240, 1.1)``, ``exponential(180)``, a number of seconds, ``never``).
Piecewise arrivals, a group's ``counts`` and a campaign's ``reach`` periods without a
``start`` of their own begin at the day's ``start``; a piecewise ``interval`` defaults to
the statistics ``interval``. A campaign (named by its id) takes the dialing keys of a
campaign file (:mod:`callroute.outbound.config`), with the same meanings and defaults:
``mode``, ``tenant``, ``skills``, ``threshold``, ``retry``, ``abandon_cap``,
``abandon_risk``, ``cap_window``, ``connect_within``, ``amd_false_positive`` (the rate the
dialer assumes), ``max_lines_per_agent``, ``answer_prior``, ``inbound_target`` and
``inbound_answer_within``. Those of a live dialer (``queue``, ``caller_id``, ``windows``,
``message``) have no place in a simulated day, and ``ring_time`` is the mean of ``ring``.
The rest says how its contacts behave::

    kind: blend
    version: 1
    horizon: 21600                 # seconds of arrivals and dialling
    interval: 3600                 # statistics interval
    queues:
      service: {sl_threshold: 20}
    inbound:
      service: {queue: service, handle: exponential(240), patience: exponential(180)}
    arrivals: {piecewise: {interval: 3600, calls: [180, 240, 300]}}
    groups:
      agents: {count: 30}
    campaigns:
      renewals:
        mode: predictive
        threshold: 2               # idle agents kept for inbound, or auto
        contacts: 10000
        reach:
          periods: [{person: 0.3, machine: 0.15, busy: 0.05, failed: 0.02}]
        ring: lognormal(12, 0.5)
        talk: exponential(180)

:func:`load_blend` reads a file, :func:`parse_blend` YAML text; each checks the whole
model (shapes, names, then the core's own rules) and reports every problem with its path
and line (``campaigns.renewals.reach.periods[0].person: must be <= 1 (day.yaml line 24)``)
as a :class:`~callroute.errors.ModelError`. They give the mapping the core simulator
reads (:func:`callroute.outbound.simulate_blend` runs it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from .. import _core
from .._internal.files import Lines, read_document, read_document_lines, read_yaml_text
from ..center.problems import _unknown
from ..center.schema import Int32, Level, Name
from ..errors import ModelError
from ..sim.model import _queue
from ..sim.modelfile import Found, arrivals_json, checked_document, section_items
from ..sim.schema import (
    Count,
    Dist,
    Duration,
    PiecewiseArrivals,
    PoissonArrivals,
    Probability,
    QueueModel,
    Share,
    Span,
    Time,
    _Spec,
    dist_json,
)
from .config import CAP_WINDOWS, OUTCOMES, DialingKeys

__all__ = ["BLEND_VERSION", "BlendFile", "blend_model", "load_blend", "parse_blend", "schema"]

BLEND_VERSION = 1
"""The version of the blended-day format this release reads (``version: 1``)."""


class InboundModel(_Spec):
    """An inbound call type: the queue it joins, its share of the arrivals, its times."""

    queue: Name
    priority: Int32 = 0
    share: Share = Field(default=1.0, description="relative share of the arrivals")
    handle: Dist = Field(description="talk time")
    patience: Dist = Field(default="never", description="time before the caller hangs up")
    wrapup: Dist | None = Field(default=None, description="after-call work")


class BlendGroupModel(_Spec):
    """Alike agents: ``count`` always on duty, or ``counts`` per interval (``interval``
    seconds each from ``start``, by default the day's ``start``)."""

    count: Count | None = None
    counts: list[Count] | None = Field(default=None, min_length=1)
    start: Time | None = Field(default=None, description="default: the day's start")
    interval: Span | None = None
    tenant: Name = "default"
    skills: dict[Name, Level] = Field(default_factory=dict)


class ReachRowModel(_Spec):
    """The outcome probabilities of a dial in one period (no answer is what remains)."""

    person: Probability
    machine: Probability = 0.0
    busy: Probability = 0.0
    failed: Probability = 0.0
    callback: Probability = Field(
        default=0.0,
        description="P(a person who answers asks to be called back, reach.callback_after "
        "later, instead of talking now)",
    )


class ReachModel(_Spec):
    """What dialled contacts do, by period of the day (``period`` seconds each from
    ``start``, by default the day's ``start``) and by attempt."""

    start: Time | None = Field(default=None, description="default: the day's start")
    period: Span = 3600.0
    periods: list[ReachRowModel] = Field(min_length=1)
    person_by_attempt: list[Annotated[float, Field(ge=0, le=1e6)]] = Field(
        default_factory=lambda: [1.0], min_length=1
    )
    amd_false_positive: Probability = Field(
        default=0.0, description="P(detection takes a person for a machine), as it happens"
    )
    callback_after: Dist = Field(
        default=3600.0,
        validate_default=True,
        description="how long after the call a callback is wanted",
    )


class BlendCampaign(DialingKeys):
    """A campaign: the dialing keys of a campaign file and its contacts' behaviour."""

    contacts: Annotated[int, Field(ge=0, le=10_000_000)]
    reach: ReachModel
    ring: Dist = Field(description="time from dialling to an answer")
    no_answer_after: Duration = 25.0
    busy_after: Duration = 3.0
    talk: Dist
    wrapup: Dist | None = None
    priority: Int32 = 0
    preview: Dist = Field(
        default=10.0,
        validate_default=True,
        description="preview mode: an agent's time to decide on a contact shown",
    )
    preview_accept: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        default=1.0, description="preview mode: P(the agent accepts a contact shown)"
    )


def _arrivals_tag(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        return f"<{key}>" if key in ("poisson", "piecewise") else None
    return None


BlendArrivals = Annotated[
    Annotated[PoissonArrivals, Tag("<poisson>")] | Annotated[PiecewiseArrivals, Tag("<piecewise>")],
    Discriminator(
        _arrivals_tag,
        custom_error_type="arrivals",
        custom_error_message="must be {poisson: {...}} or {piecewise: {...}} (a blended day "
        "takes no trace)",
    ),
]


class BlendFile(_Spec):
    """A blended day: the whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="callroute blended day")

    version: Literal[1] = Field(description="the format's version: 1")
    kind: Literal["blend"] = Field(description="what the file is: blend")
    queues: dict[Name, QueueModel] = Field(default_factory=dict)
    inbound: dict[Name, InboundModel] = Field(default_factory=dict)
    arrivals: BlendArrivals | None = Field(
        default=None, description="the arrivals of all inbound calls (by share)"
    )
    groups: dict[Name, BlendGroupModel] = Field(min_length=1)
    campaigns: dict[Name, BlendCampaign] = Field(default_factory=dict)
    start: Time = 0.0
    horizon: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
    warmup: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] = 0.0
    interval: Span = 900.0
    pace_every: Span = 1.0


# ------------------------------------------------------------------------ names


def _references(data: Mapping[str, Any], found: Found) -> None:
    queues = (
        [str(k) for k in data.get("queues") or {}]
        if isinstance(data.get("queues"), Mapping)
        else []
    )
    for name, c in section_items(data, "inbound"):
        q = c.get("queue")
        if isinstance(q, str) and q not in queues:
            found.add(("inbound", name, "queue"), _unknown("queue", q, queues))
    if section_items(data, "inbound") and data.get("arrivals") is None:
        found.add(("arrivals",), "required: the inbound call types share these arrivals")
    for name, g in section_items(data, "groups"):
        if (g.get("count") is None) == (g.get("counts") is None):
            found.add(("groups", name), "give count or counts (per interval)")
        elif g.get("counts") is not None and g.get("interval") is None:
            found.add(("groups", name, "counts"), "needs interval (seconds per count)")


# ------------------------------------------------------------------------ conversion


def _campaign_json(name: str, c: BlendCampaign, day_start: float) -> dict[str, Any]:
    window = CAP_WINDOWS[c.cap_window] if isinstance(c.cap_window, str) else float(c.cap_window)
    config = {
        "id": name,
        "tenant": c.tenant,
        "skills": sorted(c.skills.items()),
        "mode": c.mode,
        "retry": {o: c.retry[o].model_dump() for o in OUTCOMES if o in c.retry},
        "abandon_cap": c.abandon_cap,
        "abandon_risk": c.abandon_risk,
        "abandon_window": window,
        "connect_within": c.connect_within,
        "amd_false_positive_rate": c.amd_false_positive,
        "max_lines_per_agent": c.max_lines_per_agent,
        "answer_rate_prior": c.answer_prior,
        "blending": "auto" if c.threshold == "auto" else {"fixed": c.threshold},
    }
    out: dict[str, Any] = {
        "campaign": config,
        "contacts": c.contacts,
        "reach": {
            **c.reach.model_dump(exclude={"callback_after"}),
            "start": c.reach.start if c.reach.start is not None else day_start,
            "callback_after": dist_json(c.reach.callback_after),
        },
        "ring": dist_json(c.ring),
        "no_answer_after": c.no_answer_after,
        "busy_after": c.busy_after,
        "talk": dist_json(c.talk),
        "inbound_target": {"answer_within": c.inbound_answer_within, "target": c.inbound_target},
        "priority": c.priority,
        "preview": dist_json(c.preview),
        "preview_accept": c.preview_accept,
    }
    if c.wrapup is not None:
        out["wrapup"] = dist_json(c.wrapup)
    return out


def _to_core(m: BlendFile) -> dict[str, Any]:
    # (a queue as the inbound simulator's model gives it to the engine)
    queues = [_queue({"name": n, **q.model_dump()}, i) for i, (n, q) in enumerate(m.queues.items())]
    inbound = []
    for name, c in m.inbound.items():
        t: dict[str, Any] = {
            "name": name,
            "queue": c.queue,
            "priority": c.priority,
            "share": c.share,
            "handle": dist_json(c.handle),
            "patience": dist_json(c.patience),
        }
        if c.wrapup is not None:
            t["wrapup"] = dist_json(c.wrapup)
        inbound.append(t)
    groups = []
    for name, g in m.groups.items():
        if g.count is not None:
            staffing: dict[str, Any] = {"fixed": {"count": g.count}}
        else:
            first = g.start if g.start is not None else m.start
            staffing = {"intervals": {"start": first, "interval": g.interval, "counts": g.counts}}
        groups.append(
            {
                "name": name,
                "tenant": g.tenant,
                "skills": sorted(g.skills.items()),
                "staffing": staffing,
            }
        )
    out: dict[str, Any] = {
        "queues": queues,
        "inbound": inbound,
        "groups": groups,
        "campaigns": [_campaign_json(n, c, m.start) for n, c in m.campaigns.items()],
        "start": m.start,
        "horizon": m.horizon,
        "warmup": m.warmup,
        "interval": m.interval,
        "pace_every": m.pace_every,
    }
    if m.arrivals is not None:
        out["arrivals"] = arrivals_json(m.arrivals, start=m.start, interval=m.interval)
    return out


_CORE_PATH = re.compile(r"^(queues|inbound|groups|campaigns)\[(\d+)\](?:\.campaign)?(.*)$")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _core_problem(message: str, model: Mapping[str, Any], found: Found) -> None:
    """A problem the core found (``campaigns[0].campaign.abandon_cap: ...``) at the path
    and line the user wrote (``campaigns.renewals.abandon_cap``)."""
    where, sep, text = message.partition(": ")
    match = _CORE_PATH.match(where) if sep else None
    if match is None:
        if sep and where.isidentifier():  # a top-level key: horizon, arrivals...
            found.add((where,), text)
        else:
            found.add((), message)
        return
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    items = model.get(section) or []
    name = items[index].get("name") if section != "campaigns" else items[index]["campaign"]["id"]
    loc: list[Any] = [section, name]
    for part, number in _PART.findall(rest):
        loc.append(part if part else int(number))
    found.add(loc, text)


def blend_model(
    data: Any, *, source: str = "<mapping>", lines: Lines | None = None
) -> dict[str, Any]:
    """Check a blended-day document and give the mapping the core simulator reads.

    :param data: the document (a mapping, as read from the file).
    :param source: what problems name (the file).
    :param lines: where each path of the document is (for the lines in the problems).
    :raises ~callroute.errors.ModelError: listing every problem, each ``path: message
        (file line n)``, in the order of the file.
    """
    parsed = checked_document(
        data, BlendFile, _references, source=source, lines=lines, what="a blended day"
    )
    out = _to_core(parsed)
    try:
        _core.blend_check(json.dumps(out, allow_nan=False))
    except ModelError as exc:
        found = Found(lines or {}, source)
        for p in exc.problems:
            _core_problem(str(p), out, found)
        raise ModelError(problems=found.problems(), source=source) from None
    return out


def load_blend(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a blended day's model file (YAML, JSON or TOML; see the module doc) and check it.

    :returns: the mapping the core simulator reads, for :func:`simulate_blend`.
    :raises ~callroute.errors.ModelError: when the file cannot be read, or listing every
        problem in it with its path and line.
    """
    p = Path(path)
    data = read_document(p, error=ModelError)
    try:
        return blend_model(data, source=str(p))
    except ModelError:
        data, lines = read_document_lines(p, error=ModelError)
    return blend_model(data, source=str(p), lines=lines)


def parse_blend(text: str, *, source: str = "<text>") -> dict[str, Any]:
    """:func:`load_blend` of YAML text (JSON is YAML too); ``source`` names it in problems."""
    data, lines = read_yaml_text(text, source=source, error=ModelError)
    return blend_model(data, source=source, lines=lines)


def schema() -> dict[str, Any]:
    """The JSON Schema of a blended day's file (for editor completion and validation)."""
    out = BlendFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}
