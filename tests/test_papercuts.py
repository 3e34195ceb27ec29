"""Papercuts a new user hit (issue 15): a closed pipe, ``--level`` with ``--agents``, overload
notes, ``--version``, help texts, ``compare``'s old form, ``staffing_plan(forecast)``,
``utilization``, date-time forecasts, and the plots."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, ClassVar

import callroute as cr
import numpy as np
import pytest
from callroute import sim
from callroute._internal import deprecation
from callroute.cli import _parser, main

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    """The environment of a child ``python -m callroute``: the callroute this test imports."""
    here = str(Path(cr.__file__).parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}


# ------------------------------------------------------------------ callroute ... | head


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["staff", "--example", "--aht", "180", "--target", "20", "--level", "0.8"], 141),
        (["schema"], 141),
        (["erlang", "--traffic", "10", "--aht", "180", "--agents", "12"], 141),
        # argparse's own exits (it drops a failed write of its message): quiet too
        (["--help"], 0),
        (["--version"], 0),
    ],
)
def test_a_closed_pipe_ends_quietly(args: list[str], status: int) -> None:
    # The reader is gone before the command writes anything (as `| head -0`, or `| head`
    # once it has its lines): every write fails with EPIPE.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "callroute", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert done.stderr.decode() == ""  # no traceback, no "Exception ignored ..."
    assert done.returncode == status  # 141 = 128 + SIGPIPE, as `yes | head` reports for yes


def test_a_pipe_closed_after_the_first_line_ends_quietly() -> None:
    # `callroute schema | head -1` with more output than a pipe buffer holds (64 KiB on
    # Linux): the schema printed four times over by a child that reads one line only.
    script = (
        "import sys\n"
        "from callroute.cli import main\n"
        "code = 0\n"
        "for _ in range(4):\n"
        "    code = main(['schema'])\n"
        "    if code:\n"
        "        break\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert first.strip() == b"{"
    assert err == ""


# ------------------------------------------------------------------ erlang --agents --level


def _erlang_c_service_level(traffic: float, agents: int, aht: float, target: float) -> float:
    """Share answered within ``target`` s in M/M/c: 1 - C(A, c) exp(-(c - A) target / aht),
    Erlang C from the Erlang B recurrence (independent of the library)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    wait = agents * b / (agents - traffic * (1 - b))
    return 1 - wait * math.exp(-(agents - traffic) * target / aht)


def test_erlang_level_with_agents_checks_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    # 10 Erlangs, AHT 180 s, 80 % within 20 s: 14 agents are the fewest (13 give 0.796,
    # 14 give 0.888)
    fewest = next(c for c in range(11, 40) if _erlang_c_service_level(10, c, 180, 20) >= 0.8)
    assert fewest == 14
    assert (
        main(["erlang", "--traffic", "10", "--aht", "180", "--agents", "13", "--level", "0.8"]) == 0
    )
    out = capsys.readouterr().out
    assert "with 13 agents:" in out
    assert "meets 80% within 20 s: no" in out
    assert f"agents needed: {fewest}" in out
    assert (
        main(["erlang", "--traffic", "10", "--aht", "180", "--agents", "15", "--level", "0.8"]) == 0
    )
    out = capsys.readouterr().out
    assert "with 15 agents:" in out
    assert f"meets 80% within 20 s: yes (the fewest agents that do: {fewest})" in out


# ------------------------------------------------------------------ overload notes


def test_erlang_overloaded_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erlang", "--traffic", "50", "--aht", "180", "--agents", "50"]) == 0
    out = capsys.readouterr().out
    asa = next(line for line in out.splitlines() if "ASA" in line)
    assert asa.split()[-2:] == ["inf", "(overloaded)"]
    note = next(line for line in out.splitlines() if line.startswith("note:"))
    assert "overloaded" in note
    assert "50 Erlangs >= 50 agents" in note
    assert "grows without bound" in note
    # below the load, no note
    assert main(["erlang", "--traffic", "50", "--aht", "180", "--agents", "51"]) == 0
    assert "overloaded" not in capsys.readouterr().out
    # Erlang A: abandonment keeps it finite, and the note says why
    args = ["erlang", "--traffic", "50", "--aht", "180", "--agents", "45", "--patience", "120"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "inf" not in out
    assert "only abandonment keeps the queue finite" in out


def test_staffing_plan_notes_overloaded_intervals() -> None:
    # Erlang A at a low target staffs below the load (90 and 10 Erlangs): abandonment
    # carries the rest, and the plan says so.
    plan = cr.staffing_plan(
        [900, 100, 0], interval=1800, aht=180, target=20, level=0.2, model="erlang_a", patience=30
    )
    assert (plan.agents[:2] < plan.traffic[:2]).all()
    note = plan.format().splitlines()[-1]
    assert note.startswith("note: overloaded (offered load >= agents on the phones) in 2 ")
    assert "0, 1;" in note
    assert "abandonment" in note
    plain = cr.staffing_plan([100, 50], interval=1800, aht=180, target=20, level=0.8)
    assert "overloaded" not in plain.format()


def test_simulation_summary_notes_saturated_agents() -> None:
    # 5 Erlangs offered to 3 agents, callers never leave: the agents never rest.
    model = {
        "queues": [{"name": "q"}],
        "groups": [{"name": "g", "count": 3}],
        "calls": [{"name": "c", "queue": "q", "handle": sim.exponential(100.0)}],
        "arrivals": sim.poisson(0.05),
        "horizon": 4 * 3600.0,
    }
    text = cr.simulate(model, replications=2, seed=1).format()
    note = text.splitlines()[-1]
    assert note.startswith("note: g busy >= 98% of their logged-in time")
    assert "overloaded" in note
    model["arrivals"] = sim.poisson(0.01)  # 1 Erlang on 3 agents
    assert "note:" not in cr.simulate(model, replications=2, seed=1).format()


# ------------------------------------------------------------------ --version


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert match is not None
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"callroute {match.group(1)}")
    done = subprocess.run(
        [sys.executable, "-m", "callroute", "--version"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == out


# ------------------------------------------------------------------ help texts


def _helps() -> dict[str, str]:
    parser = _parser()
    out = {"callroute": parser.format_help()}
    sub = next(a for a in parser._actions if isinstance(a.choices, dict))
    assert isinstance(sub.choices, dict)
    for name, child in sub.choices.items():
        out[name] = child.format_help()
    return out


def test_help_has_no_restructuredtext() -> None:
    helps = _helps()
    assert {"erlang", "staff", "simulate", "compare", "check", "serve"} <= set(helps)
    for name, text in helps.items():
        assert "``" not in text, name
        assert not re.search(r":[a-z]+:`", text), name  # :func:`x`, :class:`y`...
    assert "callroute serve: route the calls" in helps["serve"]


def test_help_output_of_the_command_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["serve"], ["simulate"], ["staff"]):
        with pytest.raises(SystemExit):
            main([*args, "--help"])
        out = capsys.readouterr().out
        assert "``" not in out
        assert ":func:" not in out


# ------------------------------------------------------------------ compare's old form


def _small_model() -> sim.SimModel:
    return sim.SimModel(
        {
            "queues": [{"name": "q", "sl_threshold": 20.0}],
            "groups": [{"name": "g", "count": 3}],
            "calls": [
                {
                    "name": "c",
                    "queue": "q",
                    "handle": sim.exponential(100.0),
                    "patience": sim.exponential(60.0),
                }
            ],
            "arrivals": sim.poisson(0.02),
            "horizon": 3600.0,
        }
    )


def test_compare_old_mapping_form_needs_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deprecation, "_warned", set())
    model = _small_model()
    variants = {s: model.with_strategy(s) for s in ("longest_idle", "round_robin")}
    new = cr.compare(variants, replications=3, seed=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = cr.compare(variants=variants, replications=3, seed=2)
    messages = [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]
    assert len(messages) == 1
    assert "compare({name: model})" in messages[0]
    assert list(old.results) == list(new.results)
    for name in new.results:
        assert np.array_equal(
            new.results[name].kpi("asa"), old.results[name].kpi("asa"), equal_nan=True
        )
    with pytest.raises(cr.ModelError, match="takes"):
        cr.compare()


# ------------------------------------------------------------------ staffing_plan(forecast)


def test_staffing_plan_takes_the_interval_from_the_forecast(tmp_path: Path) -> None:
    forecast = cr.load_forecast(cr.example_path("forecast"))
    assert forecast.interval == 1800  # its labels are half hours apart
    plan = cr.staffing_plan(forecast, aht=180, target=20, level=0.8)
    same = cr.staffing_plan(forecast.columns, interval=1800, aht=180, target=20, level=0.8)
    assert plan.parameters["interval"] == 1800
    assert list(plan.labels) == forecast.labels
    assert np.array_equal(plan.agents, same.agents)
    assert cr.staffing_plan(forecast, interval=1800, aht=180, target=20, level=0.8)
    with pytest.raises(cr.ParameterError, match="1800"):
        cr.staffing_plan(forecast, interval=900, aht=180, target=20, level=0.8)
    named = tmp_path / "named.csv"
    named.write_text("period,calls\nmorning,10\nafternoon,20\n")
    unknown = cr.load_forecast(named)
    assert unknown.interval is None
    with pytest.raises(cr.ParameterError, match="interval"):
        cr.staffing_plan(unknown, aht=180, target=20, level=0.8)
    with pytest.raises(cr.ParameterError, match="interval"):
        cr.staffing_plan([10, 20], aht=180, target=20, level=0.8)


# ------------------------------------------------------------------ utilization


def test_utilization_is_a_property_like_replications() -> None:
    res = cr.simulate(_small_model(), replications=3, seed=4)
    assert isinstance(type(res).utilization, property)
    util = res.utilization
    assert set(util) == {"g"}
    mean, half = util["g"]
    assert 0.0 < mean < 1.0
    assert math.isfinite(half)


# ------------------------------------------------------------------ date-time forecasts


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_date_time_labels_give_the_interval(tmp_path: Path) -> None:
    # two days open 09:00-10:30, closed overnight
    rows = [
        f"2024-03-0{d} {t},{n}"
        for d in (4, 5)
        for n, t in enumerate(("09:00", "09:30", "10:00", "10:30"))
    ]
    path = _write(tmp_path, "dt.csv", "interval_start,calls\n" + "\n".join(rows) + "\n")
    f = cr.load_forecast(path)
    assert f.interval == 1800
    assert f.labels[4] == "2024-03-05 09:00"
    iso = _write(
        tmp_path,
        "iso.csv",
        "time,calls\n2024-03-04T09:00:00+01:00,1\n2024-03-04T09:15:00+01:00,2\n"
        "2024-03-04T09:30:00+01:00,3\n",
    )
    assert cr.load_forecast(iso).interval == 900
    # a date column and HH:MM times (what `callroute forecast --csv` writes)
    both = _write(
        tmp_path,
        "both.csv",
        "date,interval_start,calls\n2024-01-15,09:00,30\n2024-01-15,09:30,70\n"
        "2024-01-16,09:00,32\n2024-01-16,09:30,72\n",
    )
    f = cr.load_forecast(both)
    assert f.interval == 1800
    assert f.labels == [
        "2024-01-15 09:00",
        "2024-01-15 09:30",
        "2024-01-16 09:00",
        "2024-01-16 09:30",
    ]


def test_a_missing_half_hour_is_an_error_naming_the_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "gap.csv",
        "interval_start,calls\n2024-03-04 09:00,1\n2024-03-04 09:30,2\n2024-03-04 10:30,3\n"
        "2024-03-04 11:00,4\n",
    )
    with pytest.raises(cr.ConfigError) as info:
        cr.load_forecast(path)
    (problem,) = info.value.problems
    assert problem.location == "line 4"
    assert "1 interval(s) of 30 min missing" in problem.message
    assert "2024-03-04 09:30 (line 3)" in problem.message
    assert "2024-03-04 10:30 (line 4)" in problem.message
    assert info.value.source == str(path)
    clock = _write(
        tmp_path, "clock.csv", "interval_start,calls\n09:00,1\n09:30,2\n10:30,3\n11:00,4\n"
    )
    with pytest.raises(cr.ConfigError, match="line 4: 1 interval"):
        cr.load_forecast(clock)
    odd = _write(tmp_path, "odd.csv", "interval_start,calls\n09:00,1\n09:30,2\n09:40,3\n10:10,4\n")
    with pytest.raises(
        cr.ConfigError, match=r"line 4: 10 min after 09:30 \(line 3\), not a multiple"
    ):
        cr.load_forecast(odd)
    back = _write(
        tmp_path,
        "back.csv",
        "time,calls\n2024-03-04 09:00,1\n2024-03-04 09:30,2\n2024-03-04 09:30,3\n",
    )
    with pytest.raises(cr.ConfigError, match="line 4: '2024-03-04 09:30' is not after"):
        cr.load_forecast(back)


def test_staff_cli_on_a_date_time_forecast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        "day.csv",
        "interval_start,calls\n2024-03-04 09:00,100\n2024-03-04 09:15,120\n2024-03-04 09:30,90\n",
    )
    args = ["staff", str(path), "--aht", "180", "--target", "20", "--level", "0.8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3 intervals of 15 min" in out
    assert "2024-03-04 09:15" in out
    assert main([*args, "--interval", "1800"]) == 2
    assert "--interval 1800, but the intervals" in capsys.readouterr().err
    gap = _write(tmp_path, "gap.csv", "interval_start,calls\n09:00,1\n10:00,2\n10:30,3\n")
    assert main(["staff", str(gap), "--aht", "180", "--target", "20", "--level", "0.8"]) == 2
    assert "line 3: 1 interval(s) of 30 min missing" in capsys.readouterr().err


# ------------------------------------------------------------------ plots


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the plot functions save (inspected after they are drawn and closed)."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    saved: list[Any] = []
    close = plt.close

    def keep(fig: Any = None) -> None:
        saved.append(fig)
        close(fig)

    monkeypatch.setattr(plt, "close", keep)
    return saved


def _tick_texts(axis: Any) -> list[str]:
    return [t.get_text() for t in axis.get_majorticklabels() if t.get_text()]


def _check_figure(fig: Any) -> None:
    """Distinct tick labels on every y axis; legends outside every axes' data area."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the closed figure drawn again, as saved
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        texts = _tick_texts(ax.yaxis)
        assert len(texts) == len(set(texts)), texts
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent(renderer)
            for other in fig.axes:
                assert not box.overlaps(other.get_window_extent(renderer)), legend


def _result(runs_sl: list[list[float]]) -> sim.SimulationResult:
    """A synthetic result: one line, one interval, 10,000 calls a replication, with the
    given share answered within the threshold (and 1 % abandoning) per replication."""
    runs = []
    for share in runs_sl:
        one = {
            key: np.zeros((1, 1))
            for key in (
                "offered",
                "answered",
                "answered_within",
                "abandoned",
                "abandoned_within",
                "exited",
                "wait_answered",
                "wait_all",
                "talk",
            )
        }
        one["offered"][0, 0] = 10_000
        one["answered"][0, 0] = 9_900
        one["abandoned"][0, 0] = 100 + 1000 * (share[0] - 0.9)
        one["answered_within"][0, 0] = 10_000 * share[0]
        one["busy"] = np.full((1, 1), 800.0)
        one["staffed"] = np.full((1, 1), 1000.0)
        runs.append(one)
    return sim.SimulationResult(lines=["q"], groups=["g"], start=0.0, interval=1800.0, runs=runs)


def test_comparison_plot_ticks_stay_distinct_on_small_differences(
    figures: list[Any], tmp_path: Path
) -> None:
    # service levels 90.00 %, 90.05 %, 90.10 %..: differences of a few hundredths of a percent
    comparison = sim.Comparison(
        {
            name: _result([[0.9 + bump + 0.0001 * k] for k in range(4)])
            for name, bump in (("a", 0.0), ("b", 0.0005), ("c", 0.0012))
        }
    )
    sim.plot.plot_comparison(comparison, tmp_path / "c.png")
    (fig,) = figures
    for ax in fig.axes:
        texts = _tick_texts(ax.yaxis)
        assert len(texts) >= 3
        assert len(texts) == len(set(texts)), texts


def test_simulation_plot_has_agents_calls_from_zero_and_a_clear_legend(
    figures: list[Any], tmp_path: Path
) -> None:
    model = _small_model().with_strategy("longest_idle")
    res = cr.simulate(model, replications=2, seed=3, horizon=4 * 3600.0)
    sim.plot.plot_simulation(res, tmp_path / "s.png")
    (fig,) = figures
    _check_figure(fig)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    agents = [line for line in lines if line.get_label() == "agents on duty"]
    assert len(agents) == 1
    assert np.allclose(agents[0].get_ydata(), 3.0)  # three agents all day
    calls = [ax for ax in fig.axes if ax.get_ylabel() == "calls per interval"]
    assert len(calls) == 1
    assert calls[0].get_ylim()[0] == 0
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert {"SL q", "calls offered (all lines)", "agents on duty"} <= set(labels)


def test_staffing_plot_calls_axis_starts_at_zero(figures: list[Any], tmp_path: Path) -> None:
    forecast = cr.load_forecast(cr.example_path("forecast"))
    plan = cr.staffing_plan(forecast.columns, interval=1800, aht=180, target=20, level=0.8)
    sim.plot.plot_staffing(plan, tmp_path / "p.png")
    (fig,) = figures
    _check_figure(fig)
    calls = [ax for ax in fig.axes if ax.get_ylabel() == "calls per interval"]
    assert len(calls) == 1
    assert calls[0].get_ylim()[0] == 0
    assert min(forecast.calls) > 10  # so autoscaling alone would not start at 0


def test_wfm_frontier_plot_legends_are_clear(figures: list[Any], tmp_path: Path) -> None:
    from callroute.wfm import Costs, cost_frontier, plot_frontier

    frontier = cost_frontier(
        240.0, interval=1800, aht=240, patience=180, target=20, costs=Costs(30, per_abandon=4)
    )
    plot_frontier(frontier, tmp_path / "f.png")
    (fig,) = figures
    _check_figure(fig)


class _Plan:
    """What plot_plan reads of a DayPlan: a morning of six half hours."""

    calls = np.array([20.0, 40.0, 60.0, 60.0, 40.0, 20.0])
    requirement = np.array([3, 5, 7, 7, 5, 3])
    labels: ClassVar[list[str]] = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]

    def interval_sl(self) -> tuple[Any, Any, Any]:
        promised = np.array([0.85, 0.84, 0.83, 0.83, 0.84, 0.85])
        simulated = np.array([0.9, 0.8, 0.7, 0.75, 0.85, 0.95])
        return promised, simulated, self.requirement


def test_wfm_plan_and_surge_plots(figures: list[Any], tmp_path: Path) -> None:
    from types import SimpleNamespace

    from callroute.wfm.plan_plot import plot_plan, plot_surge

    plot_plan(_Plan(), 0.8, tmp_path / "plan.png")  # type: ignore[arg-type]
    rows = [
        {
            "interval_start": label,
            "calls": 30.0 + k,
            "surge_calls": 45.0 + k,
            "agents": 5,
            "surge_agents": 7,
            "sl_without": 0.5,
            "sl_with_extra": 0.82,
        }
        for k, label in enumerate(_Plan.labels)
    ]
    what = SimpleNamespace(
        rows=lambda: rows,
        date="2024-03-04",
        multiplier=1.5,
        extra_shifts=2,
        extra=SimpleNamespace(shift_cost=16.0),
        level=0.8,
    )
    plot_surge(what, tmp_path / "surge.png")  # type: ignore[arg-type]
    plan_fig, surge_fig = figures
    for fig in figures:
        _check_figure(fig)
    calls = [ax for ax in surge_fig.axes if ax.get_ylabel() == "calls"]
    assert len(calls) == 1
    assert calls[0].get_ylim()[0] == 0  # 30 to 50 calls: autoscaling alone would not
    assert all(ax.get_ylim()[0] == 0 for ax in plan_fig.axes)
