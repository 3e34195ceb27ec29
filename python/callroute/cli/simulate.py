"""``callroute simulate`` and ``callroute compare``: a model run with the routing engine, or several
routing strategies on the same workload (the two share their arguments)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import CallrouteError
from ._args import _positive

if TYPE_CHECKING:
    from ..sim import SimModel


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute simulate`` and ``callroute compare``."""
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
        m.set_defaults(run=run_simulate if name == "simulate" else run_compare)
        if name == "compare":
            m.add_argument(
                "--strategies",
                required=True,
                help="comma-separated, e.g. longest_idle,round_robin,highest_proficiency",
            )


def _model_args(args: argparse.Namespace) -> tuple[SimModel, dict[str, Any]]:
    from .._internal.examples import ExampleKind, example_path
    from ..sim import load_model

    if bool(args.example) == bool(args.model):
        raise CallrouteError("give a model file or --example (not both)")
    kind: ExampleKind = "model" if args.example == "bank" else "outsourcer_model"
    model = load_model(example_path(kind) if args.example else args.model)
    options: dict[str, Any] = {
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


def run_simulate(args: argparse.Namespace) -> int:
    from ..sim import simulate

    model, options = _model_args(args)
    result = simulate(model, **options)
    print(result.format())
    if args.plot:
        from ..sim.plot import plot_simulation

        plot_simulation(result, args.plot)
        print(f"# plot written to {args.plot}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from ..sim import compare

    model, options = _model_args(args)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    comparison = compare({s: model.with_strategy(s) for s in strategies}, **options)
    print(comparison.format())
    if args.plot:
        from ..sim.plot import plot_comparison

        plot_comparison(comparison, args.plot)
        print(f"# plot written to {args.plot}")
    return 0
