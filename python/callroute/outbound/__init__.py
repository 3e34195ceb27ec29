"""Outbound campaigns: configuration, contact lists, calling windows and pacing.

:func:`load_campaign` reads a campaign file, :func:`read_contacts` / :func:`read_dnc` its
contact and do-not-call lists (every bad row reported by file and line),
:class:`OutboundPlan` runs campaigns on the native dialer, paced from an engine's agents,
:func:`zone_spans` turns each contact's local calling hours into spans on the engine clock
(:class:`EngineClock`), and :func:`write_results` exports what became of each contact.
:func:`load_blend` reads a blended day (inbound and campaigns on one pool of agents),
:func:`simulate_blend` simulates it and :func:`tradeoff` / :func:`plot_tradeoff` show
inbound service against outbound contacts by blending threshold.
"""

from __future__ import annotations

from .blend import BlendResult, Tradeoff, plot_tradeoff, simulate_blend, tradeoff
from .blendfile import load_blend, parse_blend
from .config import CAP_WINDOWS, OUTCOMES, CampaignConfig, RetryRule, Windows, load_campaign
from .contacts import (
    Contact,
    ContactListError,
    ContactResult,
    normalize_number,
    read_contacts,
    read_dnc,
    write_results,
)
from .plan import Campaign, InboundLoad, OutboundPlan, core_config
from .windows import EngineClock, ZoneTable, zone_spans

__all__ = [
    "CAP_WINDOWS",
    "OUTCOMES",
    "BlendResult",
    "Campaign",
    "CampaignConfig",
    "Contact",
    "ContactListError",
    "ContactResult",
    "EngineClock",
    "InboundLoad",
    "OutboundPlan",
    "RetryRule",
    "Tradeoff",
    "Windows",
    "ZoneTable",
    "core_config",
    "load_blend",
    "load_campaign",
    "normalize_number",
    "parse_blend",
    "plot_tradeoff",
    "read_contacts",
    "read_dnc",
    "simulate_blend",
    "tradeoff",
    "write_results",
    "zone_spans",
]
