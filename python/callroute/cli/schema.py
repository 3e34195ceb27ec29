"""``callroute schema``: print the JSON Schema of center files (for editor completion)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute schema``."""
    s = sub.add_parser(
        "schema",
        help="print the JSON Schema of center files",
        description="Print the JSON Schema of center configuration files (for editors).",
    )
    s.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ..center import schema

    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
