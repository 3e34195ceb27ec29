"""Plots of a planned day and of a surge what-if (optional: ``pip install 'callroute[plot]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sim.plot import _legend_above, _percent_axis, _pyplot, _save

if TYPE_CHECKING:
    from .plan import DayPlan, SurgeWhatIf

__all__ = ["plot_plan", "plot_surge"]


def plot_plan(plan: DayPlan, level: float, out: str | Path) -> Path:
    """Top: agents on the phones against the requirement; bottom: simulated and promised
    service level per interval against the target ``level``."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    x = np.arange(len(plan.calls))
    promised, simulated, agents = plan.interval_sl()
    top.step(x, plan.requirement, where="mid", color="#e6550d", linewidth=2, label="required")
    top.bar(x, agents, color="#c6dbef", width=1.0, label="on the phones (fewest)")
    top.set_ylabel("agents")
    top.set_ylim(bottom=0)
    bottom.plot(x, promised, marker=".", color="#08519c", label="promised (Erlang)")
    bottom.plot(x, simulated, marker="o", color="#31a354", label="simulated")
    bottom.axhline(level, color="#e6550d", linestyle=":", label=f"target {level:.0%}")
    bottom.set_ylim(0, 1.05)
    _percent_axis(bottom.yaxis)
    bottom.set_ylabel("service level")
    bottom.set_xticks(x[::2], plan.labels[::2], rotation=45)
    fig.tight_layout()
    _legend_above(fig, top)
    _legend_above(fig, bottom)
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_surge(what: SurgeWhatIf, out: str | Path) -> Path:
    """Top: calls normal and with the event, agents needed for each; bottom: simulated
    service level with the normal schedule and with the extra shifts."""
    plt = _pyplot()
    rows = what.rows()
    x = np.arange(len(rows))
    labels = [r["interval_start"] for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    top.bar(x, [r["surge_agents"] for r in rows], color="#fdae6b", width=1.0, label="agents, surge")
    top.bar(x, [r["agents"] for r in rows], color="#c6dbef", width=1.0, label="agents, normal")
    top.set_ylabel("agents")
    top.set_ylim(bottom=0)
    calls = top.twinx()
    calls.plot(x, [r["calls"] for r in rows], color="#08519c", label="calls, normal")
    calls.plot(x, [r["surge_calls"] for r in rows], color="#e6550d", label="calls, surge")
    calls.set_ylabel("calls")
    calls.set_ylim(bottom=0)
    bottom.plot(
        x, [r["sl_without"] for r in rows], marker="o", color="#de2d26", label="normal schedule"
    )
    bottom.plot(
        x, [r["sl_with_extra"] for r in rows], marker="o", color="#31a354", label="with extra"
    )
    bottom.axhline(what.level, color="#e6550d", linestyle=":", label=f"target {what.level:.0%}")
    bottom.set_ylim(0, 1.05)
    _percent_axis(bottom.yaxis)
    bottom.set_ylabel("simulated service level")
    bottom.set_xticks(x[::2], labels[::2], rotation=45)
    fig.tight_layout()
    _legend_above(
        fig,
        top,
        top.get_legend_handles_labels()[0] + calls.get_legend_handles_labels()[0],
        title=f"{what.date} x{what.multiplier:g}: +{what.extra_shifts} shifts "
        f"(cost {what.extra.shift_cost:.2f})",
    )
    _legend_above(fig, bottom)
    fig.tight_layout()
    return _save(plt, fig, out)
