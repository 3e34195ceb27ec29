"""The call core's second half: offers, agent legs, connected calls, hang-ups.

Split from :mod:`callroute.runtime.calls` to keep modules small; :class:`LegsMixin` is only
used as a base of :class:`~callroute.runtime.calls.CallCore`.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine import Decision, Offer, Revoked
from ..ivr import HungUp
from . import commands as cmd
from .commands import Command
from .state import Call, Leg, Options, Phase, Task

if TYPE_CHECKING:
    from ..center import Center

_log = logging.getLogger("callroute.runtime")


class LegsMixin:
    """Offers → originated legs → bridges; every way a call or leg ends."""

    center: Center
    engine: Any
    options: Options
    calls: dict[str, Call]
    tasks: dict[str, Task]
    legs: dict[str, Leg]
    endpoints: dict[str, str]
    _by_channel: dict[str, str]
    _recordings: dict[str, str]
    _engine: Callable[..., list[Decision]]
    _decide: Callable[[list[Decision], float], list[Command]]
    _outcome: Callable[[Call, str, float, dict[str, Any]], list[Command]]
    _publish_call: Callable[..., cmd.Publish]
    _ivr_feed: Callable[[Call, Any, float], list[Command]]
    _see: Callable[[str], None]
    _dirty: set[str]
    stamp: int

    # ------------------------------------------------------------------ offers

    def _offer(self, d: Offer, now: float) -> list[Command]:
        task = self.tasks.get(d.call)
        if task is not None:
            task.agent, task.state = d.agent, "offered"
            return [self._offer_event(d, task.tenant, task.media, {}, None, None)]
        call = self.calls.get(d.call)
        if call is None:
            # a call the engine holds but the runtime lost (nothing on the PBX to ring for):
            # end it in the engine rather than let it be offered for ever
            _log.error("offer of unknown call %s to %s: ending it as abandoned", d.call, d.agent)
            return self._decide(self._engine("call_abandoned", d.call, now), now)
        endpoint = self.endpoints.get(d.agent)
        if endpoint is None:
            _log.warning("call %s: agent %s has no endpoint: not ready, declined", d.call, d.agent)
            refused = self._decide(
                self._engine("agent_not_ready", d.agent, now, "no_endpoint"), now
            )
            return refused + self._decide(self._engine("offer_declined", d.call, now), now)
        call.attempts += 1
        leg = Leg(f"{call.id}-a{call.attempts}", call.id, d.agent)
        self._register(leg)
        call.agent, call.leg, call.auto_answer = d.agent, leg.channel, d.auto_answer
        if call.phase is Phase.QUEUED:
            call.phase = Phase.OFFERING
        ring = self.options.ring_timeout if d.auto_answer else math.ceil(d.expires - now)
        caller_id = None
        if call.caller:
            caller_id = f"{call.caller_name} <{call.caller}>" if call.caller_name else call.caller
        out: list[Command] = [
            cmd.Originate(
                call=call.id,
                endpoint=endpoint,
                channel=leg.channel,
                app_args=f"agent,{call.id}",
                timeout=max(1, ring),
                caller_id=caller_id,
                variables={"CALLROUTE_CALL": call.id},
                originator=None if call.callback else call.channel,
            )
        ]
        out.append(self._offer_event(d, call.tenant, "voice", call.data, call.caller, call.dnis))
        return out

    def _offer_event(
        self,
        d: Offer,
        tenant: str | None,
        media: str,
        data: dict[str, Any],
        caller: str | None,
        dnis: str | None,
    ) -> cmd.Publish:
        with contextlib.suppress(Exception):
            data = dict(self.engine.call_info(d.call).data) or data
        event = {
            "type": "offer",
            "call": d.call,
            "agent": d.agent,
            "queue": d.queue,
            "tenant": tenant,
            "media": media,
            "caller": caller,
            "dnis": dnis,
            "data": data,
            "expires": d.expires,
            "callback": d.callback,
        }
        return cmd.Publish(event, tenant, d.agent)

    def _revoked(self, d: Revoked, now: float) -> list[Command]:
        out: list[Command] = [self._publish_call("revoked", d.call, agent=d.agent, reason=d.reason)]
        task = self.tasks.get(d.call)
        if task is not None:
            task.agent, task.state = None, "waiting"
            return out
        call = self.calls.get(d.call)
        if call is None or call.agent != d.agent or call.leg is None:
            return out
        leg = self.legs.get(call.leg)
        call.leg, call.agent = None, None
        if call.phase is Phase.OFFERING:
            call.phase = Phase.QUEUED
        if leg is not None:
            leg.current = False
            if leg.state != "gone":
                out.append(cmd.Hangup(leg.channel))
                leg.state = "gone"
        return out

    # ------------------------------------------------------------------ legs

    def _register(self, leg: Leg) -> None:
        self.stamp += 1
        leg.born = self.stamp
        self._see(leg.channel)
        self.legs[leg.channel] = leg

    def _leg_answered(self, leg: Leg, now: float) -> list[Command]:
        call = self.calls.get(leg.call)
        self._dirty.add(leg.call)
        if leg.kind == "customer":
            return self._customer_answered(leg, call, now)
        if (
            not leg.current
            or call is None
            or call.leg != leg.channel
            or call.phase not in (Phase.OFFERING, Phase.CALLBACK)
        ):
            _log.info("leg %s answered after its offer ended: hanging up", leg.channel)
            leg.state = "gone"
            return [cmd.Hangup(leg.channel)]
        leg.state = "up"
        out: list[Command] = []
        if not call.auto_answer:
            try:
                decisions = self.engine.offer_accepted(call.id, now)
            except Exception as exc:
                _log.warning("call %s: offer_accepted refused (%s): hanging up leg", call.id, exc)
                leg.state, leg.current = "gone", False
                return [cmd.Hangup(leg.channel)]
            out += self._decide(decisions, now)
        call.phase = Phase.CONNECTED
        call.mix = f"{call.id}-mix"
        if call.callback:
            out.append(cmd.CreateBridge(call.mix, "mixing", "callroute-call"))
            out.append(cmd.AddChannels(call.mix, (leg.channel,)))
            cust = Leg(f"{call.id}-c{call.attempts}", call.id, leg.agent, "customer")
            self._register(cust)
            call.customer_leg = cust.channel
            endpoint = self.options.callback_endpoint.format(number=call.callback_number)
            out.append(
                cmd.Originate(
                    call=call.id,
                    endpoint=endpoint,
                    channel=cust.channel,
                    app_args=f"customer,{call.id}",
                    timeout=self.options.ring_timeout,
                    variables={"CALLROUTE_CALL": call.id},
                )
            )
        else:
            if call.hold is not None:
                out.append(cmd.RemoveChannel(call.hold, call.channel or ""))
                out.append(cmd.DestroyBridge(call.hold))
                call.hold = None
            out.append(cmd.CreateBridge(call.mix, "mixing", "callroute-call"))
            out.append(cmd.AddChannels(call.mix, (call.channel or "", leg.channel)))
            out += self._record(call)
        out.append(self._publish_call("connected", call.id, agent=leg.agent))
        return out

    def _record(self, call: Call) -> list[Command]:
        queue = self.center.queues.get(call.queue or "")
        tenant = self.center.tenants.get(call.tenant or "")
        wanted = (queue is not None and queue.record) or (tenant is not None and tenant.record)
        if not wanted or call.mix is None:
            return []
        call.recording = f"{call.id}-rec"
        self._recordings[call.recording] = call.id
        return [cmd.RecordBridge(call.mix, call.recording)]

    def _customer_answered(self, leg: Leg, call: Call | None, now: float) -> list[Command]:
        if call is None or call.customer_leg != leg.channel or call.phase is not Phase.CONNECTED:
            leg.state = "gone"
            return [cmd.Hangup(leg.channel)]
        leg.state = "up"
        out: list[Command] = [cmd.AddChannels(call.mix or "", (leg.channel,))]
        return out + self._record(call)

    def _leg_failed(self, leg: Leg, now: float, why: str) -> list[Command]:
        """A ringing leg ended without an answer (busy, no answer, failure)."""
        leg.state = "gone"
        call = self.calls.get(leg.call)
        self._dirty.add(leg.call)
        if leg.kind == "customer":
            if call is not None and call.phase is Phase.CONNECTED:
                _log.info("call %s: callback customer not reached (%s)", call.id, why)
                return self._end_connected(call, now, "customer_unreached")
            return []
        if not leg.current or call is None or call.leg != leg.channel:
            return []
        _log.info(
            "call %s: agent %s leg %s not answered (%s)", call.id, leg.agent, leg.channel, why
        )
        leg.current = False
        call.leg, call.agent = None, None
        if call.auto_answer:
            return self._end_connected(call, now, "agent_unreached")
        if call.phase is Phase.OFFERING:
            call.phase = Phase.QUEUED
        out = [self._publish_call("revoked", call.id, agent=leg.agent, reason="not_answered")]
        return out + self._decide(self._engine("offer_declined", call.id, now), now)

    def _leg_gone(self, leg: Leg, now: float, why: str) -> list[Command]:
        if leg.state == "ringing":
            return self._leg_failed(leg, now, why)
        if leg.state == "up":
            leg.state = "gone"
            call = self.calls.get(leg.call)
            if call is not None and call.phase is Phase.CONNECTED:
                by = "agent" if leg.kind == "agent" else "customer"
                return self._end_connected(call, now, by)
        leg.state = "gone"
        return []

    def _channel_gone(self, channel: str, now: float) -> list[Command]:
        leg = self.legs.get(channel)
        if leg is not None:
            out = self._leg_gone(leg, now, "hung up")
            if leg.call not in self.calls:
                self.legs.pop(channel, None)
            return out
        call = self.calls.get(self._by_channel.get(channel, ""))
        if call is None:
            return []
        return self._caller_gone(call, now)

    def _caller_gone(self, call: Call, now: float) -> list[Command]:
        if not call.caller_up:
            return []
        call.caller_up = False
        call.collect, call.collect_deadline, call.deferred = None, None, []
        phase = call.phase
        if phase in (Phase.FRONT_DOOR, Phase.IVR):
            call.phase = Phase.ENDED
            if call.session is not None and not call.session.finished:
                self._ivr_feed(call, HungUp(), now)
            return self._outcome(call, "ivr_abandoned", now, {"node": _node(call)})
        if phase in (Phase.QUEUED, Phase.OFFERING):
            call.phase = Phase.ENDED
            out = self._decide(self._engine("call_abandoned", call.id, now), now)
            out += self._drop_bridges(call)
            return out + self._outcome(call, "abandoned", now, {})
        if phase is Phase.CONNECTED:
            return self._end_connected(call, now, "caller")
        if phase is Phase.ENDED and call.outcome_pending is None and not call.outcome_done:
            return self._drop_bridges(call)
        return []

    def _end_connected(self, call: Call, now: float, by: str) -> list[Command]:
        call.phase = Phase.ENDED
        out = self._decide(self._engine("call_ended", call.id, now), now)
        if call.recording is not None and call.recording in self._recordings:
            out.append(cmd.StopRecording(call.recording))
        for leg_id in (call.leg, call.customer_leg):
            leg = self.legs.get(leg_id or "")
            if leg is not None and leg.state != "gone":
                leg.state = "gone"
                out.append(cmd.Hangup(leg.channel))
        if call.caller_up and call.channel is not None:
            call.caller_up = False
            out.append(cmd.Hangup(call.channel))
        out += self._drop_bridges(call)
        detail = {"agent": self._agent_of(call), "ended_by": by}
        outcome = "answered" if by in ("caller", "agent", "customer") else "failed"
        return out + self._outcome(call, outcome, now, detail)

    def _agent_of(self, call: Call) -> str | None:
        leg = self.legs.get(call.leg or "")
        return leg.agent if leg is not None else call.agent

    def _drop_bridges(self, call: Call) -> list[Command]:
        out: list[Command] = []
        for bridge in (call.mix, call.hold):
            if bridge is not None:
                out.append(cmd.DestroyBridge(bridge))
        call.mix = call.hold = None
        return out


def _node(call: Call) -> str | None:
    return call.session.node if call.session is not None else None
