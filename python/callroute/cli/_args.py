"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import re


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


# ``literal``, :role:`~pkg.mod.name` and :role:`text`: the reStructuredText of docstrings.
_LITERAL = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`(~?)([^`]+)`")


def plain_text(text: str) -> str:
    """``text`` without its reStructuredText markup: ````x```` becomes ``x``, and
    ``:func:`~a.b.f``` becomes ``f`` (``:func:`a.b.f``` keeps ``a.b.f``)."""

    def role(match: re.Match[str]) -> str:
        short, target = match.group(1), match.group(2)
        return target.rsplit(".", 1)[-1] if short else target

    return _ROLE.sub(role, _LITERAL.sub(r"\1", text))


def plain_help(parser: argparse.ArgumentParser) -> None:
    """Strip reStructuredText markup from the description, epilog and argument help of
    ``parser`` and of its sub-commands (texts often come from docstrings)."""
    for attr in ("description", "epilog"):
        text = getattr(parser, attr)
        if text:
            setattr(parser, attr, plain_text(text))
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = plain_text(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    choice.help = plain_text(choice.help)
            for child in set(action.choices.values()):
                plain_help(child)


def version() -> str:
    """The installed package's version; in a source tree (no package metadata), the
    version the native module was built with, marked ``(source tree)``."""
    try:
        return importlib.metadata.version("callroute")
    except importlib.metadata.PackageNotFoundError:
        from .._core import __version__

        return f"{__version__} (source tree)"
