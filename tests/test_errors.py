"""The error tree (issue 12): classes say what went wrong; ``EngineError`` marks who raised it.

The contract is the tree in ``callroute/errors.py``'s docstring: every class's bases, and
for each raising site the documented class (and never the engine's marker for errors that
do not come from the engine).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import callroute
import pytest
from callroute import _core, errors
from callroute.errors import (
    CallrouteError,
    ConfigError,
    DuplicateIdError,
    EngineConfigError,
    EngineDuplicateIdError,
    EngineError,
    EngineInvalidEventError,
    EngineInvariantError,
    EngineParameterError,
    EngineReentrancyError,
    EngineSnapshotError,
    EngineTimeError,
    EngineUnknownIdError,
    InfeasibleError,
    InvalidEventError,
    ModelError,
    ParameterError,
    PermissionDenied,
    Problem,
    ReentrancyError,
    SnapshotError,
    TimeError,
    UnknownIdError,
)

# The documented tree: each class and its direct bases, in order.
TREE: dict[type[BaseException], tuple[type[BaseException], ...]] = {
    CallrouteError: (Exception,),
    ParameterError: (CallrouteError, ValueError),
    ConfigError: (CallrouteError, ValueError),
    ModelError: (ConfigError,),
    TimeError: (CallrouteError, ValueError),
    InvalidEventError: (CallrouteError, ValueError),
    ReentrancyError: (InvalidEventError,),
    DuplicateIdError: (CallrouteError, ValueError),
    SnapshotError: (CallrouteError, ValueError),
    InfeasibleError: (CallrouteError, ValueError),
    UnknownIdError: (CallrouteError, LookupError),
    PermissionDenied: (CallrouteError,),
    EngineError: (CallrouteError,),
    EngineParameterError: (ParameterError, EngineError),
    EngineConfigError: (ConfigError, EngineError),
    EngineTimeError: (TimeError, EngineError),
    EngineInvalidEventError: (InvalidEventError, EngineError),
    EngineReentrancyError: (ReentrancyError, EngineInvalidEventError),
    EngineDuplicateIdError: (DuplicateIdError, EngineError),
    EngineSnapshotError: (SnapshotError, EngineError),
    EngineUnknownIdError: (UnknownIdError, EngineError),
    EngineInvariantError: (EngineError, AssertionError),
    errors.DialerError: (CallrouteError,),
    errors.DialerParameterError: (ParameterError, errors.DialerError),
    errors.DialerConfigError: (ConfigError, errors.DialerError),
    errors.DialerTimeError: (TimeError, errors.DialerError),
    errors.DialerUnknownIdError: (UnknownIdError, errors.DialerError),
    errors.DialerDuplicateIdError: (DuplicateIdError, errors.DialerError),
    errors.DialerInvalidEventError: (InvalidEventError, errors.DialerError),
    errors.DialerSnapshotError: (SnapshotError, errors.DialerError),
}


@pytest.mark.parametrize("cls", list(TREE), ids=lambda c: c.__name__)
def test_each_class_has_its_documented_bases(cls: type[BaseException]) -> None:
    assert cls.__bases__ == TREE[cls]
    assert cls.__module__ == "callroute.errors"
    assert cls.__doc__


def test_the_tree_is_every_exception_of_the_module() -> None:
    exported = {getattr(errors, n) for n in errors.__all__}
    classes = {c for c in exported if isinstance(c, type) and issubclass(c, BaseException)}
    # the ARI adapter's errors (one more branch under CallrouteError) are tested with it
    ari = {c for c in classes if issubclass(c, errors.AriError)}
    assert all(issubclass(c, errors.CallrouteError) for c in ari)
    assert classes - ari == set(TREE)
    for cls in TREE:  # the curated top level keeps the common classes; the rest: errors
        if cls.__name__ in callroute.__all__:
            assert getattr(callroute, cls.__name__) is cls


def test_only_the_engine_classes_carry_the_engine_marker() -> None:
    for cls in TREE:
        marked = issubclass(cls, EngineError)
        assert marked == cls.__name__.startswith("Engine"), cls


def test_only_the_dialer_classes_carry_the_dialer_marker() -> None:
    for cls in TREE:
        marked = issubclass(cls, errors.DialerError)
        assert marked == cls.__name__.startswith("Dialer"), cls


# ---------------------------------------------------------------- raising sites


def _engine() -> callroute.Engine:
    eng = callroute.Engine(seed=1)
    eng.add_queue("q")
    eng.add_agent("a")
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="q")  # offered to a
    eng.call_arrived("c2", 2.0, queue="q")  # waiting
    return eng


ENGINE_SITES: list[tuple[str, Callable[[callroute.Engine], object], type[Exception]]] = [
    ("bad data value", lambda e: e.call_arrived("c9", 3.0, queue="q", data={"k": [1]}),
     EngineParameterError),
    ("bad data key", lambda e: e.call_arrived("c9", 3.0, queue="q", data={1: "v"}),
     EngineParameterError),
    ("bad setting", lambda e: e.add_queue("x", wrapup=-1.0), EngineConfigError),
    ("unknown option", lambda e: e.add_agent("x", skils={}), EngineConfigError),
    ("NaN time", lambda e: e.advance(math.nan), EngineTimeError),
    ("time backwards", lambda e: e.agent_not_ready("a", 0.5), EngineTimeError),
    ("time of a wrong type", lambda e: e.advance("now"), EngineTimeError),
    ("unknown agent", lambda e: e.agent_ready("zed", 3.0), EngineUnknownIdError),
    ("unknown queue", lambda e: e.call_arrived("c9", 3.0, queue="nope"), EngineUnknownIdError),
    ("duplicate call", lambda e: e.call_arrived("c1", 3.0, queue="q"), EngineDuplicateIdError),
    ("duplicate agent", lambda e: e.add_agent("a"), EngineDuplicateIdError),
    ("accept a waiting call", lambda e: e.offer_accepted("c2", 3.0), EngineInvalidEventError),
    ("junk snapshot", lambda e: callroute.Engine.restore(b"junk"), EngineSnapshotError),
    ("bad event in feed", lambda e: e.feed([("fly", 3.0)]), EngineConfigError),
    ("unknown id in feed", lambda e: e.feed([("agent_ready", "zed", 3.0)]),
     EngineUnknownIdError),
]  # fmt: skip


@pytest.mark.parametrize(("what", "act", "error"), ENGINE_SITES, ids=[s[0] for s in ENGINE_SITES])
def test_the_engine_raises_its_combined_classes(
    what: str, act: Callable[[callroute.Engine], object], error: type[Exception]
) -> None:
    eng = _engine()
    before = eng.snapshot()
    with pytest.raises(error) as info:
        act(eng)
    assert type(info.value) is error, what
    assert isinstance(info.value, EngineError)  # `except EngineError` still catches it
    assert eng.snapshot() == before


def test_engine_errors_pickle_as_their_class() -> None:
    eng = _engine()
    with pytest.raises(EngineConfigError) as info:
        eng.add_queue("x", wrapup=-1.0)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is EngineConfigError
    assert again.problems == info.value.problems
    assert str(again) == str(info.value)


def test_load_center_raises_config_error_with_problems_and_no_engine_marker() -> None:
    from callroute.center import load_mapping

    with pytest.raises(ConfigError) as info:
        load_mapping({"queues": {"sales": {"wrapup": -1}}}, source="c.yaml")
    err = info.value
    assert type(err) is ConfigError
    assert not isinstance(err, EngineError)
    assert err.source == "c.yaml"
    assert err.problems, err
    for problem in err.problems:
        assert isinstance(problem, Problem)
        assert str(problem) == f"{problem.location}: {problem.message}"
    assert any(p.location == "queues.sales.wrapup" for p in err.problems), err.problems


def test_model_errors_are_config_errors_from_python_and_from_the_binding() -> None:
    with pytest.raises(ModelError) as info:
        callroute.simulate({"queues": []}, horizon=10.0)
    assert isinstance(info.value, ConfigError)
    assert not isinstance(info.value, EngineError)
    assert info.value.problems
    # checked by serde in the native module: the same class, through the binding's table
    with pytest.raises(ModelError, match="EOF") as native:
        _core.sim_model("{")
    assert type(native.value) is ModelError


def test_read_forecast_raises_config_error(tmp_path: Any) -> None:
    path = tmp_path / "f.csv"
    path.write_text("interval_start,calls\n09:00,x\n")
    with pytest.raises(ConfigError) as info:
        callroute.load_forecast(path)
    assert type(info.value) is ConfigError
    assert info.value.problems[0].location == "line 2"


def test_ivr_bad_input_is_a_parameter_error_not_an_engine_error() -> None:
    with pytest.raises(ParameterError) as info:
        callroute.ivr.Digits("12x")
    assert type(info.value) is ParameterError
    flow = callroute.ivr.parse_flow(
        "f",
        {
            "start": "when",
            "nodes": {
                "when": {
                    "type": "hours",
                    "calendar": {"timezone": "UTC", "weekly": {"mon": ["00:00-24:00"]}},
                    "open": "bye",
                    "closed": "bye",
                },
                "bye": {"type": "hangup"},
            },
        },
    )
    session = callroute.ivr.Session(flow, clock=lambda now: now)  # type: ignore[arg-type, return-value]
    with pytest.raises(ParameterError, match="must return a datetime") as info:
        session.start(0.0)
    assert type(info.value) is ParameterError
    session = callroute.ivr.Session(flow, clock=lambda now: datetime(2024, 3, 4, tzinfo=UTC))
    with pytest.raises(InvalidEventError) as event:
        session.feed(callroute.ivr.Timeout(), 0.0)
    assert type(event.value) is InvalidEventError
    with pytest.raises(TimeError) as time:
        session.start(math.inf)
    assert type(time.value) is TimeError


def test_unknown_names_are_unknown_id_errors_everywhere() -> None:
    center = callroute.load_center(callroute.example_path("center"))
    sites: list[Callable[[], object]] = [
        lambda: center.operator("nobody"),
        lambda: center.directory.outbound("nope", datetime(2024, 3, 4, 10, tzinfo=UTC)),
    ]
    for site in sites:
        with pytest.raises(UnknownIdError) as info:
            site()
        assert type(info.value) is UnknownIdError
        assert isinstance(info.value, LookupError)


def test_unknown_names_of_a_fixed_vocabulary_are_parameter_errors() -> None:
    # a permission or a KPI outside its list is a value outside the argument's domain
    center = callroute.load_center(callroute.example_path("center"))
    with pytest.raises(ParameterError, match="unknown permission") as info:
        next(iter(center.operators.values())).has("fly")  # type: ignore[arg-type]
    assert type(info.value) is ParameterError
    model = callroute.load_model(callroute.example_path("model"))
    result = callroute.simulate(model, horizon=600.0, replications=1, seed=1)
    with pytest.raises(ParameterError, match="unknown KPI") as info:
        result.kpi("happiness")
    assert type(info.value) is ParameterError


def test_an_unknown_line_of_a_result_is_an_unknown_id_error() -> None:
    model = callroute.load_model(callroute.example_path("model"))
    result = callroute.simulate(model, horizon=600.0, replications=1, seed=1)
    for site in (
        lambda: result.kpi("asa", "no_such_line"),
        lambda: result.intervals("no_such_line"),
    ):
        with pytest.raises(UnknownIdError, match="unknown"):
            site()


def test_infeasible_and_parameter_errors_of_the_erlang_functions() -> None:
    with pytest.raises(ParameterError) as info:
        callroute.erlang_c(-1.0, 2)
    assert type(info.value) is ParameterError
    with pytest.raises(ParameterError) as info:
        callroute.erlang_c([1.0, -1.0], 2)
    assert type(info.value) is ParameterError


def test_problem_is_text_with_its_parts() -> None:
    p = Problem("queues.sales.wrapup", "must be >= 0, got -1")
    assert p == "queues.sales.wrapup: must be >= 0, got -1"
    assert (p.location, p.message) == ("queues.sales.wrapup", "must be >= 0, got -1")
    assert pickle.loads(pickle.dumps(p)).location == "queues.sales.wrapup"
    assert Problem.parse("calls[1].handle: unknown variant") == Problem(
        "calls[1].handle", "unknown variant"
    )
    assert Problem.parse("no location here").location == ""
    err = ConfigError("a: one\nb: two")
    assert [(q.location, q.message) for q in err.problems] == [("a", "one"), ("b", "two")]
