"""Screen-pops to a CRM: each offer POSTed as JSON to its tenant's ``crm_webhook``.

The center file's ``tenants.<name>.crm_webhook`` is an http(s) URL. :class:`CrmWebhook`
reads the runtime's event stream (all tenants) and, for each ``offer`` of a tenant with a
URL, POSTs the event (secret-looking data removed, as on the desktop stream) with a timeout.
A failure -- refused, timed out, any non-2xx answer -- is logged and counted, never retried
and never fatal: a CRM that is down costs its screen-pops, not a call. At most
``max_in_flight`` posts run at once; past that an offer's post is skipped (logged), so a
slow CRM can neither block routing nor make the event stream fall behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from .api import RuntimeAPI, queue_tenant
from .scrub import scrub

__all__ = ["CrmWebhook"]

log = logging.getLogger(__name__)


class CrmWebhook:
    """Posts offers to tenants' CRM webhooks (see the module docstring)."""

    def __init__(
        self,
        runtime: RuntimeAPI,
        *,
        urls: Mapping[str, str] | None = None,
        timeout: float = 3.0,
        max_in_flight: int = 32,
    ) -> None:
        self.runtime = runtime
        self.urls = dict(
            urls
            if urls is not None
            else {n: t.crm_webhook for n, t in runtime.center.tenants.items() if t.crm_webhook}
        )
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self.sent = 0
        self.failed = 0
        self.skipped = 0
        self._inflight: set[asyncio.Task[None]] = set()

    def __bool__(self) -> bool:
        return bool(self.urls)

    async def run(self) -> None:
        """Post offers until cancelled (subscribed before the first ``await``)."""
        events = self.runtime.subscribe()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                async for event in events:
                    self._dispatch(session, event)
            finally:
                for task in list(self._inflight):
                    task.cancel()
                for task in list(self._inflight):
                    with contextlib.suppress(BaseException):
                        await task

    def _dispatch(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        if event.get("type") != "offer":
            return
        tenant = event.get("tenant") or queue_tenant(
            self.runtime.center, str(event.get("queue", ""))
        )
        url = self.urls.get(str(tenant))
        if url is None:
            return
        if len(self._inflight) >= self.max_in_flight:
            self.skipped += 1
            log.warning(
                "CRM webhook of tenant %r: %d posts in flight, offer of call %r not posted",
                tenant,
                len(self._inflight),
                event.get("call"),
            )
            return
        task = asyncio.ensure_future(self._post(session, str(tenant), url, scrub(event)))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _post(
        self, session: aiohttp.ClientSession, tenant: str, url: str, event: dict[str, Any]
    ) -> None:
        try:
            async with session.post(url, json=event) as resp:
                if 200 <= resp.status < 300:
                    self.sent += 1
                    return
                self.failed += 1
                log.warning(
                    "CRM webhook of tenant %r answered %d for call %r",
                    tenant,
                    resp.status,
                    event.get("call"),
                )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            self.failed += 1
            log.warning(
                "CRM webhook of tenant %r failed for call %r: %s",
                tenant,
                event.get("call"),
                type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}",
            )
