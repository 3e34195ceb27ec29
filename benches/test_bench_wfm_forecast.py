"""Forecast fit and one-day-ahead backtest of the bank series (``callroute.wfm``).

Needs the 2003 bank arrivals beside the repository (``../shared/data/bank-calls-2003/``;
not shipped); skips cleanly without them. Times one fit of the daily-total model on all
120 days of five-minute counts, and the whole rolling-origin backtest (100 origins, three
methods, 30-minute intervals), and prints the backtest table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = next(
    (
        p / "bank-calls-2003" / "calls-5min.csv"
        for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
        if (p / "bank-calls-2003").exists()
    ),
    ROOT.parent / "shared" / "data" / "bank-calls-2003" / "calls-5min.csv",
)

pytestmark = pytest.mark.skipif(
    not DATA.exists(), reason=f"the 2003 bank series is not here ({DATA}); it is not shipped"
)


def test_fit_bank_series(benchmark: Any) -> None:
    from callroute.wfm import DailyProfile, read_interval_csv

    history = read_interval_csv(DATA)
    benchmark.group = "wfm: fit daily total x profile, 120 days x 169 five-minute intervals"
    fitted = benchmark.pedantic(DailyProfile().fit, args=(history,), rounds=3)
    benchmark.extra_info.update(impl="callroute", target_seconds=1.0)
    assert fitted.horizon(1).mean.shape == (1, 169)


def test_backtest_bank_series(benchmark: Any, capsys: Any) -> None:
    from callroute.wfm import DailyProfile, SeasonalNaive, WeekdayAverage, read_interval_csv
    from callroute.wfm.forecast_backtest import backtest, format_table

    history = read_interval_csv(DATA).resample(1800)
    models = [SeasonalNaive(), WeekdayAverage(), DailyProfile()]
    benchmark.group = "wfm: one-day-ahead backtest, 100 origins x 3 methods, 30 min"
    rows = benchmark.pedantic(backtest, args=(history, models), rounds=1)
    benchmark.extra_info.update(impl="callroute", target_seconds=10.0)
    with capsys.disabled():
        print("\nBank 2003, one day ahead, 30-minute intervals, expanding window from day 20")
        print(format_table(rows))
    assert len(rows) == 3
