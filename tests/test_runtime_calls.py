"""The call core (sans-I/O) through the recorded ACD flows of fixtures/asterisk.

Each test feeds the events in the order the recording shows them (seq numbers of the
ari-acd-*.jsonl files in the comments) and checks the commands against what the recorded
app sent and the engine's outcome and statistics against the flow's meaning.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from _runtime_util import (
    DNIS,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    Dial,
    Endpoint,
    EndpointStateChange,
    LiveRecording,
    Playback,
    PlaybackFinished,
    RecordingFinished,
    StasisEnd,
    StasisStart,
    make_center,
)
from callroute.runtime import CallCore, Options
from callroute.runtime import commands as cmd

CALLER = Channel("callroute-test-1796204186.1", caller_number="5551001")
T0 = datetime(2026, 12, 2, 9, 36, tzinfo=timezone.utc)


def make_core(agents: dict[str, str] | None = None, **queue: Any) -> CallCore:
    center = make_center(agents, **queue)
    return CallCore(
        center,
        center.engine,
        wall=lambda t: T0 + timedelta(seconds=t),
        options=Options(id_prefix="c"),
        verifiers={"bank_pin": lambda account, pin: (account, pin) == ("4711", "1234")},
    )


def of(commands: list[Any], kind: type) -> list[Any]:
    return [c for c in commands if isinstance(c, kind)]


def pbx(commands: list[Any]) -> list[Any]:
    return [c for c in commands if isinstance(c, cmd.PBX_COMMANDS)]


def finish_plays(core: CallCore, commands: list[Any], now: float) -> list[Any]:
    out: list[Any] = []
    for play in of(commands, cmd.PlayChannel):
        out += core.on_event(PlaybackFinished(Playback(play.playback_id)), now)
    return out


def dtmf(core: CallCore, channel: Channel, digits: str, now: float) -> list[Any]:
    out: list[Any] = []
    for d in digits:
        out += core.on_event(ChannelDtmfReceived(channel, d), now)
    return out


def to_queue(core: CallCore, channel: Channel = CALLER, t: float = 0.37) -> list[Any]:
    """ari-acd-answered seq 20-56: StasisStart, welcome, account 4711#, PIN 1234#."""
    out = core.on_event(StasisStart(channel, ("inbound", DNIS)), t)
    out += finish_plays(core, out, t + 1.5)
    out += dtmf(core, channel, "4711#", t + 4.0)
    out += finish_plays(core, out, t + 4.4)
    out += dtmf(core, channel, "1234#", t + 6.5)
    return out


def test_answered_with_ivr_digits_and_recording() -> None:
    core = make_core()
    core.engine.agent_ready("agent1", 0.0)
    out = to_queue(core)
    # seq 22-61: answer, welcome prompt, holding bridge + MOH, originate the agent leg
    kinds = [type(c).__name__ for c in pbx(out)]
    assert kinds[:2] == ["Answer", "PlayChannel"]
    assert kinds[-4:] == ["CreateBridge", "AddChannels", "StartMoh", "Originate"]
    assert of(out, cmd.PlayChannel)[0].media == ("sound:callroute-welcome",)
    hold = of(out, cmd.CreateBridge)[0]
    assert hold.kind == "holding"
    orig = of(out, cmd.Originate)[0]
    assert orig.endpoint == "Local/agent1@agents"
    assert orig.timeout == 15  # the queue's offer timeout
    assert orig.app_args == f"agent,{orig.call}"
    assert orig.originator == CALLER.id
    assert orig.channel.startswith(orig.call)  # client-chosen, from the call id
    offer = next(c.event for c in of(out, cmd.Publish) if c.event["type"] == "offer")
    assert offer["agent"] == "agent1"
    assert offer["data"]["account"] == "4711"
    assert offer["data"]["authenticated"] is True
    assert offer["data"]["caller"] == "5551001"
    assert "1234" not in repr(out)  # the PIN goes nowhere
    leg = Channel(orig.channel, caller_number="5551001")
    # seq 67-82: Dial RINGING, ANSWER, StasisStart ["agent", call]
    assert core.on_event(Dial(leg, "RINGING"), 6.9) == []
    assert core.on_event(Dial(leg, "ANSWER"), 8.9) == []
    out = core.on_event(StasisStart(leg, ("agent", orig.call)), 8.92)
    kinds = [type(c).__name__ for c in pbx(out)]
    # seq 84-97: caller out of the hold bridge, mixing bridge with both, record it
    assert kinds == [
        "RemoveChannel",
        "DestroyBridge",
        "CreateBridge",
        "AddChannels",
        "RecordBridge",
    ]
    mix = of(out, cmd.AddChannels)[0]
    assert set(mix.channels) == {CALLER.id, leg.id}
    assert core.engine.agent_state("agent1") == "busy"
    rec = of(out, cmd.RecordBridge)[0]
    # seq 109-114: the caller hangs up
    out = core.on_event(ChannelHangupRequest(CALLER, 16), 16.09)
    out += core.on_event(StasisEnd(CALLER), 16.09)
    kinds = [type(c).__name__ for c in pbx(out)]
    assert kinds == ["StopRecording", "Hangup", "DestroyBridge"]
    assert of(out, cmd.Hangup)[0].channel == leg.id
    assert of(out, cmd.RecordOutcome) == []  # waits for the recording's duration
    # seq 118-129: RecordingFinished, then the agent leg's own teardown events
    out = core.on_event(RecordingFinished(LiveRecording(rec.name, duration=7.0)), 16.3)
    (outcome,) = of(out, cmd.RecordOutcome)
    assert outcome.outcome == "answered"
    assert outcome.detail["recording"] == rec.name
    assert outcome.detail["recording_duration"] == 7.0
    assert outcome.detail["agent"] == "agent1"
    for ev in (ChannelHangupRequest(leg, 32, soft=True), StasisEnd(leg), ChannelDestroyed(leg)):
        assert pbx(core.on_event(ev, 16.3)) == []
    stats = core.engine.queue_stats("sales")
    assert (stats.offered, stats.answered, stats.abandoned) == (1, 1, 0)
    assert core.engine.agent_state("agent1") == "wrapup"
    assert core.calls == {}


def test_no_answer_then_second_agent() -> None:
    """ari-acd-no-answer: agent3 rings 4 s, cause 19 on both halves, agent4 answers."""
    core = make_core(
        {"agent3": "Local/agent3@agents", "agent4": "Local/agent4@agents"}, offer_timeout=4
    )
    core.engine.agent_ready("agent3", 0.0)
    out = to_queue(core)
    first = of(out, cmd.Originate)[0]
    assert first.endpoint == "Local/agent3@agents"
    core.engine.agent_ready("agent4", 7.0)  # a second agent comes free meanwhile
    leg3 = Channel(first.channel)
    core.on_event(Dial(leg3, "RINGING"), 7.0)
    # seq 40-43: the PBX gives up ringing (timeout=4): destroyed, cause 19, no Dial end
    out = core.on_event(ChannelDestroyed(Channel(first.channel + "-peer"), 19), 10.9)
    assert out == []
    out = core.on_event(ChannelDestroyed(leg3, 19, "User alerting, no answer"), 10.9)
    second = of(out, cmd.Originate)
    assert [o.endpoint for o in second] == ["Local/agent4@agents"]
    assert second[0].channel != first.channel
    leg4 = Channel(second[0].channel)
    out = core.on_event(StasisStart(leg4, ("agent", second[0].call)), 12.9)
    assert of(out, cmd.RecordBridge)
    # seq 99-108: the agent hangs up first; the app hangs up the caller
    out = core.on_event(ChannelHangupRequest(leg4, 16), 16.9)
    out += core.on_event(StasisEnd(leg4), 16.9)
    hangups = of(out, cmd.Hangup)
    assert [h.channel for h in hangups] == [CALLER.id]
    rec = of(core.on_event(StasisEnd(CALLER), 17.0), cmd.RecordOutcome)
    assert rec == []
    out = core.on_event(RecordingFinished(LiveRecording(f"{second[0].call}-rec", 4.0)), 17.1)
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["answered"]
    stats = core.engine.queue_stats("sales")
    assert (stats.offered, stats.answered) == (1, 1)
    assert core.engine.agent_state("agent4") == "wrapup"
    assert core.engine.agent_state("agent3") in ("ready", "not_ready")


def test_engine_expiry_before_pbx_timeout_hangs_up_the_leg() -> None:
    core = make_core({"agent3": "Local/agent3@agents"}, offer_timeout=4)
    core.engine.agent_ready("agent3", 0.0)
    out = to_queue(core)
    leg = of(out, cmd.Originate)[0].channel
    out = core.on_timer(6.87 + 4.0)  # the offer expires in the engine first
    assert [h.channel for h in of(out, cmd.Hangup)] == [leg]
    # the leg's own end afterwards changes nothing
    assert pbx(core.on_event(ChannelDestroyed(Channel(leg), 16), 11.0)) == []
    assert core.engine.call_info(of(out, cmd.Publish)[0].event["call"]).state == "waiting"


def test_caller_gone_while_agent_rings() -> None:
    """ari-acd-caller-gone-while-ringing: the app must hang up the ringing agent leg."""
    core = make_core({"agent3": "Local/agent3@agents"}, offer_timeout=30)
    core.engine.agent_ready("agent3", 0.0)
    out = to_queue(core)
    orig = of(out, cmd.Originate)[0]
    assert orig.timeout == 30
    # seq 38-40: the caller hangs up in the holding bridge
    out = core.on_event(ChannelHangupRequest(CALLER, 16), 8.3)
    hangups = [h.channel for h in of(out, cmd.Hangup)]
    assert hangups == [orig.channel]  # quirk 34: originator does not link lifetimes
    assert of(out, cmd.DestroyBridge)
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["abandoned"]
    # seq 46-51: the leg's teardown (Dial NOANSWER, destroyed 16) is ignored
    out = core.on_event(Dial(Channel(orig.channel), "NOANSWER"), 8.8)
    out += core.on_event(ChannelDestroyed(Channel(orig.channel), 16), 8.8)
    out += core.on_event(StasisEnd(CALLER), 8.8)
    assert pbx(out) == []
    assert of(out, cmd.RecordOutcome) == []
    stats = core.engine.queue_stats("sales")
    assert (stats.offered, stats.answered, stats.abandoned) == (1, 0, 1)
    assert core.engine.agent_state("agent3") == "ready"


def test_abandon_in_queue() -> None:
    """ari-acd-abandon-in-queue: no agent; the caller hangs up after 7 s in the bridge."""
    core = make_core({"agent1": "Local/agent1@agents"})
    out = to_queue(core)
    assert of(out, cmd.Originate) == []
    out = core.on_event(ChannelHangupRequest(CALLER, 16), 14.0)
    out += core.on_event(StasisEnd(CALLER), 14.0)
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["abandoned"]
    assert [type(c).__name__ for c in pbx(out)] == ["DestroyBridge"]
    stats = core.engine.queue_stats("sales")
    assert (stats.offered, stats.abandoned, stats.waiting) == (1, 1, 0)


def test_agent_busy_congestion_and_missing_extension() -> None:
    """ari-acd-agent-busy: Dial BUSY / CONGESTION, and no Dial at all (cause 0)."""
    agents = {
        "agent7": "Local/agent7@agents-unavailable",
        "agent8": "Local/agent8@agents-unavailable",
        "agent99": "Local/agent99@agents",
    }
    core = make_core(agents, retry=1.0)
    for name in agents:
        core.engine.agent_ready(name, 0.0)
    out = to_queue(core)
    rung: list[str] = []
    now = 7.0
    for _ in range(3):
        (orig,) = of(out, cmd.Originate)
        rung.append(orig.endpoint)
        leg = Channel(orig.channel)
        if orig.endpoint.startswith("Local/agent7"):
            out = core.on_event(Dial(leg, "BUSY"), now)  # seq 34
        elif orig.endpoint.startswith("Local/agent8"):
            out = core.on_event(Dial(leg, "CONGESTION"), now)  # seq 50
        else:
            out = core.on_event(ChannelDestroyed(leg, 0, "Unknown"), now)  # seq 62
        out += core.on_event(ChannelDestroyed(leg, 0, "Unknown"), now)
        now += 0.5
        if not of(out, cmd.Originate):
            out += core.on_timer(now + 1.0)
    assert sorted(rung) == sorted(agents.values())
    assert core.engine.queue_stats("sales").answered == 0
    assert len(core.calls) == 1  # still waiting: the engine decides what comes next


def test_both_hang_up_at_once() -> None:
    core = make_core()
    core.engine.agent_ready("agent1", 0.0)
    out = to_queue(core)
    leg = Channel(of(out, cmd.Originate)[0].channel)
    core.on_event(StasisStart(leg, ("agent", of(out, cmd.Originate)[0].call)), 9.0)
    out = core.on_event(ChannelHangupRequest(leg, 16), 20.0)
    out += core.on_event(ChannelHangupRequest(CALLER, 16), 20.0)
    out += core.on_event(StasisEnd(leg), 20.0)
    out += core.on_event(StasisEnd(CALLER), 20.0)
    out += core.on_event(ChannelDestroyed(leg, 16), 20.0)
    out += core.on_timer(40.0)  # the recording never reported: the guard flushes
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["answered"]
    assert core.engine.queue_stats("sales").completed == 1


def test_agent_stasis_start_for_a_stale_offer_is_hung_up() -> None:
    core = make_core()
    out = core.on_event(StasisStart(Channel("cX-a9"), ("agent", "cX")), 1.0)
    assert [type(c).__name__ for c in out] == ["Hangup"]


def test_endpoint_offline_makes_agent_not_ready() -> None:
    core = make_core()
    core.engine.agent_ready("agent1", 0.0)
    ev = EndpointStateChange(Endpoint("Local", "agent1@agents", "offline"))
    core.on_event(ev, 1.0)
    assert core.engine.agent_state("agent1") == "not_ready"
    assert core.engine.agent_reason("agent1") == "offline"


def test_unknown_number_is_refused_after_a_prompt() -> None:
    core = make_core()
    out = core.on_event(StasisStart(CALLER, ("inbound", "18009999999")), 1.0)
    assert [type(c).__name__ for c in pbx(out)] == ["Answer", "PlayChannel"]
    out = finish_plays(core, out, 2.0)
    assert [type(c).__name__ for c in pbx(out)] == ["Hangup"]
    assert core.outcomes["refused"] == 1


def test_reconcile_after_a_gap() -> None:
    """Events lost in a gap: the caller and the ringing leg vanished; an unknown
    Stasis caller is adopted, an unknown agent leg hung up."""
    core = make_core()
    core.engine.agent_ready("agent1", 0.0)
    out = to_queue(core)
    assert of(out, cmd.Originate)
    other = Channel(
        "callroute-test-9.9",
        raw={"dialplan": {"app_name": "Stasis", "app_data": f"callroute,inbound,{DNIS}"}},
    )
    stray = Channel(
        "zz-a1", raw={"dialplan": {"app_name": "Stasis", "app_data": "callroute,agent,zz"}}
    )
    out = core.reconcile({other.id: other, stray.id: stray}, 30.0)
    assert [o.outcome for o in of(out, cmd.RecordOutcome)] == ["abandoned"]
    assert cmd.Hangup(stray.id) in out
    assert cmd.Answer(other.id) in out
    assert core.engine.queue_stats("sales").abandoned == 1
