"""Wire details of ARI shared by the client: query encoding, error mapping, reconnect delays.

The query is encoded the way the recorded requests of Asterisk 22 are (``+`` for spaces;
``,`` ``:`` ``;`` ``/`` ``@`` kept; ``=`` ``<`` ``>`` escaped). Error statuses map to the
typed errors of :mod:`callroute.errors` as README quirk 28 describes them.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus

from callroute.errors import (
    AriConflict,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnprocessable,
)

__all__ = [
    "Params",
    "backoff_delay",
    "error_for_status",
    "join_ids",
    "join_media",
    "path_segment",
    "query_string",
]

_TAG = re.compile(r"<[^>]*>")
_SAFE = ":/@,;"
"""Query value characters left unescaped, as in the recorded requests."""

Params = Iterable[tuple[str, "str | int | bool | None"]]
"""Query parameters in the order they are sent: ``(name, value)``, None values left out."""


def query_string(params: Params) -> str:
    """``k=v&...`` of the pairs whose value is not None, encoded as Asterisk's clients do.

    Booleans become ``true``/``false``; spaces ``+``; ``,:;/@`` stay as they are.
    """
    parts = []
    for key, value in params:
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f"{quote_plus(key, safe='')}={quote_plus(text, safe=_SAFE)}")
    return "&".join(parts)


def path_segment(value: str) -> str:
    """One path segment (an id or name), percent-encoded; an empty id is refused.

    Refusing ``""`` matters: ``hangup("")`` would otherwise be ``DELETE /channels``.
    """
    if not isinstance(value, str) or not value:
        raise AriUnprocessable(f"expected a non-empty id string, got {value!r}")
    return quote(value, safe="")


def join_media(media: str | Sequence[str]) -> str:
    """One media URI, or several comma-joined (ARI plays them in turn)."""
    if isinstance(media, str):
        return media
    items = list(media)
    if not items or not all(isinstance(m, str) and m for m in items):
        raise AriUnprocessable(f"media: expected a URI or a non-empty list of URIs, got {media!r}")
    return ",".join(items)


def join_ids(ids: str | Sequence[str]) -> str:
    """One id, or several comma-joined (``addChannel?channel=a,b`` as recorded)."""
    return ids if isinstance(ids, str) else ",".join(ids)


def _message(body: str) -> str:
    """Asterisk's error text: JSON ``message`` (or ``error``), else the body's start."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        for key in ("message", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
    text = " ".join(_TAG.sub(" ", body).split())  # an HTML error page as its text (quirk 30)
    return text[:200] if text else "(empty body)"


def error_for_status(status: int, method: str, path: str, body: str) -> AriError:
    """The typed error for an HTTP error ``status`` (401/403, 404, 409/412, 400/422, 5xx).

    By status only: the reason phrase varies (``Not found`` for bridges, ``Not Found``
    elsewhere: quirk 28), and the same ``Channel not in Stasis application`` is a 409 for a
    channel operation but a 422 for a bridge ``addChannel``. Other statuses give the base
    :class:`~callroute.errors.AriError`.
    """
    message = _message(body)
    cls: type[AriError]
    if status in (401, 403):
        cls = AriUnauthorized
    elif status == 404:
        cls = AriNotFound
    elif status in (409, 412):
        cls = AriConflict
    elif status in (400, 422):
        cls = AriUnprocessable
    elif status >= 500:
        cls = AriServerError
    else:
        cls = AriError
    return cls(message, status=status, method=method, path=path)


def backoff_delay(attempt: int, backoff: tuple[float, float], rng: random.Random) -> float:
    """Seconds to wait before reconnect ``attempt`` (0-based): capped doubling, with jitter.

    ``min(cap, base * 2**attempt)`` times a uniform factor in [0.5, 1]: never above the cap,
    never below half the un-jittered delay, so many clients do not reconnect in step.
    """
    base, cap = backoff
    return float(min(cap, base * 2.0 ** min(attempt, 60)) * rng.uniform(0.5, 1.0))
