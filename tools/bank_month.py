"""Rebuild February 1999 of the Anonymous Bank call center in the simulator, and compare.

The month is replayed as it happened: every call that sought an agent arrives at its real
time (leaving the IVR), regular and priority customers as two call types of one queue;
handle times are drawn from the month's own served calls (per type); patience is exponential
with the month's censored estimate (abandonments over total time waited); agents per half
hour are estimated from who served when (see :func:`staffing`).

Usage: ``python tools/bank_month.py [PATH/TO/february-1999.tsv] [--replications N]``.
Without a path it looks for ``../shared/data/anonymous-bank/february-1999.tsv`` beside the
repository (the data is not shipped with callroute).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import callroute as cr

DEFAULT = (
    Path(__file__).resolve().parents[1].parent / "shared/data/anonymous-bank/february-1999.tsv"
)
THRESHOLD = 20.0  # seconds, for the service level
HALF_HOUR = 1800


def _seconds(clock: str) -> int:
    h, m, s = (int(x) for x in clock.split(":"))
    return 3600 * h + 60 * m + s


def read_month(path: Path) -> list[dict[str, Any]]:
    """The calls that sought an agent (queued, or served by an agent), in arrival order.

    Each: ``arrival`` (seconds from Feb 1, 00:00), ``priority`` (1 for priority customers),
    ``wait`` (seconds in queue), ``outcome`` ("AGENT" or "HANG"), ``service`` (seconds),
    ``server`` (name or None), ``start`` (service start, seconds).
    """
    calls = []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        first: dt.date | None = None
        for r in rows:
            queued = r["q_start"] != "0:00:00"
            served = r["outcome"] == "AGENT" and r["server"] != "NO_SERVER"
            if not (queued or served) or r["outcome"] == "PHANTOM":
                continue
            d = str(r["date"])
            day = dt.date(
                1900 + int(d[:2]) if int(d[:2]) > 50 else 2000 + int(d[:2]),
                int(d[2:4]),
                int(d[4:6]),
            )
            first = first or day.replace(day=1)
            base = (day - first).days * 86_400
            arrival = base + _seconds(r["q_start"] if queued else r["vru_exit"])
            calls.append(
                {
                    "arrival": arrival,
                    "priority": 1 if r["priority"] == "2" else 0,
                    "wait": float(r["q_time"]),
                    "outcome": r["outcome"],
                    "service": float(r["ser_time"]),
                    "server": r["server"] if served else None,
                    "start": base + _seconds(r["ser_start"]) if served else None,
                }
            )
    calls.sort(key=lambda c: c["arrival"])
    return calls


def real_figures(calls: list[dict[str, Any]]) -> dict[str, float]:
    n = len(calls)
    answered = [c for c in calls if c["outcome"] == "AGENT"]
    return {
        "calls": float(n),
        "abandon_rate": sum(c["outcome"] == "HANG" for c in calls) / n,
        "mean_wait": sum(c["wait"] for c in calls) / n,
        "asa": sum(c["wait"] for c in answered) / len(answered),
        "service_level": sum(c["wait"] <= THRESHOLD for c in answered) / n,
    }


def staffing(calls: list[dict[str, Any]], intervals: int, gap: float = 600.0) -> list[int]:
    """Agents on duty per half hour, from who served when.

    An agent is taken to be on duty from the start of a service to the end of the next
    whenever they are less than ``gap`` seconds apart (a session); a half hour's count is
    the agent time on duty in it over 1800 s, rounded. Counting everyone who served a call in
    a half hour as there all along overstates the staff about twofold (agents also took
    breaks and did other work), and the simulated center then answers far too well.
    """
    services: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for c in calls:
        if c["server"] is not None:
            services[c["server"]].append((c["start"], c["start"] + c["service"]))
    present = [0.0] * intervals
    for spans in services.values():
        spans.sort()
        sessions = []
        begin, end = spans[0]
        for a, b in spans[1:]:
            if a - end <= gap:
                end = max(end, b)
            else:
                sessions.append((begin, end))
                begin, end = a, b
        sessions.append((begin, end))
        for begin, end in sessions:
            t = begin
            while t < end:
                k = int(t // HALF_HOUR)
                stop = min(end, (k + 1) * HALF_HOUR)
                if k < intervals:
                    present[k] += stop - t
                t = stop
    return [round(p / HALF_HOUR) for p in present]


def build_model(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulation model of the month (see the module docstring)."""
    horizon = max(c["arrival"] for c in calls) + 1
    counts = staffing(calls, horizon // HALF_HOUR + 1)
    waited = sum(c["wait"] for c in calls)
    abandoned = sum(c["outcome"] == "HANG" for c in calls)
    patience = waited / abandoned
    handle = {
        p: [c["service"] for c in calls if c["server"] and c["priority"] == p and c["service"] > 0]
        for p in (0, 1)
    }
    return {
        "queues": [{"name": "bank", "sl_threshold": THRESHOLD, "max_no_answer": 0}],
        "groups": [{"name": "agents", "counts": counts, "interval": HALF_HOUR}],
        "calls": [
            {
                "name": "regular",
                "queue": "bank",
                "handle": cr.sim.empirical(handle[0]),
                "patience": cr.sim.exponential(patience),
            },
            {
                "name": "priority",
                "queue": "bank",
                "priority": 1,
                "handle": cr.sim.empirical(handle[1]),
                "patience": cr.sim.exponential(patience),
            },
        ],
        "arrivals": cr.sim.trace([c["arrival"] for c in calls], [c["priority"] for c in calls]),
        "horizon": horizon,
    }


def compare_month(path: Path, replications: int = 4, seed: int = 0) -> dict[str, Any]:
    calls = read_month(path)
    model = build_model(calls)
    result = cr.simulate(model, replications=replications, seed=seed)
    simulated = {
        k: float(result.kpi(k).mean())
        for k in ("abandon_rate", "mean_wait", "asa", "service_level")
    }
    simulated["calls"] = float(result.kpi("offered").mean())
    return {"real": real_figures(calls), "simulated": simulated, "model": model}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--replications", type=int, default=4)
    args = parser.parse_args(argv)
    path = Path(args.path)
    if not path.exists():
        print(f"no data at {path}", file=sys.stderr)
        return 2
    out = compare_month(path, args.replications)
    real, sim = out["real"], out["simulated"]
    print(f"{'':16}{'real':>10}{'simulated':>12}")
    for key, fmt in (
        ("calls", "{:,.0f}"),
        ("abandon_rate", "{:.1%}"),
        ("mean_wait", "{:.1f}"),
        ("asa", "{:.1f}"),
        ("service_level", "{:.1%}"),
    ):
        print(f"{key:16}{fmt.format(real[key]):>10}{fmt.format(sim[key]):>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
