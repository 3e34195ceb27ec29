"""Property tests: random flow specs parse or fail typed; random events never crash a session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from callroute.errors import (
    ConfigError,
)
from callroute.ivr import (
    Collect,
    Digits,
    Flow,
    Hangup,
    HungUp,
    Lookup,
    LookupResult,
    OfferCallback,
    Play,
    PlaybackDone,
    Route,
    Session,
    SetData,
    Timeout,
    Transfer,
    parse_flow,
)
from callroute.ivr import Voicemail as VoicemailAction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES = ["a", "b", "c", "d", "e"]
TYPES = [
    "play", "menu", "collect", "authenticate", "branch", "hours", "set", "lookup", "queue",
    "callback", "voicemail", "transfer", "hangup", "bogus",
]  # fmt: skip
KEYS = [
    "prompt", "next", "wait", "options", "timeout", "retries", "invalid_prompt", "failure",
    "key", "min_digits", "max_digits", "terminator", "verifier", "success", "lockout",
    "max_attempts", "rules", "default", "calendar", "open", "closed", "holiday", "values",
    "name", "inputs", "store", "fallback", "queue", "skills", "priority", "box",
    "destination", "reason", "junk",
]  # fmt: skip
HOURS = {
    "timezone": "Europe/Berlin",
    "weekly": {"mon": ["08:00-18:00"]},
    "holidays": ["2024-12-25"],
}
ACTIONS = (Play, Collect, SetData, Route, OfferCallback, VoicemailAction, Transfer, Hangup, Lookup)
STEP_LIMIT = 40
MAX_RETRIES = 3

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from([*NAMES, "#", "*", "1", "08:00-18:00", "mon"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 12)), inner, max_size=3),
    ),
    max_leaves=8,
)
rule = st.fixed_dictionaries(
    {"goto": st.sampled_from([*NAMES, "zz"])},
    optional={
        "data": st.sampled_from(["k", "", 3]),
        "equals": values,
        "in": values,
        "exists": values,
        "regex": st.sampled_from(["^1", "(", "x+", 5]),
        "time": st.sampled_from(["08:00-18:00", "22:00-06:00", "25:00-26:00", "x", "09:00-09:00"]),
        "days": values,
        "tz": st.sampled_from(["UTC", "Europe/Berlin", "Nowhere/Land", 1]),
        "open": st.sampled_from([HOURS, "office", {}, {"timezone": "UTC", "weekly": 3}]),
    },
)
node_spec = st.builds(
    lambda kind, fields, rules: {"type": kind, **fields, **({"rules": rules} if rules else {})},
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=8),
    st.one_of(st.none(), st.lists(rule, max_size=3), values),
)
flow_spec = st.fixed_dictionaries(
    {"nodes": st.one_of(st.dictionaries(st.sampled_from(NAMES), node_spec, max_size=5), values)},
    optional={"start": st.one_of(st.sampled_from(NAMES), values), "step_limit": values},
)


def parse_office() -> Any:
    from callroute.hours import BusinessHours

    return BusinessHours.from_spec(HOURS)


# ----------------------------------------------------------------------------- valid flows


def target() -> st.SearchStrategy[str]:
    return st.sampled_from(NAMES)


def optional_target() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), target())


prompt = st.sampled_from(["p1", "p2"])
valid_rule = st.one_of(
    st.builds(lambda v, g: {"data": "k", "equals": v, "goto": g}, st.sampled_from(["1", "12"]),
              target()),
    st.builds(lambda g: {"data": "k", "exists": True, "goto": g}, target()),
    st.builds(lambda g: {"data": "k", "regex": "^1", "goto": g}, target()),
    st.builds(lambda t, g: {"time": t, "tz": "Europe/Berlin", "goto": g},
              st.sampled_from(["08:00-18:00", "22:00-06:00"]), target()),
    st.builds(lambda g: {"open": HOURS, "goto": g}, target()),
)  # fmt: skip


def drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


valid_node = st.one_of(
    st.builds(lambda p, n, w: {"type": "play", "prompt": p, "next": n, "wait": w},
              prompt, target(), st.booleans()),
    st.builds(
        lambda opts, r, f: drop_none(type="menu", prompt="m", options=opts, timeout=3, retries=r,
                                     invalid_prompt="bad", failure=f),
        st.dictionaries(st.sampled_from("0123456789*#"), target(), min_size=1, max_size=3),
        st.integers(0, MAX_RETRIES), optional_target(),
    ),
    st.builds(
        lambda lo, extra, term, r, f, n: drop_none(type="collect", key="k", next=n, min_digits=lo,
                                                   max_digits=lo + extra, terminator=term,
                                                   retries=r, failure=f),
        st.integers(1, 3), st.integers(0, 3), st.sampled_from(["#", "*", None]),
        st.integers(0, MAX_RETRIES), optional_target(), target(),
    ),
    st.builds(
        lambda a, s, lock, ident: drop_none(type="authenticate", verifier="pins", success=s,
                                            lockout=lock, max_attempts=a, identity_key=ident),
        st.integers(1, MAX_RETRIES + 1), target(), target(), st.sampled_from([None, "k"]),
    ),
    st.builds(lambda rules, d: {"type": "branch", "rules": rules, "default": d},
              st.lists(valid_rule, max_size=3), target()),
    st.builds(lambda o, c, h: drop_none(type="hours", calendar="office", open=o, closed=c,
                                        holiday=h), target(), target(), optional_target()),
    st.builds(lambda v, n: {"type": "set", "values": {"k": v}, "next": n},
              st.sampled_from(["1", "12", 3]), target()),
    st.builds(lambda s, f, n: drop_none(type="lookup", name="crm", store=s, fallback=f, next=n,
                                        default="none", timeout=1),
              st.sampled_from([None, "k"]), optional_target(), target()),
    st.builds(lambda s: {"type": "queue", "queue": "q", "skills": s, "priority": 1},
              st.lists(st.sampled_from(["x", "y"]), max_size=2)),
    st.just({"type": "callback", "queue": "q", "number_key": "k"}),
    st.just({"type": "voicemail", "box": "v", "prompt": "bye"}),
    st.just({"type": "transfer", "destination": "op"}),
    st.just({"type": "hangup", "reason": "done"}),
)  # fmt: skip
valid_flow = st.builds(
    lambda nodes, start: {"start": start, "nodes": nodes, "step_limit": STEP_LIMIT},
    st.fixed_dictionaries(dict.fromkeys(NAMES, valid_node)),
    target(),
)
event = st.one_of(
    st.builds(
        Digits,
        # the verifier's PINs ("1234" passes, "0000" crashes it) and random key presses
        st.one_of(
            st.sampled_from(["1234", "0000", "1234#"]),
            st.text(alphabet="0123456789*#ABCD", max_size=6),
        ),
        st.booleans(),
    ),
    st.just(Timeout()),
    st.just(PlaybackDone()),
    st.builds(
        LookupResult,
        st.one_of(st.none(), st.integers(), st.text(max_size=3)),
        st.one_of(st.none(), st.just("boom")),
        st.one_of(st.none(), st.integers(0, 4)),
    ),
    st.just(HungUp()),
)
events = st.lists(st.tuples(event, st.floats(0, 3)), max_size=30)
BASE = datetime(2024, 3, 31, 0, 30, tzinfo=timezone.utc)  # the night of a DST change


def verify(identity: str, pin: str) -> bool:
    if pin == "0000":
        raise RuntimeError("verifier crashed")
    return pin == "1234"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_flow, events, st.integers(0, 24 * 3600), st.sampled_from([None, "+491", ""]))
def test_random_events_never_crash_and_always_end(
    spec: dict[str, Any], stream: list[tuple[Any, float]], offset: int, caller: str | None
) -> None:
    flow = parse_flow("main", spec)
    session = Session(
        flow,
        clock=lambda now: BASE + timedelta(seconds=offset + now),
        verifiers={"pins": verify},
        calendars={"office": parse_office()},
    )
    now = 0.0
    emitted = session.start(now, caller=caller, data={"k": "1"})
    for ev, dt in stream:
        if session.finished:
            break
        now += dt
        emitted += session.feed(ev, now)
        assert session.steps <= STEP_LIMIT
    # Silence ends every call: each visit takes at most MAX_RETRIES + 1 timeouts.
    for _ in range(STEP_LIMIT * (MAX_RETRIES + 2) + 1):
        if session.finished:
            break
        now += 1.0
        emitted += session.feed(Timeout(), now)
    assert session.finished
    assert session.outcome is not None
    assert session.steps <= STEP_LIMIT
    assert all(isinstance(action, ACTIONS) for action in emitted)
    if session.outcome.kind not in ("caller_hangup",):
        assert session.outcome.action == emitted[-1]


def mutate(spec: dict[str, Any], node: str, key: str, value: Any) -> dict[str, Any]:
    """A valid flow with one field of one node replaced by an arbitrary value."""
    nodes = {**spec["nodes"], node: {**spec["nodes"][node], key: value}}
    return {**spec, "nodes": nodes}


mutated_flow = st.builds(mutate, valid_flow, st.sampled_from(NAMES), st.sampled_from(KEYS), values)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(flow_spec, valid_flow, mutated_flow))
def test_random_specs_give_a_flow_or_a_config_error(spec: dict[str, Any]) -> None:
    try:
        flow = parse_flow("main", spec, calendars={"office": parse_office()})
    except ConfigError as exc:
        lines = str(exc).splitlines()
        assert lines
        assert all(line.startswith("ivr.main") for line in lines)
        return
    assert isinstance(flow, Flow)
    assert all(w.startswith("ivr.main.nodes.") for w in flow.lint())
