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

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_NODES",
    "Lines",
    "read_document",
    "read_document_lines",
    "read_text",
    "read_yaml_text",
]

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


Lines = dict[tuple[Any, ...], int]
"""Where each part of a document starts: path (mapping keys as read, list indices as ints)
-> line number (1-based). A mapping entry is at its key's line."""

MAX_LINED_BYTES = 4 * 1024 * 1024
"""Largest JSON document whose line numbers are worked out (a YAML one always gets them)."""


def read_text(
    path: str | os.PathLike[str],
    *,
    error: type[CallrouteError] = ConfigError,
    max_bytes: int = MAX_BYTES,
    encoding: str = "utf-8",
) -> str:
    """The UTF-8 text of a file of at most ``max_bytes`` (``encoding="utf-8-sig"`` drops a
    byte-order mark); raises ``error`` naming the file when it cannot be read, is larger,
    or is not UTF-8."""
    source = str(path)
    try:
        with Path(path).open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise _fail(error, source, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise _fail(error, source, f"cannot read: larger than {max_bytes:,} bytes")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _fail(error, source, f"cannot read: not UTF-8 text (byte {exc.start})") from None


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
    data, _ = _read(path, error, max_bytes, max_nodes, max_aliases, lines=False)
    return data


def read_document_lines(
    path: str | os.PathLike[str],
    *,
    error: type[CallrouteError] = ConfigError,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
) -> tuple[Any, Lines]:
    """:func:`read_document`, and the line where each part of the document starts
    (:data:`Lines`; empty for TOML, and for JSON over 4 MiB or that YAML cannot read), so
    problems can name the line the user wrote.
    """
    return _read(path, error, max_bytes, max_nodes, max_aliases, lines=True)


def read_yaml_text(
    text: str,
    *,
    source: str = "<text>",
    error: type[CallrouteError] = ConfigError,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
) -> tuple[Any, Lines]:
    """A YAML document given as text, read with the same limits as a file, and its
    :data:`Lines`; raises ``error`` naming ``source`` on any problem."""
    if len(text) > MAX_BYTES:
        raise _fail(error, source, f"cannot read: larger than {MAX_BYTES:,} bytes")
    try:
        return _yaml(text, max_nodes, max_aliases, lines=True)
    except _LimitError as exc:
        raise _fail(error, source, str(exc)) from None
    except RecursionError:
        raise _fail(error, source, "cannot parse: nested too deeply") from None
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise _fail(error, source, f"cannot parse: {detail}") from None


def _node_lines(loader: Any, root: Any, limit: int) -> Lines:
    """The line of every path of a composed (and constructed) YAML node tree."""
    import yaml

    out: Lines = {}
    stack: list[tuple[tuple[Any, ...], Any]] = [((), root)]
    seen = 0
    while stack and seen <= limit:
        path, node = stack.pop()
        seen += 1
        out.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                try:
                    name = loader.construct_object(key)
                except Exception:  # an odd key: its value keeps the parent's line
                    continue
                if isinstance(name, (list, dict)):
                    continue
                out.setdefault((*path, name), key.start_mark.line + 1)
                stack.append(((*path, name), value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append(((*path, i), item))
    return out


def _read(
    path: str | os.PathLike[str],
    error: type[CallrouteError],
    max_bytes: int,
    max_nodes: int,
    max_aliases: int,
    *,
    lines: bool,
) -> tuple[Any, Lines]:
    p = Path(path)
    source = str(p)
    text = read_text(p, error=error, max_bytes=max_bytes)
    suffix = p.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return _yaml(text, max_nodes, max_aliases, lines=lines)
        if suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib

                return tomllib.loads(text), {}
            raise _fail(error, source, "reading TOML needs Python 3.11 or later")
        data = json.loads(text)
    except CallrouteError:
        raise
    except _LimitError as exc:
        raise _fail(error, source, str(exc)) from None
    except RecursionError:
        raise _fail(error, source, "cannot parse: nested too deeply") from None
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise _fail(error, source, f"cannot parse: {detail}") from None
    found: Lines = {}
    # characters first: never more than the bytes, and counted without encoding again
    if lines and len(text) <= MAX_LINED_BYTES and len(text.encode()) <= MAX_LINED_BYTES:
        try:  # JSON is (nearly) YAML: its lines, when YAML reads it
            _, found = _yaml(text, max_nodes, max_aliases, lines=True)
        except Exception:
            found = {}
    return data, found


def _yaml(text: str, max_nodes: int, max_aliases: int, *, lines: bool) -> tuple[Any, Lines]:
    loader = _limited_loader(max_nodes, max_aliases)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
        return data, (_node_lines(loader, node, max_nodes) if lines else {})
    finally:
        loader.dispose()
