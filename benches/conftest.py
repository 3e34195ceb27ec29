"""Summary of the Erlang benchmarks: medians and callroute-vs-pyworkforce ratios.

At the end of a timed run, prints one line per benchmark group from the stats that
pytest-benchmark collected, using the ``extra_info`` each test records (``impl``,
``evaluations``, ``target_ratio`` / ``target_seconds``). Ratios are per Erlang evaluation,
so the vectorized callroute run (1,000,000 points) and the pyworkforce loop (1,000 points)
compare fairly. Targets are reported, not enforced: wall-clock timing on shared CI runners is
too noisy to fail a build on.

With ``--benchmark-disable`` (or ``--benchmark-skip``) nothing is timed and the summary says
so; any problem reading the stats is reported as one line instead of an error.
"""

from __future__ import annotations

from typing import Any

import pytest


def _fmt_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _rows(benchmarks: list[Any]) -> list[list[str]]:
    groups: dict[str, dict[str, Any]] = {}
    for bench in benchmarks:
        if not bench or bench.has_error:
            continue
        impl = bench.extra_info.get("impl")
        if impl not in ("callroute", "pyworkforce"):
            continue
        groups.setdefault(bench.group or bench.name, {})[impl] = bench

    rows = []
    for group in sorted(groups):
        ours, peer = groups[group].get("callroute"), groups[group].get("pyworkforce")
        cells = [group]
        per_eval: dict[str, float] = {}
        for bench in (ours, peer):
            if bench is None:
                cells.append("-")
                continue
            median = bench.stats.median
            evaluations = int(bench.extra_info.get("evaluations", 1))
            per_eval[bench.extra_info["impl"]] = median / evaluations
            text = _fmt_seconds(median)
            if evaluations > 1:
                text += f" ({_fmt_seconds(median / evaluations)}/eval x {evaluations:,})"
            cells.append(text)

        ratio = None
        if "callroute" in per_eval and "pyworkforce" in per_eval:
            ratio = per_eval["pyworkforce"] / per_eval["callroute"]
        cells.append("-" if ratio is None else f"{ratio:,.0f}x")

        target, met = "-", "-"
        if ours is not None and "target_ratio" in ours.extra_info:
            wanted = float(ours.extra_info["target_ratio"])
            target = f">= {wanted:,.0f}x"
            if ratio is not None:
                met = "yes" if ratio >= wanted else "NO"
        elif ours is not None and "target_seconds" in ours.extra_info:
            wanted = float(ours.extra_info["target_seconds"])
            target = f"<= {_fmt_seconds(wanted)}"
            met = "yes" if ours.stats.median <= wanted else "NO"
        cells += [target, met]
        rows.append(cells)
    return rows


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None:  # pytest-benchmark not installed
        return
    write = terminalreporter.write_line
    if getattr(session, "disabled", False) or getattr(session, "skip", False):
        terminalreporter.section("callroute vs pyworkforce (medians)")
        write("timing disabled")
        return
    try:
        rows = _rows(list(session.benchmarks))
    except Exception as exc:  # never break the run over the summary
        terminalreporter.section("callroute vs pyworkforce (medians)")
        write(f"summary unavailable: {type(exc).__name__}: {exc}")
        return
    if not rows:
        return
    header = ["group", "callroute", "pyworkforce", "speed-up", "target", "met"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    terminalreporter.section("callroute vs pyworkforce (medians)")
    for row in [header, ["-" * w for w in widths], *rows]:
        write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
