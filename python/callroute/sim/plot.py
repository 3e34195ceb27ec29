"""Plots (optional: ``pip install 'callroute[plot]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from .sweep import _numeric

if TYPE_CHECKING:
    from ..staffing import StaffingPlan
    from .results import Comparison, Kind, SimulationResult
    from .sweep import SweepResult

__all__ = ["plot_comparison", "plot_simulation", "plot_staffing", "plot_sweep"]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install 'callroute[plot]'") from exc
    return plt


def _save(plt: Any, fig: Any, out: str | Path) -> Path:
    path = Path(out)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _percent() -> Any:
    """A tick formatter for fractions shown as percentages, with the fewest decimals that
    keep every tick label distinct (``0.1%``, ``0.15%``... never ``0.1%`` twice)."""
    from matplotlib import ticker

    class Percent(ticker.Formatter):
        def format_ticks(self, values: Any) -> list[str]:
            texts: list[str] = []
            for decimals in range(7):
                texts = [_pct(v, decimals) for v in values]
                if len(set(texts)) == len(texts):
                    break
            return texts

        def __call__(self, x: float, pos: int | None = None) -> str:
            return _pct(x, 2)

    return Percent()


def _pct(value: float, decimals: int) -> str:
    text = f"{value * 100:.{decimals}f}%"
    return text[1:] if text.startswith("-") and float(text[:-1]) == 0 else text


def _percent_axis(axis: Any) -> None:
    """Percent labels (distinct) on at most seven round ticks."""
    from matplotlib import ticker

    axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(_percent())


def _legend_above(
    fig: Any, ax: Any, handles: list[Any] | None = None, *, title: str = "", ncol: int = 4
) -> None:
    """The legend above the axes, clear of the data (and the title above the legend)."""
    handles = handles if handles is not None else ax.get_legend_handles_labels()[0]
    legend = ax.legend(
        handles,
        [str(h.get_label()) for h in handles],
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncol=min(ncol, len(handles)),
        frameon=False,
        fontsize=9,
    )
    if title:
        fig.canvas.draw()
        height = legend.get_window_extent().height * 72.0 / fig.dpi
        ax.set_title(title, pad=height + 8.0)


def _x_labels(ax: Any, labels: list[str]) -> None:
    step = max(1, len(labels) // 12)
    ticks = list(range(len(labels)))[::step]
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels[::step], rotation=45, ha="right")


def plot_simulation(result: SimulationResult, out: str | Path) -> Path:
    """Service level per interval for each line, with calls offered (bars) and the agents
    on duty (a line, on its own axis) behind."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 4.8))
    every = result.intervals()
    x = list(range(len(every["start"])))
    twin = ax.twinx()
    twin.bar(x, every["offered"], color="#dddddd", label="calls offered (all lines)")
    twin.set_ylabel("calls per interval")
    twin.set_ylim(bottom=0)
    staff = ax.twinx()
    staff.spines["right"].set_position(("axes", 1.08))
    staff.step(
        x, every["agents"], where="mid", color="#756bb1", linewidth=1.5, label="agents on duty"
    )
    staff.set_ylabel("agents on duty", color="#756bb1")
    staff.set_ylim(bottom=0)
    for line in result.lines:
        ax.plot(x, result.intervals(line)["service_level"], marker=".", label=f"SL {line}")
    ax.set_zorder(max(twin.get_zorder(), staff.get_zorder()) + 1)
    ax.patch.set_visible(False)
    ax.set_ylim(0, 1.05)
    _percent_axis(ax.yaxis)
    ax.set_ylabel("answered within threshold / offered")
    _x_labels(ax, [_clock(t) for t in every["start"]])
    handles = [
        *ax.get_legend_handles_labels()[0],
        *twin.get_legend_handles_labels()[0],
        *staff.get_legend_handles_labels()[0],
    ]
    fig.tight_layout()
    _legend_above(
        fig,
        ax,
        handles,
        title=f"Simulated service level per interval ({result.replications} replications)",
        ncol=5,
    )
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_comparison(comparison: Comparison, out: str | Path) -> Path:
    """Each variant's KPIs with 95 % CIs, and its paired difference to the first variant."""
    plt = _pyplot()
    table = comparison.table()
    names = list(table)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    sl = [table[n]["service_level"] for n in names]
    axes[0].errorbar(
        names, [m for m, _ in sl], yerr=[h for _, h in sl], fmt="o", capsize=6, color="#08519c"
    )
    axes[0].set_title("service level (95 % CI)")
    for ax, (kpi, title) in zip(
        axes[1:],
        (("service_level", "service level"), ("abandon_rate", "abandonment")),
        strict=True,
    ):
        diffs = [table[n][kpi + "_diff"] for n in names[1:]]
        ax.bar(
            names[1:],
            [m for m, _ in diffs],
            yerr=[h for _, h in diffs],
            capsize=6,
            color="#6baed6",
        )
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_title(f"{title} minus {names[0]}'s\n(paired, 95 % CI)", fontsize=10)
    for ax in axes:
        _percent_axis(ax.yaxis)
        ax.tick_params(axis="x", rotation=20)
    n = next(iter(comparison.results.values())).replications
    fig.suptitle(f"Routing strategies on the same calls ({n} replications, common random numbers)")
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_staffing(plan: StaffingPlan, out: str | Path) -> Path:
    """Draw required and scheduled agents per interval, with the calls on a second axis."""
    plt = _pyplot()
    labels = [str(x) for x in plan.labels]
    x = range(len(labels))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(x, plan.scheduled, color="#c6dbef", label="scheduled (after shrinkage)")
    ax.step(x, plan.agents, where="mid", color="#08519c", linewidth=2, label="required on phones")
    ax.set_ylabel("agents")
    ax.set_ylim(bottom=0)
    _x_labels(ax, labels)
    twin = ax.twinx()
    twin.plot(x, plan.calls, color="#e6550d", marker=".", linewidth=1, label="calls offered")
    twin.set_ylabel("calls per interval")
    twin.set_ylim(bottom=0)
    p = plan.parameters
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.tight_layout()
    _legend_above(
        fig,
        ax,
        handles,
        title=f"Staffing plan: {p.get('level', 0):.0%} within {p.get('target', 0):g} s, "
        f"AHT {p.get('aht', 0):g} s, shrinkage {p.get('shrinkage', 0):.0%}",
    )
    fig.tight_layout()
    return _save(plt, fig, out)


# KPIs drawn as percentages (the others are seconds or calls)
_SHARES = (
    "service_level",
    "service_level_answered",
    "service_level_minus_early",
    "abandon_rate",
    "occupancy",
)


def plot_sweep(
    result: SweepResult,
    out: str | Path,
    kpi: str = "service_level",
    x: str | None = None,
    by: str | None = None,
    kind: Kind = "ratio_of_means",
    line: str | None = None,
) -> Path:
    """A KPI of a sweep (of ``line``, or every line together) against one varied column,
    with 95 % CI bands, one line per value of another (``by``).

    ``x`` defaults to the first numeric grid column (else the first column), ``by`` to
    ``strategy`` when the grid varies it; every other column must hold one value.

    :raises ~callroute.errors.ParameterError: for an unknown column, or a third column
        that varies (the lines would mix variants).
    """
    cols = result.columns
    names = list(cols)
    for given in (x, by):
        if given is not None and given not in cols:
            raise ParameterError(f"plot_sweep: no column {given!r}; columns: {names}")
    if x is None:
        numeric = [c for c in names if c != by and _numeric(cols[c]) and len(set(cols[c])) > 1]
        rest = [c for c in names if c != by]
        x = numeric[0] if numeric else (rest[0] if rest else None)
    if by is None and "strategy" in cols and x != "strategy":
        by = "strategy"
    fixed = [c for c in names if c not in (x, by) and len({str(v) for v in cols[c]}) > 1]
    if fixed:
        raise ParameterError(
            f"plot_sweep: {', '.join(fixed)} also vary; pick them as x or by, or sweep them apart"
        )
    summary = result.summary(kind, line=line, kpis=(kpi,))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = cols[x] if x is not None else list(result.names)
    groups = cols[by] if by is not None else ["all"] * len(xs)
    numeric_x = _numeric(xs)
    ticks = list(dict.fromkeys(str(v) for v in xs))
    for level in dict.fromkeys(str(g) for g in groups):
        rows = [i for i, g in enumerate(groups) if str(g) == level]
        if numeric_x:
            rows.sort(key=lambda i: float(xs[i]))
            pos = [float(xs[i]) for i in rows]
        else:
            pos = [ticks.index(str(xs[i])) for i in rows]
        mean = summary["mean"][rows]
        low, high = summary["low"][rows], summary["high"][rows]
        label = None if by is None else level
        (drawn,) = ax.plot(pos, mean, marker="o", label=label)
        if numeric_x:
            ax.fill_between(pos, low, high, color=drawn.get_color(), alpha=0.2, linewidth=0)
        else:
            ax.errorbar(
                pos,
                mean,
                yerr=[mean - low, high - mean],
                fmt="none",
                capsize=5,
                color=drawn.get_color(),
            )
    if not numeric_x:
        ax.set_xticks(range(len(ticks)))
        ax.set_xticklabels(ticks, rotation=20, ha="right")
    ax.set_xlabel(x or "variant")
    ax.set_ylabel(kpi if line is None else f"{kpi} of {line}")
    if kpi in _SHARES:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if by is not None:
        ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    how = "ratio of totals" if kind == "ratio_of_means" else "mean of replications"
    ax.set_title(
        f"{kpi} ({how}, 95 % CI), {result.replications} replications per variant, "
        "common random numbers",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(plt, fig, out)
