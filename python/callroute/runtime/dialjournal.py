"""The outbound dialer, journaled like the engine: every input written before it is applied.

:class:`JournaledDialer` is :class:`~callroute.runtime.journal.JournaledEngine`'s machinery
around a :class:`~callroute._core.Dialer` (its own journal file: a journal holds one state
machine). Each input (campaigns, contacts, windows, DNC, pacing, outcomes, connects,
timeouts) is committed with its time before the dialer applies it; snapshots of the dialer
are stored as the engine's are; :meth:`JournaledDialer.recover` restores the latest and
replays the rest, checking that pacing makes the same dials again (the dialer is
deterministic).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .._core import Dial, Dialer, PreviewOffer
from .journal import Journal, JournaledEngine
from .recorder import dumps

__all__ = ["JournaledDialer", "dialer_results_json"]

log = logging.getLogger("callroute.runtime")


def _record(value: Any) -> Any:
    if isinstance(value, Dial):
        return ["Dial", value.line, value.campaign, value.contact, value.number, value.attempt]
    if isinstance(value, PreviewOffer):
        return ["PreviewOffer", value.campaign, value.contact, value.number]
    if isinstance(value, (list, tuple)):
        return [_record(v) for v in value]
    return value


def dialer_results_json(results: Any) -> str:
    """The JSON text of a dialer input's result (pacing: its dials and offers)."""
    return dumps(_record(list(results or [])))


class JournaledDialer(JournaledEngine):
    """A :class:`~callroute._core.Dialer` whose every input is journaled before it is
    applied (see the module doc); queries pass through. Build one with :meth:`open`."""

    _restore: Callable[[bytes], Any] = staticmethod(Dialer.restore)
    _encode: Callable[[Any], str] = staticmethod(dialer_results_json)

    @classmethod
    def open(cls, journal: Journal, **options: Any) -> JournaledDialer:
        """Continue ``journal`` (restore its latest snapshot, replay the rest), or start it
        with a new dialer when it is empty. ``options``: as :meth:`JournaledEngine.recover`."""
        resumed, _ = cls.recover(Dialer, journal, **options)  # type: ignore[arg-type]
        assert isinstance(resumed, JournaledDialer)
        return resumed

    @property
    def dialer(self) -> Dialer:
        """The wrapped dialer (for queries; its inputs go through this object)."""
        wrapped: Dialer = self._engine  # type: ignore[assignment]
        return wrapped

    # ------------------------------------------------------------------ inputs

    def add_campaign(self, config: Mapping[str, Any], now: float) -> None:
        """Journal and apply :meth:`Dialer.add_campaign`."""
        self._input("add_campaign", [dict(config), now], {}, now)

    def add_contacts(
        self, campaign: str, contacts: Sequence[Mapping[str, Any]], now: float
    ) -> None:
        """Journal and apply :meth:`Dialer.add_contacts`."""
        self._input("add_contacts", [campaign, [dict(c) for c in contacts], now], {}, now)

    def set_zone_windows(
        self, campaign: str, zone: int, spans: Sequence[tuple[float, float]], now: float
    ) -> None:
        """Journal and apply :meth:`Dialer.set_zone_windows`."""
        self._input("set_zone_windows", [campaign, zone, [list(s) for s in spans], now], {}, now)

    def set_dnc(self, numbers: Sequence[str], now: float, campaign: str | None = None) -> None:
        """Journal and apply :meth:`Dialer.set_dnc`."""
        self._input("set_dnc", [list(numbers), now], {"campaign": campaign}, now)

    def start_campaign(self, campaign: str, now: float) -> None:
        """Journal and apply :meth:`Dialer.start_campaign`."""
        self._input("start_campaign", [campaign, now], {}, now)

    def stop_campaign(self, campaign: str, now: float) -> None:
        """Journal and apply :meth:`Dialer.stop_campaign`."""
        self._input("stop_campaign", [campaign, now], {}, now)

    def pace(
        self,
        now: float,
        free: Mapping[
            str, int | tuple[int, float] | tuple[int, float, float] | tuple[int, float, float, int]
        ],
    ) -> tuple[list[Dial], list[PreviewOffer]]:
        """Journal and apply :meth:`Dialer.pace`."""
        free_plain = {k: list(v) if isinstance(v, tuple) else v for k, v in free.items()}
        out: list[Any] = list(self._input("pace", [now, free_plain], {}, now))
        if not out:
            return [], []
        return list(out[0]), list(out[1])

    def note_dialled(self, campaign: str, contact: str, when: datetime) -> None:
        """Keep (as a journal note) the wall time ``contact`` was last dialled: engine times
        do not map to wall times across a restart (the clock's origin moves)."""
        payload = {"campaign": campaign, "contact": contact, "at": when.isoformat()}

        def write() -> None:
            self._journal.note("dialled", payload, key=f"{campaign}/{contact}")

        self._guard(write)

    def note_zones(self, campaign: str, names: Sequence[str]) -> None:
        """Keep (as a journal note) the campaign's zone table: index -> IANA name (the
        dialer knows zones by index only; a contact list read again may order them
        differently)."""
        payload = {"campaign": campaign, "names": list(names)}

        def write() -> None:
            self._journal.note("zones", payload, key=campaign)

        self._guard(write)

    def zone_names(self, campaign: str) -> list[str] | None:
        """The zone table kept for ``campaign`` (None: none kept)."""
        for note in self._journal.notes("zones"):
            p = note.payload
            if not isinstance(p, dict) or p.get("campaign") != campaign:
                continue
            names = p.get("names") or []
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return list(names)
            log.error(
                "journal %s: zones note of %r unreadable: ignored", self._journal.path, campaign
            )
        return None

    def last_dialled(self) -> dict[tuple[str, str], datetime]:
        """(campaign, contact) -> when it was last dialled, from the journal's notes."""
        out: dict[tuple[str, str], datetime] = {}
        for note in self._journal.notes("dialled"):
            p = note.payload
            try:
                out[(str(p["campaign"]), str(p["contact"]))] = datetime.fromisoformat(p["at"])
            except (KeyError, TypeError, ValueError) as exc:  # a corrupt row: not fatal
                log.error(
                    "journal %s: dialled note %r unreadable (%s): ignored",
                    self._journal.path,
                    p,
                    exc,
                )
        return out

    def preview_accepted(
        self, campaign: str, contact: str, now: float, agent: str | None = None
    ) -> Dial | None:
        """Journal and apply :meth:`Dialer.preview_accepted`."""
        out = self._input("preview_accepted", [campaign, contact, now], {"agent": agent}, now)
        return out[0] if out else None  # type: ignore[return-value]

    def preview_rejected(self, campaign: str, contact: str, now: float) -> None:
        """Journal and apply :meth:`Dialer.preview_rejected`."""
        self._input("preview_rejected", [campaign, contact, now], {}, now)

    def outcome(self, line: int, outcome: str, now: float, at: float | None = None) -> None:
        """Journal and apply :meth:`Dialer.outcome`."""
        self._input("outcome", [line, outcome, now], {"at": at}, now)

    def agent_connected(self, line: int, now: float) -> None:
        """Journal and apply :meth:`Dialer.agent_connected`."""
        self._input("agent_connected", [line, now], {}, now)

    def connect_timeout(self, line: int, now: float) -> None:
        """Journal and apply :meth:`Dialer.connect_timeout`."""
        self._input("connect_timeout", [line, now], {}, now)

    def advance(self, now: float) -> list[Any]:
        """Journal and apply :meth:`Dialer.advance`."""
        self._input("advance", [now], {}, now)
        return []

    # ------------------------------------------------------------------ queries

    def stats(self, campaign: str) -> dict[str, Any]:
        """:meth:`Dialer.stats`."""
        return self.dialer.stats(campaign)

    def contact(self, campaign: str, contact: str) -> dict[str, Any]:
        """:meth:`Dialer.contact`."""
        return self.dialer.contact(campaign, contact)

    def contacts(self, campaign: str) -> list[dict[str, Any]]:
        """:meth:`Dialer.contacts`."""
        return self.dialer.contacts(campaign)

    def lines(self) -> list[dict[str, Any]]:
        """:meth:`Dialer.lines`."""
        return self.dialer.lines()

    def campaigns(self) -> list[str]:
        """:meth:`Dialer.campaigns`."""
        return self.dialer.campaigns()
