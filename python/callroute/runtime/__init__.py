"""The live runtime: the imperative shell around the engine (PBX, journal, HTTP API)."""
