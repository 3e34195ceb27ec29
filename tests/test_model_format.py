"""The model file format (``kind: model``, ``version: 1``): every field, problems at the
user's own path and line, the old list-shaped files, ``callroute check`` and the schema.

Expected values come from the format's rules (README "Simulation model file", the
distributions' documented forms), never from the loader's own output.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import callroute as cr
import numpy as np
import pytest
import yaml
from callroute._internal import deprecation
from callroute.sim import load_model, parse_model
from callroute.sim.modelfile import convert
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASIC = """\
version: 1
kind: model
horizon: 3600
queues:
  billing: {skills: {billing: 1}}
groups:
  tier1: {count: 5, skills: {billing: 3}}
calls:
  billing:
    queue: billing
    handle: exponential(180)
arrivals:
  poisson: {rate: 60, per: 3600}
"""


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget which deprecations already warned in this process."""
    monkeypatch.setattr(deprecation, "_warned", set())
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def _write(tmp_path: Path, text: str, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[cr.errors.Problem]:
    with pytest.raises(cr.ModelError) as info:
        load_model(_write(tmp_path, text))
    assert isinstance(info.value, cr.ConfigError)
    return info.value.problems


# ------------------------------------------------------------------------ every field


FULL = """\
version: 1
kind: model
start: 0
horizon: 21600
warmup: 600
interval: 7200
max_calls: 100000
drain: 3600
max_in_system: 5000
record_calls: true
periods: {start: 0, length: 7200}
busyness: independent
daily_multiplier: gamma(shape=25, rate=25)
queues:
  sales:
    tenant: acme
    media: voice
    skills: {sales: 2}
    strategy: highest_proficiency
    sl_threshold: 30
    short_abandon: 4
    wrapup: 10
    offer_timeout: 12
    retry: 3
    max_wait: 600
    overflow: backup
    steps:
      - {after: 30, skills: {sales: 1}, priority: 2}
      - {after: 60, also_queues: [backup]}
    weight: 1
    aging: 0.5
    max_no_answer: 2
    join_empty: false
    leave_when_empty: true
    shared_with: [partner]
    expected_aht: 200
  backup: {}
groups:
  experts:
    tenant: acme
    skills: {sales: 5}
    counts: [3, 4, 2]
    capacity: {voice: 1, chat: 2}
    exclusive: [voice]
    weight: 2
    no_answer: 0.05
    ring: 4
  juniors:
    skills: {sales: 2}
    counts: [1, 2]
    start: 3600
    interval: 1800
  night:
    shifts:
      - {start: 0, end: 14400, breaks: [[3600, 4500]]}
  all_day:
    count: 2
calls:
  sale:
    queue: sales
    priority: 1
    share: 2
    handle: {lognormal: {mean: 240, cv: 1.1}}
    handle_by_group:
      experts: exponential(150)
    handle_by_level: {5: 0.8, 2: 1.25}
    patience: exponential(300)
    wrapup: deterministic(15)
    retrial: {probability: 0.3, delay: exponential(600)}
    callback: {after: 120, accept: 0.5}
    balking: {probability: 0.1}
  chat:
    skills: {sales: 1}
    tenant: acme
    media: chat
    sl_threshold: 60
    handle_by_period: [exponential(120), "gamma(100, 0.5)", 90]
    patience_by_period: [never, "empirical(30, 60, 90)", exponential(200)]
    balking: {by_expected_wait: [[30, 0.1], [120, 0.5]]}
    arrivals:
      piecewise: {calls: [10, 20, 30]}
  own_poisson:
    queue: backup
    handle: exponential(60)
    wrapup_by_period: [deterministic(5), deterministic(10), deterministic(20)]
    arrivals:
      poisson: {calls: 30, per: 3600}
arrivals:
  trace: {times: [1, 2, 3], types: [sale, sale, sale]}
"""


def test_every_field_maps_to_the_list_shaped_model(tmp_path: Path) -> None:
    model = load_model(_write(tmp_path, FULL))
    assert set(model) == {
        "queues",
        "groups",
        "calls",
        "arrivals",
        "periods",
        "busyness",
        "daily_multiplier",
        "start",
        "horizon",
        "warmup",
        "interval",
        "max_calls",
        "drain",
        "max_in_system",
        "record_calls",
    }
    assert (model["horizon"], model["warmup"], model["interval"]) == (21600, 600, 7200)
    assert (model["max_calls"], model["drain"], model["max_in_system"]) == (100000, 3600, 5000)
    assert model["record_calls"] is True
    assert model["periods"] == {"start": 0, "length": 7200}
    assert model["busyness"] == "independent"
    # Gamma(shape a, rate b): mean a/b, coefficient of variation 1/sqrt(a)
    assert model["daily_multiplier"] == {"gamma": {"mean": 1.0, "cv": pytest.approx(0.2)}}

    # a queue another names comes first (the engine adds it before)
    backup, sales = model["queues"]
    assert sales == {
        "name": "sales",
        "tenant": "acme",
        "media": "voice",
        "skills": {"sales": 2},
        "strategy": "highest_proficiency",
        "sl_threshold": 30,
        "short_abandon": 4,
        "wrapup": 10,
        "offer_timeout": 12,
        "retry": 3,
        "max_wait": 600,
        "overflow": "backup",
        "steps": [
            {"after": 30, "skills": {"sales": 1}, "also_queues": [], "priority": 2},
            {"after": 60, "skills": None, "also_queues": ["backup"], "priority": 0},
        ],
        "weight": 1,
        "aging": 0.5,
        "max_no_answer": 2,
        "join_empty": False,
        "leave_when_empty": True,
        "shared_with": ["partner"],
        "expected_aht": 200,
    }
    # an empty queue takes Engine.add_queue's documented defaults
    assert backup["name"] == "backup"
    assert (backup["tenant"], backup["strategy"], backup["sl_threshold"]) == (
        "default",
        "longest_idle",
        20,
    )

    groups = {g["name"]: g for g in model["groups"]}
    assert list(groups) == ["experts", "juniors", "night", "all_day"]
    assert groups["experts"] == {
        "name": "experts",
        "tenant": "acme",
        "skills": {"sales": 5},
        "counts": [3, 4, 2],
        "start": 0,  # from periods
        "interval": 7200,  # from periods
        "capacity": {"voice": 1, "chat": 2},
        "exclusive": ["voice"],
        "weight": 2,
        "no_answer": 0.05,
        "ring": {"deterministic": {"value": 4}},
    }
    assert groups["juniors"]["start"] == 3600
    assert groups["juniors"]["interval"] == 1800
    assert groups["night"]["shifts"] == [{"start": 0, "end": 14400, "breaks": [(3600, 4500)]}]
    assert groups["all_day"] == {"name": "all_day", "count": 2}

    sale, chat, own = model["calls"]
    assert sale["name"] == "sale"
    assert sale["queue"] == "sales"
    assert (sale["priority"], sale["share"]) == (1, 2)
    assert sale["handle"] == {"lognormal": {"mean": 240, "cv": 1.1}}
    assert sale["handle_by_group"] == [["experts", {"exponential": {"mean": 150}}]]
    assert sale["handle_by_level"] == [[5, 0.8], [2, 1.25]]
    assert sale["patience"] == {"exponential": {"mean": 300}}
    assert sale["wrapup"] == {"deterministic": {"value": 15}}
    assert sale["retrial"] == {"probability": 0.3, "delay": {"exponential": {"mean": 600}}}
    assert sale["callback"] == {"after": 120, "accept": 0.5}
    assert sale["balking"] == {"probability": 0.1}
    assert "arrivals" not in sale

    assert chat["skills"] == {"sales": 1}
    assert (chat["tenant"], chat["media"], chat["sl_threshold"]) == ("acme", "chat", 60)
    assert chat["handle_by_period"] == [
        {"exponential": {"mean": 120}},
        {"gamma": {"mean": 100, "cv": 0.5}},
        {"deterministic": {"value": 90}},
    ]
    assert chat["patience_by_period"] == [
        "never",
        {"empirical": {"values": [30, 60, 90]}},
        {"exponential": {"mean": 200}},
    ]
    assert chat["balking"] == {"by_expected_wait": [[30, 0.1], [120, 0.5]]}
    # calls per interval -> calls per second; start and interval from periods
    rates = chat["arrivals"]["piecewise"]
    assert (rates["start"], rates["interval"]) == (0, 7200)
    assert rates["rates"] == pytest.approx([10 / 7200, 20 / 7200, 30 / 7200])
    assert own["wrapup_by_period"] == [
        {"deterministic": {"value": 5}},
        {"deterministic": {"value": 10}},
        {"deterministic": {"value": 20}},
    ]
    assert own["arrivals"] == {"poisson": {"rate": pytest.approx(30 / 3600)}}
    # trace types are call type names in the file, indices in the core's form
    assert model["arrivals"] == {"trace": {"times": [1, 2, 3], "types": [0, 0, 0]}}


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("exponential(180)", {"exponential": {"mean": 180}}),
        ("exponential(mean=180)", {"exponential": {"mean": 180}}),
        ("{exponential: {mean: 180}}", {"exponential": {"mean": 180}}),
        ("'lognormal(177, 1.23)'", {"lognormal": {"mean": 177, "cv": 1.23}}),
        ("'gamma(mean=50, cv=0.5)'", {"gamma": {"mean": 50, "cv": 0.5}}),
        ("'gamma(shape=4, rate=0.02)'", {"gamma": {"mean": 200, "cv": 0.5}}),
        ("{gamma: {shape: 4, rate: 0.02}}", {"gamma": {"mean": 200, "cv": 0.5}}),
        ("deterministic(30)", {"deterministic": {"value": 30}}),
        ("30", {"deterministic": {"value": 30}}),
        ("0", {"deterministic": {"value": 0}}),
        ("'empirical(10, 20.5, 30)'", {"empirical": {"values": [10, 20.5, 30]}}),
        ("{empirical: {values: [10, 20]}}", {"empirical": {"values": [10, 20]}}),
        ("never", "never"),
    ],
)
def test_distribution_forms(tmp_path: Path, written: str, meant: Any) -> None:
    text = BASIC.replace(
        "handle: exponential(180)", f"handle: exponential(1)\n    patience: {written}"
    )
    model = load_model(_write(tmp_path, text))
    patience = model["calls"][0]["patience"]
    if isinstance(meant, dict):
        (kind, params), ((got_kind, got),) = next(iter(meant.items())), patience.items()
        assert got_kind == kind
        assert set(got) == set(params)
        for key, value in params.items():
            assert got[key] == pytest.approx(value)
    else:
        assert patience == meant


# ------------------------------------------------------------------------ problems with lines


BAD_CASES = [
    (
        (
            "handle: exponential(180)",
            "handle: exponential(180)\n    patience: 0\n    retrial: {probability: 1, delay: 0}",
        ),
        "calls.billing.retrial.delay",
        "would never end",
        13,
    ),
    (
        ("handle: exponential(180)", "handle_by_period: [1, 2, 3]\n    patience_by_period: [1, 2]"),
        "calls.billing.patience_by_period",
        "gives 2 periods where calls.billing.handle_by_period gives 3",
        12,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "trace: {times: [1, 5, 3]}"),
        "arrivals.trace.times[2]",
        "must not be before the time before it",
        13,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "trace: {times: [1, 5], types: [billing]}"),
        "arrivals.trace.types",
        "one call type per arrival time: 1 types for 2 times",
        13,
    ),
    (
        (
            "handle: exponential(180)",
            "handle: exponential(180)\n    arrivals: {poisson: {rate: 1}}",
        ),
        "arrivals",
        "every call type has arrivals of its own",
        13,
    ),
    (
        ("queue: billing", "skills: {billing: 1}\n    wrapup: 10"),
        "calls.billing",
        "wrapup is only for queue-routed call types",
        9,
    ),
    # (what replaces what in BASIC, location, message fragment, line)
    (
        ("handle: exponential(180)", "handle: exponential(-5)"),
        "calls.billing.handle.exponential.mean",
        "must be > 0, got -5",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: {exponential: {mean: 0}}"),
        "calls.billing.handle.exponential.mean",
        "must be > 0",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: exponental(180)"),
        "calls.billing.handle",
        "unknown distribution 'exponental' (did you mean 'exponential'?)",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: {lognorma: {mean: 3, cv: 1}}"),
        "calls.billing.handle",
        "did you mean 'lognormal'?",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: exponential(abc)"),
        "calls.billing.handle",
        "'abc' is not a number",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: [1, 2]"),
        "calls.billing.handle",
        "must be a distribution",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: 'gamma(mean=3)'"),
        "calls.billing.handle.gamma",
        "give mean and cv, or shape and rate",
        11,
    ),
    (
        ("queue: billing", "queue: biling"),
        "calls.billing.queue",
        "unknown queue 'biling' (did you mean 'billing'?)",
        10,
    ),
    (
        ("queue: billing", "queue: billing\n    shre: 2"),
        "calls.billing.shre",
        "unknown field (did you mean 'share'?)",
        11,
    ),
    (
        ("horizon: 3600", "horizon: 3600\nhorizn: 5"),
        "horizn",
        "unknown field (did you mean 'horizon'?)",
        4,
    ),
    (
        ("horizon: 3600", "horizon: -1"),
        "horizon",
        "must be >= 0, got -1",
        3,
    ),
    (
        ("horizon: 3600", "horizon: soon"),
        "horizon",
        "must be a number, got the string 'soon'",
        3,
    ),
    (
        ("{count: 5, skills: {billing: 3}}", "{count: -2, skills: {billing: 3}}"),
        "groups.tier1.count",
        "must be >= 0, got -2",
        7,
    ),
    (
        ("{count: 5, skills: {billing: 3}}", "{count: 5, skills: {billing: 300}}"),
        "groups.tier1.skills.billing",
        "must be <= 255",
        7,
    ),
    (
        ("{count: 5, skills: {billing: 3}}", "{skills: {billing: 3}}"),
        "groups.tier1",
        "give count, counts (per interval) or shifts",
        7,
    ),
    (
        ("{count: 5, skills: {billing: 3}}", "{count: 5, counts: [1, 2], interval: 60}"),
        "groups.tier1",
        "give one of count, counts or shifts",
        7,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "poisson: {rate: -60, per: 3600}"),
        "arrivals.poisson.rate",
        "must be >= 0, got -60",
        13,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "poison: {rate: 60}"),
        "arrivals",
        "must be one of",
        12,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "piecewise: {calls: [1, 2]}"),
        "arrivals.piecewise",
        "needs interval (or the model's periods)",
        13,
    ),
    (
        ("handle: exponential(180)", "handle_by_period: [exponential(180)]"),
        "calls.billing.handle_by_period",
        "needs the model's periods",
        11,
    ),
    (
        ("handle: exponential(180)", "handle: exponential(180)\n    handle_by_group: {tier2: 60}"),
        "calls.billing.handle_by_group.tier2",
        "unknown group 'tier2' (did you mean 'tier1'?)",
        12,
    ),
    (
        ("handle: exponential(180)", "handle: exponential(180)\n    handle_by_level: {1: -2}"),
        "calls.billing.handle_by_level[1]",
        "must be > 0",
        12,
    ),
    (
        ("handle: exponential(180)", "handle: exponential(180)\n    balking: {probability: 2}"),
        "calls.billing.balking.probability",
        "must be <= 1, got 2",
        12,
    ),
    (
        ("handle: exponential(180)", "handle: exponential(180)\n    balking: {}"),
        "calls.billing.balking",
        "give probability or by_expected_wait",
        12,
    ),
    (
        ("queue: billing", "skills: {billing: 1}\n    queue: billing"),
        "calls.billing",
        "give queue or skills",
        9,
    ),
    (
        ("    handle: exponential(180)\n", ""),
        "calls.billing",
        "give handle (or handle_by_period)",
        9,
    ),
    (
        ("version: 1", "version: 2"),
        "version",
        "must be one of: 1; got 2",
        1,
    ),
    (
        ("version: 1\n", ""),
        "version",
        "required: version: 1",
        None,
    ),
    (
        (
            "  billing: {skills: {billing: 1}}",
            "  billing: {skills: {billing: 1}, overflow: bak, max_wait: 9}",
        ),
        "queues.billing.overflow",
        "unknown queue 'bak'",
        5,
    ),
    (
        ("poisson: {rate: 60, per: 3600}", "trace: {times: [1, 2], types: [billing, sales]}"),
        "arrivals.trace.types[1]",
        "unknown call type 'sales'",
        13,
    ),
]


@pytest.mark.parametrize(("edit", "location", "fragment", "line"), BAD_CASES)
def test_a_problem_names_the_users_path_and_line(
    tmp_path: Path, edit: tuple[str, str], location: str, fragment: str, line: int | None
) -> None:
    assert edit[0] in BASIC
    problems = _problems(tmp_path, BASIC.replace(edit[0], edit[1], 1))
    mine = [p for p in problems if p.location == location]
    assert mine, [str(p) for p in problems]
    assert fragment in mine[0].message, str(mine[0])
    if line is not None:
        assert mine[0].message.endswith(f"(model.yaml line {line})"), str(mine[0])


def test_every_problem_at_once_in_file_order(tmp_path: Path) -> None:
    text = """\
    version: 1
    kind: model
    horizon: 3600
    queues:
      a: {}
    groups:
      g: {count: -1}
    calls:
      x:
        queue: b
        handle: exponential(0)
        patience: never
      y:
        queue: a
        handle: lognormal(10, -1)
    arrivals: {poisson: {rate: 1}}
    colour: blue
    """
    with pytest.raises(cr.ModelError) as info:
        load_model(_write(tmp_path, text))
    err = info.value
    assert [(p.location, p.message.rsplit("(", 1)[1]) for p in err.problems] == [
        ("groups.g.count", "model.yaml line 7)"),
        ("calls.x.queue", "model.yaml line 10)"),
        ("calls.x.handle.exponential.mean", "model.yaml line 11)"),
        ("calls.y.handle.lognormal.cv", "model.yaml line 15)"),
        ("colour", "model.yaml line 17)"),
    ]
    assert err.source == str(tmp_path / "model.yaml")
    # str(err): one problem a line, each prefixed with the file
    assert str(err).splitlines()[0].startswith(f"{tmp_path / 'model.yaml'}: groups.g.count: ")


def test_a_comma_inside_a_flow_collection_gets_a_hint(tmp_path: Path) -> None:
    text = BASIC.replace(
        "    queue: billing\n    handle: exponential(180)",
        "    {queue: billing, handle: lognormal(240, 1.1)}",
    )
    assert text != BASIC
    problems = _problems(tmp_path, text.replace("  billing:\n    {", "  billing: {"))
    assert any("must be quoted" in p.message for p in problems), problems
    text = BASIC.replace("handle: exponential(180)", "handle_by_period: [lognormal(240, 1.1)]")
    problems = _problems(tmp_path, "periods: {length: 60}\n" + text)
    assert any("must be quoted" in p.message for p in problems), problems


def test_json_model_files_get_lines_too(tmp_path: Path) -> None:
    data = yaml.safe_load(BASIC)
    data["calls"]["billing"]["handle"] = {"exponential": {"mean": -1}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    text = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text, 1) if '"mean": -1' in t)
    with pytest.raises(cr.ModelError) as info:
        load_model(path)
    (problem,) = info.value.problems
    assert problem.location == "calls.billing.handle.exponential.mean"
    assert problem.message.endswith(f"(model.json line {line})")


def test_parse_model_reads_text_and_names_its_source() -> None:
    model = parse_model(BASIC)
    assert model["calls"][0]["handle"] == {"exponential": {"mean": 180}}
    with pytest.raises(cr.ModelError) as info:
        parse_model(BASIC.replace("count: 5", "count: x"), source="mine.yaml")
    assert str(info.value) == (
        "mine.yaml: groups.tier1.count: must be an integer, got the string 'x' (mine.yaml line 7)"
    )
    with pytest.raises(cr.ModelError, match="not a model of the name-keyed format"):
        parse_model("tenants: {}")


# ------------------------------------------------------------------------ running


def test_a_new_format_mapping_runs_as_the_list_shaped_one() -> None:
    mapping = yaml.safe_load(BASIC)
    a = cr.simulate(mapping, replications=2, seed=4)
    b = cr.simulate(parse_model(BASIC), replications=2, seed=4)
    for x, y in zip(a.runs, b.runs, strict=True):
        assert np.array_equal(x["answered"], y["answered"])
        assert np.array_equal(x["wait_all"], y["wait_all"])
    # with_strategy works on the name-keyed form as well
    variant = cr.sim.SimModel(mapping).with_strategy("round_robin")
    assert [q["strategy"] for q in variant["queues"]] == ["round_robin"]


DAY_AT = """\
version: 1
start: {start}
horizon: 7200
interval: 3600
{periods}
queues:
  billing: {{}}
groups:
  tier1: {{counts: [2, 6], interval: 3600}}
calls:
  billing: {{queue: billing, handle: exponential(180), patience: exponential(120)}}
arrivals: {{piecewise: {{interval: 3600, calls: [100, 200]}}}}
"""


@pytest.mark.parametrize("periods", ["", "periods: {length: 3600}"])
def test_a_model_starting_at_8_takes_its_starts_from_the_model(periods: str) -> None:
    # README: piecewise arrivals and counts without a start of their own start with the
    # model's periods, else with the model itself (a day at 08:00 never sees 0)
    model = parse_model(DAY_AT.format(start=28800, periods=periods))
    assert model["arrivals"]["piecewise"]["start"] == 28800
    assert model["groups"][0]["start"] == 28800
    if periods:
        assert model["periods"] == {"start": 28800, "length": 3600}
    late = cr.simulate(model, replications=2, seed=3)
    early = cr.simulate(
        parse_model(DAY_AT.format(start=0, periods=periods)), replications=2, seed=3
    )
    # the same callers whatever the clock reads (same seed), and some of them
    for x, y in zip(late.runs, early.runs, strict=True):
        assert np.array_equal(x["offered"], y["offered"])
        assert np.sum(x["offered"]) > 0
    given = DAY_AT.format(start=28800, periods="periods: {start: 25200, length: 3600}")
    assert parse_model(given)["arrivals"]["piecewise"]["start"] == 25200


OLD = """\
horizon: 3600
queues:
  - {name: billing, skills: {billing: 1}}
groups:
  - {name: tier1, count: 5, skills: {billing: 3}}
calls:
  - {name: billing, queue: billing, handle: {exponential: {mean: 180}}}
arrivals:
  poisson: {calls: 60, per: 3600}
"""


def test_the_old_list_shaped_file_loads_with_one_warning_and_runs_the_same(
    tmp_path: Path, fresh_warnings: None
) -> None:
    old_path = _write(tmp_path, OLD, "old.yaml")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = load_model(old_path)
        load_model(old_path)
    messages = [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]
    assert len(messages) == 1
    assert "list-shaped model files are deprecated" in messages[0]
    new = load_model(_write(tmp_path, BASIC))
    a = cr.simulate(old, replications=3, seed=11)
    b = cr.simulate(new, replications=3, seed=11)
    for x, y in zip(a.runs, b.runs, strict=True):
        for key in ("offered", "answered", "abandoned", "wait_all", "busy"):
            assert np.array_equal(x[key], y[key]), key


def test_the_bundled_bank_model_is_the_old_one_rewritten(tmp_path: Path) -> None:
    # the bank's day as it was shipped before the format (list-shaped), run against the
    # bundled file of the new format: identical replications with the same seed
    new = load_model(cr.example_path("model"))
    old: dict[str, Any] = {
        "start": 25200,
        "horizon": 61200,
        "interval": 1800,
        "queues": [
            {"name": "general", "skills": {"general": 1}, "sl_threshold": 20},
            {
                "name": "premium",
                "skills": {"premium": 5},
                "sl_threshold": 20,
                "weight": 1,
                "steps": [
                    {"after": 30, "skills": {"premium": 1}},
                    {"after": 60, "also_queues": ["general"], "priority": 1},
                ],
            },
        ],
        "groups": [
            {
                "name": g["name"],
                "skills": g["skills"],
                "start": 25200,
                "interval": 1800,
                "counts": g["counts"],
            }
            for g in new["groups"]
        ],
        "calls": [
            {
                "name": "general",
                "queue": "general",
                "share": 0.8,
                "handle": cr.sim.lognormal(177, 1.23),
                "patience": cr.sim.exponential(352),
            },
            {
                "name": "premium",
                "queue": "premium",
                "share": 0.2,
                "priority": 1,
                "handle": cr.sim.lognormal(200, 1.1),
                "patience": cr.sim.exponential(352),
            },
        ],
        "arrivals": new["arrivals"],
    }
    a = cr.simulate(new, replications=2, seed=3, horizon=7200)
    b = cr.simulate(old, replications=2, seed=3, horizon=7200)
    for x, y in zip(a.runs, b.runs, strict=True):
        for key in ("offered", "answered", "abandoned", "wait_all"):
            assert np.array_equal(x[key], y[key]), key


def test_bundled_examples_load(tmp_path: Path) -> None:
    for kind in (
        "model",
        "outsourcer_model",
        "contactcenters_mmc",
        "contactcenters_mmcab",
        "contactcenters_simplemsk",
    ):
        path = cr.example_path(kind)  # type: ignore[arg-type]
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert (data["version"], data["kind"]) == (1, "model"), kind
        load_model(path)
    # the outsourcer's day takes the center file next to it
    day = load_model(cr.example_path("outsourcer_model"))
    assert Path(day["center"]) == cr.example_path("center")


def test_simplemsk_says_what_contactcenters_says() -> None:
    model = load_model(cr.example_path("contactcenters_simplemsk"))
    calls = {c["name"]: c for c in model["calls"]}
    # per-type rates per minute in three two-hour periods, as calls per second
    assert calls["type1"]["arrivals"]["piecewise"]["rates"] == pytest.approx(
        [5.1 / 60, 4.3 / 60, 4.8 / 60]
    )
    # service rates 0.5, 0.6, 0.4 a minute; abandonment 0.3, 0.4, 0.2 a minute
    means = [d["exponential"]["mean"] for d in calls["type0"]["handle_by_period"]]
    assert means == pytest.approx([120, 100, 150])
    means = [d["exponential"]["mean"] for d in calls["type2"]["patience_by_period"]]
    assert means == pytest.approx([200, 150, 300])
    # busyness Gamma(28.7, 28.7): mean 1, cv 1/sqrt(28.7)
    gamma = model["daily_multiplier"]["gamma"]
    assert gamma["mean"] == pytest.approx(1.0)
    assert gamma["cv"] == pytest.approx(1 / math.sqrt(28.7))
    groups = {g["name"]: g["counts"] for g in model["groups"]}
    assert groups == {"group0": [12, 18, 9], "group1": [15, 20, 11]}


def test_mmc_runs() -> None:
    result = cr.simulate(load_model(cr.example_path("contactcenters_mmc")), replications=4, seed=1)
    # 4.2 calls a minute for eight hours
    assert abs(result.kpi("offered").mean() - 4.2 * 480) < 4 * math.sqrt(4.2 * 480 / 4)
    result = cr.simulate(load_model(cr.example_path("contactcenters_mmcab")), replications=4)
    assert result.kpi("abandon_rate").mean() > 0


JUNK = [None, -1, 0, 2.5, 1e308, True, "x", "exponential(", "never", [], {}, [1, "a"], {"a": 1}]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_leaves(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_leaves(v, (*path, i)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_damage_is_a_model_error_never_a_crash(data: st.DataObject) -> None:
    doc = yaml.safe_load(FULL)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _leaves(doc) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            # (a copy: a later step may damage inside it, and JUNK must stay as it is)
            parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(JUNK)))
    problems: list[Any] = []
    try:
        model = convert(doc, source="fuzz.yaml")
    except cr.ModelError as exc:
        problems = exc.problems
        assert problems
    else:
        assert isinstance(model["calls"], list)
    assert all(isinstance(p, cr.errors.Problem) for p in problems)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reading TOML needs Python 3.11")
def test_a_toml_model_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        version = 1
        kind = "model"
        horizon = 3600

        [queues.billing]
        skills = {billing = 1}

        [groups.tier1]
        count = 5
        skills = {billing = 3}

        [calls.billing]
        queue = "billing"
        handle = "exponential(180)"
        handle_by_level = {"3" = 0.5}

        [arrivals.poisson]
        rate = 60
        per = 3600
        """,
        "model.toml",
    )
    model = load_model(path)
    assert model["calls"][0]["handle_by_level"] == [[3, 0.5]]
    assert model["arrivals"] == {"poisson": {"rate": pytest.approx(60 / 3600)}}
    path.write_text(path.read_text().replace('"exponential(180)"', '"exponential(-1)"'))
    with pytest.raises(cr.ModelError, match=r"calls\.billing\.handle\.exponential\.mean: must"):
        load_model(path)


def test_simplemsk_runs() -> None:
    # a short run: the acceptance against the published figures is the simulator's own test
    model = load_model(cr.example_path("contactcenters_simplemsk"))
    result = cr.simulate(model, replications=3, seed=2)
    assert set(result.lines) == {"type0", "type1", "type2"}
    assert set(result.groups) == {"group0", "group1"}
    # about 5,200 calls a day: (4.2+5.3+3.2 + 5.1+4.3+4.8 + 6.3+5.2+4.8) a minute x 120 min
    expected = (4.2 + 5.3 + 3.2 + 5.1 + 4.3 + 4.8 + 6.3 + 5.2 + 4.8) * 120
    offered = result.kpi("offered").mean()
    assert 0.7 * expected < offered < 1.3 * expected


def test_every_field_runs(tmp_path: Path) -> None:
    result = cr.simulate(load_model(_write(tmp_path, FULL)), replications=2, seed=5)
    assert "sales" in result.lines


def _totals(result: cr.SimulationResult, key: str) -> np.ndarray:
    return np.array([np.sum(run[key]) for run in result.runs])


@pytest.mark.parametrize(
    ("kind", "seed"),
    [("contactcenters_mmc", 1), ("contactcenters_mmcab", 2), ("contactcenters_simplemsk", 3)],
)
def test_the_contactcenters_files_are_the_accepted_models(kind: str, seed: int) -> None:
    """The bundled files run exactly as the models of the simulator's acceptance tests
    (test_sim_lab.py, against the published figures): same calls, same outcomes, same agent
    time, replication by replication."""
    from test_sim_lab import mmc, simple_msk

    accepted = {
        "contactcenters_mmc": lambda: mmc(),
        "contactcenters_mmcab": lambda: mmc(cr.sim.exponential(60.0)),
        "contactcenters_simplemsk": simple_msk,
    }[kind]()
    ours = cr.simulate(load_model(cr.example_path(kind)), replications=4, seed=seed)  # type: ignore[arg-type]
    theirs = cr.simulate(accepted, replications=4, seed=seed)
    for key in ("offered", "answered", "abandoned", "answered_within", "abandoned_within"):
        assert np.array_equal(_totals(ours, key), _totals(theirs, key)), key
    for key in ("busy", "staffed", "wait_answered"):
        assert np.allclose(_totals(ours, key), _totals(theirs, key), rtol=1e-12), key
