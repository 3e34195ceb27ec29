"""Prompts and queue announcements for the call core (split from
:mod:`callroute.runtime.calls` to keep modules small): which media a prompt plays, and the
position / expected-wait / periodic announcements a waiting caller hears."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import commands as cmd
from .commands import Command
from .state import Call, Options, Phase

if TYPE_CHECKING:
    from ..center import Center


class PromptsMixin:
    """Prompt media and announcements (a base of :class:`~callroute.runtime.calls.CallCore`)."""

    center: Center
    options: Options
    _playbacks: dict[str, str]
    _timed: set[str]
    _engine_query: Callable[..., Any]

    def prompt_media(self, prompt: str) -> str:
        """The ARI media URI of prompt ``prompt`` (``sound:`` + its file without the
        extension, or ``sound:<name>``; ``Options.prompt_media`` overrides)."""
        given = self.options.prompt_media.get(prompt)
        if given:
            return given
        cfg = self.center.prompts.get(prompt)
        if cfg is not None and cfg.file:
            stem = cfg.file.rsplit(".", 1)[0] if "." in cfg.file.rsplit("/", 1)[-1] else cfg.file
            return f"sound:{stem}"
        return f"sound:{prompt}"

    def _announce(
        self,
        call: Call,
        prompts: list[str],
        position: int | None,
        expected_wait: float | None,
        every: float,
        now: float,
    ) -> list[Command]:
        """Play ``prompts`` then the position and expected wait (when given) to a waiting
        caller, at most once per ``every`` seconds and never over another prompt."""
        if call.playbacks or not call.caller_up:
            return []
        if call.last_announce is not None and now - call.last_announce < every:
            return []
        call.last_announce = now
        uris = [self.prompt_media(p) for p in prompts]
        if position is not None:
            media = (
                ["queue-youarenext"]
                if position <= 1
                else ["queue-thereare", f"#number:{position}", "queue-callswaiting"]
            )
            wait = expected_wait if expected_wait is not None else math.inf
            minutes = math.ceil(wait / 60.0) if math.isfinite(wait) else 0
            if 0 < minutes < 100:
                media += ["queue-holdtime", f"#number:{minutes}", "queue-minutes"]
            uris += [m[1:] if m.startswith("#") else f"sound:{m}" for m in media]
        if not uris:
            return []
        pid = call.next_playback()
        call.playbacks.add(pid)
        self._playbacks[pid] = call.id
        call.play_guard = now + self.options.playback_guard
        self._timed.add(call.id)
        return [cmd.PlayChannel(call.channel or "", tuple(uris), pid)]

    def _periodic(self, call: Call, now: float) -> list[Command]:
        """The queue's periodic announcement (and position, if it says so) is due."""
        call.announce_at = None
        queue = self.center.queues.get(call.queue or "")
        ann = queue.announcements if queue is not None else None
        if ann is None or call.phase is not Phase.QUEUED or not call.caller_up:
            return []
        call.announce_at = now + ann.every
        self._timed.add(call.id)
        info = self._engine_query("call_info", call.id)
        position = info.position if info is not None and ann.position else None
        expected = info.expected_wait if info is not None else None
        prompts = [ann.periodic] if ann.periodic else []
        return self._announce(call, prompts, position, expected, ann.every / 2, now)
