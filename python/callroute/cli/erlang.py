"""``callroute erlang``: one Erlang question (P(wait), service level, ASA... or agents needed)."""

from __future__ import annotations

import argparse
import math

from .. import erlang
from ..errors import CallrouteError
from ._args import _positive


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute erlang``."""
    e = sub.add_parser(
        "erlang",
        help="one Erlang question",
        description="Erlang C (or A with --patience) for one staffing level (--agents), or "
        "the agents needed for --level within --target. With both, the level is checked: "
        "whether --agents meet it, and if not, how many would.",
    )
    load = e.add_mutually_exclusive_group(required=True)
    load.add_argument("--traffic", type=float, help="offered load in Erlangs")
    load.add_argument("--calls", type=float, help="calls per interval (with --interval)")
    e.add_argument("--interval", type=_positive, default=1800.0, help="seconds (default 1800)")
    e.add_argument("--aht", type=_positive, required=True, help="average handle time, s")
    e.add_argument("--agents", type=float, help="agents on the phones")
    e.add_argument("--target", type=float, default=20.0, help="service-level time, s (20)")
    e.add_argument(
        "--level",
        type=float,
        help="required service level, e.g. 0.8: size the staff (or, with --agents, check it)",
    )
    e.add_argument("--max-occupancy", type=float)
    e.add_argument("--patience", type=_positive, help="mean patience, s: use Erlang A")
    e.set_defaults(run=run)


def _needed(args: argparse.Namespace, traffic: float) -> int:
    """The fewest agents meeting --level within --target (and --max-occupancy)."""
    if args.patience:
        return int(
            erlang.agents_for_erlang_a(
                traffic,
                args.aht,
                args.patience,
                target=args.target,
                level=args.level,
                max_occupancy=args.max_occupancy,
            )
        )
    return int(
        erlang.agents_for_service_level(
            traffic, args.aht, args.target, args.level, max_occupancy=args.max_occupancy
        )
    )


def overload_note(traffic: float, agents: float, *, abandonment: bool) -> str | None:
    """What an offered load of at least the agents means (``None`` when it is below)."""
    if traffic <= 0 or traffic < agents:
        return None
    head = f"overloaded: offered load {traffic:.4g} Erlangs >= {agents:g} agents"
    if abandonment:
        return (
            f"{head}; only abandonment keeps the queue finite (without it, waits would grow "
            "without bound)"
        )
    return (
        f"{head}: the queue grows without bound, every caller waits, and ASA and queue "
        "length are infinite in the long run; add agents above the load"
    )


def run(args: argparse.Namespace) -> int:
    """Answer one Erlang question (``callroute erlang``)."""
    traffic = args.traffic if args.traffic is not None else args.calls * args.aht / args.interval
    model = "Erlang A" if args.patience else "Erlang C"
    print(f"traffic {traffic:.4f} Erlangs, AHT {args.aht:g} s, {model}")
    needed = None if args.level is None else _needed(args, traffic)
    if args.agents is None:
        if needed is None:
            raise CallrouteError("give --agents to evaluate, or --level to size")
        print(f"agents needed for {args.level:.0%} within {args.target:g} s: {needed}")
        agents = float(needed)
    else:
        agents = args.agents
    if args.patience:
        r = erlang.erlang_a(traffic, agents, args.aht, args.patience, target=args.target)
        sl = r.service_level if isinstance(r.service_level, float) else math.nan
        rows = [
            ("P(wait)", f"{r.p_wait:.6f}"),
            ("P(abandon)", f"{r.p_abandon:.6f}"),
            (f"service level ({args.target:g} s)", f"{sl:.6f}"),
            ("ASA answered (s)", f"{r.asa:.3f}"),
            ("mean wait all (s)", f"{r.mean_wait:.3f}"),
            ("occupancy", f"{r.occupancy:.4f}"),
            ("queue length", f"{r.queue_length:.4f}"),
        ]
    else:
        sl = float(erlang.service_level(traffic, agents, args.aht, args.target))
        rows = [
            ("P(wait)", f"{erlang.erlang_c(traffic, agents):.6f}"),
            (f"service level ({args.target:g} s)", f"{sl:.6f}"),
            ("ASA (s)", f"{erlang.asa(traffic, agents, args.aht):.3f}"),
            ("occupancy", f"{erlang.occupancy(traffic, agents):.4f}"),
            ("queue length", f"{erlang.queue_length(traffic, agents):.4f}"),
        ]
    note = overload_note(traffic, agents, abandonment=bool(args.patience))
    if note:
        rows = [(k, f"{v} (overloaded)" if v == "inf" else v) for k, v in rows]
    print(f"with {agents:g} agents:")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    if note:
        print(f"note: {note}")
    if args.agents is not None and needed is not None:
        goal = f"{args.level:.0%} within {args.target:g} s"
        if agents >= needed:
            print(f"meets {goal}: yes (the fewest agents that do: {needed})")
        else:
            why = f"{sl:.1%}" if sl < args.level else "occupancy above --max-occupancy"
            print(f"meets {goal}: no ({why}); agents needed: {needed}")
    return 0
