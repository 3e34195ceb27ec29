"""The fake Asterisk server: lifecycle, clock, websocket, event emission and the scripting API."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

from . import shapes
from .flows import FlowsMixin
from .rest import RestMixin
from .state import AgentScript, FakeBridge, FakeChannel, FakePlayback, FakeRecording

#: Seconds each recorded prompt played for (PlaybackStarted -> PlaybackFinished).
DEFAULT_MEDIA_DURATIONS = {
    "sound:callroute-welcome": 1.5,
    "sound:callroute-beep": 0.4,
    "sound:callroute-sorry": 1.2,
}

#: When the events an operation causes go out relative to its REST response. The default is
#: the majority ordering of the transcripts; ``originate`` pushes the synchronous events of an
#: originate (setup, Dial, ringing, an immediate failure or answer + StasisStart) BEFORE the
#: response, as recorded for agent3 (no-answer) and agent7 (busy, README quirk 33).
DEFAULT_ORDER = {
    "originate": "events_first",
    "answer": "response_first",
    "hangup": "response_first",
    "play": "response_first",
    "variable": "events_first",
    "add_channel": "events_first",
    "remove_channel": "events_first",
    "record": "events_first",
    "stop_recording": "response_first",
    "stop_playback": "events_first",
    "destroy_bridge": "response_first",
    "continue": "events_first",
}


class RecordedRequest(NamedTuple):
    """One REST request the fake received: ``(method, path, query, body)``."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


class RecordedResponse(NamedTuple):
    """One REST response the fake sent, with ``events_before``: how many events had been
    published when it went out (compare with ``mark()`` values to assert orderings)."""

    method: str
    path: str
    status: int
    events_before: int


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int


@dataclass
class _Conn:
    ws: web.WebSocketResponse
    transport: Any
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None


class FakeAsterisk(FlowsMixin, RestMixin):
    """A behavioural fake of Asterisk 22's ARI (REST + events websocket) on 127.0.0.1.

    ``speed`` divides every far-end delay (ring time, talk time, prompt length, DTMF spacing):
    ``speed=100`` makes a 2 s ring take 20 ms of loop time. Timestamps in events run on the
    fake's virtual clock (loop time x speed from 2026-12-02T09:36:26Z), like the recording's.
    """

    def __init__(
        self,
        app: str = "callroute",
        user: str = "callroute",
        password: str = "callroute-test-secret",
        *,
        speed: float = 1.0,
        destroyed_before_stasis_end: bool = False,
        media_durations: dict[str, float] | None = None,
        default_agent: AgentScript | None = None,
        log_size: int | None = 10_000,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self.app = app
        self.user = user
        self.password = password
        self.speed = float(speed)
        #: emit ChannelDestroyed before StasisEnd for originated channels ending in Stasis
        #: (the recordings show it after; Asterisk publishes them on different topics)
        self.destroyed_before_stasis_end = destroyed_before_stasis_end
        self.order: dict[str, str] = dict(DEFAULT_ORDER)
        self.media_durations = dict(DEFAULT_MEDIA_DURATIONS)
        if media_durations:
            self.media_durations.update(media_durations)
        self.default_media_duration = 1.0
        #: virtual seconds an originated leg sent back to the dialplan lives before hanging up
        self.continue_hangup_after = 1.0
        self.missing_media: set[str] = {"sound:no-such-sound-file"}
        self.default_agent = default_agent or AgentScript()
        self.agents: dict[str, AgentScript] = {}
        #: live channels by id (destroyed ones are removed)
        self.channels: dict[str, FakeChannel] = {}
        self.bridges: dict[str, FakeBridge] = {}
        self.playbacks: dict[str, FakePlayback] = {}
        #: live and finished recordings by name
        self.recordings: dict[str, FakeRecording] = {}
        self.stored_recordings: dict[str, str] = {}
        #: endpoint ("PJSIP/1001") -> "online" | "offline"
        self.endpoints: dict[str, str] = {}
        self.requests: collections.deque[RecordedRequest] = collections.deque(maxlen=log_size)
        self.responses: collections.deque[RecordedResponse] = collections.deque(maxlen=log_size)
        #: every event Asterisk published (sent or lost), in order
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        #: events published while no websocket was connected (lost, as on a real Asterisk)
        self.lost_events: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self.ws_connects = 0
        #: ``endpoint:`` event sources the app subscribed to (``PJSIP/1001`` or ``PJSIP``)
        self.endpoint_subscriptions: set[str] = set()
        #: a websocket connected with ``subscribeAll=true`` (only endpoint events are affected)
        self.subscribe_all = False
        #: number of events published so far (``mark()``; ``wait_event(since=...)``)
        self.published = 0
        self._failures: list[_Failure] = []
        self._conns: list[_Conn] = []
        self._waiters: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Future[Any]]] = []
        self._connected = asyncio.Event()
        self._refuse_ws_until = 0.0
        self._uid = 0
        self._chan_seq = 0
        self._t0 = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._timers: set[asyncio.TimerHandle] = set()
        self._scratch: dict[int, dict[str, Any]] = {}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start the HTTP/websocket server on 127.0.0.1 with an OS-chosen port."""
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._connected = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/ari/events", self._ws_handler)
        self._add_routes(app.router)
        app.router.add_route("*", "/{tail:.*}", self._h_not_found)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Cancel every far-end timer, close the websockets and stop the server."""
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
        for conn in list(self._conns):
            await self._close_conn(conn)
        for _, fut in self._waiters:
            if not fut.done():
                fut.cancel()
        self._waiters.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeAsterisk:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the ARI root is ``base_url + "/ari"``)."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._port

    # ----------------------------------------------------------------- clock

    def now(self) -> float:
        """Virtual seconds since ``start()`` (loop time multiplied by ``speed``)."""
        assert self._loop is not None, "FakeAsterisk not started"
        return (self._loop.time() - self._t0) * self.speed

    def epoch(self) -> float:
        """The fake's wall clock as Unix seconds (starts at 2026-12-02T09:36:26Z)."""
        return shapes.BASE_EPOCH + 26.0 + self.now()

    def ts(self) -> str:
        """The current ARI timestamp string."""
        return shapes.timestamp(self.epoch())

    def later(
        self, delay: float, fn: Callable[..., Any], *args: Any, owner: FakeChannel | None = None
    ) -> asyncio.TimerHandle:
        """Run ``fn(*args)`` after ``delay`` virtual seconds; ``owner``'s hangup cancels it."""
        assert self._loop is not None, "FakeAsterisk not started"
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            self._timers.discard(handle)  # type: ignore[arg-type]
            if owner is not None:
                with contextlib.suppress(ValueError):
                    owner.timers.remove(handle)  # type: ignore[arg-type]
            fn(*args)

        handle = self._loop.call_later(max(0.0, delay) / self.speed, fire)
        self._timers.add(handle)
        if owner is not None:
            owner.timers.append(handle)
        return handle

    @property
    def timers_pending(self) -> int:
        """How many far-end actions are scheduled (0 once every call has ended)."""
        return len(self._timers)

    def cancel(self, handle: asyncio.TimerHandle | None) -> None:
        """Cancel a handle returned by ``later``."""
        if handle is not None:
            handle.cancel()
            self._timers.discard(handle)

    def new_uniqueid(self, count: int = 1) -> str:
        """Allocate ``count`` uniqueids (a Local pair takes two) and return the last one."""
        self._uid += count
        return f"{shapes.SYSTEM_NAME}-{int(self.epoch())}.{self._uid - 1}"

    def new_chan_seq(self) -> str:
        """The next 8-hex-digit channel name suffix (``Local/x@ctx-0000000a;1``)."""
        seq = self._chan_seq
        self._chan_seq += 1
        return f"{seq:08x}"

    # ----------------------------------------------------------------- events

    def emit(self, event: dict[str, Any]) -> None:
        """Publish one event: to every connected websocket, or lost when none is connected."""
        shapes.envelope(event, self.app)
        self.events.append(event)
        self.published += 1
        if not self._conns:
            self.lost_events.append(event)
        else:
            text = json.dumps(event, separators=(",", ":"))
            for conn in self._conns:
                conn.queue.put_nowait(text)
        if self._waiters:
            keep = []
            for pred, fut in self._waiters:
                if fut.done():
                    continue
                if pred(event):
                    fut.set_result(event)
                else:
                    keep.append((pred, fut))
            self._waiters = keep

    def emit_all(self, events: Iterable[dict[str, Any]]) -> None:
        """Publish several events in order."""
        for event in events:
            self.emit(event)

    async def flush(self) -> None:
        """Wait until every event published so far has been written to the websockets."""
        await asyncio.gather(*(conn.queue.join() for conn in list(self._conns)))

    async def wait_event(
        self,
        kind: str,
        *,
        channel: str | None = None,
        timeout: float = 5.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
        since: int | None = None,
    ) -> dict[str, Any]:
        """Wait (real seconds, hang guard) for an event of type ``kind`` (about ``channel``:
        a channel, Dial peer or bridge id). Only events published after ``since`` (a
        ``mark()``) count; by default only those published after this call."""

        def pred(event: dict[str, Any]) -> bool:
            if event.get("type") != kind:
                return False
            if channel is not None:
                ids = {(event.get(k) or {}).get("id") for k in ("channel", "peer", "bridge")}
                if channel not in ids:
                    return False
            return where is None or where(event)

        if since is not None:
            first = self.published - len(self.events)
            for i in range(max(0, since - first), len(self.events)):
                if pred(self.events[i]):
                    return self.events[i]
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((pred, fut))
        return await asyncio.wait_for(fut, timeout)

    def mark(self) -> int:
        """The number of events published so far, for ``wait_event(since=...)``."""
        return self.published

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until at least one events websocket is connected."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    @property
    def ws_connected(self) -> bool:
        """True while at least one events websocket is connected."""
        return bool(self._conns)

    def inject_raw(self, text: str) -> None:
        """Send ``text`` as-is as one websocket text frame (malformed-event tests)."""
        for conn in self._conns:
            conn.queue.put_nowait(text)

    def drop_websocket(self, down_for: float = 0.0) -> None:
        """Cut every events websocket abruptly (no close frame).

        Events published until the client reconnects are lost. For ``down_for`` real seconds
        the upgrade is refused with ``503`` so the gap lasts at least that long.
        """
        assert self._loop is not None, "FakeAsterisk not started"
        self._refuse_ws_until = self._loop.time() + down_for
        conns, self._conns = self._conns, []
        self._connected.clear()
        for conn in conns:
            if conn.transport is not None:
                conn.transport.abort()
            conn.queue.put_nowait(None)

    def restart_pbx(self, down_for: float = 0.0) -> None:
        """Asterisk restarts: the websocket drops (as ``drop_websocket``), every channel,
        bridge, playback and live recording is gone without a single event, and uniqueids
        start again at ``.0`` (README: "Asterisk was restarted ... so its uniqueids start
        again at .0"). Scripts, endpoints and stored recordings survive."""
        self.drop_websocket(down_for)
        for channel in list(self.channels.values()):
            self.forget(channel)
        for playback in self.playbacks.values():
            self.cancel(playback.timer)
        for recording in self.recordings.values():
            if recording.state == "recording":
                self.cancel(recording.timer)
                recording.state = "failed"
        self.playbacks.clear()
        self.bridges.clear()
        self._uid = 0
        self._chan_seq = 0

    async def _close_conn(self, conn: _Conn) -> None:
        if conn in self._conns:
            self._conns.remove(conn)
        if not self._conns:
            self._connected.clear()
        conn.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.ws.close(), 1.0)  # a client that never answers

    async def _writer(self, conn: _Conn) -> None:
        while True:
            text = await conn.queue.get()
            try:
                if text is None:
                    return
                if not conn.ws.closed:
                    await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass
            finally:
                conn.queue.task_done()

    def _credentials_ok(self, request: web.Request) -> bool:
        want = f"{self.user}:{self.password}"
        if request.query.get("api_key") == want:
            return True
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                return base64.b64decode(header[6:]).decode() == want
            except (ValueError, UnicodeDecodeError):
                return False
        return False

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        self._log_request(request, None)
        if "app" not in request.query:
            return web.Response(
                status=400, text=shapes.html_400_missing_app(), content_type="text/html"
            )
        if not self._credentials_ok(request):
            return self._unauthorized()
        assert self._loop is not None
        if self._loop.time() < self._refuse_ws_until:
            return web.Response(
                status=503,
                text='{"message":"Service Unavailable"}',
                content_type="application/json",
            )
        if request.query["app"] != self.app:
            # Asterisk would register another app; this fake serves one
            return web.Response(
                status=400,
                text='{"message":"Invalid application provided"}',
                content_type="application/json",
            )
        if request.query.get("subscribeAll", "").lower() in ("true", "yes", "1"):
            self.subscribe_all = True
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws=ws, transport=request.transport)
        conn.writer = asyncio.create_task(self._writer(conn))
        self._conns.append(conn)
        self.ws_connects += 1
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            if conn in self._conns:
                self._conns.remove(conn)
                if not self._conns:
                    self._connected.clear()
            conn.queue.put_nowait(None)
        return ws

    # ----------------------------------------------------------------- REST plumbing

    @staticmethod
    def _unauthorized() -> web.Response:
        return web.Response(
            status=401,
            text='{"message":"Authentication required"}',
            content_type="application/json",
            headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
        )

    def scratch(self, request: web.Request) -> dict[str, Any]:
        """Per-request storage of the fake (parsed body, response ordering mark)."""
        return self._scratch.setdefault(id(request), {})

    def _log_request(self, request: web.Request, body: Any) -> None:
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.query), body)
        )

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if request.path == "/ari/events":
            result: web.StreamResponse = await handler(request)
            return result
        body: Any = None
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        self._scratch[id(request)] = {"body": body}
        self._log_request(request, body)
        if not self._credentials_ok(request):
            return self._unauthorized()
        try:
            return await self._dispatch(request, handler)
        finally:
            self._scratch.pop(id(request), None)

    async def _dispatch(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        for failure in self._failures:
            if failure.method in ("*", request.method) and failure.pattern.search(request.path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                self._log_response(request, failure.status)
                return web.Response(
                    status=failure.status,
                    text=json.dumps(failure.body, separators=(",", ":")),
                    content_type="application/json",
                )
        response: web.StreamResponse = await handler(request)
        self._log_response(request, response.status)
        return response

    def _log_response(self, request: web.Request, status: int) -> None:
        mark = self.scratch(request).get("events_before", self.published)
        self.responses.append(RecordedResponse(request.method, request.path, status, mark))

    # ----------------------------------------------------------------- scripting API

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        message: str = "Internal Server Error",
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` (or ``*``) and ``path_regex``
        (``re.search`` on the path, e.g. ``r"/channels$"``) with ``status`` and
        ``{"message": message}`` (or ``body``) instead of handling them."""
        self._failures.append(
            _Failure(
                method.upper(),
                re.compile(path_regex),
                status,
                body if body is not None else {"message": message},
                times,
            )
        )

    def set_agent(
        self,
        endpoint: str,
        answer_after: float | None = 2.0,
        *,
        busy: bool = False,
        congestion: bool = False,
        unreachable: bool = False,
        talk: float | None = None,
        reject_after: float = 0.0,
        online: bool = True,
        amd: str | None = None,
    ) -> AgentScript:
        """Script the far end of ``endpoint`` (``"PJSIP/1001"``, ``"Local/agent1@agents"``).

        See ``AgentScript``. Changing ``online`` publishes ``EndpointStateChange`` (to an app
        subscribed to the endpoint).
        """
        script = AgentScript(
            answer_after=answer_after,
            busy=busy,
            congestion=congestion,
            unreachable=unreachable,
            talk=talk,
            reject_after=reject_after,
            online=online,
            amd=amd,
        )
        self.agents[endpoint] = script
        state = "online" if online else "offline"
        previous = self.endpoints.get(endpoint)
        self.endpoints[endpoint] = state
        if previous is not None and previous != state:
            self._endpoint_changed(endpoint)
        return script

    def set_endpoint_state(self, endpoint: str, online: bool) -> None:
        """Take ``endpoint`` offline/online (``EndpointStateChange`` if the app subscribed to
        it), keeping its script."""
        script = self.agents.get(endpoint) or AgentScript(**vars(self.default_agent))
        script.online = online
        self.agents[endpoint] = script
        state = "online" if online else "offline"
        if self.endpoints.get(endpoint) != state:
            self.endpoints[endpoint] = state
            self._endpoint_changed(endpoint)

    def _endpoint_changed(self, endpoint: str) -> None:
        """EndpointStateChange, published only to an app subscribed to the endpoint (or its
        technology) or connected with ``subscribeAll=true``, as ARI does."""
        tech = endpoint.partition("/")[0]
        subs = self.endpoint_subscriptions
        if self.subscribe_all or endpoint in subs or tech in subs:
            self.emit(shapes.ev_endpoint(self.ts(), self.endpoint_json(endpoint)))

    def endpoint_json(self, endpoint: str) -> dict[str, Any]:
        """The ARI ``Endpoint`` object of ``endpoint``."""
        tech, _, resource = endpoint.partition("/")
        prefix = endpoint + "-"
        channel_ids = (
            [
                c.id
                for c in self.channels.values()
                if c.role == "agent" and c.name.startswith(prefix)
            ]
            if self.endpoints.get(endpoint) == "online"
            else []
        )
        return {
            "technology": tech,
            "resource": resource,
            "state": self.endpoints.get(endpoint, "unknown"),
            "channel_ids": channel_ids,
        }

    async def place_call(
        self,
        dnis: str = "18005550100",
        caller: str = "5551001",
        name: str = "Carl Caller",
        args: tuple[str, ...] | list[str] | None = None,
        dtmf: Iterable[tuple[float, str]] = (),
        hangup_after: float | None = None,
        *,
        answered: bool = False,
        dialplan: tuple[str, str, int] | None = None,
        channel_name: str | None = None,
    ) -> str:
        """A caller dials ``dnis`` and enters ``Stasis(app, *args)`` unanswered (state Ring).

        ``args`` defaults to ``("inbound", dnis)`` as recorded. ``dtmf`` is ``[(t, digits)]``
        with ``t`` seconds after the app answers (the caller's phone sends digits only once
        answered, 0.3 s apart). ``hangup_after``: the caller hangs up that many seconds after
        being placed (its patience), whatever state the call is in. Returns the channel id.
        ``answered``/``dialplan`` (context, exten, priority)/``channel_name`` describe a
        dialplan that answers before ``Stasis()`` (the ari-stasis-dtmf channel 2); by default
        the channel is ``Local/<dnis>@acd-inbound-…;2`` at ``acd-inbound,<dnis>,3`` as in the
        ``ari-acd-*`` recordings.
        """
        if args is None:
            args = ("inbound", dnis)
        channel = self.start_caller(
            dnis,
            caller,
            name,
            list(args),
            list(dtmf),
            hangup_after,
            answered=answered,
            dialplan=dialplan,
            channel_name=channel_name,
        )
        await self.flush()
        return channel.id

    async def caller_dtmf(
        self, channel_id: str, digits: str, *, gap: float = 0.3, duration_ms: int = 100
    ) -> None:
        """The far end of ``channel_id`` sends ``digits`` (``ChannelDtmfReceived`` each,
        ``gap`` virtual seconds apart)."""
        for i, digit in enumerate(digits):
            if i:
                await asyncio.sleep(gap / self.speed)
            channel = self.channels.get(channel_id)
            if channel is None or not channel.alive:
                return
            self.send_dtmf_event(channel, digit, duration_ms)
        await self.flush()

    async def hangup(self, channel_id: str, cause: int = 16) -> None:
        """The far end of ``channel_id`` hangs up (caller or agent leg)."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise KeyError(f"no live channel {channel_id!r} in the fake")
        self.far_hangup(channel, cause)
        await self.flush()

    def roles(self) -> dict[str, str]:
        """Channel id -> role (caller/agent/peer) of every live channel."""
        return {cid: c.role for cid, c in self.channels.items()}
