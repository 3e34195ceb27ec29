"""Crash and recover between any two PBX events: the same outcomes as an uncrashed run.

A small deterministic PBX model drives the call core (sans-I/O) with a journaled engine:
callers arrive, agent legs answer 2 s after their originate, calls last 10 s unless the
caller's patience runs out first. The run is repeated with a "crash" after event k (the
core and engine are dropped; a new engine is recovered from the journal, the calls from
their notes, and reconciled with the PBX's live channels). No event is lost here (the PBX
waits for the runtime), so every call must end exactly as in the uncrashed run.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _runtime_util import (
    DNIS,
    Channel,
    ChannelHangupRequest,
    StasisEnd,
    StasisStart,
    make_center,
)
from callroute.runtime import CallCore, Journal, JournaledEngine, Options
from callroute.runtime import commands as cmd

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
AGENTS = {"agent1": "PJSIP/1001", "agent2": "PJSIP/1002"}
CALLS = 14
EVENTS_SEEN = [0]


class Model:
    """The PBX side: live channels, and what happens next."""

    def __init__(self) -> None:
        self.queue: list[tuple[float, int, Any]] = []
        self.seq = itertools.count()
        self.live: dict[str, Channel] = {}
        self.patience: dict[str, float] = {}
        for i in range(CALLS):
            ch = Channel(f"pbx-{i}", caller_number=f"555{i:04d}")
            self.at(3.0 * i, StasisStart(ch, ("inbound", DNIS)))
            self.patience[ch.id] = 3.0 * i + (6.0 if i % 3 == 0 else 60.0)
            self.at(self.patience[ch.id], ("patience", ch))

    def at(self, t: float, item: Any) -> None:
        heapq.heappush(self.queue, (t, next(self.seq), item))

    def react(self, commands: list[Any], now: float) -> None:
        for c in commands:
            if isinstance(c, cmd.Originate):
                leg = Channel(c.channel)
                self.live[leg.id] = Channel(c.channel, state="Ringing")  # rings at once
                self.at(now + 2.0, StasisStart(leg, ("agent", c.call)))
            elif isinstance(c, cmd.AddChannels) and len(c.channels) == 2:
                self.at(now + 10.0, ("agent hangs up", Channel(c.channels[1])))
            elif isinstance(c, cmd.Hangup) and c.channel in self.live:
                self.at(now, StasisEnd(self.live[c.channel]))

    def next_event(self) -> tuple[float, Any] | None:
        while self.queue:
            t, _, item = heapq.heappop(self.queue)
            if isinstance(item, tuple):
                _, ch = item
                if ch.id in self.live:
                    self.at(t, ChannelHangupRequest(ch, 16))
                    self.at(t, StasisEnd(ch))
                continue
            ch = item.channel
            if isinstance(item, StasisStart):
                if ch.id.startswith("pbx-") and t >= self.patience[ch.id]:
                    continue
                if not ch.id.startswith("pbx-") and ch.id not in self.live:
                    continue  # a leg hung up while it rang never answers
                self.live[ch.id] = ch
            elif isinstance(item, StasisEnd):
                if ch.id not in self.live:
                    continue
                del self.live[ch.id]
            return t, item
        return None


class Shell:
    """What the service does around the core, synchronously: journal notes and outcomes."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.journal = Journal(path)
        center = make_center(AGENTS, ivr=False, record=False, wrapup=0)
        engine, _ = JournaledEngine.recover(lambda: center.engine, self.journal)
        self.core = CallCore(
            center,
            engine,
            wall=lambda t: T0 + timedelta(seconds=t),
            options=Options(id_prefix=prefix),
        )
        notes = [n.payload for n in engine.recovery.notes if n.kind == "call"]
        self.core.restore(notes)

    def apply(self, commands: list[Any]) -> None:
        for c in commands:
            if isinstance(c, cmd.RecordOutcome):
                self.journal.record_outcome(c.call, c.outcome, c.t, dict(c.detail))
        for call, payload in self.core.take_notes():
            if payload is None:
                self.journal.forget("call", call)
            else:
                self.journal.note("call", {**payload, "call": call}, key=call)
        for call in list(self.core.ended_pending):
            self.core.ended_pending.discard(call)
            self.journal.forget("call", call)


def run(path: Path, crash_after: int | None) -> tuple[dict[str, str], tuple[int, int, int]]:
    model = Model()
    shell = Shell(path, "a")
    shell.core.engine.agent_ready("agent1", 0.0)
    shell.core.engine.agent_ready("agent2", 0.0)
    count = 0
    while True:
        deadline = shell.core.next_deadline()
        peek = model.queue[0][0] if model.queue else None
        if deadline is not None and (peek is None or deadline < peek):
            out = shell.core.on_timer(deadline)
            shell.apply(out)
            model.react(out, deadline)
            continue
        found = model.next_event()
        if found is None:
            break
        t, event = found
        out = shell.core.on_event(event, t)
        shell.apply(out)
        model.react(out, t)
        count += 1
        if count == crash_after:
            shell.journal.close()  # the process dies here
            shell = Shell(path, "b")
            out = shell.core.reconcile(dict(model.live), t)
            shell.apply(out)
            model.react(out, t)
    EVENTS_SEEN[0] = count
    outcomes = {o.detail["channel"]: o.outcome for o in shell.journal.outcomes().values()}
    s = shell.core.engine.queue_stats("sales")
    shell.journal.close()
    return outcomes, (s.offered, s.answered, s.abandoned)


def test_crash_between_any_two_events_changes_no_outcome(tmp_path: Path) -> None:
    clean = run(tmp_path / "clean.sqlite", None)
    assert len(clean[0]) == CALLS
    assert set(clean[0].values()) == {"answered", "abandoned"}  # both kinds in the run
    events = EVENTS_SEEN[0]
    assert events > 3 * CALLS
    for crash_after in range(1, events):
        crashed = run(tmp_path / f"crash{crash_after}.sqlite", crash_after)
        assert crashed == clean, f"crash after event {crash_after}"
