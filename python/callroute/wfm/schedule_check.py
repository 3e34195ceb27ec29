"""Check a schedule's promise by simulation: the scheduled day (each shift and its breaks)
runs through :func:`callroute.simulate` with the forecast calls, and the service level per
period is set beside what Erlang promises for the agents the schedule puts on the phones.

The promise per period is Erlang C (or Erlang A with ``patience``) at the schedule's
coverage, as if each period were in steady state; the simulation adds what the formula
leaves out: queues carried over from one period to the next, agents finishing their call
before a break, random arrivals around the forecast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import erlang
from ..errors import ParameterError
from ..sim import exponential, never, piecewise, simulate
from .schedule import Schedule

__all__ = ["ScheduleCheck", "simulate_schedule"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ScheduleCheck:
    """Per period: calls, agents on the phones, promised and simulated service level (and
    abandonment), with the day's totals weighted by calls."""

    calls: FloatArray
    coverage: npt.NDArray[np.int64]
    promised: FloatArray
    simulated: FloatArray
    promised_abandon: FloatArray
    simulated_abandon: FloatArray
    replications: int

    @property
    def promised_day(self) -> float:
        """The day's promised service level (periods weighted by calls)."""
        return float((self.promised * self.calls).sum() / max(self.calls.sum(), 1e-12))

    @property
    def simulated_day(self) -> float:
        """The day's simulated service level (periods weighted by calls)."""
        return float((self.simulated * self.calls).sum() / max(self.calls.sum(), 1e-12))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each period as a dict."""
        for i in range(len(self.calls)):
            yield {
                "period": i,
                "calls": float(self.calls[i]),
                "agents": int(self.coverage[i]),
                "promised_sl": float(self.promised[i]),
                "simulated_sl": float(self.simulated[i]),
                "promised_abandon": float(self.promised_abandon[i]),
                "simulated_abandon": float(self.simulated_abandon[i]),
            }

    def format(self) -> str:
        """An aligned table with the day's line at the bottom."""
        lines = [f"{'period':>6} {'calls':>8} {'agents':>6} {'promised':>9} {'simulated':>9}"]
        for r in self.rows():
            lines.append(
                f"{r['period']:>6} {r['calls']:>8.1f} {r['agents']:>6} "
                f"{r['promised_sl']:>9.1%} {r['simulated_sl']:>9.1%}"
            )
        lines.append(
            f"{'day':>6} {self.calls.sum():>8.1f} {'':>6} {self.promised_day:>9.1%} "
            f"{self.simulated_day:>9.1%}   ({self.replications} replications)"
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
) -> ScheduleCheck:
    """Simulate ``schedule`` with ``calls`` expected per period (Poisson arrivals,
    exponential handle times of mean ``aht`` s, exponential patience if given) and compare
    the service level within ``target`` s per period with Erlang's promise."""
    counts = erlang._array("calls", calls).reshape(-1)
    if counts.shape != schedule.requirement.shape:
        raise ParameterError(
            f"calls has {counts.size} periods, the schedule {schedule.requirement.size}"
        )
    if np.any(~np.isfinite(counts) | (counts < 0)):
        raise ParameterError("calls must be finite and >= 0")
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
    model = {
        "queues": [{"name": "q", "sl_threshold": float(target)}],
        "groups": [{"name": "agents", "shifts": shifts}],
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
    offered = np.asarray(per["offered"][:n], dtype=np.float64)
    sim_ab = np.divide(
        np.asarray(per["abandoned"][:n], dtype=np.float64),
        offered,
        out=np.zeros(n),
        where=offered > 0,
    )
    traffic = counts * aht / period
    agents = schedule.coverage.astype(np.float64)
    if patience is None:
        promised = np.asarray(erlang.service_level(traffic, agents, aht, target), dtype=np.float64)
        promised_ab = np.zeros(n)
    else:
        out = erlang.erlang_a(traffic, agents, aht, patience, target=target)
        promised = np.asarray(out.service_level, dtype=np.float64)
        promised_ab = np.asarray(out.p_abandon, dtype=np.float64)
    return ScheduleCheck(
        calls=counts,
        coverage=schedule.coverage,
        promised=promised,
        simulated=sim_sl,
        promised_abandon=promised_ab,
        simulated_abandon=sim_ab,
        replications=replications,
    )


def _lengths(shift: Any, schedule: Schedule) -> list[int]:
    """Break lengths in periods of a scheduled shift, from the schedule's type rules."""
    return list(schedule.break_periods.get(shift.shift_type, ()))
