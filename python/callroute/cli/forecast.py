"""``callroute forecast``: history file -> forecast per interval with quantiles, or a backtest."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from ..errors import CallrouteError
from ..wfm import (
    DailyProfile,
    History,
    Model,
    SeasonalNaive,
    WeekdayAverage,
    read_anonymous_bank,
    read_interval_csv,
    read_master_csv,
    read_queue_log,
)
from ..wfm.calendar import Calendar
from ..wfm.forecast_backtest import backtest, format_table
from ..wfm.special_days import (
    absent_weekdays,
    load_calendar,
    public_holidays,
    with_closure_events,
)

_METHODS: dict[str, type[Model]] = {
    "naive": SeasonalNaive,
    "average": WeekdayAverage,
    "profile": DailyProfile,
}
_FORMATS = ("intervals", "anonymous-bank", "queue_log", "master-csv")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute forecast``."""
    s = sub.add_parser(
        "forecast",
        help="forecast calls per interval from a history file (or backtest the methods)",
        description=(
            "Read call history (interval counts CSV, Anonymous Bank records, Asterisk "
            "queue_log or Master.csv), then forecast the next open days per interval with "
            "prediction intervals, or (--backtest) score the methods by rolling origin."
        ),
    )
    s.add_argument("history", help="history file")
    s.add_argument("--format", choices=_FORMATS, default="intervals", help="history file format")
    s.add_argument("--minutes", type=int, default=30, help="interval length (default 30)")
    s.add_argument("--queue", help="one queue (default: all queues summed)")
    s.add_argument("--method", choices=sorted(_METHODS), default="profile")
    s.add_argument("--days", type=int, default=1, help="open days to forecast (default 1)")
    s.add_argument("--level", type=float, default=0.9, help="prediction interval (default 0.9)")
    s.add_argument("--csv", metavar="OUT.csv", help="write the forecast as CSV (else stdout)")
    s.add_argument("--backtest", action="store_true", help="score every method instead")
    s.add_argument("--horizons", default="1", help="backtest horizons in days, e.g. 1,7,14")
    s.add_argument("--min-train", type=int, default=20, help="backtest: first origin (days)")
    s.add_argument(
        "--intraday", metavar="HH:MM", help="backtest: also update each day at this time"
    )
    s.add_argument(
        "--calendar",
        metavar="FILE",
        help="closed and special days (.yaml or .csv: date,kind[,name][,multiplier])",
    )
    s.add_argument(
        "--holidays",
        metavar="CODE",
        help="close on a country's public holidays, e.g. US (needs the 'holidays' package)",
    )
    s.add_argument(
        "--closed-absent",
        action="store_true",
        help="treat the open weekdays absent from the history as closed days",
    )
    s.add_argument(
        "--before-closed",
        action="store_true",
        help="also estimate an effect for the day before a closed day",
    )
    s.set_defaults(run=run)


def _read(args: argparse.Namespace) -> History:
    seconds = args.minutes * 60
    path = Path(args.history)
    if args.format == "anonymous-bank":
        return read_anonymous_bank(path, interval=seconds)
    if args.format == "queue_log":
        return read_queue_log(path, interval=seconds)
    if args.format == "master-csv":
        return read_master_csv(path, interval=seconds)
    history = read_interval_csv(path)
    return history.resample(seconds)


def _calendar(args: argparse.Namespace, history: History) -> Calendar | None:
    """The calendar from --calendar / --holidays / --closed-absent, with the days after
    (and with --before-closed, before) each closed day marked as estimated events."""
    if not (args.calendar or args.holidays or args.closed_absent):
        return None
    weekdays = sorted({d.weekday() for d in history.dates})
    base = (
        load_calendar(args.calendar, open_weekdays=weekdays)
        if args.calendar
        else Calendar.build(open_weekdays=weekdays)
    )
    closed = set(base.closed)
    first, last = history.dates[0], history.dates[-1] + dt.timedelta(days=7 * max(args.days, 1))
    if args.holidays:
        years = range(first.year, last.year + 1)
        closed |= set(public_holidays(args.holidays, years))
    if args.closed_absent:
        closed |= set(absent_weekdays(history, weekdays))
    calendar = dataclasses.replace(base, closed=frozenset(closed))
    return with_closure_events(calendar, first, last, before=args.before_closed)


def run(args: argparse.Namespace) -> int:
    """Run ``callroute forecast``."""
    if args.minutes <= 0 or 1440 % args.minutes:
        raise CallrouteError(f"--minutes must divide a day, got {args.minutes}")
    history = _read(args)
    calendar = _calendar(args, history)
    if args.backtest:
        try:
            horizons = [int(h) for h in args.horizons.split(",")]
        except ValueError:
            raise CallrouteError(
                f"--horizons: comma-separated days, got {args.horizons!r}"
            ) from None
        intraday = None
        if args.intraday:
            hh, _, mm = args.intraday.partition(":")
            if not (hh.isdigit() and mm.isdigit()):
                raise CallrouteError(f"--intraday must be HH:MM, got {args.intraday!r}")
            intraday = int(hh) * 3600 + int(mm) * 60
        rows = backtest(
            history,
            [m() for m in _METHODS.values()],
            calendar=calendar,
            horizons=horizons,
            min_train=args.min_train,
            level=args.level,
            intraday=intraday,
            queue=args.queue,
        )
        print(format_table(rows))
        return 0
    fitted = _METHODS[args.method]().fit(history, calendar, queue=args.queue)
    fc = fitted.horizon(args.days)
    lo, hi = fc.bounds(args.level)
    labels = history.slot_labels()
    tail = round(100 * (1 - args.level) / 2, 2)
    out = open(args.csv, "w", newline="") if args.csv else sys.stdout  # noqa: SIM115
    try:
        writer = csv.writer(out)
        writer.writerow(["date", "interval_start", "calls", f"q{tail:g}", f"q{100 - tail:g}"])
        for i, day in enumerate(fc.dates):
            for s, label in enumerate(labels):
                writer.writerow(
                    [day.isoformat(), label, f"{fc.mean[i, s]:.2f}", int(lo[i, s]), int(hi[i, s])]
                )
    finally:
        if out is not sys.stdout:
            out.close()
    return 0
