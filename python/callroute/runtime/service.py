"""The runtime service: one asyncio process routing real calls.

:class:`Runtime` owns one engine (the center's, or a journaling wrapper of it), the
:class:`~callroute.runtime.calls.CallCore`, a monotonic clock mapped to engine seconds, the
timer on the core's next deadline, lookup hooks, the PBX command lanes and the screen-pop
subscribers. Engine calls are made only inside the synchronous core methods, which run to
completion on the event loop's one thread: the engine is never called concurrently.

PBX commands run in *lanes*, one per call, in order (:mod:`callroute.runtime.lanes`);
nothing a PBX or a caller sends stops the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from ..center import Center
from ..errors import CallrouteError, ParameterError, PermissionDenied, UnknownIdError
from ..ivr import Session
from . import commands as cmd
from .api import engine_stats
from .calls import CallCore
from .commands import Command
from .journal import JournaledEngine
from .lanes import CommandsMixin
from .state import Options, Task, engine_data

_log = logging.getLogger("callroute.runtime")

LookupHook = Callable[[Mapping[str, Any]], Any | Awaitable[Any]]
Verifier = Callable[[str, str], bool]
HOURS_EVERY = 30.0


@dataclass(eq=False)
class _Subscriber:
    agent: str | None
    tenant: str | None
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1000)
    )
    dropped: int = 0


class Runtime(CommandsMixin):
    """Routes the calls of ``center`` through ``pbx`` (an ARI client or one of its shape).

    ``journal`` (a :class:`callroute.runtime.journal.Journal`, optional): every engine
    input is journaled before it is applied (a ``JournaledEngine`` around the center's
    engine, recovered from the journal when it holds a run: the calls in flight are
    restored from their notes and checked against the PBX at the first connect), and each
    call's one outcome is recorded there. ``engine`` overrides the engine used.

    ``clock``: a monotonic clock in seconds; ``wallclock``: the aware datetime of "now",
    read once at start (leases, hours, IVR time branches). ``verifiers`` / ``verifier``
    answer the IVR's PIN checks (``verifier`` serves every name not in ``verifiers``).
    ``lookups``: the IVR's lookup hooks (plain functions run in a thread, coroutine
    functions awaited), each cut off at its node's timeout. ``speed`` (tests): ``clock``
    runs that many times faster than the event loop, so waits on the loop are divided by it.
    ``max_in_flight``: PBX requests running at once (the rest wait their turn, in order
    per call), so a burst of calls does not flood Asterisk.

    ``outbound`` (a :class:`callroute.outbound.OutboundPlan`, optional): its campaigns are
    dialled (:mod:`callroute.runtime.outbound`, ``outbound_options`` an
    :class:`~callroute.runtime.outbound.OutboundOptions`); the plan's clock becomes this
    runtime's (:attr:`clock_origin`: engine second 0 as a wall instant; engine time runs
    with the monotonic clock from the time the engine or dialer resumed at).
    """

    def __init__(
        self,
        center: Center,
        pbx: Any,
        *,
        journal: Any | None = None,
        engine: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], datetime] | None = None,
        verifier: Verifier | None = None,
        verifiers: Mapping[str, Verifier] | None = None,
        lookups: Mapping[str, LookupHook] | None = None,
        options: Options | None = None,
        speed: float = 1.0,
        max_in_flight: int = 64,
        outbound: Any | None = None,
        outbound_options: Any | None = None,
    ) -> None:
        if not speed > 0:
            raise ParameterError(f"speed must be > 0, got {speed!r}")
        self.center = center
        self._speed = float(speed)
        self.pbx = pbx
        self.journal = journal
        restored: list[Any] = []
        if engine is None and journal is not None:
            fresh = center.engine
            engine, _ = JournaledEngine.recover(lambda: fresh, journal)
            center.engine = engine.engine  # queries (operator views) see the live state
            recovery = engine.recovery
            if recovery is not None:
                restored = [n.payload for n in recovery.notes if n.kind == "call"]
                _log.info(
                    "recovered from %s: %d inputs replayed, %d calls in flight",
                    journal.path,
                    len(recovery.replayed),
                    len(restored),
                )
        self.engine = engine if engine is not None else center.engine
        self.outbound = outbound
        resumed = float(self.engine.now or 0.0)
        if outbound is not None:
            outbound.engine = self.engine  # pacing reads the live (recovered) engine
            resumed = max(resumed, float(outbound.dialer.now or 0.0))
        self._clock = clock
        self._t0 = clock() - resumed
        self._last = resumed
        wall0 = (wallclock or (lambda: datetime.now(timezone.utc)))()
        start = self._last

        def wall(t: float) -> datetime:
            return wall0 + timedelta(seconds=t - start)

        #: engine second 0 as a wall-clock instant: engine time t is clock_origin + t s
        self.clock_origin = wall0 - timedelta(seconds=start)
        if outbound is not None:
            from ..outbound import EngineClock

            outbound.clock = EngineClock(self.clock_origin)
            if outbound.campaigns:
                # the windows on this run's clock (the origin moves across a restart)
                outbound.extend_windows(start)

        names = _verifier_names(center)
        table = {n: verifier for n in names if verifier is not None}
        table.update(verifiers or {})
        self.options = options or Options()
        if self.options.id_prefix is None:
            self.options = dataclasses.replace(self.options, id_prefix=_run_prefix())
        self.core: CallCore
        if outbound is not None:
            from .outbound import OutboundCore

            self.core = OutboundCore(
                center,
                self.engine,
                wall=wall,
                options=self.options,
                verifiers=table,
                plan=outbound,
                outbound=outbound_options,
            )
        else:
            self.core = CallCore(
                center, self.engine, wall=wall, options=self.options, verifiers=table
            )
        self.core.restore(restored)
        self._check_flows(wall, table)
        self._lookups = dict(lookups or {})
        self._inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._lanes: dict[str, deque[Command]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._subs: set[_Subscriber] = set()
        self._task_seq = 0
        self._hours_at: float | None = None
        self._stopping = False
        self._slots = asyncio.Semaphore(max_in_flight)
        self.events_seen = 0
        self.errors_seen = 0

    def _check_flows(self, wall: Callable[[float], datetime], verifiers: Mapping[str, Any]) -> None:
        """Log, at start, every IVR flow that cannot run (a verifier or calendar missing):
        its calls would be refused."""
        for name, flow in self.center.flows.items():
            try:
                Session(flow, clock=wall, verifiers=verifiers, calendars=self.center.hours)
            except CallrouteError as exc:
                _log.error("IVR flow %r cannot run; its calls will be refused: %s", name, exc)

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """Engine seconds now (never earlier than a time already handed out)."""
        self._last = max(self._last, self._clock() - self._t0)
        return self._last

    # ------------------------------------------------------------------ main loop

    async def run(self) -> None:
        """Consume the PBX's events and fire timers until :meth:`stop`."""
        reader = asyncio.create_task(self._read_events())
        # left over from a crash: agents still pinned to a preview get their skills back
        self._guard("start-up", self.core.heal_pins, self.now())
        try:
            burst = 0
            while not self._stopping:
                now = self.now()
                if self._hours_at is None or now >= self._hours_at:
                    self._guard("hours", self.core.open_hours, now)
                    self._hours_at = now + HOURS_EVERY
                item: tuple[Any, ...] | None = None
                if not self._inbox.empty() and burst < 64:
                    item, burst = self._inbox.get_nowait(), burst + 1
                else:
                    # wait for input or the next deadline; this also lets the command
                    # lanes run (at the latest every 64 inputs of a burst)
                    burst = 0
                    deadline = self.core.next_deadline()
                    wake = self._hours_at if deadline is None else min(deadline, self._hours_at)
                    try:
                        item = await asyncio.wait_for(
                            self._inbox.get(), max(0.0, wake - now) / self._speed
                        )
                    except asyncio.TimeoutError:
                        item = None
                if item is not None:
                    self._handle(item)
                deadline = self.core.next_deadline()
                now = self.now()
                if deadline is not None and deadline <= now:
                    self._guard("timer", self.core.on_timer, now)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def stop(self) -> None:
        """Ask :meth:`run` to return, then wait for running PBX commands."""
        self._stopping = True
        self._inbox.put_nowait(("stop",))
        pending = list(self._tasks)
        if pending:
            await asyncio.wait(pending, timeout=5.0)

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until the inbox is drained and no command lane runs (tests, shutdown)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._inbox.empty() and not self._tasks:
                await asyncio.sleep(0)
                if self._inbox.empty() and not self._tasks:
                    return
            await asyncio.sleep(0.001)

    async def _read_events(self) -> None:
        while not self._stopping:
            try:
                async for event in self.pbx.events():
                    self._inbox.put_nowait(("event", event))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.error("PBX event stream failed (%s: %s); reopening", type(exc).__name__, exc)
                await asyncio.sleep(1.0)

    def _guard(self, what: str, step: Callable[..., list[Command]], *args: Any) -> None:
        try:
            commands = step(*args)
        except Exception:
            self.errors_seen += 1
            where = _context(args[0]) if args else "-"
            _log.exception("runtime: %s (%s) failed; carrying on", what, where)
            commands = []
        self._dispatch(commands)

    def _handle(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        now = self.now()
        if kind == "event":
            event = item[1]
            self.events_seen += 1
            name = type(event).__name__
            if name == "Connected":
                _log.info("PBX connected (resumed=%s): resync", getattr(event, "resumed", None))
                self._pbx_up(True)
                self._spawn(self._resync(self.core.stamp))
            elif name == "Disconnected":
                _log.warning("PBX disconnected: %s", getattr(event, "reason", ""))
                self._pbx_up(False)
            elif name == "MalformedEvent":
                self.errors_seen += 1
                _log.warning("PBX sent a malformed event: %s", getattr(event, "reason", "?"))
            else:
                self._guard(f"event {name}", self.core.on_event, event, now)
        elif kind == "lookup":
            self._guard("lookup", self.core.lookup_done, item[1], item[2], now)
        elif kind == "failed":
            self._guard("repair", self.core.command_failed, item[1], item[2], now)
        elif kind == "endpoints":
            self._guard("endpoints", self.core.endpoints_listed, item[1], now)
        elif kind == "resync":
            self._guard("resync", self.core.reconcile, item[1], now, item[2], item[3])

    def _pbx_up(self, up: bool) -> None:
        """Tell an outbound core whether the PBX is there (it dials only then)."""
        if hasattr(self.core, "pbx_up"):
            self.core.pbx_up = up

    async def _resync(self, stamp: int) -> None:
        """List the PBX's channels and bridges; ``stamp``: the core's when asked (what it
        learns later is newer than the list)."""
        await self._subscribe_endpoints()
        try:
            channels = await self.pbx.list_channels()
        except Exception as exc:
            _log.error("resync: listing channels failed (%s: %s)", type(exc).__name__, exc)
            return
        members: dict[str, tuple[str, ...]] | None = None
        try:
            members = {b.id: tuple(b.channels) for b in await self.pbx.list_bridges()}
        except Exception as exc:
            _log.warning("resync: listing bridges failed (%s: %s)", type(exc).__name__, exc)
        self._inbox.put_nowait(("resync", {c.id: c for c in channels}, stamp, members))
        try:
            endpoints = await self.pbx.list_endpoints()
        except Exception as exc:
            _log.warning("resync: listing endpoints failed (%s: %s)", type(exc).__name__, exc)
            return
        self._inbox.put_nowait(("endpoints", endpoints))

    async def _subscribe_endpoints(self) -> None:
        """Ask for the agents' EndpointStateChange events: ARI sends them only to an app
        subscribed to the endpoint (or its technology). One request per technology, else
        one per endpoint; failures are logged (the states are still listed at resync)."""
        request = getattr(self.pbx, "request", None)
        if request is None:
            return
        app = getattr(self.pbx, "app", self.options.app)
        path = f"/applications/{quote(app, safe='')}/subscription"
        by_tech: dict[str, list[str]] = {}
        for endpoint in sorted(set(self.core.endpoints.values())):
            by_tech.setdefault(endpoint.partition("/")[0], []).append(endpoint)
        for tech, endpoints in by_tech.items():
            try:
                await request("POST", path, [("eventSource", f"endpoint:{tech}")])
                continue
            except Exception as exc:
                _log.info("subscribing to endpoint:%s failed (%s); one by one", tech, exc)
            for endpoint in endpoints:
                try:
                    await request("POST", path, [("eventSource", f"endpoint:{endpoint}")])
                except Exception as exc:
                    _log.warning("no state events for endpoint %s: %s", endpoint, exc)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ streams

    def _publish(self, c: cmd.Publish) -> None:
        event = dict(c.event)
        for sub in list(self._subs):
            if sub.agent is not None and c.agent != sub.agent:
                continue
            if sub.tenant is not None and c.tenant != sub.tenant:
                continue
            if sub.queue.full():
                sub.queue.get_nowait()
                sub.dropped += 1
            sub.queue.put_nowait(event)

    def subscribe(
        self, agent: str | None = None, tenant: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Screen-pops and state changes: offers, revocations, connects, ends, agent states.

        ``agent``: only what concerns that agent; ``tenant``: only that tenant's events;
        neither: everything. Raises :class:`UnknownIdError` for an unknown agent or tenant.
        A subscriber that falls 1,000 events behind loses the oldest.
        """
        if agent is not None and agent not in self.center.agents:
            raise UnknownIdError(f"unknown agent {agent!r}")
        if tenant is not None and tenant not in self.center.tenants:
            raise UnknownIdError(f"unknown tenant {tenant!r}")
        sub = _Subscriber(agent, tenant)
        self._subs.add(sub)
        return self._stream(sub)

    async def _stream(self, sub: _Subscriber) -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                yield await sub.queue.get()
        finally:
            self._subs.discard(sub)

    # ------------------------------------------------------------------ facade

    def _agent(self, agent: str) -> None:
        if agent not in self.center.agents:
            raise UnknownIdError(f"unknown agent {agent!r}")

    def _input(self, method: str, *args: Any) -> None:
        """One engine input from the API: errors propagate, decisions are carried out."""
        now = self.now()
        decisions = getattr(self.engine, method)(*args[:1], now, *args[1:])
        self._dispatch(self.core._decide(list(decisions), now))

    async def agent_login(self, agent: str) -> None:
        """Log ``agent`` in (not ready, reason ``login``); a logged-in agent stays as is."""
        self._agent(agent)
        if self.engine.agent_state(agent) == "logged_out":
            self._input("agent_not_ready", agent, "login")

    async def agent_ready(self, agent: str) -> None:
        """Make ``agent`` ready for offers."""
        self._agent(agent)
        self._input("agent_ready", agent)

    async def agent_not_ready(self, agent: str, reason: str = "break") -> None:
        """Make ``agent`` not ready with ``reason`` (after its current offer or call)."""
        self._agent(agent)
        if not isinstance(reason, str) or not reason or len(reason) > 100:
            raise ParameterError("reason must be a non-empty string of at most 100 characters")
        self._input("agent_not_ready", agent, reason)

    async def agent_logout(self, agent: str) -> None:
        """Log ``agent`` out."""
        self._agent(agent)
        self._input("agent_logout", agent)

    async def wrapup_done(self, agent: str) -> None:
        """End ``agent``'s wrap-up early."""
        self._agent(agent)
        self._input("wrapup_done", agent)

    async def submit_task(
        self,
        media: str,
        tenant: str,
        *,
        queue: str | None = None,
        skills: Mapping[str, int] | None = None,
        priority: int = 0,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        """A chat, email or web-callback task for ``tenant``; returns its id."""
        found = self.center.tenants.get(tenant)
        if found is None:
            raise UnknownIdError(f"unknown tenant {tenant!r}")
        if media == "voice":
            raise ParameterError("voice calls come from the PBX, not as tasks")
        if media not in found.inbound:
            raise PermissionDenied(f"tenant {tenant!r} may not take {media!r} inbound")
        if queue is not None and self.center.ownership.queues.get(queue) != tenant:
            raise PermissionDenied(f"tenant {tenant!r} has no queue {queue!r}")
        if (queue is None) == (skills is None):
            raise ParameterError("give exactly one of queue and skills")
        self._task_seq += 1
        task_id = f"{self.options.id_prefix}t{self._task_seq}"
        now = self.now()
        decisions = self.engine.call_arrived(
            task_id,
            now,
            queue=queue,
            skills=dict(skills) if skills is not None else None,
            priority=priority,
            media=media,
            tenant=tenant,
            data=dict(data or {}),
        )
        self.core.tasks[task_id] = Task(task_id, tenant, media, queue)
        self._dispatch(self.core._decide(list(decisions), now))
        return task_id

    def _task(self, task_id: str) -> Task:
        task = self.core.tasks.get(task_id)
        if task is None:
            raise UnknownIdError(f"unknown task {task_id!r}")
        return task

    async def accept_task(self, task_id: str) -> None:
        """The offered agent takes the task."""
        task = self._task(task_id)
        self._input("offer_accepted", task_id)
        task.state = "connected"

    async def decline_task(self, task_id: str) -> None:
        """The offered agent declines; the engine offers the task elsewhere."""
        self._task(task_id)
        self._input("offer_declined", task_id)

    async def end_task(self, task_id: str) -> None:
        """The task is done (its agent goes to wrap-up)."""
        task = self._task(task_id)
        self._input("call_ended", task_id)
        self.core.tasks.pop(task_id, None)
        now = self.now()
        self._dispatch(
            [
                cmd.RecordOutcome(
                    task_id, "completed", now, {"tenant": task.tenant, "media": task.media}
                ),
                cmd.Publish(
                    {"type": "ended", "call": task_id, "outcome": "completed"}, task.tenant
                ),
            ]
        )

    def _outbound_core(self) -> Any:
        if self.outbound is None:
            raise UnknownIdError("this runtime runs no outbound campaigns")
        return self.core

    async def preview_accept(self, campaign: str, contact: str, agent: str | None = None) -> bool:
        """An agent accepted the preview of ``contact``: dial it. ``agent``, if ready, is
        reserved for the line (not ready, reason ``preview``) and the person who answers is
        pinned to it: offered to that agent and no other (else, the agent no longer
        reserved, queued in the campaign's queue for any agent; docs/outbound.md, "Preview
        campaigns"). False: every number of the contact went on a do-not-call list
        meanwhile. Raises the dialer's typed errors (a preview
        never offered: ``DialerInvalidEventError``; an unknown campaign or contact)."""
        core = self._outbound_core()
        now = self.now()
        commands = core.preview_accepted(campaign, contact, agent, now)
        self._dispatch(commands)
        return bool(commands)

    async def preview_reject(self, campaign: str, contact: str) -> None:
        """The agent passed on the preview: the contact is pending again."""
        self._outbound_core()
        assert self.outbound is not None
        self.outbound.dialer.preview_rejected(campaign, contact, self.now())

    async def stats(self, tenant: str | None = None) -> dict[str, Any]:
        """The engine's statistics in the HTTP layer's shape (:func:`engine_stats`: per
        queue waiting, longest_wait, offered, answered, abandoned, service_level, asa; agents
        and agents by state), plus ``calls``: this runtime's calls by phase, and with
        outbound campaigns ``campaigns``: each campaign's dialer statistics (dials, answers,
        connected, abandoned, the rolling abandonment rate, contacts done and pending)."""
        if tenant is not None and tenant not in self.center.tenants:
            raise UnknownIdError(f"unknown tenant {tenant!r}")
        out = engine_stats(self.center, tenant, self.engine)
        phases: dict[str, int] = {}
        for call in self.core.calls.values():
            if tenant is None or call.tenant == tenant:
                phases[call.phase.value] = phases.get(call.phase.value, 0) + 1
        out["calls"] = phases
        if self.outbound is not None:
            campaigns = {}
            for cid, campaign in self.outbound.campaigns.items():
                if tenant is None or campaign.config.tenant == tenant:
                    with contextlib.suppress(CallrouteError):
                        campaigns[cid] = self.outbound.dialer.stats(cid)
            out["campaigns"] = campaigns
        return out

    def data_for_engine(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The attached data as the engine takes it (see :func:`engine_data`)."""
        return dict(engine_data(data))


def _context(event: Any) -> str:
    for attr in ("channel", "peer", "bridge", "playback", "recording", "endpoint"):
        obj = getattr(event, attr, None)
        ident = getattr(obj, "id", None) or getattr(obj, "name", None)
        if ident:
            return f"{attr} {ident}"
    return "-"


def _verifier_names(center: Center) -> set[str]:
    from ..ivr import AuthenticateNode

    names: set[str] = set()
    for flow in center.flows.values():
        for node in flow.nodes.values():
            if isinstance(node, AuthenticateNode) and isinstance(node.verifier, str):
                names.add(node.verifier)
    return names


def _run_prefix() -> str:
    """Call ids unique across restarts: ``cr`` + the start time in base 36 + ``x``."""
    n = int(time.time() * 10)
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return f"cr{digits}x"
