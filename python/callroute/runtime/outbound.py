"""Outbound calls in the call core: dials become ARI originates, answers become calls.

:class:`OutboundCore` is the :class:`~callroute.runtime.calls.CallCore` with an
:class:`~callroute.outbound.OutboundPlan`. Every ``pace_every`` seconds it asks the plan for
the lines to dial and originates each (``POST /channels`` with a client-chosen channel id
``<prefix>o<line>``, the campaign's caller id, the endpoint from
:attr:`OutboundOptions.dial_template`, app args ``outbound,<campaign>,<line>``). Then:

* ``Dial`` BUSY / NOANSWER / CONGESTION, or the channel ending while it rings (cause 17
  busy, 19 no answer, else failed), or a failed originate: the line's outcome;
* answering-machine detection: the dialplan (or a hook) sets :attr:`OutboundOptions.amd_variable`
  (``AMDSTATUS``, as Asterisk's ``AMD()``) on the channel or its Local peer before the
  answer reaches the app; ``MACHINE`` there hangs up (outcome ``machine``, retried by the
  campaign's rule), anything else is a person;
* a person (the channel's ``StasisStart``) is entered into the engine as a call into the
  campaign's queue (holding bridge, music on hold) and bridged with the agent the engine
  offers, exactly as an inbound call; once joined the dialer hears ``agent_connected``;
* if no agent is offered within the campaign's ``connect_within`` (2 s), the call leaves the
  engine (abandoned), hears :attr:`~callroute.outbound.CampaignConfig.message` and is hung
  up: ``connect_timeout`` (it counts toward the abandonment cap). A person hanging up
  before an agent comes counts the same way.

Preview: an agent accepting an offer (:meth:`OutboundCore.preview_accepted`, the agent
``ready``) is reserved for the line: not ready with reason ``preview`` while it rings (the
engine offers it nothing else). A person answering is pinned to that agent: the call is
routed by a skill only that agent holds for the moment (``callroute-pin:<agent>``, given
and taken back within the same step, the agent made ready in between; what is given back
is what the engine says the agent held just before), so the engine offers it to that agent
and no other, and the runtime bridges them as any call. A crash within that step leaves the
agent pinned in the recovered engine: the runtime gives it the center file's skills back
at start-up (:meth:`~callroute.runtime.recovery.RecoveryMixin.heal_pins`). Known limit
(docs/outbound.md, "Preview campaigns"): the pinned call waits in the pin skill's
implicit queue, not the campaign's, so the campaign queue's statistics do not count
answered previews (the dialer's do), and it has the engine's default queue settings (offer
lease, no wrap-up); the engine has no input to offer a call in a named queue to one agent.
The line ending without a person reaching the agent (any outcome, a connect timeout, the
person gone, a restart) makes the agent ready again if it is still reserved and no other
open line names it; at start-up an agent still reserved that no open line names is made
ready (:meth:`OutboundCore.heal_pins`). The documented fallback: if the agent is no longer
reserved when the person answers (logged out, or made not ready with another reason
meanwhile), or was not ready at the accept, the person is queued in the campaign's queue
for any agent, as a progressive call. The pin skill does not keep the agent from queues
that require no skill: if, made ready, it is offered such a call (waiting longer) instead
of its person, the person is transferred to the campaign's queue for any agent.

Lines are noted in the runtime's journal (as calls are: ``line:<id>`` notes) and the dialer
journals its own inputs (:class:`~callroute.runtime.dialjournal.JournaledDialer`), so a
restart knows every line. At every resync (after a restart or a websocket outage) a line
the PBX lists in the app was answered unheard: its person is routed now; a ringing line
dialled before the list was asked that the PBX no longer has ended unheard: closed as
``no_answer`` (:data:`LOST_OUTCOME`); an answered line whose call is gone is a connect
timeout; a restored line whose person answered but was never routed (the process died
within that step: the dialer knows the answer, the line's note does not) has its person
routed now, if still there. A line still ringing ``ring_margin`` after the originate's
timeout while the PBX is up is closed as ``no_answer`` and hung up (a lost event).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine import Offer
from ..errors import CallrouteError
from ..outbound import OutboundPlan
from . import commands as cmd
from .calls import CallCore
from .commands import Command
from .recovery import PIN_SKILL, _stasis_args
from .state import Call, Leg, Phase

_log = logging.getLogger("callroute.runtime")

__all__ = ["Line", "OutboundCore", "OutboundOptions"]

#: Dial statuses that end a ringing outbound line, and the outcome each gives.
DIAL_OUTCOMES = {
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
    "DONTCALL": "failed",
}
#: The not-ready reason of an agent reserved for the line of the preview it accepted.
PREVIEW_REASON = "preview"
#: The outcome of a line whose end the runtime never heard (a lost event, a crash): the
#: real one is unknown (busy, no answer, failed, or a person who hung up meanwhile);
#: ``no_answer``, not ``failed``: its rule retries (3 attempts, 1 h by default), while
#: ``failed`` is for numbers that do not work (2 attempts by default), and a runtime's
#: blind spot must not cost a contact more than an unanswered ring.
LOST_OUTCOME = "no_answer"
#: Hangup causes of a ringing line: 17 user busy, 18/19 no answer; anything else failed.
CAUSE_OUTCOMES = {17: "busy", 18: "no_answer", 19: "no_answer"}


@dataclass(frozen=True)
class OutboundOptions:
    """How dials reach the PBX. ``dial_template``: the endpoint, ``{number}`` filled in;
    ``amd_variable``: the channel variable holding the AMD result (None: no detection, every
    answer is a person) and ``machine_values`` the results meaning a machine;
    ``pace_every``: seconds between pacing rounds; ``ring_timeout``: the originate's
    timeout (the PBX ends the ring then); ``ring_margin``: seconds past it after which a
    line still ringing here is closed as ``no_answer`` and hung up (its end never
    reached the runtime)."""

    dial_template: str = "PJSIP/{number}@trunk"
    ring_timeout: int = 30
    ring_margin: float = 30.0
    amd_variable: str | None = "AMDSTATUS"
    machine_values: frozenset[str] = frozenset({"MACHINE"})
    pace_every: float = 1.0


@dataclass
class Line:
    """One dialled line: its channel and where it is."""

    line: int
    campaign: str
    contact: str
    number: str
    channel: str
    state: Literal["ringing", "answered", "connected", "closed"] = "ringing"
    amd: str | None = None
    call: str | None = None
    connect_by: float | None = None
    restored: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    #: the agent reserved for this line (an accepted preview), None: any agent
    agent: str | None = None
    #: the core's stamp when dialled (0: restored), to tell lines a resync's list covers
    born: int = 0
    #: the safety limit of the ring (None: not armed, for a restored line or after a PBX
    #: outage: armed at the next timer with the PBX up)
    ring_by: float | None = None

    def note(self) -> dict[str, Any]:
        """What the journal keeps of the line."""
        return {
            "phase": "line",
            "line": self.line,
            "campaign": self.campaign,
            "contact": self.contact,
            "number": self.number,
            "channel": self.channel,
            "state": self.state,
            "call_id": self.call,
            "connect_by": self.connect_by,
            "agent": self.agent,
        }


class OutboundCore(CallCore):
    """The call core with outbound campaigns (see the module doc)."""

    def __init__(
        self, *args: Any, plan: OutboundPlan, outbound: OutboundOptions | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.plan = plan
        self.out_options = outbound or OutboundOptions()
        self.lines: dict[int, Line] = {}
        self._line_channels: dict[str, int] = {}
        self._call_lines: dict[str, int] = {}
        self._line_dirty: set[int] = set()
        self._pace_at: float = 0.0  # the first round at once
        self.dialer_errors = 0
        self._pbx_up = False

    @property
    def pbx_up(self) -> bool:
        """The PBX's event stream is up: no dialing before it (or while it is down), so an
        outage does not spend the contacts' attempts on originates that cannot work. A
        change disarms the ring limits of ringing lines: re-armed (a full limit) at the
        first timer with the stream up, so the resync judges them before the limit can."""
        return self._pbx_up

    @pbx_up.setter
    def pbx_up(self, up: bool) -> None:
        if up != self._pbx_up:
            for line in self.lines.values():
                if line.state == "ringing":
                    line.ring_by = None
        self._pbx_up = up

    # ------------------------------------------------------------------ dialer inputs

    def _dialer(self, method: str, *args: Any, **kw: Any) -> Any:
        """One dialer input; a refusal is logged (the runtime carries on)."""
        try:
            return getattr(self.plan.dialer, method)(*args, **kw)
        except CallrouteError as exc:
            self.dialer_errors += 1
            _log.warning("dialer %s%r refused: %s", method, args[:1], exc)
            return None

    def _close(self, line: Line, outcome: str, now: float) -> list[Command]:
        """The line ends without a person: its outcome to the dialer, its reserved agent
        (if any, still reserved) ready again."""
        line.state = "closed"
        self._line_dirty.add(line.line)
        self.outcomes[f"outbound_{outcome}"] += 1
        self._dialer("outcome", line.line, outcome, now)
        return self._release(line, now)

    def _release(self, line: Line, now: float) -> list[Command]:
        """``line`` ended without a person reaching its reserved agent: the agent ready
        again if it is still reserved (not ready, reason ``preview``) and no other open
        line names it. A journaled engine input, as every other."""
        agent = line.agent
        if agent is None or not self._reserved(agent):
            return []
        for other in self.lines.values():
            if other is not line and other.agent == agent and other.state in _OPEN:
                return []
        _log.info("line %d: ended without a person: agent %s ready again", line.line, agent)
        return self._decide(self._engine("agent_ready", agent, now), now)

    def _reserved(self, agent: str) -> bool:
        """Whether ``agent`` is still not ready for a preview's line."""
        state = self._engine_query("agent_state", agent)
        reason = self._engine_query("agent_reason", agent)
        return bool(state == "not_ready" and reason == PREVIEW_REASON)

    # ------------------------------------------------------------------ time

    def next_deadline(self) -> float | None:
        """The call core's deadline, connect limits, ring limits (while the PBX is
        there: after an outage the resync judges the lines first), the next pacing round."""
        times = [super().next_deadline(), self._pace_at]
        times += [ln.connect_by for ln in self.lines.values() if ln.state == "answered"]
        if self.pbx_up:
            times += [ln.ring_by for ln in self.lines.values() if ln.state == "ringing"]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def on_timer(self, now: float) -> list[Command]:
        """Fire the call core's timers, connect limits, ring limits, and pacing."""
        out = super().on_timer(now)
        for line in list(self.lines.values()):
            if line.state == "ringing" and self.pbx_up:
                if line.ring_by is None:
                    line.ring_by = now + self._ring_limit()  # after an outage, a restart
                elif line.ring_by <= now:
                    out += self._ring_overdue(line, now)
                continue
            if line.state != "answered":
                continue
            if line.connect_by is not None and line.connect_by <= now:
                out += self._connect_due(line, now)
            elif line.connect_by is None and self._back_in_queue(line):
                # offered in time, but the offer ended unanswered: the limit is long past
                out += self._abandon(line, self.calls.get(line.call or ""), now)
        if self._pace_at <= now:
            self._pace_at = now + self.out_options.pace_every
            out += self.pace(now)
        return out

    def _ring_overdue(self, line: Line, now: float) -> list[Command]:
        """A line ringing past the originate's timeout and the margin: the PBX ended it
        long ago and its end never reached the runtime (a lost or malformed event, a resync
        that could not list the channels). Closed as ``no_answer`` and hung up."""
        _log.warning(
            "line %d: still ringing %.0f s after its ring timeout: closed as no answer",
            line.line,
            self.out_options.ring_margin,
        )
        return [*self._close(line, LOST_OUTCOME, now), cmd.Hangup(line.channel)]

    # ------------------------------------------------------------------ pacing

    def pace(self, now: float) -> list[Command]:
        """Ask the plan for lines and originate each (only while the PBX is connected)."""
        if not self.pbx_up:
            return []
        try:
            dials, offers = self.plan.pace(now)
        except CallrouteError as exc:
            self.dialer_errors += 1
            _log.error("outbound pacing failed: %s", exc)
            return []
        out: list[Command] = []
        for dial in dials:
            out += self.dial(dial, now)
        for offer in offers:
            campaign = self.plan.campaigns.get(offer.campaign)
            if campaign is None:  # a campaign the dialer's journal holds, this run does not
                _log.warning(
                    "preview of %s: campaign %r not run here: dropped",
                    offer.contact,
                    offer.campaign,
                )
                continue
            tenant = campaign.config.tenant
            event = {
                "type": "preview",
                "campaign": offer.campaign,
                "contact": offer.contact,
                "number": offer.number,
                "data": dict(offer.data),
            }
            out.append(cmd.Publish(event, tenant))
        return out

    def dial(self, dial: Any, now: float) -> list[Command]:
        """Originate one :class:`~callroute._core.Dial` (from pacing or an accepted
        preview) at ``now``."""
        channel = f"{self.options.id_prefix or 'cr'}o{dial.line}"
        line = Line(dial.line, dial.campaign, dial.contact, dial.number, channel)
        self.lines[line.line] = line
        self._line_channels[channel] = line.line
        self._line_dirty.add(line.line)
        self._see(channel)
        self.stamp += 1
        line.born = self.stamp
        line.ring_by = now + self._ring_limit()
        endpoint = self.out_options.dial_template.format(number=dial.number)
        _log.info("line %d: dialling contact %s of %s", dial.line, dial.contact, dial.campaign)
        return [
            cmd.Originate(
                call=channel,
                endpoint=endpoint,
                channel=channel,
                app_args=f"outbound,{dial.campaign},{dial.line}",
                timeout=self.out_options.ring_timeout,
                caller_id=dial.caller_id,
                variables={
                    "CALLROUTE_LINE": str(dial.line),
                    "CALLROUTE_CAMPAIGN": dial.campaign,
                    "CALLROUTE_CONTACT": dial.contact,
                },
            )
        ]

    def _ring_limit(self) -> float:
        return self.out_options.ring_timeout + self.out_options.ring_margin

    def preview_accepted(
        self, campaign: str, contact: str, agent: str | None, now: float
    ) -> list[Command]:
        """An agent accepted a preview: dial it now (nothing if every number went on a
        do-not-call list meanwhile). Raises the dialer's error for a preview never offered.
        ``agent``, if ready, is reserved for the line (not ready, reason ``preview``) and
        the person who answers is pinned to it (module doc)."""
        found = self.plan.dialer.preview_accepted(campaign, contact, now, agent)
        if found is None:
            return []
        self.plan.dialled(campaign, contact, now)
        out = self.dial(found, now)
        if agent is not None and self._engine_query("agent_state", agent) == "ready":
            self.lines[found.line].agent = agent
            out += self._decide(self._engine("agent_not_ready", agent, now, PREVIEW_REASON), now)
        return out

    # ------------------------------------------------------------------ PBX events

    def on_event(self, event: Any, now: float) -> list[Command]:
        """Outbound lines first; everything else as the call core does."""
        kind = type(event).__name__
        channel = getattr(getattr(event, "channel", None), "id", None)
        if kind == "ChannelVarset":
            self._varset(event)
            return []
        if kind == "Dial":
            peer = getattr(getattr(event, "peer", None), "id", "")
            line = self._ringing(peer)
            status = str(getattr(event, "dialstatus", "") or "")
            if line is not None and status in DIAL_OUTCOMES:
                return self._close(line, DIAL_OUTCOMES[status], now)
        elif kind == "StasisStart" and channel in self._line_channels:
            answered = self.lines.get(self._line_channels[channel])
            if answered is not None and answered.state in ("answered", "connected"):
                return []  # routed already: a resync found it in Stasis before this event
            if answered is not None:
                return self._answered(answered, now)
        elif kind in ("ChannelDestroyed", "ChannelHangupRequest", "StasisEnd"):
            line = self._ringing(channel or "")
            if line is not None:
                cause = getattr(event, "cause", None)
                outcome = (
                    CAUSE_OUTCOMES.get(cause, "failed") if isinstance(cause, int) else "failed"
                )
                return self._close(line, outcome, now)
        return super().on_event(event, now)

    def _ringing(self, channel: str) -> Line | None:
        number = self._line_channels.get(channel)
        line = self.lines.get(number) if number is not None else None
        return line if line is not None and line.state == "ringing" else None

    def _varset(self, event: Any) -> None:
        name = self.out_options.amd_variable
        if name is None or getattr(event, "variable", None) != name:
            return
        channel = str(getattr(getattr(event, "channel", None), "id", ""))
        number = self._line_channels.get(channel.removesuffix("-peer"))
        line = self.lines.get(number) if number is not None else None
        if line is not None and line.state == "ringing":
            line.amd = str(getattr(event, "value", "") or "")

    def _answered(self, line: Line, now: float, *, told: bool = False) -> list[Command]:
        """A person on ``line`` (``told``: the dialer has heard so already)."""
        if line.state != "ringing":
            return [cmd.Hangup(line.channel)]
        if line.amd is not None and line.amd.upper() in self.out_options.machine_values:
            _log.info("line %d: answering machine (%s): hanging up", line.line, line.amd)
            return [*self._close(line, "machine", now), cmd.Hangup(line.channel)]
        campaign = self.plan.campaigns.get(line.campaign)
        if campaign is None:
            return [*self._close(line, "failed", now), cmd.Hangup(line.channel)]
        if not told:
            self._dialer("outcome", line.line, "person", now)
        line.state = "answered"
        line.connect_by = now + campaign.config.connect_within
        self._line_dirty.add(line.line)
        config = campaign.config
        call = Call(
            id=self._new_id(),
            channel=line.channel,
            dnis=config.caller_id,
            caller=line.number,
            caller_name=None,
            started=now,
        )
        call.tenant = config.tenant
        self.stamp += 1
        call.born = self.stamp
        self.calls[call.id] = call
        self._by_channel[line.channel] = call.id
        self._lanes[line.channel] = call.id
        self._dirty.add(call.id)
        line.call = call.id
        self._call_lines[call.id] = line.line
        data: dict[str, Any] = {}
        with contextlib.suppress(CallrouteError):
            data.update(self.plan.dialer.contact(line.campaign, line.contact).get("data") or {})
        data.update(campaign=line.campaign, contact=line.contact, line=line.line, outbound=True)
        _log.info("line %d: a person answered: call %s", line.line, call.id)
        if line.agent is not None:
            if self._reserved(line.agent):
                return self._pinned(call, line.agent, config.queue_name, data, now)
            _log.info(
                "line %d: agent %s is no longer reserved: queued for any agent",
                line.line,
                line.agent,
            )
        return self._enqueue(call, config.queue_name, 0, data, now)

    def _pinned(
        self, call: Call, agent: str, queue: str, data: dict[str, Any], now: float
    ) -> list[Command]:
        """The person of a preview, offered to the agent reserved for it and to no one
        else: the agent holds a skill of its own while the call enters (routed by it) and
        the agent is made ready; the skills it held just before are given back at once (the
        offer stands), whatever set them (the center's file or a later change).

        The pin skill does not keep the agent from queues that require no skill: made
        ready, it may be offered such a queue's call waiting longer. Then nobody would
        serve the person (waiting in the pin's queue): it is moved to the campaign's queue
        for any agent (:meth:`_unpin`)."""
        pin = {f"{PIN_SKILL}{agent}": 1}
        try:
            skills = dict(self.engine.agent_skills(agent))
            out = self._decide(list(self.engine.set_agent_skills(agent, pin, now)), now)
        except CallrouteError as exc:
            _log.warning("call %s: pinning to %s refused (%s): any agent", call.id, agent, exc)
            out = self._enqueue(call, queue, 0, data, now)
            return out + self._decide(self._engine("agent_ready", agent, now), now)
        out += self._enqueue(call, queue, 0, data, now, skills=pin)
        ready = self._engine("agent_ready", agent, now)
        out += self._decide(ready, now)
        out += self._decide(self._engine("set_agent_skills", agent, skills, now), now)
        if call.phase is Phase.QUEUED and not any(
            isinstance(d, Offer) and d.call == call.id and d.agent == agent for d in ready
        ):
            out += self._unpin(call, agent, queue, ready, now)
        return out

    def _unpin(
        self, call: Call, agent: str, queue: str, ready: list[Any], now: float
    ) -> list[Command]:
        """The pinned agent was not offered its person when made ready (another call
        took it): the person moves from the pin's queue to the campaign's queue, for any
        agent, by the engine's transfer (a journaled input: the pin's queue counts it moved
        out, the campaign's queue offered, as a transfer in; nothing counts abandoned). The
        line's connect limit still runs."""
        took = [d.call for d in ready if isinstance(d, Offer) and d.agent == agent]
        _log.warning(
            "call %s: agent %s, made ready for its pinned person, was offered %s instead: "
            "the person moves to queue %s for any agent",
            call.id,
            agent,
            ", ".join(took) or "nothing",
            queue,
        )
        try:
            decisions = list(self.engine.transfer(call.id, now, queue))
        except CallrouteError as exc:
            _log.error("call %s: transfer to %s refused: %s", call.id, queue, exc)
            return []
        call.queue = queue
        self._dirty.add(call.id)
        return self._decide(decisions, now)

    # ------------------------------------------------------------------ joins and ends

    def _leg_answered(self, leg: Leg, now: float) -> list[Command]:
        out = super()._leg_answered(leg, now)
        call = self.calls.get(leg.call)
        number = self._call_lines.get(leg.call)
        line = self.lines.get(number) if number is not None else None
        joined = call is not None and call.phase is Phase.CONNECTED
        if joined and line is not None and line.state == "answered":
            line.state, line.connect_by = "connected", None
            self._line_dirty.add(line.line)
            self.outcomes["outbound_connected"] += 1
            self._dialer("agent_connected", line.line, now)
        return out

    def _back_in_queue(self, line: Line) -> bool:
        call = self.calls.get(line.call or "")
        return call is not None and call.phase is Phase.QUEUED

    def _connect_due(self, line: Line, now: float) -> list[Command]:
        call = self.calls.get(line.call or "")
        if call is not None and call.phase in (Phase.OFFERING, Phase.CONNECTED):
            line.connect_by = None  # an agent is on its way: the limit is met
            return []
        return self._abandon(line, call, now)

    def _abandon(
        self, line: Line, call: Call | None, now: float, *, hang_up: bool = True
    ) -> list[Command]:
        """No agent in time: out of the engine, the recorded message, hang up (without a
        call: only if ``hang_up``). A still reserved agent is ready again."""
        line.state, line.connect_by = "closed", None
        self._line_dirty.add(line.line)
        self.outcomes["outbound_abandoned"] += 1
        self._dialer("connect_timeout", line.line, now)
        if call is None:
            hangup = [cmd.Hangup(line.channel)] if hang_up else []
            return hangup + self._release(line, now)
        out = self._decide(self._engine("call_abandoned", call.id, now), now)
        out += self._release(line, now)
        call.phase = Phase.ENDED
        out += self._drop_bridges(call)
        campaign = self.plan.campaigns.get(line.campaign)
        message = campaign.config.message if campaign is not None else None
        if message and call.caller_up and call.channel:
            pid = call.next_playback()
            call.playbacks.add(pid)
            self._playbacks[pid] = call.id
            call.play_guard = now + self.options.playback_guard
            self._timed.add(call.id)
            out.append(cmd.PlayChannel(call.channel, (message,), pid))
        out += self._after_play(call, [cmd.Hangup(call.channel or line.channel)], now)
        detail = {"outbound": True, "campaign": line.campaign, "contact": line.contact}
        return out + self._outcome(call, "abandoned", now, {**detail, "reason": "no_agent"})

    def _caller_gone(self, call: Call, now: float) -> list[Command]:
        number = self._call_lines.get(call.id)
        line = self.lines.get(number) if number is not None else None
        if line is not None and line.state == "answered" and call.caller_up:
            # the person hung up before an agent came: abandoned all the same
            line.state, line.connect_by = "closed", None
            self._line_dirty.add(line.line)
            self.outcomes["outbound_abandoned"] += 1
            self._dialer("connect_timeout", line.line, now)
            return super()._caller_gone(call, now) + self._release(line, now)
        return super()._caller_gone(call, now)

    def command_failed(self, command: Command, error: Exception, now: float) -> list[Command]:
        """A failed originate of a line: outcome ``failed``; others as the call core."""
        if isinstance(command, cmd.Originate):
            line = self._ringing(command.channel)
            if line is not None:
                return self._close(line, "failed", now)
        return super().command_failed(command, error, now)

    # ------------------------------------------------------------------ notes, recovery

    def take_notes(self) -> list[tuple[str, dict[str, Any] | None]]:
        """The call core's notes plus one ``line:<id>`` note per changed line."""
        out = super().take_notes()
        for number in sorted(self._line_dirty):
            line = self.lines.get(number)
            if line is None or line.state == "closed":
                out.append((f"line:{number}", None))
                if line is not None:
                    self._forget_line(line)
            else:
                out.append((f"line:{number}", line.note()))
        self._line_dirty.clear()
        return out

    def _forget_line(self, line: Line) -> None:
        self.lines.pop(line.line, None)
        if not (line.call and line.call in self.calls):
            self._line_channels.pop(line.channel, None)
        if line.call is not None and line.call not in self.calls:
            self._call_lines.pop(line.call, None)

    def restore(self, notes: list[Any]) -> int:
        """Rebuild calls and lines from their journal notes (after a crash)."""
        calls = [n for n in notes if n.get("phase") != "line"]
        count = super().restore(calls)
        for note in notes:
            if note.get("phase") != "line":
                continue
            try:
                line = _line_of(note)
            except (KeyError, TypeError, ValueError) as exc:
                _log.error("journal note of a line is unreadable (%s): skipped", exc)
                continue
            self.lines[line.line] = line
            self._line_channels[line.channel] = line.line
            self._see(line.channel)
            if line.call is not None:
                self._call_lines[line.call] = line.line
        return count

    def reconcile(
        self,
        live: Any,
        now: float,
        stamp: int | None = None,
        bridges: Any = None,
    ) -> list[Command]:
        """The call core's reconcile, then the lines, restored or not: a ringing line the
        PBX lists in the app was answered unheard (routed now); one the list covers
        (dialled at or before ``stamp``, as calls and legs) that the PBX no longer has ended
        unheard (a websocket outage, a crash) and is closed as
        :data:`LOST_OUTCOME`; an answered line whose call is gone is a connect timeout; a
        restored ringing line the dialer knows answered (the process died routing its
        person) has its person routed now. Lines the dialer holds open that no note names
        are closed. Every line closed frees the agent it reserved."""
        out = super().reconcile(live, now, stamp, bridges)
        limit = self.stamp if stamp is None else stamp
        answered = {
            int(v.get("line_id", 0)) for v in self._open_lines() if v.get("answered_at") is not None
        }
        for line in list(self.lines.values()):
            restored, line.restored = line.restored, False
            if line.state == "ringing" and restored and line.line in answered:
                # the dialer heard of the person, the process died before its call was
                # noted (within the step that routes it): the person, if still there, now
                if line.channel in live:
                    _log.warning("line %d: answered before the restart: routed now", line.line)
                    out += self._answered(line, now, told=True)
                else:
                    _log.warning("line %d: answered, gone during the restart", line.line)
                    out += self._abandon(line, None, now, hang_up=False)
            elif line.state == "ringing" and self._in_stasis(live.get(line.channel)):
                # answered while the stream was down (its StasisStart unheard): routed now
                line.amd = line.amd or self._listed_amd(live, line.channel)
                _log.warning(
                    "line %d: answered unheard (AMD %s): routed now", line.line, line.amd or "-"
                )
                out += self._answered(line, now)
            elif line.state == "ringing" and line.channel not in live and line.born <= limit:
                _log.warning(
                    "line %d: gone %s, its end unheard: closed as %s",
                    line.line,
                    "during the restart" if restored else "during the PBX outage",
                    LOST_OUTCOME,
                )
                out += self._close(line, LOST_OUTCOME, now)
            elif line.state == "answered" and (line.call is None or line.call not in self.calls):
                out += self._abandon(line, None, now, hang_up=line.channel in live)
        known = set(self.lines)
        # (read again: the pass above closed lines in the dialer)
        for view in self._open_lines():
            number = int(view.get("line_id", 0))
            if number in known:
                continue
            # its agent, if it reserved one, is freed at start-up (heal_pins)
            _log.warning("line %d: open in the dialer, never dialled here: closing", number)
            if view.get("answered_at") is not None:
                self._dialer("connect_timeout", number, now)
            else:
                self._dialer("outcome", number, "failed", now)
        return out

    def _in_stasis(self, channel: Any) -> bool:
        args = _stasis_args(channel, self.options.app) if channel is not None else None
        return bool(args and args[0] == "outbound")

    def _listed_amd(self, live: Any, channel: str) -> str | None:
        """The AMD variable of a listed line channel or its Local peer (ARI lists it in
        ``channelvars`` only when Asterisk is told to: ``ari.conf`` ``channelvars``)."""
        name = self.out_options.amd_variable
        for found in (live.get(channel), live.get(f"{channel}-peer")):
            listed = getattr(found, "channelvars", None)
            # (the PBX's listing is outside input: anything but a mapping is no variable)
            value = listed.get(name) if name and isinstance(listed, Mapping) else None
            if value:
                return str(value)
        return None

    def heal_pins(self, now: float) -> list[Command]:
        """At start-up, the call core's :meth:`~RecoveryMixin.heal_pins`, then every agent
        left reserved for a preview (not ready, reason ``preview``) that no open line names
        is made ready (the process died between reserving it and noting its line, or its
        line is gone from the journal): a journaled input, logged at warning."""
        out = super().heal_pins(now)
        named = {ln.agent for ln in self.lines.values() if ln.state in _OPEN}
        for agent in self._engine_query("agents") or ():
            if agent in named or not self._reserved(agent):
                continue
            _log.warning(
                "agent %s: reserved for a preview (not ready, reason %s) after a restart, "
                "no open line names it: ready again",
                agent,
                PREVIEW_REASON,
            )
            out += self._decide(self._engine("agent_ready", agent, now), now)
        return out

    def _open_lines(self) -> list[dict[str, Any]]:
        try:
            return list(self.plan.dialer.lines())
        except CallrouteError:
            return []


#: the states of a line still waiting for its person or its agent
_OPEN = ("ringing", "answered")
#: the states a line note can hold (a closed line's note is deleted, never written)
_LINE_STATES = ("ringing", "answered", "connected")


def _line_of(note: Any) -> Line:
    """The line a journal note keeps; ``ValueError`` (or ``KeyError``, ``TypeError``) for a
    note that is not one: a corrupt row must not reach the timers as a wrong-typed time."""
    state = note.get("state", "ringing")
    if state not in _LINE_STATES:
        raise ValueError(f"state {state!r} is not one of {', '.join(_LINE_STATES)}")
    connect_by = note.get("connect_by")
    if connect_by is not None:
        if isinstance(connect_by, bool) or not isinstance(connect_by, (int, float)):
            raise TypeError(f"connect_by {connect_by!r} is not a number of seconds")
        if not math.isfinite(connect_by):
            raise ValueError(f"connect_by {connect_by!r} is not finite")
        connect_by = float(connect_by)
    call = note.get("call_id")
    if call is not None and not isinstance(call, str):
        raise TypeError(f"call_id {call!r} is not a str")
    agent = note.get("agent")
    if agent is not None and not isinstance(agent, str):
        raise TypeError(f"agent {agent!r} is not a str")
    number = note["line"]
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(f"line {number!r} is not a line id")
    return Line(
        number,
        str(note["campaign"]),
        str(note["contact"]),
        str(note["number"]),
        str(note["channel"]),
        state,
        call=call,
        connect_by=connect_by,
        restored=True,
        agent=agent,
    )
