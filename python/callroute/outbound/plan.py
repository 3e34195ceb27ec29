"""The outbound plan: campaigns on a native :class:`Dialer`, paced from an engine's agents.

:class:`OutboundPlan` owns one :class:`~callroute._core.Dialer` and reads (never changes) an
:class:`~callroute.Engine`: :meth:`OutboundPlan.pace` counts, per campaign, the agents of
its tenant that are ready in the engine and hold the campaign's skills, keeps the blending
threshold of them idle for inbound, and asks the dialer for the lines to dial. Each ready
agent counts for one campaign only (campaigns in the order they were added), so two
campaigns sharing agents never both dial for the same agent. The agents come from the
engine's :meth:`~callroute.Engine.eligible_agents` (its agents-by-skill index): a pace costs
the campaigns' eligible agents, not every agent of the center per campaign.

Inbound first: with ``queues`` (the center's queue configurations) the plan also tells the
dialer, per campaign, the inbound calls expected to reach its agents within its ring time
(an inbound call arriving while a line rings takes the agent the line was dialled for):
the recent arrival rate of each inbound queue its ready agents serve
(:class:`~callroute.outbound.arrivals.ArrivalMeter`), times the share of that queue's ready
agents that are the campaign's, times the campaign's ``ring_time``; and the idle agents the
threshold keeps, who take the first of them. Predictive and progressive campaigns then keep
back the agents inbound would take (docs/outbound.md, "Inbound first").

Calling windows: each campaign's zones (the contacts' IANA zones) get their spans on the
engine clock from :func:`~callroute.outbound.windows.zone_spans` for ``horizon`` seconds
ahead; :meth:`OutboundPlan.pace` renews them (:meth:`OutboundPlan.extend_windows`) once
half the horizon has passed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from .._core import Dial, Dialer, PreviewOffer, blending_threshold
from ..errors import ParameterError, UnknownIdError
from .arrivals import ArrivalMeter
from .config import OUTCOMES, CampaignConfig
from .contacts import Contact, ContactResult
from .windows import EngineClock, ZoneTable

__all__ = [
    "Campaign",
    "FreeAgents",
    "InboundLoad",
    "OutboundPlan",
    "contact_results",
    "core_config",
]

DAY = 86400.0

#: What the dialer is told of a campaign's agents: free now; or (free, agents freeing within
#: the ring time); or (free, freeing, inbound calls expected within the ring time); or that
#: and the idle agents the threshold keeps (the binding takes each; the plan gives the first,
#: second or fourth)
FreeAgents: TypeAlias = (
    int | tuple[int, float] | tuple[int, float, float] | tuple[int, float, float, int]
)

_log = logging.getLogger("callroute.outbound")


@dataclass(frozen=True)
class InboundLoad:
    """The inbound load of a campaign's agents, for the automatic threshold: ``traffic``
    Erlangs, mean handle time ``aht`` (s)."""

    traffic: float
    aht: float


@dataclass
class Campaign:
    """One campaign of a plan: its configuration, its zone table, how far its windows go."""

    config: CampaignConfig
    zones: ZoneTable
    windows_until: float
    contacts: int = 0


def core_config(
    config: CampaignConfig, zones: Sequence[Sequence[tuple[float, float]]]
) -> dict[str, Any]:
    """The native dialer's campaign settings for ``config`` with the zones' spans."""
    retry = {name: config.retry_rule(name).model_dump() for name in OUTCOMES}
    threshold: Any = "auto" if config.threshold == "auto" else {"fixed": config.threshold}
    return {
        "id": config.id,
        "tenant": config.tenant,
        "skills": sorted(config.skills.items()),
        "mode": config.mode,
        "caller_id": config.caller_id,
        "retry": retry,
        "abandon_cap": config.abandon_cap,
        "abandon_risk": config.abandon_risk,
        "abandon_window": config.cap_window_seconds,
        "connect_within": config.connect_within,
        "amd_false_positive_rate": config.amd_false_positive,
        "max_lines_per_agent": config.max_lines_per_agent,
        "answer_rate_prior": config.answer_prior,
        "blending": threshold,
        "zones": [list(map(list, spans)) for spans in zones],
    }


class OutboundPlan:
    """Campaigns, their dialer, and pacing from ``engine``'s ready agents (module doc).

    ``agents``: the center's agents by name (kept as :attr:`agents`; pacing counts the
    engine's own agents, with the skills the engine holds now); ``clock``: engine seconds
    <-> wall time; ``dialer``: a native
    :class:`~callroute._core.Dialer` or a journaling wrapper of one (default: a new one);
    ``inbound``: for campaigns with ``threshold: auto``, the inbound load their agents carry
    (a function of the campaign id); ``queues``: the center's queues by name (each with
    ``tenant`` and ``skills``), whose recent arrivals (over ``inbound_window`` seconds) the
    pacer plans for (module doc; without them, no inbound is planned for);
    ``inbound_expected``: calls per second expected at queues (by name), planned for until
    a queue's rate is measured (:class:`~callroute.outbound.arrivals.ArrivalMeter`).
    """

    def __init__(
        self,
        engine: Any,
        agents: Mapping[str, Any],
        clock: EngineClock,
        *,
        dialer: Any | None = None,
        horizon: float = 7 * DAY,
        inbound: Callable[[str], InboundLoad] | None = None,
        queues: Mapping[str, Any] | None = None,
        inbound_window: float = 300.0,
        inbound_expected: Mapping[str, float] | None = None,
    ) -> None:
        if not horizon > 0:
            raise ParameterError(f"horizon must be > 0 seconds, got {horizon!r}")
        if not (isinstance(inbound_window, (int, float)) and 0 < inbound_window < math.inf):
            raise ParameterError(f"inbound_window must be > 0 seconds, got {inbound_window!r}")
        self.queues: Mapping[str, Any] = queues if queues is not None else {}
        self.arrivals = ArrivalMeter(engine, float(inbound_window), inbound_expected)
        self.engine = engine
        self.agents = agents
        self.clock = clock
        self.dialer: Any = dialer if dialer is not None else Dialer()
        self.horizon = float(horizon)
        self.inbound = inbound
        self.campaigns: dict[str, Campaign] = {}
        #: (campaign, contact) -> wall time of its last dial (results export); a
        #: journaling dialer keeps them across restarts
        self.last_dialled: dict[tuple[str, str], datetime] = {}
        kept = getattr(self.dialer, "last_dialled", None)
        if callable(kept):
            self.last_dialled.update(kept())

    # ------------------------------------------------------------------ setup

    def add_campaign(
        self,
        config: CampaignConfig,
        contacts: Iterable[Contact],
        now: float,
        *,
        dnc: Iterable[str] = (),
        start: bool = True,
    ) -> Campaign:
        """Add ``config`` with its ``contacts`` (and its own do-not-call numbers); started
        unless ``start`` is False.

        :raises DuplicateIdError, ConfigError: from the dialer (nothing is added then).
        """
        if config.threshold == "auto" and self.inbound is None:
            raise ParameterError(
                f"campaign {config.id!r}: threshold auto needs the plan's inbound load"
            )
        contacts = list(contacts)
        zones = ZoneTable(c.zone for c in contacts)
        until = now + self.horizon
        w = config.windows
        spans = zones.spans(w.start, w.end, self.clock, now, until)
        self.dialer.add_campaign(core_config(config, [spans[i] for i in range(len(zones))]), now)
        specs = [_spec(c, zones) for c in contacts]
        numbers = sorted(set(dnc))
        if numbers:  # before the contacts: one with only DNC numbers ends dnc at once
            self.dialer.set_dnc(numbers, now, config.id)
        self.dialer.add_contacts(config.id, specs, now)
        campaign = Campaign(config, zones, until, len(specs))
        self.campaigns[config.id] = campaign
        keep = getattr(self.dialer, "note_zones", None)
        if callable(keep):
            keep(config.id, zones.names)
        if start:
            self.dialer.start_campaign(config.id, now)
        return campaign

    def restored(self, config: CampaignConfig, contacts: Iterable[Contact], now: float) -> Campaign:
        """Know a campaign the dialer already holds (recovered from its journal): its zone
        table as the journal kept it (else from ``contacts``, in the order first added) and
        fresh spans for every zone from ``now`` (the clock's origin may have moved across a
        restart).

        ``contacts`` (the list as it is now) is imported again: ids the dialer does not
        hold (added to the list since) are added, their new zones at the end of the table;
        ids it holds keep their journaled state (the list's row for them is not read
        again); ids it holds that the list no longer has are logged and kept, with their
        state (to stop calling a number, put it on a do-not-call list).
        """
        contacts = list(contacts)
        kept = getattr(self.dialer, "zone_names", None)
        names = kept(config.id) if callable(kept) else None
        zones = ZoneTable(names if names is not None else (c.zone for c in contacts))
        known = [str(v["id"]) for v in self.dialer.contacts(config.id)]
        held = set(known)
        new = [c for c in contacts if c.id not in held]
        before = len(zones)
        for c in new:
            zones.index(c.zone)
        campaign = Campaign(config, zones, now, len(known) + len(new))
        self.campaigns[config.id] = campaign
        self.extend_windows(now)  # the new zones' spans too, in index order
        if new:
            if len(zones) > before:
                keep = getattr(self.dialer, "note_zones", None)
                if callable(keep):
                    keep(config.id, zones.names)
            self.dialer.add_contacts(config.id, [_spec(c, zones) for c in new], now)
            _log.info("campaign %s: %d contacts new in the list imported", config.id, len(new))
        listed = {c.id for c in contacts}
        gone = [cid for cid in known if cid not in listed]
        if gone:
            shown = ", ".join(gone[:10]) + (", ..." if len(gone) > 10 else "")
            _log.warning(
                "campaign %s: %d contacts held are no longer in the list (kept, with their "
                "state): %s",
                config.id,
                len(gone),
                shown,
            )
        return campaign

    def extend_windows(self, now: float) -> None:
        """Give every zone of every campaign its spans from ``now`` to ``now + horizon``
        (replacing those it had: the dialer keeps one list per zone)."""
        until = now + self.horizon
        for cid, campaign in self.campaigns.items():
            w = campaign.config.windows
            spans = campaign.zones.spans(w.start, w.end, self.clock, now, until)
            for zone, zone_spans in spans.items():
                self.dialer.set_zone_windows(cid, zone, zone_spans, now)
            campaign.windows_until = until

    def _campaign(self, cid: str) -> Campaign:
        found = self.campaigns.get(cid)
        if found is None:
            raise UnknownIdError(f"unknown campaign {cid!r}")
        return found

    # ------------------------------------------------------------------ pacing

    def ready_agents(self) -> dict[str, int]:
        """Ready agents per campaign, each counted for the first campaign it serves."""
        return {cid: len(ready) for cid, (ready, _) in self._agent_sets().items()}

    def _agent_sets(self) -> dict[str, tuple[list[str], list[str]]]:
        """Per campaign: its (ready, busy or in wrap-up) agents, each agent counted once.

        The engine's :meth:`~callroute.Engine.eligible_agents` gives each campaign's agents
        (of its tenant, with its skills as the engine holds them now) from its
        agents-by-skill index, not a scan of every agent; an agent already counted for an
        earlier campaign is left out."""
        taken: set[str] = set()
        out: dict[str, tuple[list[str], list[str]]] = {}
        for cid, campaign in self.campaigns.items():
            config = campaign.config
            ready, working = self.engine.eligible_agents(config.tenant, config.skills)
            ready = [a for a in ready if a not in taken]
            working = [a for a in working if a not in taken]
            taken.update(ready)
            taken.update(working)
            out[cid] = (ready, working)
        return out

    def _watched(self) -> list[str]:
        """The inbound queues whose arrivals the plan measures: :attr:`queues` but the
        campaigns' own."""
        own = {c.config.queue_name for c in self.campaigns.values()}
        return [name for name in self.queues if name not in own]

    def _inbound_serving(self, now: float) -> list[tuple[set[str], float]]:
        """Per inbound queue of :attr:`queues` (not a campaign's own) arriving now: its
        ready agents and its recent arrival rate; read once per pace, for every campaign."""
        out = []
        for name in self._watched():
            rate = self.arrivals.rate(name, now)
            if rate <= 0:
                continue
            queue = self.queues[name]
            serving, _ = self.engine.eligible_agents(queue.tenant, dict(queue.skills))
            if serving:
                out.append((set(serving), rate))
        return out

    def inbound_rate(
        self,
        cid: str,
        ready: Sequence[str],
        now: float,
        serving: list[tuple[set[str], float]] | None = None,
    ) -> float:
        """Inbound calls per second expected to take one of ``ready`` (the campaign's ready
        agents): for each inbound queue of :attr:`queues` (not a campaign's own queue) that
        some of them serve, its recent arrival rate times the share of its ready agents that
        are among ``ready`` (an arrival takes one of the queue's ready agents; each as
        likely, as far as the plan can tell). ``serving``: the queues' ready agents and
        rates read once for the pace (:meth:`free_agents`); read now if not given."""
        self._campaign(cid)
        if not ready or not self.queues:
            return 0.0
        if serving is None:
            serving = self._inbound_serving(now)
        mine = set(ready)
        total = 0.0
        for agents, rate in serving:
            share = len(agents & mine) / len(agents)
            total += share * rate
        return total

    def freeing(self, cid: str, busy: int) -> float:
        """Agents of ``cid`` expected to free up within its ring time: each of ``busy``
        with probability ``1 - exp(-ring_time / aht)``, handle times taken as exponential
        with mean ``aht`` (the campaign queue's; none measured yet: 0), so memoryless: a
        busy agent's remaining time has the same law, whatever it has done so far."""
        config = self._campaign(cid).config
        try:
            aht = float(self.engine.queue_stats(config.queue_name).aht)
        except UnknownIdError:  # a queue the engine does not hold
            return 0.0
        if not aht > 0:
            return 0.0
        return busy * -math.expm1(-config.ring_time / aht)

    def threshold(self, cid: str, agents: int) -> int:
        """Idle agents of ``cid`` kept for inbound when ``agents`` are ready."""
        config = self._campaign(cid).config
        if config.threshold != "auto":
            return min(int(config.threshold), agents)
        assert self.inbound is not None
        load = self.inbound(cid)
        return int(
            blending_threshold(
                "auto",
                agents,
                traffic=load.traffic,
                aht=load.aht,
                answer_within=config.inbound_answer_within,
                target=config.inbound_target,
            )
        )

    def free_agents(self, now: float | None = None) -> dict[str, FreeAgents]:
        """Agents free for each campaign at ``now`` (default: the engine's clock): its ready
        agents minus the blending threshold; a predictive campaign also gets the busy ones
        expected to free up within its ring time (``(free, freeing)``); a predictive or
        progressive campaign whose agents serve inbound queues also the inbound calls
        expected to reach them within its ring time and the idle agents the threshold
        keeps, who take the first of them (``(free, freeing, inbound, kept)``)."""
        if now is None:
            now = float(getattr(self.engine, "now", None) or 0.0)
        # every watched queue read on every pace, whether or not any agent is ready: an
        # inbound peak, when none is, is when the rate must be known as one frees
        self.arrivals.sample(self._watched(), now, self.engine)
        serving = self._inbound_serving(now) if self.queues else []
        out: dict[str, FreeAgents] = {}
        for cid, (ready_list, working) in self._agent_sets().items():
            ready, busy = len(ready_list), len(working)
            config = self.campaigns[cid].config
            keep = self.threshold(cid, ready)
            free = max(0, ready - keep)
            freeing = self.freeing(cid, busy) if config.mode == "predictive" and busy else 0.0
            inbound = 0.0
            if config.mode != "preview":
                inbound = self.inbound_rate(cid, ready_list, now, serving) * config.ring_time
            if inbound > 0:
                out[cid] = (free, freeing, inbound, min(keep, ready))
            elif config.mode == "predictive" and busy:
                out[cid] = (free, freeing)
            else:
                out[cid] = free
        return out

    def pace(self, now: float) -> tuple[list[Dial], list[PreviewOffer]]:
        """The lines to dial now (and preview offers to show), from the free agents."""
        if now + self.horizon / 2 > min(
            (c.windows_until for c in self.campaigns.values()), default=float("inf")
        ):
            self.extend_windows(now)
        dials, offers = self.dialer.pace(now, self.free_agents(now))
        for dial in dials:
            self.dialled(dial.campaign, dial.contact, now)
        return list(dials), list(offers)

    def dialled(self, campaign: str, contact: str, now: float) -> None:
        """Keep the wall time ``contact`` was dialled at (and a journaled dialer's note of
        it, which outlives a restart): pacing's dials and accepted previews alike."""
        when = self.clock.to_wall(now)
        self.last_dialled[(campaign, contact)] = when
        keep = getattr(self.dialer, "note_dialled", None)
        if callable(keep):
            keep(campaign, contact, when)

    # ------------------------------------------------------------------ results

    def results(self, cid: str) -> list[ContactResult]:
        """What became of each contact of ``cid`` (for :func:`write_results`): attempts,
        final outcome (None while pending), the wall time of its last dial by this plan."""
        self._campaign(cid)
        return contact_results(self.dialer.contacts(cid), cid, self.last_dialled)


def _spec(contact: Contact, zones: ZoneTable) -> dict[str, Any]:
    """The dialer's contact record of ``contact`` (its zone by index in ``zones``)."""
    return {
        "id": contact.id,
        "numbers": list(contact.numbers),
        "priority": contact.priority,
        "data": dict(contact.data),
        "zone": zones.index(contact.zone),
    }


def contact_results(
    views: Iterable[Mapping[str, Any]],
    cid: str,
    last_dialled: Mapping[tuple[str, str], datetime],
) -> list[ContactResult]:
    """The :class:`ContactResult` of each contact view of campaign ``cid`` (as
    :meth:`Dialer.contacts` gives them): attempts, final outcome (None while pending), the
    wall time of its last dial from ``last_dialled`` ((campaign, contact) -> when)."""
    out = []
    for view in views:
        status = view["status"]
        final = status.get("final") if isinstance(status, dict) else None
        last = last_dialled.get((cid, str(view["id"])))
        out.append(
            ContactResult(
                str(view["id"]),
                int(view["attempts"]),
                str(final) if final is not None else None,
                last,
            )
        )
    return out
