"""``callroute check``: validate and lint a center file or a simulation model file (exit 0
clean, 1 warnings, 2 errors)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import CallrouteError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute check``."""
    c = sub.add_parser(
        "check",
        help="validate a center file or a model file (and lint a center)",
        description="Validate a center file or a simulation model file (YAML, JSON or TOML; "
        "which one it is is read from the file: kind: model, or a model's sections), and lint "
        "a center for what validates but cannot work. Exit status: 0 clean, 1 warnings only, "
        "2 errors.",
    )
    c.add_argument("config", nargs="?", help="center or model file; or --example")
    c.add_argument("--example", action="store_true", help="the bundled outsourcer example")
    c.set_defaults(run=run)


def _errors(path: str, what: str, problems: list[Any]) -> int:
    for problem in problems:
        print(f"{path}: error: {problem}")
    count = len(problems)
    print(f"{path}: {what}: {count} error{'s' * (count != 1)}", file=sys.stderr)
    return 2


def _check_model(path: str, old: bool) -> int:
    import json
    import warnings

    from .. import _core
    from .._internal.files import read_document_lines
    from ..errors import ModelError
    from ..sim.model import _model_body, _plain, load_model
    from ..sim.modelfile import user_problem

    what = "model file"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = load_model(path)
    except ModelError as exc:
        return _errors(path, what, exc.problems)
    try:  # what only the core knows (and a list-shaped file's every field)
        _core.sim_model(json.dumps(_model_body(model, {}), default=_plain, allow_nan=False))
    except ModelError as exc:
        problems = exc.problems
        if not old:
            _, lines = read_document_lines(path, error=ModelError)
            problems = [user_problem(p, model, source=path, lines=lines) for p in problems]
        return _errors(path, what, problems)
    calls, groups = len(model["calls"]), len(model.get("groups") or ())
    counts = f"{len(model.get('queues') or ())} queues, {groups} groups, {calls} call types"
    if "center" in model:
        counts = f"queues and agents of {model['center']}, {calls} call types"
    if old:
        print(
            f"{path}: warning: list-shaped model file (deprecated): write queues, groups and "
            "calls as mappings of names, with version: 1 and kind: model"
        )
        print(f"{path}: valid model file ({counts}), 1 warning", file=sys.stderr)
        return 1
    print(f"{path}: ok: model file ({counts})")
    return 0


def run(args: argparse.Namespace) -> int:
    from .._internal.examples import example_path
    from .._internal.files import read_document
    from ..center import load_center
    from ..errors import ConfigError
    from ..sim.modelfile import model_format

    if args.example == bool(args.config):
        raise CallrouteError("give a center or model file, or --example (not both)")
    path = str(example_path("center") if args.example else args.config)
    try:
        kind = model_format(read_document(path))
    except ConfigError:
        kind = None  # (unreadable: load_center names the problem)
    if kind is not None:
        return _check_model(path, kind == "old")
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
