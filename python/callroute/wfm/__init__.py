"""Workforce planning: history, forecasts with special days, staffing at a chosen cost/service
point, shift schedules with breaks, rosters and the simulated check."""

from __future__ import annotations

from .calendar import Calendar, SpecialDay
from .forecast import (
    DailyProfile,
    FittedModel,
    IntervalForecast,
    Model,
    SeasonalNaive,
    WeekdayAverage,
)
from .history import (
    History,
    from_call_records,
    read_anonymous_bank,
    read_interval_csv,
    read_master_csv,
    read_queue_log,
)
from .plan import (
    DayPlan,
    SurgeWhatIf,
    default_shift_types,
    plan_day,
    requirement_for,
    schedule_requirement,
    surge_what_if,
)
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
from .special_days import (
    AFTER_CLOSED,
    BEFORE_CLOSED,
    absent_weekdays,
    load_calendar,
    public_holidays,
    with_closure_events,
)
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
    "AFTER_CLOSED",
    "BEFORE_CLOSED",
    "Agent",
    "Assignment",
    "BreakRule",
    "Calendar",
    "CostFrontier",
    "CostOptimalPlan",
    "Costs",
    "DailyProfile",
    "DayPlan",
    "FittedModel",
    "History",
    "IntervalForecast",
    "Model",
    "Roster",
    "RosterDay",
    "Schedule",
    "ScheduleCheck",
    "ScheduledShift",
    "SeasonalNaive",
    "ShiftType",
    "SolveInfo",
    "SpecialDay",
    "SurgeWhatIf",
    "WeekdayAverage",
    "absent_weekdays",
    "build_roster",
    "cost_frontier",
    "cost_optimal_staffing",
    "coverage_of",
    "daily_service_level_staffing",
    "default_shift_types",
    "from_call_records",
    "load_calendar",
    "newsvendor_fractile",
    "plan_day",
    "plot_coverage",
    "plot_frontier",
    "public_holidays",
    "quantile_calls",
    "read_anonymous_bank",
    "read_interval_csv",
    "read_master_csv",
    "read_queue_log",
    "requirement_for",
    "schedule_requirement",
    "schedule_shifts",
    "simulate_schedule",
    "surge_what_if",
    "with_closure_events",
]
