"""Workforce planning: staffing at a chosen cost/service point and shift schedules."""

from __future__ import annotations

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

__all__ = [
    "CostFrontier",
    "CostOptimalPlan",
    "Costs",
    "cost_frontier",
    "cost_optimal_staffing",
    "daily_service_level_staffing",
    "newsvendor_fractile",
    "quantile_calls",
]
