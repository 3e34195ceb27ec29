"""A behavioural fake of Asterisk 22's ARI for tests (REST + events websocket on loopback).

Built from the real transcripts in ``tests/fixtures/asterisk/ari-*.jsonl``; see
``FakeAsterisk`` for the scripting API and ``tests/test_fakeari.py`` for the conformance tests.
Typical use (``tests/`` is on ``sys.path`` under pytest)::

    from fakeari import FakeAsterisk

    async with FakeAsterisk(speed=100) as fake:           # 2 s of ringing = 20 ms
        fake.set_agent("PJSIP/1001", answer_after=2.0, talk=30.0)
        fake.set_agent("PJSIP/1002", answer_after=None)    # rings until the timeout: cause 19
        ...start the app against fake.base_url (user/password "callroute"/...)...
        await fake.wait_connected()                        # events before this are lost
        cid = await fake.place_call(dnis="18005550100", caller="5551001", name="Nora",
                                    dtmf=[(1.0, "4711#")], hangup_after=60.0)
        await fake.wait_event("StasisStart", channel="my-agent-leg-id")
        assert ("POST", f"/ari/channels/{cid}/answer") in [r[:2] for r in fake.requests]

Events reach every connected websocket in publication order; ``fake.events`` keeps the last
``log_size`` of them, ``fake.lost_events`` those published while no websocket was connected,
and ``fake.responses[i].events_before`` tells which events preceded a REST response.
"""

from .server import (
    DEFAULT_MEDIA_DURATIONS,
    DEFAULT_ORDER,
    FakeAsterisk,
    RecordedRequest,
    RecordedResponse,
)
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
    "RecordedResponse",
]
