"""Check a schedule's promise by simulation: the scheduled day (each shift and its breaks)
runs through :func:`callroute.simulate` with the forecast calls, and the service level per
period is set beside what Erlang promises for the agents the schedule puts on the phones.

The promise per period is Erlang C (or Erlang A with ``patience``) at the schedule's
coverage, as if each period were in steady state; the simulation adds what the formula
leaves out: queues carried over from one period to the next, agents finishing their call
before a break, random arrivals around the forecast.

What the simulated agents really did is measured too: ``effective`` is the agent time
logged in and not on break per period (over the period's length). An agent busy when a
break or the shift's end comes finishes the call first, while the break still ends on
schedule and the next shift starts on time, so ``effective`` exceeds the coverage after
every break start and shift end. On a planned bank day (AHT 200 s, 80 % in 20 s) that was
about 4 agents per 15-minute period (up to 13), and it lifts the simulated service level
some 9 points above the promise at the coverage (measured by ``tools/wfm_sl_gap.py``,
docs/wfm-staffing-schedule.md). The root cause is the simulator's break rule (in the Rust
core, which shortens the break by the call in hand; this module cannot change it): Erlang at
``effective`` (``promised_effective``) is the like-for-like figure. ``agents="coverage"``
simulates the schedule's coverage per period instead of its shifts and breaks (an agent
leaving at a period's end still finishes the call in hand): the check of the coverage
alone, which leaves only the transients between periods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import erlang
from ..errors import ParameterError
from ..sim import exponential, never, piecewise, simulate
from ..sim.results import half_width
from .schedule import Schedule

__all__ = ["ScheduleCheck", "simulate_schedule"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ScheduleCheck:
    """Per period: calls, agents on the phones, promised and simulated service level (and
    abandonment), with the day's totals weighted by calls.

    ``effective`` is the mean number of agents the simulation had logged in and not on a
    break (calls finished into a break or past a shift's end included);
    ``promised_effective`` Erlang's promise at that number; ``simulated_halfwidth`` the
    95 % confidence half-width of ``simulated`` over the replications (NaN for one);
    ``runs_within`` and ``runs_offered`` the calls answered within the target and offered
    per replication and period.
    """

    calls: FloatArray
    coverage: npt.NDArray[np.int64]
    promised: FloatArray
    simulated: FloatArray
    promised_abandon: FloatArray
    simulated_abandon: FloatArray
    replications: int
    effective: FloatArray
    promised_effective: FloatArray
    simulated_halfwidth: FloatArray
    runs_within: FloatArray
    runs_offered: FloatArray

    @property
    def promised_day(self) -> float:
        """The day's promised service level (periods weighted by calls)."""
        return float((self.promised * self.calls).sum() / max(self.calls.sum(), 1e-12))

    @property
    def simulated_day(self) -> float:
        """The day's simulated service level (periods weighted by calls)."""
        return float((self.simulated * self.calls).sum() / max(self.calls.sum(), 1e-12))

    @property
    def promised_effective_day(self) -> float:
        """The day's promise at the agents the simulation had (periods weighted by calls)."""
        return float((self.promised_effective * self.calls).sum() / max(self.calls.sum(), 1e-12))

    @property
    def simulated_day_halfwidth(self) -> float:
        """95 % confidence half-width of the day's simulated service level."""
        within, offered = self.runs_within.sum(axis=1), self.runs_offered.sum(axis=1)
        return half_width(within / np.maximum(offered, 1.0))

    def folded(self, k: int) -> dict[str, FloatArray]:
        """Every ``k`` periods as one interval: calls, promised (at the coverage and at the
        simulated agents; periods weighted by calls), the mean simulated agents, the
        simulated service level (pooled: calls answered within the target over calls offered
        in the interval, all replications) and its 95 % half-width over the replications."""
        n = len(self.calls) // k
        if k < 1 or n * k != len(self.calls):
            raise ParameterError(f"{len(self.calls)} periods do not fold by {k}")
        calls = self.calls.reshape(n, k)
        weight = np.where(calls.sum(axis=1) > 0, calls.sum(axis=1), 1.0)

        def mean(x: FloatArray) -> FloatArray:
            return np.asarray((x.reshape(n, k) * calls).sum(axis=1) / weight, dtype=np.float64)

        runs = self.runs_within.shape[0]
        within = self.runs_within.reshape(runs, n, k).sum(axis=2)
        offered = self.runs_offered.reshape(runs, n, k).sum(axis=2)
        total = offered.sum(axis=0)
        return {
            "calls": calls.sum(axis=1),
            "promised": mean(self.promised),
            "promised_effective": mean(self.promised_effective),
            "effective": self.effective.reshape(n, k).mean(axis=1),
            "simulated": np.where(total > 0, within.sum(axis=0) / np.maximum(total, 1.0), 0.0),
            "halfwidth": _halfwidths(within, offered),
        }

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each period as a dict."""
        for i in range(len(self.calls)):
            yield {
                "period": i,
                "calls": float(self.calls[i]),
                "agents": int(self.coverage[i]),
                "promised_sl": float(self.promised[i]),
                "simulated_sl": float(self.simulated[i]),
                "simulated_sl_halfwidth": float(self.simulated_halfwidth[i]),
                "effective_agents": float(self.effective[i]),
                "promised_effective_sl": float(self.promised_effective[i]),
                "promised_abandon": float(self.promised_abandon[i]),
                "simulated_abandon": float(self.simulated_abandon[i]),
            }

    def format(self) -> str:
        """An aligned table with the day's line at the bottom."""
        lines = [
            f"{'period':>6} {'calls':>8} {'agents':>6} {'promised':>9} {'in sim':>6} "
            f"{'at sim':>7} {'simulated':>9}"
        ]
        for r in self.rows():
            lines.append(
                f"{r['period']:>6} {r['calls']:>8.1f} {r['agents']:>6} "
                f"{r['promised_sl']:>9.1%} {r['effective_agents']:>6.1f} "
                f"{r['promised_effective_sl']:>7.1%} {r['simulated_sl']:>9.1%}"
            )
        lines.append(
            f"{'day':>6} {self.calls.sum():>8.1f} {'':>6} {self.promised_day:>9.1%} {'':>6} "
            f"{self.promised_effective_day:>7.1%} {self.simulated_day:>9.1%}"
            f"   ({self.replications} replications)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def simulate_schedule(
    schedule: Schedule,
    calls: Any,
    *,
    aht: float,
    target: float,
    patience: float | None = None,
    replications: int = 20,
    seed: int = 0,
    threads: int | None = None,
    agents: Literal["shifts", "coverage"] = "shifts",
) -> ScheduleCheck:
    """Simulate ``schedule`` with ``calls`` expected per period (Poisson arrivals,
    exponential handle times of mean ``aht`` s, exponential patience if given) and compare
    the service level within ``target`` s per period with Erlang's promise, at the
    schedule's coverage and at the agents the simulation really had on the phones.

    ``agents="shifts"`` runs each shift with its breaks; ``"coverage"`` the schedule's
    coverage as a count of agents per period (no individual shifts or breaks)."""
    counts = erlang._array("calls", calls).reshape(-1)
    if counts.shape != schedule.requirement.shape:
        raise ParameterError(
            f"calls has {counts.size} periods, the schedule {schedule.requirement.size}"
        )
    if np.any(~np.isfinite(counts) | (counts < 0)):
        raise ParameterError("calls must be finite and >= 0")
    if agents not in ("shifts", "coverage"):
        raise ParameterError(f"agents must be 'shifts' or 'coverage', got {agents!r}")
    period = schedule.period_minutes * 60.0
    shifts = [
        {
            "start": s.start * period,
            "end": s.end * period,
            "breaks": [
                [b * period, (b + d) * period]
                for b, d in zip(s.breaks, _lengths(s, schedule), strict=True)
            ],
        }
        for s in schedule.agents()
    ]
    if not shifts:
        raise ParameterError("the schedule has no shifts to simulate")
    group: dict[str, Any] = {"name": "agents", "shifts": shifts}
    if agents == "coverage":
        group = {
            "name": "agents",
            "counts": [int(c) for c in schedule.coverage],
            "interval": period,
        }
    model = {
        "queues": [{"name": "q", "sl_threshold": float(target)}],
        "groups": [group],
        "calls": [
            {
                "name": "c",
                "queue": "q",
                "handle": exponential(aht),
                "patience": exponential(patience) if patience is not None else never(),
            }
        ],
        "arrivals": piecewise(counts, interval=period),
    }
    res = simulate(
        model,
        horizon=period * counts.size,
        interval=period,
        replications=replications,
        seed=seed,
        threads=threads,
    )
    per = res.intervals()
    n = counts.size
    sim_sl = np.asarray(per["service_level"][:n], dtype=np.float64)
    # per replication: the service level of each period and of the day, for confidence
    within = _per_run(res, "answered_within", n)
    offered_k = _per_run(res, "offered", n)
    halfwidth = _halfwidths(within, offered_k)
    # the simulator's agents logged in and not on a break, per period (mean over runs)
    effective = np.asarray(per["agents"][:n], dtype=np.float64)
    offered = np.asarray(per["offered"][:n], dtype=np.float64)
    sim_ab = np.divide(
        np.asarray(per["abandoned"][:n], dtype=np.float64),
        offered,
        out=np.zeros(n),
        where=offered > 0,
    )
    traffic = counts * aht / period
    agents_on = schedule.coverage.astype(np.float64)
    promised, promised_ab = _promise(traffic, agents_on, aht, target, patience)
    promised_eff, _ = _promise(traffic, effective, aht, target, patience)
    return ScheduleCheck(
        calls=counts,
        coverage=schedule.coverage,
        promised=promised,
        simulated=sim_sl,
        promised_abandon=promised_ab,
        simulated_abandon=sim_ab,
        replications=replications,
        effective=effective,
        promised_effective=promised_eff,
        simulated_halfwidth=halfwidth,
        runs_within=within,
        runs_offered=offered_k,
    )


def _promise(
    traffic: FloatArray, agents: FloatArray, aht: float, target: float, patience: float | None
) -> tuple[FloatArray, FloatArray]:
    """Erlang C (or A with ``patience``) service level and abandonment per period."""
    if patience is None:
        sl = np.asarray(erlang.service_level(traffic, agents, aht, target), dtype=np.float64)
        return sl, np.zeros(traffic.size)
    out = erlang.erlang_a(traffic, agents, aht, patience, target=target)
    return (
        np.asarray(out.service_level, dtype=np.float64),
        np.asarray(out.p_abandon, dtype=np.float64),
    )


def _halfwidths(within: FloatArray, offered: FloatArray) -> FloatArray:
    """Per column (period), the 95 % half-width of the service level over the replications
    (rows); replications with no call offered in the period left out."""
    with np.errstate(invalid="ignore", divide="ignore"):
        sl = np.where(offered > 0, within / np.maximum(offered, 1.0), np.nan)
    return np.array([half_width(sl[:, i]) for i in range(sl.shape[1])])


def _per_run(res: Any, key: str, n: int) -> FloatArray:
    """``key`` summed over lines (or groups), per replication and period (zero-padded)."""
    out = np.zeros((len(res.runs), n))
    for k, run in enumerate(res.runs):
        row = np.asarray(run[key], dtype=np.float64).sum(axis=0)[:n]
        out[k, : row.size] = row
    return out


def _lengths(shift: Any, schedule: Schedule) -> list[int]:
    """Break lengths in periods of a scheduled shift, from the schedule's type rules."""
    return list(schedule.break_periods.get(shift.shift_type, ()))
