"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the repository, or beside the worktrees' parent in development
BANK = next(
    (
        p / "anonymous-bank" / "february-1999.tsv"
        for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
        if (p / "anonymous-bank").exists()
    ),
    ROOT.parent / "shared" / "data" / "anonymous-bank" / "february-1999.tsv",
)


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
        pytest.skip(
            f"bank call records not found at {BANK}: the data set is not part of the "
            "repository, only of the development workspace (../shared/data)"
        )
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
