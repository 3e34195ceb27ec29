"""The runtime's HTTP surface (aiohttp): presence, tasks, screen-pop streams, stats, metrics.

:func:`build_app` wraps a :class:`~callroute.runtime.api.RuntimeAPI`. Every route but
``GET /health`` needs ``Authorization: Bearer <token>`` (see :mod:`callroute.runtime.auth`);
scoping follows the center's tenancy: agents act on themselves, a tenant's operators on
their tenant, center operators on all.

Routes::

    GET  /health                           no token; {"status": "ok"}
    GET  /metrics                          Prometheus text (view_stats; scoped)
    GET  /stats                            JSON statistics (view_stats; ?tenant= to narrow)
    GET  /queues                           the queues in reach, with tenant and media
    GET  /calls                            active calls/tasks in reach
    GET  /agents/{a}                       state and reason (the agent, or view_stats)
    POST /agents/{a}/login|ready|not-ready|logout|wrapup-done
                                           the agent itself, or login_agents;
                                           not-ready takes {"reason": str} (default "break")
    GET  /agents/{a}/stream                SSE: the agent's offers (screen-pops), state
    GET  /tenants/{t}/stream               SSE: every event of tenant t (view_stats)
    POST /tasks                            {"media", "tenant"?, "queue"? | "skills"?,
                                            "priority"?, "data"?} -> 201 {"task": id}
                                           (change_queues on the tenant)
    POST /tasks/{id}/accept|decline|end    the agent offered/holding it, or login_agents

Streams are Server-Sent Events rather than websockets: screen-pops flow one way (every
action is a POST), SSE is plain HTTP (same Bearer header, proxies, ``curl -N``) and its
clients reconnect by themselves. A stream opens with the comment ``: subscribed`` once its
subscription is live, sends ``: keepalive`` every 15 s, and each event as
``id: n`` / ``event: <type>`` / ``data: <json>``.

Errors are JSON ``{"error": <type>, "message": <text>}``: 400 bad input, 401 no/unknown
token, 403 out of reach (same text whether the target exists or not), 404 unknown id (for a
center operator) or route, 405, 409 a state conflict (accepting a task never offered, ...).
A handler error that is not the client's fault is logged with the request and answered 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from ..center.tenancy import Permission
from ..errors import (
    CallrouteError,
    ConfigError,
    DuplicateIdError,
    InvalidEventError,
    ParameterError,
    PermissionDenied,
    TimeError,
    UnknownIdError,
)
from .api import RuntimeAPI, engine_stats, queue_media, queue_tenant, runtime_engine
from .auth import Access, TokenTable, Unauthorized
from .metrics import Metrics
from .scrub import scrub
from .webhook import CrmWebhook

__all__ = ["KEEPALIVE_SECONDS", "build_app", "scrub"]

log = logging.getLogger(__name__)


def _kind_name(exc: CallrouteError) -> str:
    """What went wrong, by its class of callroute.errors: ``InvalidEventError`` also for the
    engine's ``EngineInvalidEventError`` (the ``Engine`` marker says who raised it, which an
    HTTP client need not know)."""
    for cls in type(exc).__mro__:
        if not cls.__name__.startswith("Engine") and issubclass(cls, CallrouteError):
            return cls.__name__
    return type(exc).__name__


KEEPALIVE_SECONDS = 15.0
_MAX_BODY = 64 * 1024
_MAX_DATA = 100

_RUNTIME = web.AppKey("runtime", RuntimeAPI)
_TOKENS = web.AppKey("tokens", TokenTable)
_METRICS = web.AppKey("metrics", Metrics)
_WEBHOOK = web.AppKey("webhook", CrmWebhook)
#: Set on shutdown: the open streams end (cleanly: the chunked response is finished).
_CLOSING = web.AppKey("closing", asyncio.Event)


class RequestError(CallrouteError, ValueError):
    """A request body or parameter that is not what the route takes (HTTP 400)."""


# ------------------------------------------------------------------------ error handling

_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (Unauthorized, 401),
    (PermissionDenied, 403),
    (UnknownIdError, 404),
    (DuplicateIdError, 409),
    (InvalidEventError, 409),
    (RequestError, 400),
    (ParameterError, 400),
    (ConfigError, 400),
    (TimeError, 400),
)


def _error(status: int, kind: str, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="callroute"'} if status == 401 else None
    return web.json_response({"error": kind, "message": message}, status=status, headers=headers)


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, type(exc).__name__, exc.reason)
    except CallrouteError as exc:
        for kind, status in _STATUS:
            if isinstance(exc, kind):
                if status == 401:  # never the header itself: it may hold a real token
                    log.warning(
                        "%s %s from %s refused: %s",
                        request.method,
                        request.path,
                        request.remote,
                        exc,
                    )
                else:
                    log.info("%s %s: %s %s", request.method, request.path, type(exc).__name__, exc)
                return _error(status, _kind_name(exc), str(exc))
        log.exception("%s %s: unexpected callroute error", request.method, request.path)
        return _error(500, "InternalError", "internal error (logged)")
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("%s %s failed (query %r)", request.method, request.path, request.query_string)
        return _error(500, "InternalError", "internal error (logged)")


@web.middleware
async def _auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    # Every route but /health, even one whose handler forgot to ask (handlers authenticate
    # again through _access to learn who is asking).
    if not (request.method == "GET" and request.path == "/health"):
        request.app[_TOKENS].authenticate(request.headers.get("Authorization"))
    return await handler(request)


# ------------------------------------------------------------------------ helpers


def _access(request: web.Request) -> Access:
    who = request.app[_TOKENS].authenticate(request.headers.get("Authorization"))
    runtime = request.app[_RUNTIME]
    return Access(runtime.center, who, runtime_engine(runtime))


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > _MAX_BODY:
        raise RequestError(f"body too large (limit {_MAX_BODY} bytes)")
    raw = await request.content.read(_MAX_BODY + 1)
    if len(raw) > _MAX_BODY:
        raise RequestError(f"body too large (limit {_MAX_BODY} bytes)")
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"body is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise RequestError(f"body must be a JSON object, got {type(parsed).__name__}")
    return parsed


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _field(body: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    if key not in body or body[key] is None:
        return default
    value = body[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON true/false are never numbers here.
    if isinstance(value, bool) and bool not in kinds:
        raise RequestError(f"{key!r} must be {_names(kinds)}, got a boolean")
    if not isinstance(value, kinds):
        raise RequestError(f"{key!r} must be {_names(kinds)}, got {_json_kind(value)}")
    return value


def _names(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", dict: "an object", float: "a number"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _json_kind(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", list: "an array"}.get(
        type(value), "an object" if isinstance(value, dict) else type(value).__name__
    )


def _only(body: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise RequestError(f"unknown field(s) {', '.join(map(repr, extra))}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ------------------------------------------------------------------------ handlers


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _scoped_stats(request: web.Request, access: Access) -> dict[str, Any]:
    """Statistics of the tenants in reach (``?tenant=`` narrows), computed here from the
    runtime's engine (:func:`~callroute.runtime.api.engine_stats`): one shape whatever the
    runtime, and nothing of another tenant ever assembled for a scoped caller."""
    tenants = access.tenants("view_stats")
    if not tenants:
        raise PermissionDenied(f"{access.who.label} may not view statistics")
    wanted = request.query.get("tenant")
    if wanted is not None:
        access.tenant(wanted, "view_stats")
    elif access.who.scope == "center":
        return engine_stats(access.center, None, access.engine)
    return engine_stats(access.center, wanted if wanted is not None else tenants[0], access.engine)


async def _stats(request: web.Request) -> web.Response:
    access = _access(request)
    return web.json_response(_jsonable(_scoped_stats(request, access)))


async def _metrics(request: web.Request) -> web.Response:
    access = _access(request)
    stats = _scoped_stats(request, access)
    body = request.app[_METRICS].render(stats)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


async def _queues(request: web.Request) -> web.Response:
    access = _access(request)
    center = request.app[_RUNTIME].center
    mine = set(access.tenants("view_stats"))
    if not mine:
        raise PermissionDenied(f"{access.who.label} may not view queues")
    out = [
        {"queue": q, "tenant": queue_tenant(center, q), "media": queue_media(center, q)}
        for q in access.engine.queues()
        if queue_tenant(center, q) in mine
    ]
    return web.json_response({"queues": out})


async def _calls(request: web.Request) -> web.Response:
    access = _access(request)
    center = request.app[_RUNTIME].center
    out = []
    for call in access.visible_calls():
        info = access.engine.call_info(call)
        out.append(
            {
                "call": call,
                "queue": info.queue,
                "tenant": queue_tenant(center, info.queue),
                "media": queue_media(center, info.queue),
                "state": info.state,
                "agent": info.agent,
            }
        )
    return web.json_response({"calls": out})


def _agent_name(request: web.Request, access: Access, permission: Permission) -> str:
    agent = request.match_info["agent"]
    access.agent(agent, permission)
    if agent not in access.center.agents:
        raise UnknownIdError(f"unknown agent {agent!r}")
    return agent


async def _agent_get(request: web.Request) -> web.Response:
    access = _access(request)
    agent = _agent_name(request, access, "view_stats")
    engine = access.engine
    return web.json_response(
        {
            "agent": agent,
            "tenant": access.center.ownership.agents.get(agent),
            "state": engine.agent_state(agent),
            "reason": engine.agent_reason(agent),
        }
    )


_AGENT_ACTIONS = ("login", "ready", "not-ready", "logout", "wrapup-done")


async def _agent_action(request: web.Request) -> web.Response:
    access = _access(request)
    action = request.match_info["action"]
    if action not in _AGENT_ACTIONS:
        raise web.HTTPNotFound(reason=f"no agent action {action!r}")
    agent = _agent_name(request, access, "login_agents")
    body = await _body(request)
    runtime = request.app[_RUNTIME]
    if action == "not-ready":
        _only(body, {"reason"})
        reason = _field(body, "reason", str, "break")
        if not reason or len(reason) > 100 or not reason.isprintable():
            raise RequestError("'reason' must be 1 to 100 printable characters")
        await runtime.agent_not_ready(agent, reason)
    else:
        _only(body, set())
        calls = {
            "login": runtime.agent_login,
            "ready": runtime.agent_ready,
            "logout": runtime.agent_logout,
            "wrapup-done": runtime.wrapup_done,
        }
        await calls[action](agent)
    engine = access.engine
    return web.json_response(
        {"agent": agent, "state": engine.agent_state(agent), "reason": engine.agent_reason(agent)}
    )


async def _agent_preview(request: web.Request) -> web.Response:
    """``POST /agents/{agent}/previews/{campaign}/{contact}/accept|reject``: the agent's
    answer to an outbound preview (campaigns of the agent's own tenant only)."""
    access = _access(request)
    action = request.match_info["action"]
    if action not in ("accept", "reject"):
        raise web.HTTPNotFound(reason=f"no preview action {action!r}")
    agent = _agent_name(request, access, "login_agents")
    _only(await _body(request), set())
    runtime: Any = request.app[_RUNTIME]
    campaign, contact = request.match_info["campaign"], request.match_info["contact"]
    plan = getattr(runtime, "outbound", None)
    found = plan.campaigns.get(campaign) if plan is not None else None
    if found is None or found.config.tenant != access.center.ownership.agents.get(agent):
        raise UnknownIdError(f"unknown campaign {campaign!r}")  # another tenant's: unseen
    if action == "accept":
        dialled = await runtime.preview_accept(campaign, contact, agent)
        return web.json_response({"campaign": campaign, "contact": contact, "dialled": dialled})
    await runtime.preview_reject(campaign, contact)
    return web.json_response({"campaign": campaign, "contact": contact, "dialled": False})


_TASK_FIELDS = {"media", "tenant", "queue", "skills", "priority", "data"}


async def _task_submit(request: web.Request) -> web.Response:
    access = _access(request)
    if not access.tenants("change_queues"):
        raise PermissionDenied(f"{access.who.label} may not submit tasks")
    body = await _body(request)
    _only(body, _TASK_FIELDS)
    media = _field(body, "media", str, None)
    if not media:
        raise RequestError('\'media\' is required (e.g. "chat", "email")')
    tenant = _field(body, "tenant", str, None)
    if tenant is None:
        if access.who.kind != "operator" or access.who.scope != "tenant":
            raise RequestError("'tenant' is required")
        tenant = access.who.tenant
    access.tenant(tenant, "change_queues")
    _admit(access, tenant, media)
    queue = _field(body, "queue", str, None)
    skills = _field(body, "skills", dict, None)
    if (queue is None) == (skills is None):
        raise RequestError("give exactly one of 'queue' or 'skills'")
    if queue is not None:
        access.queue(queue, "change_queues")
        if queue_tenant(access.center, queue) != tenant:
            raise PermissionDenied(f"{access.who.label} cannot reach queue {queue!r}")
        if queue_media(access.center, queue) != media:
            raise RequestError(
                f"queue {queue!r} takes {queue_media(access.center, queue)!r}, not {media!r}"
            )
    if skills is not None:
        for k, v in skills.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise RequestError(f"'skills'[{k!r}] must be an integer level")
    priority = _field(body, "priority", int, 0)
    data = _field(body, "data", dict, None)
    if data is not None:
        if len(data) > _MAX_DATA:
            raise RequestError(f"'data' may hold at most {_MAX_DATA} entries")
        for k, v in data.items():
            if not 1 <= len(k) <= 100:
                raise RequestError("'data' keys must be 1 to 100 characters")
            if not isinstance(v, (str, int, float, bool)):
                raise RequestError(
                    f"'data'[{k!r}] must be a string, number or boolean, got {_json_kind(v)}"
                )
    try:
        task = await request.app[_RUNTIME].submit_task(
            media, tenant, queue=queue, skills=skills, priority=priority, data=data
        )
    except UnknownIdError as exc:  # a name in the body (skill, media): the body is wrong
        raise RequestError(str(exc)) from None
    return web.json_response({"task": task, "tenant": tenant}, status=201)


def _admit(access: Access, tenant: str, media: str) -> None:
    """The tenant's hosting terms: its inbound media and its lease window (wall clock)."""
    hosted = access.center.tenants[tenant]
    if media not in hosted.inbound:
        allowed = ", ".join(sorted(hosted.inbound)) or "none"
        raise PermissionDenied(f"tenant {tenant!r} may not take {media!r} in (allowed: {allowed})")
    if hosted.lease is not None:
        why = hosted.lease.refusal(datetime.now(timezone.utc))
        if why is not None:
            raise PermissionDenied(f"tenant {tenant!r} is not hosted now: {why}")


_TASK_ACTIONS = ("accept", "decline", "end")


async def _task_action(request: web.Request) -> web.Response:
    access = _access(request)
    action = request.match_info["action"]
    if action not in _TASK_ACTIONS:
        raise web.HTTPNotFound(reason=f"no task action {action!r}")
    task = request.match_info["task"]
    access.call(task, "login_agents")
    _only(await _body(request), set())
    runtime = request.app[_RUNTIME]
    if action == "accept":
        await runtime.accept_task(task)
    elif action == "decline":
        await runtime.decline_task(task)
    else:
        await runtime.end_task(task)
    return web.json_response({"task": task, "done": action})


# ------------------------------------------------------------------------ streams


async def _sse(request: web.Request, events: AsyncIterator[dict[str, Any]]) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    iterator = aiter(events)
    pending: asyncio.Task[dict[str, Any]] | None = None
    seq = 0
    stop = asyncio.ensure_future(request.app[_CLOSING].wait())
    try:
        await response.prepare(request)
        await response.write(b": subscribed\n\n")
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait(
                {pending, stop}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if stop in done:
                break
            if pending not in done:
                await response.write(b": keepalive\n\n")
                continue
            task, pending = pending, None
            try:
                event = task.result()
            except StopAsyncIteration:
                break
            seq += 1
            payload = json.dumps(_jsonable(scrub(event)), separators=(",", ":"))
            kind = str(event.get("type", "message")).replace("\n", " ")
            await response.write(f"id: {seq}\nevent: {kind}\ndata: {payload}\n\n".encode())
    except (ConnectionResetError, ConnectionError):
        log.info("stream %s closed by its client", request.path)
    except Exception:
        # The response has started: no error answer is possible any more; end the stream.
        log.exception("stream %s failed after %d events; closing it", request.path, seq)
    finally:
        stop.cancel()
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
    return response


async def _agent_stream(request: web.Request) -> web.StreamResponse:
    access = _access(request)
    agent = _agent_name(request, access, "view_stats")
    runtime = request.app[_RUNTIME]
    return await _sse(request, runtime.subscribe(agent=agent))


async def _tenant_stream(request: web.Request) -> web.StreamResponse:
    access = _access(request)
    tenant = request.match_info["tenant"]
    access.tenant(tenant, "view_stats")
    return await _sse(request, request.app[_RUNTIME].subscribe(tenant=tenant))


# ------------------------------------------------------------------------ the app


async def _close_streams(app: web.Application) -> None:
    """On shutdown, end the open streams (they would otherwise hold it up to its timeout)."""
    app[_CLOSING].set()


async def _run_webhook(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.ensure_future(app[_WEBHOOK].run())
    yield
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


def build_app(runtime: RuntimeAPI) -> web.Application:
    """The HTTP application over ``runtime`` (tokens from ``runtime.center``). When a
    tenant has a ``crm_webhook``, the app posts its offers there while it runs
    (:class:`~callroute.runtime.webhook.CrmWebhook`).

    Serve it with ``aiohttp.web.AppRunner`` / ``TCPSite`` on loopback (the default of
    ``callroute serve``); put TLS in front of it before exposing it further.
    """
    app = web.Application(middlewares=[_errors, _auth], client_max_size=_MAX_BODY)
    app[_RUNTIME] = runtime
    app[_TOKENS] = TokenTable(runtime.center)
    app[_METRICS] = Metrics()
    app[_CLOSING] = asyncio.Event()
    app.on_shutdown.append(_close_streams)
    if not len(app[_TOKENS]):
        log.warning("no agent or operator of %s has a token: only /health answers", runtime.center)
    webhook = CrmWebhook(runtime)
    if webhook:
        app[_WEBHOOK] = webhook
        app.cleanup_ctx.append(_run_webhook)
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/stats", _stats)
    app.router.add_get("/queues", _queues)
    app.router.add_get("/calls", _calls)
    app.router.add_get("/agents/{agent}", _agent_get)
    app.router.add_get("/agents/{agent}/stream", _agent_stream)
    app.router.add_post("/agents/{agent}/{action}", _agent_action)
    app.router.add_post("/agents/{agent}/previews/{campaign}/{contact}/{action}", _agent_preview)
    app.router.add_get("/tenants/{tenant}/stream", _tenant_stream)
    app.router.add_post("/tasks", _task_submit)
    app.router.add_post("/tasks/{task}/{action}", _task_action)
    return app
