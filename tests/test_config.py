"""The center configuration: loading, precise errors (golden), lint, schema, CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, get_args

import callroute as cr
import pytest
import yaml
from callroute.center import load_mapping, schema
from callroute.cli import main
from callroute.engine import Strategy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE: dict[str, Any] = {
    "skills": ["billing", "cards"],
    "tenants": {"bank": {"numbers": ["+4980010"]}},
    "queues": {
        "billing": {
            "tenant": "bank",
            "skills": {"billing": 3},
            "steps": [{"after": 30, "skills": {"billing": 1}}],
        },
        "cards": {"tenant": "bank", "skills": {"cards": 1}},
    },
    "agents": {"ann": {"tenant": "bank", "skills": {"billing": 5, "cards": 2}}},
}


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(cr.ConfigError) as info:
        load_mapping(data)
    return info.value.problems


def test_base_is_valid_and_clean() -> None:
    center = load_mapping(base())
    assert center.lint() == []
    assert center.engine.queues() == ["billing", "cards"]


# ----------------------------------------------------------------- golden messages


def _set(path: str, value: Any) -> dict[str, Any]:
    data = base()
    *parents, last = path.split("/")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(last) :] = [value]
    else:
        node[last] = value
    return data


GOLDEN: list[tuple[str, Any, list[str]]] = [
    (
        "queues/billing/steps/1",
        {"after": 30},
        ["queues.billing.steps[1].after: must be greater than the previous step (30)"],
    ),
    (
        "queues/billing/steps/1",
        {"after": -5},
        ["queues.billing.steps[1].after: must be > 0, got -5"],
    ),
    (
        "queues/billing/skills",
        {"biling": 3},
        ["queues.billing.skills.biling: unknown skill 'biling' (did you mean 'billing'?)"],
    ),
    (
        "queues/billing/strategy",
        "fastest",
        [
            "queues.billing.strategy: must be one of: longest_idle, round_robin, fewest_calls, "
            "least_talk_time, highest_proficiency, linear, random, weighted_random, custom; "
            "got 'fastest'"
        ],
    ),
    (
        "queues/billing/overflow",
        "nowhere",
        [
            "queues.billing.overflow: unknown queue 'nowhere' (expected one of: billing, cards)",
            "queues.billing.overflow: needs max_wait (when to overflow)",
        ],
    ),
    (
        "queues/billing/tenant",
        "bnk",
        ["queues.billing.tenant: unknown tenant 'bnk' (did you mean 'bank'?)"],
    ),
    (
        "queues/billing/sl_threshold",
        "soon",
        ["queues.billing.sl_threshold: must be a number, got the string 'soon'"],
    ),
    (
        "queues/billing/media",
        "chat",
        ["queues.billing.media: tenant 'bank' may not use 'chat' (inbound: voice; outbound: none)"],
    ),
    (
        "agents/ann/weigth",
        2,
        ["agents.ann.weigth: unknown field (did you mean 'weight'?)"],
    ),
    (
        "agents/ann/skills",
        {"billing": 300},
        ["agents.ann.skills.billing: must be <= 255, got 300"],
    ),
    ("agents/bob", {"skills": {}}, ["agents.bob.tenant: required"]),
    (
        "tenants/bank/code",
        42,
        ["tenants.bank.code: must be a string, got the number 42"],
    ),
    (
        "tenants/bank/numbers",
        ["call us"],
        ["tenants.bank.numbers: must be a phone number: 2 to 20 digits with an optional leading +"],
    ),
    (
        "tenants/bank/lease",
        {"start": "2026-01-01", "end": "2025-01-01"},
        ["tenants.bank.lease.end: must be after lease.start (2026-01-01)"],
    ),
    (
        "tenants/bank/timezone",
        "Mars/Olympus",
        ["tenants.bank.timezone: unknown time zone 'Mars/Olympus' (expected an IANA name)"],
    ),
    (
        "queus",
        {},
        ["queus: unknown section (did you mean 'queues'?)"],
    ),
    (
        "operators",
        {"op": {"tenant": "bank", "roles": ["boss"]}},
        ["operators.op.roles[0]: unknown role 'boss' (expected one of: admin, supervisor, viewer)"],
    ),
    (
        "hours",
        {"h": {"weekly": {"mon": ["08:00-25:00"]}}},
        ["hours.h.weekly.mon[0]: not a valid time of day: '08:00-25:00'"],
    ),
    (
        "flows",
        {
            "main": {
                "tenant": "bank",
                "start": "a",
                "nodes": {
                    "a": {"type": "menu", "prompt": "hello", "options": {1: "b"}},
                    "b": {"type": "queue", "queue": "billingg"},
                },
            }
        },
        [
            "flows.main.nodes.a.prompt: unknown prompt 'hello' (expected none declared)",
            "flows.main.nodes.b.queue: unknown queue 'billingg' (did you mean 'billing'?)",
        ],
    ),
    (
        "flows",
        {"main": {"start": "a", "nodes": {"a": {"type": "play", "prompt": "p", "next": "zz"}}}},
        ['flows.main.nodes.a.next: unknown node "zz"'],
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_error_messages(path: str, value: Any, expected: list[str]) -> None:
    assert problems_of(_set(path, value)) == expected


def test_cross_tenant_references_are_errors() -> None:
    data = base()
    data["tenants"]["mobile"] = {"numbers": ["+4980020"]}
    data["queues"]["sales"] = {"tenant": "mobile", "max_wait": 60, "overflow": "cards"}
    data["queues"]["billing"]["steps"].append({"after": 60, "also_queues": ["sales"]})
    data["prompts"] = {"bank_hello": {"tenant": "bank", "text": "Hello"}}
    data["flows"] = {
        "m": {
            "tenant": "mobile",
            "start": "a",
            "nodes": {"a": {"type": "queue", "queue": "billing", "prompt": "bank_hello"}},
        }
    }
    assert problems_of(data) == [  # in file order: sections, then items
        "queues.billing.steps[1].also_queues[0]: queue 'sales' belongs to tenant 'mobile', "
        "not 'bank'",
        "queues.sales.overflow: queue 'cards' belongs to tenant 'bank', not 'mobile'",
        "flows.m.nodes.a.prompt: prompt 'bank_hello' belongs to tenant 'bank', not tenant 'mobile'",
        "flows.m.nodes.a.queue: queue 'billing' belongs to tenant 'bank', not tenant 'mobile'",
    ]


def test_reference_cycle_is_reported() -> None:
    data = base()
    data["queues"]["billing"].update(max_wait=60, overflow="cards")
    data["queues"]["cards"]["steps"] = [{"after": 10, "also_queues": ["billing"]}]
    assert problems_of(data) == [
        "queues.billing: overflow/also_queues form a cycle (billing -> cards -> billing); "
        "each queue must be built before the queues that refer to it"
    ]


def test_all_problems_at_once_with_file_path(tmp_path: Path) -> None:
    data = base()
    data["queues"]["billing"]["skills"] = {"biling": 3}
    data["queues"]["billing"]["steps"].append({"after": 10})
    data["agents"]["ann"]["tenant"] = "bnk"
    data["agents"]["ann"]["weigth"] = 2
    data["queus"] = {}
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(cr.ConfigError) as info:
        cr.load_center(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.source == str(path)
    assert err.problems == [
        "queues.billing.skills.biling: unknown skill 'biling' (did you mean 'billing'?)",
        "queues.billing.steps[1].after: must be greater than the previous step (30)",
        "agents.ann.weigth: unknown field (did you mean 'weight'?)",
        "agents.ann.tenant: unknown tenant 'bnk' (did you mean 'bank'?)",
        "queus: unknown section (did you mean 'queues'?)",
    ]
    assert str(err) == "\n".join(f"{path}: {p}" for p in err.problems)


def test_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(cr.ConfigError, match="cannot read"):
        cr.load_center(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants: [unclosed\n", encoding="utf-8")
    with pytest.raises(cr.ConfigError, match=r"bad\.yaml: cannot parse"):
        cr.load_center(bad)
    top = tmp_path / "list.json"
    top.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(cr.ConfigError) as info:
        cr.load_center(top)
    assert info.value.problems == ["(top level): must be a mapping, got a list"]


def test_json_and_toml(tmp_path: Path) -> None:
    j = tmp_path / "c.json"
    j.write_text(json.dumps(BASE), encoding="utf-8")
    assert cr.load_center(j).engine.queues() == ["billing", "cards"]
    t = tmp_path / "c.toml"
    t.write_text(
        'skills = ["billing"]\n[tenants.bank]\nnumbers = ["+4980010"]\n'
        '[queues.billing]\ntenant = "bank"\nskills = {billing = 1}\n'
        '[agents.ann]\ntenant = "bank"\nskills = {billing = 2}\n',
        encoding="utf-8",
    )
    assert cr.load_center(t).engine.agents() == ["ann"]


# ----------------------------------------------------------------- lint


def test_lint_findings() -> None:
    data = base()
    data["skills"].append("french")
    data["queues"]["billing"]["steps"].append({"after": 60, "skills": {"billing": 1}})
    data["queues"]["vip"] = {"tenant": "bank", "skills": {"cards": 9}}
    data["agents"]["bo"] = {"tenant": "bank", "skills": {}, "capacity": {"chat": 1}}
    data["tenants"]["bank"]["media"] = {"inbound": ["voice", "chat"]}
    data["tenants"]["mobile"] = {"numbers": ["+4980010"]}
    data["flows"] = {
        "f": {
            "start": "a",
            "nodes": {
                "a": {"type": "hangup"},
                "loop": {"type": "play", "prompt": "p", "next": "loop"},
            },
        }
    }
    data["prompts"] = {"p": "Hello"}
    assert load_mapping(data).lint() == [
        "queues.billing.steps[1]: changes nothing (same skills as before, no new also_queues, "
        "no priority boost)",
        "queues.vip: no agent can ever serve it (needs cards >= 9, voice capacity, tenant 'bank')",
        "skills[2]: no agent has skill 'french'",
        "agents.bo: eligible for no queue",
        "flows.f.nodes.loop: cannot be reached from start (a)",
        "flows.f.nodes.loop: never ends (no queue, callback, voicemail, transfer or hangup can "
        "be reached from it)",
        "numbers.+4980010: shared by bank, mobile with no way to tell them apart "
        "(give numbers.<dnis>.choices for each tenant, or a code to each tenant)",
    ]


def test_shared_number_told_apart_by_codes_is_clean() -> None:
    data = base()
    data["tenants"]["bank"]["code"] = "1"
    data["tenants"]["mobile"] = {"numbers": ["+4980010"], "code": "2"}
    assert load_mapping(data).lint() == []


def test_auto_answer_agent_from_yaml_routes_with_auto_answer(tmp_path: Path) -> None:
    data = base()
    data["agents"]["ann"]["auto_answer"] = True
    data["agents"]["bob"] = {"tenant": "bank", "skills": {"billing": 5}}
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    center = cr.load_center(path)
    assert center.agents["ann"].auto_answer is True
    assert center.agents["bob"].auto_answer is False  # the default
    eng = center.engine
    eng.agent_ready("ann", 0.0)
    decisions = center.call_arrived("c1", 1.0, tenant="bank", queue="billing")
    assert decisions == [
        cr.Offer("c1", "ann", "billing", 1.0, False, auto_answer=True),
        cr.AgentStateChanged("ann", "busy", None),
    ]
    assert eng.call_info("c1").state == "connected"
    eng.agent_ready("bob", 2.0)
    [offer, _] = center.call_arrived("c2", 3.0, tenant="bank", queue="billing")
    assert (offer.agent, offer.auto_answer) == ("bob", False)
    props = schema()["$defs"]["AgentConfig"]["properties"]
    assert props["auto_answer"]["default"] is False
    assert problems_of(_set("agents/ann/auto_answer", "maybe")) == [
        "agents.ann.auto_answer: must be true or false, got the string 'maybe'"
    ]


# ----------------------------------------------------------------- example, schema, CLI


def test_example_loads_lints_clean_and_routes() -> None:
    center = cr.load_center(cr.example_path("center"))
    assert center.lint() == []
    assert set(center.tenants) == {"bank", "mobile"}
    assert set(center.flows) == {"bank_main", "mobile_main"}
    eng = center.engine
    for agent in center.agents:
        eng.agent_ready(agent, 0.0)
    bank = center.call_arrived("b1", 1.0, tenant="bank", queue="bank_billing", priority=10)
    offer = bank[0]
    assert isinstance(offer, cr.Offer)
    assert offer.agent == "anna"  # highest billing proficiency
    mobile = center.call_arrived("m1", 2.0, tenant="mobile", queue="mobile_support_en")
    assert isinstance(mobile[0], cr.Offer)
    assert mobile[0].agent == "ines"  # the English-speaking support agent
    with pytest.raises(cr.PermissionDenied):
        center.call_arrived("x", 3.0, tenant="mobile", queue="bank_billing")


def test_example_ivr_routes_to_its_tenants_queues() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    center = cr.load_center(cr.example_path("center"))
    flow = center.flows["mobile_main"]
    when = datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Wednesday
    session = cr.ivr.Session(flow, clock=lambda now: when)
    actions = session.start(0.0)
    assert cr.ivr.Play("mobile_welcome") in actions
    actions = session.feed(cr.ivr.Digits("9"), 1.0)
    actions = session.feed(cr.ivr.Digits("2"), 2.0)
    route = actions[-1]
    assert isinstance(route, cr.ivr.Route)
    assert route.queue == "mobile_support_en"
    assert center.tenants["mobile"].queues.count(route.queue) == 1


def test_schema_describes_the_example() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = schema()
    assert doc["$schema"].startswith("https://json-schema.org/")
    assert "queues" in doc["properties"]
    example = yaml.safe_load(cr.example_path("center").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(example, default=str)), doc)


def test_strategies_are_the_engines() -> None:
    names = list(get_args(Strategy))
    with pytest.raises(cr.ConfigError) as info:
        cr.Engine().add_queue("q", strategy="fastest")
    assert str(info.value).endswith("expected one of " + ", ".join(names))
    data = base()
    for name in names:
        data["queues"][f"q_{name}"] = {"tenant": "bank", "strategy": name}
    load_mapping(data)
    strategy = schema()["$defs"]["QueueConfig"]["properties"]["strategy"]
    assert strategy["enum"] == names


def test_cli_check_and_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--example"]) == 0
    assert "ok (2 tenants" in capsys.readouterr().out
    warn = tmp_path / "warn.yaml"
    data = base()
    data["skills"].append("french")
    warn.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["check", str(warn)]) == 1
    assert f"{warn}: warning: skills[2]: no agent has skill 'french'" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    data["queus"] = {}
    data["agents"]["ann"]["tenant"] = "x"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{bad}: error: agents.ann.tenant: unknown tenant 'x' (expected one of: bank)",
        f"{bad}: error: queus: unknown section (did you mean 'queues'?)",
    ]
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "callroute center"


# ----------------------------------------------------------------- random configs

_names = st.sampled_from(["bank", "mobile", "billing", "cards", "a", "b", "", "x y"])
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    _names,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_names, st.integers()), inner, max_size=4),
    ),
    max_leaves=20,
)
_fields = st.sampled_from(
    [
        "tenant", "skills", "steps", "after", "media", "strategy", "overflow", "max_wait",
        "also_queues", "numbers", "code", "lease", "start", "end", "weight", "capacity",
        "roles", "shared_with", "priority", "choices", "nodes", "type", "queue", "prompt",
        "auto_answer",
    ]
)  # fmt: skip


def _item() -> st.SearchStrategy[Any]:
    return st.dictionaries(_fields, _values, max_size=6)


_configs = st.fixed_dictionaries(
    {},
    optional={
        "skills": st.lists(_names, max_size=4),
        "tenants": st.dictionaries(_names, _item(), max_size=3),
        "queues": st.dictionaries(_names, _item(), max_size=3),
        "agents": st.dictionaries(_names, _item(), max_size=3),
        "numbers": st.dictionaries(st.one_of(_names, st.integers()), _item(), max_size=2),
        "operators": st.dictionaries(_names, _item(), max_size=2),
        "prompts": st.dictionaries(_names, _values, max_size=2),
        "flows": st.dictionaries(_names, _values, max_size=2),
        "hours": st.dictionaries(_names, _values, max_size=2),
        "timezone": _values,
        "engine": _values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_configs)
def test_random_configs_give_a_center_or_a_config_error(data: dict[str, Any]) -> None:
    problems: list[str] | None = None
    try:
        center = load_mapping(data)
    except cr.ConfigError as exc:
        problems = exc.problems
    else:
        assert all(isinstance(w, str) for w in center.lint())
    if problems is not None:
        assert problems
        assert all(isinstance(p, str) and ": " in p for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*BASE["queues"]["billing"], "max_wait", "weight", "wrapup"]),
        _values,
        max_size=3,
    )
)
def test_random_queue_fields_on_a_valid_center(fields: dict[str, Any]) -> None:
    data = base()
    data["queues"]["billing"].update(fields)
    problems: list[str] = []
    try:
        load_mapping(data)
    except cr.ConfigError as exc:
        problems = exc.problems
    assert all(p.startswith("queues.billing") for p in problems), problems


def test_lease_bounds_compare_across_time_zones() -> None:
    lease = {"start": "2025-01-01T10:00:00+02:00", "end": "2025-01-01T09:00:00Z"}
    base = {"tenants": {"t": {"numbers": ["+15550001"], "lease": lease}}}
    cr.center.load_mapping(base)  # 09:00 UTC is 11:00+02:00: after the start
    lease["end"] = "2025-01-01T07:00:00Z"  # 09:00+02:00: before it
    with pytest.raises(cr.ConfigError, match=r"tenants\.t\.lease\.end: must be after"):
        cr.center.load_mapping(base)


def test_bad_business_hours_are_reported_once() -> None:
    """A flow naming refused hours gets no second, false 'unknown business hours' error."""
    node = {"type": "hours", "calendar": "office", "open": "bye", "closed": "bye"}
    data = {
        "tenants": {"t": {"numbers": ["+15550001"]}},
        "hours": {"office": {"weekly": {"mon": ["25:00-26:00"]}}},
        "flows": {
            "main": {"tenant": "t", "start": "h", "nodes": {"h": node, "bye": {"type": "hangup"}}}
        },
    }
    with pytest.raises(cr.ConfigError) as info:
        cr.center.load_mapping(data)
    assert info.value.problems == [
        "hours.office.weekly.mon[0]: not a valid time of day: '25:00-26:00'"
    ]


def test_a_flow_asking_for_an_unknown_skill_is_named() -> None:
    data = yaml.safe_load(cr.example_path("center").read_text(encoding="utf-8"))
    flows = data["flows"]
    name = next(n for n, f in flows.items() if "billing_queue" in f["nodes"])
    flows[name]["nodes"]["billing_queue"]["skills"] = ["billing", "biling"]
    with pytest.raises(cr.ConfigError) as info:
        load_mapping(data)
    assert [p for p in info.value.problems if "biling" in p] == [
        f"flows.{name}.nodes.billing_queue.skills[1]: unknown skill 'biling' (did you mean "
        "'billing'?)"
    ]
