"""Resync and crash recovery for the call core.

After a websocket gap, or a restart from the journal, the core compares what it believes
with what the PBX lists (:meth:`RecoveryMixin.reconcile`) and with what the engine says
(:meth:`RecoveryMixin._settle`). Calls are kept across a crash as journal notes (one per
call in the queue or later, replaced as the call moves on, deleted with its outcome);
:meth:`RecoveryMixin.restore` rebuilds them. Split from :mod:`callroute.runtime.calls`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..engine import Decision
from . import commands as cmd
from .commands import Command
from .state import Call, Leg, Options, Phase

if TYPE_CHECKING:
    from ..center import Center

_log = logging.getLogger("callroute.runtime")

#: The skill that pins an answered preview to its agent (+ the agent's name): held only
#: within the one step that routes the person (:mod:`callroute.runtime.outbound`).
PIN_SKILL = "callroute-pin:"

_NOTED = (
    "channel",
    "dnis",
    "caller",
    "caller_name",
    "tenant",
    "queue",
    "hold",
    "mix",
    "agent",
    "leg",
    "customer_leg",
    "recording",
    "callback",
    "callback_number",
    "attempts",
)


class RecoveryMixin:
    """Reconciling with the PBX's channel list; notes and restore across a crash."""

    #: the first app argument of the channels a runtime originates (agent and customer
    #: legs, outbound lines): one it does not know is hung up, never adopted as a caller,
    #: by a runtime without campaigns too (a line left by a run that had them)
    originated_kinds: frozenset[str] = frozenset({"agent", "customer", "outbound"})
    center: Center
    engine: Any
    options: Options
    calls: dict[str, Call]
    legs: dict[str, Leg]
    stamp: int
    _by_channel: dict[str, str]
    _lanes: dict[str, str]
    _recordings: dict[str, str]
    _seen: dict[str, None]
    _dirty: set[str]
    _ended: dict[str, dict[str, Any]]
    _cleanup: dict[str, dict[str, Any]]
    ended_pending: set[str]
    _see: Callable[[str], None]
    _engine: Callable[..., list[Decision]]
    _engine_query: Callable[..., Any]
    _decide: Callable[[list[Decision], float], list[Command]]
    _outcome: Callable[[Call, str, float, dict[str, Any]], list[Command]]
    _leg_gone: Callable[[Leg, float, str], list[Command]]
    _leg_answered: Callable[[Leg, float], list[Command]]
    _caller_gone: Callable[[Call, float], list[Command]]
    _drop_bridges: Callable[[Call], list[Command]]
    _inbound: Callable[..., list[Command]]
    _restart: Callable[[Call, float], list[Command]]

    def reconcile(
        self,
        live: Mapping[str, Any],
        now: float,
        stamp: int | None = None,
        bridges: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[Command]:
        """After a websocket gap: ``live`` maps channel ids to channels the PBX lists;
        ``stamp`` is :attr:`stamp` when the list was asked for (what came later is newer
        than the list and left alone).

        Calls whose caller channel vanished get their outcome (abandoned, ended); legs that
        vanished count as unanswered (ringing) or hung up (connected). Channels in our
        Stasis app the runtime does not know: inbound callers are adopted as new calls
        (a live caller is worth more than a replayed prompt), agent legs are hung up (their
        offer is gone; the engine re-offers the call).
        """
        limit = self.stamp if stamp is None else stamp
        out: list[Command] = []
        for call_id, note in list(self._cleanup.items()):
            # calls that had their outcome when the process died: finish their teardown
            del self._cleanup[call_id]
            self.ended_pending.add(call_id)
            for channel in note.get("channels") or ():
                if channel in live:
                    out.append(cmd.Hangup(str(channel)))
            out += [cmd.DestroyBridge(str(b)) for b in note.get("bridges") or ()]
        for call in list(self.calls.values()):
            if call.restored:
                self._catch_up(call, live)
                # its holding bridge dropped (teardown queued) when the process died: the
                # note no longer names it, the PBX may still have it
                stale = f"{call.id}-hold"
                if bridges is not None and call.hold is None and stale in bridges:
                    out.append(cmd.DestroyBridge(stale))
        for leg in list(self.legs.values()):
            if leg.born <= limit and leg.channel not in live and leg.state != "gone":
                out += self._leg_gone(leg, now, "vanished during the gap")
        for call in list(self.calls.values()):
            gone = call.channel is not None and call.channel not in live
            if call.born <= limit and call.caller_up and gone:
                out += self._caller_gone(call, now)
        self._listed = limit
        for call in list(self.calls.values()):
            if call.restored:
                call.restored = False
                out += self._settle(call, live, now, bridges)
        for channel_id, channel in live.items():
            if channel_id in self._seen or channel_id in self.legs:
                continue
            args = _stasis_args(channel, self.options.app)
            if args is None:
                continue
            if args[:1] and args[0] in self.originated_kinds:
                _log.warning(
                    "channel %s: unknown %s leg after resync: hanging up", channel_id, args[0]
                )
                out.append(cmd.Hangup(channel_id))
            else:
                _log.warning("channel %s: unknown caller after resync: adopting", channel_id)
                out += self._inbound(channel, args, now, adopted=True)
        return out

    def heal_pins(self, now: float) -> list[Command]:
        """At start-up: an agent still holding a pin skill (``callroute-pin:<agent>``) is
        left over from a process that died within the step that pins an answered preview
        (between taking the agent's skills and giving them back): no call would ever reach
        it again. It gets its skills back from the center's file (an agent the file does
        not name keeps its other skills), as a journaled input, logged at warning; a call
        left in a pin skill's queue is abandoned (:meth:`_drop_pinned_calls`)."""
        out: list[Command] = []
        for agent in self._engine_query("agents") or ():
            skills = self._engine_query("agent_skills", agent)
            pins = sorted(s for s in skills or () if s.startswith(PIN_SKILL))
            if not pins:
                continue
            config = self.center.agents.get(agent)
            if config is not None:
                back = dict(config.skills)
            else:
                back = {s: v for s, v in skills.items() if not s.startswith(PIN_SKILL)}
            _log.warning(
                "agent %s: still pinned after a restart (skills %s, state %s %s): its "
                "skills from %s given back: %s",
                agent,
                dict(skills),
                self._engine_query("agent_state", agent),
                self._engine_query("agent_reason", agent) or "",
                "the center's file" if config is not None else "the engine, pins removed",
                back,
            )
            out += self._decide(self._engine("set_agent_skills", agent, back, now), now)
        return out + self._drop_pinned_calls(now)

    def _drop_pinned_calls(self, now: float) -> list[Command]:
        """Calls the engine holds in a pin skill's queue that this runtime does not know
        (the step that pinned them died before noting them): nobody holds that skill any
        more, so each would wait for ever. Abandoned (its person is the line's: the
        line's own recovery closes it)."""
        out: list[Command] = []
        known = getattr(self, "tasks", {})
        for call_id in self._engine_query("calls") or ():
            if call_id in self.calls or call_id in known:
                continue
            info = self._engine_query("call_info", call_id)
            queue = str(getattr(info, "queue", ""))
            if not (queue.startswith("skills[") and PIN_SKILL in queue):
                continue
            _log.warning(
                "call %s: %s in %s after a restart, unknown to this runtime: abandoned",
                call_id,
                getattr(info, "state", "?"),
                queue,
            )
            out += self._decide(self._engine("call_abandoned", call_id, now), now)
        return out

    # ------------------------------------------------------------------ notes

    def take_notes(self) -> list[tuple[str, dict[str, Any] | None]]:
        """What to keep in the journal for the calls that changed: ``(call, payload)``;
        ``None`` deletes the call's note (it has its outcome, or never reached the queue)."""
        out: list[tuple[str, dict[str, Any] | None]] = []
        for call_id in sorted(self._dirty):
            call = self.calls.get(call_id)
            ended = self._ended.pop(call_id, None)
            if ended is not None:
                # kept until the call's PBX teardown has run (the service then deletes it)
                out.append((call_id, ended))
                self.ended_pending.add(call_id)
                continue
            if call is None or call.outcome_done:
                out.append((call_id, None))
                continue
            payload: dict[str, Any] = {k: getattr(call, k) for k in _NOTED}
            payload["phase"] = call.phase.value
            payload["data"] = dict(call.data)
            out.append((call_id, payload))
        self._dirty.clear()
        return out

    def restore(self, notes: list[Mapping[str, Any]]) -> int:
        """Rebuild the calls kept as notes (after a crash); returns how many.

        They are checked at the next :meth:`reconcile` (the PBX's channels and the
        engine's view of each call decide what happens to them).
        """
        count = 0
        for note in notes:
            if note.get("phase") == "ended":
                # its outcome is recorded; its channels may still need hanging up
                self._cleanup[str(note.get("call"))] = dict(note)
                for channel in note.get("channels") or ():
                    self._see(str(channel))
                continue
            try:
                call = Call(
                    id=str(note["call"]),
                    channel=note.get("channel"),
                    dnis=str(note.get("dnis", "")),
                    caller=note.get("caller"),
                    caller_name=note.get("caller_name"),
                    started=0.0,
                )
                for key in _NOTED[3:]:
                    setattr(call, key, note.get(key, getattr(call, key)))
                call.phase = Phase(note.get("phase", "queued"))
                call.data = dict(note.get("data") or {})
            except (KeyError, TypeError, ValueError) as exc:
                _log.error("journal note of a call is unreadable (%s): skipped", exc)
                continue
            call.restored = True
            self.calls[call.id] = call
            if call.channel:
                self._by_channel[call.channel] = call.id
                self._lanes[call.channel] = call.id
                self._see(call.channel)
            state: Literal["up", "ringing"] = "up" if call.phase is Phase.CONNECTED else "ringing"
            if call.leg and call.agent:
                self.legs[call.leg] = Leg(call.leg, call.id, call.agent, "agent", state)
                self._see(call.leg)
            if call.customer_leg and call.agent:
                leg = Leg(call.customer_leg, call.id, call.agent, "customer", state)
                self.legs[leg.channel] = leg
                self._see(leg.channel)
            if call.recording:
                self._recordings[call.recording] = call.id
            count += 1
        return count

    def _catch_up(self, call: Call, live: Mapping[str, Any]) -> None:
        """A restored call noted as offering whose offer the engine accepted (the process
        died between the journaled ``offer_accepted`` and the call's next note): when a leg
        is gone, it is judged as the connected call it was (ended, answered), not as a ring
        that vanished and a caller who abandoned in queue (both refused by the engine)."""
        if call.phase is not Phase.OFFERING or call.leg is None:
            return
        if call.leg in live and call.channel in live:
            return  # both still there: _settle bridges them
        leg = self.legs.get(call.leg)
        info = self._engine_query("call_info", call.id)
        if leg is None or info is None or info.state != "connected" or info.agent != leg.agent:
            return
        leg.state = "up"
        call.phase = Phase.CONNECTED

    def _settle(
        self,
        call: Call,
        live: Mapping[str, Any],
        now: float,
        bridges: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[Command]:
        """A restored call whose caller is still there: make the PBX match the engine
        (``bridges``: the PBX's bridges and their channels, when known)."""
        if call.phase is Phase.ENDED or (not call.caller_up and not call.callback):
            return []
        info = self._engine_query("call_info", call.id)
        leg = self.legs.get(call.leg or "")
        out: list[Command]
        if call.phase in (Phase.IVR, Phase.FRONT_DOOR):
            if info is None:
                # the IVR's progress is not kept: the caller starts the flow again
                _log.info("call %s: back to the start of its IVR after recovery", call.id)
                return self._restart(call, now)
            # queued in the engine just before the crash, not yet in the holding bridge
            call.phase, call.queue = Phase.QUEUED, info.queue
            call.hold = f"{call.id}-hold"
            out = [
                cmd.CreateBridge(call.hold, "holding", "callroute-hold"),
                cmd.AddChannels(call.hold, (call.channel or "",), "participant"),
                cmd.StartMoh(call.hold, self.options.moh_class),
            ]
            return out + self._settle(call, live, now, None)
        if info is None:
            # the engine finished the call (an Exit, an end) before the crash let us act
            _log.warning("call %s: unknown to the engine after recovery: hanging up", call.id)
            out = []
            for other in (call.leg, call.customer_leg, call.channel):
                if other:
                    out.append(cmd.Hangup(other))
            call.caller_up = False
            call.phase = Phase.ENDED
            out += self._drop_bridges(call)
            return out + self._outcome(call, "interrupted", now, {"reason": "recovery"})
        out = []
        hold = call.hold or ""
        waiting = call.phase in (Phase.QUEUED, Phase.OFFERING) and bool(hold)
        if waiting and bridges is not None and call.channel not in bridges.get(hold, ()):
            # the holding bridge may not have been made before the crash
            if hold not in bridges:
                out.append(cmd.CreateBridge(hold, "holding", "callroute-hold"))
            out.append(cmd.AddChannels(hold, (call.channel or "",), "participant"))
            out.append(cmd.StartMoh(hold, self.options.moh_class))
        return out + self._settle_engine(call, info, leg, live, now)

    def _settle_engine(
        self, call: Call, info: Any, leg: Leg | None, live: Mapping[str, Any], now: float
    ) -> list[Command]:
        if info.state == "waiting" and leg is not None and leg.state != "gone":
            leg.state, leg.current = "gone", False
            call.leg = call.agent = None
            call.phase = Phase.CALLBACK if call.callback else Phase.QUEUED
            return [cmd.Hangup(leg.channel)]
        if info.state == "offered":
            if leg is not None and leg.born > getattr(self, "_listed", leg.born):
                return []  # offered again in this very resync: a new leg, not listed yet
            if leg is None or leg.channel not in live or leg.agent != info.agent:
                if leg is not None and leg.channel in live:
                    leg.current = False
                call.leg = call.agent = None
                return self._decide(self._engine("offer_declined", call.id, now), now)
            if getattr(live[leg.channel], "state", "") == "Up":
                return self._leg_answered(leg, now)
            return []
        if info.state == "connected" and call.phase is not Phase.CONNECTED:
            if leg is None or leg.channel not in live:
                return self._caller_gone(call, now)
            call.phase, call.auto_answer = Phase.OFFERING, True
            return self._leg_answered(leg, now)
        return []


def _stasis_args(channel: Any, app: str) -> tuple[str, ...] | None:
    """The Stasis arguments of a listed channel that sits in app ``app``, else None."""
    name = getattr(channel, "dialplan_app_name", "") or ""
    data = getattr(channel, "dialplan_app_data", "") or ""
    raw = getattr(channel, "raw", None) or {}
    dialplan = raw.get("dialplan") if isinstance(raw, Mapping) else None
    if not name and isinstance(dialplan, Mapping):
        name, data = dialplan.get("app_name", ""), dialplan.get("app_data", "")
    if name != "Stasis":
        return None
    parts = str(data).split(",")
    if not parts or parts[0] != app:
        return None
    return tuple(parts[1:])
