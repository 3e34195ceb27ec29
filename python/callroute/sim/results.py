"""Results of simulation runs: per-replication KPIs, means with 95 % confidence
half-widths, per-interval series and per-call records; comparisons of variants."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._internal.tables import Estimate, Table
from ..errors import ParameterError, UnknownIdError

__all__ = [
    "KINDS",
    "KPIS",
    "Comparison",
    "Estimate",
    "Kind",
    "SimulationResult",
    "Table",
    "estimate",
    "half_width",
]

FloatArray = npt.NDArray[np.float64]

# Student t quantiles at 0.975 for 1..30 degrees of freedom; beyond, the normal one.
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def _t975(n: int) -> float:
    """Student's t quantile at 0.975 for ``n`` values (``n - 1`` degrees of freedom)."""
    return _T975[n - 2] if n - 1 <= len(_T975) else 1.96 + 2.4 / (n - 1)


def half_width(values: FloatArray) -> float:
    """95 % confidence half-width of the mean of ``values``: Student's t at 0.975 times the
    standard error, the non-finite values left out (NaN for fewer than two finite ones).
    Every confidence interval of the simulator's results, and of the schedule check's, is
    made with it."""
    v = values[np.isfinite(values)]
    n = len(v)
    if n < 2:
        return math.nan
    return float(_t975(n) * v.std(ddof=1) / math.sqrt(n))


def estimate(values: FloatArray) -> Estimate:
    """The estimate of a mean: the mean of ``values`` leaving NaN out (NaN when no value is
    finite) and the 95 % half-width of the finite ones."""
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    return Estimate(mean, half_width(values))


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _linearized(num: FloatArray, den: FloatArray) -> tuple[float, FloatArray]:
    """The ratio of the totals ``R = sum(num) / sum(den)`` and each replication's influence
    on it, ``(num_k - R den_k) / mean(den)`` (the delta method's linearization: the ratio's
    variance is about the variance of the mean of these)."""
    total = float(den.sum())
    if not total > 0:
        return math.nan, np.full(len(num), math.nan)
    r = float(num.sum()) / total
    return r, (num - r * den) / (total / len(den))


def _ratio_of_means(num: FloatArray, den: FloatArray) -> Estimate:
    """``sum(num) / sum(den)`` over replications with the 95 % half-width of the delta
    method (NaN with fewer than two replications or no denominator)."""
    r, influence = _linearized(num, den)
    return Estimate(r, half_width(influence) if math.isfinite(r) else math.nan)


def _paired_ratio_difference(
    num: FloatArray, den: FloatArray, base_num: FloatArray, base_den: FloatArray
) -> Estimate:
    """The difference of two ratios of means over the same replications (common random
    numbers), with the 95 % half-width of the paired delta method."""
    r, a = _linearized(num, den)
    r0, b = _linearized(base_num, base_den)
    return Estimate(r - r0, half_width(a - b))


Kind = Literal["ratio_of_means", "mean_of_ratios"]
KINDS: tuple[Kind, ...] = ("ratio_of_means", "mean_of_ratios")

# Per-replication totals the KPIs are made of (summed over the lines asked for and the
# intervals), and each ratio KPI as (numerator, denominator) of those totals.
_COUNTERS = (
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "exited",
    "wait_answered",
    "wait_all",
    "talk",
)
RATIOS: dict[str, tuple[str, str]] = {
    "abandon_rate": ("abandoned", "offered"),
    "service_level": ("answered_within", "offered"),
    "service_level_answered": ("answered_within", "answered"),
    "service_level_minus_early": ("answered_within", "offered_minus_early"),
    "asa": ("wait_answered", "answered"),
    "mean_wait": ("wait_all", "finished"),
    "aht": ("talk", "answered"),
    "occupancy": ("busy", "staffed"),
}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def _with_derived(t: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """The totals plus the denominators made of them (finished calls, offered minus
    abandoned within the threshold)."""
    out = dict(t)
    if "answered" in t:
        out["finished"] = t["answered"] + t["abandoned"] + t["exited"]
        out["offered_minus_early"] = t["offered"] - t["abandoned_within"]
    return out


def replication_sums(runs: Sequence[dict[str, Any]]) -> dict[str, FloatArray]:
    """Per replication, each counter of :data:`_COUNTERS` (and ``balked``, when every run
    has it) per line, and ``busy``/``staffed`` per group, summed over the intervals: arrays
    (replications, lines or groups)."""
    keys = [*_COUNTERS, "busy", "staffed"]
    if all("balked" in r for r in runs):
        keys.append("balked")
    return {
        k: np.stack([np.asarray(r[k], dtype=np.float64).sum(axis=1) for r in runs]) for k in keys
    }


def kpi_values(totals: dict[str, FloatArray], name: str) -> FloatArray:
    """One KPI per replication from its totals (a count as is, a ratio per replication)."""
    t = _with_derived(totals)
    if name in RATIOS:
        num, den = RATIOS[name]
        return _ratio(t[num], t[den])
    return np.asarray(t[name], dtype=np.float64)


def kpi_estimate(totals: dict[str, FloatArray], name: str, kind: Kind) -> Estimate:
    """A KPI over replications from their totals: counts as the mean; ratios as the ratio
    of the means (``kind="ratio_of_means"``, delta-method CI) or the mean of the
    replications' ratios (``"mean_of_ratios"``, t CI)."""
    if name in RATIOS and kind == "ratio_of_means":
        t = _with_derived(totals)
        num, den = RATIOS[name]
        return _ratio_of_means(t[num], t[den])
    return estimate(kpi_values(totals, name))


def kpi_difference(
    totals: dict[str, FloatArray], base: dict[str, FloatArray], name: str, kind: Kind
) -> Estimate:
    """A KPI's paired difference to ``base`` over the same replications."""
    if name in RATIOS and kind == "ratio_of_means":
        t, b = _with_derived(totals), _with_derived(base)
        num, den = RATIOS[name]
        return _paired_ratio_difference(t[num], t[den], b[num], b[den])
    return estimate(kpi_values(totals, name) - kpi_values(base, name))


KPIS = (
    "offered",
    "answered",
    "abandon_rate",
    "service_level",
    "service_level_answered",
    "service_level_minus_early",
    "asa",
    "mean_wait",
    "aht",
    "exited",
    "balked",
)


@dataclass(frozen=True)
class SimulationResult:
    """Replications of one model. KPIs come as mean and 95 % confidence half-width."""

    lines: list[str]
    groups: list[str]
    start: float
    interval: float
    runs: list[dict[str, Any]] = field(repr=False)

    @property
    def replications(self) -> int:
        """The number of replications run."""
        return len(self.runs)

    def _stack(self, key: str) -> FloatArray:
        width = max(r[key].shape[1] for r in self.runs)
        out = np.zeros((len(self.runs), self.runs[0][key].shape[0], width))
        for k, r in enumerate(self.runs):
            out[k, :, : r[key].shape[1]] = r[key]
        return out

    def _line(self, line: str) -> int:  # its row, or an UnknownIdError naming the lines
        if line in self.lines:
            return self.lines.index(line)
        raise UnknownIdError(f"unknown line {line!r}; lines: {', '.join(self.lines)}")

    def totals(self, line: str | None = None) -> dict[str, FloatArray]:
        """Per replication, the whole run's counters that the KPIs are made of: calls
        ``offered``, ``answered``, ``answered_within`` (the threshold), ``abandoned``,
        ``abandoned_within``, ``exited``, ``balked`` (left at once), and the seconds
        ``wait_answered``, ``wait_all`` and ``talk``; for ``line`` or every line together
        (``None``); plus the agents' ``busy`` and ``staffed`` seconds (all groups).

        :raises ~callroute.errors.UnknownIdError: for a line the model does not have.
        """
        rows = slice(None) if line is None else [self._line(line)]
        sums = self._sums
        out = {key: sums[key][:, rows].sum(axis=1) for key in _COUNTERS}
        # (callers who left at once rather than wait; counted in abandoned too)
        out["balked"] = (
            sums["balked"][:, rows].sum(axis=1) if "balked" in sums else np.zeros(len(self.runs))
        )
        out["busy"] = sums["busy"].sum(axis=1)
        out["staffed"] = sums["staffed"].sum(axis=1)
        return out

    @functools.cached_property
    def _sums(self) -> dict[str, FloatArray]:
        # the counters over the whole run, once (summary asks for every line's)
        return replication_sums(self.runs)

    def kpi(self, name: str, line: str | None = None) -> FloatArray:
        """One KPI per replication (over the whole run), for a line or all lines together.

        ``service_level`` is answered within the threshold over offered;
        ``service_level_answered`` over answered; ``service_level_minus_early`` over offered
        minus calls abandoned within the threshold. ``asa`` averages answered calls' waits,
        ``mean_wait`` all calls', ``aht`` is mean talk time. Each replication's ratio is its
        own; :meth:`summary` says how they combine.
        """
        if name not in KPIS:
            raise ParameterError(f"unknown KPI {name!r}; expected one of {', '.join(KPIS)}")
        return kpi_values(self.totals(line), name)

    def summary(self, kind: Kind = "ratio_of_means") -> dict[str, dict[str, Estimate]]:
        """``{line: {kpi: Estimate(mean, half_width)}}`` over the replications, with
        ``"all"`` for every line together (KPIs as :meth:`kpi` defines them).

        Counts (``offered``, ``answered``, ``exited``) are means over replications. Ratios
        (service levels, ``abandon_rate``, ``asa``, ``mean_wait``, ``aht``) depend on
        ``kind``:

        - ``"ratio_of_means"`` (the default, what published simulation studies report):
          the totals over all replications divided, e.g. calls answered within the
          threshold over calls offered in all replications; the 95 % half-width is the
          delta method's. Busy days weigh by their calls, as they do in a real month.
        - ``"mean_of_ratios"``: the mean of each replication's own ratio, with the
          t-based half-width. Every replication weighs the same, busy or quiet.

        The two differ when replications differ in load (a random daily multiplier).

        :param kind: ``"ratio_of_means"`` or ``"mean_of_ratios"``.
        :returns: ``{line: {kpi: Estimate}}`` with ``"all"`` last.
        :raises ~callroute.errors.ParameterError: for another ``kind``.
        """
        _check_kind(kind)
        out: dict[str, dict[str, Estimate]] = {}
        for line in [*self.lines, None]:
            t = self.totals(line)
            out["all" if line is None else line] = {
                name: kpi_estimate(t, name, kind) for name in KPIS
            }
        return out

    def summary_table(self, kind: Kind = "ratio_of_means") -> Table:
        """:meth:`summary` as one long :class:`Table`: columns ``line``, ``kpi``, ``mean``,
        ``half_width`` (one row per line and KPI); ``to_pandas()``/``to_polars()`` convert.

        :param kind: how ratios combine over replications (see :meth:`summary`).
        """
        rows = [(line, k, e) for line, row in self.summary(kind).items() for k, e in row.items()]
        return Table(
            {
                "line": np.asarray([r[0] for r in rows], dtype=object),
                "kpi": np.asarray([r[1] for r in rows], dtype=object),
                "mean": np.asarray([r[2].mean for r in rows], dtype=np.float64),
                "half_width": np.asarray([r[2].half_width for r in rows], dtype=np.float64),
            }
        )

    @property
    def utilization(self) -> dict[str, Estimate]:
        """Per agent group: busy over logged-in time, counted where the KPIs count calls:
        after the warm-up, until the end of the horizon (or the last event, if the run stops
        before it); combined over replications as :meth:`summary` combines ratios by default
        (:meth:`occupancy` gives either kind). A property, like :attr:`replications` (it
        used to be a method: ``result.utilization()`` is now ``result.utilization``)."""
        return self.occupancy()

    def occupancy(self, kind: Kind = "ratio_of_means") -> dict[str, Estimate]:
        """Per agent group: busy over logged-in time, combined over replications as
        :meth:`summary` combines ratios: by default busy seconds over logged-in seconds of
        all replications (delta-method CI), as :attr:`utilization` does;
        ``"mean_of_ratios"`` gives each replication's share averaged.

        :raises ~callroute.errors.ParameterError: for another ``kind``.
        """
        _check_kind(kind)
        busy, staffed = self._stack("busy").sum(axis=2), self._stack("staffed").sum(axis=2)
        return {
            g: kpi_estimate({"busy": busy[:, k], "staffed": staffed[:, k]}, "occupancy", kind)
            for k, g in enumerate(self.groups)
        }

    def intervals(self, line: str | None = None) -> Table:
        """Per interval (means over replications), as a :class:`Table` with the columns
        start (seconds), offered, answered, abandoned, service_level, asa, the occupancy
        of all agents and ``agents``, the agents logged in (counted agent-seconds over the
        interval length: an interval cut by the warm-up or the horizon shows its share); for
        ``line``, or every line together (``None``).

        :raises ~callroute.errors.UnknownIdError: for a line the model does not have.
        """
        rows = slice(None) if line is None else [self._line(line)]
        s = {
            k: self._stack(k)[:, rows, :].sum(axis=1).mean(axis=0)
            for k in ("offered", "answered", "answered_within", "abandoned", "wait_answered")
        }
        busy = self._stack("busy").sum(axis=1).mean(axis=0)
        staffed = self._stack("staffed").sum(axis=1).mean(axis=0)
        n = len(s["offered"])
        return Table(
            {
                "start": self.start + self.interval * np.arange(n),
                "offered": s["offered"],
                "answered": s["answered"],
                "abandoned": s["abandoned"],
                "service_level": _ratio(s["answered_within"], s["offered"]),
                "asa": _ratio(s["wait_answered"], s["answered"]),
                "occupancy": _ratio(busy, staffed),
                "agents": staffed / self.interval,
            }
        )

    @property
    def calls(self) -> dict[str, npt.NDArray[Any]] | None:
        """Per-call records of the first replication (``record_calls=True``): arrival,
        call_type, line, wait, outcome (0 answered, 1 abandoned, 2 exited, 3 unfinished),
        agent, handle, retrial."""
        calls = self.runs[0]["calls"]
        return None if calls is None else dict(calls)

    def format(self) -> str:
        """A text table: one row per line and ``all``, KPIs as ``mean ± half-width``, and
        the agents' utilization below (what ``print(result)`` shows)."""
        head = ["line", "offered", "abandoned", "SL", "ASA s", "wait s", "AHT s"]
        rows = [head]
        for line, k in self.summary().items():
            rows.append(
                [
                    line,
                    _pm(k["offered"], "{:,.0f}"),
                    _pm(k["abandon_rate"], "{:.1%}"),
                    _pm(k["service_level"], "{:.1%}"),
                    _pm(k["asa"], "{:.1f}"),
                    _pm(k["mean_wait"], "{:.1f}"),
                    _pm(k["aht"], "{:.0f}"),
                ]
            )
        text = _align(rows)
        util = ", ".join(f"{g} {m:.1%}" for g, (m, _) in self.utilization.items())
        text.append(
            f"{self.replications} replication(s), means ± 95 % CI (ratios of the totals over "
            f"replications); agent utilization: {util}"
        )
        full = [g for g, (m, _) in self.utilization.items() if m >= _SATURATED]
        if full:
            text.append(
                f"note: {', '.join(full)} busy >= {_SATURATED:.0%} of their logged-in time: "
                "overloaded or nearly (offered load >= agents), so queues grow over the run and "
                "ASA and wait depend on the horizon, not on a steady state"
            )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.format()


# A group busy this share of its time is reported as saturated (overloaded or nearly).
_SATURATED = 0.98


def _align(rows: list[list[str]]) -> list[str]:
    """Text rows of a table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]


def _pm(value: tuple[float, float], fmt: str) -> str:
    mean, half = value
    if not math.isfinite(mean):
        return "-"
    text = fmt.format(mean)
    if math.isfinite(half):
        text += " ± " + fmt.format(half).lstrip()
    return text


@dataclass(frozen=True)
class Comparison:
    """The same workload under several variants, with paired differences to the first."""

    results: dict[str, SimulationResult]
    kpis: tuple[str, ...] = ("service_level", "abandon_rate", "asa", "mean_wait")

    def table(
        self, line: str | None = None, kind: Kind = "ratio_of_means"
    ) -> dict[str, dict[str, Estimate]]:
        """``{variant: {kpi: Estimate, kpi + "_diff": Estimate}}`` (mean, half-width).

        Differences are to the first variant, replication by replication (same seeds, so
        the same arrivals and callers): their confidence intervals are much narrower than
        those of the KPIs themselves. ``kind`` combines replications as
        :meth:`SimulationResult.summary` does (default: ratios of the totals, with paired
        delta-method intervals for the differences).
        """
        _check_kind(kind)
        names = list(self.results)
        base = self.results[names[0]].totals(line)
        out: dict[str, dict[str, Estimate]] = {}
        for name in names:
            t = self.results[name].totals(line)
            row = {}
            for k in self.kpis:
                row[k] = kpi_estimate(t, k, kind)
                row[k + "_diff"] = kpi_difference(t, base, k, kind)
            out[name] = row
        return out

    def format(self, line: str | None = None) -> str:
        """A text table: one row per variant, its KPIs and its paired differences to the
        first variant, for ``line`` (``None``: all lines); what ``print(comparison)`` shows.
        """
        names = list(self.results)
        fmts = {
            "service_level": "{:.2%}",
            "abandon_rate": "{:.2%}",
            "asa": "{:.1f}",
            "mean_wait": "{:.1f}",
        }
        head = ["variant", *self.kpis, *(f"Δ {k}" for k in self.kpis)]
        rows = [head]
        for name, row in self.table(line).items():
            cells = [name]
            cells += [_pm(row[k], fmts.get(k, "{:.3g}")) for k in self.kpis]
            cells += [
                "(base)" if name == names[0] else _pm(row[k + "_diff"], fmts.get(k, "{:.3g}"))
                for k in self.kpis
            ]
            rows.append(cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        n = self.results[names[0]].replications
        lines.append(
            f"{n} paired replications, means ± 95 % CI (ratios of the totals over "
            f"replications), Δ against {names[0]}"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
