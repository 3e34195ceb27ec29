"""How engine inputs, decisions and runtime facts become journal records, secrets scrubbed.

Everything the journal writes is JSON built by this module:

* :func:`plain` copies an engine input's arguments into plain JSON values (``str``, ``int``,
  ``float``, ``bool``, ``None``, lists, str-keyed dicts). The live engine is called with that
  very copy, so a replay from the journal sees exactly the values the live run saw (no tuple
  turned list, no ``numpy`` scalar turned float behind the engine's back). Anything else is a
  :class:`~callroute.errors.ParameterError` naming where it is: such an input is refused before
  the journal and before the engine.
* :func:`scrub` does the same for free-form payloads (runtime notes, outcome details, a call's
  attached data) and replaces every value under a secret key (:func:`is_secret_key`: ``pin``,
  ``password``, ``secret``, ``token``, ... as a whole key or as one word of it, e.g.
  ``account_pin`` or ``verifierSecret``) and every object flagged ``secret=True`` (the IVR's
  ``Digits(..., secret=True)``) by :data:`REDACTED`. So a PIN never reaches the database file,
  its write-ahead log, a snapshot of the engine (which holds the call's data) or a log line.
* :func:`decision_record` / :func:`decision_from_record` turn engine decisions into compact
  JSON lists (``["Offer", call, agent, queue, expires, callback, auto_answer]``) and back.
* :class:`Journal` is the SQLite file itself (tables ``meta``, ``inputs``, ``snapshots``,
  ``outcomes``, ``notes``); :mod:`callroute.runtime.journal` explains how it is used.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import numbers
import operator
import os
import re
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..engine import (
    AgentStateChanged,
    Decision,
    Exit,
    Offer,
    Overflow,
    Queued,
    Revoked,
    StepReached,
)
from ..errors import CallrouteError, ParameterError

__all__ = [
    "DEFAULT_SECRET_KEYS",
    "REDACTED",
    "Journal",
    "JournalError",
    "Note",
    "Outcome",
    "StoredInput",
    "decision_from_record",
    "decision_record",
    "decisions_json",
    "dumps",
    "is_secret_key",
    "plain",
    "scrub",
]

REDACTED = "***"
"""What a secret value is replaced with."""

DEFAULT_SECRET_KEYS: frozenset[str] = frozenset(
    {
        "pin",
        "pins",
        "passcode",
        "password",
        "passwd",
        "secret",
        "secrets",
        "token",
        "otp",
        "tan",
        "cvv",
        "cvc",
        "credential",
        "credentials",
        "api_key",
        "apikey",
        "verifier_secret",
    }
)
"""Keys (lower case; a whole key or one word of it) whose values are never written."""

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORDS = re.compile(r"[^0-9a-z]+")
_MAX_DEPTH = 32


def is_secret_key(key: str, secret_keys: Collection[str] = DEFAULT_SECRET_KEYS) -> bool:
    """True when ``key`` or one of its words (split at ``_``, ``-``, ``.``, camelCase) is secret.

    ``secret_keys`` must be lower case. ``"pin"``, ``"PIN"``, ``"account_pin"``,
    ``"accountPin"`` and ``"caller.pin"`` are secret by default; ``"shipping"`` is not.
    """
    return _is_secret(key, frozenset(secret_keys))


@functools.lru_cache(maxsize=4096)
def _is_secret(key: str, secret_keys: frozenset[str]) -> bool:
    low = _CAMEL.sub(r"\1_\2", key).lower()
    if low in secret_keys:
        return True
    return any(word in secret_keys for word in _WORDS.split(low) if word)


class _UnjournalableError(Exception):
    """Raised inside :func:`_copy`; ``path`` is built on the way out (innermost last)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


_EXACT = frozenset({str, int, float, bool, type(None)})


def _copy(value: Any, secret_keys: frozenset[str] | None, depth: int) -> Any:
    cls = type(value)
    if cls in _EXACT:
        return value
    if secret_keys is not None and getattr(value, "secret", False) is True:
        return REDACTED
    if depth > _MAX_DEPTH:
        raise _UnjournalableError(f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise _UnjournalableError(
                        f"keys must be str to be journaled, got {type(key).__name__}"
                    )
                key = str(key)
            if secret_keys is not None and _is_secret(key, secret_keys):
                out[key] = REDACTED
                continue
            try:
                out[key] = _copy(item, secret_keys, depth + 1)
            except _UnjournalableError as exc:
                exc.path.append(f"[{key!r}]")
                raise
        return out
    if isinstance(value, (list, tuple)):
        items = []
        for i, item in enumerate(value):
            try:
                items.append(_copy(item, secret_keys, depth + 1))
            except _UnjournalableError as exc:
                exc.path.append(f"[{i}]")
                raise
        return items
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise _UnjournalableError(
        f"{type(value).__name__!r} values cannot be journaled "
        "(str, int, float, bool, None, lists and str-keyed mappings can)"
    )


def _checked(value: Any, where: str, secret_keys: frozenset[str] | None) -> Any:
    try:
        return _copy(value, secret_keys, 0)
    except _UnjournalableError as exc:
        path = "".join(reversed(exc.path))
        raise ParameterError(f"{where}{path}: {exc.message}") from None


def plain(value: Any, where: str) -> Any:
    """A copy of ``value`` made of plain JSON values; ParameterError naming ``where`` if not."""
    return _checked(value, where, None)


def scrub(
    value: Any, where: str = "payload", secret_keys: Collection[str] = DEFAULT_SECRET_KEYS
) -> Any:
    """Like :func:`plain`, with every secret (by key, or flagged ``secret``) :data:`REDACTED`."""
    keys = secret_keys if isinstance(secret_keys, frozenset) else frozenset(secret_keys)
    return _checked(value, where, keys)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def dumps(value: Any) -> str:
    """Compact JSON of a plain value (NaN and infinities as JSON extensions, as Python reads)."""
    return _ENCODER.encode(value)


_KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Offer, Queued, Revoked, Overflow, Exit, StepReached, AgentStateChanged)
}


_FIELDS = {cls: operator.attrgetter(*cls.__match_args__) for cls in _KINDS.values()}


def decision_record(decision: Decision) -> list[Any]:
    """``[type name, *fields]`` of a decision, in the order of its ``__match_args__``."""
    cls = type(decision)
    return [cls.__name__, *_FIELDS[cls](decision)]


def decisions_json(decisions: Iterable[Decision]) -> str:
    """The JSON text of a list of decisions (what the journal stores per input)."""
    return _ENCODER.encode([decision_record(d) for d in decisions])


def decision_from_record(record: Any) -> Decision:
    """The decision a :func:`decision_record` list describes; ParameterError if none."""
    if not isinstance(record, list) or not record or record[0] not in _KINDS:
        raise ParameterError(f"not a decision record: {record!r:.200}")
    cls = _KINDS[record[0]]
    fields = record[1:]
    if len(fields) != len(cls.__match_args__):
        raise ParameterError(f"decision record {record[0]} has {len(fields)} fields")
    decision: Decision = cls(*fields)
    return decision


# ---------------------------------------------------------------------- the SQLite file

log = logging.getLogger("callroute.runtime.journal")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY,
    t REAL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT,
    result TEXT
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    t REAL,
    created REAL NOT NULL,
    blob BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    call TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    t REAL,
    detail TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT,
    payload TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS notes_kind_key ON notes (kind, key) WHERE key IS NOT NULL;
CREATE VIEW IF NOT EXISTS append_input (seq, t, kind, payload, prev_seq, prev_status, prev_result)
    AS SELECT seq, t, kind, payload, NULL, status, result FROM inputs;
CREATE TRIGGER IF NOT EXISTS append_input_insert INSTEAD OF INSERT ON append_input BEGIN
    UPDATE inputs SET status = NEW.prev_status, result = NEW.prev_result
        WHERE seq = NEW.prev_seq;
    INSERT INTO inputs (seq, t, kind, payload) VALUES (NEW.seq, NEW.t, NEW.kind, NEW.payload);
END;
"""

# One statement (one implicit transaction, one commit) per input: the previous input's result
# and the new input, through the trigger above.
_APPEND = (
    "INSERT INTO append_input (seq, t, kind, payload, prev_seq, prev_status, prev_result) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class JournalError(CallrouteError):
    """A journal that cannot be opened, is in use, or whose replay diverged (message says)."""


@dataclass(frozen=True)
class Note:
    """A runtime fact: ``kind`` (e.g. ``"channel"``), optional ``key``, scrubbed ``payload``."""

    kind: str
    key: str | None
    payload: Any
    id: int


@dataclass(frozen=True)
class Outcome:
    """A call's one recorded outcome; ``detail`` is scrubbed JSON data."""

    call: str
    outcome: str
    t: float | None
    detail: Any


@dataclass(frozen=True)
class StoredInput:
    """One journaled engine input and what is known of its result.

    ``status`` is ``"applied"``, ``"refused"`` or ``None`` (not recorded: the process died
    before the next input); ``result`` is the decision records (applied, when known) or the
    error text ``"TypeName: message"`` (refused).
    """

    seq: int
    t: float | None
    kind: str
    args: list[Any]
    kwargs: dict[str, Any]
    status: str | None
    result: Any


@dataclass
class _Pending:
    seq: int
    status: str | None
    result: str | None

    def row(self) -> tuple[int, str | None, str | None]:
        return self.seq, self.status, self.result


Synchronous = Literal["NORMAL", "FULL", "EXTRA"]


class Journal:
    """The journal file: inputs, snapshots, outcomes and notes (see the module docstring).

    ``synchronous``: SQLite's setting under WAL (``"NORMAL"``: survives a killed process;
    ``"FULL"``: also power loss). ``prune``: delete inputs older than the oldest snapshot kept
    (``keep_snapshots`` newest snapshots are kept; with ``prune=False`` every input and the
    first snapshot stay, so the whole run can be replayed). ``secret_keys``: more keys whose
    values are scrubbed, on top of :data:`~callroute.runtime.recorder.DEFAULT_SECRET_KEYS`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "NORMAL",
        prune: bool = True,
        keep_snapshots: int = 2,
        secret_keys: Collection[str] = (),
    ) -> None:
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise JournalError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        if keep_snapshots < 1:
            raise JournalError(f"keep_snapshots must be >= 1, got {keep_snapshots}")
        self.path = os.fspath(path)
        self.prune = prune
        self.keep_snapshots = keep_snapshots
        self.secret_keys = frozenset(DEFAULT_SECRET_KEYS | {k.lower() for k in secret_keys})
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=0.5
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            # small pages: each commit appends whole pages to the WAL, and an input is ~0.5 KB
            # (measured: about a third less time per commit than with 4 KB pages)
            self._db.execute("PRAGMA page_size=1024")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"journal {self.path}: SQLite refused WAL mode ({mode})")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc):
                raise JournalError(
                    f"journal {self.path} is in use by another process (it is opened exclusively)"
                ) from exc
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"{self.path} is not a callroute journal: {exc}") from exc
        except BaseException:
            self._db.close()
            raise
        row = self._db.execute("SELECT max(seq) FROM inputs").fetchone()
        snap = self._db.execute("SELECT max(seq) FROM snapshots").fetchone()
        self._last_seq: int = max(row[0] or 0, snap[0] or 0)
        self._closed = False

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?), ('created', ?)",
                (str(SCHEMA_VERSION), repr(time.time())),
            )
        elif row[0] != str(SCHEMA_VERSION):
            raise JournalError(
                f"journal {self.path} has schema version {row[0]} (this build reads "
                f"{SCHEMA_VERSION})"
            )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the file (idempotent). Committed data is already durable."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def last_seq(self) -> int:
        """The sequence number of the last journaled input (0 when none)."""
        return self._last_seq

    def is_empty(self) -> bool:
        """True when the journal holds no run yet (no input, no snapshot)."""
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM snapshots LIMIT 1").fetchone() is None
                and self._db.execute("SELECT 1 FROM inputs LIMIT 1").fetchone() is None
            )

    # ------------------------------------------------------------------ inputs and snapshots

    def _write(
        self,
        pending: _Pending | None,
        snapshot: tuple[int, float | None, bytes] | None,
        new_input: tuple[int, float | None, str, str] | None,
    ) -> None:
        """One transaction: the previous input's result, a snapshot, the next input."""
        prev = (None, None, None) if pending is None else pending.row()
        with self._lock:
            db = self._db
            if snapshot is None and new_input is not None:
                db.execute(_APPEND, (*new_input, *prev))
                self._last_seq = new_input[0]
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                if pending is not None:
                    db.execute(
                        "UPDATE inputs SET status = ?, result = ? WHERE seq = ?",
                        (pending.status, pending.result, pending.seq),
                    )
                if snapshot is not None:
                    self._insert_snapshot(*snapshot)
                if new_input is not None:
                    db.execute(_APPEND, (*new_input, None, None, None))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if new_input is not None:
                self._last_seq = new_input[0]

    def _insert_snapshot(self, seq: int, t: float | None, blob: bytes) -> None:
        db = self._db
        db.execute(
            "INSERT OR REPLACE INTO snapshots (seq, t, created, blob) VALUES (?, ?, ?, ?)",
            (seq, _real(t), time.time(), blob),
        )
        kept = [
            r[0]
            for r in db.execute(
                "SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?", (self.keep_snapshots,)
            )
        ]
        oldest = kept[-1]
        if self.prune:
            db.execute("DELETE FROM snapshots WHERE seq < ?", (oldest,))
            db.execute("DELETE FROM inputs WHERE seq <= ?", (oldest,))
        else:  # keep the first snapshot: the whole run stays replayable
            first = db.execute("SELECT min(seq) FROM snapshots").fetchone()[0]
            db.execute("DELETE FROM snapshots WHERE seq < ? AND seq != ?", (oldest, first))

    def _fill(self, results: Iterable[_Pending]) -> None:
        """Write the results of replayed inputs (one transaction)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "UPDATE inputs SET status = ?, result = ? WHERE seq = ?",
                    [(p.status, p.result, p.seq) for p in results],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def snapshot_seqs(self) -> list[int]:
        """Sequence numbers of the stored snapshots, oldest first."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT seq FROM snapshots ORDER BY seq")]

    def snapshot(self, seq: int) -> tuple[float | None, bytes]:
        """``(t, blob)`` of the snapshot taken after input ``seq``; JournalError if none."""
        with self._lock:
            row = self._db.execute("SELECT t, blob FROM snapshots WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise JournalError(f"journal {self.path} has no snapshot at seq {seq}")
        return row[0], bytes(row[1])

    def first_input_seq(self) -> int | None:
        """The sequence number of the oldest input kept (None when none is)."""
        with self._lock:
            row = self._db.execute("SELECT min(seq) FROM inputs").fetchone()
        return None if row[0] is None else int(row[0])

    def inputs(self, after: int = 0) -> list[StoredInput]:
        """The journaled inputs with ``seq > after``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, t, kind, payload, status, result FROM inputs WHERE seq > ? "
                "ORDER BY seq",
                (after,),
            ).fetchall()
        out = []
        for seq, t, kind, payload, status, result in rows:
            args, kwargs = json.loads(payload)
            decoded = json.loads(result) if status == "applied" and result else result
            out.append(StoredInput(seq, t, kind, args, kwargs, status, decoded))
        return out

    def decision_log(self) -> list[tuple[int, list[Decision]]]:
        """``(seq, decisions)`` of every stored input whose result is recorded as applied."""
        return [
            (i.seq, [decision_from_record(r) for r in i.result])
            for i in self.inputs()
            if i.status == "applied" and i.result is not None
        ]

    # ------------------------------------------------------------------ outcomes

    def record_outcome(
        self, call: str, outcome: str, t: float | None, detail: Mapping[str, Any] | None = None
    ) -> bool:
        """Record ``call``'s outcome once: True if written, False if it already had one.

        The first outcome stays (a second one, even a different one, is not written; a
        different one is logged as a warning). ``detail`` (e.g. the recording's name and
        duration) is scrubbed of secrets.
        """
        payload = dumps(scrub(detail or {}, "detail", self.secret_keys))
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO outcomes (call, outcome, t, detail, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(call), str(outcome), _real(t), payload, time.time()),
            )
            if cur.rowcount == 1:
                return True
            row = self._db.execute(
                "SELECT outcome FROM outcomes WHERE call = ?", (str(call),)
            ).fetchone()
        if row is not None and row[0] != outcome:
            log.warning(
                "call %s already has outcome %r; %r not recorded", call, row[0], str(outcome)
            )
        return False

    def outcome(self, call: str) -> Outcome | None:
        """The recorded outcome of ``call``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT call, outcome, t, detail FROM outcomes WHERE call = ?", (call,)
            ).fetchone()
        return None if row is None else Outcome(row[0], row[1], row[2], json.loads(row[3]))

    def outcomes(self) -> dict[str, Outcome]:
        """Every recorded outcome, by call."""
        with self._lock:
            rows = self._db.execute("SELECT call, outcome, t, detail FROM outcomes").fetchall()
        return {r[0]: Outcome(r[0], r[1], r[2], json.loads(r[3])) for r in rows}

    # ------------------------------------------------------------------ notes

    def note(self, kind: str, payload: Any, *, key: str | None = None) -> None:
        """Keep a runtime fact (scrubbed). With ``key``, replace the note of (kind, key)."""
        text = dumps(scrub(payload, f"note {kind}", self.secret_keys))
        with self._lock:
            if key is None:
                self._db.execute(
                    "INSERT INTO notes (kind, key, payload, created) VALUES (?, NULL, ?, ?)",
                    (str(kind), text, time.time()),
                )
            else:
                self._db.execute(
                    "INSERT INTO notes (kind, key, payload, created) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (kind, key) WHERE key IS NOT NULL DO UPDATE SET "
                    "payload = excluded.payload, created = excluded.created",
                    (str(kind), str(key), text, time.time()),
                )

    def forget(self, kind: str, key: str) -> bool:
        """Delete the note (kind, key); True if there was one."""
        with self._lock:
            cur = self._db.execute("DELETE FROM notes WHERE kind = ? AND key = ?", (kind, key))
        return cur.rowcount > 0

    def notes(self, kind: str | None = None) -> list[Note]:
        """The notes (of one ``kind``, or all), oldest first."""
        query = "SELECT kind, key, payload, id FROM notes"
        params: tuple[str, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            params = (kind,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [Note(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]


def _real(t: Any) -> float | None:
    """``t`` as a finite float for the ``t`` column, else None."""
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        return None
    f = float(t)
    return f if math.isfinite(f) else None
