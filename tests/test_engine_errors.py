"""Engine errors: the right class, a clear message, and the engine left exactly as it was."""

from __future__ import annotations

import math
import random
import struct
import zlib
from collections.abc import Callable
from typing import Any

import callroute
import pytest
from callroute import Engine


@pytest.fixture
def eng(mid_run_engine: Engine) -> Engine:
    """A small engine mid-run: c1 connected to a, c2 offered to b, c3 waiting (conftest)."""
    return mid_run_engine


def nan() -> float:
    return math.nan


CASES: list[tuple[str, Callable[[Engine], object], type[Exception], str]] = [
    ("unknown agent", lambda e: e.agent_ready("zed", 5.0), callroute.UnknownIdError,
     'unknown agent "zed"'),
    ("unknown queue", lambda e: e.call_arrived("c9", 5.0, queue="nope"),
     callroute.UnknownIdError, 'unknown queue "nope"'),
    ("unknown call", lambda e: e.offer_accepted("c9", 5.0), callroute.UnknownIdError,
     'unknown call "c9"'),
    ("unknown transfer target", lambda e: e.transfer("c3", 5.0, "nope"),
     callroute.UnknownIdError, 'unknown queue "nope"'),
    ("unknown skill", lambda e: e.call_arrived("c9", 5.0, skills={"klingon": 1}),
     callroute.UnknownIdError, 'unknown skill "klingon"'),
    ("duplicate agent", lambda e: e.add_agent("a"), callroute.DuplicateIdError,
     'agent "a" already exists'),
    ("duplicate queue", lambda e: e.add_queue("q"), callroute.DuplicateIdError,
     'queue "q" already exists'),
    ("duplicate call", lambda e: e.call_arrived("c3", 5.0, queue="q"),
     callroute.DuplicateIdError, 'call "c3" already exists'),
    ("accept without offer", lambda e: e.offer_accepted("c3", 5.0),
     callroute.InvalidEventError, 'call "c3" has no outstanding offer'),
    ("decline without offer", lambda e: e.offer_declined("c1", 5.0),
     callroute.InvalidEventError, "no outstanding offer"),
    ("end a waiting call", lambda e: e.call_ended("c3", 5.0), callroute.InvalidEventError,
     "not connected"),
    ("abandon a connected call", lambda e: e.call_abandoned("c1", 5.0),
     callroute.InvalidEventError, "call_ended"),
    ("ready twice", lambda e: e.agent_ready("a", 5.0), callroute.InvalidEventError,
     "already ready"),
    ("wrap-up done without wrap-up", lambda e: e.wrapup_done("a", 5.0),
     callroute.InvalidEventError, "not in wrap-up"),
    ("NaN time", lambda e: e.advance(nan()), callroute.TimeError, "finite"),
    ("infinite time", lambda e: e.agent_logout("a", math.inf), callroute.TimeError, "finite"),
    ("time backwards", lambda e: e.call_ended("c1", 3.5), callroute.TimeError,
     "time went backwards"),
    ("time as text", lambda e: e.advance("5"), callroute.TimeError, "real number"),
    ("time as bool", lambda e: e.advance(True), callroute.TimeError, "real number"),
    ("id as int", lambda e: e.call_ended(1, 5.0), callroute.ConfigError,
     "call must be a str, got int"),
    ("level too high", lambda e: e.add_agent("x", skills={"s": 256}), callroute.ConfigError,
     "from 0 to 255"),
    ("negative level", lambda e: e.set_agent_skills("a", {"s": -1}, 5.0),
     callroute.ConfigError, "from 0 to 255"),
    ("float level", lambda e: e.add_agent("x", skills={"s": 1.5}), callroute.ConfigError,
     "integer"),
    ("skills not a mapping", lambda e: e.add_agent("x", skills=["s"]), callroute.ConfigError,
     "mapping"),
    ("capacity not an int", lambda e: e.add_agent("x", capacity={"voice": "1"}),
     callroute.ConfigError, "capacity"),
    ("exclusive as a str", lambda e: e.add_agent("x", exclusive="voice"),
     callroute.ConfigError, "sequence of str"),
    ("zero weight", lambda e: e.add_agent("x", weight=0.0), callroute.ConfigError, "weight"),
    ("auto_answer as int", lambda e: e.add_agent("x", auto_answer=1), callroute.ConfigError,
     'agent "x": auto_answer must be a bool, got int'),
    ("auto_answer as str", lambda e: e.add_agent("x", auto_answer="true"),
     callroute.ConfigError, "auto_answer must be a bool, got str"),
    ("unknown option", lambda e: e.add_agent("x", skils={}), callroute.ConfigError,
     'unexpected keyword argument "skils"'),
    ("unknown strategy", lambda e: e.add_queue("x", strategy="best"), callroute.ConfigError,
     "longest_idle"),
    ("unknown step key", lambda e: e.add_queue("x", steps=[{"after": 1}, {"after": 2, "foo": 1}]),
     callroute.ConfigError, r"steps\[1\]\.foo"),
    ("step without after", lambda e: e.add_queue("x", steps=[{"priority": 1}]),
     callroute.ConfigError, r"steps\[0\]\.after is required"),
    ("steps out of order", lambda e: e.add_queue("x", steps=[{"after": 5}, {"after": 2}]),
     callroute.ConfigError, r"steps\[1\]\.after"),
    ("negative sl", lambda e: e.add_queue("x", sl_threshold=-1.0), callroute.ConfigError,
     "sl_threshold"),
    ("overflow to nowhere", lambda e: e.add_queue("x", max_wait=5.0, overflow="nope"),
     callroute.ConfigError, "unknown queue"),
    ("overflow needs max wait", lambda e: e.add_queue("x", overflow="q"),
     callroute.ConfigError, "max_wait"),
    ("also_queues to nowhere",
     lambda e: e.add_queue("x", skills={"fresh": 1}, steps=[{"after": 1, "also_queues": ["no"]}]),
     callroute.ConfigError, "unknown queue"),
    ("empty skill name", lambda e: e.set_agent_skills("a", {"new": 1, "": 2}, 5.0),
     callroute.ConfigError, "must not be empty"),
    ("queue and skills", lambda e: e.call_arrived("c9", 5.0, queue="q", skills={"s": 1}),
     callroute.ConfigError, "not both"),
    ("wrong media", lambda e: e.call_arrived("c9", 5.0, queue="q", media="chat"),
     callroute.ConfigError, "takes voice calls"),
    ("wrong tenant", lambda e: e.call_arrived("c9", 5.0, queue="q", tenant="other"),
     callroute.ConfigError, "belongs to tenant"),
    ("empty reason", lambda e: e.agent_not_ready("a", 5.0, ""), callroute.ConfigError,
     "reason"),
    ("open as int", lambda e: e.set_queue_open("q", 1), callroute.ConfigError, "bool"),
    ("transfer to its own queue", lambda e: e.transfer("c3", 5.0, "q"),
     callroute.InvalidEventError, "another queue"),
    ("empty tenant", lambda e: e.add_queue("x", tenant=""), callroute.ConfigError,
     "tenant must not be empty"),
    ("empty media", lambda e: e.add_agent("x", capacity={"": 1}), callroute.ConfigError,
     "media names must not be empty"),
    ("implicit queue name", lambda e: e.add_queue("skills[s>=1]@default/voice"),
     callroute.ConfigError, "kept for the implicit queues"),
    ("priority as float", lambda e: e.call_arrived("c9", 5.0, queue="q", priority=1.0),
     callroute.ConfigError, "priority"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "act", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_error_leaves_the_engine_unchanged(
    eng: Engine,
    what: str,
    act: Callable[[Engine], object],
    error: type[Exception],
    message: str,
) -> None:
    before = eng.snapshot()
    with pytest.raises(error, match=message) as info:
        act(eng)
    assert isinstance(info.value, callroute.EngineError)
    assert isinstance(info.value, callroute.CallrouteError)
    assert eng.snapshot() == before, f"{what}: the engine changed"
    eng.audit()


def test_error_classes_subclass_the_builtins_users_catch() -> None:
    # issue 12: the classes say what went wrong; the engine raises their Engine* variants,
    # which are also EngineErrors (the plain classes are not: load() errors are no engine's)
    assert issubclass(callroute.UnknownIdError, LookupError)
    for cls in (
        callroute.TimeError,
        callroute.DuplicateIdError,
        callroute.InvalidEventError,
        callroute.ConfigError,
        callroute.errors.SnapshotError,
        callroute.ParameterError,
    ):
        assert issubclass(cls, ValueError)
        assert not issubclass(cls, callroute.EngineError)
        engine_cls = getattr(callroute.errors, "Engine" + cls.__name__)
        assert issubclass(engine_cls, cls)
        assert issubclass(engine_cls, callroute.EngineError)
    assert issubclass(callroute.errors.EngineUnknownIdError, callroute.UnknownIdError)
    assert issubclass(callroute.errors.EngineUnknownIdError, callroute.EngineError)
    assert issubclass(callroute.errors.EngineInvariantError, AssertionError)
    assert issubclass(callroute.EngineError, callroute.CallrouteError)


def test_ending_a_call_twice(eng: Engine) -> None:
    eng.call_ended("c1", 5.0)
    before = eng.snapshot()
    with pytest.raises(callroute.UnknownIdError, match='unknown call "c1"'):
        eng.call_ended("c1", 6.0)
    assert eng.snapshot() == before


def test_engine_options_are_checked() -> None:
    with pytest.raises(callroute.ConfigError, match="interval"):
        Engine(interval=0.0)
    with pytest.raises(callroute.ConfigError, match="interval"):
        Engine(interval=math.nan)
    with pytest.raises(callroute.ConfigError, match="seed"):
        Engine(seed=-1)
    with pytest.raises(TypeError):
        Engine(3)  # type: ignore[misc]


def test_snapshot_errors(eng: Engine) -> None:
    blob = eng.snapshot()
    with pytest.raises(callroute.errors.SnapshotError, match="not a callroute engine snapshot"):
        Engine.restore(b"not a snapshot")
    with pytest.raises(callroute.errors.SnapshotError):
        Engine.restore(blob[: len(blob) // 2])
    with pytest.raises(callroute.errors.SnapshotError):
        Engine.restore("text")  # type: ignore[arg-type]
    assert Engine.restore(bytearray(blob)).snapshot() == blob


def test_corrupt_snapshots_never_crash(eng: Engine) -> None:
    blob = bytearray(eng.snapshot())
    rng = random.Random(5)
    for _ in range(300):
        bad = bytearray(blob)
        for _ in range(rng.randint(1, 4)):
            bad[rng.randrange(24, len(bad))] = rng.randrange(256)
        # resealed (body length and CRC-32 made to match, docs/engine.md "Snapshots"), so
        # the corrupt body reaches the decoder instead of failing the checksum
        body = bytes(bad[24:])
        bad[12:24] = struct.pack("<QI", len(body), zlib.crc32(body))
        try:
            restored = Engine.restore(bytes(bad))
        except callroute.errors.SnapshotError:
            continue
        restored.audit()  # whatever decodes is consistent


def test_feed_reports_the_index_and_keeps_earlier_events(eng: Engine) -> None:
    events: list[tuple[Any, ...]] = [
        ("agent_not_ready", "a", 5.0, {"reason": "lunch"}),
        ("call_ended", "c1", 6.0),  # a goes to wrap-up, then (not ready) to lunch
        ("call_abandoned", "c3", 6.0),
        ("call_ended", "c3", 7.0),  # c3 is gone by then
        ("advance", 100.0),
    ]
    with pytest.raises(callroute.UnknownIdError, match=r'^event 3: unknown call "c3"') as info:
        eng.feed(events)
    err: Any = info.value
    assert err.applied == 3
    assert err.decisions == [callroute.AgentStateChanged("a", "wrapup", None)]
    assert eng.agent_state("a") == "wrapup"
    assert "c3" not in eng.calls()
    assert eng.now == 6.0
    assert eng.advance(11.0) == [callroute.AgentStateChanged("a", "not_ready", "lunch")]
    assert eng.agent_reason("a") == "lunch"


@pytest.mark.parametrize(
    ("event", "error", "message"),
    [
        (("fly", "a", 5.0), callroute.ConfigError, 'unknown event method "fly"'),
        (("agent_ready", "a"), callroute.ConfigError, 'missing argument "now"'),
        (("agent_ready", "a", 5.0, 6.0), callroute.ConfigError, "positional"),
        (("advance", 5.0, {"when": 1}), callroute.ConfigError, "unexpected keyword"),
        (("advance", "soon"), callroute.TimeError, "real number"),
        ("advance", callroute.ConfigError, "an event is a tuple"),
        ((), callroute.ConfigError, "an event is a tuple"),
    ],
)
def test_feed_parse_errors(eng: Engine, event: Any, error: type[Exception], message: str) -> None:
    before = eng.snapshot()
    with pytest.raises(error, match=f"^event 1: .*{message}"):
        eng.feed([("advance", 5.0), event])
    assert eng.now == 5.0  # the first event was applied
    assert eng.snapshot() != before


def test_errors_raised_inside_an_iterator_propagate(eng: Engine) -> None:
    def events() -> Any:
        yield ("advance", 5.0)
        raise KeyError("from the iterator")

    with pytest.raises(KeyError, match="from the iterator"):
        eng.feed(events())
    assert eng.now == 5.0


def test_feed_takes_names_by_keyword_and_numpy_integers() -> None:
    import numpy as np

    eng = callroute.Engine()
    eng.feed(
        [
            ("add_queue", {"name": "q", "skills": {"s": np.int64(3)}}),
            ("add_agent", {"name": "a", "skills": {"s": np.int32(5)}}),
            ("agent_ready", "a", 0.0),
        ]
    )
    assert eng.queues() == ["q"]
    [offer, _] = eng.call_arrived("c", 1.0, queue="q")
    assert offer.agent == "a"
    with pytest.raises(callroute.ConfigError, match="skills"):
        eng.add_queue("r", skills={"s": 3.0})


LONE = "\ud800"  # a lone surrogate: a Python str no UTF-8 text can hold

SURROGATE_CASES: list[tuple[str, Callable[[Engine], object]]] = [
    ("name", lambda e: e.add_queue("x" + LONE)),
    ("tenant", lambda e: e.add_queue("x", tenant=LONE)),
    ("name", lambda e: e.add_agent(LONE)),
    ("skills keys", lambda e: e.add_agent("x", skills={LONE: 1})),
    ("agent", lambda e: e.agent_ready(LONE, 5.0)),
    ("reason", lambda e: e.agent_not_ready("a", 5.0, LONE)),
    ("agent", lambda e: e.set_agent_skills(LONE, {"s": 1}, 5.0)),
    ("queue", lambda e: e.set_queue_open(LONE, False)),
    ("call", lambda e: e.call_arrived(LONE, 5.0, queue="q")),
    ("queue", lambda e: e.call_arrived("c9", 5.0, queue=LONE)),
    ("media", lambda e: e.call_arrived("c9", 5.0, queue="q", media=LONE)),
    ("call", lambda e: e.offer_accepted(LONE, 5.0)),
    ("queue", lambda e: e.transfer("c3", 5.0, LONE)),
    ("queue", lambda e: e.queue_stats(LONE)),
    ("agent", lambda e: e.agent_state(LONE)),
    ("call", lambda e: e.call_info(LONE)),
    ("agent", lambda e: e.feed([("agent_ready", LONE, 5.0)])),
    ("method", lambda e: e.feed([(LONE, "a", 5.0)])),
]


@pytest.mark.parametrize(
    ("argument", "act"), SURROGATE_CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(SURROGATE_CASES)]
)
def test_a_lone_surrogate_is_a_typed_error_naming_the_argument(
    eng: Engine, argument: str, act: Callable[[Engine], object]
) -> None:
    before = eng.snapshot()
    with pytest.raises(callroute.ConfigError, match="lone surrogate") as info:
        act(eng)
    assert argument in str(info.value), str(info.value)
    assert eng.snapshot() == before
    eng.audit()


def test_a_lone_surrogate_names_its_place() -> None:
    with pytest.raises(callroute.ConfigError, match=r"call .* lone surrogate at index 2"):
        Engine().call_arrived("ab" + LONE, 0.0, queue="q")


def test_agent_skills_reads_back_what_the_inputs_gave(eng: Engine) -> None:
    """``agent_skills``: the skills of ``add_agent`` or the last ``set_agent_skills``, in
    name order; an unknown agent is the engine's usual unknown-id error (docs/engine.md)."""
    assert eng.agent_skills("a") == {"s": 2}
    eng.set_agent_skills("a", {"zz": 1, "s": 3, "m": 9}, 5.0)
    skills = eng.agent_skills("a")
    assert skills == {"m": 9, "s": 3, "zz": 1}
    assert list(skills) == ["m", "s", "zz"]
    eng.set_agent_skills("a", {}, 5.0)
    assert eng.agent_skills("a") == {}
    before = eng.snapshot()
    with pytest.raises(callroute.errors.EngineUnknownIdError, match='unknown agent "nobody"'):
        eng.agent_skills("nobody")
    with pytest.raises(callroute.ConfigError):
        eng.agent_skills(7)  # type: ignore[arg-type]
    assert eng.snapshot() == before  # a query changes nothing
