"""The outbound call core never dies of bad input from outside: a corrupt journal note of a
line, events naming lines it no longer holds, a failed originate, an outcome the dialer
refuses. Sans-I/O: :class:`OutboundCore` fed directly (no PBX, no event loop)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _runtime_util import make_center
from callroute._core import Dial
from callroute.outbound import CampaignConfig, Contact, EngineClock, OutboundPlan
from callroute.runtime import Journal, JournaledDialer, Options
from callroute.runtime import commands as cmd
from callroute.runtime.outbound import OutboundCore

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def core() -> OutboundCore:
    center = make_center({"agent1": "Local/agent1@agents"}, ivr=False, record=False)
    plan = OutboundPlan(center.engine, center.agents, EngineClock(NOON))
    config = CampaignConfig.model_validate(
        {"id": "renew", "tenant": "acme", "queue": "sales", "caller_id": "+18005550199"}
    )
    plan.add_campaign(config, [Contact("c0", ("+15550000",), "UTC", 0, {})], 0.0)
    return OutboundCore(
        center,
        center.engine,
        wall=lambda t: NOON,
        options=Options(id_prefix="t"),
        verifiers={},
        plan=plan,
    )


def event(kind: str, **fields: Any) -> Any:
    return type(kind, (SimpleNamespace,), {})(**fields)


def line_note(**over: Any) -> dict[str, Any]:
    note: dict[str, Any] = {
        "phase": "line",
        "line": 7,
        "campaign": "renew",
        "contact": "c0",
        "number": "+15550000",
        "channel": "to7",
        "state": "answered",
        "call_id": None,
        "connect_by": 3.0,
    }
    note.update(over)
    return note


def test_corrupt_line_notes_are_skipped_and_time_still_works() -> None:
    c = core()
    bad = [
        line_note(line=1, channel="to1", connect_by="soon"),  # not a time
        line_note(line=2, channel="to2", state="dancing"),  # no such state
        line_note(line="x"),  # not a line id
        line_note(line=3, channel="to3", connect_by=float("nan")),
        line_note(line=4, channel="to4", state="closed"),  # closed lines leave no note
    ]
    c.restore(bad)
    assert c.lines == {}
    # the main loop asks this on every turn: it must not raise
    deadline = c.next_deadline()
    assert deadline is None or isinstance(deadline, float)
    c.on_timer(10.0)


def test_a_good_line_note_next_to_corrupt_ones_is_kept() -> None:
    c = core()
    c.restore([line_note(connect_by=[1]), line_note(line=8, channel="to8", connect_by=4.0)])
    assert list(c.lines) == [8]
    assert c.next_deadline() == 0.0  # the first pacing round comes before the limit


def test_events_for_lines_no_longer_held_fall_through() -> None:
    c = core()
    (orig,) = c.dial(Dial(1, "renew", "c0", "+15550000", "+18005550199", 1), 0.0)
    assert isinstance(orig, cmd.Originate)
    c.command_failed(orig, RuntimeError("500 from the PBX"), 0.1)
    assert c.outcomes["outbound_failed"] == 1
    c.take_notes()  # the closed line is forgotten
    # late events naming the channel: none raises, none changes the count
    channel = SimpleNamespace(id=orig.channel)
    c.on_event(event("ChannelDestroyed", channel=channel, cause="17"), 0.2)
    c.on_event(event("Dial", peer=channel, dialstatus="BUSY"), 0.3)
    c.on_event(event("ChannelVarset", channel=channel, variable="AMDSTATUS", value=None), 0.3)
    c.on_event(event("Dial", peer=None, dialstatus=None), 0.3)
    c._line_channels[orig.channel] = 1  # a channel still mapped to a forgotten line
    c.on_event(event("StasisStart", channel=channel, args=["outbound", "renew", "1"]), 0.4)
    assert c.outcomes["outbound_failed"] == 1
    assert c.outcomes["outbound_busy"] == 0


def test_an_outcome_the_dialer_refuses_is_counted_not_raised() -> None:
    c = core()
    c._dialer("outcome", 99, "busy", 1.0)  # a line never dialled
    c._dialer("agent_connected", 99, 1.0)
    assert c.dialer_errors == 2


def test_corrupt_dialer_journal_notes_are_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "dialer.sqlite")
    dialer = JournaledDialer.open(journal)
    dialer.note_dialled("renew", "c0", NOON)
    journal.note("dialled", {"campaign": "renew", "contact": "c1", "at": "yesterday"}, key="a")
    journal.note("dialled", {"campaign": "renew"}, key="b")  # no contact, no time
    journal.note("dialled", ["not", "a", "mapping"], key="c")
    journal.note("zones", {"campaign": "renew", "names": [3, None]}, key="renew")
    journal.note("zones", "garbage", key="other")
    assert dialer.last_dialled() == {("renew", "c0"): NOON}
    assert dialer.zone_names("renew") is None
    journal.close()


def test_pacing_for_a_campaign_this_run_does_not_hold_still_dials_the_rest() -> None:
    c = core()
    c.pbx_up = True
    dial = Dial(4, "renew", "c0", "+15550000", "+18005550199", 1)
    stray = SimpleNamespace(campaign="gone", contact="x", number="+1555", data={})
    c.plan.pace = lambda now: ([dial], [stray])  # type: ignore[method-assign]
    out = c.pace(1.0)
    assert [type(x).__name__ for x in out] == ["Originate"]  # no Publish of the stray
    assert 4 in c.lines


def _answered_line_noted_ringing(c: OutboundCore) -> Any:
    """A line whose person the dialer heard of while the line's note still says ringing:
    the process died within the step routing the person (sans-I/O: the same core, the line
    marked restored as a restart's notes would make it)."""
    c.engine.agent_ready("agent1", 0.0)
    c.pbx_up = True
    (orig,) = [o for o in c.pace(0.5) if isinstance(o, cmd.Originate)]
    (line,) = c.lines.values()
    c.plan.dialer.outcome(line.line, "person", 1.0)
    line.restored = True
    return orig


def test_a_person_answered_before_a_restart_is_routed_at_the_resync() -> None:
    c = core()
    orig = _answered_line_noted_ringing(c)
    out = c.reconcile({orig.channel: SimpleNamespace(id=orig.channel, state="Up")}, 2.0)
    (call,) = c.calls.values()
    assert call.channel == orig.channel
    assert c.engine.call_info(call.id).agent == "agent1"  # the free agent is offered it
    assert any(isinstance(o, cmd.AddChannels) for o in out)
    assert c.dialer_errors == 0  # the dialer is not told of the answer twice


def test_a_person_answered_and_gone_during_a_restart_is_a_connect_timeout() -> None:
    c = core()
    _answered_line_noted_ringing(c)
    c.reconcile({}, 2.0)
    assert c.dialer_errors == 0
    assert c.outcomes["outbound_abandoned"] == 1
    assert list(c.plan.dialer.lines()) == []  # closed in the dialer too
