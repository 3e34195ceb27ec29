"""Forecast files, the bundled example, and the command line."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import callroute as cr
import pytest
from callroute.cli import main


def test_bundled_example_looks_like_a_bank_weekday() -> None:
    f = cr.load_forecast(cr.example_path("forecast"))
    assert f.interval == 1800
    assert f.labels[0] == "07:00"
    assert f.labels[-1] == "23:30"
    peak = f.labels[int(f.calls.argmax())]
    assert peak == "10:00"  # morning ramp to a 10:00 peak
    assert f.calls[0] < f.calls.max() / 2
    assert f.calls[-1] < f.calls.max() / 2


def test_bundled_example_matches_the_bank_records(bank_month: Path) -> None:
    # Independent recount: weekday (Sun-Thu) calls that sought an agent (served or abandoned,
    # having reached the queue or an agent; VRU hang-ups are not agent demand), by half hour.
    import datetime as dt
    from collections import Counter

    counts: Counter[str] = Counter()
    days: set[str] = set()
    with bank_month.open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            day = dt.datetime.strptime(row["date"], "%y%m%d").date()
            if day.weekday() in (4, 5):  # Friday, Saturday
                continue
            days.add(row["date"])
            if row["outcome"] not in ("AGENT", "HANG"):
                continue
            if row["q_start"] == "0:00:00" and row["ser_start"] == "0:00:00":
                continue
            h, m, _ = (int(x) for x in row["vru_entry"].split(":"))
            if 7 <= h < 24:
                counts[f"{h:02d}:{30 * (m // 30):02d}"] += 1
    f = cr.load_forecast(cr.example_path("forecast"))
    for label, calls in zip(f.labels, f.calls, strict=True):
        assert calls == pytest.approx(counts[label] / len(days), abs=0.051), label


def test_forecast_errors_name_file_and_line(tmp_path: Path) -> None:
    # a loader's errors are ConfigErrors with structured problems (issue 12), every bad row
    bad = tmp_path / "f.csv"
    bad.write_text("interval_start,calls\n09:00,10\n09:30,lots\n10:00,-1\n")
    with pytest.raises(cr.ConfigError) as info:
        cr.load_forecast(bad)
    err = info.value
    assert not isinstance(err, cr.EngineError)
    assert err.source == str(bad)
    assert [(p.location, p.message) for p in err.problems] == [
        ("line 3", "calls must be a number, got 'lots'"),
        ("line 4", "calls must be >= 0, got '-1'"),
    ]
    assert str(err).splitlines()[0] == f"{bad}: line 3: calls must be a number, got 'lots'"
    with pytest.raises(cr.ConfigError, match="cannot read forecast"):
        cr.load_forecast(tmp_path / "missing.csv")
    (tmp_path / "g.csv").write_text("time,volume\n09:00,1\n")
    with pytest.raises(cr.ConfigError, match="no 'calls' column"):
        cr.load_forecast(tmp_path / "g.csv")
    (tmp_path / "h.csv").write_text("time,calls\n")
    with pytest.raises(cr.ConfigError, match="no rows"):
        cr.load_forecast(tmp_path / "h.csv")


def test_staff_cli_writes_csv_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out_csv, out_png = tmp_path / "plan.csv", tmp_path / "plan.png"
    code = main(
        [
            "staff",
            "--example",
            "--aht",
            "180",
            "--target",
            "20",
            "--level",
            "0.8",
            "--shrinkage",
            "0.3",
            "--csv",
            str(out_csv),
            "--plot",
            str(out_png),
        ]
    )
    assert code == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 34
    assert rows[6]["interval"] == "10:00"
    assert int(rows[6]["scheduled"]) >= int(rows[6]["agents"]) > 0
    assert out_png.stat().st_size > 10_000
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert "scheduled agent-hours" in capsys.readouterr().out


def test_staff_cli_on_a_user_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "day.csv"
    f.write_text("interval_start,calls\n08:00,100\n08:15,120\n")
    assert main(["staff", str(f), "--aht", "180", "--target", "20", "--level", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "15 min" in out
    assert "08:15" in out


def test_erlang_cli_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["erlang", "--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "14"])
        == 0
    )
    out = capsys.readouterr().out
    assert "0.174132" in out
    assert "0.888350" in out
    assert main(["erlang", "--traffic", "10", "--aht", "180", "--level", "0.8"]) == 0
    assert "agents needed for 80% within 20 s: 14" in capsys.readouterr().out


def test_cli_errors_are_clean(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "callroute",
            "staff",
            str(tmp_path / "nope.csv"),
            "--aht",
            "180",
            "--target",
            "20",
            "--level",
            "0.8",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "callroute: error:" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "callroute",
            "erlang",
            "--traffic",
            "-1",
            "--aht",
            "180",
            "--agents",
            "3",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "traffic must be finite and >= 0" in done.stderr
