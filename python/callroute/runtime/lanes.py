"""Carrying out the core's commands: PBX command lanes, journal notes, lookups, outcomes.

:class:`CommandsMixin` is the part of :class:`~callroute.runtime.service.Runtime` that runs
what the sans-I/O core asks for. PBX commands run in *lanes*, one per call, in order
(create the bridge before adding the caller); lanes of different calls run concurrently,
at most ``max_in_flight`` requests at a time. A failed command is logged with its call and
channel and fed back to the core, which repairs the call (an originate that fails is an
unanswered offer). Split from :mod:`callroute.runtime.service`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..ivr import LookupResult
from . import commands as cmd
from .commands import Command

if TYPE_CHECKING:
    from .calls import CallCore

_log = logging.getLogger("callroute.runtime")


class CommandsMixin:
    """Runs the core's commands for :class:`~callroute.runtime.service.Runtime`."""

    pbx: Any
    journal: Any | None
    core: CallCore
    errors_seen: int
    _speed: float
    _inbox: asyncio.Queue[tuple[Any, ...]]
    _lanes: dict[str, deque[Command]]
    _slots: asyncio.Semaphore
    _lookups: dict[str, Callable[..., Any]]
    _spawn: Callable[[Awaitable[Any]], None]
    _publish: Callable[[cmd.Publish], None]

    def _dispatch(self, commands: list[Command]) -> None:
        for command in commands:
            if isinstance(command, cmd.Publish):
                self._publish(command)
            elif isinstance(command, cmd.RecordOutcome):
                self._record_outcome(command)
            elif isinstance(command, cmd.RunLookup):
                self._spawn(self._run_lookup(command))
            else:
                lane = self.core.lane(command)
                queue = self._lanes.get(lane)
                if queue is None:
                    queue = self._lanes[lane] = deque()
                    self._spawn(self._run_lane(lane, queue))
                queue.append(command)
        self.core.end_step()
        notes = self.core.take_notes()
        if self.journal is not None and notes:
            self._write_notes(notes)
        for call in [c for c in self.core.ended_pending if c not in self._lanes]:
            self._teardown_done(call)

    def _write_notes(self, notes: list[tuple[str, dict[str, Any] | None]]) -> None:
        journal = self.journal
        assert journal is not None
        for call, payload in notes:
            try:
                if payload is None:
                    journal.forget("call", call)
                else:
                    journal.note("call", {**payload, "call": call}, key=call)
            except Exception as exc:
                self.errors_seen += 1
                _log.error("call %s: journaling its state failed: %s", call, exc)

    async def _run_lane(self, lane: str, queue: deque[Command]) -> None:
        while queue:
            command = queue.popleft()
            try:
                await self._execute_retrying(command)
            except Exception as exc:
                status = getattr(exc, "status", None)
                if status == 404 and isinstance(command, _TIDY):
                    _log.debug("call %s: %s: already gone", lane, type(command).__name__)
                    continue
                self.errors_seen += 1
                _log.warning(
                    "call %s: %s failed: %s: %s",
                    lane,
                    _describe(command),
                    type(exc).__name__,
                    exc,
                )
                self._inbox.put_nowait(("failed", command, exc))
        del self._lanes[lane]
        if lane in self.core.ended_pending:
            self._teardown_done(lane)

    def _teardown_done(self, call: str) -> None:
        """An ended call's PBX teardown ran: its journal note can go."""
        self.core.ended_pending.discard(call)
        if self.journal is not None:
            try:
                self.journal.forget("call", call)
            except Exception as exc:
                _log.error("call %s: deleting its journal note failed: %s", call, exc)

    async def _execute_retrying(self, command: Command) -> None:
        """Run one PBX command, at most ``max_in_flight`` at a time. A transient failure
        (timeout, connection, 5xx) is tried again twice, 0.2 s and 0.6 s later; an
        originate is not (a late success would ring the agent twice), nor is an error
        Asterisk answered for (4xx: the request itself cannot work)."""
        for attempt in range(3):
            try:
                async with self._slots:
                    await self._execute(command)
                return
            except Exception as exc:
                status = getattr(exc, "status", None)
                definite = isinstance(status, int) and 400 <= status < 500
                if definite or isinstance(command, cmd.Originate) or attempt == 2:
                    raise
                _log.info("%s: %s; trying again", _describe(command), type(exc).__name__)
                await asyncio.sleep((0.2, 0.6)[attempt] / self._speed)

    async def _execute(self, c: Command) -> None:
        pbx = self.pbx
        if isinstance(c, cmd.Answer):
            await pbx.answer(c.channel)
        elif isinstance(c, cmd.Hangup):
            await pbx.hangup(c.channel, reason=c.reason)
        elif isinstance(c, cmd.PlayChannel):
            await pbx.play(c.channel, list(c.media), c.playback_id)
        elif isinstance(c, cmd.PlayBridge):
            await pbx.play_on_bridge(c.bridge, list(c.media), c.playback_id)
        elif isinstance(c, cmd.StopPlayback):
            await pbx.stop_playback(c.playback_id)
        elif isinstance(c, cmd.CreateBridge):
            await pbx.create_bridge(c.bridge, type=c.kind, name=c.name)
        elif isinstance(c, cmd.AddChannels):
            await pbx.add_channel(c.bridge, list(c.channels), role=c.role)
        elif isinstance(c, cmd.RemoveChannel):
            await pbx.remove_channel(c.bridge, c.channel)
        elif isinstance(c, cmd.DestroyBridge):
            await pbx.destroy_bridge(c.bridge)
        elif isinstance(c, cmd.StartMoh):
            await pbx.start_bridge_moh(c.bridge, c.moh_class)
        elif isinstance(c, cmd.StopMoh):
            await pbx.stop_bridge_moh(c.bridge)
        elif isinstance(c, cmd.Originate):
            await pbx.originate(
                c.endpoint,
                channel_id=c.channel,
                app_args=c.app_args,
                timeout=c.timeout,
                caller_id=c.caller_id,
                variables=dict(c.variables),
                other_channel_id=f"{c.channel}-peer" if c.endpoint.startswith("Local/") else None,
                originator=c.originator,
            )
        elif isinstance(c, cmd.RecordBridge):
            await pbx.record_bridge(c.bridge, c.name, format="wav", if_exists="overwrite")
        elif isinstance(c, cmd.StopRecording):
            await pbx.stop_recording(c.name)
        elif isinstance(c, cmd.SetVariable):
            await pbx.set_variable(c.channel, c.name, c.value)
        elif isinstance(c, cmd.ContinueInDialplan):
            await pbx.continue_in_dialplan(
                c.channel, context=c.context, extension=c.extension, priority=c.priority
            )

    async def _run_lookup(self, c: cmd.RunLookup) -> None:
        action = c.action
        hook = self._lookups.get(action.name)
        if hook is None:
            result = LookupResult(error=f'unknown lookup hook "{action.name}"', token=action.token)
        else:
            try:
                if inspect.iscoroutinefunction(hook):
                    pending: Awaitable[Any] = hook(action.request)
                else:
                    pending = asyncio.to_thread(hook, action.request)
                value = await asyncio.wait_for(pending, action.timeout / self._speed)
                result = LookupResult(value=value, token=action.token)
            except asyncio.TimeoutError:
                result = LookupResult(error="timeout", token=action.token)
            except Exception as exc:
                _log.warning(
                    "call %s: lookup %s raised %s", c.call, action.name, type(exc).__name__
                )
                result = LookupResult(error=f"{type(exc).__name__}: {exc}", token=action.token)
        self._inbox.put_nowait(("lookup", c.call, result))

    def _record_outcome(self, c: cmd.RecordOutcome) -> None:
        if self.journal is None:
            return
        try:
            self.journal.record_outcome(c.call, c.outcome, c.t, dict(c.detail))
        except Exception as exc:
            self.errors_seen += 1
            _log.error("call %s: journaling outcome %s failed: %s", c.call, c.outcome, exc)


_TIDY = (
    cmd.Hangup,
    cmd.DestroyBridge,
    cmd.RemoveChannel,
    cmd.StopRecording,
    cmd.StopPlayback,
    cmd.StopMoh,
)


def _describe(c: Command) -> str:
    """A command for a log line: its type and ids, never media or variable values."""
    ids = [
        f"{k}={getattr(c, k)}"
        for k in ("channel", "bridge", "playback_id", "endpoint")
        if getattr(c, k, None)
    ]
    return f"{type(c).__name__}({', '.join(ids)})"
