"""Attached data fit for a screen: entries whose key names a secret are removed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["scrub"]

#: Words of attached-data keys never shown on a screen-pop, whatever a flow stored.
_SECRET_WORDS = frozenset(
    {"pin", "password", "passwd", "passcode", "secret", "cvv", "cvc", "otp", "tan"}
)


def _secret_key(key: str) -> bool:
    # "pin", "new_pin", "cardPIN", "userPin", "Password" are secrets; "pinned", "spinner" not.
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return any(word in _SECRET_WORDS for word in re.findall(r"[a-z0-9]+", spaced.lower()))


def scrub(event: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` without attached-data entries whose key names a secret (PIN, password,
    ...). The IVR never stores a PIN; this keeps a flow's own mistake off every desktop."""
    out = dict(event)
    data = out.get("data")
    if isinstance(data, Mapping):
        out["data"] = {k: v for k, v in data.items() if not _secret_key(str(k))}
    return out
