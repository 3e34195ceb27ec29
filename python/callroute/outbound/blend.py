"""Blended days simulated: inbound calls and outbound campaigns on one pool of agents.

:func:`simulate_blend` runs replications of a blended day (a model read by
:func:`load_blend`) on the core's simulator, the very engine and dialer of production;
:class:`BlendResult` gives a per-replication table and a summary with 95 % confidence
intervals. :func:`tradeoff` runs the day at several blending thresholds and dial modes
with the same seed (common random numbers: the same callers and contacts in every run,
so differences come from the policy) and :func:`plot_tradeoff` draws inbound service
level against outbound contacts per hour, one point per threshold, one line per mode.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _core
from .._internal.tables import Estimate, Table
from ..errors import ModelError
from ..sim.results import estimate

__all__ = ["BlendResult", "Tradeoff", "plot_tradeoff", "simulate_blend", "tradeoff"]

FloatArray = npt.NDArray[np.float64]

_MODES = ("progressive", "predictive", "preview")


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ModelError(f"{name} must be a whole number in [{low:,}, {high:,}], got {value!r}")
    return value


def simulate_blend(
    model: Mapping[str, Any],
    *,
    replications: int = 10,
    seed: int = 0,
    threads: int | None = None,
) -> BlendResult:
    """Simulate ``replications`` independent runs of a blended day in parallel.

    Replication ``k`` draws from streams derived from ``seed`` and ``k`` only: the result
    does not depend on ``threads`` (default: every core), and two models run with the same
    seed meet the same inbound callers and the same contacts.

    :param model: a blended day as :func:`load_blend` gives it (the core's ``BlendModel``
        as a mapping).
    :param replications: independent runs, 1 to 100,000.
    :param seed: a whole number in [0, 2**64).
    :returns: a :class:`BlendResult` holding every replication.
    :raises ~callroute.errors.ModelError: naming the field at fault when the model or an
        option is invalid, or when the results would take more than 4 GiB.
    """
    _whole(replications, "replications", 1, 100_000)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
        raise ModelError(f"seed must be a whole number in [0, 2**64), got {seed!r}")
    if threads is not None:
        _whole(threads, "threads", 0, 1024)
    workers = min(1024, max(1, threads or os.cpu_count() or 1))
    try:
        body = json.dumps(model, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"model: not a JSON-like mapping ({exc})") from None
    _core.blend_check(body)
    need = _result_bytes(model) * replications
    if need > _RESULT_BUDGET:
        raise ModelError(
            f"replications: {replications:,} result(s) of this model would take about "
            f"{need / 2**30:,.1f} GiB (at most {_RESULT_BUDGET / 2**30:.0f}); run fewer, or "
            "with a longer interval"
        )
    runs = _core.blend_run(body, seed, list(range(replications)), workers)
    return BlendResult(runs)


# The memory the replications' results may take together (estimated before the run).
_RESULT_BUDGET = 4 << 30


def _result_bytes(model: Mapping[str, Any]) -> int:
    """About how many bytes one replication's result takes (its per-interval arrays)."""
    intervals = math.ceil(float(model["horizon"]) / float(model.get("interval", 900.0))) + 1
    rows = 9 * len(model.get("queues") or ()) + 14 * len(model.get("campaigns") or ())
    rows += 2 * len(model.get("groups") or ())
    return 8 * intervals * rows + 4096


def _sum(run: Mapping[str, Any], section: str, field: str, row: int | None = None) -> float:
    values = np.asarray(run[section][field], dtype=float)
    return float(values.sum() if row is None else values[row].sum())


def _ratio(num: float, den: float, empty: float = 0.0) -> float:
    return num / den if den > 0 else empty


@dataclass(frozen=True)
class BlendResult:
    """Every replication of a blended day (``runs``: the core's per-replication dicts of
    per-interval counters, ``[queue or campaign or group][interval]``)."""

    runs: list[dict[str, Any]]

    @property
    def replications(self) -> int:
        """How many replications ran."""
        return len(self.runs)

    @property
    def campaigns(self) -> list[str]:
        """The campaign ids, in the model's order."""
        return list(self.runs[0]["campaigns"])

    @property
    def queues(self) -> list[str]:
        """The inbound queue names, in the model's order."""
        return list(self.runs[0]["queues"])

    def table(self) -> Table:
        """One row per replication: ``inbound_offered``, ``inbound_service_level`` (answered
        within the queue's threshold over offered less abandoned within it; 1 with no calls),
        ``inbound_asa`` (s), ``inbound_abandonment`` (abandoned / offered), ``utilization``
        (working over logged-in time of all groups), ``contacts_per_hour`` (people joined to
        agents, all campaigns, per hour counted), and for each campaign ``C``:
        ``C.dials``, ``C.people_reached`` (people who answered), ``C.contacts_per_hour``,
        ``C.abandonment`` (abandoned over people who answered), ``C.callbacks`` (people who
        asked to be called back) and ``C.offers`` (preview: contacts shown to agents)."""
        cols: dict[str, list[float]] = {
            k: []
            for k in (
                "replication",
                "inbound_offered",
                "inbound_service_level",
                "inbound_asa",
                "inbound_abandonment",
                "utilization",
                "contacts_per_hour",
            )
        }
        for c in self.campaigns:
            for k in (
                "dials",
                "people_reached",
                "contacts_per_hour",
                "abandonment",
                "callbacks",
                "offers",
            ):
                cols[f"{c}.{k}"] = []
        for index, run in enumerate(self.runs):
            offered = _sum(run, "inbound", "offered")
            base = offered - _sum(run, "inbound", "abandoned_within")
            answered = _sum(run, "inbound", "answered")
            per_hour = 3600.0 / run["measured"] if run["measured"] > 0 else 0.0
            cols["replication"].append(index)
            cols["inbound_offered"].append(offered)
            cols["inbound_service_level"].append(
                _ratio(_sum(run, "inbound", "answered_within"), base, 1.0)
            )
            cols["inbound_asa"].append(_ratio(_sum(run, "inbound", "wait_answered"), answered))
            cols["inbound_abandonment"].append(_ratio(_sum(run, "inbound", "abandoned"), offered))
            cols["utilization"].append(
                _ratio(float(np.sum(run["busy"])), float(np.sum(run["staffed"])))
            )
            cols["contacts_per_hour"].append(_sum(run, "outbound", "connected") * per_hour)
            for i, c in enumerate(self.campaigns):
                person = _sum(run, "outbound", "person", i)
                cols[f"{c}.dials"].append(_sum(run, "outbound", "dials", i))
                cols[f"{c}.people_reached"].append(person)
                cols[f"{c}.contacts_per_hour"].append(
                    _sum(run, "outbound", "connected", i) * per_hour
                )
                cols[f"{c}.abandonment"].append(
                    _ratio(_sum(run, "outbound", "abandoned", i), person)
                )
                cols[f"{c}.callbacks"].append(_sum(run, "outbound", "callbacks", i))
                cols[f"{c}.offers"].append(_sum(run, "outbound", "offers", i))
        return Table(cols)

    def intervals(self) -> Table:
        """One row per statistics interval, each figure the mean over replications:
        ``start`` (s), ``inbound_offered``, ``inbound_service_level`` (pooled over the
        replications; 1 with no calls), ``dials``, ``people_reached``, ``connected`` and
        ``abandoned`` (all campaigns; a line counts in the interval it was dialled in),
        ``abandonment`` (abandoned over people reached, pooled) and ``utilization``."""
        runs = self.runs

        def stack(section: str, field: str) -> FloatArray:
            # replications x intervals, summed over queues or campaigns
            return np.stack([np.asarray(r[section][field], dtype=float).sum(axis=0) for r in runs])

        offered = stack("inbound", "offered")
        base = offered - stack("inbound", "abandoned_within")
        within = stack("inbound", "answered_within")
        person = stack("outbound", "person")
        abandoned = stack("outbound", "abandoned")
        busy = np.stack([np.asarray(r["busy"], dtype=float).sum(axis=0) for r in runs])
        staffed = np.stack([np.asarray(r["staffed"], dtype=float).sum(axis=0) for r in runs])
        first = runs[0]
        starts = first["start"] + first["interval"] * np.arange(offered.shape[1])

        def pooled(num: FloatArray, den: FloatArray, empty: float) -> FloatArray:
            n, d = num.sum(axis=0), den.sum(axis=0)
            return np.where(d > 0, n / np.where(d > 0, d, 1.0), empty)

        return Table(
            {
                "start": starts,
                "inbound_offered": offered.mean(axis=0),
                "inbound_service_level": pooled(within, base, 1.0),
                "dials": stack("outbound", "dials").mean(axis=0),
                "people_reached": person.mean(axis=0),
                "connected": stack("outbound", "connected").mean(axis=0),
                "abandoned": abandoned.mean(axis=0),
                "abandonment": pooled(abandoned, person, 0.0),
                "utilization": pooled(busy, staffed, 0.0),
            }
        )

    def summary(self) -> dict[str, Estimate]:
        """The mean over replications of every column of :meth:`table` but
        ``replication``, with the half-width of its 95 % confidence interval (NaN with one
        replication)."""
        t = self.table()
        return {k: estimate(np.asarray(v, dtype=float)) for k, v in t.items() if k != "replication"}

    def format(self) -> str:
        """The summary as aligned text."""
        lines = [f"{self.replications} replication{'s' * (self.replications != 1)}"]
        for name, (mean, half) in self.summary().items():
            pm = "" if math.isnan(half) else f" ± {half:.4g}"
            lines.append(f"  {name:<34} {mean:.4g}{pm}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _variant(model: Mapping[str, Any], mode: str | None, threshold: int) -> dict[str, Any]:
    out = copy.deepcopy(dict(model))
    for c in out.get("campaigns") or []:
        c["campaign"]["blending"] = {"fixed": threshold}
        if mode is not None:
            c["campaign"]["mode"] = mode
    return out


@dataclass(frozen=True)
class Tradeoff:
    """A blended day run at several thresholds and dial modes with one seed:
    ``results[(mode, threshold)]`` (mode ``"model"``: each campaign's own)."""

    results: dict[tuple[str, int], BlendResult]

    @property
    def modes(self) -> list[str]:
        """The dial modes, in the order run."""
        return list(dict.fromkeys(m for m, _ in self.results))

    @property
    def thresholds(self) -> list[int]:
        """The thresholds, in the order run."""
        return list(dict.fromkeys(t for _, t in self.results))

    def table(self) -> Table:
        """One row per (mode, threshold): inbound service level, ASA and abandonment,
        contacts per hour (all campaigns), utilization, each with its 95 % half-width
        (``_hw``), and the paired differences of service level and contacts per hour from
        the first threshold of the same mode (``_diff``, ``_diff_hw``: same seed, the
        replications paired)."""
        cols: dict[str, list[Any]] = {"mode": [], "threshold": []}
        kpis = (
            "inbound_service_level",
            "inbound_asa",
            "inbound_abandonment",
            "contacts_per_hour",
            "utilization",
        )
        for k in kpis:
            cols[k] = []
            cols[k + "_hw"] = []
        for k in ("inbound_service_level", "contacts_per_hour"):
            cols[k + "_diff"] = []
            cols[k + "_diff_hw"] = []
        for mode in self.modes:
            first = self.results[(mode, self.thresholds[0])].table()
            for threshold in self.thresholds:
                t = self.results[(mode, threshold)].table()
                cols["mode"].append(mode)
                cols["threshold"].append(threshold)
                for k in kpis:
                    mean, half = estimate(np.asarray(t[k], dtype=float))
                    cols[k].append(mean)
                    cols[k + "_hw"].append(half)
                for k in ("inbound_service_level", "contacts_per_hour"):
                    d = np.asarray(t[k], dtype=float) - np.asarray(first[k], dtype=float)
                    mean, half = estimate(d)
                    cols[k + "_diff"].append(mean)
                    cols[k + "_diff_hw"].append(half)
        return Table(cols)

    def plot(self, out: str | Path) -> Path:
        """:func:`plot_tradeoff` of this trade-off, written to ``out`` (a PNG)."""
        return plot_tradeoff(self, out)

    def format(self) -> str:
        """The trade-off as aligned text (95 % half-widths after ±)."""
        t = self.table()
        head = f"{'mode':<12} {'threshold':>9} {'inbound SL':>16} {'ASA (s)':>14} "
        head += f"{'contacts/h':>16} {'utilization':>14}"
        rows = [head]
        for i in range(t.height):

            def cell(k: str, fmt: str, width: int, i: int = i) -> str:
                return f"{_pm(t[k][i], t[k + '_hw'][i], fmt):>{width}}"

            rows.append(
                f"{t['mode'][i]:<12} {t['threshold'][i]:>9} "
                f"{cell('inbound_service_level', '.3f', 16)} {cell('inbound_asa', '.1f', 14)} "
                f"{cell('contacts_per_hour', '.1f', 16)} {cell('utilization', '.3f', 14)}"
            )
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.format()


def _pm(mean: float, half: float, fmt: str) -> str:
    return f"{mean:{fmt}}" if math.isnan(half) else f"{mean:{fmt}} ± {half:{fmt}}"


def tradeoff(
    model: Mapping[str, Any],
    thresholds: Sequence[int] = (0, 2, 4, 8),
    modes: Sequence[str] | None = ("progressive", "predictive"),
    *,
    replications: int = 10,
    seed: int = 0,
    threads: int | None = None,
) -> Tradeoff:
    """Run ``model`` with every campaign at each fixed threshold (idle agents kept for
    inbound) and each dial mode, all with the same seed (paired replications).

    :param modes: dial modes given to every campaign; ``None`` keeps each campaign's own
        (the results' mode is then ``"model"``).
    :raises ~callroute.errors.ModelError: for no thresholds or no modes, a threshold that
        is not a whole number >= 0, an unknown mode, or an invalid model.
    """
    for k in thresholds:
        _whole(k, "thresholds", 0, 100_000)
    if not thresholds:
        raise ModelError("thresholds: give at least one")
    if isinstance(modes, str):
        raise ModelError(f"modes: a list of dial modes (e.g. [{modes!r}]), got a string")
    if modes is not None and not modes:
        raise ModelError(
            f"modes: give at least one of {', '.join(_MODES)} (or None: each campaign's own)"
        )
    for m in modes or ():
        if m not in _MODES:
            raise ModelError(f"modes: {m!r} is not one of {', '.join(_MODES)}")
    results: dict[tuple[str, int], BlendResult] = {}
    for mode in modes if modes is not None else [None]:
        for k in thresholds:
            results[(mode or "model", k)] = simulate_blend(
                _variant(model, mode, k), replications=replications, seed=seed, threads=threads
            )
    return Tradeoff(results)


def plot_tradeoff(result: Tradeoff, out: str | Path) -> Path:
    """Inbound service level against outbound contacts per hour: one point per threshold
    (labelled, with 95 % CI bars both ways), one line per dial mode. Needs matplotlib
    (``pip install 'callroute[plot]'``)."""
    from ..sim.plot import _legend_above, _percent_axis, _pyplot, _save

    if not result.results:
        raise ModelError("plot_tradeoff: the trade-off holds no runs (no modes or thresholds)")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    t = result.table()
    for mode in result.modes:
        rows = [i for i in range(t.height) if t["mode"][i] == mode]
        x = [t["contacts_per_hour"][i] for i in rows]
        y = [t["inbound_service_level"][i] for i in rows]
        ax.errorbar(
            x,
            y,
            xerr=[_zero(t["contacts_per_hour_hw"][i]) for i in rows],
            yerr=[_zero(t["inbound_service_level_hw"][i]) for i in rows],
            marker="o",
            capsize=4,
            label=mode,
        )
        for i, xi, yi in zip(rows, x, y, strict=True):
            ax.annotate(
                f"{t['threshold'][i]}",
                (xi, yi),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
            )
    _percent_axis(ax.yaxis)
    ax.set_xlabel("outbound contacts per hour (people joined to agents)")
    ax.set_ylabel("inbound service level")
    ax.grid(alpha=0.3)
    n = next(iter(result.results.values())).replications
    fig.tight_layout()
    _legend_above(
        fig,
        ax,
        title="Blended day: inbound service against outbound contacts\n"
        f"(points labelled by threshold; {n} paired replications, 95 % CI)",
    )
    fig.tight_layout()
    return _save(plt, fig, out)


def _zero(half: float) -> float:
    return 0.0 if math.isnan(half) else half
