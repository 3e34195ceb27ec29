"""``callroute serve``: route the calls of a center file through Asterisk (ARI).

One asyncio process: the runtime (engine, IVR, queueing, offers) on the ARI client, an
optional SQLite journal (every engine input written before it is applied; restarting on the
same journal recovers the calls in flight) and the HTTP API (agents, tasks, screen-pops,
``/stats``, ``/metrics``, ``/health``) on loopback by default.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import CallrouteError, ParameterError

_log = logging.getLogger("callroute.serve")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute serve``."""
    c = sub.add_parser(
        "serve",
        help="route real calls through Asterisk ARI",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("config", help="center file (YAML, JSON or TOML)")
    c.add_argument("--ari", required=True, help="Asterisk HTTP root, e.g. http://127.0.0.1:8088")
    c.add_argument("--ari-user", required=True, help="ARI user (ari.conf)")
    c.add_argument(
        "--ari-password",
        default=None,
        help="ARI password (default: the CALLROUTE_ARI_PASSWORD environment variable)",
    )
    c.add_argument("--app", default="callroute", help="Stasis application name")
    c.add_argument("--journal", default=None, help="SQLite journal file (crash recovery)")
    c.add_argument(
        "--listen", default="127.0.0.1:8099", help="HTTP API address host:port ('' for none)"
    )
    c.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    c.add_argument(
        "--campaign",
        action="append",
        default=[],
        metavar="CAMPAIGN:CONTACTS",
        help="an outbound campaign file and its contact CSV (repeatable); with --journal "
        "the dialer journals to JOURNAL-outbound",
    )
    c.add_argument("--dnc", default=None, help="do-not-call list of every campaign")
    c.add_argument(
        "--inbound-expected",
        action="append",
        default=[],
        metavar="QUEUE=RATE",
        help="inbound calls a second expected at QUEUE, planned for by the campaigns whose "
        "agents serve it until its rate is measured (repeatable; default 0)",
    )
    c.add_argument(
        "--dial-template",
        default="PJSIP/{number}@trunk",
        help="endpoint of outbound dials ({number} filled in)",
    )
    c.set_defaults(run=run)


def _listen(text: str) -> tuple[str, int] | None:
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ParameterError(f"--listen: expected host:port, got {text!r}")
    return host or "127.0.0.1", int(port)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; exit 0 after a clean stop."""
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    password = args.ari_password or os.environ.get("CALLROUTE_ARI_PASSWORD")
    if password is None:
        raise ParameterError("--ari-password or CALLROUTE_ARI_PASSWORD is required")
    listen = _listen(args.listen)
    asyncio.run(_serve(args, password, listen))
    return 0


async def _serve(args: argparse.Namespace, password: str, listen: tuple[str, int] | None) -> None:
    from ..adapters.ari import AriClient
    from ..center import load_center
    from ..runtime import Journal, Runtime

    center = load_center(args.config)
    journal = Journal(args.journal) if args.journal else None
    plan, dialer_journal = outbound_plan(args, center)
    runner: Any = None
    try:
        async with AriClient(args.ari, args.ari_user, password, args.app) as ari:
            runtime = Runtime(
                center,
                ari,
                journal=journal,
                options=_options(args.app),
                outbound=plan,
                outbound_options=_outbound_options(args) if plan is not None else None,
            )
            if listen is not None:
                runner = await _start_http(runtime, *listen)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            task = asyncio.create_task(runtime.run())
            _log.info("serving %s on %s (app %s)", args.config, args.ari, args.app)
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            await runtime.stop()
            waiter.cancel()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, CallrouteError):
                await task
    finally:
        if runner is not None:
            await runner.cleanup()
        if journal is not None:
            journal.close()
        if dialer_journal is not None:
            dialer_journal.close()


def outbound_plan(
    args: argparse.Namespace, center: Any, wallclock: Callable[[], datetime] | None = None
) -> tuple[Any, Any]:
    """The outbound plan of ``--campaign`` (None without one) and the dialer's journal
    (``--journal`` + ``-outbound``; None without ``--journal``). A campaign the journal
    already holds is taken as it is (its contacts' states kept; ids new in the CSV are
    added: :meth:`OutboundPlan.restored`). ``wallclock``: a callable
    giving the wall time the campaigns' windows start from (default: now, UTC)."""
    if not args.campaign:
        return None, None
    from datetime import timezone

    from ..outbound import EngineClock, OutboundPlan, load_campaign, read_contacts, read_dnc
    from ..runtime import Journal
    from ..runtime.dialjournal import JournaledDialer

    pairs = []
    for spec in args.campaign:
        campaign, sep, contacts = str(spec).rpartition(":")
        if not sep or not campaign or not contacts:
            raise ParameterError(f"--campaign {spec!r}: give CAMPAIGN_FILE:CONTACTS_CSV")
        pairs.append((load_campaign(campaign), read_contacts(contacts)))
    dnc = sorted(read_dnc(args.dnc)) if args.dnc else []
    own = {config.queue_name for config, _ in pairs}
    expected = _expected(getattr(args, "inbound_expected", None) or [], center.queues, own)
    journal = dialer = None
    if args.journal:
        journal = Journal(f"{args.journal}-outbound")
        dialer = JournaledDialer.open(journal)
    wall0 = wallclock() if wallclock is not None else datetime.now(timezone.utc)
    clock = EngineClock(wall0)  # the runtime sets its own at start
    plan = OutboundPlan(
        center.engine,
        center.agents,
        clock,
        dialer=dialer,
        queues=center.queues,
        inbound_expected=expected,
    )
    now = float(plan.dialer.now or 0.0)
    if dnc:
        plan.dialer.set_dnc(dnc, now, None)
    known = set(plan.dialer.campaigns())
    for config, people in pairs:
        if config.id in known:
            plan.restored(config, people, now)
        else:
            plan.add_campaign(config, people, now)
    return plan, journal


def _outbound_options(args: argparse.Namespace) -> Any:
    from ..runtime.outbound import OutboundOptions

    return OutboundOptions(dial_template=args.dial_template)


def _options(app: str) -> Any:
    from ..runtime import Options

    return Options(app=app)


async def _start_http(runtime: Any, host: str, port: int) -> Any:
    """The HTTP API on ``host:port`` (needs :mod:`callroute.runtime.http`)."""
    from aiohttp import web

    try:
        http = importlib.import_module("callroute.runtime.http")
    except ImportError:  # pragma: no cover - the HTTP layer is part of the package
        _log.warning("callroute.runtime.http is missing: no HTTP API")
        return None
    runner = web.AppRunner(http.build_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    _log.info("HTTP API on http://%s:%d", host, port)
    return runner


def _expected(specs: Sequence[str], queues: Mapping[str, Any], own: set[str]) -> dict[str, float]:
    """``--inbound-expected QUEUE=RATE`` by queue (an inbound queue of the center, not a
    campaign's own queue ``own``: no inbound is planned for there; a rate >= 0)."""
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, text = str(spec).partition("=")
        try:
            rate = float(text)
        except ValueError:
            rate = math.nan
        if not sep or not name or not 0 <= rate < math.inf:
            raise ParameterError(
                f"--inbound-expected {spec!r}: give QUEUE=RATE (calls a second, >= 0)"
            )
        if name in own:
            raise ParameterError(
                f"--inbound-expected {spec!r}: {name!r} is a campaign's own queue, not an "
                "inbound one (its arrivals are the campaign's answered calls)"
            )
        if name not in queues:
            raise ParameterError(f"--inbound-expected {spec!r}: no queue {name!r} in the center")
        out[name] = rate
    return out
