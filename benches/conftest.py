"""Summary of the benchmarks: medians and callroute-vs-peer ratios.

At the end of a timed run, prints one line per benchmark group and peer from the stats that
pytest-benchmark collected, using the ``extra_info`` each test records (``impl``,
``evaluations``, ``target_ratio`` or ``target_ratio_<peer>`` / ``target_seconds``). Ratios
are per unit of work (one Erlang evaluation, one simulated call), so the vectorized callroute
run (1,000,000 points) and the pyworkforce loop (1,000 points), or a long callroute simulation
and a short Ciw one, compare fairly. Targets are reported, not enforced: wall-clock timing on
shared CI runners is too noisy to fail a build on.

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


def _per_eval(bench: Any) -> tuple[float, str]:
    median = bench.stats.median
    evaluations = int(bench.extra_info.get("evaluations", 1))
    text = _fmt_seconds(median)
    if evaluations > 1:
        text += f" ({_fmt_seconds(median / evaluations)}/unit x {evaluations:,})"
    return median / evaluations, text


def _rows(benchmarks: list[Any]) -> list[list[str]]:
    """One row per (group, peer): callroute's figure, the peer's, and the time ratio."""
    groups: dict[str, dict[str, Any]] = {}
    for bench in benchmarks:
        if not bench or bench.has_error or "impl" not in bench.extra_info:
            continue
        groups.setdefault(bench.group or bench.name, {})[bench.extra_info["impl"]] = bench

    rows = []
    for group in sorted(groups):
        impls = groups[group]
        ours = impls.get("callroute")
        peers = [name for name in impls if name != "callroute"] or ["-"]
        for peer_name in peers:
            cells = [group]
            ours_unit, ours_text = _per_eval(ours) if ours is not None else (None, "-")
            cells.append(ours_text)
            peer = impls.get(peer_name)
            peer_unit, peer_text = _per_eval(peer) if peer is not None else (None, "")
            cells.append(f"{peer_name}: {peer_text}" if peer is not None else "-")
            ratio = None
            if ours_unit and peer_unit:
                ratio = peer_unit / ours_unit
            cells.append(
                "-" if ratio is None else f"{ratio:,.2f}x" if ratio < 10 else f"{ratio:,.0f}x"
            )
            target, met = "-", "-"
            info = ours.extra_info if ours is not None else {}
            wanted_ratio = info.get(f"target_ratio_{peer_name}", info.get("target_ratio"))
            if wanted_ratio is not None and peer is not None:
                target = f">= {float(wanted_ratio):,.0f}x"
                if ratio is not None:
                    met = "yes" if ratio >= float(wanted_ratio) else "NO"
            elif ours is not None and "target_seconds" in info:
                wanted = float(info["target_seconds"])
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
        terminalreporter.section("callroute vs peers (medians)")
        write("timing disabled")
        return
    try:
        rows = _rows(list(session.benchmarks))
    except Exception as exc:  # never break the run over the summary
        terminalreporter.section("callroute vs peers (medians)")
        write(f"summary unavailable: {type(exc).__name__}: {exc}")
        return
    if not rows:
        return
    header = ["group", "callroute", "peer", "peer time / ours", "target", "met"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    terminalreporter.section("callroute vs peers (medians)")
    for row in [header, ["-" * w for w in widths], *rows]:
        write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
