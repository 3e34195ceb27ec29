"""HTTP API: tokens everywhere but /health, bad input as 4xx JSON, the token schema."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from _http_util import LocalRuntime, center_mapping, make_center, serve, token
from callroute.center import load_mapping
from callroute.errors import ConfigError
from callroute.runtime.auth import token_sha256
from callroute.runtime.http import build_app

# Every route of the app with a concrete path (placeholders filled with real names).
ROUTES = [
    ("GET", "/metrics"),
    ("GET", "/stats"),
    ("GET", "/queues"),
    ("GET", "/calls"),
    ("GET", "/agents/anna"),
    ("GET", "/agents/anna/stream"),
    ("POST", "/agents/anna/login"),
    ("POST", "/agents/anna/ready"),
    ("POST", "/agents/anna/not-ready"),
    ("POST", "/agents/anna/logout"),
    ("POST", "/agents/anna/wrapup-done"),
    ("POST", "/agents/anna/previews/cards/k1/accept"),
    ("GET", "/tenants/bank/stream"),
    ("POST", "/tasks"),
    ("POST", "/tasks/chat-1/accept"),
    ("POST", "/tasks/chat-1/decline"),
    ("POST", "/tasks/chat-1/end"),
]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_the_route_list_covers_the_app() -> None:
    """Every route the app declares (but /health) is exercised by ROUTES below."""
    app = build_app(LocalRuntime(make_center()))
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        canonical = route.resource.canonical if route.resource is not None else ""
        if canonical == "/health":
            continue
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(canonical)) + "$")
        assert any(m == route.method and pattern.match(p) for m, p in ROUTES), canonical


def test_health_needs_no_token_and_everything_else_does() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            status, body, _ = await client.call("GET", "/health", None)
            assert (status, body) == (200, {"status": "ok"})
            for method, path in ROUTES:
                for headers in (
                    {},
                    {"Authorization": "Bearer not-a-token"},
                    {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
                    {"Authorization": "Bearer"},
                    # the hash itself is not the token
                    {"Authorization": f"Bearer {token_sha256(token('center_admin'))}"},
                ):
                    status, body, _ = await client.call(method, path, None, headers=headers)
                    assert status == 401, (method, path, headers)
                    assert body["error"] == "Unauthorized"
                    assert body["message"]
            # nothing changed
            assert rt.published == []
            assert rt.center.engine.agent_state("anna") == "logged_out"

    run(go())


def test_agents_act_only_on_themselves() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            status, body, _ = await client.call("POST", "/agents/anna/login", "anna")
            assert (status, body["state"], body["reason"]) == (200, "not_ready", "login")
            status, body, _ = await client.call("POST", "/agents/anna/ready", "anna")
            assert (status, body["state"]) == (200, "ready")
            for other in ("ben", "farid", "nobody"):
                status, body, _ = await client.call("POST", f"/agents/{other}/ready", "anna")
                assert status == 403
                assert body["error"] == "PermissionDenied"
                status, _, _ = await client.call("GET", f"/agents/{other}", "anna")
                assert status == 403
            assert rt.center.engine.agent_state("ben") == "logged_out"
            # an agent sees no statistics, queues or other streams
            for path in ("/stats", "/metrics", "/queues"):
                status, _, _ = await client.call("GET", path, "anna")
                assert status == 403, path
            status, body, _ = await client.call("GET", "/agents/anna", "anna")
            assert body == {"agent": "anna", "tenant": "bank", "state": "ready", "reason": None}

    run(go())


def test_unknown_names_same_answer_as_foreign_for_a_tenant_operator() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            foreign = await client.call("POST", "/agents/farid/ready", "bank_supervisor")
            unknown = await client.call("POST", "/agents/zed/ready", "bank_supervisor")
            assert foreign[0] == unknown[0] == 403
            assert foreign[1]["message"].replace("farid", "X") == unknown[1]["message"].replace(
                "zed", "X"
            )
            # a center operator may learn that a name does not exist
            status, body, _ = await client.call("POST", "/agents/zed/ready", "center_admin")
            assert (status, body["error"]) == (404, "UnknownIdError")
            status, body, _ = await client.call("POST", "/tasks/nope/end", "center_admin")
            assert status == 404
            status, body, _ = await client.call("POST", "/tasks/nope/end", "bank_supervisor")
            assert status == 403

    run(go())


BAD_BODIES: list[tuple[str, str, Any, int]] = [
    # (path, who, raw body, expected status)
    ("/agents/anna/not-ready", "anna", b"{not json", 400),
    ("/agents/anna/not-ready", "anna", b"[1, 2]", 400),
    ("/agents/anna/not-ready", "anna", b'"break"', 400),
    ("/agents/anna/not-ready", "anna", b'{"reason": 5}', 400),
    ("/agents/anna/not-ready", "anna", b'{"reason": true}', 400),
    ("/agents/anna/not-ready", "anna", b'{"reason": ""}', 400),
    ("/agents/anna/not-ready", "anna", b'{"reason": "x", "extra": 1}', 400),
    ("/agents/anna/ready", "anna", b'{"what": 1}', 400),
    ("/agents/anna/not-ready", "anna", b"\xff\xfe", 400),
    ("/agents/anna/dance", "anna", b"", 404),
    ("/tasks", "bank_admin", b"{}", 400),
    ("/tasks", "bank_admin", b'{"media": 3, "queue": "bank_chat"}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat"}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "skills": {}}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "priority": "high"}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "priority": true}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "data": [1]}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "data": {"a": [1]}}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "skills": {"billing": "x"}}', 400),
    ("/tasks", "bank_admin", b'{"media": "voice", "queue": "bank_chat"}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "skills": {"nope": 1}}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "mobile_sales"}', 403),
    ("/tasks", "bank_admin", b'{"media": "chat", "tenant": "mobile", "queue": "bank_chat"}', 403),
    ("/tasks", "center_admin", b'{"media": "chat", "queue": "bank_chat"}', 400),
    ("/tasks", "bank_supervisor", b'{"media": "chat", "queue": "bank_chat"}', 403),
    ("/tasks", "anna", b'{"media": "chat", "queue": "bank_chat", "tenant": "bank"}', 403),
    ("/tasks/chat-1/accept", "anna", b"", 403),
    ("/agents/anna/not-ready", "anna", b'{"reason": "a\\u0000b"}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "priority": 1e400}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "data": {"x": NaN}}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "data": {"": 1}}', 400),
    (
        "/tasks",
        "bank_admin",
        b'{"media": "chat", "queue": "bank_chat", "priority": 99999999999}',
        400,
    ),
    ("/tasks", "bank_admin", b'{"media": "chat", "skills": {"billing": 256}}', 400),
    ("/tasks", "bank_admin", b'{"media": "chat", "queue": "bank_chat", "data": {"n": 1e30}}', 201),
    ("/tasks", "center_admin", b'{"media": "chat", "tenant": "nope", "queue": "bank_chat"}', 404),
]


@pytest.mark.parametrize(("path", "who", "raw", "expected"), BAD_BODIES)
def test_bad_input_is_a_4xx_json_error(path: str, who: str, raw: bytes, expected: int) -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            before = rt.center.engine.snapshot()
            status, body, text = await client.call(
                "POST", path, who, data=raw, headers={"Content-Type": "application/json"}
            )
            assert status == expected, text
            if expected == 201:  # a float is a float, however large (the control case)
                return
            assert set(body) == {"error", "message"}
            assert body["message"]
            assert rt.center.engine.snapshot() == before

    run(go())


def test_state_conflicts_are_409_and_wrong_methods_405() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            # wrap-up done for an agent not in wrap-up: the engine says the state is wrong
            status, body, _ = await client.call("POST", "/agents/anna/wrapup-done", "anna")
            assert (status, body["error"]) == (409, "InvalidEventError")
            status, body, _ = await client.call("DELETE", "/stats", "center_admin")
            assert status == 405
            assert set(body) == {"error", "message"}
            status, body, _ = await client.call("GET", "/nowhere", "center_admin")
            assert status == 404
            assert set(body) == {"error", "message"}

    run(go())


def test_token_schema_rejects_plain_tokens_and_shared_ones() -> None:
    data = center_mapping()
    data["agents"]["anna"]["token_sha256"] = "my-secret-token"
    with pytest.raises(ConfigError) as err:
        load_mapping(data, source="center.yaml")
    assert err.value.source == "center.yaml"
    assert any(p.startswith("agents.anna.token_sha256:") for p in err.value.problems)
    assert "my-secret-token" not in str(err.value)

    data = center_mapping()
    data["operators"]["bank_admin"]["token_sha256"] = data["agents"]["ben"]["token_sha256"]
    with pytest.raises(ConfigError) as err:
        load_mapping(data, source="center.yaml")
    assert any(
        p.startswith("operators.bank_admin.token_sha256:") and "agents.ben" in p
        for p in err.value.problems
    )

    data = center_mapping()
    data["operators"]["bank_admin"]["scope"] = "galaxy"
    with pytest.raises(ConfigError) as err:
        load_mapping(data, source="center.yaml")
    assert any(p.startswith("operators.bank_admin.scope:") for p in err.value.problems)


def test_a_center_without_tokens_still_loads_and_denies_everything() -> None:
    from callroute.center import example_config_path, load

    center = load(example_config_path())  # no token fields at all: unchanged behaviour
    assert all(op.token_sha256 == () and op.scope == "tenant" for op in center.operators.values())

    async def go() -> None:
        async with serve(LocalRuntime(center)) as client:
            assert (await client.call("GET", "/health", None))[0] == 200
            assert (await client.call("GET", "/stats", "bank_admin"))[0] == 401

    run(go())


def test_tokens_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            with caplog.at_level(logging.DEBUG):
                await client.call(
                    "GET", "/stats", None, headers={"Authorization": "Bearer s3cr3t-guess"}
                )
                await client.call("POST", "/agents/ben/ready", "anna")  # 403, logged
                await client.call("POST", "/agents/anna/ready", "anna", data=b"{bad")  # 400
                await client.call("GET", "/stats", "center_admin")

    run(go())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in text  # the 401 was logged...
    for secret in ("s3cr3t-guess", token("anna"), token("center_admin")):
        assert secret not in text  # ...without any token


def test_rotation_two_tokens_at_once_then_the_old_one_removed() -> None:
    old, new = token("anna"), "a-new-token-for-anna-fedcba9876543210"
    data = center_mapping()
    data["agents"]["anna"]["token_sha256"] = [token_sha256(old), token_sha256(new).upper()]

    async def go(center: Any, expect_old: int) -> None:
        async with serve(LocalRuntime(center)) as client:
            auth_new = {"Authorization": f"Bearer {new}"}
            status, body, _ = await client.call("GET", "/agents/anna", None, headers=auth_new)
            assert (status, body["agent"]) == (200, "anna")
            assert (await client.call("GET", "/agents/anna", "anna"))[0] == expect_old

    run(go(load_mapping(data, source="center.yaml"), 200))
    data["agents"]["anna"]["token_sha256"] = [token_sha256(new)]
    run(go(load_mapping(data, source="center.yaml"), 401))

    for bad in ([], [token_sha256(new)] * 2, [token_sha256(new), "nope"], ["a" * 64] * 5):
        data["agents"]["anna"]["token_sha256"] = bad
        with pytest.raises(ConfigError) as err:
            load_mapping(data, source="center.yaml")
        assert any(p.startswith("agents.anna.token_sha256") for p in err.value.problems), bad
    # a hash in another principal's list is a shared token too
    data["agents"]["anna"]["token_sha256"] = [token_sha256(new), token_sha256(token("ben"))]
    with pytest.raises(ConfigError) as err:
        load_mapping(data, source="center.yaml")
    assert any("agents.anna" in p and "agents.ben" in p for p in err.value.problems)
