"""Why a planned day's simulated service level beats Erlang's promise: the measurements.

Plans the bank's next day (2003-08-22: forecast, Erlang C staffing, shifts with breaks)
and simulates it four ways: the shifts and breaks as scheduled; the schedule's coverage as
a count of agents per period (no individual breaks or shift ends); and both with every
period stretched (same rates and agents, ``--stretch`` times longer), where transients
between periods vanish. Prints, per way, the day's promise at the schedule's coverage, the
agents the simulation really had on the phones (logged in, not on a break) against the
coverage, Erlang at those agents, and the simulated service level with its 95 % half-width.

Usage: ``python tools/wfm_sl_gap.py [calls-5min.csv] [--replications N] [--stretch K]``
(default ``shared/data/bank-calls-2003/calls-5min.csv`` beside the repository, or beside the
worktrees' parent in development, as the tests look for it).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from callroute.wfm import DailyProfile, read_interval_csv
from callroute.wfm.plan import plan_day
from callroute.wfm.schedule_check import simulate_schedule

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = next(
    (
        p / "bank-calls-2003" / "calls-5min.csv"
        for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
        if (p / "bank-calls-2003").exists()
    ),
    ROOT.parent / "shared" / "data" / "bank-calls-2003" / "calls-5min.csv",
)


def main() -> None:
    """Run the four simulations and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--stretch", type=int, default=16)
    args = parser.parse_args()
    history = read_interval_csv(args.path).resample(1800)
    calls = DailyProfile().fit(history).horizon(1).mean[0]
    plan = plan_day(calls, start=history.start, interval=1800, aht=200, target=20, replications=2)
    schedule = plan.schedule
    k = len(schedule.coverage) // len(calls)  # periods per forecast interval
    per_period = np.repeat(calls / k, k)
    print(
        f"{'simulated as':>24} {'promise':>8} {'in sim - cov':>12} {'at sim':>7} {'simulated':>16}"
    )
    for stretch in (1, args.stretch):
        day = schedule
        if stretch > 1:
            day = dataclasses.replace(schedule, period_minutes=schedule.period_minutes * stretch)
        for agents in ("shifts", "coverage"):
            check = simulate_schedule(
                day,
                per_period * stretch,
                aht=200,
                target=20,
                replications=args.replications,
                seed=5,
                threads=1,
                agents=agents,  # type: ignore[arg-type]
            )
            extra = float((check.effective - check.coverage).mean())
            print(
                f"{agents + f' x{stretch}':>24} {check.promised_day:>8.1%} {extra:>+12.2f} "
                f"{check.promised_effective_day:>7.1%} "
                f"{check.simulated_day:>9.1%} ± {check.simulated_day_halfwidth:.1%}"
            )


if __name__ == "__main__":
    main()
