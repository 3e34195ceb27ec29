"""An asyncio client for Asterisk's REST interface (ARI): REST calls and the event websocket.

Protocol only: it knows channels, bridges, playbacks and recordings, never calls, queues or
agents. Built on aiohttp (one maintained library for the HTTP client, the websocket and the
test servers).

REST: every call has the client's timeout; HTTP Basic auth; parameters go in the query
string exactly as Asterisk 22 takes them (``channelId``, ``appArgs``, ``callerId``,
``bridgeId``, ``playbackId``, ``mohClass``, ...), channel variables of an originate as the
JSON body ``{"variables": {...}}``. The query is encoded the way the recorded requests are
(``+`` for spaces, ``,`` ``:`` ``;`` ``/`` ``@`` kept, ``=`` ``<`` ``>`` escaped), so a
recorded request and ours are byte-equal. A failure raises a typed
:class:`~callroute.errors.AriError` (see :func:`error_for_status`) carrying the status,
method, path and Asterisk's own message (``message``, or ``error`` for 500s: quirk 28).

Ids are client-chosen where ARI allows (``channel_id``, ``other_channel_id``, ``bridge_id``,
``playback_id``, recording ``name``) because events about an object can arrive before the
REST response that created it (quirks 25, 33).

Events: :meth:`AriClient.events` is an async iterator over typed events (see
:mod:`.events`) and the markers :class:`Connected`/:class:`Disconnected`; it reconnects
forever with capped exponential backoff and jitter until :meth:`AriClient.close`. Events
sent while the websocket was down are lost (Asterisk keeps no backlog), hence
``Connected(resumed=True)``: resync then. The websocket authenticates with ``api_key`` in
the query, as recorded; the key never appears in log lines, errors or markers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from yarl import URL

from callroute.adapters.ari.events import (
    Connected,
    Disconnected,
    MalformedEvent,
    StreamItem,
    parse_event,
)
from callroute.adapters.ari.models import (
    Bridge,
    Channel,
    Endpoint,
    LiveRecording,
    Playback,
    StoredRecording,
    require_object,
)
from callroute.adapters.ari.wire import (
    Params,
    backoff_delay,
    error_for_status,
    join_ids,
    join_media,
    path_segment,
    query_string,
)
from callroute.errors import (
    AriConflict,
    AriError,
    AriProtocolError,
    AriUnavailable,
    AriUnprocessable,
)

_M = TypeVar("_M", Channel, Bridge, Playback, LiveRecording, StoredRecording, Endpoint)

__all__ = ["AriClient", "backoff_delay", "error_for_status", "query_string"]

log = logging.getLogger("callroute.adapters.ari")


class AriClient:
    """Asyncio ARI client: ``async with AriClient(url, user, password, app) as ari: ...``.

    ``base_url`` is Asterisk's HTTP server (``http://127.0.0.1:8088``; a trailing ``/ari``
    is accepted). REST uses HTTP Basic auth with ``user``/``password`` (none when ``user`` is
    empty, e.g. behind a proxy that adds it); the websocket ``api_key=user:password``.
    ``timeout`` bounds every REST call (and each websocket connect attempt); ``backoff`` is
    ``(first delay, cap)`` in seconds for reconnects. ``rng`` seeds the jitter
    (tests); ``heartbeat`` pings the websocket so a dead peer is noticed.
    ``max_connections`` caps concurrent REST connections (kept alive and reused): Asterisk's
    ``http.conf`` ``sessionlimit`` (50 in the recorded setup) counts every HTTP session,
    the event websocket included, so stay below it; the timeout includes waiting for one.
    """

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        timeout: float = 5.0,
        backoff: tuple[float, float] = (0.2, 10.0),
        heartbeat: float | None = 20.0,
        subscribe_all: bool = False,
        rng: random.Random | None = None,
        max_connections: int = 32,
    ) -> None:
        if not app:
            raise AriUnprocessable("app: the Stasis application name must not be empty")
        if not timeout > 0:
            raise AriUnprocessable(f"timeout: must be > 0 seconds, got {timeout!r}")
        if max_connections < 1:
            raise AriUnprocessable(f"max_connections: must be >= 1, got {max_connections!r}")
        if not (0 < backoff[0] <= backoff[1]):
            raise AriUnprocessable(f"backoff: need 0 < first <= cap, got {backoff!r}")
        root = base_url.rstrip("/")
        if root.endswith("/ari"):
            root = root[: -len("/ari")]
        self.base_url = root
        """Asterisk's HTTP root, without ``/ari``."""
        self.app = app
        """The Stasis application name this client registers and originates into."""
        self.timeout = float(timeout)
        """Seconds each REST call may take."""
        self.backoff = (float(backoff[0]), float(backoff[1]))
        """``(first, cap)`` reconnect delays in seconds."""
        self._user = user
        self._password = password
        self._heartbeat = heartbeat
        self._subscribe_all = subscribe_all
        self._rng = rng if rng is not None else random.Random()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse[bool] | None = None
        self._closed = asyncio.Event()
        self._streaming = False
        self._max_connections = max_connections

    # -- lifecycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Create the HTTP session (``async with`` does this); idempotent."""
        if self._closed.is_set():
            raise AriUnavailable("the client is closed", method=None, path=None)
        if self._session is None:
            headers = {"Accept": "application/json"}
            if self._user:
                token = base64.b64encode(f"{self._user}:{self._password}".encode()).decode()
                headers["Authorization"] = f"Basic {token}"
            self._session = aiohttp.ClientSession(
                headers=headers, connector=aiohttp.TCPConnector(limit=self._max_connections)
            )

    async def close(self) -> None:
        """Stop: end :meth:`events` cleanly, close the websocket and the session. Idempotent."""
        self._closed.set()
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed.is_set()

    async def __aenter__(self) -> AriClient:
        """Open the session; the client itself is the context value."""
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close (see :meth:`close`)."""
        await self.close()

    # -- REST core ----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one REST request under ``/ari``; the decoded JSON, or None for an empty body.

        ``path`` starts with ``/`` (``/channels/ID/answer``; ids already encoded), ``params``
        are query pairs (None values left out). Raises the typed errors of
        :func:`error_for_status`, :class:`AriUnavailable` on connection failure or timeout,
        :class:`AriProtocolError` on a 2xx body that is not JSON.
        """
        query = query_string(params or ())
        full = f"/ari{path}" + (f"?{query}" if query else "")
        if self._session is None:
            await self.open()
        session = self._session
        if session is None:  # closed while opening
            raise AriUnavailable("the client is closed", method=method, path=full)
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with session.request(
                method,
                URL(self.base_url + full, encoded=True),
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                status = resp.status
                text = await resp.text(errors="replace")
        except asyncio.TimeoutError:
            raise AriUnavailable(
                f"no response within {self.timeout:g} s", method=method, path=full
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise AriUnavailable(
                f"connection failed: {exc.__class__.__name__}: {exc}", method=method, path=full
            ) from exc
        if status >= 400:
            raise error_for_status(status, method, full, text)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise AriProtocolError(
                f"expected a JSON body, got {text[:80]!r}", status=status, method=method, path=full
            ) from None

    async def _object(
        self, method: str, path: str, params: Params | None = None, body: Any = None
    ) -> Mapping[str, Any]:
        data = await self.request(method, path, params, body)
        try:
            return require_object(data, f"{method} {path}")
        except AriProtocolError as exc:
            raise AriProtocolError(exc.message, method=method, path=f"/ari{path}") from None

    async def _list(self, path: str, params: Params | None = None) -> list[Mapping[str, Any]]:
        data = await self.request("GET", path, params)
        try:
            if not isinstance(data, list):
                raise AriProtocolError(f"expected a JSON list, got {type(data).__name__}")
            return [require_object(item, f"[{i}]") for i, item in enumerate(data)]
        except AriProtocolError as exc:
            raise AriProtocolError(exc.message, method="GET", path=f"/ari{path}") from None

    async def _one(
        self,
        cls: type[_M],
        method: str,
        path: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> _M:
        data = await self.request(method, path, params, body)
        try:
            return cls.from_json(data, cls.__name__)
        except AriProtocolError as exc:
            raise AriProtocolError(exc.message, method=method, path=f"/ari{path}") from None

    async def _many(self, cls: type[_M], path: str) -> list[_M]:
        items = await self._list(path)
        try:
            return [cls.from_json(item, f"{cls.__name__}[{i}]") for i, item in enumerate(items)]
        except AriProtocolError as exc:
            raise AriProtocolError(exc.message, method="GET", path=f"/ari{path}") from None

    # -- asterisk / applications ----------------------------------------------------------

    async def asterisk_info(self) -> Mapping[str, Any]:
        """``GET /asterisk/info``: build, system (``version``), config and status as JSON."""
        return await self._object("GET", "/asterisk/info")

    async def list_applications(self) -> list[Mapping[str, Any]]:
        """``GET /applications``: the registered Stasis apps as JSON objects."""
        return await self._list("/applications")

    async def get_application(self, name: str | None = None) -> Mapping[str, Any]:
        """``GET /applications/{name}`` (default: this client's app) as a JSON object."""
        return await self._object("GET", f"/applications/{path_segment(name or self.app)}")

    # -- channels -----------------------------------------------------------------------

    async def answer(self, channel_id: str) -> None:
        """Answer a channel in the app (204 also when already up; 409 if not in Stasis)."""
        await self.request("POST", f"/channels/{path_segment(channel_id)}/answer")

    async def hangup(self, channel_id: str, reason: str | None = "normal") -> None:
        """``DELETE /channels/{id}?reason=...`` (``reason=None`` sends none). Any channel.

        The resulting soft ChannelHangupRequest has cause 32 whatever the reason (quirk 31).
        """
        await self.request("DELETE", f"/channels/{path_segment(channel_id)}", [("reason", reason)])

    async def ring(self, channel_id: str) -> None:
        """Indicate ringing to the channel."""
        await self.request("POST", f"/channels/{path_segment(channel_id)}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        """Stop indicating ringing."""
        await self.request("DELETE", f"/channels/{path_segment(channel_id)}/ring")

    async def mute(self, channel_id: str, direction: str = "both") -> None:
        """Mute the channel (``direction`` ``both``, ``in`` or ``out``)."""
        await self.request(
            "POST", f"/channels/{path_segment(channel_id)}/mute", [("direction", direction)]
        )

    async def unmute(self, channel_id: str, direction: str = "both") -> None:
        """Unmute the channel."""
        await self.request(
            "DELETE", f"/channels/{path_segment(channel_id)}/mute", [("direction", direction)]
        )

    async def send_dtmf(self, channel_id: str, dtmf: str) -> None:
        """Send DTMF digits to the channel (400 ``DTMF is required`` when empty)."""
        await self.request("POST", f"/channels/{path_segment(channel_id)}/dtmf", [("dtmf", dtmf)])

    async def play(
        self, channel_id: str, media: str | Sequence[str], playback_id: str | None = None
    ) -> Playback:
        """Play media (``sound:name``, ``tone:ring;tonezone=us``, ...) on a channel.

        Its ``state`` is often still ``queued`` though PlaybackStarted came first (quirk 25);
        bad URIs are accepted (201) and fail later or never finish (quirk 29).
        """
        params = [("media", join_media(media)), ("playbackId", playback_id)]
        return await self._one(
            Playback, "POST", f"/channels/{path_segment(channel_id)}/play", params
        )

    async def stop_playback(self, playback_id: str) -> None:
        """``DELETE /playbacks/{id}``: stop a playback (404 once it finished)."""
        await self.request("DELETE", f"/playbacks/{path_segment(playback_id)}")

    async def get_playback(self, playback_id: str) -> Playback:
        """``GET /playbacks/{id}``."""
        return await self._one(Playback, "GET", f"/playbacks/{path_segment(playback_id)}")

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        """Start music on hold on a channel (``mohClass``)."""
        await self.request(
            "POST", f"/channels/{path_segment(channel_id)}/moh", [("mohClass", moh_class)]
        )

    async def stop_moh(self, channel_id: str) -> None:
        """Stop a channel's music on hold."""
        await self.request("DELETE", f"/channels/{path_segment(channel_id)}/moh")

    async def continue_in_dialplan(
        self,
        channel_id: str,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave the app and go on in the dialplan (StasisEnd follows)."""
        params = [
            ("context", context),
            ("extension", extension),
            ("priority", priority),
            ("label", label),
        ]
        await self.request("POST", f"/channels/{path_segment(channel_id)}/continue", params)

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        """Set a channel variable."""
        await self.request(
            "POST",
            f"/channels/{path_segment(channel_id)}/variable",
            [("variable", name), ("value", value)],
        )

    async def get_variable(self, channel_id: str, name: str) -> str:
        """A channel variable's value (``{"value": ...}``)."""
        data = await self._object(
            "GET", f"/channels/{path_segment(channel_id)}/variable", [("variable", name)]
        )
        value = data.get("value")
        if not isinstance(value, str):
            raise AriProtocolError(
                "expected {'value': str}", method="GET", path=f"/ari/channels/{channel_id}"
            )
        return value

    async def get_channel(self, channel_id: str) -> Channel:
        """``GET /channels/{id}`` (404 :class:`AriNotFound` once it is gone)."""
        return await self._one(Channel, "GET", f"/channels/{path_segment(channel_id)}")

    async def list_channels(self) -> list[Channel]:
        """``GET /channels``: every channel Asterisk has (not only the app's)."""
        return await self._many(Channel, "/channels")

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        app_args: str | Sequence[str] = "",
        timeout: int | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
    ) -> Channel:
        """``POST /channels`` into this client's app; the new channel (state ``Down``).

        ``channel_id``/``other_channel_id`` choose the ids of the channel and its Local
        ``;2`` peer: the channel's StasisStart, or a failed dial's whole story, may arrive
        BEFORE this returns (quirk 33). ``timeout`` is the ring time in seconds;
        ``caller_id`` like ``Name <number>``; ``variables`` go in the JSON body;
        ``originator`` does not link lifetimes (quirk 34).
        """
        params: list[tuple[str, str | int | bool | None]] = [
            ("endpoint", endpoint),
            ("app", self.app),
            ("appArgs", join_ids(app_args) or None),
            ("callerId", caller_id),
            ("timeout", timeout),
            ("channelId", channel_id),
            ("otherChannelId", other_channel_id),
            ("originator", originator),
        ]
        body = None if variables is None else {"variables": dict(variables)}
        return await self._one(Channel, "POST", "/channels", params, body)

    async def originate_to_dialplan(
        self,
        endpoint: str,
        *,
        context: str,
        extension: str,
        priority: int = 1,
        caller_id: str | None = None,
        timeout: int | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """``POST /channels`` to a dialplan location instead of the app (not in Stasis)."""
        params: list[tuple[str, str | int | bool | None]] = [
            ("endpoint", endpoint),
            ("context", context),
            ("extension", extension),
            ("priority", priority),
            ("callerId", caller_id),
            ("timeout", timeout),
            ("channelId", channel_id),
            ("otherChannelId", other_channel_id),
        ]
        body = None if variables is None else {"variables": dict(variables)}
        return await self._one(Channel, "POST", "/channels", params, body)

    # -- bridges ------------------------------------------------------------------------

    async def create_bridge(
        self, bridge_id: str, type: str = "mixing", name: str | None = None
    ) -> Bridge:
        """``POST /bridges?type=...&name=...&bridgeId=...`` (``mixing``, ``holding``, ...)."""
        params = [("type", type), ("name", name), ("bridgeId", bridge_id)]
        return await self._one(Bridge, "POST", "/bridges", params)

    async def get_bridge(self, bridge_id: str) -> Bridge:
        """``GET /bridges/{id}``."""
        return await self._one(Bridge, "GET", f"/bridges/{path_segment(bridge_id)}")

    async def destroy_bridge(self, bridge_id: str) -> None:
        """``DELETE /bridges/{id}`` (BridgeDestroyed only if an app channel was in it: 35)."""
        await self.request("DELETE", f"/bridges/{path_segment(bridge_id)}")

    async def add_channel(
        self, bridge_id: str, channel_id: str | Sequence[str], role: str | None = None
    ) -> None:
        """Add channel(s) to a bridge (422 if one is not in Stasis, 400 if it is gone: 28)."""
        params = [("channel", join_ids(channel_id)), ("role", role)]
        await self.request("POST", f"/bridges/{path_segment(bridge_id)}/addChannel", params)

    async def remove_channel(self, bridge_id: str, channel_id: str | Sequence[str]) -> None:
        """Remove channel(s) from a bridge."""
        params = [("channel", join_ids(channel_id))]
        await self.request("POST", f"/bridges/{path_segment(bridge_id)}/removeChannel", params)

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        """Music on hold for a bridge; sends no event at all (quirk 37)."""
        await self.request(
            "POST", f"/bridges/{path_segment(bridge_id)}/moh", [("mohClass", moh_class)]
        )

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        """Stop a bridge's music on hold."""
        await self.request("DELETE", f"/bridges/{path_segment(bridge_id)}/moh")

    async def play_on_bridge(
        self, bridge_id: str, media: str | Sequence[str], playback_id: str | None = None
    ) -> Playback:
        """Play media into a bridge (see :meth:`play`)."""
        params = [("media", join_media(media)), ("playbackId", playback_id)]
        return await self._one(Playback, "POST", f"/bridges/{path_segment(bridge_id)}/play", params)

    async def record_bridge(
        self,
        bridge_id: str,
        name: str,
        format: str = "wav",
        if_exists: str = "fail",
        max_duration: int | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        """Record a bridge under ``name`` (state ``queued``; RecordingStarted may be first).

        The recording ends by itself once the Recorder is alone in the bridge (quirk 36).
        ``max_duration`` (seconds, 0 = unlimited), ``beep``, ``terminate_on`` are sent only
        when given.
        """
        params: list[tuple[str, str | int | bool | None]] = [
            ("name", name),
            ("format", format),
            ("maxDurationSeconds", max_duration),
            ("ifExists", if_exists),
            ("beep", beep),
            ("terminateOn", terminate_on),
        ]
        return await self._one(
            LiveRecording, "POST", f"/bridges/{path_segment(bridge_id)}/record", params
        )

    async def list_bridges(self) -> list[Bridge]:
        """``GET /bridges``."""
        return await self._many(Bridge, "/bridges")

    # -- recordings and endpoints ---------------------------------------------------------

    async def stop_recording(self, name: str) -> None:
        """``POST /recordings/live/{name}/stop`` (RecordingFinished follows)."""
        await self.request("POST", f"/recordings/live/{path_segment(name)}/stop")

    async def get_live_recording(self, name: str) -> LiveRecording:
        """``GET /recordings/live/{name}``."""
        return await self._one(LiveRecording, "GET", f"/recordings/live/{path_segment(name)}")

    async def list_stored_recordings(self) -> list[StoredRecording]:
        """``GET /recordings/stored``."""
        return await self._many(StoredRecording, "/recordings/stored")

    async def get_stored_recording(self, name: str) -> StoredRecording:
        """``GET /recordings/stored/{name}``."""
        return await self._one(StoredRecording, "GET", f"/recordings/stored/{path_segment(name)}")

    async def delete_stored_recording(self, name: str) -> None:
        """``DELETE /recordings/stored/{name}``."""
        await self.request("DELETE", f"/recordings/stored/{path_segment(name)}")

    async def list_endpoints(self) -> list[Endpoint]:
        """``GET /endpoints``."""
        return await self._many(Endpoint, "/endpoints")

    # -- events -------------------------------------------------------------------------

    def events_path(self) -> str:
        """The websocket path with its query, credentials masked (for logs)."""
        return self._events_path(mask=True)

    def _events_path(self, *, mask: bool) -> str:
        key = "***" if mask else f"{self._user}:{self._password}"
        query = query_string(
            [("app", self.app), ("subscribeAll", "true" if self._subscribe_all else "false")]
        )
        return f"/ari/events?{query}&api_key={quote(key, safe=':') if not mask else key}"

    async def events(self) -> AsyncIterator[StreamItem]:
        """Typed events and :class:`Connected`/:class:`Disconnected` markers, until close().

        Reconnects forever (delays from :func:`backoff_delay`); a failed first connect
        yields ``Disconnected`` too (with the status, e.g. 401 for bad credentials), once
        per outage, not per attempt. A non-text frame becomes a :class:`MalformedEvent`.
        Only one iterator may run at a time.
        """
        if self._streaming:
            raise AriConflict("events() is already being iterated", method="GET", path=None)
        self._streaming = True
        try:
            async with contextlib.aclosing(self._stream()) as stream:
                async for item in stream:
                    yield item
        finally:
            self._streaming = False

    async def _stream(self) -> AsyncGenerator[StreamItem, None]:
        was_up = False
        down_reported = False
        attempt = 0
        while not self._closed.is_set():
            reason: str
            error: AriError | None = None
            try:
                ws = await self._connect()
            except AriError as exc:
                reason, error = str(exc), exc
            else:
                attempt = 0
                down_reported = False
                yield Connected(resumed=was_up)
                was_up = True
                reason = "closed"
                try:
                    async for item in self._frames(ws):
                        yield item
                    reason = self._close_reason(ws)
                finally:
                    if self._ws is ws:
                        self._ws = None
                    await ws.close()
            if self._closed.is_set():
                return
            if not down_reported:
                down_reported = True
                yield Disconnected(reason, error)
            delay = backoff_delay(attempt, self.backoff, self._rng)
            attempt += 1
            log.warning("ARI events %s: %s; reconnect in %.2f s", self.events_path(), reason, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closed.wait(), delay)

    def _scrub(self, text: str) -> str:
        """``text`` with the password (plain or URL-encoded) masked, for errors and logs."""
        for secret in {self._password, quote(self._password, safe=":")}:
            if secret:
                text = text.replace(secret, "***")
        return text

    async def _connect(self) -> aiohttp.ClientWebSocketResponse[bool]:
        if self._session is None:
            await self.open()
        session = self._session
        masked = self.events_path()
        if session is None:
            raise AriUnavailable("the client is closed", method="GET", path=masked)
        url = URL(self.base_url + self._events_path(mask=False), encoded=True)
        try:
            ws = await asyncio.wait_for(
                session.ws_connect(url, heartbeat=self._heartbeat, autoping=True), self.timeout
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise error_for_status(exc.status, "GET", masked, self._scrub(exc.message)) from None
        except asyncio.TimeoutError:
            raise AriUnavailable(
                f"no websocket within {self.timeout:g} s", method="GET", path=masked
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise AriUnavailable(
                self._scrub(f"connection failed: {exc.__class__.__name__}: {exc}"),
                method="GET",
                path=masked,
            ) from None
        self._ws = ws
        return ws

    async def _frames(self, ws: aiohttp.ClientWebSocketResponse[bool]) -> AsyncIterator[StreamItem]:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                yield parse_event(str(msg.data))
            elif msg.type == aiohttp.WSMsgType.BINARY:
                data = bytes(msg.data)
                yield MalformedEvent(
                    raw_text=data.decode("utf-8", errors="replace"), reason="binary frame"
                )
            elif msg.type == aiohttp.WSMsgType.ERROR:
                return

    @staticmethod
    def _close_reason(ws: aiohttp.ClientWebSocketResponse[bool]) -> str:
        exc = ws.exception()
        if exc is not None:
            return f"websocket error: {exc.__class__.__name__}: {exc}"
        return f"websocket closed (code {ws.close_code})"
