"""``callroute schedule``: shifts with breaks covering a requirement or forecast per interval."""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from ..wfm import Schedule, requirement_for, schedule_requirement
from ._args import _positive


@dataclass(frozen=True)
class Table:
    """A per-interval CSV: start of the day (s), interval length (s), labels and a column."""

    start: int
    interval: int
    labels: list[str]
    column: str
    values: npt.NDArray[np.float64]


def _clock(text: str) -> int | None:
    """Seconds after midnight of ``HH:MM[:SS]`` (or the time part of a date-time)."""
    part = text.strip().split(" ")[-1].split("T")[-1]
    pieces = part.split(":")
    if len(pieces) not in (2, 3) or not all(p.isdigit() for p in pieces):
        return None
    h, m = int(pieces[0]), int(pieces[1])
    s = int(pieces[2]) if len(pieces) == 3 else 0
    if h > 24 or m > 59 or s > 59:
        return None
    return h * 3600 + m * 60 + s


def read_table(path: str | Path, columns: tuple[str, ...]) -> Table:
    """Read ``interval``/``interval_start`` (``HH:MM``) and the first of ``columns`` found;
    every problem is reported as ``file:line: what``."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = [f.strip() for f in reader.fieldnames or []]
            names = ("interval_start", "interval", "time")
            time_col = next((c for c in names if c in fields), None)
            col = next((c for c in columns if c in fields), None)
            if time_col is None or col is None:
                raise ConfigError(
                    f"{path}:1: needs an interval_start (or interval) column and one of "
                    f"{', '.join(columns)}; columns are {fields}"
                )
            times: list[int] = []
            values: list[float] = []
            labels: list[str] = []
            problems: list[str] = []
            for raw in reader:
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
                line = reader.line_num
                clock = _clock(row.get(time_col, ""))
                try:
                    value = float(row.get(col, ""))
                except ValueError:
                    value = float("nan")
                if clock is None:
                    problems.append(
                        f"{path}:{line}: {time_col} must be HH:MM, got {row[time_col]!r}"
                    )
                elif not (np.isfinite(value) and value >= 0):
                    problems.append(f"{path}:{line}: {col} must be a number >= 0, got {row[col]!r}")
                else:
                    times.append(clock)
                    values.append(value)
                    labels.append(row[time_col])
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    if problems:
        raise ConfigError("; ".join(problems[:10]))
    if len(times) < 2:
        raise ConfigError(f"{path}: needs at least two intervals, found {len(times)}")
    steps = {b - a for a, b in itertools.pairwise(times)}
    if len(steps) != 1 or min(steps) <= 0:
        raise ConfigError(
            f"{path}: intervals must be evenly spaced and increasing (one day), "
            f"found steps of {sorted(s / 60 for s in steps)} min"
        )
    return Table(times[0], steps.pop(), labels, col, np.asarray(values, dtype=np.float64))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute schedule``."""
    s = sub.add_parser(
        "schedule",
        help="shifts with breaks covering a requirement or forecast per interval",
        description=(
            "Schedule shifts (8 h with two breaks and a meal, 4 h with a break) and place "
            "their breaks together with them, covering a requirement CSV (interval,agents) "
            "or a forecast CSV (interval_start,calls; give --aht and --target) at least "
            "cost plus a penalty per missing agent-period."
        ),
    )
    s.add_argument("input", help="CSV: interval,agents or interval_start,calls")
    s.add_argument("--aht", type=_positive, help="average handle time, s (forecast input)")
    s.add_argument("--target", type=float, help="service-level time, s (forecast input)")
    s.add_argument("--level", type=float, default=0.8, help="service level (default 0.8)")
    s.add_argument("--period-minutes", type=_positive, default=15.0, help="default 15")
    s.add_argument(
        "--penalty", type=float, default=1.0, help="cost per missing agent-period (default 1.0)"
    )
    s.add_argument("--time-limit", type=_positive, default=60.0, help="solver seconds")
    s.add_argument("--out", metavar="OUT.csv", help="write the shifts as CSV (or .parquet)")
    s.add_argument("--plot", metavar="OUT.png", help="coverage against requirement")
    s.set_defaults(run=run)


def shift_rows(schedule: Schedule, start: int) -> list[dict[str, object]]:
    """The schedule's shifts with clock times."""
    period = round(schedule.period_minutes * 60)

    def at(p: int) -> str:
        t = start + p * period
        return f"{t // 3600 % 24:02d}:{t % 3600 // 60:02d}"

    return [
        {
            "shift_type": sh.shift_type,
            "start": at(sh.start),
            "end": at(sh.end),
            "count": sh.count,
            "breaks": " ".join(at(b) for b in sh.breaks),
        }
        for sh in schedule.shifts
    ]


def print_schedule(schedule: Schedule, start: int) -> None:
    """Shifts by start with break times, then totals."""
    print(f"{'type':<6} {'start':>5} {'end':>5} {'count':>5}  breaks")
    for r in shift_rows(schedule, start):
        print(f"{r['shift_type']:<6} {r['start']:>5} {r['end']:>5} {r['count']:>5}  {r['breaks']}")
    print(schedule.format().splitlines()[-1])


def write_rows(rows: list[dict[str, object]], out: str) -> None:
    """CSV with the rows' keys as header; Parquet (via polars, the ``frames`` extra) when
    ``out`` ends in ``.parquet``."""
    if out.lower().endswith(".parquet"):
        try:
            import polars as pl
        except ImportError as exc:
            raise ImportError(
                "Parquet output needs polars: pip install 'callroute[frames]'"
            ) from exc
        try:
            pl.DataFrame(rows).write_parquet(out)
        except OSError as exc:
            raise ConfigError(f"{out}: cannot write: {exc.strerror or exc}") from None
        return
    try:
        with open(out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["empty"])
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``callroute schedule``."""
    table = read_table(args.input, ("agents", "calls"))
    if table.column == "calls":
        if args.aht is None or args.target is None:
            raise ConfigError(f"{args.input}: a forecast (calls) needs --aht and --target")
        req = requirement_for(
            table.values,
            interval=table.interval,
            aht=args.aht,
            target=args.target,
            level=args.level,
        ).astype(np.float64)
        print(
            f"# {args.input}: agents from Erlang C at {args.level:.0%} in {args.target:g} s",
            file=sys.stderr,
        )
    else:
        req = table.values
    print(f"# scheduling {len(req)} intervals ...", file=sys.stderr)
    schedule = schedule_requirement(
        req,
        interval=table.interval,
        period_minutes=args.period_minutes,
        shortage_penalty=args.penalty,
        time_limit=args.time_limit,
    )
    print_schedule(schedule, table.start)
    if args.out:
        write_rows(shift_rows(schedule, table.start), args.out)
        print(f"# shifts written to {args.out}", file=sys.stderr)
    if args.plot:
        from ..wfm import plot_coverage

        plot_coverage(schedule, args.plot)
        print(f"# plot written to {args.plot}", file=sys.stderr)
    return 0
