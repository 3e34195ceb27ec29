"""``callroute check``: validate and lint a center file, a simulation model file or a
blended day (exit 0 clean, 1 warnings, 2 errors)."""

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
        "which one it is is read from the file: kind: model or blend, or a model's sections), "
        "and lint "
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


def _check_model(path: str, data: Any, old: bool) -> int:
    import warnings
    from pathlib import Path

    from ..errors import ModelError
    from ..sim.model import _core_check, _from_document

    what = "model file"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # (a name-keyed file is checked whole here, the core's rules included)
            model = _from_document(data, Path(path))
        if old:  # a list-shaped file's fields: only the core checks them
            _core_check(model, path)
    except ModelError as exc:
        return _errors(path, what, exc.problems)
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


def _check_blend(path: str) -> int:
    from ..errors import ModelError
    from ..outbound import load_blend

    try:
        model = load_blend(path)
    except ModelError as exc:
        return _errors(path, "blended day", exc.problems)
    counts = ", ".join(
        f"{len(model[k])} {what}"
        for k, what in (
            ("queues", "queues"),
            ("inbound", "inbound types"),
            ("groups", "groups"),
            ("campaigns", "campaigns"),
        )
    )
    print(f"{path}: ok: blended day ({counts})")
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
        data = read_document(path)
    except ConfigError:
        data = None  # (unreadable: load_center names the problem)
    if isinstance(data, dict) and data.get("kind") == "blend":
        return _check_blend(path)
    kind = model_format(data)
    if kind is not None:
        return _check_model(path, data, kind == "old")
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
