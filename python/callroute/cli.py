"""The ``callroute`` command line.

``callroute erlang``  single questions (P(wait), service level, ASA... or agents needed);
``callroute staff``   an interval staffing plan from a forecast CSV (or ``--example``);
``callroute simulate`` a model (YAML, JSON or TOML; or ``--example``) with the routing engine;
``callroute compare``  the same workload under several routing strategies, paired;
``callroute check``   validate and lint a center file (exit 0 clean, 1 warnings, 2 errors);
``callroute schema``  print the JSON Schema of center files (for editor completion).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from . import erlang
from .errors import CallrouteError
from .forecast import example_forecast_path, read_forecast
from .staffing import staffing_plan

__all__ = ["main"]


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callroute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    e = sub.add_parser(
        "erlang",
        help="one Erlang question",
        description="Erlang C (or A with --patience) for one staffing level, or "
        "the agents needed for --level within --target.",
    )
    load = e.add_mutually_exclusive_group(required=True)
    load.add_argument("--traffic", type=float, help="offered load in Erlangs")
    load.add_argument("--calls", type=float, help="calls per interval (with --interval)")
    e.add_argument("--interval", type=_positive, default=1800.0, help="seconds (default 1800)")
    e.add_argument("--aht", type=_positive, required=True, help="average handle time, s")
    e.add_argument("--agents", type=float, help="agents on the phones")
    e.add_argument("--target", type=float, default=20.0, help="service-level time, s (20)")
    e.add_argument("--level", type=float, help="required service level, e.g. 0.8")
    e.add_argument("--max-occupancy", type=float)
    e.add_argument("--patience", type=_positive, help="mean patience, s: use Erlang A")

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

    for name, text in (
        ("simulate", "simulate a model with the production routing engine"),
        ("compare", "compare routing strategies on the same workload (common random numbers)"),
    ):
        m = sub.add_parser(name, help=text, description=text)
        m.add_argument("model", nargs="?", help="model file (.yaml, .json, .toml); or --example")
        m.add_argument(
            "--example",
            nargs="?",
            const="outsourcer",
            choices=["outsourcer", "bank"],
            help="a bundled model: outsourcer (default: a weekday of the two-tenant example "
            "center) or bank (a real bank's weekday, two queues)",
        )
        m.add_argument("--replications", type=int, default=10, help="independent runs (10)")
        m.add_argument("--seed", type=int, default=0, help="random seed (0)")
        m.add_argument("--horizon", type=_positive, help="seconds of arrivals (default: model's)")
        m.add_argument("--warmup", type=float, help="seconds not counted (default: model's)")
        m.add_argument("--threads", type=int, help="worker threads (default: all cores)")
        m.add_argument("--plot", metavar="OUT.png", help="draw the result (matplotlib)")
        m.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "compare":
            m.add_argument(
                "--strategies",
                required=True,
                help="comma-separated, e.g. longest_idle,round_robin,highest_proficiency",
            )

    c = sub.add_parser(
        "check",
        help="validate and lint a center configuration",
        description="Validate a center file (YAML, JSON or TOML) and lint what validates but "
        "cannot work. Exit status: 0 clean, 1 warnings only, 2 errors.",
    )
    c.add_argument("config", nargs="?", help="center file; or --example")
    c.add_argument("--example", action="store_true", help="the bundled outsourcer example")
    sub.add_parser(
        "schema",
        help="print the JSON Schema of center files",
        description="Print the JSON Schema of center configuration files (for editors).",
    )
    return parser


def _erlang(args: argparse.Namespace) -> int:
    traffic = args.traffic if args.traffic is not None else args.calls * args.aht / args.interval
    model = "Erlang A" if args.patience else "Erlang C"
    print(f"traffic {traffic:.4f} Erlangs, AHT {args.aht:g} s, {model}")
    if args.agents is None:
        if args.level is None:
            raise CallrouteError("give --agents to evaluate, or --level to size")
        if args.patience:
            n = erlang.agents_for_erlang_a(
                traffic,
                args.aht,
                args.patience,
                target=args.target,
                level=args.level,
                max_occupancy=args.max_occupancy,
            )
        else:
            n = erlang.agents_for_service_level(
                traffic, args.aht, args.target, args.level, max_occupancy=args.max_occupancy
            )
        print(f"agents needed for {args.level:.0%} within {args.target:g} s: {n}")
        agents = float(n)
    else:
        agents = args.agents
    if args.patience:
        r = erlang.erlang_a(traffic, agents, args.aht, args.patience, target=args.target)
        rows = [
            ("P(wait)", f"{r.p_wait:.6f}"),
            ("P(abandon)", f"{r.p_abandon:.6f}"),
            (f"service level ({args.target:g} s)", f"{r.service_level:.6f}"),
            ("ASA answered (s)", f"{r.asa:.3f}"),
            ("mean wait all (s)", f"{r.mean_wait:.3f}"),
            ("occupancy", f"{r.occupancy:.4f}"),
            ("queue length", f"{r.queue_length:.4f}"),
        ]
    else:
        rows = [
            ("P(wait)", f"{erlang.erlang_c(traffic, agents):.6f}"),
            (
                f"service level ({args.target:g} s)",
                f"{erlang.service_level(traffic, agents, args.aht, args.target):.6f}",
            ),
            ("ASA (s)", f"{erlang.asa(traffic, agents, args.aht):.3f}"),
            ("occupancy", f"{erlang.occupancy(traffic, agents):.4f}"),
            ("queue length", f"{erlang.queue_length(traffic, agents):.4f}"),
        ]
    print(f"with {agents:g} agents:")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    return 0


def _staff(args: argparse.Namespace) -> int:
    if args.example == bool(args.forecast):
        raise CallrouteError("give a forecast CSV or --example (not both)")
    path = example_forecast_path() if args.example else args.forecast
    forecast = read_forecast(path)
    interval = args.interval or forecast.interval
    if interval is None:
        raise CallrouteError(f"{path}: cannot infer the interval length; pass --interval SECONDS")
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
        from .plot import plot_staffing

        plot_staffing(plan, args.plot)
        print(f"# plot written to {args.plot}")
    return 0


def _model_args(args: argparse.Namespace) -> tuple[dict[str, object], dict[str, object]]:
    from .simulation import example_model_path, load_model

    if bool(args.example) == bool(args.model):
        raise CallrouteError("give a model file or --example (not both)")
    model = load_model(example_model_path(args.example) if args.example else args.model)
    options: dict[str, object] = {
        "replications": args.replications,
        "seed": args.seed,
        "threads": args.threads,
        "progress": not args.quiet and sys.stderr.isatty(),
    }
    if args.horizon is not None:
        options["horizon"] = args.horizon
    if args.warmup is not None:
        options["warmup"] = args.warmup
    return model, options


def _simulate(args: argparse.Namespace) -> int:
    from .simulation import simulate

    model, options = _model_args(args)
    result = simulate(model, **options)  # type: ignore[arg-type]
    print(result.format())
    if args.plot:
        from .plot import plot_simulation

        plot_simulation(result, args.plot)
        print(f"# plot written to {args.plot}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .simulation import compare

    model, options = _model_args(args)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    comparison = compare(model, strategies, **options)
    print(comparison.format())
    if args.plot:
        from .plot import plot_comparison

        plot_comparison(comparison, args.plot)
        print(f"# plot written to {args.plot}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .center import example_config_path, load
    from .errors import ConfigError

    if args.example == bool(args.config):
        raise CallrouteError("give a center file or --example (not both)")
    path = str(example_config_path() if args.example else args.config)
    try:
        center = load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{path}: error: {problem}")
        count = len(exc.problems)
        print(f"{path}: {count} error{'s' * (count != 1)}", file=sys.stderr)
        return 2
    warnings = center.lint()
    for warning in warnings:
        print(f"{path}: warning: {warning}")
    if warnings:
        count = len(warnings)
        print(f"{path}: valid, {count} warning{'s' * (count != 1)}", file=sys.stderr)
        return 1
    print(
        f"{path}: ok ({len(center.tenants)} tenants, {len(center.queues)} queues, "
        f"{len(center.agents)} agents, {len(center.flows)} IVR flows)"
    )
    return 0


def _schema(args: argparse.Namespace) -> int:
    import json

    from .center import schema

    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0


def _write_csv(plan: object, out: str) -> None:
    import csv

    from .staffing import StaffingPlan

    assert isinstance(plan, StaffingPlan)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        cols = plan.columns
        writer.writerow(cols)
        for row in plan.rows():
            writer.writerow(row.values())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callroute`` command."""
    args = _parser().parse_args(argv)
    try:
        commands = {
            "erlang": _erlang,
            "staff": _staff,
            "simulate": _simulate,
            "compare": _compare,
            "check": _check,
            "schema": _schema,
        }
        return commands[args.command](args)
    except (CallrouteError, ImportError) as exc:
        print(f"callroute: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
