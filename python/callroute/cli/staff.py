"""``callroute staff``: an interval staffing plan from a forecast CSV (or ``--example``)."""

from __future__ import annotations

import argparse

from .._internal.examples import example_path
from ..errors import CallrouteError
from ..forecast import load_forecast
from ..staffing import staffing_plan
from ._args import _fraction, _positive


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute staff``."""
    s = sub.add_parser(
        "staff",
        help="staffing plan for a forecast",
        description="Staff each interval of a forecast CSV (columns interval_start,calls).",
    )
    s.add_argument("forecast", nargs="?", help="CSV file; omit with --example")
    s.add_argument(
        "--example",
        action="store_true",
        help="use the bundled forecast (a real bank's average weekday)",
    )
    s.add_argument("--aht", type=_positive, required=True, help="average handle time, s")
    s.add_argument("--target", type=float, required=True, help="service-level time, s")
    s.add_argument("--level", type=float, required=True, help="service level, e.g. 0.8")
    s.add_argument("--shrinkage", type=_fraction, default=0.0, help="share of paid time off calls")
    s.add_argument("--interval", type=_positive, help="seconds; default: from the time column")
    s.add_argument("--max-occupancy", type=float)
    s.add_argument("--model", choices=["erlang_c", "erlang_a"], default="erlang_c")
    s.add_argument("--patience", type=_positive, help="mean patience, s (Erlang A)")
    s.add_argument("--max-abandon", type=float, help="highest abandonment rate (Erlang A)")
    s.add_argument("--csv", metavar="OUT.csv", help="also write the plan as CSV")
    s.add_argument("--plot", metavar="OUT.png", help="draw agents per interval (matplotlib)")
    s.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.example == bool(args.forecast):
        raise CallrouteError("give a forecast CSV or --example (not both)")
    path = example_path("forecast") if args.example else args.forecast
    forecast = load_forecast(path)
    interval = args.interval or forecast.interval
    if interval is None:
        raise CallrouteError(
            f"{path}: the interval length is unknown (the labels are not times, HH:MM or "
            "a date-time, or there is a single row); pass --interval SECONDS"
        )
    if forecast.interval is not None and interval != forecast.interval:
        raise CallrouteError(
            f"--interval {args.interval:g}, but the intervals of {path} are "
            f"{forecast.interval:g} s apart (leave --interval out)"
        )
    plan = staffing_plan(
        forecast.columns,
        interval=interval,
        aht=args.aht,
        target=args.target,
        level=args.level,
        shrinkage=args.shrinkage,
        max_occupancy=args.max_occupancy,
        model=args.model,
        patience=args.patience,
        max_abandon=args.max_abandon,
    )
    print(
        f"# {path}: {len(plan)} intervals of {interval / 60:g} min, AHT {args.aht:g} s, "
        f"{args.level:.0%} within {args.target:g} s, shrinkage {args.shrinkage:.0%}, "
        f"{args.model}"
    )
    print(plan.format())
    print(f"# scheduled agent-hours: {plan.agent_hours:.1f}")
    if args.csv:
        _write_csv(plan, args.csv)
    if args.plot:
        from ..sim.plot import plot_staffing

        plot_staffing(plan, args.plot)
        print(f"# plot written to {args.plot}")
    return 0


def _write_csv(plan: object, out: str) -> None:
    import csv

    from ..staffing import StaffingPlan

    assert isinstance(plan, StaffingPlan)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        cols = plan.columns
        writer.writerow(cols)
        for row in plan.rows():
            writer.writerow(row.values())
