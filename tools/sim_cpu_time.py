"""The simulator's cost per call on the benchmark's models, in process CPU time.

Runs ``benches/test_bench_sim.py``'s M/M/50, M/M/50+M and 1,000-agent day through
``callroute.simulate`` (one thread) and prints the best of ``--rounds`` per model (the day
two fewer) in CPU time of this process, with the run's calls and a checksum of its results.
CPU time, not wall
time: on a shared machine the wall clock counts the time other processes hold the cores,
and best-of-N wall times of two builds taken minutes apart differ by more than a regression
(the benchmark's own pytest run measures wall time, for the comparison with the peers).

To time two builds against each other, alternate them in one session, each tree's package
on the path, e.g.::

    for i in 1 2 3 4; do
      for tree in /tmp/old /work/new; do
        PYTHONPATH=$tree/python python tools/sim_cpu_time.py --label $tree
      done
    done

Equal checksums mean equal results (the same seed gives the same calls and waits).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from typing import Any

import callroute as cr

BENCH = Path(__file__).resolve().parents[1] / "benches" / "test_bench_sim.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_sim", BENCH)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {BENCH}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(model: dict[str, Any], rounds: int, **kwargs: Any) -> tuple[float, Any]:
    """The least CPU time of ``rounds`` runs of ``model``, seconds, and the last result."""
    best, res = float("inf"), None
    for _ in range(rounds):
        t0 = time.process_time()
        res = cr.simulate(model, threads=1, **kwargs)
        best = min(best, time.process_time() - t0)
    return best, res


def main() -> None:
    """Time the three models and print one line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs per model (best kept)")
    parser.add_argument("--label", default="", help="printed first (say, the tree)")
    args = parser.parse_args()
    b = _bench()
    cases = [
        ("M/M/50", b.mm50(cr, b.LAMBDA_C, None), {"horizon": b.HORIZON}),
        ("M/M/50+M", b.mm50(cr, b.LAMBDA_A, b.PATIENCE), {"horizon": b.HORIZON}),
        ("day", b.center_day(cr), {}),
    ]
    out = [args.label] if args.label else []
    for name, model, kwargs in cases:
        rounds = args.rounds if name != "day" else max(1, args.rounds - 2)
        seconds, res = best_of(model, rounds, **kwargs)
        calls = int(res.kpi("offered").sum())
        checksum = sum(float(run["wait_all"].sum()) for run in res.runs)
        out.append(
            f"{name} {seconds / calls * 1e9:.1f} ns/call ({calls} calls, {seconds * 1e3:.1f} ms,"
            f" waits {checksum:.6f})"
        )
    print(" | ".join(out), flush=True)


if __name__ == "__main__":
    main()
