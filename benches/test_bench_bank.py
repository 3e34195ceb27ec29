"""February 1999 of the Anonymous Bank, rebuilt in the simulator (``tools/bank_month.py``).

Needs the call-by-call data beside the repository (``../shared/data/anonymous-bank/``; not
shipped); skips cleanly without it. Prints real against simulated figures and times the
month's simulation (30,000 calls over 28 days, staffing changing every half hour).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bank_month  # noqa: E402

pytestmark = pytest.mark.skipif(
    not bank_month.DEFAULT.exists(),
    reason=f"the Anonymous Bank data is not here ({bank_month.DEFAULT}); it is not shipped",
)


def test_bank_month(benchmark: Any, capsys: Any) -> None:
    cr = pytest.importorskip("callroute")
    calls = bank_month.read_month(bank_month.DEFAULT)
    model = bank_month.build_model(calls)
    benchmark.group = "sim: Anonymous Bank, February 1999"
    res = benchmark.pedantic(
        cr.simulate, args=(model,), kwargs={"replications": 4, "seed": 0}, rounds=1
    )
    benchmark.extra_info.update(impl="callroute", evaluations=4 * len(calls))
    real = bank_month.real_figures(calls)
    with capsys.disabled():
        print("\nAnonymous Bank, February 1999: real vs simulated (4 replications)")
        for key in ("abandon_rate", "mean_wait", "asa", "service_level"):
            print(f"  {key:14} real {real[key]:8.3f}   simulated {res.kpi(key).mean():8.3f}")
    assert res.kpi("offered")[0] == len(calls)
    # the rebuild is an estimate (staffing inferred from who served when): same ballpark
    assert 0.5 * real["abandon_rate"] < res.kpi("abandon_rate").mean() < 1.5 * real["abandon_rate"]
    assert 0.5 * real["mean_wait"] < res.kpi("mean_wait").mean() < 1.5 * real["mean_wait"]
