"""MIP back ends for :mod:`callroute.wfm.schedule`: HiGHS (``highspy``) and OR-Tools CP-SAT.

Both take the same solver-neutral :class:`MipModel` and give the variables' values and a
:class:`SolveInfo`. Each solver is imported only when used; a missing one raises
:class:`ImportError` saying what to install.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError

__all__ = ["MipModel", "SolveInfo", "solve_cpsat", "solve_highs"]


@dataclass(frozen=True)
class SolveInfo:
    """What the solver reported: status, objective, best bound, relative gap, wall seconds
    (model hand-over and solve), and the model's size."""

    solver: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    variables: int
    constraints: int


@dataclass
class MipModel:
    """A MIP in row form: minimise ``cost @ v`` subject to ``lo <= A v <= hi`` per row and
    ``0 <= v <= upper``, integer where ``integer``. The index maps say which variable is
    which shift start (``x``), break placement (``y``) and shortfall (``u``)."""

    cost: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)
    x_index: dict[tuple[int, int], int] = field(default_factory=dict)
    y_index: dict[tuple[int, int, int, int], int] = field(default_factory=dict)
    u_index: list[int] = field(default_factory=list)

    def var(self, cost: float, upper: float, integer: bool) -> int:
        """Add a variable ``0 <= v <= upper``; its index."""
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1


def _quiet(make: Any) -> Any:
    """``make()`` with file descriptor 1 sent to /dev/null: highspy's first ``Highs()`` in a
    process prints a banner from C++ on stdout, which would corrupt a table or CSV written
    there (``output_flag`` is set only after construction)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return make()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    if objective == bound:
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve_highs(
    model: MipModel,
    time_limit: float,
    mip_gap: float,
    threads: int = 1,
    hint: Sequence[float] | None = None,
) -> tuple[list[float], SolveInfo]:
    """Solve with HiGHS (branch and cut on the LP relaxation).

    ``hint`` is a feasible starting solution (one value per variable), if known.
    ``threads`` is accepted for symmetry and ignored: HiGHS's branch and bound is serial,
    and its thread pool is process-wide (fixed by the first solve in the process).
    """
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("solver='highs' needs highspy: pip install 'callroute[highs]'") from exc
    import numpy as np

    start = time.perf_counter()
    h = _quiet(highspy.Highs)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    lp = highspy.HighsLp()
    n = len(model.cost)
    inf = highspy.kHighsInf
    lp.num_col_ = n
    lp.num_row_ = len(model.rows)
    lp.col_cost_ = np.asarray(model.cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.asarray([inf if math.isinf(u) else u for u in model.upper])
    lp.row_lower_ = np.asarray([-inf if math.isinf(r[2]) else r[2] for r in model.rows])
    lp.row_upper_ = np.asarray([inf if math.isinf(r[3]) else r[3] for r in model.rows])
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for idx, val, _, _ in model.rows:
        index += idx
        value += val
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
        for i in model.integer
    ]
    if h.passModel(lp) != highspy.HighsStatus.kOk:
        raise RuntimeError("HiGHS refused the schedule model")
    if hint is not None:
        start_at = highspy.HighsSolution()
        start_at.col_value = [float(v) for v in hint]
        start_at.value_valid = True
        h.setSolution(start_at)
    if h.run() == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS failed to solve the schedule model")
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = list(h.getSolution().col_value)
    if len(values) != n or info.primal_solution_status == 0:
        if hint is not None and _feasible(model, hint):
            return _from_hint("highs", model, hint, time.perf_counter() - start, status)
        raise RuntimeError(f"HiGHS found no schedule ({status}) within {time_limit} s")
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    return values, SolveInfo(
        solver="highs",
        status=status,
        objective=objective,
        bound=bound,
        gap=_gap(objective, bound),
        seconds=time.perf_counter() - start,
        variables=n,
        constraints=len(model.rows),
    )


def solve_cpsat(
    model: MipModel,
    time_limit: float,
    mip_gap: float,
    threads: int = 1,
    hint: Sequence[float] | None = None,
) -> tuple[list[float], SolveInfo]:
    """Solve with OR-Tools CP-SAT. Every variable is integer there, so row bounds must be
    whole numbers (whole requirements); otherwise :class:`ParameterError`. ``hint`` is a
    feasible starting solution (one value per variable), if known."""
    try:
        from ortools.sat.python import cp_model
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("solver='cpsat' needs ortools: pip install 'callroute[wfm]'") from exc

    start = time.perf_counter()
    cp: Any = cp_model.CpModel()
    xs = []
    for u in model.upper:
        top = int(u) if math.isfinite(u) else _finite_upper(model)
        xs.append(cp.new_int_var(0, top, ""))
    for r, (idx, val, lo, hi) in enumerate(model.rows):
        for bound in (lo, hi):
            if math.isfinite(bound) and bound != round(bound):
                raise ParameterError(
                    f"solver='cpsat' needs whole requirements, got {bound} (row {r}); "
                    "use solver='highs' or round the requirement"
                )
        expr = sum(int(v) * xs[i] for i, v in zip(idx, val, strict=True))
        if lo == hi:
            cp.add(expr == int(lo))
        else:
            if math.isfinite(lo):
                cp.add(expr >= int(lo))
            if math.isfinite(hi):
                cp.add(expr <= int(hi))
    cp.minimize(sum(c * xs[i] for i, c in enumerate(model.cost) if c))
    if hint is not None:
        for x, v in zip(xs, hint, strict=True):
            cp.add_hint(x, round(v))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.relative_gap_limit = float(mip_gap)
    solver.parameters.num_workers = int(threads)
    code = solver.solve(cp)
    status = solver.status_name(code)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if hint is not None and _feasible(model, hint):
            return _from_hint("cpsat", model, hint, time.perf_counter() - start, status)
        raise RuntimeError(f"CP-SAT found no schedule ({status}) within {time_limit} s")
    values = [float(solver.value(x)) for x in xs]
    objective = float(solver.objective_value)
    bound = float(solver.best_objective_bound)
    return values, SolveInfo(
        solver="cpsat",
        status=status,
        objective=objective,
        bound=bound,
        gap=_gap(objective, bound),
        seconds=time.perf_counter() - start,
        variables=len(xs),
        constraints=len(model.rows),
    )


def _feasible(model: MipModel, values: Sequence[float]) -> bool:
    """Whether ``values`` keep every bound and row of ``model`` (to 1e-6)."""
    if len(values) != len(model.cost):
        return False
    if any(v < -1e-6 or v > u + 1e-6 for v, u in zip(values, model.upper, strict=True)):
        return False
    for idx, val, lo, hi in model.rows:
        total = sum(c * values[i] for i, c in zip(idx, val, strict=True))
        if total < lo - 1e-6 or total > hi + 1e-6:
            return False
    return True


def _from_hint(
    solver: str, model: MipModel, hint: Sequence[float], seconds: float, status: str
) -> tuple[list[float], SolveInfo]:
    """The (feasible) hint as the answer when the solver found nothing in time."""
    objective = sum(c * v for c, v in zip(model.cost, hint, strict=True))
    return list(map(float, hint)), SolveInfo(
        solver=solver,
        status=f"{status}: starting solution kept",
        objective=objective,
        bound=-math.inf,
        gap=math.inf,
        seconds=seconds,
        variables=len(model.cost),
        constraints=len(model.rows),
    )


def _finite_upper(model: MipModel) -> int:
    """A bound for unbounded shortfall variables: the largest row lower bound."""
    return max(1, max((math.ceil(r[2]) for r in model.rows if math.isfinite(r[2])), default=1))
