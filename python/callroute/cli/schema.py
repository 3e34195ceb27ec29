"""``callroute schema``: print the JSON Schema of center files or of model files (for editor
completion)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute schema``."""
    s = sub.add_parser(
        "schema",
        help="print the JSON Schema of center files (or: schema model, schema blend)",
        description="Print the JSON Schema of center configuration files, with `model` of "
        "simulation model files, with `blend` of blended days (for editors).",
    )
    s.add_argument(
        "kind", nargs="?", default="center", choices=["center", "model", "blend"], help="(center)"
    )
    s.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    if getattr(args, "kind", "center") == "blend":
        from ..outbound.blendfile import schema as blend_schema

        print(json.dumps(blend_schema(), indent=2, ensure_ascii=False))
        return 0
    if getattr(args, "kind", "center") == "model":
        from ..sim.schema import schema as model_schema

        print(json.dumps(model_schema(), indent=2, ensure_ascii=False))
        return 0
    from ..center import schema

    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
