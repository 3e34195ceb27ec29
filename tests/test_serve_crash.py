"""kill -9 of the ``callroute serve`` process at 50 random points of a 200-call run.

The server is a real child process (``python -m callroute serve`` with a journal file and the
HTTP API on loopback); the fake Asterisk (tests/fakeari) runs in this test's event loop, its
far end ``SPEED`` times faster than the server's clock (rings, talk and patience shrink; the
server runs on its own monotonic clock, as in production). The PBX script is seeded: arrival
gaps, each caller's patience, each agent's answer time, talk time, busy or never answering.
The server is killed with SIGKILL 50 times at seeded random moments (one in five during its
start-up: loading, journal recovery, first resync; the others up to 1.5 s after it serves)
and started again on the same journal. The fake keeps its channels meanwhile; its events are lost.

**The same PBX behaviour.** The server sees the PBX only through events and, at each (re)start,
the channel list it asks for (``GET /ari/channels``). Let ``kill_k`` be the moment of the k-th
kill and ``list_k`` the moment of the first channel list after it. Then the PBX behaviour the
run saw is the fake's event timeline with every event emitted in ``[kill_k, list_k]`` moved to
``list_k`` and observed there as the state the list shows (Asterisk does not replay events):

* a caller that arrived while the server was down and is still there at ``list_k`` arrives at
  ``list_k`` (adopted); one that came and went within ``[kill_k, list_k]`` never reached
  callroute (no outcome, no command about it), as on a real Asterisk;
* a caller that hung up while down leaves at ``list_k``; an agent leg that answered while down
  answers at ``list_k`` if it is still there then (one that answered and hung up while down
  never answered, for callroute); if the caller left too, its departure wins (abandoned);
* an offer the engine decided but whose originate never left the killed process is declined by
  the next incarnation (the leg is not in the list): the first later input about that call is
  ``offer_declined`` (or the call's end).

Events emitted in the last ``EPS`` seconds before a kill may or may not have been read by the
dying process; for a call with such an event either reading is accepted (both are computed).

**Decisions equal those of an uncrashed run.** The journal holds every engine input the
crashed incarnations applied, in order, with the time each was applied (the PBX behaviour above
as the engine saw it) and the decisions each produced. A fresh engine built from the same
center file is fed that whole input stream in one go (never killed, never restored from a
snapshot): each input's decisions must equal the recorded ones, its final statistics must equal
those of the engine recovered from the journal, and the offers it decides must be exactly the
originates the PBX received (plus offers cut off by a kill, declined as said above).

**No call lost.** Every caller callroute heard of (a command about it or an outcome) has
exactly one outcome; every call the engine saw has one; the outcome agrees with the behaviour
above (answered iff an agent leg of the call answered while it and the caller were there,
as observed); every call
and channel is gone at the end; the engine's totals conserve.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import callroute
import yaml
from callroute.center import load_center
from callroute.engine import Offer
from callroute.runtime.auth import token_sha256
from callroute.runtime.journal import JournaledEngine
from callroute.runtime.recorder import Journal, StoredInput, decisions_json
from fakeari import FakeAsterisk

CALLS = 200
KILLS = 50
AGENTS = 12
SPEED = 10.0
SEED = 20261202
EPS = 1.0  # seconds before a kill in which an emitted event may be unread
ROOT = Path(__file__).resolve().parent.parent
DNIS = "18005550100"
BOSS_TOKEN = "token-boss"


def _center(path: Path) -> None:
    spec: dict[str, Any] = {
        "version": 1,
        "timezone": "UTC",
        "skills": ["sales"],
        "tenants": {"acme": {"numbers": [DNIS]}},
        "queues": {"sales": {"tenant": "acme", "skills": {"sales": 1}, "offer_timeout": 6}},
        "agents": {
            f"agent{i}": {
                "tenant": "acme",
                "skills": {"sales": 1 + i % 5},
                "endpoint": f"PJSIP/{1000 + i}",
                "token_sha256": token_sha256(f"token-agent{i}"),
            }
            for i in range(1, AGENTS + 1)
        },
        "operators": {
            "boss": {
                "tenant": "acme",
                "roles": ["supervisor"],
                "token_sha256": token_sha256(BOSS_TOKEN),
            }
        },
    }
    path.write_text(yaml.safe_dump(spec))


class TimedFake(FakeAsterisk):
    """The fake Asterisk, keeping the loop time of every event and of every channel list."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.timeline: list[tuple[float, dict[str, Any]]] = []
        self.listed: list[float] = []
        self.gone_at: dict[str, float] = {}

    def emit(self, event: dict[str, Any]) -> None:
        """Publish ``event``, noting when."""
        assert self._loop is not None
        self.timeline.append((self._loop.time(), event))
        super().emit(event)

    def forget(self, channel: Any) -> None:
        """Drop ``channel`` (hung up), noting when."""
        assert self._loop is not None
        self.gone_at.setdefault(channel.id, self._loop.time())
        super().forget(channel)

    def _log_request(self, request: Any, body: Any) -> None:
        assert self._loop is not None
        if request.method == "GET" and request.path == "/ari/channels":
            self.listed.append(self._loop.time())
        super()._log_request(request, body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Serve:
    """``python -m callroute serve`` as a child process."""

    def __init__(self, cfg: Path, journal: Path, ari: str, log: Path) -> None:
        self.port = _free_port()
        self.args = [
            sys.executable,
            "-m",
            "callroute",
            "serve",
            str(cfg),
            "--ari",
            ari,
            "--ari-user",
            "callroute",
            "--journal",
            str(journal),
            "--listen",
            f"127.0.0.1:{self.port}",
        ]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            # the callroute these tests import (installed in CI, the source tree in development)
            "PYTHONPATH": os.pathsep.join(
                [str(Path(callroute.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
            ),
            "CALLROUTE_ARI_PASSWORD": "callroute-test-secret",
        }

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=out)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def healthy(self, session: aiohttp.ClientSession) -> None:
        for _ in range(1200):  # hang guard
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(self.url("/health")) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.05)
        raise AssertionError("server never became healthy")


class Harvest:
    """Every journaled input, read while the server is down (the journal is pruned as
    snapshots are taken, and locked while the server runs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inputs: dict[int, StoredInput] = {}
        self.ends: list[int] = []  # last input seq of each killed incarnation

    def read(self) -> None:
        with Journal(self.path) as j:
            for item in j.inputs():
                old = self.inputs.get(item.seq)
                if old is not None:
                    assert (old.kind, old.args, old.kwargs) == (item.kind, item.args, item.kwargs)
                if old is None or item.status is not None:
                    self.inputs[item.seq] = item
        self.ends.append(max(self.inputs, default=0))


def _agent_scripts(rng: random.Random) -> dict[str, dict[str, Any]]:
    scripts = {}
    for i in range(1, AGENTS + 1):
        if i == 1:
            script: dict[str, Any] = {"answer_after": None}  # never answers: ring timeout
        elif i == 2:
            script = {"busy": True}
        else:
            script = {"answer_after": rng.uniform(1.0, 6.0), "talk": rng.uniform(8.0, 30.0)}
        scripts[f"PJSIP/{1000 + i}"] = script
    return scripts


def _run(tmp_path: Path) -> tuple[TimedFake, Harvest, list[float], dict[str, float], Path]:
    cfg, journal = tmp_path / "center.yaml", tmp_path / "journal.sqlite"
    _center(cfg)
    calls_rng, kills_rng = random.Random(SEED), random.Random(SEED + 1)
    harvest = Harvest(journal)
    kills: list[float] = []
    placed: dict[str, float] = {}
    fake = TimedFake(speed=SPEED)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await fake.start()
        for endpoint, script in _agent_scripts(calls_rng).items():
            fake.set_agent(endpoint, **script)
        server = Serve(cfg, journal, fake.base_url, tmp_path / "serve.log")
        server.start()
        try:
            async with aiohttp.ClientSession() as session:
                await server.healthy(session)
                await fake.wait_connected(30)
                for i in range(1, AGENTS + 1):
                    for action in ("login", "ready"):
                        headers = {"Authorization": f"Bearer token-agent{i}"}
                        url = server.url(f"/agents/agent{i}/{action}")
                        async with session.post(url, headers=headers) as r:
                            assert r.status == 200, await r.text()

                async def place() -> None:
                    for n in range(CALLS):
                        await asyncio.sleep(calls_rng.expovariate(1 / 0.55))
                        patience = calls_rng.choice([None, calls_rng.uniform(10.0, 80.0)])
                        channel = await fake.place_call(
                            dnis=DNIS, caller=f"555{n:04d}", hangup_after=patience
                        )
                        placed[channel] = loop.time()

                placing = asyncio.create_task(place())
                for _ in range(KILLS):
                    if kills_rng.random() < 0.2:  # while starting: loading, recovering
                        await asyncio.sleep(kills_rng.uniform(0.1, 1.2))
                    else:  # while routing
                        await server.healthy(session)
                        await asyncio.sleep(kills_rng.uniform(0.05, 1.5))
                    kills.append(loop.time())
                    server.kill()
                    harvest.read()
                    await asyncio.sleep(kills_rng.uniform(0.0, 0.3))
                    server.start()
                await placing
                await server.healthy(session)
                for _ in range(1200):  # hang guard: every caller gone, every call settled
                    if not fake.channels:
                        async with session.get(
                            server.url("/calls"), headers={"Authorization": f"Bearer {BOSS_TOKEN}"}
                        ) as r:
                            if r.status == 200 and not (await r.json())["calls"]:
                                break
                    await asyncio.sleep(0.05)
            assert server.stop() == 0
            harvest.read()
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.kill()
            await fake.stop()

    asyncio.run(main())
    return fake, harvest, kills, placed, cfg


def _after(listed: list[float], t: float) -> float:
    return min((x for x in listed if x >= t), default=float("inf"))


def _views(t: float, kills: list[float], listed: list[float]) -> set[float]:
    """When the server observed something emitted at loop time ``t``: at ``t`` if it was up,
    at the next channel list if it was down; either if ``t`` is just before a kill."""
    for k in kills:
        if k <= t:
            relist = _after(listed, k)
            if t <= relist:
                return {relist}
    if any(k - EPS <= t < k for k in kills):
        return {t, _after(listed, t)}
    return {t}


def test_kill_minus_nine_fifty_times_in_two_hundred_calls(tmp_path: Path) -> None:
    fake, harvest, kills, placed, cfg = _run(tmp_path)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert len(kills) == KILLS
    assert len(placed) == CALLS
    assert not fake.channels

    # -- the whole input stream, contiguous from the first input
    seqs = sorted(harvest.inputs)
    assert seqs == list(range(1, len(seqs) + 1))
    inputs = [harvest.inputs[s] for s in seqs]

    # -- an uncrashed engine fed the same inputs decides the same
    center = load_center(cfg)
    ref = center.engine
    decided: dict[str, list[tuple[int, str]]] = {}
    for item in inputs:
        refused: str | None = None
        try:
            decisions = list(getattr(ref, item.kind)(*item.args, **item.kwargs) or [])
        except Exception as exc:  # a refused input must have been refused live too
            refused, decisions = type(exc).__name__, []
        if refused is not None:
            assert item.status == "refused", f"input {item.seq} {item.kind}: {refused}"
            assert str(item.result).split(":", 1)[0] == refused
            continue
        if item.status is None:
            # result not recorded: only the last input before a kill or the final stop
            assert item.seq in harvest.ends, f"input {item.seq} ({item.kind}) has no result"
        else:
            assert item.status == "applied", f"input {item.seq} ({item.kind}) refused live"
            assert json.loads(decisions_json(decisions)) == item.result, f"input {item.seq}"
        for d in decisions:
            if isinstance(d, Offer) and not d.auto_answer:
                decided.setdefault(d.call, []).append((item.seq, d.agent))
    with Journal(harvest.path) as j:
        outcomes = j.outcomes()
        recovered, _ = JournaledEngine.recover(lambda: load_center(cfg).engine, j)
        assert recovered.queue_stats("sales") == ref.queue_stats("sales")
        assert recovered.totals() == ref.totals()
    assert ref.calls() == []

    # -- the offers decided are the originates the PBX received (or cut off by a kill)
    endpoint = {name: a.endpoint for name, a in center.agents.items()}
    carried: dict[str, list[str]] = {}
    for r in fake.requests:
        args = str(r.query.get("appArgs", ""))
        if r.method == "POST" and r.path.startswith("/ari/channels") and args.startswith("agent,"):
            carried.setdefault(args.split(",", 1)[1], []).append(r.query["endpoint"])
    assert set(carried) <= set(decided)
    by_call: dict[str, list[StoredInput]] = {}
    for item in inputs:
        if item.args and isinstance(item.args[0], str):
            by_call.setdefault(item.args[0], []).append(item)
    cut_off = 0
    for call, offers in decided.items():
        sent = list(carried.get(call, []))
        for seq, agent in offers:
            if sent and sent[0] == endpoint[agent]:
                sent.pop(0)
                continue
            later = [i for i in by_call[call] if i.seq > seq]
            assert later, f"{call}: offer at input {seq} neither sent nor settled"
            assert later[0].kind in ("offer_declined", "call_abandoned", "call_ended")
            end = next(e for e in harvest.ends if e >= seq)
            assert later[0].seq > end, f"{call}: offer at input {seq} lost while running"
            cut_off += 1  # never sent: the process died first; the next one settled it
        assert not sent, f"{call}: originates {sent} the engine never decided"

    # -- every caller callroute heard of has exactly one outcome
    by_channel: dict[str, list[str]] = {}
    for o in outcomes.values():
        by_channel.setdefault(str(o.detail.get("channel")), []).append(o.outcome)
    touched = {r.path.split("/")[3] for r in fake.requests if r.path.startswith("/ari/channels/")}
    heard = (touched | set(by_channel)) & set(placed)
    doubled = {c: v for c, v in by_channel.items() if len(v) != 1}
    assert not doubled, json.dumps(doubled)[:2000]
    missing = sorted(c for c in heard if c not in by_channel)
    assert not missing, f"no outcome for {missing[:5]}\n{log[-3000:]}"
    arrived = {i.args[0] for i in inputs if i.kind == "call_arrived"}
    assert arrived == set(outcomes)
    counts = Counter(o.outcome for o in outcomes.values())
    assert set(counts) <= {"answered", "abandoned"}, counts
    stats = ref.queue_stats("sales")
    assert stats.answered == counts["answered"]
    assert stats.abandoned == counts["abandoned"]
    assert stats.offered == len(outcomes)

    # -- each outcome is the one the PBX behaviour (as defined above) gives
    born: dict[str, float] = dict(placed)
    gone = fake.gone_at
    leg_up: dict[str, list[tuple[float, str]]] = {}  # call -> (when, leg) an agent answered
    for t, ev in fake.timeline:
        kind, ch = ev.get("type"), (ev.get("channel") or {}).get("id")
        if kind == "StasisStart" and ch in placed:
            born[ch] = min(born[ch], t)
        elif kind == "StasisStart" and (ev.get("args") or [None])[0] == "agent":
            leg_up.setdefault(ev["args"][1], []).append((t, str(ch)))
    call_of = {str(o.detail.get("channel")): c for c, o in outcomes.items()}
    for channel in placed:
        lost_leave = _views(gone[channel], kills, fake.listed)
        if channel not in heard:
            # never reached callroute: it came and went while the server was down
            enter = _views(born[channel], kills, fake.listed)
            assert any(v in fake.listed for v in enter & lost_leave), channel
            continue
        call = call_of[channel]
        answered = set()
        for up, leg in leg_up.get(call, []):
            # the answer counts if seen while both the caller and that leg were still there
            leg_gone = _views(gone.get(leg, float("inf")), kills, fake.listed)
            for a in _views(up, kills, fake.listed):
                for b in lost_leave:
                    answered.update(a < b and a < g for g in leg_gone)
        expected = {"answered" if a else "abandoned" for a in answered} or {"abandoned"}
        assert outcomes[call].outcome in expected, (channel, call, outcomes[call], expected)

    # -- nothing left behind on the PBX
    assert not fake.bridges, sorted(fake.bridges)

    print(
        f"\n{CALLS} calls, {KILLS} kills: {len(inputs)} inputs, {dict(counts)}, "
        f"{len(placed) - len(heard)} callers came and went while down, "
        f"{cut_off} offers cut off by a kill"
    )
