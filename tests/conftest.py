"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT.parent / "shared" / "data" / "anonymous-bank" / "february-1999.tsv"


@pytest.fixture(scope="module")
def cr() -> Any:
    """The installed package, or a failure that says why it does not import."""
    try:
        import callroute
    except Exception as exc:  # pragma: no cover - an install problem, reported as such
        pytest.fail(f"callroute is not importable: {exc!r}")
    return callroute


@pytest.fixture
def bank_month() -> Path:
    """The real month of bank call records; absent from a user's fresh clone."""
    if not BANK.exists():
        pytest.skip(f"bank call records not found at {BANK} (development workspace only)")
    return BANK
