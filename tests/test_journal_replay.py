"""Recovery from every prefix of a journaled run equals a fresh run of that prefix.

Random input sequences (valid and invalid: unknown ids, states that do not fit, times that
go backwards) drive a :class:`JournaledEngine`. After every input the journal's files are
copied as they are on disk (what a ``kill -9`` at that moment leaves); recovering each copy
must give, byte for byte, the engine of a plain run of the inputs journaled so far. The WAL
file is also cut at arbitrary byte offsets (a write torn by the kill): SQLite keeps the
committed prefix, and recovery again equals a plain run of that prefix.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

from callroute import Engine
from callroute.errors import CallrouteError
from callroute.runtime import Journal, JournaledEngine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Input = tuple[str, list[Any], dict[str, Any]]

AGENTS = ["a0", "a1", "a2", "a3", "ghost"]
CALLS = ["c0", "c1", "c2", "c3", "c4", "c5"]
QUEUES = ["sales", "vip", "chat", "nowhere"]


def factory() -> Engine:
    eng = Engine(seed=11)
    eng.add_queue("sales", skills={"s": 1}, offer_timeout=6.0, wrapup=2.0, max_wait=30.0)
    eng.add_queue("vip", skills={"v": 1}, max_wait=10.0, overflow="sales", strategy="random")
    eng.add_queue("chat", media="chat", strategy="round_robin")
    for i in range(4):
        eng.add_agent(
            f"a{i}",
            skills={"s": 1 + i % 2, "v": i % 2},
            capacity={"voice": 1, "chat": 2},
            auto_answer=i == 3,
        )
    return eng


@st.composite
def inputs(draw: st.DrawFn) -> list[Input]:
    out: list[Input] = []
    t = 0.0
    for _ in range(draw(st.integers(1, 24))):
        t += draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 7.0, 15.0, -1.0]))
        kind = draw(
            st.sampled_from(
                ["agent_ready"] * 3
                + ["call_arrived"] * 4
                + ["offer_accepted"] * 3
                + ["offer_declined", "call_ended", "call_ended", "call_abandoned"]
                + ["agent_not_ready", "agent_logout", "wrapup_done", "transfer"]
                + ["callback_requested", "advance", "advance", "set_queue_open"]
                + ["set_agent_skills"]
            )
        )
        agent = draw(st.sampled_from(AGENTS))
        call = draw(st.sampled_from(CALLS))
        queue = draw(st.sampled_from(QUEUES))
        if kind in ("agent_ready", "agent_logout", "wrapup_done"):
            out.append((kind, [agent, t], {}))
        elif kind == "agent_not_ready":
            out.append((kind, [agent, t, draw(st.sampled_from(["break", "lunch"]))], {}))
        elif kind == "call_arrived":
            data = draw(
                st.dictionaries(
                    st.sampled_from(["acct", "auth", "score", "n"]),
                    st.one_of(st.booleans(), st.integers(-5, 5), st.floats(-2, 2), st.text()),
                    max_size=2,
                )
            )
            kwargs = {"queue": queue, "priority": draw(st.integers(0, 2)), "data": data}
            out.append((kind, [call, t], kwargs))
        elif kind == "transfer":
            out.append((kind, [call, t, queue], {}))
        elif kind == "advance":
            out.append((kind, [t], {}))
        elif kind == "set_queue_open":
            out.append((kind, [queue, draw(st.booleans())], {}))
        elif kind == "set_agent_skills":
            out.append((kind, [agent, {"s": draw(st.integers(0, 3))}, t], {}))
        else:
            out.append((kind, [call, t], {}))
    return out


def apply(target: Any, item: Input) -> bool:
    """Apply one input; False when it is refused."""
    kind, args, kwargs = item
    try:
        getattr(target, kind)(*args, **kwargs)
    except CallrouteError:
        return False
    return True


def copy_image(path: Path, dest: Path) -> None:
    """The journal's files as a process killed now would leave them."""
    for suffix in ("", "-wal"):
        src = Path(str(path) + suffix)
        if src.exists():
            shutil.copyfile(src, str(dest) + suffix)


def recovered_state(image: Path) -> tuple[bytes, int]:
    with Journal(image) as journal:
        je, _ = JournaledEngine.recover(factory, journal)
        return je.snapshot(), journal.last_seq


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=inputs(),
    every=st.integers(1, 6),
    prune=st.booleans(),
    seconds=st.sampled_from([None, 5.0]),
)
def test_recovery_at_every_prefix_equals_a_fresh_run(
    tmp_path_factory: Any, items: list[Input], every: int, prune: bool, seconds: float | None
) -> None:
    tmp = tmp_path_factory.mktemp("prefix")
    path = tmp / "j.sqlite"
    reference = factory()
    expected = [reference.snapshot()]  # expected[k]: the state after k inputs
    refused = []
    with Journal(path, prune=prune) as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=every, snapshot_seconds=seconds)
        copy_image(path, tmp / "img0")
        for k, item in enumerate(items, start=1):
            ok = apply(je, item)
            assert apply(reference, item) == ok  # the wrapper refuses exactly what the engine does
            refused.append(not ok)
            expected.append(reference.snapshot())
            assert je.snapshot() == expected[-1]
            copy_image(path, tmp / f"img{k}")
    for k in range(len(items) + 1):
        state, last = recovered_state(tmp / f"img{k}")
        assert last == k
        assert state == expected[k], f"prefix {k}"
    # a clean close: the last input's result is on file; the whole run recovers
    state, last = recovered_state(path)
    assert (state, last) == (expected[-1], len(items))
    with Journal(path) as journal:
        statuses = [i.status for i in journal.inputs()]
        assert statuses == [
            "refused" if r else "applied" for r in refused[len(refused) - len(statuses) :]
        ]


def test_torn_wal_recovers_the_committed_prefix(tmp_path: Path) -> None:
    rng = random.Random(3)
    script: list[Input] = []
    t = 0.0
    for i in range(120):
        t += rng.choice([0.0, 0.5, 1.0, 3.0])
        call = f"c{i // 3}"
        roll = rng.random()
        if roll < 0.2:
            script.append(("agent_ready", [rng.choice(AGENTS), t], {}))
        elif roll < 0.5:
            script.append(("call_arrived", [call, t], {"queue": rng.choice(QUEUES)}))
        elif roll < 0.7:
            script.append(("offer_accepted", [rng.choice([*CALLS, call]), t], {}))
        elif roll < 0.85:
            script.append(("call_ended", [rng.choice([*CALLS, call]), t], {}))
        else:
            script.append(("advance", [t], {}))
    reference = factory()
    expected = [reference.snapshot()]
    for item in script:
        apply(reference, item)
        expected.append(reference.snapshot())
    path = tmp_path / "j.sqlite"
    journal = Journal(path, prune=False)
    je = JournaledEngine(factory(), journal, snapshot_every=7, snapshot_seconds=None)
    for item in script:
        apply(je, item)
    copy_image(path, tmp_path / "full")  # before close: nothing checkpointed into the db file
    journal.close()
    wal = (tmp_path / "full-wal").read_bytes()
    assert len(wal) > 4096
    cuts = sorted({0, 32, len(wal) - 1, len(wal), *rng.sample(range(len(wal)), 25)})
    seen = set()
    for cut in cuts:
        image = tmp_path / f"cut{cut}"
        shutil.copyfile(tmp_path / "full", image)
        Path(str(image) + "-wal").write_bytes(wal[:cut])
        state, last = recovered_state(image)
        assert 0 <= last <= len(script)
        assert state == expected[last], f"cut at byte {cut}: {last} inputs"
        seen.add(last)
    assert len(script) in seen
    assert len(seen) > 10
