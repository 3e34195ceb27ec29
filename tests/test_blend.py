"""Blended days from Python (``kind: blend`` files, :func:`simulate_blend`, the trade-off).

The simulated figures are checked against the threshold policy's birth-death chain, solved
here from its balance equations (independently of the simulator): with ring time 0 and a
person on every dial, an agent who frees while more than ``t`` agents are idle-or-freeing
takes an outbound call at once, so the count of busy agents plus waiting inbound calls is a
birth-death chain on ``k >= s - t`` (births: inbound arrivals at ``lambda``; deaths:
completions at ``min(k, s) mu`` above ``s - t``; at ``s - t`` a completion is replaced by
an outbound call).
"""

from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from callroute import example_path
from callroute.cli import main
from callroute.errors import ModelError
from callroute.outbound import (
    Tradeoff,
    load_blend,
    parse_blend,
    plot_tradeoff,
    simulate_blend,
    tradeoff,
)
from callroute.outbound.blendfile import schema as blend_schema

# Student's t at 0.995 for 9 degrees of freedom (a 99 % interval over 10 replications)
T995_9 = 3.2498


def _chain(s: int, t: int, lam: float, mu: float, tau: float) -> dict[str, float]:
    """Outbound throughput (per second), inbound ASA and SL, utilization of the chain."""
    lo = s - t
    pi = [1.0]
    k = lo
    while True:
        nxt = pi[-1] * lam / (min(k + 1, s) * mu)
        pi.append(nxt)
        k += 1
        if k > s and nxt < 1e-18 * sum(pi):
            break
    total = sum(pi)
    pi = [p / total for p in pi]
    busy = sum(p * min(lo + i, s) for i, p in enumerate(pi))
    asa = late = 0.0
    rate = s * mu
    for i, p in enumerate(pi):
        k = lo + i
        if k >= s:
            n = k - s + 1  # completions an arrival waits for, each at rate s mu
            asa += p * n / rate
            # P(Erlang(n, s mu) > tau) = sum_{j < n} e^-x x^j / j!
            x = rate * tau
            term = tail = math.exp(-x)
            for j in range(1, n):
                term *= x / j
                tail += term
            late += p * tail
    return {
        "outbound": mu * busy - lam,
        "asa": asa,
        "sl": 1.0 - late,
        "utilization": busy / s,
    }


def _threshold_day(s: int, t: int, lam: float, aht: float, tau: float, horizon: float) -> str:
    contacts = int(2 * s / aht * horizon) + 100
    return f"""
kind: blend
version: 1
horizon: {horizon}
warmup: {horizon * 0.05}
interval: {horizon}
queues:
  in: {{sl_threshold: {tau}, max_no_answer: 0}}
inbound:
  in: {{queue: in, handle: exponential({aht})}}
arrivals: {{poisson: {{rate: {lam}}}}}
groups:
  g: {{count: {s}}}
campaigns:
  c:
    mode: progressive
    threshold: {t}
    retry: {{no_answer: {{max_attempts: 1}}}}
    contacts: {contacts}
    reach: {{periods: [{{person: 1.0}}]}}
    ring: 0
    talk: exponential({aht})
"""


def _within(values: np.ndarray, truth: float, what: str) -> None:
    half = T995_9 * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    mean = float(np.mean(values))
    assert abs(mean - truth) <= half + 1e-9, f"{what}: {mean:.5f} ± {half:.5f} vs {truth:.5f}"


@pytest.mark.parametrize(("s", "t", "lam"), [(5, 1, 0.03), (10, 2, 0.08), (10, 5, 0.05)])
def test_threshold_policy_matches_its_chain(s: int, t: int, lam: float) -> None:
    aht, tau = 100.0, 10.0
    horizon = 1000 * aht
    model = parse_blend(_threshold_day(s, t, lam, aht, tau, horizon), source="chain.yaml")
    result = simulate_blend(model, replications=10, seed=5, threads=2)
    table = result.table()
    truth = _chain(s, t, lam, 1 / aht, tau)
    # ring 0 and a person on every dial: an agent is free for every line
    assert np.all(table["c.abandonment"] == 0)
    assert np.array_equal(table["c.people_reached"], table["c.dials"])
    _within(table["c.contacts_per_hour"] / 3600, truth["outbound"], "outbound per second")
    _within(table["inbound_asa"], truth["asa"], "inbound ASA")
    _within(table["inbound_service_level"], truth["sl"], "inbound SL")
    _within(table["utilization"], truth["utilization"], "utilization")
    summary = result.summary()
    assert summary["utilization"].mean == pytest.approx(float(np.mean(table["utilization"])))


def test_runs_repeat_whatever_the_threads() -> None:
    model = load_blend(example_path("blend"))
    one = simulate_blend(model, replications=3, seed=7, threads=1).table()
    two = simulate_blend(model, replications=3, seed=7, threads=3).table()
    for name in one:
        assert np.array_equal(one[name], two[name]), name
    other = simulate_blend(model, replications=3, seed=8, threads=2).table()
    assert not np.array_equal(one["inbound_offered"], other["inbound_offered"])


BAD = """\
kind: blend
version: 1
horizon: 3600
queues:
  service: {sl_threshold: 20}
inbound:
  service: {queue: servce, handle: exponential(240)}
arrivals: {poisson: {rate: 0.05}}
groups:
  agents: {count: 10}
campaigns:
  renewals:
    contacts: 100
    colour: blue
    reach:
      periods: [{person: 1.5}]
    ring: lognormal(12 0.5)
    talk: exponential(180)
"""


def test_bad_files_name_each_problem_at_its_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "day.yaml"
    path.write_text(BAD)
    with pytest.raises(ModelError) as info:
        load_blend(path)
    problems = [str(p) for p in info.value.problems]
    expected = {
        "inbound.service.queue": 7,
        "campaigns.renewals.colour": 14,
        "campaigns.renewals.reach.periods[0].person": 16,
        "campaigns.renewals.ring": 17,
    }
    assert len(problems) == len(expected), problems
    for where, line in expected.items():
        hits = [p for p in problems if p.startswith(where + ":")]
        assert len(hits) == 1, (where, problems)
        assert hits[0].endswith(f"(day.yaml line {line})"), hits[0]
    assert "unknown queue 'servce' (did you mean 'service'?)" in problems[0]
    # what only the core checks comes back at the user's path and line too
    core = BAD.replace("servce", "service").replace("    colour: blue\n", "")
    core = core.replace("ring: lognormal(12 0.5)", "ring: lognormal(12, 0.5)")
    core = core.replace("{person: 1.5}", "{person: 0.7, machine: 0.4}")
    with pytest.raises(ModelError) as info:
        parse_blend(core, source="day.yaml")
    (problem,) = info.value.problems
    assert problem.location == "campaigns.renewals.reach.periods[0]"
    assert "must be at most 1" in problem.message
    assert problem.message.endswith("(day.yaml line 15)")


def test_cli_simulates_and_plots_the_tradeoff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = str(example_path("blend"))
    assert main(["outbound", "simulate", example, "--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "inbound_service_level" in out
    assert "renewals.contacts_per_hour" in out
    png = tmp_path / "blend.png"
    argv = ["outbound", "simulate", example, "--replications", "2", "--thresholds", "0,30"]
    assert main([*argv, "--modes", "progressive", "--plot", str(png)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # the header, thresholds 0 and 30
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["outbound", "simulate", example, "--thresholds", "0,x"]) == 2


def test_tradeoff_is_paired_and_keeping_every_agent_dials_nothing(tmp_path: Path) -> None:
    model = load_blend(example_path("blend"))
    agents = 30  # the example's group
    result = tradeoff(model, [0, agents], ["progressive"], replications=3, seed=1, threads=2)
    rows = result.table()
    assert list(rows["threshold"]) == [0, agents]
    # every agent kept idle for inbound: nothing dialled, an inbound-only day
    kept = result.results[("progressive", agents)].table()
    assert np.all(kept["renewals.dials"] == 0)
    assert np.all(kept["contacts_per_hour"] == 0)
    # paired: the same inbound callers at every threshold (same seed)
    free = result.results[("progressive", 0)].table()
    assert np.array_equal(free["inbound_offered"], kept["inbound_offered"])
    assert rows["contacts_per_hour_diff"][0] == 0
    assert rows["inbound_service_level_diff"][1] >= 0
    out = plot_tradeoff(result, tmp_path / "t.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert result.plot(tmp_path / "u.png").stat().st_size > 0
    with pytest.raises(ModelError, match="modes"):
        tradeoff(model, [0], ["sideways"])


def test_check_and_schema_know_blended_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = example_path("blend")
    assert main(["check", str(example)]) == 0
    assert "ok: blended day (1 queues, 1 inbound types, 1 groups, 1 campaigns)" in (
        capsys.readouterr().out
    )
    bad = tmp_path / "day.yaml"
    bad.write_text(BAD)
    assert main(["check", str(bad)]) == 2
    out = capsys.readouterr()
    assert f"{bad}: error: inbound.service.queue: unknown queue 'servce'" in out.out
    assert "blended day: 4 errors" in out.err
    assert main(["schema", "blend"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.validate(yaml.safe_load(example.read_text()), schema)


def test_a_model_mapping_the_core_refuses_is_named_by_its_field() -> None:
    model = load_blend(example_path("blend"))
    model["campaigns"][0]["talk"] = {"exponential": {"mean": "long"}}
    with pytest.raises(ModelError, match=r"campaigns\[0\]\.talk"):
        simulate_blend(model, replications=1)
    with pytest.raises(ModelError, match="replications"):
        simulate_blend(load_blend(example_path("blend")), replications=0)


def _outbound_only(mode: str, extra: str, reach: str) -> str:
    return f"""
kind: blend
version: 1
horizon: 50000
interval: 50000
groups:
  g: {{count: 4}}
campaigns:
  c:
    mode: {mode}
    contacts: 100000
    reach: {reach}
    ring: 5
    talk: exponential(100)
{extra}
"""


def test_preview_agents_cycle_decision_ring_and_talk() -> None:
    # renewal-reward: each offer takes the decision (10 s); accepted (p = 0.5), the ring
    # (5 s) and the talk (100 s on average) with the agent held: per agent p / (10 + p 105)
    # contacts a second, and nobody is abandoned (no machine detection here)
    p, decide, ring, talk, agents = 0.5, 10.0, 5.0, 100.0, 4
    text = _outbound_only(
        "preview",
        f"    preview: {decide}\n    preview_accept: {p}",
        "{periods: [{person: 1.0}]}",
    )
    table = simulate_blend(parse_blend(text), replications=10, seed=3, threads=2).table()
    truth = agents * 3600 * p / (decide + p * (ring + talk))
    _within(table["c.contacts_per_hour"], truth, "preview contacts per hour")
    assert np.all(table["c.abandonment"] == 0)
    _within(table["c.offers"] / table["c.dials"], 1 / p, "offers per dial")


def test_people_ask_for_callbacks_at_the_files_rate() -> None:
    text = _outbound_only("progressive", "", "{periods: [{person: 1.0, callback: 0.2}]}")
    table = simulate_blend(parse_blend(text), replications=10, seed=4, threads=2).table()
    _within(table["c.callbacks"] / table["c.people_reached"], 0.2, "callbacks per person")


def test_intervals_add_up_to_the_replications_totals() -> None:
    result = simulate_blend(load_blend(example_path("blend")), replications=3, seed=2)
    every = result.intervals()
    table = result.table()
    assert every.height == 6  # six hours, hourly intervals
    assert list(every["start"]) == [3600.0 * k for k in range(6)]
    assert every["inbound_offered"].sum() == pytest.approx(table["inbound_offered"].mean())
    assert every["people_reached"].sum() == pytest.approx(table["renewals.people_reached"].mean())
    reached = table["renewals.people_reached"].sum()
    abandoned = float(np.sum(table["renewals.abandonment"] * table["renewals.people_reached"]))
    pooled = float(np.sum(every["abandoned"])) * 3 / reached
    assert pooled == pytest.approx(abandoned / reached)


def test_results_too_large_for_memory_are_refused_before_the_run() -> None:
    model = load_blend(example_path("blend"))
    model["interval"] = 1.0  # 21,600 intervals a replication
    with pytest.raises(ModelError, match="GiB"):
        simulate_blend(model, replications=100_000)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to itself")
def test_ctrl_c_stops_a_long_blended_run() -> None:
    model = load_blend(example_path("blend"))
    model["arrivals"] = {"poisson": {"rate": 0.07}}
    model["horizon"] = model["interval"] = 1e8  # years of inbound calls: minutes of work
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            simulate_blend(model, replications=2, threads=1)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 60  # a hang guard, not a timing


def test_arrivals_of_a_kind_a_blended_day_does_not_take_are_named_once() -> None:
    text = BAD.replace("servce", "service").replace("    colour: blue\n", "")
    text = text.replace("ring: lognormal(12 0.5)", "ring: lognormal(12, 0.5)")
    text = text.replace("{person: 1.5}", "{person: 0.5}")
    parse_blend(text)  # the fixed file is valid
    with pytest.raises(ModelError) as info:
        parse_blend(text.replace("{poisson: {rate: 0.05}}", "{trace: {times: [1, 2]}}"))
    (problem,) = info.value.problems
    assert problem.location == "arrivals"
    assert "takes no trace" in problem.message


SHIFTED = """
kind: blend
version: 1
start: {start}
horizon: 7200
interval: 3600
queues:
  service: {{sl_threshold: 20}}
inbound:
  service: {{queue: service, handle: exponential(240), patience: exponential(180)}}
arrivals: {{piecewise: {{interval: 3600, calls: [100, 200]}}}}
groups:
  agents: {{counts: [2, 6], interval: 3600}}
campaigns:
  c:
    contacts: 100000
    reach: {{period: 3600, periods: [{{person: 1.0}}, {{person: 0.0}}]}}
    ring: 5
    talk: exponential(100)
"""


@pytest.mark.parametrize("start", [0, 28800])
def test_a_day_reads_arrivals_counts_and_reach_from_its_own_start(start: int) -> None:
    # piecewise arrivals, a group's counts and the reach periods without a start of their
    # own begin with the day: the file's 300 calls, 2 then 6 agents, people only in hour 1
    result = simulate_blend(parse_blend(SHIFTED.format(start=start)), replications=20, seed=1)
    table = result.table()
    # Poisson counts: the mean of 20 within 4 standard deviations of 300 (none: 0)
    assert abs(float(np.mean(table["inbound_offered"])) - 300.0) <= 4 * math.sqrt(300 / 20)
    every = result.intervals()
    assert list(every["start"]) == [start, start + 3600.0]
    for run in result.runs:
        assert list(run["staffed"][0]) == [2 * 3600.0, 6 * 3600.0]
    assert every["people_reached"][0] > 0
    assert every["people_reached"][1] == 0
    assert every["dials"][1] > 0  # dialled in hour 2, nobody answers
    # the same callers whatever the clock reads (same seed)
    at_zero = simulate_blend(parse_blend(SHIFTED.format(start=0)), replications=20, seed=1)
    assert np.array_equal(table["inbound_offered"], at_zero.table()["inbound_offered"])


def test_a_start_given_is_kept() -> None:
    text = SHIFTED.format(start=28800).replace("{interval: 3600,", "{start: 32400, interval: 3600,")
    every = simulate_blend(parse_blend(text), replications=2, seed=1).intervals()
    assert every["inbound_offered"][0] == 0  # the arrivals begin at 09:00, an hour in
    assert every["inbound_offered"][1] > 0


def test_a_tradeoff_of_no_modes_or_thresholds_is_refused_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = load_blend(example_path("blend"))
    with pytest.raises(ModelError, match="modes: give at least one"):
        tradeoff(model, [0, 2], [])
    with pytest.raises(ModelError, match="modes: a list of dial modes"):
        tradeoff(model, [0, 2], "predictive")
    with pytest.raises(ModelError, match="thresholds: give at least one"):
        tradeoff(model, [], ["progressive"])
    with pytest.raises(ModelError, match="no runs"):
        plot_tradeoff(Tradeoff({}), tmp_path / "none.png")
    example = str(example_path("blend"))
    png = tmp_path / "t.png"
    for option, value in (("--modes", ""), ("--modes", " , "), ("--thresholds", "")):
        argv = ["outbound", "simulate", example, option, value, "--plot", str(png)]
        assert main(argv) == 2, (option, value)
        out = capsys.readouterr()
        assert f"callroute: error: {option}: give at least one" in out.err
        assert out.out == ""
    assert not png.exists()


def test_a_campaigns_abandon_risk_reaches_the_pacer() -> None:
    # docs/outbound.md: abandon_risk is the largest allowed P(a window's rate ends above
    # the cap): a looser risk lets the predictive pacer dial harder, into more abandons
    text = example_path("blend").read_text()
    assert "mode: predictive" in text

    def day(risk: float) -> str:
        return text.replace(
            "    abandon_cap: 0.03\n", f"    abandon_cap: 0.03\n    abandon_risk: {risk}\n"
        )

    tight = simulate_blend(parse_blend(day(0.001)), replications=4, seed=2).table()
    loose = simulate_blend(parse_blend(day(0.5)), replications=4, seed=2).table()
    assert np.mean(loose["renewals.dials"]) > np.mean(tight["renewals.dials"])
    assert np.mean(loose["renewals.abandonment"]) > np.mean(tight["renewals.abandonment"])
    schema = blend_schema()
    assert "abandon_risk" in schema["$defs"]["BlendCampaign"]["properties"]
    with pytest.raises(ModelError) as info:
        parse_blend(day(0.7), source="day.yaml")
    (problem,) = info.value.problems
    assert problem.location == "campaigns.renewals.abandon_risk"
    line = day(0.7).splitlines().index("    abandon_risk: 0.7") + 1
    assert problem.message.endswith(f"(day.yaml line {line})"), problem.message
    assert "0.5" in problem.message
