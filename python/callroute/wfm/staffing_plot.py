"""Plots of the planning results (optional: ``pip install 'callroute[plot]'``): the cost
frontier of one interval and a schedule's coverage against its requirement."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sim.plot import _legend_above, _percent_axis, _pyplot, _save

if TYPE_CHECKING:
    from .schedule import Schedule
    from .staffing import CostFrontier

__all__ = ["plot_coverage", "plot_frontier"]


def plot_frontier(frontier: CostFrontier, out: str | Path) -> Path:
    """Cost against abandonment (and service level) per staffing level, the optimum marked,
    with the marginal cost of each abandon avoided on the right axis."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    ab = frontier.p_abandon * 100
    left.plot(ab, frontier.total_cost, marker="o", color="#08519c", label="total cost")
    left.plot(ab, frontier.wage_cost, linestyle="--", color="#6baed6", label="wages")
    best = int(np.flatnonzero(frontier.optimal)[0])
    left.scatter(
        [ab[best]],
        [frontier.total_cost[best]],
        s=120,
        color="#e6550d",
        zorder=3,
        label=f"optimum: {frontier.agents[best]} agents",
    )
    for i in range(len(frontier)):
        left.annotate(
            str(frontier.agents[i]),
            (ab[i], frontier.total_cost[i]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    left.set_xlabel("abandoned calls (%)")
    left.set_ylabel("cost per interval")
    right.plot(
        frontier.agents,
        frontier.marginal_cost_per_abandon,
        marker="o",
        color="#756bb1",
        label="marginal wage per abandon avoided",
    )
    per_abandon = frontier.abandon_cost[0] / frontier.abandons[0] if frontier.abandons[0] else 0
    if per_abandon:
        right.axhline(per_abandon, color="#e6550d", linestyle=":", label="cost of an abandon")
    right.set_yscale("log")
    right.set_xlabel("agents")
    right.set_ylabel("money per abandon avoided")
    if frontier.service_level is not None:
        twin = right.twinx()
        twin.plot(
            frontier.agents,
            frontier.service_level,
            color="#31a354",
            marker=".",
            label="service level",
        )
        twin.set_ylim(0, 1.05)
        _percent_axis(twin.yaxis)
        twin.set_ylabel("service level")
    handles = right.get_legend_handles_labels()[0]
    if frontier.service_level is not None:
        handles += twin.get_legend_handles_labels()[0]
    fig.tight_layout()
    _legend_above(fig, left, title="Cost against abandonment", ncol=2)
    _legend_above(fig, right, handles, title="Where a lower abandonment rate stops paying", ncol=2)
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_coverage(schedule: Schedule, out: str | Path) -> Path:
    """Agents on the phones per period (breaks taken out) against the requirement, with
    the unmet demand shaded."""
    plt = _pyplot()
    x = np.arange(len(schedule.requirement))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.step(x, schedule.requirement, where="mid", color="#e6550d", linewidth=2, label="required")
    ax.bar(x, schedule.coverage, color="#c6dbef", width=1.0, label="on the phones")
    short = schedule.unmet
    if short.any():
        ax.bar(x, short, bottom=schedule.coverage, color="#fb6a4a", width=1.0, label="unmet")
    ax.set_xlabel(f"period ({schedule.period_minutes:g} min)")
    ax.set_ylabel("agents")
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    _legend_above(
        fig,
        ax,
        title=f"{sum(s.count for s in schedule.shifts)} shifts, cost {schedule.total_cost:.2f}, "
        f"unmet {short.sum():g} agent-periods",
    )
    fig.tight_layout()
    return _save(plt, fig, out)
