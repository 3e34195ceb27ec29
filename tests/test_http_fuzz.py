"""Any body, any path segment: never a 500, always a JSON answer (hypothesis over loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from _http_util import HANG_GUARD, Client, LocalRuntime, make_center, serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["media", "tenant", "queue", "skills", "priority", "data", "reason", "x"])
BODY = st.dictionaries(KEYS, JSON, max_size=6) | JSON
SEGMENT = st.sampled_from(["anna", "farid", "bank", "chat-1", "x"]) | st.text(
    min_size=1, max_size=12
)
WHO = st.sampled_from(["anna", "bank_admin", "bank_supervisor", "center_admin", "mobile_admin"])


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[asyncio.AbstractEventLoop, LocalRuntime, Client]]:
    loop = asyncio.new_event_loop()
    rt = LocalRuntime(make_center())
    server = serve(rt)
    client = loop.run_until_complete(server.__aenter__())
    loop.run_until_complete(rt.agent_ready("anna"))
    yield loop, rt, client
    with contextlib.suppress(Exception):
        loop.run_until_complete(server.__aexit__(None, None, None))
    loop.close()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    who=WHO,
    route=st.sampled_from(
        [
            "/tasks",
            "/agents/{s}/not-ready",
            "/agents/{s}/ready",
            "/tasks/{s}/accept",
            "/tasks/{s}/end",
            "/agents/{s}/{s}",
        ]
    ),
    segment=SEGMENT,
    body=BODY,
    raw=st.booleans(),
)
def test_no_body_or_path_gives_a_500(
    live: Any, who: str, route: str, segment: str, body: Any, raw: bool
) -> None:
    loop, _rt, client = live
    path = route.replace("{s}", quote(segment, safe=""))
    if raw:
        payload = json.dumps(body).encode()[: max(1, len(json.dumps(body)) // 2)]
    else:
        payload = json.dumps(body).encode()

    async def go() -> tuple[int, Any, str]:
        return await client.call(
            "POST", path, who, data=payload, headers={"Content-Type": "application/json"}
        )

    status, parsed, text = loop.run_until_complete(asyncio.wait_for(go(), HANG_GUARD))
    assert status < 500, text
    assert isinstance(parsed, dict), text
    if status >= 400:
        assert set(parsed) == {"error", "message"}, text
