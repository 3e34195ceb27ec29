"""``callroute schema``: print the JSON Schema of center files or of model files (for editor
completion)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute schema``."""
    s = sub.add_parser(
        "schema",
        help="print the JSON Schema of center files (or: schema model)",
        description="Print the JSON Schema of center configuration files, or with `model` of "
        "simulation model files (for editors).",
    )
    s.add_argument(
        "kind", nargs="?", default="center", choices=["center", "model"], help="(center)"
    )
    s.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    if getattr(args, "kind", "center") == "model":
        from ..sim.schema import schema as model_schema

        print(json.dumps(model_schema(), indent=2, ensure_ascii=False))
        return 0
    from ..center import schema

    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
