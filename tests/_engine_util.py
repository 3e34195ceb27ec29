"""Helpers shared by the routing-engine tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import callroute

T = TypeVar("T")


def only(decisions: Sequence[object], kind: type[T]) -> list[T]:
    """The decisions of one kind, in order."""
    return [d for d in decisions if isinstance(d, kind)]


def offered(decisions: Sequence[object]) -> list[tuple[str, str]]:
    """(call, agent) of every offer, in order."""
    return [(o.call, o.agent) for o in only(decisions, callroute.Offer)]


def the_offer(decisions: Sequence[object]) -> callroute.Offer:
    """The one offer among the decisions."""
    offers = only(decisions, callroute.Offer)
    assert len(offers) == 1, decisions
    return offers[0]


def conserved(eng: callroute.Engine) -> None:
    """Every arrived call is in exactly one outcome or still active."""
    t = eng.totals()
    assert t.arrived == t.completed + t.abandoned + t.exited + t.rejected + t.active
    assert t.active == len(eng.calls())
