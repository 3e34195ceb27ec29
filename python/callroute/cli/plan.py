"""``callroute plan``: history -> forecast -> staffing -> shifts with breaks -> simulated check,
and (``--surge DATE:MULTIPLIER``) the what-if of a billing day or campaign."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from ..errors import ConfigError
from ..wfm import Calendar, Costs, DailyProfile, plan_day, surge_what_if
from ._args import _positive
from .forecast import _FORMATS, _read
from .schedule import print_schedule, write_rows


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute plan``."""
    s = sub.add_parser(
        "plan",
        help="the planning chain on a history file, ending in a simulated check",
        description=(
            "Forecast a day from call history (daily total x intraday profile), staff each "
            "interval (Erlang C/A at a target, or cost-optimal), schedule shifts with breaks, "
            "and simulate the day: the simulated service level per interval against the "
            "promise. --surge DATE:MULTIPLIER plans a billing day or campaign instead: the "
            "extra agents and shifts it needs, simulated with and without them."
        ),
    )
    s.add_argument("history", help="history file")
    s.add_argument("--format", choices=_FORMATS, default="intervals", help="history file format")
    s.add_argument("--minutes", type=int, default=30, help="interval length (default 30)")
    s.add_argument("--queue", help="one queue (default: all queues summed)")
    s.add_argument("--date", help="day to plan, YYYY-MM-DD (default: next open day)")
    s.add_argument("--surge", metavar="DATE:MULT", help="what-if: calls on DATE times MULT")
    s.add_argument("--aht", type=_positive, default=240.0, help="handle time, s (default 240)")
    s.add_argument("--target", type=float, default=20.0, help="SL time, s (default 20)")
    s.add_argument("--level", type=float, default=0.8, help="service level (default 0.8)")
    s.add_argument("--staffing", choices=["erlang_c", "erlang_a", "cost"], default="erlang_c")
    s.add_argument("--patience", type=_positive, help="mean patience, s (Erlang A, cost)")
    s.add_argument("--wage", type=_positive, default=20.0, help="cost: wage per hour")
    s.add_argument("--per-abandon", type=float, default=0.0, help="cost: per abandoned call")
    s.add_argument("--per-wait-minute", type=float, default=0.0, help="cost: per minute waited")
    s.add_argument("--period-minutes", type=_positive, default=15.0, help="default 15")
    s.add_argument("--penalty", type=float, default=1.0, help="cost per missing agent-period")
    s.add_argument("--replications", type=int, default=20, help="simulation runs (default 20)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--out", metavar="OUT.csv", help="write the per-interval table as CSV (or .parquet)"
    )
    s.add_argument("--shifts", metavar="SHIFTS.csv", help="write the shifts as CSV")
    s.add_argument("--plot", metavar="OUT.png", help="plot service level (and coverage)")
    s.set_defaults(run=run)


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be YYYY-MM-DD, got {text!r}") from None


def _surge(text: str) -> tuple[dt.date, float]:
    day, sep, mult = text.rpartition(":")
    try:
        value = float(mult)
    except ValueError:
        value = float("nan")
    if not sep or not (value > 0 and value < float("inf")):
        raise ConfigError(f"--surge must be DATE:MULTIPLIER (e.g. 2026-10-01:1.4), got {text!r}")
    return _date(day, "--surge date"), value


def _progress(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run ``callroute plan``."""
    if args.minutes <= 0 or 1440 % args.minutes:
        raise ConfigError(f"--minutes must divide a day, got {args.minutes}")
    if not 0 < args.level < 1:
        raise ConfigError(f"--level must be in (0, 1), got {args.level}")
    if args.replications < 1:
        raise ConfigError(f"--replications must be >= 1, got {args.replications}")
    if args.staffing in ("erlang_a",) and args.patience is None:
        raise ConfigError("--staffing erlang_a needs --patience")
    surge = _surge(args.surge) if args.surge else None
    _progress(f"reading {args.history}")
    history = _read(args)
    _progress(f"{len(history.dates)} days of {history.slots} intervals ({history.source})")
    calendar = Calendar.build(open_weekdays={d.weekday() for d in history.dates})
    costs = Costs(args.wage, args.per_abandon, args.per_wait_minute)
    opts = {
        "aht": args.aht,
        "target": args.target,
        "level": args.level,
        "staffing": args.staffing,
        "patience": args.patience,
        "costs": costs,
        "period_minutes": args.period_minutes,
        "shortage_penalty": args.penalty,
        "replications": args.replications,
        "seed": args.seed,
    }
    if surge is not None:
        day, mult = surge
        _progress(f"surge what-if: {day} x{mult:g}; forecasting, staffing, scheduling")
        what = surge_what_if(history, day, mult, calendar=calendar, queue=args.queue, **opts)
        print(what.format())
        rows: list[dict[str, Any]] = what.rows()
        if args.shifts:
            write_rows(
                _with_kind(what.base.schedule, "normal", history.start)
                + _with_kind(what.extra, "extra", history.start),
                args.shifts,
            )
        if args.plot:
            from ..wfm.plan_plot import plot_surge

            plot_surge(what, args.plot)
            _progress(f"plot written to {args.plot}")
    else:
        day = _date(args.date, "--date") if args.date else calendar.next_open(history.dates[-1])[0]
        if not calendar.is_open(day):
            raise ConfigError(
                f"--date {day}: a {day:%A}, and {args.history} has no calls on that weekday"
            )
        _progress(f"forecasting {day} (daily total x profile)")
        fitted = DailyProfile().fit(history, calendar, queue=args.queue)
        calls = fitted.predict([day]).mean[0]
        _progress(f"{calls.sum():.0f} calls; staffing ({args.staffing}), scheduling, simulating")
        plan = plan_day(calls, start=history.start, interval=history.interval, **opts)
        print_schedule(plan.schedule, history.start)
        promised, simulated, agents = plan.interval_sl()
        k = len(plan.check.calls) // len(plan.calls)
        like = plan.check.folded(k)
        rows = [
            {
                "interval_start": label,
                "calls": round(float(plan.calls[i]), 2),
                "required": int(plan.requirement[i]),
                "on_phones": int(agents[i]),
                "promised_sl": round(float(promised[i]), 4),
                "simulated_sl": round(float(simulated[i]), 4),
                "agents_in_simulation": round(float(like["effective"][i]), 2),
                "promised_at_simulated_agents": round(float(like["promised_effective"][i]), 4),
            }
            for i, label in enumerate(plan.labels)
        ]
        print(
            f"{'time':>5} {'calls':>7} {'req':>4} {'on':>4} {'promised':>9} {'in sim':>6} "
            f"{'at sim':>7} {'simulated':>9}"
        )
        for r in rows:
            print(
                f"{r['interval_start']:>5} {r['calls']:>7.1f} {r['required']:>4} "
                f"{r['on_phones']:>4} {r['promised_sl']:>9.1%} "
                f"{r['agents_in_simulation']:>6.1f} {r['promised_at_simulated_agents']:>7.1%} "
                f"{r['simulated_sl']:>9.1%}"
            )
        check = plan.check
        print(
            f"{day}: promised {check.promised_day:.1%} at the schedule's agents, "
            f"{check.promised_effective_day:.1%} at the agents the simulation had on the "
            f"phones (calls finished into breaks and past shift ends: "
            f"{(check.effective - check.coverage).mean():+.1f} agents a period); simulated "
            f"{check.simulated_day:.1%} ± {check.simulated_day_halfwidth:.1%} "
            f"({check.replications} replications), target {args.level:.0%} in {args.target:g} s"
        )
        if args.shifts:
            write_rows(_with_kind(plan.schedule, "normal", history.start), args.shifts)
        if args.plot:
            from ..wfm.plan_plot import plot_plan

            plot_plan(plan, args.level, args.plot)
            _progress(f"plot written to {args.plot}")
    if args.out:
        write_rows(rows, args.out)
        _progress(f"table written to {args.out}")
    return 0


def _with_kind(schedule: object, kind: str, start: int) -> list[dict[str, object]]:
    from ..wfm import Schedule
    from .schedule import shift_rows

    assert isinstance(schedule, Schedule)
    return [{"kind": kind, **r} for r in shift_rows(schedule, start)]
