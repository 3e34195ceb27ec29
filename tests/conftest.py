"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT.parent / "shared" / "data" / "anonymous-bank" / "february-1999.tsv"


@pytest.fixture
def bank_month() -> Path:
    """The real month of bank call records; absent from a user's fresh clone."""
    if not BANK.exists():
        pytest.skip(f"bank call records not found at {BANK} (development workspace only)")
    return BANK
