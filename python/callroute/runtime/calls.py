"""The call core: per-call state machines, sans-I/O.

:class:`CallCore` owns the call records and drives the engine; it is fed PBX events (the
typed events of :mod:`callroute.adapters.ari`, matched by class name so any adapter of the
same shape fits), timer ticks, lookup results and command failures, each with the engine
time ``now``, and returns the :mod:`~callroute.runtime.commands` to carry out, in order.
It does no I/O, reads no clock, and is called from one task only: every engine call is
made here, one at a time.

A call's life: StasisStart → (front door: the caller picks the tenant of a shared number)
→ IVR session → ``call_arrived`` → holding bridge with music on hold → ``Offer``: originate
the agent's endpoint → agent StasisStart → mixing bridge (+ recording) → ``offer_accepted``
→ a hang-up → ``call_ended`` (or ``call_abandoned`` before the answer) → one outcome.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..center import Center, Refusal, Tenant
from ..engine import AgentStateChanged, Decision, Exit, Offer, Overflow, Queued, Revoked
from ..errors import CallrouteError
from ..ivr import DTMF, Collect, LookupResult, PlaybackDone, Session, Timeout
from ..ivr import Hangup as IvrHangup
from ..ivr import Lookup as IvrLookup
from ..ivr import OfferCallback as IvrCallback
from ..ivr import Play as IvrPlay
from ..ivr import Route as IvrRoute
from ..ivr import Transfer as IvrTransfer
from ..ivr import Voicemail as IvrVoicemail
from . import commands as cmd
from .commands import Command
from .legs import LegsMixin
from .prompts import PromptsMixin
from .recovery import RecoveryMixin
from .state import Call, Leg, Options, Phase, Task, engine_data, safe_number

_log = logging.getLogger("callroute.runtime")

#: Dial statuses that end an originated leg before it answers.
FAILED_DIAL = frozenset({"BUSY", "CONGESTION", "NOANSWER", "CHANUNAVAIL", "CANCEL", "DONTCALL"})


class CallCore(LegsMixin, RecoveryMixin, PromptsMixin):
    """Calls, agent legs and the engine, driven one input at a time (see module doc).

    ``engine`` is the center's engine or a journaling wrapper with the same methods;
    ``wall`` maps engine seconds to an aware datetime (tenant leases, hours, IVR clocks);
    ``verifiers`` are the IVR's PIN verifiers by name.
    """

    def __init__(
        self,
        center: Center,
        engine: Any,
        *,
        wall: Callable[[float], datetime],
        options: Options | None = None,
        verifiers: Mapping[str, Callable[[str, str], bool]] | None = None,
    ) -> None:
        self.center = center
        self.engine = engine
        self.options = options or Options()
        self._wall = wall
        self._verifiers = dict(verifiers or {})
        self.calls: dict[str, Call] = {}
        self.tasks: dict[str, Task] = {}
        self.legs: dict[str, Leg] = {}
        self._by_channel: dict[str, str] = {}
        self._playbacks: dict[str, str] = {}
        self._recordings: dict[str, str] = {}
        self._seq = 0
        self.outcomes: Counter[str] = Counter()
        self.endpoints: dict[str, str] = {
            name: a.endpoint for name, a in center.agents.items() if a.endpoint
        }
        self._endpoint_agent = {ep: name for name, ep in self.endpoints.items()}
        self._hours_open: dict[str, bool] = {}
        self._lanes: dict[str, str] = {}
        self._seen: dict[str, None] = {}
        self._dirty: set[str] = set()
        #: calls with an IVR, playback or recording deadline pending (the timer looks at these)
        self._timed: set[str] = set()
        #: ended calls whose teardown may still be running: noted until their lane drains
        self._ended: dict[str, dict[str, Any]] = {}
        self.ended_pending: set[str] = set()
        self._cleanup: dict[str, dict[str, Any]] = {}
        #: counts channels the core came to know; :meth:`reconcile` looks only at those
        #: known before the PBX listed its channels
        self.stamp = 0
        self._stale_lanes: list[str] = []
        self._handlers: dict[str, Callable[[Any, float], list[Command]]] = {
            "StasisStart": self._on_stasis_start,
            "StasisEnd": self._on_stasis_end,
            "ChannelDestroyed": self._on_channel_destroyed,
            "ChannelHangupRequest": self._on_channel_hangup_request,
            "Dial": self._on_dial,
            "ChannelDtmfReceived": self._on_channel_dtmf_received,
            "PlaybackFinished": self._on_playback_finished,
            "RecordingFinished": self._on_recording_finished,
            "EndpointStateChange": self._on_endpoint_state_change,
            "RecordingFailed": self._on_recording_finished,
        }

    # ------------------------------------------------------------------ inputs

    def on_event(self, event: Any, now: float) -> list[Command]:
        """Handle one PBX event; unknown or irrelevant events give no commands."""
        handler = self._handlers.get(type(event).__name__)
        if handler is None:
            return []
        return handler(event, now)

    def next_deadline(self) -> float | None:
        """The earliest time :meth:`on_timer` has work (engine timers, IVR waits, guards)."""
        times = [self.engine.next_deadline()]
        for call_id in list(self._timed):
            call = self.calls.get(call_id)
            mine = (
                [call.collect_deadline, call.play_guard, call.outcome_guard, call.announce_at]
                if call
                else []
            )
            if not any(t is not None for t in mine):
                self._timed.discard(call_id)  # nothing pending: out of the timed set
            times += mine
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def on_timer(self, now: float) -> list[Command]:
        """Fire what is due at ``now``: engine timers, digit timeouts, guards."""
        out: list[Command] = []
        out += self._decide(self._engine("advance", now), now)
        for call_id in sorted(self._timed):
            call = self.calls.get(call_id)
            if call is None:
                continue
            if call.play_guard is not None and call.play_guard <= now:
                _log.warning("call %s: playback never finished; going on", call.id)
                for pid in call.playbacks:
                    self._playbacks.pop(pid, None)
                call.playbacks.clear()
                out += self._playbacks_drained(call, now)
            if call.collect_deadline is not None and call.collect_deadline <= now:
                out += self._collect_done(call, now, timed_out=True)
            if call.outcome_guard is not None and call.outcome_guard <= now:
                out += self._flush_outcome(call)
            if call.announce_at is not None and call.announce_at <= now:
                out += self._periodic(call, now)
        return out

    def open_hours(self, now: float) -> list[Command]:
        """Open or close the queues that have business hours, for the moment ``now``."""
        when = self._wall(now)
        for name, q in self.center.queues.items():
            if q.hours is None:
                continue
            is_open = bool(self.center.hours[q.hours].is_open(when))
            if self._hours_open.get(name) != is_open:
                self._hours_open[name] = is_open
                self._engine("set_queue_open", name, is_open, timed=False)
        return []

    def lookup_done(self, call_id: str, result: LookupResult, now: float) -> list[Command]:
        """The answer of a lookup hook (or its timeout) for ``call_id``."""
        call = self.calls.get(call_id)
        if call is None or call.session is None or call.session.waiting_for != "lookup":
            return []
        return self._ivr_feed(call, result, now)

    def command_failed(self, command: Command, error: Exception, now: float) -> list[Command]:
        """A PBX command failed (``error`` already logged by the shell): repair the call."""
        if isinstance(command, cmd.Originate):
            leg = self.legs.get(command.channel)
            if leg is not None and leg.state == "ringing":
                return self._leg_failed(leg, now, f"originate failed: {error}")
            return []
        if isinstance(command, (cmd.Answer, cmd.AddChannels, cmd.CreateBridge)):
            call = self._call_of_command(command)
            if call is not None and call.phase is not Phase.ENDED and call.caller_up:
                # the caller cannot be served: release the PBX channel, end the call
                _log.warning(
                    "call %s: %s failed: hanging up the caller", call.id, type(command).__name__
                )
                channel = call.channel or ""
                return [*self._caller_gone(call, now), cmd.Hangup(channel)]
        if isinstance(command, (cmd.PlayChannel, cmd.PlayBridge)):
            call = self.calls.get(self._playbacks.pop(command.playback_id, ""))
            if call is not None:
                call.playbacks.discard(command.playback_id)
                return self._playbacks_drained(call, now)
        return []

    # ------------------------------------------------------------------ PBX events

    def _on_stasis_start(self, ev: Any, now: float) -> list[Command]:
        channel = ev.channel
        leg = self.legs.get(channel.id)
        if leg is not None:
            return self._leg_answered(leg, now)
        args = tuple(str(a) for a in (ev.args or ()))
        if args[:1] and args[0] in self.originated_kinds:
            _log.warning(
                "channel %s: leg of an unknown call entered the app: hanging up", channel.id
            )
            return [cmd.Hangup(channel.id)]
        if channel.id in self._by_channel:
            return []
        return self._inbound(channel, args, now)

    def _on_stasis_end(self, ev: Any, now: float) -> list[Command]:
        return self._channel_gone(ev.channel.id, now)

    def _on_channel_destroyed(self, ev: Any, now: float) -> list[Command]:
        return self._channel_gone(ev.channel.id, now)

    def _on_channel_hangup_request(self, ev: Any, now: float) -> list[Command]:
        return self._channel_gone(ev.channel.id, now)

    def _on_dial(self, ev: Any, now: float) -> list[Command]:
        peer = getattr(ev, "peer", None)
        leg = self.legs.get(getattr(peer, "id", "")) if peer is not None else None
        status = str(getattr(ev, "dialstatus", "") or "")
        if leg is not None and leg.state == "ringing" and status in FAILED_DIAL:
            return self._leg_failed(leg, now, f"dial {status}")
        return []

    def _on_channel_dtmf_received(self, ev: Any, now: float) -> list[Command]:
        call = self.calls.get(self._by_channel.get(ev.channel.id, ""))
        digit = str(ev.digit)
        if call is None or call.collect is None or len(digit) != 1 or digit not in DTMF:
            return []
        out: list[Command] = []
        if not call.buffer and call.playbacks:
            # barge-in: the caller knows the answer, stop the prompts
            out += [cmd.StopPlayback(pid) for pid in sorted(call.playbacks)]
        call.buffer += digit
        collect = call.collect
        if (collect.terminator is not None and digit == collect.terminator) or len(
            call.buffer
        ) >= collect.max_digits:
            return out + self._collect_done(call, now, timed_out=False)
        call.collect_deadline = now + collect.timeout
        self._timed.add(call.id)
        return out

    def _on_playback_finished(self, ev: Any, now: float) -> list[Command]:
        pid = ev.playback.id
        call = self.calls.get(self._playbacks.pop(pid, ""))
        if call is None:
            return []
        call.playbacks.discard(pid)
        return self._playbacks_drained(call, now)

    def _on_recording_finished(self, ev: Any, now: float) -> list[Command]:
        rec = ev.recording
        call = self.calls.get(self._recordings.pop(rec.name, ""))
        if call is None:
            return []
        duration = getattr(rec, "duration", None)
        call.recording_duration = float(duration) if duration is not None else None
        return self._flush_outcome(call)

    def endpoints_listed(self, endpoints: list[Any], now: float) -> list[Command]:
        """The PBX's endpoints at a (re)connect: agents whose phone is offline go not ready
        (state changes missed while disconnected are caught up this way)."""
        out: list[Command] = []
        for ep in endpoints:
            out += self._endpoint_state(ep, now)
        return out

    def _on_endpoint_state_change(self, ev: Any, now: float) -> list[Command]:
        return self._endpoint_state(ev.endpoint, now)

    def _endpoint_state(self, ep: Any, now: float) -> list[Command]:
        agent = self._endpoint_agent.get(f"{ep.technology}/{ep.resource}")
        if agent is None or str(ep.state).lower() not in ("offline", "unavailable"):
            return []
        if self._engine_query("agent_state", agent) in (None, "logged_out", "not_ready"):
            return []
        _log.info("agent %s: endpoint %s/%s offline: not ready", agent, ep.technology, ep.resource)
        return self._decide(self._engine("agent_not_ready", agent, now, "offline"), now)

    # ------------------------------------------------------------------ callers

    def _new_id(self) -> str:
        self._seq += 1
        return f"{self.options.id_prefix or 'cr'}{self._seq}"

    def _inbound(
        self, channel: Any, args: tuple[str, ...], now: float, *, adopted: bool = False
    ) -> list[Command]:
        if len(args) >= 2 and args[0] == "inbound":
            dnis = args[1]
        elif len(args) == 1:
            dnis = args[0]
        else:
            dnis = str(getattr(channel, "dialplan_exten", "") or "")
        call = Call(
            id=self._new_id(),
            channel=channel.id,
            dnis=dnis,
            caller=safe_number(getattr(channel, "caller_number", None)),
            caller_name=(getattr(channel, "caller_name", None) or None),
            started=now,
        )
        self.stamp += 1
        call.born = self.stamp
        self._see(channel.id)
        self.calls[call.id] = call
        self._by_channel[channel.id] = call.id
        self._lanes[channel.id] = call.id
        _log.info(
            "call %s: channel %s entered%s", call.id, channel.id, " (adopted)" if adopted else ""
        )
        self._dirty.add(call.id)
        out: list[Command] = [cmd.Answer(channel.id)]
        return out + self._restart(call, now)

    def _restart(self, call: Call, now: float) -> list[Command]:
        """Resolve the tenant of ``call`` and start its flow (again, after a recovery)."""
        call.session, call.collect, call.collect_deadline = None, None, None
        call.front, call.front_tries, call.phase = None, 0, Phase.IVR
        out: list[Command] = []
        dnis = call.dnis
        if safe_number(dnis) is None:
            return out + self._refuse(call, "unknown_number", now)
        found = self.center.resolve(dnis, self._wall(now))
        if isinstance(found, Refusal) and found.reason == "needs_choice" and found.options:
            return out + self._front_door(call, found.options, now)
        if isinstance(found, Refusal):
            return out + self._refuse(call, found.reason, now)
        return out + self._start_tenant(call, found, now)

    def _front_door(self, call: Call, options: tuple[str, ...], now: float) -> list[Command]:
        number = self.center.directory.number(call.dnis)
        call.phase = Phase.FRONT_DOOR
        call.front = "choice" if "choice" in options else "code"
        prompt = None
        if number is not None:
            prompt = number.prompt if call.front == "choice" else number.code_prompt
        if call.front == "choice":
            collect = Collect(1, 1, None, self.options.front_door_timeout)
        else:
            collect = Collect(12, 1, "#", self.options.front_door_timeout)
        out = self._play(call, [prompt], now) if prompt else []
        call.collect, call.buffer = collect, ""
        if not call.playbacks:
            call.collect_deadline = now + collect.timeout
            self._timed.add(call.id)
        return out

    def _front_door_input(self, call: Call, text: str | None, now: float) -> list[Command]:
        found: Tenant | Refusal | None = None
        if text:
            if call.front == "choice":
                found = self.center.resolve(call.dnis, self._wall(now), choice=text[:1])
            else:
                found = self.center.resolve(call.dnis, self._wall(now), code=text.rstrip("#"))
        if isinstance(found, Tenant):
            call.front = None
            return self._start_tenant(call, found, now)
        if isinstance(found, Refusal) and found.reason not in ("invalid_choice", "invalid_code"):
            return self._refuse(call, found.reason, now)
        call.front_tries += 1
        if call.front_tries >= self.options.front_door_tries:
            return self._refuse(call, "no_valid_input", now)
        return self._front_door(call, (call.front or "choice",), now)

    def _start_tenant(self, call: Call, tenant: Tenant, now: float) -> list[Command]:
        call.tenant = tenant.name
        call.phase = Phase.IVR
        base = {"caller": call.caller or "", "dnis": call.dnis, "tenant": tenant.name}
        flow = self.center.flows.get(tenant.flow) if tenant.flow else None
        if flow is None:
            queue = next((q for q in tenant.queues if self.center.queues[q].media == "voice"), None)
            if queue is None:
                return self._refuse(call, "no_queue", now)
            return self._enqueue(call, queue, 0, base, now)
        try:
            call.session = Session(
                flow,
                clock=self._wall,
                verifiers=self._verifiers,
                calendars=self.center.hours,
            )
            actions = call.session.start(now, caller=call.caller, dnis=call.dnis, data=base)
        except CallrouteError as exc:
            _log.error("call %s: IVR flow %r cannot start: %s", call.id, flow.name, exc)
            return self._refuse(call, "ivr_error", now)
        return self._ivr_actions(call, actions, now)

    def _refuse(self, call: Call, reason: str, now: float) -> list[Command]:
        _log.info("call %s: refused (%s)", call.id, reason)
        call.phase = Phase.ENDED
        out = self._play(call, [self.options.sorry_prompt], now, raw=True)
        out += self._after_play(call, [cmd.Hangup(call.channel or "", "normal")], now)
        return out + self._outcome(call, "refused", now, {"reason": reason})

    # ------------------------------------------------------------------ IVR

    def _ivr_feed(self, call: Call, event: Any, now: float) -> list[Command]:
        assert call.session is not None
        try:
            actions = call.session.feed(event, now)
        except CallrouteError as exc:
            _log.error("call %s: IVR refused %s: %s", call.id, type(event).__name__, exc)
            return []
        return self._ivr_actions(call, actions, now)

    def _ivr_actions(self, call: Call, actions: list[Any], now: float) -> list[Command]:
        out: list[Command] = []
        for action in actions:
            if isinstance(action, IvrPlay):
                out += self._play(call, [action.prompt], now)
            elif isinstance(action, Collect):
                call.collect, call.buffer = action, ""
                call.collect_deadline = None if call.playbacks else now + action.timeout
                self._timed.add(call.id)
            elif isinstance(action, IvrLookup):
                out.append(cmd.RunLookup(call.id, action))
            elif isinstance(action, (IvrRoute, IvrCallback, IvrVoicemail, IvrTransfer, IvrHangup)):
                out += self._after_play(call, [action], now)
        if (
            call.session is not None
            and call.session.waiting_for == "playback"
            and not call.playbacks
        ):
            out += self._ivr_feed(call, PlaybackDone(), now)
        return out

    def _collect_done(self, call: Call, now: float, *, timed_out: bool) -> list[Command]:
        text, call.buffer = call.buffer, ""
        call.collect, call.collect_deadline = None, None
        if call.phase is Phase.FRONT_DOOR:
            return self._front_door_input(call, text or None, now)
        if call.session is None or call.session.finished:
            return []
        if timed_out and not text:
            return self._ivr_feed(call, Timeout(), now)
        return self._ivr_feed(call, call.session.digits(text), now)

    def _ivr_terminal(self, call: Call, action: Any, now: float) -> list[Command]:
        data = dict(call.session.data) if call.session is not None else {}
        channel = call.channel or ""
        if isinstance(action, IvrRoute):
            return self._enqueue(call, action.queue, action.priority, data, now)
        if isinstance(action, IvrCallback):
            return self._enqueue(
                call, action.queue, action.priority, data, now, callback=action.number
            )
        call.phase = Phase.ENDED
        if isinstance(action, IvrVoicemail):
            out: list[Command] = [
                cmd.ContinueInDialplan(channel, self.options.voicemail_context, action.box, 1)
            ]
            return out + self._outcome(call, "voicemail", now, {"box": action.box})
        if isinstance(action, IvrTransfer):
            out = [
                cmd.ContinueInDialplan(
                    channel, self.options.transfer_context, action.destination, 1
                )
            ]
            return out + self._outcome(call, "transferred", now, {"to": action.destination})
        reason = action.reason if isinstance(action, IvrHangup) else "normal"
        return [cmd.Hangup(channel), *self._outcome(call, "ivr_hangup", now, {"reason": reason})]

    # ------------------------------------------------------------------ prompts

    def _play(
        self, call: Call, prompts: list[str | None], now: float, *, raw: bool = False
    ) -> list[Command]:
        media = tuple(
            (f"sound:{p}" if raw else self.prompt_media(p)) for p in prompts if p is not None
        )
        if not media or call.channel is None or not call.caller_up:
            return []
        pid = call.next_playback()
        call.playbacks.add(pid)
        self._playbacks[pid] = call.id
        call.play_guard = now + self.options.playback_guard
        self._timed.add(call.id)
        return [cmd.PlayChannel(call.channel, media, pid)]

    def _after_play(self, call: Call, actions: list[Any], now: float) -> list[Command]:
        if call.playbacks:
            call.deferred.extend(actions)
            return []
        return self._run_deferred(call, actions, now)

    def _run_deferred(self, call: Call, actions: list[Any], now: float) -> list[Command]:
        out: list[Command] = []
        for action in actions:
            if isinstance(action, cmd.PBX_COMMANDS):
                out.append(action)
            else:
                out += self._ivr_terminal(call, action, now)
        return out

    def _playbacks_drained(self, call: Call, now: float) -> list[Command]:
        if call.playbacks:
            return []
        call.play_guard = None
        out: list[Command] = []
        if call.deferred:
            actions, call.deferred = call.deferred, []
            if call.caller_up:
                out += self._run_deferred(call, actions, now)
        if call.collect is not None and call.collect_deadline is None:
            call.collect_deadline = now + call.collect.timeout
            self._timed.add(call.id)
        if call.session is not None and call.session.waiting_for == "playback":
            out += self._ivr_feed(call, PlaybackDone(), now)
        if call.outcome_done:
            self._forget(call)
        return out

    # ------------------------------------------------------------------ queueing

    def _enqueue(
        self,
        call: Call,
        queue: str,
        priority: int,
        data: Mapping[str, Any],
        now: float,
        *,
        callback: str | None = None,
        skills: Mapping[str, int] | None = None,
    ) -> list[Command]:
        """Into ``queue`` (or, with ``skills``, routed by those skills for the call's
        tenant, ``queue`` then only named in logs): holding bridge, music, announcements."""
        if skills is None and self.center.ownership.queues.get(queue) != call.tenant:
            _log.error("call %s: tenant %r has no queue %r", call.id, call.tenant, queue)
            return self._refuse(call, "foreign_queue", now)
        call.data = engine_data({**data, "caller": call.caller or "", "dnis": call.dnis})
        call.data["tenant"] = call.tenant or ""
        try:
            if skills is None:
                decisions = self.engine.call_arrived(
                    call.id, now, queue=queue, priority=priority, data=call.data
                )
            else:
                decisions = self.engine.call_arrived(
                    call.id, now, skills=dict(skills), tenant=call.tenant, data=call.data
                )
                queue = self.engine.call_info(call.id).queue
        except CallrouteError as exc:
            _log.error("call %s: engine refused the call: %s", call.id, exc)
            return self._refuse(call, "rejected", now)
        call.phase, call.queue = Phase.QUEUED, queue
        self._dirty.add(call.id)
        call.hold = f"{call.id}-hold"
        channel = call.channel or ""
        out: list[Command] = [
            cmd.CreateBridge(call.hold, "holding", "callroute-hold"),
            cmd.AddChannels(call.hold, (channel,), "participant"),
            cmd.StartMoh(call.hold, self.options.moh_class),
        ]
        found = self.center.queues.get(queue)
        ann = found.announcements if found is not None else None
        if ann is not None and ann.welcome:
            out += self._play(call, [ann.welcome], now)
        if ann is not None and (ann.periodic or ann.position):
            call.announce_at = now + ann.every
            self._timed.add(call.id)
        out += self._decide(decisions, now)
        number = safe_number(callback)
        if callback is not None and call.phase is Phase.QUEUED and number is not None:
            out += self._to_callback(call, number, now)
        return out

    def _to_callback(self, call: Call, number: str, now: float) -> list[Command]:
        decisions = self._engine("callback_requested", call.id, now)
        if self._engine_query("call_info", call.id) is None:
            return self._decide(decisions, now)
        call.phase, call.callback, call.callback_number = Phase.CALLBACK, True, number
        self._dirty.add(call.id)
        out = self._decide(decisions, now)
        if call.hold is not None:
            out.append(cmd.DestroyBridge(call.hold))
            call.hold = None
        call.caller_up = False
        self._by_channel.pop(call.channel or "", None)
        out.append(cmd.Hangup(call.channel or ""))
        return out

    # ------------------------------------------------------------------ decisions

    def _engine(self, method: str, *args: Any, timed: bool = True) -> list[Decision]:
        try:
            result = getattr(self.engine, method)(*args)
        except CallrouteError as exc:
            _log.warning("engine %s%r refused: %s", method, args[:1], exc)
            return []
        return list(result) if timed and result is not None else []

    def _engine_query(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.engine, method)(*args)
        except CallrouteError:
            return None

    def _decide(self, decisions: list[Decision], now: float) -> list[Command]:
        out: list[Command] = []
        for d in decisions:
            if isinstance(d, (Offer, Revoked, Exit, Overflow)):
                self._dirty.add(d.call)
            if isinstance(d, Offer):
                out += self._offer(d, now)
            elif isinstance(d, Revoked):
                out += self._revoked(d, now)
            elif isinstance(d, Queued):
                out += self._queued(d, now)
            elif isinstance(d, Exit):
                out += self._exit(d, now)
            elif isinstance(d, Overflow):
                call = self.calls.get(d.call)
                if call is not None:
                    call.queue = d.to_queue
                out.append(self._publish_call("overflow", d.call, to_queue=d.to_queue))
            elif isinstance(d, AgentStateChanged):
                tenant = self.center.ownership.agents.get(d.agent)
                event = {"type": "agent_state", "agent": d.agent, "state": d.state}
                if d.reason is not None:
                    event["reason"] = d.reason
                out.append(cmd.Publish(event, tenant, d.agent))
        return out

    def _publish_call(self, kind: str, call_id: str, **extra: Any) -> cmd.Publish:
        call = self.calls.get(call_id)
        task = self.tasks.get(call_id)
        tenant = call.tenant if call is not None else (task.tenant if task else None)
        agent = extra.get("agent")
        return cmd.Publish({"type": kind, "call": call_id, **extra}, tenant, agent)

    def _queued(self, d: Queued, now: float) -> list[Command]:
        call = self.calls.get(d.call)
        if call is None or call.phase not in (Phase.QUEUED, Phase.OFFERING):
            return []
        ann = self.center.queues[d.queue].announcements if d.queue in self.center.queues else None
        if ann is None or not ann.position:
            return []
        return self._announce(call, [], d.position, d.expected_wait, ann.every, now)

    def _exit(self, d: Exit, now: float) -> list[Command]:
        call = self.calls.get(d.call)
        if call is None:
            return [self._publish_call("ended", d.call, outcome="exited", reason=d.reason)]
        call.phase = Phase.ENDED
        out: list[Command] = []
        channel = call.channel or ""
        if call.hold is not None:
            if call.caller_up:
                out.append(cmd.RemoveChannel(call.hold, channel))
            out.append(cmd.DestroyBridge(call.hold))
            call.hold = None
        if call.caller_up:
            ann = (
                self.center.queues[d.queue].announcements if d.queue in self.center.queues else None
            )
            closing = ann.closed if ann is not None and d.reason == "closed" else None
            out += self._play(call, [closing], now)
            if self.options.exit_action == "hangup":
                final: list[Command] = [cmd.Hangup(channel)]
            else:
                final = [
                    cmd.SetVariable(channel, "CALLROUTE_EXIT", d.reason),
                    cmd.SetVariable(channel, "CALLROUTE_QUEUE", d.queue),
                    cmd.ContinueInDialplan(channel, self.options.exit_context, d.reason, 1),
                ]
            out += self._after_play(call, final, now)
        return out + self._outcome(call, "exited", now, {"reason": d.reason, "queue": d.queue})

    # ------------------------------------------------------------------ outcomes

    def _outcome(
        self, call: Call, outcome: str, now: float, detail: dict[str, Any]
    ) -> list[Command]:
        if call.outcome_done or call.outcome_pending is not None:
            return []
        detail = {"tenant": call.tenant, "queue": call.queue, "channel": call.channel, **detail}
        call.outcome_pending = (outcome, now, detail)
        if call.recording is not None and call.recording in self._recordings:
            call.outcome_guard = now + self.options.recording_guard
            self._timed.add(call.id)
            return []
        return self._flush_outcome(call)

    def _flush_outcome(self, call: Call) -> list[Command]:
        if call.outcome_pending is None or call.outcome_done:
            return []
        outcome, t, detail = call.outcome_pending
        if call.recording is not None:
            detail = {**detail, "recording": call.recording}
            if call.recording_duration is not None:
                detail["recording_duration"] = call.recording_duration
        call.outcome_done, call.outcome_guard = True, None
        self._dirty.add(call.id)
        legs = [leg.channel for leg in self.legs.values() if leg.call == call.id]
        self._ended[call.id] = {
            "phase": "ended",
            "channels": [c for c in (call.channel, *legs) if c],
            "bridges": [f"{call.id}-hold", f"{call.id}-mix"],
        }
        self.outcomes[outcome] += 1
        _log.info("call %s: outcome %s", call.id, outcome)
        self._forget(call)
        ended = self._publish_call("ended", call.id, outcome=outcome, agent=detail.get("agent"))
        return [cmd.RecordOutcome(call.id, outcome, t, detail), ended]

    def _forget(self, call: Call) -> None:
        """Drop an ended call's records (late events for its channels are ignored); a call
        with prompts still playing before its last command stays until they finish."""
        if call.playbacks or call.deferred:
            return
        self.calls.pop(call.id, None)
        if call.channel is not None:
            self._by_channel.pop(call.channel, None)
            self._stale_lanes.append(call.channel)
        for pid in call.playbacks:
            self._playbacks.pop(pid, None)
        for leg_id in [k for k, leg in self.legs.items() if leg.call == call.id]:
            if self.legs[leg_id].state == "gone":
                del self.legs[leg_id]

    def _call_of_command(self, command: Command) -> Call | None:
        channel = getattr(command, "channel", None)
        if channel is None:
            chans = getattr(command, "channels", ())
            channel = chans[0] if chans else None
        if channel is not None:
            return self.calls.get(self._by_channel.get(channel, ""))
        bridge = getattr(command, "bridge", "")
        return next((c for c in self.calls.values() if bridge in (c.hold, c.mix)), None)

    def _see(self, channel: str) -> None:
        self._seen[channel] = None
        if len(self._seen) > 100_000:
            del self._seen[next(iter(self._seen))]

    def lane(self, command: Command) -> str:
        """The call a command belongs to: commands of one lane run in order."""
        call = getattr(command, "call", None)
        if isinstance(call, str):
            return call
        for attr in ("channel", "bridge", "playback_id", "name"):
            value = getattr(command, attr, None)
            if isinstance(value, str) and value:
                known = self._lanes.get(value)
                if known is not None:
                    return known
                return value.split("-", 1)[0]
        channels = getattr(command, "channels", ())
        return channels[0].split("-", 1)[0] if channels else "-"

    def end_step(self) -> None:
        """Forget the lanes of calls that ended in the last step (call after dispatch)."""
        for channel in self._stale_lanes:
            self._lanes.pop(channel, None)
        self._stale_lanes.clear()
