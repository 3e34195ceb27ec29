"""The public surface: a curated top level, old names that warn once, renamed things that
still work, and a contract in every public docstring (issue 12)."""

from __future__ import annotations

import datetime as dt
import inspect
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import callroute
import pytest
from callroute._internal import deprecation

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget which old names already warned in this process; record every warning."""
    monkeypatch.setattr(deprecation, "_warned", set())
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def _deprecations(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]


def test_the_top_level_is_curated() -> None:
    names = set(callroute.__all__)
    assert 30 <= len(names) <= 50, len(names)
    for core in ("Engine", "Offer", "load_center", "Center", "erlang_c", "staffing_plan"):
        assert core in names
    for core in ("simulate", "compare", "CallrouteError", "example_path", "load_model"):
        assert core in names
    # the other vocabularies live in their subpackages
    for other in ("Timeout", "Route", "gamma", "never", "trace", "BusinessHours", "load"):
        assert other not in names
    for name in names:
        assert getattr(callroute, name) is not None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("gamma", "callroute.sim.gamma"),
        ("Timeout", "callroute.ivr.Timeout"),
        ("BusinessHours", "callroute.hours.BusinessHours"),
        ("load", "callroute.center.load_center"),
        ("read_forecast", "callroute.forecast.load_forecast"),
        ("QueueStats", "callroute.engine.QueueStats"),
        ("servers_for_blocking", "callroute.erlang.agents_for_blocking"),
    ],
)
def test_an_old_top_level_name_warns_once_and_works(
    fresh_warnings: None, old: str, new: str
) -> None:
    module, _, attr = new.rpartition(".")
    expected = getattr(sys.modules[module], attr)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        first = getattr(callroute, old)
        second = getattr(callroute, old)
    assert first is expected
    assert second is expected
    messages = _deprecations(record)
    assert len(messages) == 1, messages  # once per name, not once per use
    assert f"callroute.{old} is deprecated" in messages[0]
    assert new in messages[0]


def test_old_names_import_with_from(fresh_warnings: None) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        from callroute import exponential, never

    assert exponential(3.0).to_json() == {"exponential": {"mean": 3.0}}
    assert never().to_json() == "never"
    assert len(_deprecations(record)) == 2


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        _ = callroute.no_such_thing  # type: ignore[attr-defined]


def test_example_path_replaces_the_three_helpers(fresh_warnings: None) -> None:
    kinds = {
        "center": "example_outsourcer.yaml",
        "model": "example_center.yaml",
        "outsourcer_model": "example_outsourcer_day.yaml",
        "forecast": "bank_weekday.csv",
    }
    for kind, file in kinds.items():
        path = callroute.example_path(kind)  # type: ignore[arg-type]
        assert path.name == file
        assert path.is_file()
    with pytest.raises(callroute.ParameterError, match="no example 'bank'"):
        callroute.example_path("bank")  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert callroute.example_config_path() == callroute.example_path("center")
        assert callroute.example_forecast_path() == callroute.example_path("forecast")
        assert callroute.example_model_path() == callroute.example_path("model")
        assert callroute.example_model_path("outsourcer") == callroute.example_path(
            "outsourcer_model"
        )
    messages = _deprecations(record)
    assert len(messages) == 3
    assert 'example_path("center")' in messages[0]


def test_subpackage_old_names_warn(fresh_warnings: None) -> None:
    import callroute.center
    import callroute.forecast
    import callroute.sim

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert callroute.center.load is callroute.center.load_center  # type: ignore[attr-defined]
        assert callroute.forecast.read_forecast is callroute.forecast.load_forecast  # type: ignore[attr-defined]
        assert callroute.sim.example_model_path("bank").name == "example_center.yaml"  # type: ignore[attr-defined]
    assert len(_deprecations(record)) == 3


def test_erlang_b_takes_agents_and_the_old_keyword_warns(fresh_warnings: None) -> None:
    truth = 1.0  # the Erlang B recurrence: B(n) = A B(n-1) / (n + A B(n-1))
    for n in range(1, 31):
        truth = 20 * truth / (n + 20 * truth)
    value = callroute.erlang_b(20, 30)
    assert abs(value / truth - 1) < 1e-12
    assert callroute.erlang_b(traffic=20, agents=30) == value
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert callroute.erlang_b(20, servers=30) == value
        assert callroute.erlang_b(20, servers=30) == value
        retrial = callroute.erlang.erlang_b_retrial(20, servers=30, retry_fraction=0.0)
    assert retrial.blocking == value
    messages = _deprecations(record)
    assert messages == [
        "erlang_b(servers=...) is deprecated; use agents=...",
        "erlang_b_retrial(servers=...) is deprecated; use agents=...",
    ]
    with pytest.raises(TypeError, match="both agents and servers"):
        callroute.erlang_b(20, agents=30, servers=30)
    assert list(inspect.signature(callroute.erlang_b).parameters) == ["traffic", "agents"]


def test_staffing_plan_labels_and_the_deprecated_interval(fresh_warnings: None) -> None:
    plan = callroute.staffing_plan(
        {"interval_start": ["09:00", "09:30"], "calls": [100, 120]},
        interval=1800,
        aht=180,
        target=20,
        level=0.8,
    )
    assert list(plan.labels) == ["09:00", "09:30"]
    assert plan.parameters["interval"] == 1800.0  # seconds, as everywhere else
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert list(plan.interval) == ["09:00", "09:30"]
        assert list(plan.interval) == ["09:00", "09:30"]
    assert _deprecations(record) == ["StaffingPlan.interval is deprecated; use .labels"]


def test_apply_open_hours_and_the_deprecated_open_queues(fresh_warnings: None) -> None:
    center = callroute.load_center(callroute.example_path("center"))
    with_hours = {n for n, q in center.queues.items() if q.hours is not None}
    assert with_hours, "the example has queues with business hours"
    berlin = dt.timezone(dt.timedelta(hours=1))
    sunday_night = dt.datetime(2026, 3, 1, 23, 30, tzinfo=berlin)
    changed = center.apply_open_hours(sunday_night)
    assert set(changed) == with_hours
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert center.open_queues(sunday_night) == changed  # type: ignore[attr-defined]
    assert _deprecations(record) == ["Center.open_queues is deprecated; use apply_open_hours"]


def test_moved_modules_still_import_with_a_warning() -> None:
    code = (
        "import warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "import callroute\n"  # the curated top level itself warns nothing
        "for name in ('simulation', 'plot', 'ivr.hours'):\n"
        "    try:\n"
        "        __import__('callroute.' + name)\n"
        "    except DeprecationWarning as w:\n"
        "        print(w)\n"
        "warnings.simplefilter('ignore')\n"
        "import callroute.simulation as s\n"
        "print(s.simulate is callroute.simulate)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,  # the installed package (the environment as the tests run it)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "callroute.simulation is deprecated; use callroute.sim (same names)",
        "callroute.plot is deprecated; use callroute.sim.plot (same names)",
        "callroute.ivr.hours is deprecated; use callroute.hours",
        "True",
    ]


def test_never_is_typed_and_the_json_the_core_reads_is_unchanged() -> None:
    from callroute import sim

    assert isinstance(sim.never(), sim.Never)
    assert not isinstance(sim.never(), str)
    assert sim.never().to_json() == "never"
    assert sim.gamma(180, 0.5).to_json() == {"gamma": {"mean": 180.0, "cv": 0.5}}
    assert sim.poisson(calls=90, per=1800).to_json() == {"poisson": {"rate": 0.05}}
    assert sim.piecewise([1800, 3600], interval=1800).to_json() == {
        "piecewise": {"start": 0.0, "interval": 1800.0, "rates": [1.0, 2.0]}
    }
    assert sim.trace([1, 2], [0, 1]).to_json() == {"trace": {"times": [1.0, 2.0], "types": [0, 1]}}
    # a typed value and its JSON form make the same model
    model: dict[str, Any] = {
        "queues": [{"name": "q"}],
        "groups": [{"name": "g", "count": 2}],
        "calls": [{"name": "c", "queue": "q", "handle": sim.exponential(60), "patience": None}],
        "arrivals": sim.poisson(0.01),
    }
    plain = {**model, "calls": [{**model["calls"][0], "handle": {"exponential": {"mean": 60}}}]}
    plain["arrivals"] = {"poisson": {"rate": 0.01}}
    for m in (model, plain):
        m["calls"][0]["patience"] = sim.never() if m is model else "never"
    a = callroute.simulate(model, horizon=3600, seed=5)
    b = callroute.simulate(plain, horizon=3600, seed=5)
    assert a.kpi("offered").tolist() == b.kpi("offered").tolist()
    assert a.kpi("asa").tolist() == b.kpi("asa").tolist()


# ------------------------------------------------------------------ help() shows a contract

SUBPACKAGES = (
    "callroute.engine",
    "callroute.erlang",
    "callroute.center",
    "callroute.ivr",
    "callroute.hours",
    "callroute.sim",
    "callroute.sim.plot",
    "callroute.staffing",
    "callroute.forecast",
    "callroute.errors",
)


def _public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Methods and properties a class defines itself (not inherited from object)."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            yield name, value.fget
        elif isinstance(value, (staticmethod, classmethod)):
            yield name, value.__func__
        elif callable(value) or inspect.ismethoddescriptor(value):
            yield name, value


def _documented(qualname: str, obj: Any, minimum: int = 20) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    return [] if len(doc.strip()) >= minimum else [f"{qualname}: no docstring"]


@pytest.mark.parametrize("name", sorted(set(callroute.__all__) - {"__version__"}))
def test_every_curated_name_documents_its_contract(name: str) -> None:
    """help() on a top-level name shows its contract: a function names every parameter
    and what it returns; a class says what it is and documents each of its methods."""
    obj = getattr(callroute, name)
    problems = _documented(name, obj, minimum=30)
    if inspect.isfunction(obj):
        doc = inspect.getdoc(obj) or ""
        for param in inspect.signature(obj).parameters.values():
            if param.kind is param.VAR_KEYWORD and param.name in doc:
                continue
            if f"``{param.name}``" not in doc and f":param {param.name}:" not in doc:
                problems.append(f"{name}: parameter {param.name!r} not described")
        if "return" not in doc.lower():
            problems.append(f"{name}: does not say what it returns")
    elif inspect.isclass(obj) and not issubclass(obj, BaseException):
        for member, value in _public_members(obj):
            problems += _documented(f"{name}.{member}", value)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", SUBPACKAGES)
def test_every_public_name_of_a_subpackage_has_a_docstring(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    assert len(inspect.getdoc(mod) or "") >= 30, f"{module}: no module docstring"
    problems: list[str] = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            continue  # constants and type aliases (Literal) carry no docstring of their own
        problems += _documented(f"{module}.{name}", obj)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member, value in _public_members(obj):
                problems += _documented(f"{module}.{name}.{member}", value)
    assert not problems, "\n".join(problems)


def test_every_former_top_level_name_still_resolves(fresh_warnings: None) -> None:
    """The 95 names of the old flat top level: each is curated or has a home to warn about."""
    import importlib

    moved = callroute._MOVED  # type: ignore[attr-defined]
    for name, entry in moved.items():
        home = entry[0] if isinstance(entry, tuple) else entry
        module, _, attr = home.partition(":")
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            obj = getattr(callroute, name)
            target = importlib.import_module(module)
            assert obj is (getattr(target, attr) if attr else target), name
        assert len(_deprecations(record)) >= 1, name
    assert not set(moved) & set(callroute.__all__)
    assert set(OLD_TOP_LEVEL) <= set(moved) | set(callroute.__all__)


# callroute.__all__ before the curation (the release before issue 12), as recorded then.
OLD_TOP_LEVEL = [
    "AgentStateChanged",
    "AgentStats",
    "BusinessHours",
    "CallInfo",
    "CallView",
    "CallrouteError",
    "Center",
    "Collect",
    "Comparison",
    "ConfigError",
    "Decision",
    "Digits",
    "Directory",
    "DuplicateIdError",
    "Engine",
    "EngineError",
    "EngineInvariantError",
    "ErlangAResult",
    "Exit",
    "Flow",
    "Forecast",
    "Hangup",
    "HungUp",
    "InfeasibleError",
    "IntervalStats",
    "InvalidEventError",
    "Lookup",
    "LookupResult",
    "ModelError",
    "Offer",
    "OfferCallback",
    "Operator",
    "OperatorView",
    "Outcome",
    "Overflow",
    "ParameterError",
    "PermissionDenied",
    "Play",
    "PlaybackDone",
    "QueueStats",
    "Queued",
    "ReentrancyError",
    "Refusal",
    "RetrialResult",
    "Revoked",
    "Route",
    "ServiceLevelDefinition",
    "Session",
    "SetData",
    "SimulationResult",
    "SnapshotError",
    "StaffingPlan",
    "StepReached",
    "Tenant",
    "TimeError",
    "Timeout",
    "Totals",
    "Transfer",
    "UnknownIdError",
    "Voicemail",
    "__version__",
    "agents_for_asa",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "asa",
    "compare",
    "deterministic",
    "empirical",
    "erlang_a",
    "erlang_b",
    "erlang_b_retrial",
    "erlang_c",
    "example_config_path",
    "example_forecast_path",
    "example_model_path",
    "exponential",
    "gamma",
    "load",
    "load_mapping",
    "load_model",
    "lognormal",
    "never",
    "occupancy",
    "parse_flow",
    "piecewise",
    "poisson",
    "queue_length",
    "read_forecast",
    "run_lookup",
    "servers_for_blocking",
    "service_level",
    "simulate",
    "staffing_plan",
    "trace",
    "wait_quantile",
]
