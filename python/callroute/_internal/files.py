"""One safe reader for the package's YAML, JSON and TOML documents.

Center files and simulation models come from users, and sometimes from strangers. A
617-byte YAML "billion laughs" (anchors whose aliases repeat each other nine times per level)
expands to a billion nodes: read naively it took 300 s and 3 GB before any validation ran.
This reader bounds the work before anything else sees the document:

* the file's size (``max_bytes``);
* in YAML, the number of aliases (``max_aliases``) and the size of the document *as
  expanded*, every alias counted as a copy of what it names (``max_nodes``), both measured
  while the document is composed, before any Python object is built; an alias to a node
  that contains it (a recursive document) is refused too.

Every problem -- unreadable, too big, not UTF-8, not parseable, over a limit -- raises the
caller's error class naming the file: :class:`~callroute.errors.ConfigError` by default (with
``source`` the path), or e.g. :class:`~callroute.errors.ModelError` with the message
``"path: problem"``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import CallrouteError, ConfigError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_NODES", "read_document"]

MAX_BYTES = 16 * 1024 * 1024
"""Largest document read (bytes)."""
MAX_NODES = 2_000_000
"""Largest YAML document as expanded (scalars, sequences and mappings, aliases as copies)."""
MAX_ALIASES = 100_000
"""Most aliases (``*name``) in one YAML document."""


class _LimitError(Exception):
    """A YAML document over a limit, or recursive (raised from inside the composer)."""


def _limited_loader(max_nodes: int, max_aliases: int) -> Any:
    """A SafeLoader class that weighs each node as it is composed."""
    import yaml

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._weights: dict[int, int] = {}
            self._aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                self._aliases += 1
                if self._aliases > max_aliases:
                    line = event.start_mark.line + 1
                    raise _LimitError(f"too big: more than {max_aliases:,} aliases (line {line})")
                node = super().compose_node(parent, index)
                if id(node) not in self._weights:
                    line = event.start_mark.line + 1
                    raise _LimitError(
                        f"recursive: alias *{event.anchor} (line {line}) names a node that "
                        "contains it"
                    )
                return node
            node = super().compose_node(parent, index)
            if node is None:
                return node
            weights = self._weights
            if isinstance(node, yaml.SequenceNode):
                weight = 1 + sum(weights[id(child)] for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                weight = 1 + sum(weights[id(k)] + weights[id(v)] for k, v in node.value)
            else:
                weight = 1
            if weight > max_nodes:
                line = node.start_mark.line + 1
                raise _LimitError(
                    f"too big: expands to more than {max_nodes:,} nodes, aliases counted as "
                    f"copies (line {line}): an alias bomb?"
                )
            weights[id(node)] = weight
            return node

    return Loader


def _fail(error: type[CallrouteError], path: str, problem: str) -> CallrouteError:
    if issubclass(error, ConfigError):
        return error(problems=[problem], source=path)
    return error(f"{path}: {problem}")


def read_document(
    path: str | os.PathLike[str],
    *,
    error: type[CallrouteError] = ConfigError,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
) -> Any:
    """The document in a ``.yaml``/``.yml``, ``.toml`` or (any other name) JSON file.

    Raises ``error`` naming the file on any problem (see the module's docstring).
    """
    p = Path(path)
    source = str(p)
    try:
        with p.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise _fail(error, source, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise _fail(error, source, f"cannot read: larger than {max_bytes:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(error, source, f"cannot read: not UTF-8 text (byte {exc.start})") from None
    suffix = p.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            loader = _limited_loader(max_nodes, max_aliases)(text)
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()
        if suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib

                return tomllib.loads(text)
            raise _fail(error, source, "reading TOML needs Python 3.11 or later")
        return json.loads(text)
    except CallrouteError:
        raise
    except _LimitError as exc:
        raise _fail(error, source, str(exc)) from None
    except RecursionError:
        raise _fail(error, source, "cannot parse: nested too deeply") from None
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise _fail(error, source, f"cannot parse: {detail}") from None
