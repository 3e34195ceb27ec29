"""A behavioural fake of Asterisk 22's ARI for tests (REST + events websocket on loopback).

Built from the real transcripts in ``tests/fixtures/asterisk/ari-*.jsonl``; see
``FakeAsterisk`` for the scripting API and ``tests/test_fakeari.py`` for the conformance tests.
"""

from .server import DEFAULT_MEDIA_DURATIONS, DEFAULT_ORDER, FakeAsterisk, RecordedRequest
from .state import AgentScript, FakeBridge, FakeChannel, FakePlayback, FakeRecording

__all__ = [
    "DEFAULT_MEDIA_DURATIONS",
    "DEFAULT_ORDER",
    "AgentScript",
    "FakeAsterisk",
    "FakeBridge",
    "FakeChannel",
    "FakePlayback",
    "FakeRecording",
    "RecordedRequest",
]
