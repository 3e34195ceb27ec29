"""The planning chain and the surge what-if: ``callroute schedule``, ``callroute plan`` and
``callroute.wfm.surge_what_if`` on a synthetic history (Poisson arrivals on a known profile),
checked against an Erlang C written here and against the shifts' own break rules."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from callroute.cli import main
from callroute.wfm import read_interval_csv, surge_what_if

SLOTS = 24  # 07:00 to 19:00 in half hours
PROFILE = np.sin(np.linspace(0.2, math.pi - 0.2, SLOTS)) * 60 + 10
AHT, TARGET, LEVEL, INTERVAL = 240.0, 20.0, 0.8, 1800.0
FIRST = dt.date(2026, 9, 1)  # a Tuesday
DAYS = 25
BREAKS = {"8h": (15, 30, 15), "4h": (15,)}  # the default shift types' breaks (minutes)


def _write_history(path: Path, seed: int = 7) -> dt.date:
    """Weekdays of Poisson counts on PROFILE; returns the next weekday after the history."""
    rng = np.random.default_rng(seed)
    day, written = FIRST, 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["interval_start", "calls"])
        while written < DAYS:
            if day.weekday() < 5:
                for s in range(SLOTS):
                    t = dt.datetime.combine(day, dt.time(7)) + dt.timedelta(minutes=30 * s)
                    writer.writerow([t.strftime("%Y-%m-%d %H:%M"), int(rng.poisson(PROFILE[s]))])
                written += 1
            day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _erlang_c_agents(calls: float, aht: float, interval: float, target: float, level: float) -> int:
    """Fewest agents answering ``level`` of calls within ``target`` s (textbook Erlang C)."""
    a = calls * aht / interval
    if a <= 0:
        return 0
    n = max(1, math.floor(a) + 1)
    while True:
        b = 1.0
        for k in range(1, n + 1):
            b = a * b / (k + a * b)
        c = n * b / (n - a * (1 - b))
        if 1 - c * math.exp(-(n - a) * target / aht) >= level:
            return n
        n += 1


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date]:
    path = tmp_path_factory.mktemp("plan") / "history.csv"
    return path, _write_history(path)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _clock(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def test_plan_cli_runs_and_writes_parsable_files(
    history: tuple[Path, dt.date], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, day = history
    out, shifts = tmp_path / "plan.csv", tmp_path / "shifts.csv"
    code = main(
        [
            "plan", str(path), "--replications", "3", "--aht", str(AHT), "--target", str(TARGET),
            "--out", str(out), "--shifts", str(shifts),
        ]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert f"{day}: promised" in captured.out
    assert "simulated" in captured.out
    assert "# reading" in captured.err  # progress goes to stderr
    rows = _rows(out)
    assert [r["interval_start"] for r in rows][:2] == ["07:00", "07:30"]
    assert len(rows) == SLOTS
    for r in rows:
        calls = float(r["calls"])
        # the staffing column is Erlang C at the forecast, recomputed here
        assert int(r["required"]) == _erlang_c_agents(calls, AHT, INTERVAL, TARGET, LEVEL)
        assert 0.0 <= float(r["simulated_sl"]) <= 1.0
        assert 0.0 <= float(r["promised_sl"]) <= 1.0
        # agents finish their call before a break or shift end: never fewer on the phones
        # in the simulation than the schedule has, and Erlang at more agents promises more
        assert float(r["agents_in_simulation"]) >= int(r["on_phones"]) - 1e-9
        assert float(r["promised_at_simulated_agents"]) >= float(r["promised_sl"]) - 1e-9
    # the forecast follows the profile that generated the history (within 25 %)
    calls = np.array([float(r["calls"]) for r in rows])
    assert np.all(np.abs(calls - PROFILE) <= 0.25 * PROFILE)
    shift_rows = _rows(shifts)
    assert shift_rows
    assert {r["shift_type"] for r in shift_rows} <= set(BREAKS)
    for r in shift_rows:
        length = _clock(r["end"]) - _clock(r["start"])
        assert length == (480 if r["shift_type"] == "8h" else 240)
        assert len(r["breaks"].split()) == len(BREAKS[r["shift_type"]])


def test_schedule_cli_covers_the_requirement(tmp_path: Path) -> None:
    """With a prohibitive shortage penalty every period is covered, counting breaks out."""
    req = [3, 4, 6, 8, 9, 10, 10, 11, 12, 12, 11, 10, 9, 9, 8, 7, 6, 5, 4, 3]
    src = tmp_path / "req.csv"
    src.write_text(
        "interval,agents\n"
        + "".join(f"{8 + i // 2:02d}:{30 * (i % 2):02d},{n}\n" for i, n in enumerate(req))
    )
    out, png = tmp_path / "shifts.csv", tmp_path / "cov.png"
    args = ["schedule", str(src), "--penalty", "100", "--out", str(out)]
    if _has_matplotlib():
        args += ["--plot", str(png)]
    assert main(args) == 0
    coverage = np.zeros(len(req) * 2, dtype=int)  # 15-minute periods from 08:00
    for r in _rows(out):
        n = int(r["count"])
        start, end = _clock(r["start"]) - 480, _clock(r["end"]) - 480
        coverage[start // 15 : end // 15] += n
        for b, minutes in zip(r["breaks"].split(), BREAKS[r["shift_type"]], strict=True):
            at = (_clock(b) - 480) // 15
            coverage[at : at + minutes // 15] -= n
    assert np.all(coverage >= np.repeat(req, 2))
    if _has_matplotlib():
        assert png.stat().st_size > 0


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def test_interval_sl_pools_the_calls_of_its_periods() -> None:
    """An interval's simulated service level is what a center reports: calls answered
    within the target over calls offered in its periods, over all replications (not a
    mean of the periods' levels); the promise is the periods' weighted by their calls."""
    from callroute.wfm import plan_day

    plan = plan_day(
        PROFILE, start=7 * 3600, interval=int(INTERVAL), aht=AHT, target=TARGET,
        replications=3, seed=2,
    )  # fmt: skip
    promised, simulated, agents = plan.interval_sl()
    check = plan.check
    k = len(check.calls) // SLOTS
    assert k == 2  # 15-minute periods in half hours
    for i in range(SLOTS):
        periods = slice(k * i, k * (i + 1))
        within = check.runs_within[:, periods].sum()
        offered = check.runs_offered[:, periods].sum()
        assert offered > 0
        assert simulated[i] == pytest.approx(within / offered, rel=1e-12)
        weights = check.calls[periods]
        assert promised[i] == pytest.approx(
            float(check.promised[periods] @ weights / weights.sum()), rel=1e-12
        )
        assert agents[i] == check.coverage[periods].min()


@pytest.mark.parametrize("multiplier", [1.3, 1.8])
def test_surge_adds_staff_as_erlang_c_at_the_scaled_load(
    history: tuple[Path, dt.date], multiplier: float
) -> None:
    path, day = history
    hist = read_interval_csv(path)
    what = surge_what_if(
        hist, day, multiplier, aht=AHT, target=TARGET, level=LEVEL, replications=3, seed=1
    )
    # the event scales the forecast by the multiplier
    np.testing.assert_allclose(what.surge_calls, multiplier * what.base.calls, rtol=1e-9)
    for calls, base_n, surge_n in zip(
        what.base.calls, what.base.requirement, what.surge_requirement, strict=True
    ):
        assert base_n == _erlang_c_agents(calls, AHT, INTERVAL, TARGET, LEVEL)
        assert surge_n == _erlang_c_agents(multiplier * calls, AHT, INTERVAL, TARGET, LEVEL)
    # roughly proportional: between sqrt(m) (pure safety staffing) and m (pure load) x base
    ratio = what.surge_requirement.sum() / what.base.requirement.sum()
    assert math.sqrt(multiplier) <= ratio <= multiplier + 0.05
    assert np.all(what.delta >= 0)
    assert what.extra_shifts > 0
    # the extra shifts restore service: the day's simulated SL rises back near the target
    assert what.with_extra.simulated_day > what.without.simulated_day + 0.1
    assert what.with_extra.simulated_day >= LEVEL - 0.1


def test_surge_cli_table_and_csv(
    history: tuple[Path, dt.date], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, day = history
    out, png = tmp_path / "surge.csv", tmp_path / "surge.png"
    base = ["plan", str(path), "--surge", f"{day}:1.5", "--replications", "2"]
    args = [*base, "--out", str(out)]
    if _has_matplotlib():
        args += ["--plot", str(png)]
    assert main(args) == 0
    assert "extra shifts" in capsys.readouterr().out
    rows = _rows(out)
    assert len(rows) == SLOTS
    for r in rows:
        assert float(r["surge_calls"]) == pytest.approx(1.5 * float(r["calls"]), rel=1e-6)
        assert int(r["delta"]) == int(r["surge_agents"]) - int(r["agents"]) >= 0
    if importlib.util.find_spec("polars") is not None:
        import polars as pl

        parquet = tmp_path / "surge.parquet"
        assert main([*base, "--out", str(parquet)]) == 0
        frame = pl.read_parquet(parquet)
        assert frame.height == SLOTS
        assert frame["delta"].to_list() == [int(r["delta"]) for r in rows]
    if _has_matplotlib():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["plan", "{dir}/missing.csv"], ["missing.csv", "cannot read"]),
        (["plan", "{history}", "--surge", "2026-10-01"], ["--surge", "DATE:MULTIPLIER"]),
        (["plan", "{history}", "--surge", "2026-13-01:1.5"], ["--surge date", "YYYY-MM-DD"]),
        (["plan", "{history}", "--surge", "2026-10-01:-2"], ["--surge", "2026-10-01:-2"]),
        (["schedule", "{dir}/bad.csv", "--aht", "200", "--target", "20"], ["bad.csv:3", "calls"]),
        (["schedule", "{dir}/bad_time.csv"], ["bad_time.csv:2", "HH:MM"]),
        (["schedule", "{dir}/nocol.csv"], ["nocol.csv", "agents"]),
        (["schedule", "{dir}/calls.csv"], ["calls.csv", "--aht"]),
        (["plan", "{dir}/bad_history.csv"], ["bad_history.csv:3", "calls"]),
        (["plan", "{history}", "--date", "2026-10-17"], ["--date 2026-10-17", "Saturday"]),
    ],
)
def test_bad_input_exits_2_naming_file_and_problem(
    history: tuple[Path, dt.date],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    words: list[str],
) -> None:
    (tmp_path / "bad.csv").write_text("interval_start,calls\n09:00,50\n09:30,x\n")
    (tmp_path / "bad_time.csv").write_text("interval,agents\n9h,5\n09:30,6\n")
    (tmp_path / "nocol.csv").write_text("interval,people\n09:00,5\n09:30,6\n")
    (tmp_path / "calls.csv").write_text("interval_start,calls\n09:00,50\n09:30,60\n")
    (tmp_path / "bad_history.csv").write_text(
        "interval_start,calls\n2026-09-01 07:00,5\n2026-09-01 07:30,many\n"
    )
    args = [a.format(dir=tmp_path, history=history[0]) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err
