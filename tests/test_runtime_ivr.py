"""IVR, tenancy and queue behaviours of the call core (sans-I/O), on the bundled outsourcer
center and small variants: lookups, menus with timeouts and retries, the shared number's
front door, callbacks (agent first, then the customer), exits, position announcements."""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from _runtime_util import (
    CENTER,
    DNIS,
    Channel,
    ChannelDtmfReceived,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
)
from _runtime_util import Playback as Pb
from callroute.center import example_config_path, load_mapping
from callroute.ivr import LookupResult
from callroute.runtime import CallCore, Options
from callroute.runtime import commands as cmd

WEDNESDAY_10AM = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CALLER = Channel("pbx-1", caller_number="5550001", caller_name="Pia")


def of(commands: list[Any], kind: type) -> list[Any]:
    return [c for c in commands if isinstance(c, kind)]


def outsourcer(**opts: Any) -> CallCore:
    spec = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    for t in spec["tenants"].values():
        t.pop("lease", None)
    center = load_mapping(spec, "outsourcer")
    return CallCore(
        center,
        center.engine,
        wall=lambda t: WEDNESDAY_10AM + timedelta(seconds=t),
        options=Options(id_prefix="c", **opts),
        verifiers={"bank_pin": lambda account, pin: pin == "2468"},
    )


def acd(flow_nodes: dict[str, Any] | None = None, **queue: Any) -> CallCore:
    spec = copy.deepcopy(CENTER)
    spec["queues"]["sales"].update(queue)
    if flow_nodes is not None:
        spec["flows"]["main"]["nodes"] = flow_nodes
        spec["flows"]["main"]["start"] = next(iter(flow_nodes))
    center = load_mapping(spec, "acd")
    return CallCore(
        center,
        center.engine,
        wall=lambda t: WEDNESDAY_10AM + timedelta(seconds=t),
        options=Options(id_prefix="c"),
    )


def drain(core: CallCore, out: list[Any], now: float) -> list[Any]:
    more: list[Any] = []
    for play in of(out, cmd.PlayChannel):
        more += core.on_event(PlaybackFinished(Pb(play.playback_id)), now)
    return more


def test_bank_lookup_menu_and_priority_queue() -> None:
    core = outsourcer()
    out = core.on_event(StasisStart(CALLER, ("inbound", "+498001234510")), 0.0)
    assert of(out, cmd.PlayChannel)[0].media == ("sound:bank/welcome",)
    (lookup,) = of(out, cmd.RunLookup)
    assert lookup.action.name == "customer_segment"
    assert lookup.action.request["caller"] == "5550001"
    first = out
    out = core.lookup_done(lookup.call, LookupResult("premium", token=lookup.action.token), 0.5)
    assert of(out, cmd.PlayChannel)[0].media == ("sound:bank_main_menu",)
    out += drain(core, first + out, 2.0)
    out = core.on_event(ChannelDtmfReceived(CALLER, "2"), 3.0)  # billing
    assert of(out, cmd.CreateBridge)[0].kind == "holding"
    info = core.engine.call_info(lookup.call)
    assert info.queue == "bank_billing"
    assert info.priority == 10  # the premium branch
    assert info.data["segment"] == "premium"
    assert info.data["tenant"] == "bank"


def test_lookup_timeout_takes_the_default() -> None:
    core = outsourcer()
    out = core.on_event(StasisStart(CALLER, ("inbound", "+498001234510")), 0.0)
    (lookup,) = of(out, cmd.RunLookup)
    out += core.lookup_done(
        lookup.call, LookupResult(error="timeout", token=lookup.action.token), 3.0
    )
    drain(core, out, 3.0)
    core.on_event(ChannelDtmfReceived(CALLER, "2"), 4.0)
    info = core.engine.call_info(lookup.call)
    assert info.data["segment"] == "standard"
    assert info.priority == 0


def test_menu_no_input_retries_then_its_failure_branch() -> None:
    core = outsourcer()
    out = core.on_event(StasisStart(CALLER, ("inbound", "+498001234510")), 0.0)
    (lookup,) = of(out, cmd.RunLookup)
    out = core.lookup_done(lookup.call, LookupResult("standard", token=lookup.action.token), 0.1)
    now = 0.1
    prompts: list[tuple[str, ...]] = []
    for _ in range(10):
        out += drain(core, out, now)
        prompts += [p.media for p in of(out, cmd.PlayChannel)]
        if of(out, cmd.CreateBridge):
            break
        deadline = core.next_deadline()
        assert deadline is not None
        now = deadline
        out = core.on_timer(now)
    assert of(out, cmd.CreateBridge)  # menu failure: billing queue
    assert ("sound:bank_invalid",) in prompts
    assert core.engine.call_info(lookup.call).queue == "bank_billing"


def test_shared_number_front_door_choice() -> None:
    core = outsourcer()
    out = core.on_event(StasisStart(CALLER, ("inbound", "+498001234500")), 0.0)
    assert of(out, cmd.PlayChannel)[0].media == ("sound:front_door_menu",)
    drain(core, out, 1.0)
    core.on_event(ChannelDtmfReceived(CALLER, "2"), 2.0)
    (call,) = core.calls.values()
    assert call.tenant == "mobile"


def test_shared_number_wrong_choices_are_refused() -> None:
    core = outsourcer()
    out = core.on_event(StasisStart(CALLER, ("inbound", "+498001234500")), 0.0)
    now = 0.0
    for _ in range(3):
        out += drain(core, out, now)
        out = core.on_event(ChannelDtmfReceived(CALLER, "7"), now + 1)
        now += 2
    out += drain(core, out, now)
    assert of(out, cmd.Hangup)
    assert core.outcomes["refused"] == 1


def test_callback_rings_the_agent_first_then_the_customer() -> None:
    core = acd({"cb": {"type": "callback", "queue": "sales"}})
    out = core.on_event(StasisStart(CALLER, ("inbound", DNIS)), 0.0)
    assert [h.channel for h in of(out, cmd.Hangup)] == [CALLER.id]  # nobody free: call back
    core.on_event(StasisEnd(CALLER), 0.1)
    out = core._decide(core.engine.agent_ready("agent1", 5.0), 5.0)
    (agent_leg,) = of(out, cmd.Originate)
    assert agent_leg.endpoint == "Local/agent1@agents"
    assert agent_leg.originator is None
    out = core.on_event(StasisStart(Channel(agent_leg.channel), ("agent", agent_leg.call)), 7.0)
    (customer,) = of(out, cmd.Originate)
    assert customer.endpoint == "Local/5550001@callroute-callback"
    assert of(out, cmd.AddChannels)[0].channels == (agent_leg.channel,)
    out = core.on_event(StasisStart(Channel(customer.channel), ("customer", customer.call)), 9.0)
    assert of(out, cmd.AddChannels)[0].channels == (customer.channel,)
    out = core.on_event(StasisEnd(Channel(customer.channel)), 30.0)
    assert [h.channel for h in of(out, cmd.Hangup)] == [agent_leg.channel]
    stats = core.engine.queue_stats("sales")
    assert (stats.answered, stats.completed) == (1, 1)


def test_max_wait_exit_continues_in_the_dialplan() -> None:
    core = acd({"q": {"type": "queue", "queue": "sales"}}, max_wait=10)
    core.on_event(StasisStart(CALLER, ("inbound", DNIS)), 0.0)
    out = core.on_timer(10.0)
    (cont,) = of(out, cmd.ContinueInDialplan)
    assert (cont.context, cont.extension) == ("callroute-exit", "max_wait")
    assert cmd.SetVariable(CALLER.id, "CALLROUTE_EXIT", "max_wait") in out
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["exited"]
    assert core.engine.queue_stats("sales").exited == 1


def test_position_announcement_when_the_queue_says_so() -> None:
    core = acd(
        {"q": {"type": "queue", "queue": "sales"}},
        announcements={"position": True, "every": 30},
    )
    out = core.on_event(StasisStart(CALLER, ("inbound", DNIS)), 0.0)
    plays = [p.media for p in of(out, cmd.PlayChannel)]
    assert plays == [("sound:queue-youarenext",)]
    other = Channel("pbx-2", caller_number="5550002")
    out = core.on_event(StasisStart(other, ("inbound", DNIS)), 1.0)
    assert ("sound:queue-thereare", "number:2", "sound:queue-callswaiting") in [
        p.media for p in of(out, cmd.PlayChannel)
    ]


def test_pin_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    core = acd()
    core.engine.agent_ready("agent1", 0.0)
    out = core.on_event(StasisStart(CALLER, ("inbound", DNIS)), 0.0)
    out += drain(core, out, 1.0)
    for d in "4711#":
        out += core.on_event(ChannelDtmfReceived(CALLER, d), 2.0)
    out += drain(core, out, 2.5)
    for d in "9753#":
        out += core.on_event(ChannelDtmfReceived(CALLER, d), 3.0)
    assert "9753" not in caplog.text
    assert "9753" not in repr(out)


def test_periodic_announcement_with_position() -> None:
    core = acd(
        {"q": {"type": "queue", "queue": "sales"}},
        announcements={"periodic": "callroute-beep", "position": True, "every": 20},
    )
    out = core.on_event(StasisStart(CALLER, ("inbound", DNIS)), 0.0)
    drain(core, out, 1.0)  # the first position announcement, played
    assert core.next_deadline() == 20.0
    out = core.on_timer(20.0)
    (play,) = of(out, cmd.PlayChannel)
    assert play.media == ("sound:callroute-beep", "sound:queue-youarenext")
    drain(core, out, 22.0)
    assert core.next_deadline() == 40.0
