"""A transcript-replay ARI server for the adapter tests (loopback aiohttp, port 0).

It knows nothing of ARI semantics: it answers the REST requests of one recorded transcript
(``tests/fixtures/asterisk/ari-*.jsonl``) with the recorded status, reason and body, in the
recorded order, after checking that each request is the recorded one byte for byte (method,
path with query, JSON body, Authorization header present/absent and equal); and on
``/ari/events`` it plays scripted websocket connections (recorded handshake failures, or
recorded frames followed by a drop or by holding the socket open).

Mismatches are answered with status 599 and collected in ``server.mismatches``, so a test
fails with the difference instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "asterisk"
TRANSCRIPTS = sorted(p.name for p in FIXTURES.glob("ari-*.jsonl"))


@dataclass(frozen=True)
class Exchange:
    """One recorded REST request and the response Asterisk gave."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    status: int
    reason: str
    response_headers: dict[str, str]
    response_body: str


@dataclass(frozen=True)
class Handshake:
    """One recorded websocket upgrade attempt."""

    path: str
    status: int
    reason: str
    headers: dict[str, str]
    body: str


@dataclass
class Transcript:
    """The records of one ``ari-*.jsonl`` file, split by kind."""

    name: str
    records: list[dict[str, Any]]
    exchanges: list[Exchange] = field(default_factory=list)
    handshakes: list[Handshake] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)


def load(name: str) -> Transcript:
    """Read a transcript and pair each http-request with its http-response."""
    records = [json.loads(line) for line in (FIXTURES / name).read_text().splitlines()]
    t = Transcript(name, records)
    responses = {r["req"]: r for r in records if r["kind"] == "http-response"}
    pending_ws: dict[str, Any] | None = None
    for q in records:
        kind = q["kind"]
        if kind == "http-request":
            r = responses[q["seq"]]  # KeyError: an unanswered request in the transcript
            t.exchanges.append(
                Exchange(
                    method=q["method"],
                    path=q["path"],
                    headers={k.lower(): v for k, v in q["headers"]},
                    body=q["body"],
                    status=r["status"],
                    reason=r["reason"],
                    response_headers={k.lower(): v for k, v in r["headers"]},
                    response_body=r["body"],
                )
            )
        elif kind == "ws-connect":
            pending_ws = q
        elif kind == "ws-handshake":
            assert pending_ws is not None, f"{name}: handshake without connect"
            t.handshakes.append(
                Handshake(
                    path=pending_ws["path"],
                    status=q["status"],
                    reason=q["reason"],
                    headers={k.lower(): v for k, v in q["headers"]},
                    body=q.get("body", ""),
                )
            )
            pending_ws = None
        elif kind == "ws-message":
            t.frames.append(q["text"])
    return t


@dataclass
class WsPlan:
    """What one websocket connection does.

    ``reject``: answer the upgrade with this recorded handshake (status, headers, body).
    Otherwise accept, send ``frames`` (text) and ``binary`` frames, then ``drop`` (close the
    connection) or hold it open until the client leaves.
    """

    frames: Sequence[str] = ()
    binary: Sequence[bytes] = ()
    drop: bool = False
    reject: Handshake | None = None


class ReplayServer:
    """Serves one transcript's exchanges in order and scripted websocket connections."""

    def __init__(
        self,
        exchanges: Sequence[Exchange] = (),
        ws_plans: Sequence[WsPlan] = (),
        *,
        ws_path: str | None = None,
        hang: Sequence[str] = (),
    ) -> None:
        self.exchanges = list(exchanges)
        self.ws_plans = list(ws_plans)
        self.ws_path = ws_path
        self.hang = set(hang)
        self.received: list[tuple[str, str, str | None]] = []
        self.mismatches: list[str] = []
        self.ws_connects: list[str] = []
        self.ws_open = 0
        self._stop = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        """Listen on 127.0.0.1, a free port; ``base_url`` is then ``http://127.0.0.1:PORT``."""
        app = web.Application()
        app.router.add_route("GET", "/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Release hanging handlers and close every connection."""
        self._stop.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body = await request.text() if request.can_read_body else None
        raw = request.raw_path
        self.received.append((request.method, raw, body))
        if raw.split("?")[0] in self.hang:
            await self._stop.wait()
            return web.Response(status=599, text="released")
        if not self.exchanges:
            return self._mismatch(f"unexpected request {request.method} {raw}")
        ex = self.exchanges.pop(0)
        got_auth = request.headers.get("Authorization")
        problems = []
        if (request.method, raw) != (ex.method, ex.path):
            problems.append(f"request {request.method} {raw}, recorded {ex.method} {ex.path}")
        if (body or None) != ex.body:
            problems.append(f"body {body!r}, recorded {ex.body!r}")
        if got_auth != ex.headers.get("authorization"):
            problems.append(
                f"Authorization {got_auth!r}, recorded {ex.headers.get('authorization')!r}"
            )
        if ex.body is not None and request.headers.get("Content-Type") != ex.headers.get(
            "content-type"
        ):
            problems.append(f"Content-Type {request.headers.get('Content-Type')!r}")
        if problems:
            return self._mismatch("; ".join(problems))
        headers = {}
        if "content-type" in ex.response_headers:
            headers["Content-Type"] = ex.response_headers["content-type"]
        if "www-authenticate" in ex.response_headers:
            headers["WWW-Authenticate"] = ex.response_headers["www-authenticate"]
        return web.Response(
            status=ex.status,
            reason=ex.reason,
            body=ex.response_body.encode() if ex.status != 204 else None,
            headers=headers,
        )

    def _mismatch(self, text: str) -> web.Response:
        self.mismatches.append(text)
        return web.Response(status=599, text=json.dumps({"message": text}))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        raw = request.raw_path
        self.ws_connects.append(raw)
        if self.ws_path is not None and raw != self.ws_path:
            return self._mismatch(f"websocket path {raw}, recorded {self.ws_path}")
        plan = self.ws_plans.pop(0) if self.ws_plans else WsPlan()
        if plan.reject is not None:
            hs = plan.reject
            headers = {
                k: v for k, v in hs.headers.items() if k in ("content-type", "www-authenticate")
            }
            return web.Response(
                status=hs.status, reason=hs.reason, body=hs.body.encode(), headers=headers
            )
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws_open += 1
        try:
            for text in plan.frames:
                await ws.send_str(text)
            for data in plan.binary:
                await ws.send_bytes(data)
            if plan.drop:
                await ws.close(code=1011, message=b"replay drop")
                return ws
            stop = asyncio.ensure_future(self._stop.wait())
            recv = asyncio.ensure_future(self._drain(ws))
            await asyncio.wait({stop, recv}, return_when=asyncio.FIRST_COMPLETED)
            for fut in (stop, recv):
                fut.cancel()
            await ws.close()
        finally:
            self.ws_open -= 1
        return ws

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                return
