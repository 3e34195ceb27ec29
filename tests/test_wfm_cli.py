"""``callroute forecast``: history file -> forecast CSV, backtest table, errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from callroute.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "asterisk"


def _counts(tmp_path: Path, days: int) -> Path:
    path = tmp_path / "counts.csv"
    lines = ["interval_start,calls"]
    day = dt.date(2024, 1, 1)  # a Monday
    written = 0
    while written < days:
        if day.weekday() < 5:
            for minute, calls in ((0, 10), (15, 20), (30, 30), (45, 40)):
                lines.append(f"{day} 09:{minute:02d},{calls + day.weekday()}")
            written += 1
        day += dt.timedelta(days=1)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_forecast_csv_from_interval_counts(tmp_path: Path) -> None:
    out = tmp_path / "fc.csv"
    code = main(
        [
            "forecast",
            str(_counts(tmp_path, 10)),
            "--minutes",
            "30",
            "--method",
            "average",
            "--days",
            "2",
            "--csv",
            str(out),
        ]
    )
    assert code == 0
    rows = list(csv.DictReader(out.open()))
    # Ten weekdays from Monday 2024-01-01: the next two open days are Mon 15 and Tue 16.
    assert [(r["date"], r["interval_start"]) for r in rows] == [
        ("2024-01-15", "09:00"),
        ("2024-01-15", "09:30"),
        ("2024-01-16", "09:00"),
        ("2024-01-16", "09:30"),
    ]
    # Every Monday had 10+20 and 30+40 calls per half hour; Tuesdays one more per quarter.
    assert [float(r["calls"]) for r in rows] == [30.0, 70.0, 32.0, 72.0]
    assert all(int(r["q5"]) <= float(r["calls"]) <= int(r["q95"]) for r in rows)


def test_forecast_backtest_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "forecast",
            str(_counts(tmp_path, 30)),
            "--backtest",
            "--horizons",
            "1,5",
            "--min-train",
            "10",
            "--intraday",
            "09:30",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    for method in ("seasonal naive", "weekday x interval average", "daily total x profile"):
        assert method in text
    assert "+intraday" in text


def test_forecast_from_queue_log(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "forecast",
            str(FIXTURES / "queue_log.txt"),
            "--format",
            "queue_log",
            "--method",
            "naive",
            "--minutes",
            "60",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    # 14 calls entered the queues between 05:43 and 05:45 UTC (README scenarios).
    assert lines[1].split(",")[1:3] == ["05:00", "14.00"]


def test_forecast_bad_file_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("interval_start,calls\n2024-01-01 09:00,1\n2024-01-01 09:15,x\n")
    assert main(["forecast", str(path)]) == 2
    assert f"{path}:3: calls must be a number" in capsys.readouterr().err


def test_forecast_with_a_calendar_file(tmp_path: Path) -> None:
    cal = tmp_path / "holidays.yaml"
    cal.write_text("closed: [2024-01-15]\n")  # a Monday
    out = tmp_path / "fc.csv"
    args = ["forecast", str(_counts(tmp_path, 10)), "--method", "average", "--days", "2"]
    assert main([*args, "--calendar", str(cal), "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    # The closed Monday is skipped: Tuesday (no past day after a holiday: no effect) and
    # Wednesday, each as its weekday's average (one and two more calls per quarter hour).
    assert [(r["date"], float(r["calls"])) for r in rows] == [
        ("2024-01-16", 32.0),
        ("2024-01-16", 72.0),
        ("2024-01-17", 34.0),
        ("2024-01-17", 74.0),
    ]


def test_forecast_bad_calendar_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cal = tmp_path / "cal.csv"
    cal.write_text("date,kind\n2024-01-15,closed\n2024-01-16,shut\n")
    assert main(["forecast", str(_counts(tmp_path, 10)), "--calendar", str(cal)]) == 2
    assert f"{cal}: line 3: kind must be closed or special" in capsys.readouterr().err
