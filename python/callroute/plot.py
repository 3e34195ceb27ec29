"""Plots (optional: ``pip install 'callroute[plot]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .staffing import StaffingPlan

__all__ = ["plot_staffing"]


def plot_staffing(plan: StaffingPlan, out: str | Path) -> Path:
    """Draw required and scheduled agents per interval, with the calls on a second axis."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install 'callroute[plot]'") from exc
    labels = [str(x) for x in plan.interval]
    x = range(len(labels))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(x, plan.scheduled, color="#c6dbef", label="scheduled (after shrinkage)")
    ax.step(x, plan.agents, where="mid", color="#08519c", linewidth=2, label="required on phones")
    ax.set_ylabel("agents")
    ax.set_xticks(list(x)[:: max(1, len(labels) // 12)])
    ax.set_xticklabels(labels[:: max(1, len(labels) // 12)], rotation=45, ha="right")
    twin = ax.twinx()
    twin.plot(x, plan.calls, color="#e6550d", marker=".", linewidth=1, label="calls offered")
    twin.set_ylabel("calls per interval")
    p = plan.parameters
    ax.set_title(
        f"Staffing plan: {p.get('level', 0):.0%} within {p.get('target', 0):g} s, "
        f"AHT {p.get('aht', 0):g} s, shrinkage {p.get('shrinkage', 0):.0%}",
        pad=26,
    )
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(
        handles,
        [str(h.get_label()) for h in handles],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        frameon=False,
    )
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
