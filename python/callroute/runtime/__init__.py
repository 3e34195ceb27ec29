"""The live runtime: the imperative shell around the engine (journal, PBX, HTTP)."""

from __future__ import annotations

from .journal import Journal, JournaledEngine, JournalError

__all__ = ["Journal", "JournalError", "JournaledEngine"]
