"""The ``callroute`` command line.

``callroute erlang``  single questions (P(wait), service level, ASA... or agents needed);
``callroute staff``   an interval staffing plan from a forecast CSV (or ``--example``);
``callroute forecast`` calls per interval from a history file, with intervals; or a backtest;
``callroute schedule`` shifts with breaks covering a requirement or forecast CSV;
``callroute plan``    history -> forecast -> staffing -> shifts -> simulated check (--surge);
``callroute simulate`` a model (YAML, JSON or TOML; or ``--example``) with the routing engine;
``callroute compare``  the same workload under several routing strategies, paired;
``callroute check``   validate and lint a center file (exit 0 clean, 1 warnings, 2 errors);
``callroute schema``  print the JSON Schema of center files (for editor completion);
``callroute serve``   route real calls through Asterisk ARI (runtime, journal, HTTP API);
``callroute outbound check`` validate a campaign file with its contact (and DNC) lists.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import CallrouteError
from . import check, erlang, forecast, outbound, plan, schedule, schema, serve, simulate, staff

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callroute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (
        erlang,
        staff,
        forecast,
        schedule,
        plan,
        simulate,
        check,
        schema,
        serve,
        outbound,
    ):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callroute`` command."""
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (CallrouteError, ImportError) as exc:
        print(f"callroute: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
