#!/usr/bin/env python3
"""Build the bundled example forecast ``python/callroute/data/bank_weekday.csv``.

Source: the "Anonymous Bank" call-by-call records of February 1999 (Technion SEE lab,
Mandelbaum & Guedj; the month distributed with the public repository ``mtpa/mtpa``,
``MTPA_Chapter_6/data_anonymous_bank_february.txt``). The raw file is not shipped with
callroute; only this small derived profile is. Research and teaching use; keep the attribution.

Usage::

    python3 tools/make_bank_forecast.py /path/to/february-1999.tsv [-o OUT.csv]

Standard library only. The output is an average Sunday-Thursday weekday profile of calls per
30-minute interval from 07:00 to 24:00 (34 intervals), written as CSV with the header
``interval_start,calls`` and calls rounded to one decimal.

Choices (keep them in sync with the docs that cite the file):

* Which calls count: calls that sought an agent, taken as ``outcome`` AGENT (served) or HANG
  (abandoned) *that reached the agent queue or an agent* (``q_start`` or ``ser_start`` set).
  PHANTOM rows (calls of unknown fate, 278 in the month) are left out. The extra condition
  drops 1,941 HANG rows that hung up inside the VRU and never joined the queue (plus 21 AGENT
  rows with neither queue nor service time): they are not agent demand, and they include two
  one-day bursts of VRU hang-ups (1999-02-03 13:00-13:30: 323; 1999-02-21 17:00-19:30: ~290)
  that would otherwise put a spurious 13:00 peak into the average. ``--include-vru-hangups``
  counts every AGENT or HANG row instead (about 5 % more calls on weekdays, and that 13:00 spike).
  The source README's "sought an agent" figure (31,382) is the same rule with PHANTOM kept.
* Interval: by ``vru_entry`` (the arrival time at the center), floored to 30 minutes.
  Calls entering before 07:00 (after midnight) are outside the opening hours and dropped.
* Days: Sunday to Thursday (the Israeli working week; Friday and Saturday are short days).
  The average divides by the number of such dates present in the file (20 in February 1999),
  so an interval with no calls on some day counts as zero for that day.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

OPEN_MINUTE = 7 * 60  # 07:00
CLOSE_MINUTE = 24 * 60  # 24:00 (exclusive)
INTERVAL_MINUTES = 30
# date.weekday(): Monday 0 ... Sunday 6. Sunday-Thursday:
WEEKDAYS = frozenset({6, 0, 1, 2, 3})
NO_TIME = "0:00:00"

DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "python" / "callroute" / "data" / "bank_weekday.csv"
)


def parse_date(yymmdd: str) -> dt.date:
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    return dt.date(1900 + yy if yy >= 50 else 2000 + yy, mm, dd)


def minute_of_day(hms: str) -> int:
    h, m, _s = (int(x) for x in hms.split(":"))
    return h * 60 + m


def sought_agent(row: dict[str, str], include_vru_hangups: bool = False) -> bool:
    if row["outcome"] not in ("AGENT", "HANG"):
        return False
    if include_vru_hangups:
        return True
    return row["q_start"] != NO_TIME or row["ser_start"] != NO_TIME


def build_profile(
    tsv: Path, include_vru_hangups: bool = False
) -> tuple[list[str], list[float], int]:
    """Return (interval labels, mean calls per interval, number of weekdays averaged)."""
    n_intervals = (CLOSE_MINUTE - OPEN_MINUTE) // INTERVAL_MINUTES
    counts: Counter[int] = Counter()
    weekday_dates: set[dt.date] = set()
    with tsv.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            day = parse_date(row["date"])
            if day.weekday() not in WEEKDAYS:
                continue
            weekday_dates.add(day)  # any record (even PHANTOM) marks the day as open
            if not sought_agent(row, include_vru_hangups):
                continue
            minute = minute_of_day(row["vru_entry"])
            if not OPEN_MINUTE <= minute < CLOSE_MINUTE:
                continue
            counts[(minute - OPEN_MINUTE) // INTERVAL_MINUTES] += 1
    if not weekday_dates:
        raise SystemExit(f"{tsv}: no Sunday-Thursday records found")
    n_days = len(weekday_dates)
    labels = []
    means = []
    for i in range(n_intervals):
        start = OPEN_MINUTE + i * INTERVAL_MINUTES
        labels.append(f"{start // 60:02d}:{start % 60:02d}")
        means.append(counts[i] / n_days)
    return labels, means, n_days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsv", type=Path, help="february-1999.tsv (Anonymous Bank call records)")
    parser.add_argument(
        "-o", "--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}"
    )
    parser.add_argument(
        "--include-vru-hangups",
        action="store_true",
        help="count every AGENT or HANG row, also calls that hung up in the VRU without "
        "ever reaching the agent queue",
    )
    args = parser.parse_args(argv)

    labels, means, n_days = build_profile(args.tsv, args.include_vru_hangups)
    rounded = [round(x, 1) for x in means]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["interval_start", "calls"])
        for label, calls in zip(labels, rounded, strict=True):
            writer.writerow([label, f"{calls:.1f}"])

    peak = max(range(len(means)), key=means.__getitem__)
    print(
        f"wrote {args.out} ({len(labels)} intervals, averaged over {n_days} Sunday-Thursday days)"
    )
    print(f"daily total: {sum(means):.1f} calls/day (sum of rounded column {sum(rounded):.1f})")
    print(f"peak: {rounded[peak]:.1f} calls in the 30 min from {labels[peak]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
