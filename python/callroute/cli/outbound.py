"""``callroute outbound check``: validate a campaign with its contact (and DNC) lists;
``callroute outbound results``: export a campaign's results; ``callroute outbound
simulate``: simulate a blended day (and its trade-off by threshold)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime, timezone

from ..errors import CallrouteError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``callroute outbound``."""
    o = sub.add_parser(
        "outbound",
        help="outbound campaigns: check a campaign and its contact list",
        description="Outbound campaigns. `outbound check CAMPAIGN CONTACTS [--dnc FILE]` "
        "validates the campaign file and the contact CSV (every bad row by file:line) and "
        "prints a summary. Exit status: 0 valid, 2 errors.",
    )
    osub = o.add_subparsers(dest="outbound_command", required=True)
    c = osub.add_parser("check", help="validate a campaign and its contacts; print a summary")
    c.add_argument("campaign", help="campaign file (YAML, JSON or TOML)")
    c.add_argument("contacts", help="contact list (CSV with a header row)")
    c.add_argument("--dnc", help="do-not-call list (one number a line)")
    c.add_argument("--zone", default=None, help="IANA zone of contacts without one (default: none)")
    c.add_argument(
        "--at",
        default=None,
        help="the moment to judge calling windows at (ISO 8601 with offset; default: now)",
    )
    c.set_defaults(run=run_check)
    r = osub.add_parser(
        "results",
        help="export a campaign's results from the dialer's journal (CSV)",
        description="Write contact_id, attempts, outcome, last_attempt for every contact of "
        "CAMPAIGN from the dialer journal callroute serve keeps (JOURNAL-outbound).",
    )
    r.add_argument("journal", help="the dialer's journal (callroute serve's JOURNAL-outbound)")
    r.add_argument("campaign", help="campaign id")
    r.add_argument("-o", "--output", default="-", help="CSV file (default: standard output)")
    r.set_defaults(run=run_results)
    s = osub.add_parser(
        "simulate",
        help="simulate a blended day (inbound and campaigns on one pool of agents)",
        description="Simulate the blended day FILE (kind: blend) and print inbound service, "
        "outbound contacts per hour and utilization with 95 %% CIs. With --thresholds, run "
        "the day at each threshold (idle agents kept for inbound) and dial mode with the "
        "same seed and print the trade-off; --plot draws it (matplotlib).",
    )
    s.add_argument("file", nargs="?", help="blended day model file (YAML, JSON or TOML)")
    s.add_argument(
        "--example",
        action="store_true",
        help="the bundled blended day (30 agents, a service line and a campaign)",
    )
    s.add_argument("--replications", type=int, default=10, help="replications (default 10)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    s.add_argument(
        "--thresholds",
        default=None,
        help="comma-separated thresholds for the trade-off, e.g. 0,2,4,8",
    )
    s.add_argument(
        "--modes",
        default="progressive,predictive",
        help="comma-separated dial modes for the trade-off (default progressive,predictive)",
    )
    s.add_argument(
        "--plot", default=None, help="PNG of the trade-off (thresholds default to 0,2,4,8)"
    )
    s.set_defaults(run=run_simulate)


def run_check(args: argparse.Namespace) -> int:
    """Validate; print problems (exit 2) or a summary (exit 0)."""
    from ..errors import ConfigError
    from ..outbound import EngineClock, load_campaign, read_contacts, read_dnc, zone_spans

    failed = False
    campaign = contacts = None
    dnc: set[str] = set()
    try:
        campaign = load_campaign(args.campaign)
    except ConfigError as exc:
        failed = _report(args.campaign, exc)
    try:
        contacts = read_contacts(args.contacts, default_zone=args.zone)
    except ConfigError as exc:
        failed = _report(args.contacts, exc)
    if args.dnc:
        try:
            dnc = read_dnc(args.dnc)
        except ConfigError as exc:
            failed = _report(args.dnc, exc)
    if failed or campaign is None or contacts is None:
        return 2
    if args.at is not None:
        try:
            now = datetime.fromisoformat(args.at)
        except ValueError:
            raise CallrouteError(f"--at: not an ISO 8601 date and time: {args.at!r}") from None
        if now.tzinfo is None:
            raise CallrouteError("--at: give an offset (e.g. 2026-03-08T14:00+00:00)")
    else:
        now = datetime.now(timezone.utc)
    zones = Counter(c.zone for c in contacts)
    numbers = sum(len(c.numbers) for c in contacts)
    only_dnc = sum(1 for c in contacts if all(n in dnc for n in c.numbers))
    blocked = sum(1 for c in contacts for n in c.numbers if n in dnc)
    clock = EngineClock(now)
    w = campaign.windows
    open_now = 0
    for zone, count in zones.items():
        spans = zone_spans(zone, w.start, w.end, clock, 0.0, 1.0)
        open_now += count if spans else 0
    print(
        f"campaign {campaign.id}: {campaign.mode}, tenant {campaign.tenant}, queue "
        f"{campaign.queue_name}, caller id {campaign.caller_id}"
    )
    print(
        f"  windows {w.start:%H:%M}-{w.end:%H:%M} contact local time; abandonment cap "
        f"{campaign.abandon_cap:.1%} over {_span(campaign.cap_window_seconds)} "
        f"(risk of a window above it {campaign.abandon_risk:.0%}); connect within "
        f"{campaign.connect_within:g} s; threshold {campaign.threshold}"
    )
    print(f"contacts: {len(contacts)} ({numbers} numbers) in {len(zones)} time zones")
    for zone, count in sorted(zones.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        print(f"  {zone}: {count}")
    if args.dnc:
        print(
            f"do-not-call: {len(dnc)} numbers; {blocked} contact numbers blocked, "
            f"{only_dnc} contacts with only blocked numbers (final outcome dnc)"
        )
    print(f"callable at {now.isoformat(timespec='minutes')}: {open_now} of {len(contacts)}")
    return 0


def run_results(args: argparse.Namespace) -> int:
    """Export one campaign's results from a dialer journal."""
    import io
    from pathlib import Path

    from ..outbound import write_results
    from ..outbound.plan import contact_results
    from ..runtime import Journal
    from ..runtime.dialjournal import JournaledDialer

    if not Path(args.journal).exists():
        raise CallrouteError(f"{args.journal}: no such journal")
    journal = Journal(args.journal)
    try:
        dialer = JournaledDialer.open(journal)
        views = dialer.contacts(args.campaign)
        rows = contact_results(views, args.campaign, dialer.last_dialled())
    finally:
        journal.close()
    if args.output == "-":
        buf = io.StringIO()
        write_results(buf, rows)
        sys.stdout.write(buf.getvalue())
    else:
        write_results(args.output, rows)
        print(f"{args.output}: {len(rows)} contacts", file=sys.stderr)
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """Simulate a blended day; with thresholds (or a plot), its trade-off."""
    from .._internal.examples import example_path
    from ..outbound import load_blend, plot_tradeoff, simulate_blend, tradeoff

    if (args.file is None) == (not args.example):
        raise CallrouteError("outbound simulate: give a FILE or --example (one of them)")
    model = load_blend(example_path("blend") if args.example else args.file)
    if args.thresholds is None and args.plot is None:
        result = simulate_blend(
            model, replications=args.replications, seed=args.seed, threads=args.threads
        )
        print(result.format())
        return 0
    thresholds = _numbers("--thresholds", "0,2,4,8" if args.thresholds is None else args.thresholds)
    if not thresholds:
        raise CallrouteError("--thresholds: give at least one (e.g. 0,2,4,8)")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes:
        raise CallrouteError("--modes: give at least one of progressive, predictive, preview")
    result_t = tradeoff(
        model,
        thresholds,
        modes,
        replications=args.replications,
        seed=args.seed,
        threads=args.threads,
    )
    print(result_t.format(), flush=True)
    if args.plot:
        print(f"wrote {plot_tradeoff(result_t, args.plot)}", file=sys.stderr)
    return 0


def _numbers(option: str, text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CallrouteError(
            f"{option}: comma-separated whole numbers (e.g. 0,2,4,8), got {text!r}"
        ) from None


def _report(path: str, exc: Exception) -> bool:
    from ..errors import ConfigError
    from ..outbound import ContactListError

    if isinstance(exc, ContactListError) and exc.lines:
        count = 0
        for line in sorted(exc.lines):
            for message in exc.lines[line]:
                print(f"{path}:{line}: error: {message}")
                count += 1
        print(f"{path}: {len(exc.lines)} bad lines, {count} errors", file=sys.stderr)
        return True
    problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
    for problem in problems:
        print(f"{path}: error: {problem}")
    count = len(problems)
    print(f"{path}: {count} error{'s' * (count != 1)}", file=sys.stderr)
    return True


def _span(seconds: float) -> str:
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' * (days != 1)}"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    return f"{seconds:g} s"
