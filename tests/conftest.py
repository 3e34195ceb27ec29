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


@pytest.fixture
def mid_run_engine() -> Any:
    """A small engine mid-run: c1 connected to a, c2 offered to b, c3 waiting."""
    from callroute import Engine

    eng = Engine(seed=3)
    eng.add_queue("q", skills={"s": 1}, wrapup=5.0)
    eng.add_agent("a", skills={"s": 2})
    eng.add_agent("b", skills={"s": 2})
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 0.5)
    eng.call_arrived("c1", 1.0, queue="q")
    eng.offer_accepted("c1", 2.0)
    eng.call_arrived("c2", 3.0, queue="q")
    eng.call_arrived("c3", 4.0, queue="q")
    return eng
