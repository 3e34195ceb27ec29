"""``callroute check``: validate and lint a center file (exit 0 clean, 1 warnings, 2 errors)."""

from __future__ import annotations

import argparse
import sys

from ..errors import CallrouteError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute check``."""
    c = sub.add_parser(
        "check",
        help="validate and lint a center configuration",
        description="Validate a center file (YAML, JSON or TOML) and lint what validates but "
        "cannot work. Exit status: 0 clean, 1 warnings only, 2 errors.",
    )
    c.add_argument("config", nargs="?", help="center file; or --example")
    c.add_argument("--example", action="store_true", help="the bundled outsourcer example")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._internal.examples import example_path
    from ..center import load_center
    from ..errors import ConfigError

    if args.example == bool(args.config):
        raise CallrouteError("give a center file or --example (not both)")
    path = str(example_path("center") if args.example else args.config)
    try:
        center = load_center(path)
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
