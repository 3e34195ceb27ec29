"""Workforce planning: call history, forecasts with special days, and their backtests."""

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

__all__ = [
    "Calendar",
    "DailyProfile",
    "FittedModel",
    "History",
    "IntervalForecast",
    "Model",
    "SeasonalNaive",
    "SpecialDay",
    "WeekdayAverage",
    "from_call_records",
    "read_anonymous_bank",
    "read_interval_csv",
    "read_master_csv",
    "read_queue_log",
]
