"""IVR flows walked end to end, node by node, with the exact actions asserted."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from callroute.errors import (
    ConfigError,
    EngineError,
    InvalidEventError,
    ParameterError,
    TimeError,
)
from callroute.hours import (
    BusinessHours,
)
from callroute.ivr import (
    AuthenticateNode,
    BranchNode,
    CallbackNode,
    Collect,
    CollectNode,
    DataTest,
    Digits,
    Flow,
    Hangup,
    HangupNode,
    HungUp,
    Lookup,
    LookupResult,
    MenuNode,
    OfferCallback,
    Play,
    PlaybackDone,
    PlayNode,
    QueueNode,
    Route,
    Rule,
    Session,
    SetData,
    SetDataNode,
    TimeOfDay,
    Timeout,
    Transfer,
    Voicemail,
    VoicemailNode,
    parse_flow,
    run_lookup,
)

UTC = timezone.utc
# Monday 2024-03-04 09:00 in Berlin (CET, UTC+1).
MONDAY_9 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
PIN = "9731"
CALLER = "+4930111222"

BERLIN_HOURS = {
    "timezone": "Europe/Berlin",
    "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2024-12-25", date(2024, 12, 26)],
}

BANK: dict[str, Any] = {
    "start": "hours",
    "nodes": {
        "hours": {
            "type": "hours",
            "calendar": BERLIN_HOURS,
            "open": "welcome",
            "closed": "closed",
            "holiday": "holiday",
        },
        "welcome": {"type": "play", "prompt": "welcome", "next": "main"},
        "main": {
            "type": "menu",
            "prompt": "main_menu",
            "options": {1: "auth", "2": "sales_tag", "0": "operator"},
            "timeout": 5,
            "retries": 2,
            "invalid_prompt": "invalid",
            "no_input_prompt": "no_input",
            "failure": "operator",
        },
        "auth": {
            "type": "authenticate",
            "verifier": "pins",
            "success": "crm",
            "lockout": "locked",
            "prompt": "enter_pin",
            "invalid_prompt": "wrong_pin",
            "max_attempts": 3,
        },
        "crm": {
            "type": "lookup",
            "name": "crm",
            "store": "customer",
            "timeout": 2,
            "default": "unknown",
            "next": "tier",
        },
        "tier": {
            "type": "branch",
            "rules": [{"data": "customer", "equals": "gold", "goto": "vip"}],
            "default": "billing",
        },
        "billing": {"type": "queue", "queue": "billing", "skills": ["billing"], "priority": 1},
        "vip": {"type": "queue", "queue": "billing", "skills": ["billing", "vip"], "priority": 5},
        "sales_tag": {"type": "set", "values": {"intent": "sales"}, "next": "sales"},
        "sales": {"type": "queue", "queue": "sales", "skills": ["sales"]},
        "operator": {"type": "transfer", "destination": "operator"},
        "locked": {"type": "hangup", "reason": "locked_out", "prompt": "locked"},
        "closed": {"type": "voicemail", "box": "general", "prompt": "closed"},
        "holiday": {"type": "hangup", "reason": "holiday", "prompt": "holiday"},
    },
}

MENU = [Play("main_menu"), Collect(1, 1, None, 5)]
ASK_PIN = [Play("enter_pin"), Collect(8, 4, "#", 10.0, secret=True)]


class Verifier:
    """Accepts PIN for CALLER; records how often it was asked (never the PIN)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, caller: str, pin: str) -> bool:
        self.calls += 1
        return caller == CALLER and pin == PIN


def clock_from(base: datetime) -> Any:
    return lambda now: base + timedelta(seconds=now)


def bank_session(base: datetime = MONDAY_9, verifier: Any = None) -> Session:
    flow = parse_flow("main", BANK)
    return Session(flow, clock=clock_from(base), verifiers={"pins": verifier or Verifier()})


def at_menu(caller: str | None = CALLER) -> Session:
    session = bank_session()
    assert session.start(0.0, caller=caller, dnis="800") == [Play("welcome"), *MENU]
    return session


# ----------------------------------------------------------------------------- end to end


def test_menu_authenticate_queue_end_to_end() -> None:
    session = at_menu()
    assert session.feed(Digits("1"), 2.0) == ASK_PIN
    assert session.expects_secret
    lookup = Lookup("crm", {"caller": CALLER, "dnis": "800"}, 2.0, token=1)
    assert session.feed(session.digits(PIN + "#"), 6.0) == [lookup]
    assert session.waiting_for == "lookup"
    route = Route("billing", ("billing", "vip"), 5, {"authenticated": True, "customer": "gold"})
    assert session.feed(LookupResult("gold", token=1), 6.5) == [route]
    assert session.finished
    assert session.outcome is not None
    assert session.outcome.kind == "queued"
    assert session.outcome.action == route
    assert session.outcome.node == "vip"
    assert session.outcome.at == 6.5
    assert session.path == ("hours", "welcome", "main", "auth", "crm", "tier", "vip")
    assert session.steps == 7


def test_wrong_pin_then_right_pin() -> None:
    verifier = Verifier()
    session = bank_session(verifier=verifier)
    session.start(0.0, caller=CALLER)
    session.feed(Digits("1"), 1.0)
    assert session.feed(session.digits("1111#"), 2.0) == [Play("wrong_pin"), *ASK_PIN]
    assert session.feed(session.digits(PIN), 3.0)[0].__class__ is Lookup
    assert session.data["authenticated"] is True
    assert verifier.calls == 2


def test_lockout_after_max_attempts() -> None:
    verifier = Verifier()
    session = bank_session(verifier=verifier)
    session.start(0.0, caller=CALLER)
    session.feed(Digits("1"), 1.0)
    assert session.feed(session.digits("0000#"), 2.0) == [Play("wrong_pin"), *ASK_PIN]
    assert session.feed(Timeout(), 12.0) == [Play("wrong_pin"), *ASK_PIN]
    # Too short: a failed attempt without asking the verifier.
    assert session.feed(session.digits("12#"), 13.0) == [Play("locked"), Hangup("locked_out")]
    assert verifier.calls == 1
    assert session.data["authenticated"] is False
    assert session.outcome is not None
    assert session.outcome.kind == "hangup"


def test_withheld_number_goes_to_lockout_at_once() -> None:
    session = at_menu(caller=None)
    assert session.feed(Digits("1"), 1.0) == [Play("locked"), Hangup("locked_out")]


def test_raising_verifier_counts_as_failure_and_hides_pin(caplog: pytest.LogCaptureFixture) -> None:
    def broken(caller: str, pin: str) -> bool:
        raise RuntimeError(f"database down while checking {pin}")

    caplog.set_level(logging.DEBUG, logger="callroute.ivr")
    session = bank_session(verifier=broken)
    session.start(0.0, caller=CALLER)
    session.feed(Digits("1"), 1.0)
    assert session.feed(session.digits(PIN), 2.0) == [Play("wrong_pin"), *ASK_PIN]
    assert "RuntimeError" in caplog.text
    assert PIN not in caplog.text


def test_pin_appears_nowhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="callroute.ivr")
    session = bank_session()
    seen: list[object] = [*session.start(0.0, caller=CALLER), *session.feed(Digits("1"), 1.0)]
    event = session.digits(PIN + "#")
    assert event.secret
    assert event.text == PIN + "#"
    seen += session.feed(event, 2.0)
    seen += session.feed(LookupResult({"name": "Ada"}, token=1), 3.0)
    seen += [event, session, session.outcome, session.data, session.flow]
    for thing in seen:
        assert PIN not in repr(thing)
        assert PIN not in str(thing)
    assert repr(event) == "Digits(text='*****', secret=True)"
    assert PIN not in repr(dict(session.data))
    assert PIN not in caplog.text
    with pytest.raises(InvalidEventError) as info:
        session.feed(event, 4.0)
    assert PIN not in str(info.value)


def test_closed_and_holiday() -> None:
    saturday = datetime(2024, 3, 9, 10, 0, tzinfo=UTC)
    session = bank_session(base=saturday)
    assert session.start(0.0) == [Play("closed"), Voicemail("general")]
    assert session.outcome is not None
    assert session.outcome.kind == "voicemail"
    christmas = datetime(2024, 12, 25, 10, 0, tzinfo=UTC)  # a Wednesday, within hours
    assert bank_session(base=christmas).start(0.0) == [Play("holiday"), Hangup("holiday")]


# ----------------------------------------------------------------------------- menus


def test_menu_no_input_invalid_then_failure_node() -> None:
    session = at_menu()
    assert session.feed(Timeout(), 5.0) == [Play("no_input"), *MENU]
    assert session.feed(Digits("9"), 7.0) == [Play("invalid"), *MENU]
    assert session.feed(Digits(""), 12.0) == [Transfer("operator")]
    assert session.outcome is not None
    assert session.outcome.kind == "transfer"


def test_menu_first_digit_counts_and_set_data() -> None:
    session = at_menu()
    route = Route("sales", ("sales",), 0, {"intent": "sales"})
    assert session.feed(Digits("21"), 1.0) == [SetData("intent", "sales"), route]


def test_menu_without_failure_hangs_up() -> None:
    flow = Flow(
        "tiny",
        start="m",
        nodes={
            "m": MenuNode("menu", {"1": "q"}, timeout=3, retries=1),
            "q": QueueNode("general"),
        },
    )
    session = Session(flow)
    assert session.start(0.0) == [Play("menu"), Collect(1, 1, None, 3)]
    assert session.feed(Digits("5"), 1.0) == [Play("menu"), Collect(1, 1, None, 3)]
    assert session.feed(Timeout(), 4.0) == [Hangup("no_valid_input")]
    assert flow.lint() == []


# ----------------------------------------------------------------------------- collect


def collect_flow(**options: Any) -> Flow:
    return Flow(
        "acct",
        start="c",
        nodes={
            "c": CollectNode("account", "q", prompt="account", **options),
            "q": QueueNode("general", prompt="thanks"),
        },
    )


def test_collect_with_terminator_and_retries() -> None:
    session = Session(collect_flow(min_digits=3, max_digits=6, invalid_prompt="again"))
    ask = [Play("account"), Collect(6, 3, "#", 5.0)]
    assert session.start(0.0) == ask
    assert session.feed(Digits("12#"), 1.0) == [Play("again"), *ask]
    assert session.feed(Digits("1234567"), 2.0) == [Play("again"), *ask]
    done = [Play("thanks"), Route("general", (), 0, {"account": "12*4"})]
    assert session.feed(Digits("12*4#99"), 3.0) == done
    assert session.data == {"account": "12*4"}


def test_collect_without_terminator_keeps_hash_and_fails_to_hangup() -> None:
    session = Session(collect_flow(terminator=None, max_digits=4, retries=0))
    session.start(0.0)
    assert session.feed(Digits("1#2"), 1.0)[-1] == Route("general", (), 0, {"account": "1#2"})
    other = Session(collect_flow(retries=0))
    other.start(0.0)
    assert other.feed(Digits("A1"), 1.0) == [Hangup("no_valid_input")]


# ----------------------------------------------------------------------------- branches


def test_branch_on_data() -> None:
    nodes: dict[str, Any] = {
        "b": BranchNode(
            (
                Rule(DataTest("tier", "equals", "gold"), "gold"),
                Rule(DataTest("lang", "in", ["de", "fr"]), "eu"),
                Rule(DataTest("acct", "regex", r"^9\d+$"), "nines"),
                Rule(DataTest("vip", "exists", True), "vip"),
            ),
            default="other",
        ),
        **{name: QueueNode(name) for name in ("gold", "eu", "nines", "vip", "other")},
    }
    flow = Flow("b", start="b", nodes=nodes)
    cases = [
        ({"tier": "gold", "lang": "de"}, "gold"),
        ({"tier": "silver", "lang": "fr"}, "eu"),
        ({"acct": "9123"}, "nines"),
        ({"acct": "19123", "vip": None}, "vip"),
        ({"acct": 9123}, "other"),
        ({}, "other"),
    ]
    for data, queue in cases:
        action = Session(flow).start(0.0, data=data)[-1]
        assert isinstance(action, Route)
        assert action.queue == queue, data


def test_time_of_day_past_midnight() -> None:
    night = TimeOfDay(
        datetime(2024, 1, 1, 22).time(), datetime(2024, 1, 1, 6).time(), frozenset({4})
    )
    friday_late = datetime(2024, 3, 8, 23, 0)
    saturday_early = datetime(2024, 3, 9, 5, 0)  # belongs to Friday's night
    saturday_late = datetime(2024, 3, 9, 23, 0)
    assert night.holds(friday_late)
    assert night.holds(saturday_early)
    assert not night.holds(saturday_late)
    assert not night.holds(datetime(2024, 3, 8, 12, 0))


def test_time_branch_from_spec_uses_time_zone() -> None:
    spec = {
        "start": "b",
        "nodes": {
            "b": {
                "type": "branch",
                "rules": [
                    {
                        "time": "09:00-17:00",
                        "days": ["mon", "fri"],
                        "tz": "America/New_York",
                        "goto": "day",
                    }
                ],
                "default": "night",
            },
            "day": {"type": "queue", "queue": "day"},
            "night": {"type": "voicemail", "box": "night"},
        },
    }
    flow = parse_flow("tod", spec)
    # 14:00 UTC on Monday 2024-03-04 is 09:00 in New York.
    morning = Session(flow, clock=clock_from(datetime(2024, 3, 4, 14, 0, tzinfo=UTC)))
    assert morning.start(0.0) == [Route("day")]
    before = Session(flow, clock=clock_from(datetime(2024, 3, 4, 13, 59, tzinfo=UTC)))
    assert before.start(0.0) == [Voicemail("night")]


def test_business_hours_across_dst_change() -> None:
    hours = BusinessHours.from_spec(BERLIN_HOURS)
    # Friday 2024-03-29, CET (UTC+1); DST starts Sunday 2024-03-31; Tuesday is CEST (UTC+2).
    assert not hours.is_open(datetime(2024, 3, 29, 6, 30, tzinfo=UTC))  # 07:30 local
    assert hours.is_open(datetime(2024, 3, 29, 7, 0, tzinfo=UTC))  # 08:00 local
    assert hours.is_open(datetime(2024, 3, 29, 16, 30, tzinfo=UTC))  # 17:30 local
    assert hours.is_open(datetime(2024, 4, 2, 6, 30, tzinfo=UTC))  # 08:30 local
    assert not hours.is_open(datetime(2024, 4, 2, 5, 30, tzinfo=UTC))  # 07:30 local
    assert not hours.is_open(datetime(2024, 4, 2, 16, 30, tzinfo=UTC))  # 18:30 local
    assert hours.is_open(datetime(2024, 4, 2, 8, 0))  # naive: local time
    # The same UTC instant on both sides of the change, walked through a session.
    friday = bank_session(base=datetime(2024, 3, 29, 16, 30, tzinfo=UTC))
    assert friday.start(0.0)[0] == Play("welcome")
    tuesday = bank_session(base=datetime(2024, 4, 2, 16, 30, tzinfo=UTC))
    assert tuesday.start(0.0) == [Play("closed"), Voicemail("general")]


def test_business_hours_holiday() -> None:
    hours = BusinessHours.from_spec(BERLIN_HOURS)
    christmas_noon = datetime(2024, 12, 25, 11, 0, tzinfo=UTC)
    assert hours.is_holiday(christmas_noon)
    assert not hours.is_open(christmas_noon)
    # 23:30 UTC on the 24th is already the 25th in Berlin.
    assert hours.is_holiday(datetime(2024, 12, 24, 23, 30, tzinfo=UTC))
    assert hours.is_open(datetime(2024, 12, 27, 11, 0, tzinfo=UTC))


def test_business_hours_errors_have_paths() -> None:
    spec = {
        "timezone": "Mars/Olympus",
        "weekly": {"mon": ["18:00-08:00"], "funday": ["09:00-10:00"], "tue": ["8-9"]},
        "holidays": ["2024-13-01"],
        "extra": 1,
    }
    with pytest.raises(ConfigError) as info:
        BusinessHours.from_spec(spec, "tenants.bank.hours")
    assert str(info.value).splitlines() == [
        "tenants.bank.hours.extra: unknown key (expected timezone, weekly, holidays)",
        'tenants.bank.hours.timezone: unknown time zone "Mars/Olympus"',
        "tenants.bank.hours.weekly.mon[0]: must end after it starts (split ranges at midnight)",
        "tenants.bank.hours.weekly.funday: unknown day (expected mon..sun)",
        "tenants.bank.hours.weekly.tue[0]: must be a time range \"HH:MM-HH:MM\", got '8-9'",
        "tenants.bank.hours.holidays[0]: must be a date YYYY-MM-DD, got '2024-13-01'",
    ]


def test_calendar_by_name() -> None:
    spec = {
        "start": "h",
        "nodes": {
            "h": {"type": "hours", "calendar": "office", "open": "q", "closed": "v"},
            "q": {"type": "queue", "queue": "general"},
            "v": {"type": "voicemail", "box": "after_hours"},
        },
    }
    flow = parse_flow("main", spec, "tenants.bank.ivr")
    assert ("hours", ("nodes", "h", "calendar"), "office") in flow.references()
    with pytest.raises(ConfigError, match=r"tenants\.bank\.ivr\.main\.nodes\.h\.calendar: no bus"):
        Session(flow, clock=clock_from(MONDAY_9))
    office = BusinessHours.from_spec(BERLIN_HOURS)
    session = Session(flow, clock=clock_from(MONDAY_9), calendars={"office": office})
    assert session.start(0.0) == [Route("general")]
    with pytest.raises(ConfigError, match='unknown business hours "office"'):
        parse_flow("main", spec, calendars={})


# ----------------------------------------------------------------------------- lookups


def lookup_session() -> Session:
    session = bank_session()
    session.start(0.0, caller=CALLER)
    session.feed(Digits("1"), 1.0)
    session.feed(session.digits(PIN), 2.0)
    assert session.waiting_for == "lookup"
    return session


def test_lookup_error_uses_default_and_continues() -> None:
    session = lookup_session()
    route = Route("billing", ("billing",), 1, {"authenticated": True, "customer": "unknown"})
    assert session.feed(LookupResult(error="crm down", token=1), 2.5) == [route]


def test_lookup_timeout_event_and_late_result() -> None:
    session = lookup_session()
    assert session.feed(Timeout(), 4.0)[-1].__class__ is Route
    assert session.data["customer"] == "unknown"
    late = lookup_session()
    assert late.feed(LookupResult("gold", token=1), 4.5)[-1] == Route(
        "billing", ("billing",), 1, {"authenticated": True, "customer": "unknown"}
    )


def test_lookup_ignores_stale_tokens_and_stray_events() -> None:
    session = lookup_session()
    assert session.feed(LookupResult("gold", token=7), 2.1) == []
    assert session.feed(Digits("5"), 2.2) == []
    assert session.feed(PlaybackDone(), 2.3) == []
    assert session.feed(LookupResult("gold"), 2.4)[-1].__class__ is Route


def test_run_lookup_with_value_error_and_timeout() -> None:
    action = Lookup("crm", {"caller": CALLER}, 0.5, token=3)
    release = threading.Event()

    def slow(request: Any) -> str:
        release.wait(5)
        return "late"

    def broken(request: Any) -> str:
        raise KeyError("no such customer")

    hooks = {"crm": lambda request: {"tier": "gold", "caller": request["caller"]}}
    assert run_lookup(action, hooks) == LookupResult({"tier": "gold", "caller": CALLER}, token=3)
    assert run_lookup(action, {"crm": broken}) == LookupResult(
        error="KeyError: 'no such customer'", token=3
    )
    assert run_lookup(action, {}) == LookupResult(error='unknown lookup hook "crm"', token=3)
    quick = Lookup("crm", {}, 0.05, token=4)
    try:
        assert run_lookup(quick, {"crm": slow}) == LookupResult(error="timeout", token=4)
    finally:
        release.set()


def test_lookup_end_to_end_with_run_lookup() -> None:
    session = lookup_session()
    pending = Lookup("crm", {"caller": CALLER, "dnis": None}, 2.0, token=1)
    result = run_lookup(pending, {"crm": lambda request: "gold"})
    assert session.feed(result, 2.2)[-1] == Route(
        "billing", ("billing", "vip"), 5, {"authenticated": True, "customer": "gold"}
    )


# ----------------------------------------------------------------------------- other nodes


def test_play_wait_callback_and_voicemail() -> None:
    flow = Flow(
        "cb",
        start="p",
        nodes={
            "p": PlayNode("busy", "m", wait=True),
            "m": MenuNode("offer_callback", {"1": "cb", "2": "vm"}),
            "cb": CallbackNode("billing", ("billing",), 2, number_key="callback_number"),
            "vm": VoicemailNode("billing"),
        },
    )
    session = Session(flow)
    assert session.start(0.0, caller=CALLER) == [Play("busy")]
    assert session.waiting_for == "playback"
    assert session.feed(Digits("1"), 0.5) == []
    assert session.feed(PlaybackDone(), 1.0) == [Play("offer_callback"), Collect(1, 1, None, 5.0)]
    offer = OfferCallback("billing", CALLER, ("billing",), 2, {})
    assert session.feed(Digits("1"), 2.0) == [offer]
    assert session.outcome is not None
    assert session.outcome.kind == "callback"
    other = Session(flow)
    other.start(0.0, data={"callback_number": "+4940999"})
    other.feed(Timeout(), 1.0)
    assert other.feed(Digits("1"), 2.0)[-1] == OfferCallback(
        "billing", "+4940999", ("billing",), 2, {"callback_number": "+4940999"}
    )


def test_caller_hangup_ends_session() -> None:
    session = at_menu()
    assert session.feed(HungUp(), 3.0) == []
    assert session.finished
    assert session.outcome is not None
    assert session.outcome.kind == "caller_hangup"
    assert session.outcome.node == "main"
    assert session.outcome.action is None


def test_step_limit_stops_a_loop() -> None:
    flow = Flow(
        "loop",
        start="a",
        nodes={
            "a": SetDataNode({"spin": True}, "b"),
            "b": BranchNode((Rule(DataTest("never", "exists", True), "end"),), "a"),
            "end": HangupNode(),
        },
        step_limit=50,
    )
    session = Session(flow)
    actions = session.start(0.0)
    assert actions == [SetData("spin", True)] * 25 + [Hangup("step_limit")]
    assert session.steps == 50
    assert session.outcome is not None
    assert session.outcome.kind == "step_limit"
    short = Session(flow, step_limit=3)
    assert short.start(0.0)[-1] == Hangup("step_limit")
    assert short.steps == 3


# ----------------------------------------------------------------------------- errors


def test_parse_flow_reports_every_problem_with_paths() -> None:
    spec = {
        "nodes": {
            "menu1": {
                "type": "menu",
                "prompt": "main",
                "options": {3: "foo", "x": "q", "1": "q"},
                "timeout": -1,
            },
            "auth": {"type": "authenticate", "verifier": "v", "success": "q", "max_attempts": 0},
            "q": {"type": "queue", "queue": "", "skills": "billing"},
            "c": {"type": "collect", "key": "k", "next": "q", "min_digits": 5, "max_digits": 2},
            "x": {"type": "teleport"},
            "b": {"type": "branch", "rules": [{"data": "k", "goto": "q"}], "default": "q"},
        },
        "steps": 3,
    }
    with pytest.raises(ConfigError) as info:
        parse_flow("main", spec)
    assert str(info.value).splitlines() == [
        "ivr.main.steps: unknown key (expected start, nodes, step_limit)",
        "ivr.main.start: missing",
        'ivr.main.nodes.menu1.options.3: unknown node "foo"',
        "ivr.main.nodes.menu1.options.x: must be one key: 0-9, * or #",
        "ivr.main.nodes.menu1.timeout: must be a finite number > 0, got -1",
        "ivr.main.nodes.auth.lockout: missing",
        "ivr.main.nodes.q.queue: must be a non-empty string, got ''",
        "ivr.main.nodes.q.skills: must be a list of non-empty strings, got 'billing'",
        "ivr.main.nodes.c.max_digits: must be >= min_digits (5), got 2",
        "ivr.main.nodes.x.type: must be one of play, menu, collect, authenticate, branch, "
        "hours, set, lookup, queue, callback, voicemail, transfer, hangup, got 'teleport'",
        "ivr.main.nodes.b.rules[0]: a data rule needs exactly one of equals, in, exists, regex",
    ]


def test_parse_flow_uses_where_as_path() -> None:
    spec = {"start": "nowhere", "nodes": {"q": {"type": "queue", "queue": "q"}}}
    for where in ("tenants.bank.ivr", "tenants.bank.ivr.main"):
        with pytest.raises(ConfigError) as info:
            parse_flow("main", spec, where)
        assert str(info.value) == 'tenants.bank.ivr.main.start: unknown node "nowhere"'


def test_parse_flow_checks_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = QueueNode._check

    def spy(self: QueueNode, path: str, problems: Any, names: Any) -> None:
        checked.append(path)
        real(self, path, problems, names)

    monkeypatch.setattr(QueueNode, "_check", spy)
    spec = {"start": "q", "nodes": {"q": {"type": "queue", "queue": "sales"}}}
    flow = parse_flow("main", spec)
    assert checked == ["ivr.main.nodes.q"]
    assert flow == Flow("main", "q", {"q": QueueNode("sales")}, where="ivr.main")
    assert checked == ["ivr.main.nodes.q", "ivr.main.nodes.q"]  # Flow() checks its own
    with pytest.raises(ConfigError, match=r"^ivr\.\.name: must be a non-empty string, got ''$"):
        parse_flow("", spec)


def test_python_flows_are_validated_too() -> None:
    with pytest.raises(ConfigError) as info:
        Flow(
            "py",
            start="a",
            nodes={"a": AuthenticateNode(lambda c, p: True, "q", "gone", max_attempts=0)},
        )
    assert str(info.value).splitlines() == [
        'ivr.py.nodes.a.success: unknown node "q"',
        'ivr.py.nodes.a.lockout: unknown node "gone"',
        "ivr.py.nodes.a.max_attempts: must be an integer >= 1, got 0",
    ]


def test_lint_finds_unreachable_and_endless_nodes() -> None:
    spec = {
        "start": "m",
        "nodes": {
            "m": {
                "type": "menu",
                "prompt": "p",
                "options": {"1": "q", "2": "loop1"},
                "failure": "q",
            },
            "loop1": {"type": "play", "prompt": "a", "next": "loop2"},
            "loop2": {"type": "play", "prompt": "b", "next": "loop1"},
            "orphan": {"type": "hangup"},
            "q": {"type": "queue", "queue": "q"},
        },
    }
    flow = parse_flow("main", spec, "tenants.bank.ivr.main")
    assert flow.lint() == [
        "tenants.bank.ivr.main.nodes.loop1: never ends (no queue, callback, voicemail, "
        "transfer or hangup can be reached from it)",
        "tenants.bank.ivr.main.nodes.loop2: never ends (no queue, callback, voicemail, "
        "transfer or hangup can be reached from it)",
        "tenants.bank.ivr.main.nodes.orphan: cannot be reached from start (m)",
    ]
    assert parse_flow("main", BANK).lint() == []


def test_session_errors_are_typed() -> None:
    flow = parse_flow("main", BANK)
    with pytest.raises(ConfigError, match="pass Session"):
        Session(flow, verifiers={"pins": Verifier()})
    with pytest.raises(ConfigError, match='no verifier "pins"'):
        Session(flow, clock=clock_from(MONDAY_9))
    session = bank_session()
    with pytest.raises(InvalidEventError, match="not started"):
        session.feed(Timeout(), 0.0)
    with pytest.raises(TimeError):
        session.start(float("nan"))
    session.start(10.0, caller=CALLER)
    with pytest.raises(InvalidEventError, match="already started"):
        session.start(11.0)
    with pytest.raises(TimeError, match="backwards"):
        session.feed(Timeout(), 9.0)
    with pytest.raises(InvalidEventError, match="not an IVR event"):
        session.feed("1", 12.0)  # type: ignore[arg-type]
    # bad arguments are ParameterErrors (issue 12), not events out of turn nor configuration
    with pytest.raises(ParameterError, match="DTMF") as bad:
        Digits("12x")
    assert not isinstance(bad.value, (InvalidEventError, EngineError))
    with pytest.raises(ParameterError, match="must return a datetime") as bad:
        Session(flow, clock=lambda now: now, verifiers={"pins": Verifier()}).start(0.0)  # type: ignore[arg-type, return-value]
    assert not isinstance(bad.value, (ConfigError, EngineError))
    with pytest.raises(ParameterError, match="must be a Flow"):
        Session("main")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="data must be a mapping"):
        bank_session().start(0.0, data=[("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="caller must be a str"):
        bank_session().start(0.0, caller=5)  # type: ignore[arg-type]
    session.feed(HungUp(), 12.0)
    with pytest.raises(InvalidEventError, match="finished"):
        session.feed(Digits("1"), 13.0)


def test_actions_and_events_are_frozen() -> None:
    play = Play("x")
    with pytest.raises(AttributeError):
        play.prompt = "y"  # type: ignore[misc]
    route = Route("q", ["a"], 1, {"k": 1})  # type: ignore[arg-type]
    assert route.skills == ("a",)
    with pytest.raises(TypeError):
        route.data["k"] = 2  # type: ignore[index]
    assert not hasattr(play, "__dict__")
    assert repr(Digits("12")) == "Digits(text='12')"
    assert isinstance(HangupNode(), HangupNode)
