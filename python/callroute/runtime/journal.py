"""The crash-safe journal of the live runtime: SQLite (WAL), write-ahead of every engine input.

:class:`Journal` is one SQLite file. :class:`JournaledEngine` wraps a
:class:`~callroute.Engine` and has the same input methods; each input is committed to the
journal, with its time, *before* the engine applies it, and its result (the decisions, or the
engine's refusal) is written with the next input. Every ``snapshot_every`` inputs or
``snapshot_seconds`` of engine time a snapshot of the engine is stored; inputs older than the
snapshots kept may be pruned (``Journal(prune=True)``, the default).

After a crash, :meth:`JournaledEngine.recover` restores the latest snapshot and replays the
inputs after it: the engine is deterministic, so it reaches the state the crashed process had
(byte for byte: ``engine.snapshot()`` is equal) and re-makes the same decisions, which it
checks against the results recorded before the crash (:class:`JournalError` on a divergence).

Refused inputs: an input the engine refuses (a typed :class:`~callroute.errors.EngineError`;
the engine is then unchanged) stays in the journal, marked ``refused`` with the error; the
replay applies it again and must be refused again with the same error type. An input whose
arguments cannot be journaled (see :func:`~callroute.runtime.recorder.plain`) is refused with a
:class:`~callroute.errors.ParameterError` before the journal and the engine.

When is a snapshot taken: just before the input *after* the ``N``-th is journaled (a snapshot
at sequence ``k`` is the state after input ``k``). A runtime that finishes acting on an
input's decisions (recording outcomes, noting offers in flight) before it submits the next
input thus knows that every input up to the snapshot was fully acted on; only the replayed
tail (``JournaledEngine.recovery.replayed``) may have been cut short by the crash.

Not journaled: the custom scorer (``set_scorer``) is code, not data. Pass the same,
deterministic scorer to :meth:`JournaledEngine.recover` (it is installed before the replay);
another scorer makes the replay diverge, which the result check reports.

Runtime facts: :meth:`Journal.note` keeps what the runtime must know again after a crash
(channel <-> call, offers in flight, IVR progress), optionally keyed so a later note replaces
an earlier one; :meth:`Journal.notes` hands them back. :meth:`Journal.record_outcome` records a
call's outcome exactly once: a second outcome for the same call is not written and the method
returns ``False`` (so a recovering runtime may simply record again whatever it is unsure of).

Secrets: call data, notes and outcome details go through
:func:`~callroute.runtime.recorder.scrub`: values under secret keys (``pin``, ``password``,
``secret``, ``token``, ..., plus ``secret_keys``) and objects flagged ``secret=True`` are
replaced by ``"***"`` before anything is written or handed to the engine, so a PIN reaches
neither the database, its write-ahead log, an engine snapshot nor a log line.

Durability: ``journal_mode=WAL`` with ``synchronous=NORMAL`` (the default). The failure model
is the runtime process dying (``kill -9``, a crash, an OOM kill), not the machine losing
power. In WAL mode every commit has been written to the ``-wal`` file with ``write()`` before
``commit`` returns, so it is in the operating system's page cache and survives the death of
the process; ``NORMAL`` only skips the ``fsync`` per commit, which matters for power loss or a
kernel crash (then the last commits may be lost, the database stays consistent). ``FULL``
(``Journal(synchronous="FULL")``) adds that ``fsync`` per input for sites that want
power-loss durability and pay a disk flush per engine input. The file is opened with
``locking_mode=EXCLUSIVE``: a second process opening the same journal gets a
:class:`JournalError` instead of interleaving its inputs.

Shutdown: :meth:`JournaledEngine.checkpoint` then :meth:`Journal.close` leaves nothing to
replay. ``Engine.feed`` has no journaled twin: journal inputs one by one.

Threads: calls are serialized by a lock; the SQLite work is blocking (a commit per input, tens
of microseconds), so an asyncio runtime calls it from the task that owns the engine.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import (
    AgentStats,
    CallInfo,
    Decision,
    Engine,
    IntervalStats,
    QueueStats,
    Totals,
)
from ..errors import SnapshotError
from .recorder import (
    Journal,
    JournalError,
    Note,
    Outcome,
    StoredInput,
    _Pending,
    _real,
    decisions_json,
    dumps,
    plain,
    scrub,
)

__all__ = [
    "Journal",
    "JournalError",
    "JournaledEngine",
    "Note",
    "Outcome",
    "Recovery",
    "ReplayedInput",
    "StoredInput",
]

log = logging.getLogger("callroute.runtime.journal")

# ---------------------------------------------------------------------- the journaled engine


@dataclass(frozen=True)
class ReplayedInput:
    """An input replayed at recovery: its decisions, or the refusal ``"TypeName: message"``."""

    seq: int
    t: float | None
    kind: str
    args: list[Any]
    kwargs: dict[str, Any]
    decisions: list[Decision]
    error: str | None


@dataclass(frozen=True)
class Recovery:
    """What :meth:`JournaledEngine.recover` found.

    ``snapshot_seq``: the snapshot restored (``None``: none was usable, the engine came from
    the factory and every input was replayed); ``replayed``: the inputs after it, in order,
    with their decisions (their effects may have been cut short by the crash: reconcile);
    ``notes``: the runtime facts kept with :meth:`Journal.note`.
    """

    snapshot_seq: int | None
    replayed: list[ReplayedInput]
    notes: list[Note]


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run(engine: Engine, kind: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return getattr(engine, kind)(*args, **kwargs)


def _results(out: Any) -> list[Any]:
    """An input's result as a list: its decisions, or nothing (None), or the one object an
    input returns alone (a dialer's ``preview_accepted`` gives one ``Dial``)."""
    if out is None:
        return []
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


class JournaledEngine:
    """An :class:`~callroute.Engine` whose every input is journaled before it is applied.

    The input methods are the engine's (same arguments, same decisions, same errors); queries
    pass through. Do not call the wrapped engine's input methods directly: such inputs would
    be missing from the journal. ``snapshot_every`` (inputs) and ``snapshot_seconds`` (of
    engine time) say how often to snapshot (``None`` or 0 disables either);
    ``record_decisions`` stores each input's decisions so that recovery checks the replay
    against them (``strict``: a divergence raises :class:`JournalError`; otherwise it is
    logged and the replay's result is kept). ``journal`` must be empty: to continue a journal,
    use :meth:`recover`.
    """

    recovery: Recovery | None
    """What recovery found (set by :meth:`recover`; None for a fresh journal)."""

    #: how a snapshot's bytes become the wrapped object again, and how an input's result is
    #: stored: the engine's (a journaled dialer has its own)
    _restore: Callable[[bytes], Any] = staticmethod(Engine.restore)
    _encode: Callable[[Any], str] = staticmethod(decisions_json)

    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        *,
        snapshot_every: int | None = 1000,
        snapshot_seconds: float | None = 30.0,
        record_decisions: bool = True,
        strict: bool = True,
    ) -> None:
        if not journal.is_empty():
            raise JournalError(
                f"journal {journal.path} already holds a run: continue it with "
                "JournaledEngine.recover"
            )
        self._setup(engine, journal, snapshot_every, snapshot_seconds, record_decisions, strict)
        self._snap_t = engine.now
        self._guard(lambda: journal._write(None, (0, engine.now, engine.snapshot()), None))
        self.recovery = None

    def _setup(
        self,
        engine: Engine,
        journal: Journal,
        snapshot_every: int | None,
        snapshot_seconds: float | None,
        record_decisions: bool,
        strict: bool,
    ) -> None:
        if snapshot_every is not None and snapshot_every < 0:
            raise JournalError(f"snapshot_every must be >= 0 or None, got {snapshot_every}")
        if snapshot_seconds is not None and not snapshot_seconds >= 0:
            raise JournalError(f"snapshot_seconds must be >= 0 or None, got {snapshot_seconds}")
        self._engine = engine
        self._journal = journal
        self._every = snapshot_every or 0
        self._seconds = snapshot_seconds or None
        self._record = record_decisions
        self._strict = strict
        self._lock = threading.RLock()
        self._pending: _Pending | None = None
        self._since = 0
        self._snap_t = None

    @staticmethod
    def _guard(write: Callable[[], None]) -> None:
        try:
            write()
        except sqlite3.Error as exc:
            raise JournalError(f"journal write failed: {exc}") from exc

    @property
    def engine(self) -> Engine:
        """The wrapped engine (for queries; its inputs go through this object)."""
        return self._engine

    @property
    def journal(self) -> Journal:
        """The journal written to."""
        return self._journal

    # ------------------------------------------------------------------ the write-ahead path

    def _due(self) -> bool:
        if self._every and self._since >= self._every:
            return True
        if self._seconds is not None:
            now = self._engine.now
            if now is not None:
                if self._snap_t is None:
                    self._snap_t = now
                elif now - self._snap_t >= self._seconds:
                    return True
        return False

    def _input(
        self, kind: str, args: list[Any], kwargs: dict[str, Any], now: Any = None
    ) -> list[Decision]:
        args = plain(args, kind)
        kwargs = plain(kwargs, kind)
        payload = dumps([args, kwargs])
        if kind in _UNTIMED:
            now = self._engine.now
        with self._lock:
            journal = self._journal
            seq = journal.last_seq + 1
            snapshot = None
            if self._since and self._due():
                snapshot = (seq - 1, self._engine.now, self._engine.snapshot())
            pending = self._pending
            self._guard(lambda: journal._write(pending, snapshot, (seq, _real(now), kind, payload)))
            self._pending = None
            if snapshot is not None:
                self._since = 0
                self._snap_t = snapshot[1]
            self._since += 1
            try:
                out = _run(self._engine, kind, args, kwargs)
            except BaseException as exc:
                applied = getattr(exc, "decisions", None)
                if applied is not None:  # applied, then raised (scorer interrupt, -W error)
                    self._pending = self._applied(seq, list(applied))
                elif isinstance(exc, Exception):  # refused: the engine is unchanged
                    self._pending = _Pending(seq, "refused", _error_text(exc))
                    log.debug("input %d %s refused: %s", seq, kind, exc)
                raise
            decisions: list[Decision] = _results(out)
            self._pending = self._applied(seq, decisions)
            return decisions

    def _applied(self, seq: int, decisions: list[Decision]) -> _Pending:
        return _Pending(seq, "applied", self._encode(decisions) if self._record else None)

    def flush(self) -> None:
        """Write the last input's result now (it is otherwise written with the next input)."""
        with self._lock:
            pending, self._pending = self._pending, None
            if pending is not None:
                self._guard(lambda: self._journal._write(pending, None, None))

    def checkpoint(self) -> None:
        """Store a snapshot of the engine now (and the last input's result)."""
        with self._lock:
            pending, self._pending = self._pending, None
            snapshot = (self._journal.last_seq, self._engine.now, self._engine.snapshot())
            self._guard(lambda: self._journal._write(pending, snapshot, None))
            self._since = 0
            self._snap_t = snapshot[1]

    # ------------------------------------------------------------------ recovery

    @classmethod
    def recover(
        cls,
        engine_factory: Callable[[], Engine],
        journal: Journal,
        *,
        scorer: Callable[..., Any] | None = None,
        snapshot_every: int | None = 1000,
        snapshot_seconds: float | None = 30.0,
        record_decisions: bool = True,
        strict: bool = True,
    ) -> tuple[JournaledEngine, list[Decision]]:
        """Continue ``journal``: restore its latest snapshot and replay the inputs after it.

        Returns the journaled engine (its :attr:`recovery` says what was replayed) and the
        decisions of the replayed inputs, in order. ``engine_factory`` builds the engine when
        the journal is empty (a first start), or when no snapshot is usable and the journal
        still holds every input from the first. ``scorer`` is installed before the replay.
        """
        if journal.is_empty():
            engine = engine_factory()
            if scorer is not None:
                engine.set_scorer(scorer)
            fresh = cls(
                engine,
                journal,
                snapshot_every=snapshot_every,
                snapshot_seconds=snapshot_seconds,
                record_decisions=record_decisions,
                strict=strict,
            )
            fresh.recovery = Recovery(0, [], journal.notes())
            return fresh, []
        engine, snap_seq, snap_t = _restore_latest(engine_factory, journal, cls._restore)
        if scorer is not None:
            engine.set_scorer(scorer)
        tail = journal.inputs(after=snap_seq or 0)
        expected = (snap_seq or 0) + 1
        for item in tail:
            if item.seq != expected:
                raise JournalError(f"journal {journal.path}: input {expected} is missing")
            expected += 1
        replayed, fills = _replay(engine, tail, strict, cls._encode)
        resumed = cls.__new__(cls)
        resumed._setup(engine, journal, snapshot_every, snapshot_seconds, record_decisions, strict)
        resumed._snap_t = snap_t
        resumed._since = len(tail)
        if fills:
            cls._guard(lambda: journal._fill(fills))
        resumed.recovery = Recovery(snap_seq, replayed, journal.notes())
        log.info(
            "journal %s recovered: snapshot %s, %d inputs replayed",
            journal.path,
            snap_seq,
            len(tail),
        )
        return resumed, [d for r in replayed for d in r.decisions]

    # ------------------------------------------------------------------ inputs

    def add_queue(self, name: str, **options: Any) -> None:
        """Journal and apply :meth:`Engine.add_queue`."""
        self._input("add_queue", [name], dict(options))

    def add_agent(self, name: str, **options: Any) -> None:
        """Journal and apply :meth:`Engine.add_agent`."""
        self._input("add_agent", [name], dict(options))

    def set_agent_skills(self, agent: str, skills: Mapping[str, int], now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.set_agent_skills`."""
        return self._input("set_agent_skills", [agent, skills, now], {}, now)

    def set_queue_open(self, queue: str, open: bool) -> None:
        """Journal and apply :meth:`Engine.set_queue_open` (journaled at the engine's time)."""
        self._input("set_queue_open", [queue, open], {})

    def agent_ready(self, agent: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.agent_ready`."""
        return self._input("agent_ready", [agent, now], {}, now)

    def agent_not_ready(self, agent: str, now: float, reason: str = "break") -> list[Decision]:
        """Journal and apply :meth:`Engine.agent_not_ready`."""
        return self._input("agent_not_ready", [agent, now, reason], {}, now)

    def agent_logout(self, agent: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.agent_logout`."""
        return self._input("agent_logout", [agent, now], {}, now)

    def wrapup_done(self, agent: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.wrapup_done`."""
        return self._input("wrapup_done", [agent, now], {}, now)

    def call_arrived(
        self,
        call: str,
        now: float,
        *,
        queue: str | None = None,
        skills: Mapping[str, int] | None = None,
        priority: int = 0,
        media: str | None = None,
        tenant: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> list[Decision]:
        """Journal and apply :meth:`Engine.call_arrived`; secrets in ``data`` become ``***``.

        The engine gets the scrubbed data too (so its snapshots hold no secret either).
        """
        kwargs: dict[str, Any] = {"queue": queue, "skills": skills, "priority": priority}
        kwargs.update(media=media, tenant=tenant)
        if data is not None:
            kwargs["data"] = scrub(data, "data", self._journal.secret_keys)
        return self._input("call_arrived", [call, now], kwargs, now)

    def offer_accepted(self, call: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.offer_accepted`."""
        return self._input("offer_accepted", [call, now], {}, now)

    def offer_declined(self, call: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.offer_declined`."""
        return self._input("offer_declined", [call, now], {}, now)

    def call_ended(self, call: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.call_ended`."""
        return self._input("call_ended", [call, now], {}, now)

    def call_abandoned(self, call: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.call_abandoned`."""
        return self._input("call_abandoned", [call, now], {}, now)

    def transfer(self, call: str, now: float, queue: str) -> list[Decision]:
        """Journal and apply :meth:`Engine.transfer`."""
        return self._input("transfer", [call, now, queue], {}, now)

    def callback_requested(self, call: str, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.callback_requested`."""
        return self._input("callback_requested", [call, now], {}, now)

    def advance(self, now: float) -> list[Decision]:
        """Journal and apply :meth:`Engine.advance`."""
        return self._input("advance", [now], {}, now)

    # ------------------------------------------------------------------ queries (pass through)

    def set_scorer(self, scorer: Callable[..., Any] | None) -> None:
        """Install a custom scorer (not journaled: give the same one to :meth:`recover`)."""
        self._engine.set_scorer(scorer)

    def next_deadline(self) -> float | None:
        """:meth:`Engine.next_deadline`."""
        return self._engine.next_deadline()

    @property
    def now(self) -> float | None:
        """:attr:`Engine.now`."""
        return self._engine.now

    def queue_stats(self, queue: str) -> QueueStats:
        """:meth:`Engine.queue_stats`."""
        return self._engine.queue_stats(queue)

    def interval_stats(self, queue: str) -> list[IntervalStats]:
        """:meth:`Engine.interval_stats`."""
        return self._engine.interval_stats(queue)

    def agent_stats(self, agent: str) -> AgentStats:
        """:meth:`Engine.agent_stats`."""
        return self._engine.agent_stats(agent)

    def agent_state(self, agent: str) -> str:
        """:meth:`Engine.agent_state`."""
        return self._engine.agent_state(agent)

    def eligible_agents(
        self, tenant: str, skills: Mapping[str, int]
    ) -> tuple[list[str], list[str]]:
        """:meth:`Engine.eligible_agents`."""
        return self._engine.eligible_agents(tenant, skills)

    def agent_reason(self, agent: str) -> str | None:
        """:meth:`Engine.agent_reason`."""
        return self._engine.agent_reason(agent)

    def agent_skills(self, agent: str) -> dict[str, int]:
        """:meth:`Engine.agent_skills`."""
        return self._engine.agent_skills(agent)

    def call_info(self, call: str) -> CallInfo:
        """:meth:`Engine.call_info`."""
        return self._engine.call_info(call)

    def position(self, call: str) -> int | None:
        """:meth:`Engine.position`."""
        return self._engine.position(call)

    def totals(self) -> Totals:
        """:meth:`Engine.totals`."""
        return self._engine.totals()

    def queues(self) -> list[str]:
        """:meth:`Engine.queues`."""
        return self._engine.queues()

    def agents(self) -> list[str]:
        """:meth:`Engine.agents`."""
        return self._engine.agents()

    def calls(self) -> list[str]:
        """:meth:`Engine.calls`."""
        return self._engine.calls()

    def snapshot(self) -> bytes:
        """:meth:`Engine.snapshot` (the engine's bytes; :meth:`checkpoint` stores one)."""
        return self._engine.snapshot()

    def audit(self) -> None:
        """:meth:`Engine.audit`."""
        self._engine.audit()

    @property
    def scorer_failures(self) -> int:
        """:attr:`Engine.scorer_failures`."""
        return self._engine.scorer_failures


_UNTIMED = frozenset({"add_queue", "add_agent", "set_queue_open"})


def _restore_latest(
    engine_factory: Callable[[], Engine],
    journal: Journal,
    restore: Callable[[bytes], Any] = Engine.restore,
) -> tuple[Engine, int | None, float | None]:
    """The engine of the newest usable snapshot (or the factory's, to replay from input 1)."""
    for seq in reversed(journal.snapshot_seqs()):
        t, blob = journal.snapshot(seq)
        try:
            return restore(blob), seq, t
        except SnapshotError as exc:
            log.error(
                "journal %s: snapshot %d unusable (%s); trying an older one", journal.path, seq, exc
            )
    if journal.first_input_seq() == 1:
        log.warning(
            "journal %s: no usable snapshot; replaying every input on a new engine", journal.path
        )
        return engine_factory(), None, None
    raise JournalError(f"journal {journal.path}: no usable snapshot and early inputs pruned")


def _replay(
    engine: Engine,
    tail: list[StoredInput],
    strict: bool,
    encode: Callable[[Any], str] = decisions_json,
) -> tuple[list[ReplayedInput], list[_Pending]]:
    """Apply ``tail``; check each result against the recorded one; the results to fill in."""
    replayed: list[ReplayedInput] = []
    fills: list[_Pending] = []
    for item in tail:
        error: str | None = None
        try:
            decisions = _results(_run(engine, item.kind, item.args, item.kwargs))
        except Exception as exc:
            applied = getattr(exc, "decisions", None)
            if applied is None:
                error = _error_text(exc)
                decisions = []
            else:
                decisions = list(applied)
        records = json.loads(encode(decisions))
        problem = None
        if item.status == "refused":
            if error is None or error.split(":", 1)[0] != str(item.result).split(":", 1)[0]:
                problem = f"recorded refusal {item.result!r}, replay {error or 'applied it'}"
        elif item.status == "applied":
            if error is not None:
                problem = f"recorded as applied, replay refused it: {error}"
            elif item.result is not None and records != item.result:
                problem = f"recorded decisions {item.result}, replay {records}"
        if problem is not None:
            message = f"replay diverged at input {item.seq} ({item.kind}): {problem}"
            if strict:
                raise JournalError(message)
            log.error("%s (keeping the replay's result)", message)
        if item.status is None or problem is not None:
            status = "refused" if error is not None else "applied"
            fills.append(_Pending(item.seq, status, error if error else dumps(records)))
        replayed.append(
            ReplayedInput(item.seq, item.t, item.kind, item.args, item.kwargs, decisions, error)
        )
    return replayed, fills
