"""Replay an ``ari-acd-*.jsonl`` transcript against the fake and compare what comes back.

``replay(path, speed)`` plays the recorded app's part (the websocket connect, every REST request
with the caller's uniqueid mapped to the fake's) and the far ends' part (the caller placed by
AMI, its DTMF and its hangup, taken from the transcript's own events; the agents scripted from
the README's topology), and returns both sides for the conformance tests to compare.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from yarl import URL

from .server import FakeAsterisk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk"

#: Far-end behaviour of the agent endpoints in the recorded topology (README "ACD flow":
#: agents ring 2 s then answer and talk AGENT_TALK s; agent3 never answers; agents-unavailable
#: has agent7 Busy() and agent8 Congestion(); agent99 does not exist).
AGENT_TOPOLOGY: dict[str, dict[str, Any]] = {
    "Local/agent1@agents": {"answer_after": 2.0},
    "Local/agent3@agents": {"answer_after": None},
    "Local/agent4@agents": {"answer_after": 2.0},
    "Local/agent7@agents-unavailable": {"busy": True},
    "Local/agent8@agents-unavailable": {"congestion": True},
    "Local/agent99@agents": {"unreachable": True},
    # conf/extensions.conf [ari-peer]: Answer() at once, then Wait(PEER_WAIT)
    "Local/5552001@ari-peer": {"answer_after": 0.0},
    "Local/5552011@ari-peer": {"answer_after": 0.0},
    "Local/5552012@ari-peer": {"answer_after": 0.0},
    "Local/5552092@ari-peer": {"answer_after": 0.0},
}

_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@dataclass
class Exchange:
    """One REST request (or websocket upgrade) replayed: the recorded and the fake's answer."""

    method: str
    path: str
    recorded_status: int
    recorded_body: Any
    fake_status: int
    fake_body: Any
    recorded_reason: str = ""
    fake_reason: str = ""


@dataclass
class Replay:
    """Both sides of one replayed transcript."""

    recorded_events: list[dict[str, Any]] = field(default_factory=list)
    fake_events: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    #: transcript channel id -> role (caller / agent:<endpoint> / peer:<endpoint>)
    recorded_roles: dict[str, str] = field(default_factory=dict)
    #: transcript id -> the fake's id, for ids Asterisk chose (uniqueids, playback uuids)
    idmap: dict[str, str] = field(default_factory=dict)

    @property
    def fake_roles(self) -> dict[str, str]:
        """Fake channel id -> role."""
        return {self.idmap.get(k, k): v for k, v in self.recorded_roles.items()}


def load(path: Path) -> list[dict[str, Any]]:
    """The records of a transcript."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def modelled_variables(records: list[dict[str, Any]]) -> set[str]:
    """Channel variables whose ChannelVarset the fake models: Asterisk's own (BRIDGEPEER,
    STASISSTATUS), the originate ``variables`` and those the app sets over REST."""
    names = {"BRIDGEPEER", "STASISSTATUS"}
    for rec in records:
        if rec["kind"] != "http-request":
            continue
        query = dict(parse_qsl(urlsplit(rec["path"]).query))
        if rec["path"].startswith("/ari/channels") and rec["method"] == "POST":
            if rec.get("body"):
                names.update(json.loads(rec["body"]).get("variables", {}))
            if "variable" in query:
                names.add(query["variable"])
    return names


def is_modelled(event: dict[str, Any], variables: set[str]) -> bool:
    """Whether the fake models this event (dialplan steps of the far ends are not)."""
    if event["type"] == "ChannelDialplan":
        return False
    return not (event["type"] == "ChannelVarset" and event.get("variable") not in variables)


def _next_uniqueid(uid: str) -> str:
    prefix, _, num = uid.rpartition(".")
    return f"{prefix}.{int(num) + 1}"


def roles_of(records: list[dict[str, Any]]) -> dict[str, str]:
    """Transcript channel id -> role: the inbound caller, originated legs and their peers."""
    roles: dict[str, str] = {}
    responses = {r["req"]: r for r in records if r["kind"] == "http-response"}
    for rec in records:
        if rec["kind"] == "ws-message":
            event = json.loads(rec["text"])
            if event["type"] == "StasisStart" and event["args"][:1] == ["inbound"]:
                roles.setdefault(event["channel"]["id"], "caller")
        elif rec["kind"] == "http-request" and rec["method"] == "POST":
            parts = urlsplit(rec["path"])
            response = responses.get(rec["seq"], {})
            if parts.path != "/ari/channels" or response.get("status") != 200:
                continue
            query = dict(parse_qsl(parts.query))
            agent = json.loads(response["body"])["id"]
            roles[agent] = "agent:" + query["endpoint"]
            roles[query.get("otherChannelId") or _next_uniqueid(agent)] = (
                "peer:" + query["endpoint"]
            )
    return roles


def _learn_ids(recorded: Any, fake: Any, idmap: dict[str, str]) -> None:
    """Map ids Asterisk chose in a recorded response body to the fake's in the same place."""
    if isinstance(recorded, dict) and isinstance(fake, dict):
        rid, fid = recorded.get("id"), fake.get("id")
        if isinstance(rid, str) and isinstance(fid, str) and rid != fid:
            idmap.setdefault(rid, fid)
            if rid.startswith("callroute-test-") and fid.startswith("callroute-test-"):
                idmap.setdefault(_next_uniqueid(rid), _next_uniqueid(fid))


def _deferred(event: dict[str, Any], roles: dict[str, str]) -> bool:
    """A Local peer's ChannelCallerId once up comes when the peer's own dialplan next runs
    (ari-bridge 56, 58); the fake sends it when the peer is destroyed (ari-acd-answered 130),
    so the replay does not wait for it before the app's next request."""
    channel = event.get("channel") or {}
    return (
        event["type"] == "ChannelCallerId"
        and channel.get("state") == "Up"
        and roles.get(channel.get("id", ""), "").startswith("peer:")
    )


def _far_end_scripts(fake: FakeAsterisk) -> None:
    for endpoint, script in AGENT_TOPOLOGY.items():
        fake.set_agent(endpoint, **script)


async def replay(
    path: Path, speed: float = 20.0, order: dict[str, str] | None = None, **fake_options: Any
) -> Replay:
    """Drive a fresh ``FakeAsterisk`` through the transcript at ``path``: the app's side
    (websocket upgrades, REST requests with their recorded credentials, Asterisk-chosen ids
    mapped to the fake's) and the far ends' side (the AMI-placed caller, every DTMF digit,
    the caller's own hangup; agents from ``AGENT_TOPOLOGY``)."""
    records = load(path)
    variables = modelled_variables(records)
    out = Replay(recorded_roles=roles_of(records))
    out.recorded_events = [
        e
        for e in (json.loads(r["text"]) for r in records if r["kind"] == "ws-message")
        if is_modelled(e, variables)
    ]
    responses = {r["req"]: r for r in records if r["kind"] == "http-response"}
    handshakes = {r["seq"] - 1: r for r in records if r["kind"] == "ws-handshake"}
    callers = [cid for cid, role in out.recorded_roles.items() if role == "caller"]
    received: list[dict[str, Any]] = []
    expected_before = 0
    fake = FakeAsterisk(speed=speed, **fake_options)
    fake.order.update(order or {})
    await fake.start()
    _far_end_scripts(fake)
    try:
        async with aiohttp.ClientSession() as session:
            ws: aiohttp.ClientWebSocketResponse | None = None
            reader: asyncio.Task[None] | None = None
            loop = asyncio.get_running_loop()
            t0 = loop.time()

            async def read(sock: aiohttp.ClientWebSocketResponse) -> None:
                async for msg in sock:
                    event = json.loads(msg.data)
                    if is_modelled(event, variables):
                        received.append(event)

            async def caught_up(count: int) -> None:
                for _ in range(500):  # hang guard: 5 s
                    if len(received) >= count:
                        return
                    await asyncio.sleep(0.01)

            for rec in records:
                delay = t0 + rec["t"] / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                kind = rec["kind"]
                if kind == "ws-connect":
                    url = URL(fake.base_url + rec["path"], encoded=True)
                    shake = handshakes[rec["seq"]]
                    if shake["status"] != 101:
                        async with session.get(url) as resp:
                            out.exchanges.append(
                                Exchange(
                                    "GET",
                                    rec["path"],
                                    shake["status"],
                                    shake.get("body"),
                                    resp.status,
                                    await resp.text(),
                                )
                            )
                        continue
                    ws = await session.ws_connect(url)
                    reader = asyncio.create_task(read(ws))
                    await fake.wait_connected()
                elif kind == "ws-message":
                    event = json.loads(rec["text"])
                    if is_modelled(event, variables) and not _deferred(event, out.recorded_roles):
                        expected_before += 1
                    cid = (event.get("channel") or {}).get("id", "")
                    if event["type"] == "StasisStart" and cid in callers:
                        # the caller placed by AMI enters Stasis from the dialplan
                        await caught_up(expected_before - 1)
                        out.idmap[cid] = await _place(fake, event)
                    elif event["type"] == "ChannelDtmfReceived":
                        await caught_up(expected_before - 1)
                        await fake.caller_dtmf(
                            out.idmap.get(cid, cid),
                            event["digit"],
                            duration_ms=event["duration_ms"],
                        )
                    elif (
                        cid in callers
                        and event["type"] == "ChannelHangupRequest"
                        and not event.get("soft")
                    ):
                        await caught_up(expected_before - 1)
                        await fake.hangup(out.idmap.get(cid, cid), event["cause"])
                elif kind == "http-request":
                    await caught_up(expected_before)
                    _script_agent(fake, rec)
                    out.exchanges.append(await _send(session, fake, rec, responses, out))
            await caught_up(len(out.recorded_events))
            await asyncio.sleep(0.05)
            if ws is not None:
                await ws.close()
            if reader is not None:
                await reader
    finally:
        await fake.stop()
    out.fake_events = received
    return out


async def _place(fake: FakeAsterisk, start: dict[str, Any]) -> str:
    """``place_call`` for the caller of a recorded StasisStart (defaults for ari-acd ones)."""
    channel = start["channel"]
    args = start["args"]
    kwargs: dict[str, Any] = {}
    if channel["state"] == "Up":  # ari-stasis-dtmf channel 2: answered by its dialplan
        plan = channel["dialplan"]
        kwargs = {
            "answered": True,
            "dialplan": (plan["context"], plan["exten"], plan["priority"]),
            "channel_name": channel["name"],
        }
    return await fake.place_call(
        dnis=args[1] if len(args) > 1 else "",
        caller=channel["caller"]["number"],
        name=channel["caller"]["name"],
        args=args,
        **kwargs,
    )


def _script_agent(fake: FakeAsterisk, rec: dict[str, Any]) -> None:
    """An originate's ``AGENT_TALK`` variable sets the agent's talk time (README "ACD flow")."""
    parts = urlsplit(rec["path"])
    if rec["method"] != "POST" or parts.path != "/ari/channels" or not rec.get("body"):
        return
    query = dict(parse_qsl(parts.query))
    if "endpoint" not in query:
        return
    talk = json.loads(rec["body"]).get("variables", {}).get("AGENT_TALK")
    if talk is not None:
        endpoint = query["endpoint"]
        fake.set_agent(endpoint, **AGENT_TOPOLOGY.get(endpoint, {}), talk=float(talk))


async def _send(
    session: aiohttp.ClientSession,
    fake: FakeAsterisk,
    rec: dict[str, Any],
    responses: dict[int, dict[str, Any]],
    out: Replay,
) -> Exchange:
    path = rec["path"]
    for tid, fid in out.idmap.items():
        path = path.replace(tid, fid)
    headers = {k: v for k, v in rec["headers"] if k.lower() == "authorization"}
    kwargs: dict[str, Any] = {"headers": headers}
    if rec.get("body"):
        kwargs["data"] = rec["body"]
        headers["Content-Type"] = "application/json"
    url = URL(fake.base_url + path, encoded=True)
    async with session.request(rec["method"], url, **kwargs) as resp:
        text = await resp.text()
        status, reason = resp.status, resp.reason or ""
    recorded = responses[rec["seq"]]
    recorded_body = json.loads(recorded["body"]) if recorded["body"] else None
    fake_body = json.loads(text) if text else None
    _learn_ids(recorded_body, fake_body, out.idmap)
    return Exchange(
        method=rec["method"],
        path=rec["path"],
        recorded_status=recorded["status"],
        recorded_body=recorded_body,
        fake_status=status,
        fake_body=fake_body,
        recorded_reason=recorded["reason"],
        fake_reason=reason,
    )


def key_shape(value: Any) -> Any:
    """The recursive key set of a JSON value (lists: the shape of their first item)."""
    if isinstance(value, dict):
        return {k: key_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [key_shape(value[0])] if value else []
    return type(value).__name__


def is_timestamp(text: str) -> bool:
    """Whether ``text`` is an ARI timestamp (``2026-12-02T09:36:26.377+0000``)."""
    return bool(_TS.match(text))


def signature(event: dict[str, Any], roles: dict[str, str]) -> tuple[Any, ...]:
    """What must agree between the recording and the fake for one event: its type, the role
    of its channel (or Dial peer), its bridge and that bridge's members by role, and the
    protocol values that matter to an app (state, cause, soft, dialstatus, digit, variable,
    args, playback/recording state)."""
    channel = event.get("channel") or event.get("peer") or {}
    bridge = event.get("bridge") or {}
    media = event.get("playback") or event.get("recording") or {}
    return (
        event["type"],
        roles.get(channel.get("id", ""), channel.get("id")),
        channel.get("state"),
        bridge.get("id"),
        bridge.get("technology"),
        tuple(sorted(roles.get(c, c) for c in bridge.get("channels", []))),
        event.get("cause"),
        event.get("soft"),
        event.get("dialstatus"),
        event.get("digit"),
        event.get("variable"),
        tuple(event.get("args", ())),
        media.get("id") or media.get("name"),
        media.get("state"),
    )
