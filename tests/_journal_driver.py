"""A fast runtime stand-in for the kill -9 test: drives a JournaledEngine through a script.

``python tests/_journal_driver.py SCENARIO.json JOURNAL.sqlite SNAPSHOT_EVERY`` (or
:func:`run` in a forked child) opens the journal, recovers it (a first start when empty),
records the outcomes of the replayed tail, then applies the script from the first input the
journal does not hold, recording each call's outcome as it ends and writing one byte per
input applied to the progress file descriptor (stdout when run as a script). The parent kills
it at random points and starts it again.

Outcome rule (the test's own, from the engine docs): ``call_ended`` -> ``completed``,
``call_abandoned`` -> ``abandoned``, an ``Exit`` decision -> ``exit:<reason>``, each at the
time of the input that caused it.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Sequence
from typing import Any

from callroute import Engine, Exit
from callroute.errors import CallrouteError
from callroute.runtime import Journal, JournaledEngine

Input = tuple[str, list[Any], dict[str, Any]]


def setup_engine() -> Engine:
    """The center of the scenario (what a runtime builds from its center file)."""
    eng = Engine(seed=21)
    eng.add_queue("general", offer_timeout=8.0, wrapup=2.0, max_wait=90.0)
    eng.add_queue(
        "sales", skills={"s": 1}, offer_timeout=8.0, wrapup=3.0, max_wait=60.0, overflow="general"
    )
    eng.add_queue("chat", media="chat", strategy="round_robin", max_wait=120.0)
    for i in range(6):
        eng.add_agent(
            f"a{i}",
            skills={"s": i % 3},
            capacity={"voice": 1, "chat": 2},
            auto_answer=i == 5,
        )
    return eng


def input_time(kind: str, args: Sequence[Any]) -> float | None:
    """The ``now`` of an input."""
    if kind == "advance":
        return float(args[0])
    if kind == "set_agent_skills":
        return float(args[2])
    if kind in ("set_queue_open", "add_queue", "add_agent"):
        return None
    return float(args[1])


def outcomes_of(
    kind: str, args: Sequence[Any], error: str | None, decisions: Sequence[object]
) -> list[tuple[str, str]]:
    """(call, outcome) of the calls an input ended (the rule in the module docstring)."""
    out: list[tuple[str, str]] = []
    if error is None and kind == "call_ended":
        out.append((args[0], "completed"))
    elif error is None and kind == "call_abandoned":
        out.append((args[0], "abandoned"))
    out += [(d.call, f"exit:{d.reason}") for d in decisions if isinstance(d, Exit)]
    return out


def make_scenario(seed: int, calls: int) -> list[Input]:
    """A closed-loop random day of ``calls`` calls (and ~4% invalid inputs), drained at the end."""
    rng = random.Random(seed)
    eng = setup_engine()
    agents = eng.agents()
    events: list[Input] = []
    t = 0.0
    arrived = 0
    ended: list[str] = []
    while arrived < calls or eng.calls():
        t += rng.choice([0.0, 0.5, 1.0, 2.0, 4.0])
        active = eng.calls()
        roll = rng.random()
        event: Input
        if roll < 0.04:
            event = rng.choice(
                [
                    ("offer_accepted", [f"x{arrived}", t], {}),
                    ("agent_ready", ["ghost", t], {}),
                    ("call_ended", [rng.choice(ended) if ended else "x", t], {}),
                    ("advance", [t - 5.0], {}),
                    ("call_arrived", [f"c{arrived}", t], {"queue": "nowhere"}),
                ]
            )
        elif roll < 0.25 and arrived < calls:
            queue = rng.choice(["sales", "sales", "general", "chat"])
            data = {"acct": str(1000 + arrived), "vip": rng.random() < 0.2, "score": rng.random()}
            kwargs = {"queue": queue, "priority": rng.randint(0, 2), "data": data}
            event = ("call_arrived", [f"c{arrived}", t], kwargs)
            arrived += 1
        elif roll < 0.36:
            agent = rng.choice(agents)
            state = eng.agent_state(agent)
            if state in ("logged_out", "not_ready"):
                event = ("agent_ready", [agent, t], {})
            elif state == "wrapup":
                event = ("wrapup_done", [agent, t], {})
            elif arrived < calls and rng.random() < 0.3:
                event = ("agent_not_ready", [agent, t, rng.choice(["break", "lunch"])], {})
            else:
                continue
        elif roll < 0.8 and active:
            call = rng.choice(active)
            info = eng.call_info(call)
            if info.state == "offered":
                kind = "offer_accepted" if rng.random() < 0.8 else "offer_declined"
                event = (kind, [call, t], {})
            elif info.state == "connected":
                event = ("call_ended", [call, t], {})
            elif rng.random() < 0.25 or arrived >= calls:
                event = ("call_abandoned", [call, t], {})
            elif not info.callback and rng.random() < 0.1:
                event = ("callback_requested", [call, t], {})
            else:
                continue
        else:
            deadline = eng.next_deadline()
            if deadline is not None and deadline > t and rng.random() < 0.7:
                t = deadline
            event = ("advance", [t], {})
        kind, args, kwargs = event
        try:
            decisions = getattr(eng, kind)(*args, **kwargs) or []
        except CallrouteError:
            decisions = []
        else:
            ended += [call for call, _ in outcomes_of(kind, args, None, decisions)]
        events.append(event)
    return events


def run(scenario: str, path: str, progress_fd: int, snapshot_every: int) -> None:
    """Continue the scripted run in the journal at ``path`` to its end."""
    with open(scenario, encoding="utf-8") as f:
        events = [tuple(e) for e in json.load(f)]
    journal = Journal(path, prune=False)
    je, _ = JournaledEngine.recover(
        setup_engine, journal, snapshot_every=snapshot_every, snapshot_seconds=None
    )
    assert je.recovery is not None
    for r in je.recovery.replayed:  # their effects may have been cut short: redo them
        for call, outcome in outcomes_of(r.kind, r.args, r.error, r.decisions):
            journal.record_outcome(call, outcome, r.t)
    for kind, args, kwargs in events[journal.last_seq :]:
        error = None
        decisions: list[object] = []
        try:
            decisions = list(getattr(je, kind)(*args, **kwargs) or [])
        except CallrouteError as exc:
            error = str(exc)
        for call, outcome in outcomes_of(kind, args, error, decisions):
            journal.record_outcome(call, outcome, input_time(kind, args))
        os.write(progress_fd, b".")
    je.flush()
    journal.close()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], sys.stdout.fileno(), int(sys.argv[3]))
