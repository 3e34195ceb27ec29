"""The simulator through the public API: queueing theory, conservation, reproducibility,
model errors with their paths, comparisons with common random numbers, and the CLI."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import callroute as cr
import numpy as np
import pytest
import yaml
from callroute.sim.results import half_width


def mmn(rate: float, aht: float, agents: int, *, patience: Any = "never", **queue: Any) -> dict:
    return {
        "queues": [{"name": "q", "max_no_answer": 0, **queue}],
        "groups": [{"name": "g", "count": agents}],
        "calls": [
            {"name": "c", "queue": "q", "handle": cr.sim.exponential(aht), "patience": patience}
        ],
        "arrivals": cr.sim.poisson(rate),
    }


def within_ci(result: cr.SimulationResult, kpi: str, truth: float, line: str | None = None) -> None:
    values = result.kpi(kpi, line)
    mean = float(values.mean())
    half = 2.58 / 1.96 * half_width(values)  # 99 %
    assert abs(mean - truth) <= half, f"{kpi}: simulated {mean:.5f} ± {half:.5f}, exact {truth:.5f}"


@pytest.mark.parametrize(
    ("rate", "aht", "agents"), [(44 / 180, 180.0, 50), (0.9, 1.0, 1), (285 / 180, 180.0, 300)]
)
def test_mm_n_matches_erlang_c(rate: float, aht: float, agents: int) -> None:
    traffic = rate * aht
    # threshold 0: answered within it = answered without waiting = 1 - P(wait)
    model = mmn(rate, aht, agents, sl_threshold=0.0)
    horizon = 3000 * aht * 50 / max(agents, 10)
    res = cr.simulate(model, horizon=horizon, warmup=horizon / 20, replications=10, seed=2)
    within_ci(res, "service_level", 1 - cr.erlang_c(traffic, agents))
    within_ci(res, "asa", cr.asa(traffic, agents, aht))
    assert res.kpi("abandon_rate").max() == 0.0


def test_mm_n_m_matches_erlang_a() -> None:
    # M/M/50+M: lambda = 48, mu = 1, mean patience 2 (the benchmark model)
    model = mmn(48.0, 1.0, 50, patience=cr.sim.exponential(2.0), sl_threshold=0.0)
    res = cr.simulate(model, horizon=2000, warmup=100, replications=10, seed=4)
    exact = cr.erlang_a(48.0, 50, 1.0, 2.0, target=0.0)
    within_ci(res, "abandon_rate", exact.p_abandon)
    within_ci(res, "service_level", 1 - exact.p_wait)
    within_ci(res, "asa", exact.asa)


def test_fully_flexible_agents_pool_two_queues() -> None:
    """Two queues served by the same agents, equal priority: one M/M/n by arrival order."""
    model = {
        "queues": [
            {"name": "a", "skills": {"x": 1}, "sl_threshold": 0.0},
            {"name": "b", "skills": {"y": 1}, "sl_threshold": 0.0},
        ],
        "groups": [{"name": "all", "count": 12, "skills": {"x": 3, "y": 3}}],
        "calls": [
            {"name": "a", "queue": "a", "share": 0.7, "handle": cr.sim.exponential(100)},
            {"name": "b", "queue": "b", "share": 0.3, "handle": cr.sim.exponential(100)},
        ],
        "arrivals": cr.sim.poisson(calls=10, per=100),  # 10 Erlangs on 12 agents
    }
    res = cr.simulate(model, horizon=200_000, warmup=10_000, replications=10, seed=5)
    within_ci(res, "service_level", 1 - cr.erlang_c(10, 12))
    within_ci(res, "asa", cr.asa(10, 12, 100))
    # and both lines see the same pooled wait
    within_ci(res, "asa", cr.asa(10, 12, 100), line="b")


def test_conservation_and_records() -> None:
    model = mmn(0.2, 180, 38, patience=cr.sim.exponential(120))
    res = cr.simulate(model, horizon=20_000, replications=2, seed=1, record_calls=True)
    for run in res.runs:
        assert run["unfinished"] == 0
        assert run["offered"].sum() == (
            run["answered"].sum() + run["abandoned"].sum() + run["exited"].sum()
        )
        assert run["offered"].sum() == run["arrivals"]
    calls = res.calls
    assert calls is not None
    total = res.runs[0]
    assert len(calls["arrival"]) == total["arrivals"]
    assert int((calls["outcome"] == 0).sum()) == int(total["answered"].sum())
    assert int((calls["outcome"] == 1).sum()) == int(total["abandoned"].sum())
    answered = calls["outcome"] == 0
    assert (calls["agent"][answered] >= 0).all()
    assert (calls["agent"][~answered] == -1).all()
    assert np.isclose(calls["wait"][answered].mean(), res.kpi("asa")[0])


def test_same_seed_same_result_whatever_the_threads() -> None:
    model = cr.load_model(cr.example_path("model"))
    one = cr.simulate(model, replications=3, seed=9, threads=1)
    two = cr.simulate(model, replications=3, seed=9, threads=2)
    for a, b in zip(one.runs, two.runs, strict=True):
        for key in ("offered", "answered", "abandoned", "wait_all", "busy"):
            assert np.array_equal(a[key], b[key])
    other = cr.simulate(model, replications=1, seed=10)
    assert not np.array_equal(one.runs[0]["wait_all"], other.runs[0]["wait_all"])


def test_piecewise_arrivals_follow_the_profile() -> None:
    calls = [100, 0, 400]
    model = mmn(1.0, 1.0, 50)
    model["arrivals"] = cr.sim.piecewise(calls, interval=1000)
    res = cr.simulate(model, horizon=3000, replications=20, seed=3, interval=1000)
    per_interval = res.intervals()["offered"][:3]
    assert per_interval[1] == 0
    assert abs(per_interval[0] - 100) < 3 * math.sqrt(100 / 20) * 2
    assert abs(per_interval[2] - 400) < 3 * math.sqrt(400 / 20) * 2


def test_daily_multiplier_spreads_the_days() -> None:
    model = mmn(0.1, 1.0, 5)
    plain = cr.simulate(model, horizon=86_400, replications=30, seed=1)
    dispersed = cr.simulate(
        model, horizon=86_400, replications=30, seed=1, daily_multiplier=cr.sim.gamma(1.0, 0.3)
    )
    # Poisson days have sd sqrt(8640) ~ 93; a 30 % daily multiplier adds ~ 2,600
    assert plain.kpi("offered").std() < 200
    assert dispersed.kpi("offered").std() > 1000


def test_trace_replays_arrivals_exactly() -> None:
    times = [0.5, 1.0, 1.0, 7.25, 100.0]
    model = mmn(1.0, 10.0, 1)
    model["arrivals"] = cr.sim.trace(times)
    res = cr.simulate(model, horizon=200, record_calls=True)
    calls = res.calls
    assert calls is not None
    assert list(calls["arrival"]) == times
    # one agent: of the two calls at the same instant, the second waits for the first
    assert calls["wait"][2] > 0


def test_shifts_and_breaks_take_agents_off() -> None:
    model = mmn(0.05, 10.0, 1)
    model["groups"] = [
        {"name": "g", "shifts": [{"start": 0, "end": 3600, "breaks": [[1200, 2400]]}]}
    ]
    # calls of 10 s; the one answered at 1195 s is on when the break is due at 1200 s: the
    # agent finishes it (5 s more staffed), then leaves; a call in the break waits for 2400 s
    model["calls"][0]["handle"] = cr.sim.deterministic(10)
    model["arrivals"] = cr.sim.trace([100.0, 1195.0, 1800.0, 3000.0])
    res = cr.simulate(model, horizon=3600, interval=1200, drain=0, record_calls=True)
    staffed = res.runs[0]["staffed"][0]
    assert staffed[0] == pytest.approx(1200)
    assert staffed[1] == pytest.approx(5)
    assert staffed[2] == pytest.approx(1200)
    assert res.calls is not None
    assert list(res.calls["wait"]) == pytest.approx([0, 0, 600, 0])


def test_retrials_and_callbacks() -> None:
    model = mmn(0.5, 60.0, 20, patience=cr.sim.exponential(20))
    model["calls"][0]["retrial"] = {"probability": 0.5, "delay": cr.sim.exponential(60)}
    res = cr.simulate(model, horizon=5000, seed=2, record_calls=True)
    calls = res.calls
    assert calls is not None
    retrials = int(calls["retrial"].sum())
    abandoned = int((calls["outcome"] == 1).sum())
    assert 0.35 * abandoned < retrials < 0.65 * abandoned

    model = mmn(0.5, 60.0, 20, patience=cr.sim.exponential(20))
    without = cr.simulate(model, horizon=5000, seed=2).runs[0]
    model["calls"][0]["callback"] = {"after": 5, "accept": 1.0}
    run = cr.simulate(model, horizon=5000, seed=2).runs[0]
    assert run["callbacks"].sum() > 0
    # a caller who took a callback no longer abandons: fewer abandons than without, and
    # only those whose patience (mean 20 s) ran out before the 5 s offer: of the callers
    # still waiting then or at their patience, about 1 - exp(-5/20) = 22 % abandon
    abandoned, callbacks = run["abandoned"].sum(), run["callbacks"].sum()
    assert abandoned < without["abandoned"].sum()
    assert 0.15 < abandoned / (abandoned + callbacks) < 0.28


def test_skills_routed_calls_have_their_own_line() -> None:
    model = {
        "groups": [{"name": "g", "count": 5, "skills": {"en": 3}}],
        "calls": [{"name": "english", "skills": {"en": 2}, "handle": cr.sim.exponential(60)}],
        "arrivals": cr.sim.poisson(0.02),
    }
    res = cr.simulate(model, horizon=10_000)
    assert res.lines == ["type:english"]
    assert res.kpi("answered")[0] == res.kpi("offered")[0] > 100


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["calls"][0].update(handle={"expo": {"mean": 1}}), "calls[0].handle"),
        (lambda m: m["calls"][0].update(queue="nope"), 'calls[0].queue: unknown queue "nope"'),
        (lambda m: m["calls"][0].update(handle=cr.sim.exponential(-1)), "calls[0].handle.mean"),
        (lambda m: m["queues"][0].update(sl_treshold=20), "sl_treshold"),
        (lambda m: m["groups"][0].update(no_answer=2), "groups[0].no_answer"),
        (lambda m: m.update(arrivals=cr.sim.trace([3, 1])), "arrivals.times[1]"),
        (lambda m: m.pop("groups"), "missing groups"),
        (
            lambda m: m["calls"].append(
                {
                    "name": "s",
                    "skills": {"x": 1},
                    "handle": cr.sim.exponential(1),
                    "wrapup": cr.sim.exponential(1),
                }
            ),
            "calls[1].wrapup: only for queue-routed call types",
        ),
    ],
)
def test_model_errors_name_the_field(change: Any, message: str) -> None:
    model = mmn(0.1, 10.0, 2)
    change(model)
    with pytest.raises(cr.ModelError, match=None) as info:
        cr.simulate(model, horizon=100)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_run_options() -> None:
    model = mmn(0.1, 10.0, 2)
    with pytest.raises(cr.ModelError, match="missing horizon"):
        cr.simulate(model)
    with pytest.raises(cr.ModelError, match="replications"):
        cr.simulate(model, horizon=10, replications=0)
    with pytest.raises(cr.ModelError, match="unknown option"):
        cr.simulate(model, horizon=10, horizn=5)
    # a microsecond interval over a year: more intervals than can be counted, refused before
    # any memory is asked for
    too_many = r"interval: 0\.000001 s over a horizon of 31536000 s and a drain of 86400 s makes"
    with pytest.raises(cr.ModelError, match=too_many):
        cr.simulate(model, horizon=365 * 86400, interval=1e-6)


def test_compare_pairs_the_replications() -> None:
    model = cr.load_model(cr.example_path("model"))
    variants = {s: model.with_strategy(s) for s in ("longest_idle", "round_robin")}
    comparison = cr.compare(variants, replications=8, seed=3)
    table = comparison.table()
    base = table["longest_idle"]
    assert base["service_level_diff"] == (0.0, 0.0)
    other = table["round_robin"]
    # common random numbers: the paired difference is tighter than one KPI's own spread,
    # where the difference of two independent runs would spread about sqrt(2) times wider
    # (over seeds 3-8 the ratio was 0.27-0.69)
    assert other["service_level_diff"][1] < other["service_level"][1]
    assert "paired replications" in str(comparison)
    with pytest.raises(cr.ModelError, match="at least two"):
        cr.compare({"longest_idle": model.with_strategy("longest_idle")})


def test_cli_simulate_and_compare(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "sl.png"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "callroute",
            "simulate",
            "--example",
            "bank",
            "--replications",
            "3",
            "--plot",
            str(png),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "premium" in out
    assert "replication(s)" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "callroute",
            "compare",
            "--example",
            "--replications",
            "3",
            "--strategies",
            "longest_idle,linear",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Δ against longest_idle" in out
    bad = subprocess.run(
        [sys.executable, "-m", "callroute", "simulate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "missing.yaml" in bad.stderr


def test_model_from_a_center_file(tmp_path: Any) -> None:
    model = cr.load_model(cr.example_path("outsourcer_model"))
    res = cr.simulate(model, replications=2, seed=1)
    assert set(res.lines) == {
        "bank_billing",
        "bank_card_loss",
        "bank_chat",
        "mobile_sales",
        "mobile_support",
        "mobile_support_en",
    }
    # every agent is its own group, named after the agent
    assert "anna" in res.groups
    assert len(res.groups) == 10
    assert res.kpi("answered", "bank_chat").min() > 0
    # an agent can get its own staffing; a name that is no agent is refused
    model["groups"] = [{"name": "anna", "shifts": [{"start": 28800, "end": 36000}]}]
    staffed = cr.simulate(model, replications=1).runs[0]["staffed"][res.groups.index("anna")]
    # on duty 08:00-10:00 (the intervals start at 08:00), then at most a call to finish
    assert 7200 <= staffed.sum() <= 7200 + 3600
    assert staffed[6:].sum() == 0
    model["groups"] = [{"name": "zoe", "count": 1}]
    with pytest.raises(cr.ModelError, match="not agents of the center: zoe"):
        cr.simulate(model)
    with pytest.raises(cr.ParameterError, match="no example 'nope'"):
        cr.example_path("nope")


def test_center_auto_answer_agent_neither_rings_nor_misses(tmp_path: Any) -> None:
    model = cr.load_model(cr.example_path("outsourcer_model"))
    center = yaml.safe_load(Path(model["center"]).read_text(encoding="utf-8"))
    center["agents"]["anna"]["auto_answer"] = True
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(center), encoding="utf-8")
    model["center"] = str(path)
    for setting in [{"ring": cr.sim.deterministic(3)}, {"no_answer": 0.1}]:
        model["groups"] = [{"name": "anna", "count": 1, **setting}]
        with pytest.raises(cr.ModelError, match=r"groups\.anna: .* answers automatically"):
            cr.simulate(model)
    # a malformed ring is the parser's to name, not taken for one that rings
    model["groups"] = [{"name": "anna", "count": 1, "ring": "x"}]
    with pytest.raises(cr.ModelError, match=r"ring") as info:
        cr.simulate(model)
    assert "answers automatically" not in str(info.value)
    # with no ring and no misses the flag is accepted, and routes as the same agent without it
    model["groups"] = [{"name": "anna", "count": 1, "ring": cr.sim.deterministic(0)}]
    flagged = cr.simulate(model, replications=1)
    model["center"] = cr.load_model(cr.example_path("outsourcer_model"))["center"]
    plain = cr.simulate(model, replications=1)
    assert flagged.kpi("answered").sum() > 0
    assert (flagged.kpi("answered") == plain.kpi("answered")).all()
    assert (flagged.kpi("asa") == plain.kpi("asa")).all()


def test_each_chat_keeps_its_own_wrapup() -> None:
    """Two overlapping chats at one agent: each wrap-up ends on its own time (busy 0-115 s)."""
    model = {
        "queues": [{"name": "chat", "media": "chat"}],
        "groups": [
            {"name": "a", "count": 1, "capacity": {"chat": 2}, "exclusive": []},
        ],
        "calls": [
            {
                "name": "c",
                "queue": "chat",
                "handle": cr.sim.deterministic(10),
                "wrapup": cr.sim.deterministic(100),
            }
        ],
        "arrivals": cr.sim.trace([0.0, 5.0]),
    }
    res = cr.simulate(model, horizon=200, interval=10_000)
    # chat 1: talk 0-10, wrap-up 10-110; chat 2: talk 5-15, wrap-up 15-115
    assert res.runs[0]["busy"][0][0] == pytest.approx(115.0)
