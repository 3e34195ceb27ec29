"""The ``callroute`` command line.

Output piped into a command that stops reading early (``callroute ... | head``) ends quietly
with exit status 141 (128 + SIGPIPE), as Unix tools killed by SIGPIPE do; ``--version``
prints the package version.

``callroute erlang``    single questions (P(wait), service level, ASA... or agents needed);
``callroute staff``     an interval staffing plan from a forecast CSV (or ``--example``);
``callroute forecast``  calls per interval from a history file, with intervals; or a backtest;
``callroute schedule``  shifts with breaks covering a requirement or forecast CSV;
``callroute plan``      history -> forecast -> staffing -> shifts -> simulated check (--surge);
``callroute simulate``  a model (YAML, JSON or TOML; or ``--example``) with the routing engine;
``callroute compare``   the same workload under several routing strategies, paired;
``callroute check``     validate a center or model file (exit 0 clean, 1 warnings, 2 errors);
``callroute schema``    print the JSON Schema of center files, or (``schema model``) of model files;
``callroute serve``     route real calls through Asterisk ARI (runtime, journal, HTTP API);
``callroute outbound``  check a campaign with its contact (and DNC) lists; export results;
                        simulate a blended day and its trade-off by threshold.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import CallrouteError
from . import check, erlang, forecast, outbound, plan, schedule, schema, serve, simulate, staff
from ._args import plain_help, version

# The exit status after the reader of our output went away (128 + SIGPIPE, like `yes | head`).
EXIT_BROKEN_PIPE = 141

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callroute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"callroute {version()}")
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
    plain_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callroute`` command.

    Returns the exit status: 0 done, 2 an error (``callroute: error: ...`` on stderr), 141
    when the reader of the output closed it early (``callroute ... | head``; no traceback).
    """
    try:
        args = _parser().parse_args(argv)  # argparse's own exits (--help) drop EPIPE quietly
        try:
            result: int = args.run(args)
        except (CallrouteError, ImportError) as exc:
            print(f"callroute: error: {exc}", file=sys.stderr)
            result = 2
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        return result
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush of what is still
    buffered cannot fail again (and print "Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (stdout replaced): nothing to do
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
