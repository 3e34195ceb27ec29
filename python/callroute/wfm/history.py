"""Call history per interval and queue, imported from the formats call centers have.

:class:`History` holds, for each queue, day and interval of the day: calls offered, answered
and abandoned, and the total handle time and wait (seconds; NaN where the source does not
record them). Importers:

- :func:`read_interval_csv`: interval counts (``interval_start,calls`` and optional
  ``queue``, ``answered``, ``abandoned``, ``handle_seconds``, ``wait_seconds``);
- :func:`read_anonymous_bank`: call-by-call records in the Anonymous Bank layout;
- :func:`read_queue_log`: Asterisk ``queue_log`` (``ENTERQUEUE``/``CONNECT``/``ABANDON``...);
- :func:`read_master_csv`: Asterisk ``Master.csv`` CDRs (the ``Queue`` legs);
- :func:`from_call_records`: per-call records as the simulator returns them.

Every bad row is reported with its file and line in one :class:`~callroute.errors.ConfigError`
(``problems`` lists them); nothing is dropped or filled in silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, ParameterError

__all__ = [
    "History",
    "from_call_records",
    "read_anonymous_bank",
    "read_interval_csv",
    "read_master_csv",
    "read_queue_log",
]

FloatArray = npt.NDArray[np.float64]
_MAX_PROBLEMS = 50
_FIELDS = ("offered", "answered", "abandoned", "handle", "wait")


@dataclass(frozen=True)
class History:
    """Counts per queue, day and interval: arrays shaped ``(queues, days, slots)``.

    ``start`` is the first interval's start (seconds after midnight), ``interval`` the
    interval length (seconds); slot ``s`` of a day begins at ``start + s * interval``.
    ``dates`` are the days present in the source, in order; days absent from it (closed
    days, gaps) are absent here too, never filled with zeros. ``handle`` and ``wait`` are
    sums in seconds (NaN where the source does not record them).
    """

    interval: int
    start: int
    dates: tuple[dt.date, ...]
    queues: tuple[str, ...]
    offered: FloatArray
    answered: FloatArray
    abandoned: FloatArray
    handle: FloatArray
    wait: FloatArray
    source: str = ""

    def __post_init__(self) -> None:
        shape = (len(self.queues), len(self.dates), self.slots)
        for name in _FIELDS:
            if getattr(self, name).shape != shape:
                raise ParameterError(f"History.{name}: shape must be {shape}")
        if list(self.dates) != sorted(set(self.dates)):
            raise ParameterError("History.dates must be increasing and distinct")

    @property
    def slots(self) -> int:
        """Intervals per day."""
        return int(self.offered.shape[-1])

    def slot_labels(self) -> list[str]:
        """``HH:MM`` start of each interval."""
        return [_hhmm(self.start + i * self.interval) for i in range(self.slots)]

    def total(self, queue: str | None = None) -> FloatArray:
        """Calls offered per ``(day, slot)``: one queue's, or all queues' summed."""
        if queue is None:
            return np.asarray(self.offered.sum(axis=0), dtype=np.float64)
        return np.asarray(self.offered[self._queue_index(queue)], dtype=np.float64)

    def select(self, queue: str) -> History:
        """The history of one queue."""
        i = self._queue_index(queue)
        arrays = {f: getattr(self, f)[i : i + 1] for f in _FIELDS}
        return replace(self, queues=(queue,), **arrays)

    def days(self, dates: list[dt.date]) -> History:
        """The history restricted to ``dates`` (each must be present)."""
        index = {d: i for i, d in enumerate(self.dates)}
        missing = [d for d in dates if d not in index]
        if missing:
            raise ParameterError(f"dates not in the history: {missing[:5]}")
        rows = [index[d] for d in dates]
        arrays = {f: getattr(self, f)[:, rows] for f in _FIELDS}
        return replace(self, dates=tuple(dates), **arrays)

    def resample(self, interval: int) -> History:
        """Sum into longer intervals (a multiple of the current one), aligned to the clock.

        A window that does not divide the day evenly keeps its partial first or last
        interval (it holds the calls observed in it; nothing is invented).
        """
        if interval % self.interval or interval <= 0:
            raise ParameterError(
                f"interval {interval} s is not a positive multiple of {self.interval} s"
            )
        if interval == self.interval:
            return self
        new_start = self.start - self.start % interval
        offset = (self.start - new_start) // self.interval
        k = interval // self.interval
        slots = -(-(offset + self.slots) // k)
        index = (offset + np.arange(self.slots)) // k
        arrays = []
        for name in _FIELDS:
            old = getattr(self, name)
            new = np.zeros((*old.shape[:2], slots))
            for s in range(slots):
                new[:, :, s] = old[:, :, index == s].sum(axis=2)
            arrays.append(new)
        offered, answered, abandoned, handle, wait = arrays
        return History(
            interval,
            new_start,
            self.dates,
            self.queues,
            offered,
            answered,
            abandoned,
            handle,
            wait,
            self.source,
        )

    def _queue_index(self, queue: str) -> int:
        try:
            return self.queues.index(queue)
        except ValueError:
            raise ParameterError(f"unknown queue {queue!r} (queues: {list(self.queues)})") from None


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class _Problems:
    """Collects ``file:line: what`` problems and raises them together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []
        self.count = 0

    def add(self, line: int | None, message: str) -> None:
        self.count += 1
        if len(self.items) < _MAX_PROBLEMS:
            where = f"{self.path}:{line}" if line is not None else str(self.path)
            self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.count:
            items = list(self.items)
            if self.count > len(items):
                items.append(f"{self.path}: ... and {self.count - len(items)} more problems")
            raise ConfigError(problems=items)


@dataclass
class _Call:
    """One event to count: when, where, and what happened."""

    date: dt.date
    second: float
    queue: str
    offered: float = 1.0
    answered: float = 0.0
    abandoned: float = 0.0
    handle: float = 0.0
    wait: float = 0.0


def _aggregate(
    calls: list[_Call],
    interval: int,
    source: str,
    *,
    timed: bool = True,
    start: int | None = None,
    end: int | None = None,
) -> History:
    """Count records into a grid from ``start`` to ``end`` (default: the span of the data)."""
    if interval <= 0 or 86400 % interval:
        raise ParameterError(f"interval must divide a day (seconds), got {interval}")
    if not calls:
        raise ConfigError(problems=[f"{source}: no calls to count"])
    seconds = np.array([c.second for c in calls])
    lo = int(seconds.min() // interval * interval) if start is None else start
    hi = int(-(-(seconds.max() + 1e-9) // interval) * interval) if end is None else end
    outside = (seconds < lo) | (seconds >= hi)
    if outside.any():
        raise ConfigError(
            problems=[f"{source}: {int(outside.sum())} calls outside the window {lo}-{hi} s"]
        )
    slots = max(1, (hi - lo) // interval)
    dates = sorted({c.date for c in calls})
    queues = sorted({c.queue for c in calls})
    day_i = {d: i for i, d in enumerate(dates)}
    q_i = {q: i for i, q in enumerate(queues)}
    shape = (len(queues), len(dates), slots)
    arrays = {name: np.zeros(shape) for name in _FIELDS}
    qi = np.array([q_i[c.queue] for c in calls])
    di = np.array([day_i[c.date] for c in calls])
    si = ((seconds - lo) // interval).astype(np.int64)
    for name in _FIELDS:
        np.add.at(arrays[name], (qi, di, si), np.array([getattr(c, name) for c in calls]))
    if not timed:
        arrays["handle"][:] = np.nan
        arrays["wait"][:] = np.nan
    return History(interval, lo, tuple(dates), tuple(queues), source=source, **arrays)


def _open(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from handle
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(problems=[f"{path}: not UTF-8 text ({exc.reason})"]) from None


def _number(text: str, what: str, problems: _Problems, line: int) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.add(line, f"{what} must be a number, got {text!r}")
        return None
    if not math.isfinite(value) or value < 0:
        problems.add(line, f"{what} must be a finite number >= 0, got {text!r}")
        return None
    return value


def read_interval_csv(
    path: str | Path,
    *,
    time_column: str = "interval_start",
    calls_column: str = "calls",
    queue_column: str = "queue",
    interval: int | None = None,
) -> History:
    """Interval counts from a CSV: ``interval_start`` (``YYYY-MM-DD HH:MM[:SS]``) and calls.

    Optional columns: ``queue`` (default queue ``"all"``), ``answered``, ``abandoned``,
    ``handle_seconds`` and ``wait_seconds`` (sums per interval; NaN when absent). The
    interval length is the smallest spacing of starts within a day unless given. Within
    each day present, every interval between the day's grid bounds must have a row: a
    missing one is an error, not a zero.
    """
    path = Path(path)
    problems = _Problems(path)
    lines = _open(path)
    reader = csv.DictReader(lines)
    fields = [f.strip() for f in (reader.fieldnames or [])]
    for column in (time_column, calls_column):
        if column not in fields:
            raise ConfigError(problems=[f"{path}:1: no {column!r} column (columns: {fields})"])
    optional = {
        "answered": "answered",
        "abandoned": "abandoned",
        "handle": "handle_seconds",
        "wait": "wait_seconds",
    }
    rows: list[tuple[int, dt.datetime, str, dict[str, float]]] = []
    for raw in reader:
        line = reader.line_num
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.add(line, f"more fields than the {len(fields)} columns")
            continue
        try:
            when = dt.datetime.fromisoformat(row[time_column])
        except ValueError:
            problems.add(line, f"{time_column} must be YYYY-MM-DD HH:MM, got {row[time_column]!r}")
            continue
        values: dict[str, float] = {}
        ok = True
        for name, column in [("offered", calls_column), *optional.items()]:
            if column in row:
                value = _number(row[column], column, problems, line)
                ok = ok and value is not None
                values[name] = value if value is not None else 0.0
        if ok:
            rows.append((line, when, row.get(queue_column) or "all", values))
    problems.raise_if_any()
    if not rows:
        raise ConfigError(problems=[f"{path}: no rows"])
    seconds = [w.hour * 3600 + w.minute * 60 + w.second for _, w, _, _ in rows]
    if interval is None:
        stamps = sorted({(w.date(), s) for (_, w, _, _), s in zip(rows, seconds, strict=True)})
        gaps = [b[1] - a[1] for a, b in itertools.pairwise(stamps) if a[0] == b[0]]
        interval = min(gaps) if gaps else 86400
    if interval <= 0 or 86400 % interval:
        raise ConfigError(problems=[f"{path}: interval {interval} s does not divide a day"])
    seen: dict[tuple[str, dt.date, int], int] = {}
    for (line, when, queue, _), sec in zip(rows, seconds, strict=True):
        if sec % interval:
            problems.add(line, f"{when} is not on the {interval} s grid")
        key = (queue, when.date(), sec)
        if key in seen:
            problems.add(line, f"interval {when} of queue {queue!r} repeats line {seen[key]}")
        seen[key] = line
    problems.raise_if_any()
    lo, hi = min(seconds), max(seconds) + interval
    slots = (hi - lo) // interval
    by_day: dict[tuple[str, dt.date], int] = {}
    for queue, date, _ in seen:
        by_day[(queue, date)] = by_day.get((queue, date), 0) + 1
    for (queue, date), n in sorted(by_day.items()):
        if n != slots:
            problems.add(
                None,
                f"queue {queue!r} on {date}: {slots - n} of {slots} intervals "
                f"({_hhmm(lo)}-{_hhmm(hi)}) have no row (give them as 0 if no calls came)",
            )
    problems.raise_if_any()
    calls = [
        _Call(w.date(), float(s), q, **v) for (_, w, q, v), s in zip(rows, seconds, strict=True)
    ]
    history = _aggregate(calls, interval, str(path), start=lo, end=hi)
    for name in ("answered", "abandoned", "handle", "wait"):
        if optional[name] not in fields:
            getattr(history, name)[:] = np.nan
    return history


def _clock(text: str) -> float | None:
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in parts)
    if m > 59 or s > 59:
        return None
    return float(h * 3600 + m * 60 + s)


def read_anonymous_bank(path: str | Path, *, interval: int = 1800) -> History:
    """Call-by-call records in the Anonymous Bank layout (tab-separated, with a header).

    Each row is one call arriving (``vru_entry`` on ``date``) in the queue named by its
    ``type``. Offered: every call; answered: outcome ``AGENT``; abandoned: outcome ``HANG``
    after joining the queue (``q_start`` set; hang-ups inside the IVR are offered but
    neither answered nor abandoned). Handle: ``ser_time`` of answered calls; wait:
    ``q_time`` of answered and abandoned calls.
    """
    path = Path(path)
    problems = _Problems(path)
    header: list[str] = []
    calls: list[_Call] = []
    need = ("type", "date", "vru_entry", "q_start", "q_time", "outcome", "ser_time")
    for line_no, text in enumerate(_open(path), start=1):
        fields = text.rstrip("\r\n").split("\t")
        if line_no == 1:
            header = [f.strip() for f in fields]
            missing = [n for n in need if n not in header]
            if missing:
                raise ConfigError(problems=[f"{path}:1: missing columns {missing}"])
            continue
        if not text.strip():
            problems.add(line_no, "empty line")
            continue
        if len(fields) != len(header):
            problems.add(line_no, f"{len(fields)} fields, the header has {len(header)}")
            continue
        row = dict(zip(header, (f.strip() for f in fields), strict=True))
        try:
            date = dt.datetime.strptime(row["date"], "%y%m%d").date()
        except ValueError:
            problems.add(line_no, f"date must be yymmdd, got {row['date']!r}")
            continue
        arrival = _clock(row["vru_entry"])
        if arrival is None or arrival >= 86400:
            problems.add(line_no, f"vru_entry must be h:mm:ss, got {row['vru_entry']!r}")
            continue
        outcome = row["outcome"]
        if outcome not in ("AGENT", "HANG", "PHANTOM"):
            problems.add(line_no, f"outcome must be AGENT, HANG or PHANTOM, got {outcome!r}")
            continue
        q_time = _number(row["q_time"], "q_time", problems, line_no)
        ser_time = _number(row["ser_time"], "ser_time", problems, line_no)
        queued = _clock(row["q_start"])
        if queued is None:
            problems.add(line_no, f"q_start must be h:mm:ss, got {row['q_start']!r}")
            continue
        if q_time is None or ser_time is None:
            continue
        answered = outcome == "AGENT"
        abandoned = outcome == "HANG" and queued > 0
        calls.append(
            _Call(
                date,
                arrival,
                row["type"] or "?",
                answered=float(answered),
                abandoned=float(abandoned),
                handle=ser_time if answered else 0.0,
                wait=q_time if answered or abandoned else 0.0,
            )
        )
    problems.raise_if_any()
    return _aggregate(calls, interval, str(path))


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"unknown time zone {tz!r}") from None


def read_queue_log(path: str | Path, *, interval: int = 1800, tz: str = "UTC") -> History:
    """Asterisk ``queue_log`` (``epoch|callid|queue|agent|EVENT|data...``).

    Offered: ``ENTERQUEUE`` (counted at its time, in zone ``tz``); answered: ``CONNECT``
    (wait = its holdtime), with handle = ``COMPLETEAGENT``/``COMPLETECALLER`` talk time;
    abandoned: ``ABANDON`` (wait = its waittime). ``EXITWITHTIMEOUT``, ``EXITEMPTY`` and
    ``EXITWITHKEY`` leave a call offered but neither answered nor abandoned. Calls are
    counted in the interval they entered the queue. Member and queue events are skipped;
    they are not calls.
    """
    path = Path(path)
    zone = _zone(tz)
    problems = _Problems(path)
    entered: dict[tuple[str, str], _Call] = {}
    order: list[_Call] = []
    for line_no, text in enumerate(_open(path), start=1):
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        parts = text.split("|")
        if len(parts) < 5 or not parts[0].isdigit():
            problems.add(line_no, "expected epoch|callid|queue|agent|EVENT|data...")
            continue
        epoch, callid, queue, _agent, event, *data = parts
        key = (callid, queue)
        if event == "ENTERQUEUE":
            when = dt.datetime.fromtimestamp(int(epoch), zone)
            call = _Call(
                when.date(), float(when.hour * 3600 + when.minute * 60 + when.second), queue
            )
            entered[key] = call
            order.append(call)
            continue
        if event not in (
            "CONNECT",
            "ABANDON",
            "COMPLETEAGENT",
            "COMPLETECALLER",
            "EXITWITHTIMEOUT",
            "EXITEMPTY",
            "EXITWITHKEY",
        ):
            continue
        known = entered.get(key)
        if known is None:
            problems.add(line_no, f"{event} of call {callid!r} in {queue!r} without ENTERQUEUE")
            continue
        index = {"CONNECT": 0, "ABANDON": 2, "COMPLETEAGENT": 1, "COMPLETECALLER": 1}.get(event)
        value = 0.0
        if index is not None:
            if len(data) <= index:
                problems.add(line_no, f"{event} lacks its data field {index + 1}")
                continue
            parsed = _number(data[index], f"{event} data field {index + 1}", problems, line_no)
            if parsed is None:
                continue
            value = parsed
        if event == "CONNECT":
            known.answered, known.wait = 1.0, value
        elif event == "ABANDON":
            known.abandoned, known.wait = 1.0, value
        elif event in ("COMPLETEAGENT", "COMPLETECALLER"):
            known.handle = value
    problems.raise_if_any()
    return _aggregate(order, interval, str(path))


def read_master_csv(
    path: str | Path, *, interval: int = 1800, userfield_prefix: str | None = None
) -> History:
    """Asterisk ``cdr_csv`` records (``Master.csv``, the 21 columns of ``newcdrcolumns``).

    A call is the set of CDRs sharing a ``linkedid`` with at least one leg whose ``lastapp``
    is ``Queue`` (the queue is the first field of ``lastdata``). It is offered at its first
    queue leg's ``start``; answered when a queue leg was ``ANSWERED`` with an agent channel
    (``dstchannel``); otherwise abandoned. CDRs do not separate wait from talk time, so
    handle time and wait are NaN (use ``queue_log`` for them). Times are taken as written
    (Asterisk writes them in the server's zone; UTC in the recorded fixtures).

    A call that leaves the queue by its timeout and goes on in the dialplan ends with
    another ``lastapp``: no ``Queue`` leg shows it. If the dialplan marks queue legs in
    ``userfield`` (e.g. ``Set(CDR(userfield)=callroute-sales)``), pass
    ``userfield_prefix="callroute-"``: legs so marked count too, their queue the rest of the
    userfield. CDRs cannot tell a timeout from an abandon; both count as abandoned.
    """
    path = Path(path)
    problems = _Problems(path)
    calls: dict[str, _Call] = {}
    reader = csv.reader(_open(path))
    for row in reader:
        line = reader.line_num
        if not row or row == [""]:
            continue
        if len(row) != 21:
            problems.add(line, f"{len(row)} columns, a Master.csv CDR has 21")
            continue
        lastapp, lastdata, start, userfield = row[7], row[8], row[9], row[17]
        if lastapp == "Queue":
            queue = lastdata.split(",")[0]
        elif userfield_prefix and userfield.startswith(userfield_prefix):
            queue = userfield[len(userfield_prefix) :]
        else:
            continue
        try:
            when = dt.datetime.strptime(start, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            problems.add(line, f"start must be YYYY-MM-DD HH:MM:SS, got {start!r}")
            continue
        linkedid = row[19]
        if not queue or not linkedid:
            problems.add(line, "a Queue CDR without a queue name or linkedid")
            continue
        answered = row[14] == "ANSWERED" and bool(row[6])
        second = float(when.hour * 3600 + when.minute * 60 + when.second)
        call = calls.get(linkedid)
        if call is None:
            calls[linkedid] = _Call(when.date(), second, queue, answered=float(answered))
        elif answered:
            call.answered = 1.0
    problems.raise_if_any()
    for call in calls.values():
        call.abandoned = 1.0 - call.answered
    return _aggregate(list(calls.values()), interval, str(path), timed=False)


def from_call_records(
    calls: Mapping[str, npt.ArrayLike],
    *,
    start: dt.datetime,
    interval: int = 1800,
    lines: Sequence[str] | None = None,
    source: str = "<call records>",
) -> History:
    """Per-call records in the simulator's layout (``SimulationResult.calls``).

    Columns: ``arrival`` (seconds after ``start``), ``line`` (index into ``lines``; the
    label is the index itself when ``lines`` is not given), ``wait``, ``outcome`` (0
    answered, 1 abandoned, 2 exited, 3 unfinished: the last two offered only) and
    ``handle`` (seconds, of answered calls). Bad records are reported as ``calls[i]``.
    """
    need = ("arrival", "line", "wait", "outcome", "handle")
    missing = [k for k in need if k not in calls]
    if missing:
        raise ConfigError(problems=[f"{source}: missing columns {missing}"])
    cols = {k: np.asarray(calls[k], dtype=np.float64).ravel() for k in need}
    n = cols["arrival"].size
    if any(c.size != n for c in cols.values()):
        raise ConfigError(problems=[f"{source}: columns of different lengths"])
    problems: list[str] = []
    names = list(lines) if lines is not None else None
    records: list[_Call] = []
    for i in range(n):
        arrival, line, wait, outcome, handle = (float(cols[k][i]) for k in need)
        values = (arrival, wait, handle)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            problems.append(f"{source}: calls[{i}]: arrival, wait and handle must be >= 0")
            continue
        if outcome not in (0.0, 1.0, 2.0, 3.0):
            problems.append(f"{source}: calls[{i}]: outcome must be 0-3, got {outcome}")
            continue
        if not line.is_integer() or line < 0 or (names is not None and line >= len(names)):
            problems.append(f"{source}: calls[{i}]: no line {line}")
            continue
        when = start + dt.timedelta(seconds=arrival)
        second = when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
        answered = outcome == 0.0
        abandoned = outcome == 1.0
        records.append(
            _Call(
                when.date(),
                second,
                names[int(line)] if names is not None else str(int(line)),
                answered=float(answered),
                abandoned=float(abandoned),
                handle=handle if answered else 0.0,
                wait=wait if answered or abandoned else 0.0,
            )
        )
        if len(problems) > _MAX_PROBLEMS:
            break
    if problems:
        raise ConfigError(problems=problems[:_MAX_PROBLEMS])
    return _aggregate(records, interval, source)
