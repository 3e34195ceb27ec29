"""Results of simulation runs: per-replication KPIs, means with 95 % confidence
half-widths, per-interval series and per-call records; comparisons of variants."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._internal.tables import Estimate, Table
from ..errors import ParameterError, UnknownIdError

__all__ = ["KPIS", "Comparison", "Estimate", "SimulationResult", "Table"]

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


def _half_width(values: FloatArray) -> float:
    """95 % confidence half-width of the mean of ``values`` (NaN for fewer than two)."""
    v = values[np.isfinite(values)]
    n = len(v)
    if n < 2:
        return math.nan
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96 + 2.4 / (n - 1)
    return float(t * v.std(ddof=1) / math.sqrt(n))


def _estimate(values: FloatArray) -> Estimate:
    """The mean of ``values`` leaving NaN out (NaN when no value is finite) and the 95 %
    half-width of the finite ones."""
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    return Estimate(mean, _half_width(values))


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


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

    def kpi(self, name: str, line: str | None = None) -> FloatArray:
        """One KPI per replication (over the whole run), for a line or all lines together.

        ``service_level`` is answered within the threshold over offered;
        ``service_level_answered`` over answered; ``service_level_minus_early`` over offered
        minus calls abandoned within the threshold. ``asa`` averages answered calls' waits,
        ``mean_wait`` all calls', ``aht`` is mean talk time.
        """
        if name not in KPIS:
            raise ParameterError(f"unknown KPI {name!r}; expected one of {', '.join(KPIS)}")
        rows = slice(None) if line is None else [self._line(line)]
        t: dict[str, FloatArray] = {}
        for key in (
            "offered",
            "answered",
            "answered_within",
            "abandoned",
            "abandoned_within",
            "exited",
            "wait_answered",
            "wait_all",
            "talk",
        ):
            t[key] = self._stack(key)[:, rows, :].sum(axis=(1, 2))
        # (callers who left at once rather than wait; counted in abandoned too)
        t["balked"] = (
            self._stack("balked")[:, rows, :].sum(axis=(1, 2))
            if all("balked" in r for r in self.runs)
            else np.zeros(len(self.runs))
        )
        finished = t["answered"] + t["abandoned"] + t["exited"]
        values = {
            "offered": t["offered"],
            "answered": t["answered"],
            "abandon_rate": _ratio(t["abandoned"], t["offered"]),
            "service_level": _ratio(t["answered_within"], t["offered"]),
            "service_level_answered": _ratio(t["answered_within"], t["answered"]),
            "service_level_minus_early": _ratio(
                t["answered_within"], t["offered"] - t["abandoned_within"]
            ),
            "asa": _ratio(t["wait_answered"], t["answered"]),
            "mean_wait": _ratio(t["wait_all"], finished),
            "aht": _ratio(t["talk"], t["answered"]),
            "exited": t["exited"],
            "balked": t["balked"],
        }
        return np.asarray(values[name], dtype=np.float64)

    def summary(self) -> dict[str, dict[str, Estimate]]:
        """``{line: {kpi: Estimate(mean, half_width)}}`` over the replications, with
        ``"all"`` for every line together (KPIs as :meth:`kpi` defines them)."""
        out: dict[str, dict[str, Estimate]] = {}
        for line in [*self.lines, None]:
            out["all" if line is None else line] = {
                name: _estimate(self.kpi(name, line)) for name in KPIS
            }
        return out

    def summary_table(self) -> Table:
        """:meth:`summary` as one long :class:`Table`: columns ``line``, ``kpi``, ``mean``,
        ``half_width`` (one row per line and KPI); ``to_pandas()``/``to_polars()`` convert."""
        rows = [(line, k, e) for line, row in self.summary().items() for k, e in row.items()]
        return Table(
            {
                "line": np.asarray([r[0] for r in rows], dtype=object),
                "kpi": np.asarray([r[1] for r in rows], dtype=object),
                "mean": np.asarray([r[2].mean for r in rows], dtype=np.float64),
                "half_width": np.asarray([r[2].half_width for r in rows], dtype=np.float64),
            }
        )

    def utilization(self) -> dict[str, Estimate]:
        """Per agent group: busy over logged-in time (mean, half-width), counted where the
        KPIs count calls: after the warm-up, until the end of the horizon (or the last event
        that changed anything, say the last call's end, if the run stops before it)."""
        busy, staffed = self._stack("busy").sum(axis=2), self._stack("staffed").sum(axis=2)
        share = _ratio(busy, staffed)
        return {g: _estimate(share[:, k]) for k, g in enumerate(self.groups)}

    def intervals(self, line: str | None = None) -> Table:
        """Per interval (means over replications), as a :class:`Table` with the columns
        start (seconds), offered, answered, abandoned, service_level, asa and the occupancy
        of all agents; for ``line``, or every line together (``None``).

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
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        text = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        util = ", ".join(f"{g} {m:.1%}" for g, (m, _) in self.utilization().items())
        text.append(
            f"{self.replications} replication(s), means ± 95 % CI; agent utilization: {util}"
        )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.format()


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

    def table(self, line: str | None = None) -> dict[str, dict[str, Estimate]]:
        """``{variant: {kpi: Estimate, kpi + "_diff": Estimate}}`` (mean, half-width).

        Differences are to the first variant, replication by replication (same seeds, so
        the same arrivals and callers): their confidence intervals are much narrower than
        those of the KPIs themselves.
        """
        names = list(self.results)
        base = self.results[names[0]]
        out: dict[str, dict[str, Estimate]] = {}
        for name in names:
            res = self.results[name]
            row = {}
            for k in self.kpis:
                v = res.kpi(k, line)
                d = v - base.kpi(k, line)
                row[k] = _estimate(v)
                row[k + "_diff"] = _estimate(d)
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
        lines.append(f"{n} paired replications, means ± 95 % CI, Δ against {names[0]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
