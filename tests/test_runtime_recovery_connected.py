"""Recovery when the engine is ahead of a call's note (found by tests/test_serve_crash.py).

The runtime journals an engine input before applying it, and rewrites a call's note after
the commands of the event were made. A kill -9 between the two leaves a journal whose
engine says the call is *connected* (``offer_accepted`` applied) while the call's note
still says *offering* (the agent leg ringing). If both legs are then gone by the restart,
the restored call must end as answered (``call_ended``, the agent freed): not be judged as
a ringing leg that vanished (``offer_declined``, refused by the engine) and a caller who
abandoned in queue (``call_abandoned``, refused), which left the call connected in the
engine for ever (its agent busy with nobody) beside an ``abandoned`` outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from _runtime_util import DNIS, Channel, StasisStart, make_center
from callroute.runtime import CallCore, Options
from callroute.runtime import commands as cmd

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
AGENTS = {"agent1": "PJSIP/1001"}


def _core(center: Any) -> Any:
    return CallCore(
        center,
        center.engine,
        wall=lambda t: T0 + timedelta(seconds=t),
        options=Options(id_prefix="r"),
    )


def _restart_with_accepted_offer(live: dict[str, Any]) -> tuple[Any, Any, list[Any], str]:
    center = make_center(AGENTS, ivr=False, record=False, wrapup=0)
    first = _core(center)
    center.engine.agent_ready("agent1", 0.0)
    caller = Channel("pbx-1", caller_number="5551001")
    out = first.on_event(StasisStart(caller, ("inbound", DNIS)), 1.0)
    (orig,) = [c for c in out if isinstance(c, cmd.Originate)]
    notes = [{**p, "call": c} for c, p in first.take_notes() if p is not None]
    assert [n["phase"] for n in notes] == ["offering"]
    # the agent answered: offer_accepted reached the engine (journaled and applied), then
    # the process died before the call's note said so
    center.engine.offer_accepted(orig.call, 2.0)
    assert center.engine.call_info(orig.call).state == "connected"
    second = _core(center)
    second.restore(notes)
    commands = second.reconcile(live, 3.0)
    return center, second, commands, orig.call


def test_both_legs_gone_after_the_crash_ends_the_connected_call_answered() -> None:
    center, core, commands, call = _restart_with_accepted_offer({})
    assert center.engine.calls() == []
    assert center.engine.agent_state("agent1") != "busy"
    stats = center.engine.queue_stats("sales")
    assert (stats.answered, stats.abandoned) == (1, 0)
    outcomes = [c for c in commands if isinstance(c, cmd.RecordOutcome)]
    assert [(o.call, o.outcome) for o in outcomes] == [(call, "answered")]
    assert core.calls == {}


def test_agent_leg_gone_caller_there_ends_the_call_answered() -> None:
    caller = Channel("pbx-1", caller_number="5551001", state="Up")
    center, _, commands, call = _restart_with_accepted_offer({"pbx-1": caller})
    assert center.engine.calls() == []
    outcomes = [c for c in commands if isinstance(c, cmd.RecordOutcome)]
    assert [(o.call, o.outcome) for o in outcomes] == [(call, "answered")]
    assert cmd.Hangup("pbx-1") in commands


def test_a_call_reoffered_during_the_resync_keeps_its_new_offer() -> None:
    """The restored call's ringing leg vanished: the resync declines it and the engine offers
    the call again at once (a new leg, not in the channel list: it is not rung yet). That new
    offer must be rung, not declined as another vanished leg (found by test_serve_crash)."""
    agents = {"agent1": "PJSIP/1001", "agent2": "PJSIP/1002"}
    center = make_center(agents, ivr=False, record=False, wrapup=0)
    first = _core(center)
    center.engine.agent_ready("agent1", 0.0)
    caller = Channel("pbx-1", caller_number="5551001", state="Up")
    first.on_event(StasisStart(caller, ("inbound", DNIS)), 1.0)
    center.engine.agent_ready("agent2", 1.5)
    notes = [{**p, "call": c} for c, p in first.take_notes() if p is not None]
    second = _core(center)
    second.restore(notes)
    commands = second.reconcile({"pbx-1": caller}, 3.0)
    originates = [c for c in commands if isinstance(c, cmd.Originate)]
    assert len(originates) == 1
    (orig,) = originates
    info = center.engine.call_info(orig.call)
    assert info.state == "offered"
    assert agents[info.agent] == orig.endpoint
    assert center.engine.agent_stats(info.agent).declined == 0


def test_a_holding_bridge_whose_teardown_the_kill_cut_off_is_destroyed_at_the_resync() -> None:
    """The agent answered: the runtime queued the holding bridge's teardown and noted the
    call without it; a kill before the teardown ran left the bridge on the PBX, and no later
    start knew of it (found by test_serve_crash: a bridge left over at the end of the run)."""
    center = make_center(AGENTS, ivr=False, record=False, wrapup=0)
    first = _core(center)
    center.engine.agent_ready("agent1", 0.0)
    caller = Channel("pbx-1", caller_number="5551001", state="Up")
    out = first.on_event(StasisStart(caller, ("inbound", DNIS)), 1.0)
    (orig,) = [c for c in out if isinstance(c, cmd.Originate)]
    leg = Channel(orig.channel, state="Up")
    out = first.on_event(StasisStart(leg, ("agent", orig.call)), 2.0)
    hold = f"{orig.call}-hold"
    assert cmd.DestroyBridge(hold) in out  # queued, never run: the process dies here
    notes = [{**p, "call": c} for c, p in first.take_notes() if p is not None]
    second = _core(center)
    second.restore(notes)
    mix = f"{orig.call}-mix"
    bridges = {hold: (), mix: ("pbx-1", orig.channel)}
    commands = second.reconcile({"pbx-1": caller, orig.channel: leg}, 3.0, None, bridges)
    assert cmd.DestroyBridge(hold) in commands
    assert cmd.DestroyBridge(mix) not in commands
