"""Workforce planning: staffing at a chosen cost/service point and shift schedules."""

from __future__ import annotations

from .roster import Agent, Assignment, Roster, RosterDay, build_roster
from .schedule import (
    BreakRule,
    Schedule,
    ScheduledShift,
    ShiftType,
    SolveInfo,
    coverage_of,
    schedule_shifts,
)
from .schedule_check import ScheduleCheck, simulate_schedule
from .staffing import (
    CostFrontier,
    CostOptimalPlan,
    Costs,
    cost_frontier,
    cost_optimal_staffing,
    daily_service_level_staffing,
    newsvendor_fractile,
    quantile_calls,
)
from .staffing_plot import plot_coverage, plot_frontier

__all__ = [
    "Agent",
    "Assignment",
    "BreakRule",
    "CostFrontier",
    "CostOptimalPlan",
    "Costs",
    "Roster",
    "RosterDay",
    "Schedule",
    "ScheduleCheck",
    "ScheduledShift",
    "ShiftType",
    "SolveInfo",
    "build_roster",
    "cost_frontier",
    "cost_optimal_staffing",
    "coverage_of",
    "daily_service_level_staffing",
    "newsvendor_fractile",
    "plot_coverage",
    "plot_frontier",
    "quantile_calls",
    "schedule_shifts",
    "simulate_schedule",
]
