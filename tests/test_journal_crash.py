"""A real kill -9: a process driving a JournaledEngine is SIGKILLed at 50 random points.

The driver (``_journal_driver.py``) runs a seeded day of 200 calls with time advancing and
~4% invalid inputs; it is killed (``SIGKILL``) after a random number of inputs (or while it
starts and recovers), started again, and so on 50 times, then run to the end. Most restarts
are forks of this (already imported) test process, to keep the test fast; the first, some
middle ones and the last are fresh interpreters running the driver as a script.

At the end: every call of the day has exactly one outcome, the one (and at the time) an
uncrashed run gives; the journal's decision log equals the uncrashed run's decisions input
by input; refused inputs are refused with the same error; the engine recovered from the
journal is byte for byte the uncrashed run's engine.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import callroute
import pytest
from _journal_driver import make_scenario, outcomes_of, run, setup_engine
from callroute.errors import CallrouteError
from callroute.runtime import Journal, JournaledEngine

DRIVER = Path(__file__).with_name("_journal_driver.py")
SNAPSHOT_EVERY = 10
KILLS = 50


def reference(
    events: list[tuple[str, list[object], dict[str, object]]],
) -> tuple[list[tuple[str | None, list[object]]], dict[str, tuple[str, float]], bytes, int]:
    """The uncrashed run: per input (error type or None, decisions), outcomes, state."""
    eng = setup_engine()
    results: list[tuple[str | None, list[object]]] = []
    outcomes: dict[str, tuple[str, float]] = {}
    for kind, args, kwargs in events:
        try:
            decisions = list(getattr(eng, kind)(*args, **kwargs) or [])
            error = None
        except CallrouteError as exc:
            decisions, error = [], type(exc).__name__
        results.append((error, decisions))
        for call, outcome in outcomes_of(kind, args, error, decisions):
            assert call not in outcomes, call
            outcomes[call] = (outcome, float(args[0] if kind == "advance" else args[1]))
    assert eng.calls() == []
    return results, outcomes, eng.snapshot(), eng.totals().arrived


def spawn(fresh: bool, scenario: Path, db: Path) -> tuple[int, int, subprocess.Popen[bytes] | None]:
    """Start a driver: (pid, progress fd, Popen or None for a fork)."""
    if fresh:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(callroute.__file__).parent.parent), env.get("PYTHONPATH", "")]
        )
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(scenario), str(db), str(SNAPSHOT_EVERY)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None
        return proc.pid, proc.stdout.fileno(), proc
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, and never return into pytest
        code = 0
        try:
            os.close(read_fd)
            run(str(scenario), str(db), write_fd, SNAPSHOT_EVERY)
        except BaseException:
            traceback.print_exc()
            code = 3
        os._exit(code)
    os.close(write_fd)
    return pid, read_fd, None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork and SIGKILL (POSIX)")
def test_kill_9_at_50_points_loses_no_call_and_changes_no_decision(tmp_path: Path) -> None:
    events = make_scenario(seed=2026, calls=200)
    expected, expected_outcomes, final_state, arrived = reference(events)
    assert arrived == 200
    assert len(expected_outcomes) == 200  # the rule gives every call one outcome
    assert sum(error is not None for error, _ in expected) > 10
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(events))
    db = tmp_path / "journal.sqlite"
    rng = random.Random(13)
    step = max(2, len(events) // 35)
    kills = 0
    rounds = 0
    started = time.monotonic()
    while kills < KILLS:
        assert time.monotonic() - started < 300, "hang guard"
        fresh = rounds % 12 == 0
        rounds += 1
        pid, fd, proc = spawn(fresh, scenario, db)
        target = 0 if rng.random() < 0.1 else rng.randint(1, step)
        got = 0
        finished = False
        if target == 0:  # kill it while it starts and recovers
            time.sleep(rng.uniform(0.0, 0.3 if fresh else 0.01))
        while got < target:
            chunk = os.read(fd, 1)
            if not chunk:
                finished = True
                break
            got += 1
        os.kill(pid, signal.SIGKILL)
        if proc is not None:
            status = proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]
            killed = status == -signal.SIGKILL
        else:
            _, raw = os.waitpid(pid, 0)
            os.close(fd)
            killed = os.WIFSIGNALED(raw) and os.WTERMSIG(raw) == signal.SIGKILL
            status = os.WEXITSTATUS(raw) if not killed else -signal.SIGKILL
        assert killed or status == 0, f"driver failed with status {status}"
        kills += killed
        assert not finished or not killed or status == 0
        if finished:
            break
    assert kills == KILLS, f"the run ended after {kills} kills: make the steps smaller"
    # the last start, in a fresh interpreter, runs to the end
    pid, fd, proc = spawn(True, scenario, db)
    assert proc is not None
    progress, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert len(progress) < len(events)  # it continued the journal, not a new run

    with Journal(db) as journal:
        je, _ = JournaledEngine.recover(setup_engine, journal, snapshot_seconds=None)
        assert je.snapshot() == final_state
        stored = journal.inputs()
        assert [i.seq for i in stored] == list(range(1, len(events) + 1))
        assert [(i.kind, i.args) for i in stored] == [(k, a) for k, a, _ in events]
        for item, (_, _, kwargs) in zip(stored, events, strict=True):
            assert {k: item.kwargs[k] for k in kwargs} == kwargs
        statuses = [i.status for i in stored]
        assert statuses == ["refused" if e else "applied" for e, _ in expected]
        refusals = [str(i.result).split(":", 1)[0] for i in stored if i.status == "refused"]
        assert refusals == [e for e, _ in expected if e is not None]
        log = dict(journal.decision_log())
        assert [log.get(seq, []) for seq in range(1, len(events) + 1)] == [d for _, d in expected]
        got_outcomes = {call: (o.outcome, o.t) for call, o in journal.outcomes().items()}
        assert got_outcomes == expected_outcomes
