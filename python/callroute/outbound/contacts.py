"""Contact lists and do-not-call lists from files; campaign results to CSV.

A contact list is a CSV file with a header row. Columns (names case-insensitive):

* ``id`` (required): unique in the file;
* ``number`` or ``numbers`` (required): one or more phone numbers separated by ``;`` or
  ``|`` (spaces, dashes, dots and parentheses inside a number are ignored), or several
  columns ``number1``, ``number2``, ... (or ``phone``, ``phone1``, ...), tried in order;
* ``timezone`` (or ``tz``, ``zone``): the contact's IANA time zone (``America/Chicago``);
  the campaign's default zone when the column is absent or the cell empty;
* ``priority``: an integer (higher is called first; default 0);
* every other column is attached data (shown to the agent).

A row that cannot be read is never dropped silently: :func:`read_contacts` raises a
:class:`ContactListError` listing every bad row as ``file:line: what is wrong``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .._internal.files import read_text
from ..errors import ConfigError, Problem
from ..hours import find_zone

__all__ = [
    "Contact",
    "ContactListError",
    "ContactResult",
    "normalize_number",
    "read_contacts",
    "read_dnc",
    "write_results",
]

MAX_BYTES = 512 * 1024 * 1024
"""Largest contact or DNC file read."""
_SEPARATORS = (";", "|")
_ID = ("id", "contact", "contact_id")
_NUMBERS = ("number", "numbers", "phone", "phones")
_ZONE = ("timezone", "tz", "zone", "time_zone")
_PRIORITY = ("priority",)


class ContactListError(ConfigError):
    """A contact or DNC file with bad rows; ``problems`` name each as ``file:line``.

    ``lines`` maps each bad line number to its problems (the same texts, without the place).
    """

    lines: dict[int, list[str]]

    def __init__(
        self,
        message: str = "",
        *,
        problems: list[str] | list[Problem] | None = None,
        source: str | None = None,
        lines: Mapping[int, list[str]] | None = None,
    ) -> None:
        """``lines``: line number -> problems (filled by the readers)."""
        super().__init__(message, problems=problems, source=source)
        self.lines = dict(lines or {})


@dataclass(frozen=True)
class Contact:
    """One contact of a list: its numbers in the order they are tried."""

    id: str
    numbers: tuple[str, ...]
    zone: str
    priority: int = 0
    data: Mapping[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class ContactResult:
    """What became of one contact (one row of :func:`write_results`)."""

    id: str
    attempts: int
    outcome: str | None
    last_attempt: datetime | None


def normalize_number(text: str) -> str | None:
    """``text`` as a dialable number (``+`` and 2 to 20 digits), or None if it is not one.

    Blanks, dashes, dots and parentheses are dropped: ``"+1 (312) 555-0100"`` ->
    ``"+13125550100"``.
    """
    cleaned = "".join(c for c in text.strip() if c not in " -.()\t")
    digits = cleaned[1:] if cleaned.startswith("+") else cleaned
    if digits.isascii() and digits.isdigit() and 2 <= len(digits) <= 20:
        return cleaned
    return None


class _Bad:
    """Bad rows collected in file order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[int, list[str]] = {}

    def add(self, line: int, message: str) -> None:
        self.lines.setdefault(line, []).append(message)

    def raise_if_any(self, source: str, what: str) -> None:
        if not self.lines:
            return
        problems = []
        texts = []
        for line in sorted(self.lines):
            for msg in self.lines[line]:
                problems.append(Problem(f"{self.name}:{line}", msg))
                texts.append(f"{source}:{line}: {msg}")
        rows = len(self.lines)
        message = "\n".join([f"{source}: {rows} bad {what}{'s' if rows != 1 else ''}", *texts])
        raise ContactListError(message, problems=problems, source=source, lines=self.lines)


def _read_text(path: str | os.PathLike[str]) -> str:
    return read_text(path, error=ContactListError, max_bytes=MAX_BYTES, encoding="utf-8-sig")


def _pick(header: Sequence[str], names: Iterable[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def read_contacts(
    path: str | os.PathLike[str],
    *,
    default_zone: str | None = None,
    text: str | None = None,
) -> list[Contact]:
    """Read a contact list (see the module doc), in file order.

    ``default_zone``: the IANA zone of contacts without one (None: a zone is required).
    ``text``: the file's content already read (``path`` then only names it).

    :raises ContactListError: every bad row (``file:line: problem``), or a bad header.
    """
    source = str(Path(path))
    name = Path(path).name
    content = _read_text(path) if text is None else text
    bad = _Bad(name)
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        raw_header = next(reader)
    except StopIteration:
        raw_header = []
    except csv.Error as exc:
        bad.add(1, f"unreadable CSV: {exc}")
        bad.raise_if_any(source, "row")
        return []
    header = [h.strip().lower() for h in raw_header]
    id_col = _pick(header, _ID)
    single = _pick(header, _NUMBERS)
    numbered = [
        i
        for i, h in enumerate(header)
        if h.rstrip("0123456789") in ("number", "phone") and h[-1:].isdigit()
    ]
    zone_col = _pick(header, _ZONE)
    prio_col = _pick(header, _PRIORITY)
    if id_col is None:
        bad.add(1, "the header has no id column (expected one of: id, contact, contact_id)")
    if single is None and not numbered:
        bad.add(1, "the header has no number column (number, numbers, number1, phone, ...)")
    if zone_col is None and default_zone is None:
        bad.add(1, "the header has no timezone column and the campaign gives no default zone")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        bad.add(1, f"duplicate column(s): {', '.join(dupes)}")
    bad.raise_if_any(source, "row")
    assert id_col is not None
    number_cols = ([single] if single is not None else []) + numbered
    known = {id_col, zone_col, prio_col, *number_cols}
    extra = [(i, raw_header[i].strip()) for i in range(len(header)) if i not in known]
    seen: dict[str, int] = {}
    out: list[Contact] = []
    zones_ok: dict[str, bool] = {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.add(reader.line_num, f"unreadable CSV: {exc}")
            break
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue  # a blank line is not a contact
        if len(row) != len(header):
            bad.add(line, f"has {len(row)} fields, the header {len(header)}")
            continue
        cid = row[id_col].strip()
        if not cid:
            bad.add(line, "id: empty")
        elif cid in seen:
            bad.add(line, f"id: {cid!r} already on line {seen[cid]}")
        else:
            seen[cid] = line
        numbers: list[str] = []
        for col in number_cols:
            cell = row[col]
            for part in _split(cell):
                number = normalize_number(part)
                if number is None:
                    bad.add(line, f"{header[col]}: {part.strip()!r} is not a phone number")
                elif number not in numbers:
                    numbers.append(number)
        if not numbers and not any(row[c].strip() for c in number_cols):
            bad.add(line, "no number")
        zone = row[zone_col].strip() if zone_col is not None else ""
        zone = zone or (default_zone or "")
        if not zone:
            bad.add(line, "timezone: empty")
        else:
            if zone not in zones_ok:
                zones_ok[zone] = find_zone(zone) is not None
            if not zones_ok[zone]:
                bad.add(line, f"timezone: unknown IANA zone {zone!r}")
        priority = 0
        if prio_col is not None and row[prio_col].strip():
            try:
                priority = int(row[prio_col].strip())
            except ValueError:
                bad.add(line, f"priority: must be an integer, got {row[prio_col].strip()!r}")
            else:
                if not -1_000_000 <= priority <= 1_000_000:
                    bad.add(line, f"priority: must be within ±1000000, got {priority}")
        if line in bad.lines:
            continue
        data = {key: row[i] for i, key in extra if key and row[i] != ""}
        out.append(Contact(cid, tuple(numbers), zone, priority, data, line))
    bad.raise_if_any(source, "row")
    return out


def _split(cell: str) -> list[str]:
    parts = [cell]
    for sep in _SEPARATORS:
        parts = [p for part in parts for p in part.split(sep)]
    return [p for p in parts if p.strip()]


def read_dnc(path: str | os.PathLike[str], *, text: str | None = None) -> set[str]:
    """A do-not-call list: one number a line (a CSV's first field); blank lines and
    ``#`` comments skipped; a header line ``number`` is allowed.

    :raises ContactListError: every line that is not a phone number (``file:line``).
    """
    source = str(Path(path))
    content = _read_text(path) if text is None else text
    bad = _Bad(Path(path).name)
    numbers: set[str] = set()
    for i, raw in enumerate(content.splitlines(), start=1):
        cell = raw.split("#", 1)[0].split(",", 1)[0].strip().strip('"')
        if not cell or (i == 1 and cell.lower() in ("number", "phone", "numbers")):
            continue
        number = normalize_number(cell)
        if number is None:
            bad.add(i, f"{cell!r} is not a phone number")
        else:
            numbers.add(number)
    bad.raise_if_any(source, "line")
    return numbers


def write_results(
    path: str | os.PathLike[str] | io.TextIOBase, results: Iterable[ContactResult]
) -> int:
    """Write one CSV row per contact: ``contact_id, attempts, outcome, last_attempt``
    (``outcome`` empty while pending; ``last_attempt`` ISO 8601 with offset, empty if never
    dialled). Returns the rows written."""
    rows = 0

    def write(handle: Any) -> None:
        nonlocal rows
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["contact_id", "attempts", "outcome", "last_attempt"])
        for r in results:
            last = r.last_attempt.isoformat(timespec="seconds") if r.last_attempt else ""
            w.writerow([r.id, r.attempts, r.outcome or "", last])
            rows += 1

    if isinstance(path, io.TextIOBase):
        write(path)
    else:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            write(handle)
    return rows
