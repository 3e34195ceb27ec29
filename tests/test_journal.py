"""The runtime journal: round trip, refusals, outcomes, notes, secrets, pruning, errors."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from callroute import AgentStateChanged, Engine, Offer, Revoked
from callroute.errors import CallrouteError, ParameterError, UnknownIdError
from callroute.ivr import Digits
from callroute.runtime import Journal, JournaledEngine, JournalError
from callroute.runtime.recorder import (
    REDACTED,
    decision_from_record,
    decision_record,
    dumps,
    is_secret_key,
    scrub,
)
from hypothesis import given, settings
from hypothesis import strategies as st

PIN = "739215"


def factory() -> Engine:
    eng = Engine(seed=5)
    eng.add_queue("q", skills={"s": 1}, wrapup=2.0)
    eng.add_queue("cq", strategy="custom")
    eng.add_agent("a", skills={"s": 2})
    eng.add_agent("b", skills={"s": 1})
    return eng


def script(je: Any) -> list[object]:
    """A short day: calls offered, accepted, declined, ended, abandoned; one refusal."""
    out: list[object] = []
    out += je.agent_ready("a", 0.0)
    out += je.call_arrived("c1", 1.0, queue="q", data={"account": "42", "vip": True})
    out += je.offer_accepted("c1", 2.0)
    out += je.agent_ready("b", 2.5)
    out += je.call_arrived("c2", 3.0, queue="q", priority=1)
    out += je.offer_declined("c2", 4.0)
    out += je.advance(9.0)
    out += je.call_ended("c1", 10.0)
    out += je.advance(12.0)
    with pytest.raises(UnknownIdError):
        je.offer_accepted("nope", 12.5)
    out += je.call_arrived("c3", 13.0, queue="q")
    out += je.call_abandoned("c3", 14.0)
    out += je.set_agent_skills("b", {"s": 3}, 15.0)
    je.set_queue_open("q", False)
    out += je.agent_not_ready("b", 16.0, "lunch")
    return out


def plain_run() -> tuple[Engine, list[object]]:
    eng = factory()
    return eng, script(eng)


def test_round_trip_same_state_and_decisions(tmp_path: Path) -> None:
    ref, ref_out = plain_run()
    with Journal(tmp_path / "j.sqlite") as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=4, snapshot_seconds=None)
        out = script(je)
        assert out == ref_out  # the wrapper changes no decision
        assert je.snapshot() == ref.snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        again, replayed = JournaledEngine.recover(factory, journal, snapshot_every=4)
        assert again.snapshot() == ref.snapshot()
        assert again.recovery is not None
        tail = again.recovery.replayed
        assert [r.seq for r in tail] == list(range(tail[0].seq, journal.last_seq + 1))
        assert replayed == [d for r in tail for d in r.decisions]
        # the tail's decisions are the last ones the live run made, in order
        assert replayed == ref_out[len(ref_out) - len(replayed) :]
        # and the run goes on identically
        assert again.call_arrived("c4", 20.0, queue="q") == ref.call_arrived("c4", 20.0, queue="q")


def test_each_input_is_committed_before_it_is_applied(tmp_path: Path) -> None:
    """While the engine applies input k, another reader already sees input k in the file."""
    path = tmp_path / "j.sqlite"
    seen: list[tuple[int, str]] = []

    def scorer(call: Any, agents: list[str]) -> list[float]:
        copy = tmp_path / "copy.sqlite"
        for suffix in ("", "-wal"):
            src = Path(str(path) + suffix)
            if src.exists():
                Path(str(copy) + suffix).write_bytes(src.read_bytes())
        db = sqlite3.connect(copy)
        seen.append(db.execute("SELECT max(seq), kind FROM inputs").fetchone())
        db.close()
        return [1.0] * len(agents)

    with Journal(path) as journal:
        eng = factory()
        eng.set_scorer(scorer)
        je = JournaledEngine(eng, journal)
        je.agent_ready("a", 0.0)
        je.agent_ready("b", 0.0)
        je.call_arrived("x", 1.0, queue="cq")
        assert seen == [(3, "call_arrived")]


def test_refused_inputs_are_journaled_and_refused_again(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        je = JournaledEngine(factory(), journal)
        je.agent_ready("a", 5.0)
        with pytest.raises(CallrouteError) as time_err:
            je.agent_ready("b", 1.0)  # time goes backwards
        with pytest.raises(UnknownIdError):
            je.call_ended("ghost", 6.0)
        je.flush()
        stored = journal.inputs()
        assert [(i.kind, i.status) for i in stored] == [
            ("agent_ready", "applied"),
            ("agent_ready", "refused"),
            ("call_ended", "refused"),
        ]
        assert stored[1].result == f"EngineTimeError: {time_err.value}"
        assert stored[2].result.startswith("EngineUnknownIdError: ")
    with Journal(tmp_path / "j.sqlite") as journal:
        again, _ = JournaledEngine.recover(factory, journal, snapshot_every=1000)
        assert again.recovery is not None
        errors = [r.error for r in again.recovery.replayed]
        assert errors[0] is None
        assert errors[1] == stored[1].result
        assert errors[2] == stored[2].result


def test_result_missing_after_a_crash_is_filled_in(tmp_path: Path) -> None:
    """The last input's result is written with the next input: a crash leaves it unknown."""
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    je = JournaledEngine(factory(), journal)
    je.agent_ready("a", 0.0)
    live = je.call_arrived("c1", 1.0, queue="q")
    journal.close()  # no flush: as if killed here
    with Journal(path) as j2:
        assert j2.inputs()[-1].status is None
        again, replayed = JournaledEngine.recover(factory, j2)
        assert replayed[-len(live) :] == live
        assert j2.inputs()[-1].status == "applied"
        assert j2.decision_log()[-1] == (2, live)
        assert again.agent_state("a") == "offered"


def test_divergence_is_detected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        je = JournaledEngine(factory(), journal)
        je.agent_ready("a", 0.0)
        je.call_arrived("c1", 1.0, queue="q")
        je.flush()
    db = sqlite3.connect(path)
    db.execute("UPDATE inputs SET result = ? WHERE seq = 2", ('[["Exit","c1","q","closed"]]',))
    db.commit()
    db.close()
    with Journal(path) as journal, pytest.raises(JournalError, match=r"input 2 \(call_arrived\)"):
        JournaledEngine.recover(factory, journal)
    with Journal(path) as journal, caplog.at_level(logging.ERROR):
        again, _ = JournaledEngine.recover(factory, journal, strict=False)
        assert "replay diverged at input 2" in caplog.text
        assert journal.decision_log()[-1][1][0] == Offer("c1", "a", "q", 16.0, False)
        assert again.agent_state("a") == "offered"


def test_scorer_is_not_journaled_give_it_to_recover(tmp_path: Path) -> None:
    def prefer_last(call: Any, agents: list[str]) -> list[float]:
        return [float(i) for i in range(len(agents))]

    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        eng = factory()
        eng.set_scorer(prefer_last)
        je = JournaledEngine(eng, journal)
        je.agent_ready("a", 0.0)
        je.agent_ready("b", 0.0)
        live = je.call_arrived("c1", 1.0, queue="cq")
        assert live[0] == Offer("c1", "b", "cq", 16.0, False)
        je.flush()
    with Journal(path) as journal, pytest.raises(JournalError, match="diverged"):
        JournaledEngine.recover(factory, journal)  # the default: first candidate, "a"
    with Journal(path) as journal:
        _, replayed = JournaledEngine.recover(factory, journal, scorer=prefer_last)
        assert replayed[-2:] == live


def test_outcome_exactly_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.record_outcome("c1", "completed", 10.0, {"recording": "r-c1", "s": 9.5})
        assert journal.record_outcome("c1", "completed", 10.0) is False  # idempotent retry
        with caplog.at_level(logging.WARNING):
            assert journal.record_outcome("c1", "abandoned", 11.0) is False
        assert "already has outcome 'completed'" in caplog.text
        assert journal.outcome("c1") is not None
        first = journal.outcome("c1")
        assert first is not None
        assert (first.outcome, first.t, first.detail) == (
            "completed",
            10.0,
            {"recording": "r-c1", "s": 9.5},
        )
        assert journal.outcome("c2") is None
    with Journal(tmp_path / "j.sqlite") as journal:  # durable, still once
        assert journal.record_outcome("c1", "exit", 12.0) is False
        assert list(journal.outcomes()) == ["c1"]


def test_notes_keyed_and_appended_come_back_at_recovery(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        je = JournaledEngine(factory(), journal)
        journal.note("channel", {"call": "c1", "role": "caller"}, key="ch-1")
        journal.note("channel", {"call": "c2", "role": "caller"}, key="ch-2")
        journal.note("offer", {"call": "c1", "agent": "a", "channel": "ag-1"}, key="c1")
        journal.note("channel", {"call": "c1", "role": "caller", "bridge": "b1"}, key="ch-1")
        assert journal.forget("offer", "c1") is True
        assert journal.forget("offer", "c1") is False
        journal.note("ivr", {"call": "c3", "node": "menu"})
        journal.note("ivr", {"call": "c3", "node": "queue"})
        je.agent_ready("a", 0.0)
    with Journal(path) as journal:
        again, _ = JournaledEngine.recover(factory, journal)
        assert again.recovery is not None
        notes = again.recovery.notes
        assert [(n.kind, n.key, n.payload) for n in notes] == [
            ("channel", "ch-1", {"call": "c1", "role": "caller", "bridge": "b1"}),
            ("channel", "ch-2", {"call": "c2", "role": "caller"}),
            ("ivr", None, {"call": "c3", "node": "menu"}),
            ("ivr", None, {"call": "c3", "node": "queue"}),
        ]
        assert [n.key for n in journal.notes("channel")] == ["ch-1", "ch-2"]


def test_secret_keys() -> None:
    for key in ("pin", "PIN", "account_pin", "accountPin", "cardPIN", "caller.pin", "Password"):
        assert is_secret_key(key), key
    for key in ("api-token", "new_pin", "tan", "OTP", "verifier_secret"):
        assert is_secret_key(key), key
    for key in ("shipping", "account", "pinned", "spinach", "opinion", "spinner", "stand"):
        assert not is_secret_key(key), key


def test_secrets_never_reach_the_file_or_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.sqlite"
    caplog.set_level(logging.DEBUG)
    journal = Journal(path, secret_keys={"mother_maiden"})
    je = JournaledEngine(factory(), journal, snapshot_every=1)
    je.agent_ready("a", 0.0)
    decisions = je.call_arrived(
        "c1", 1.0, queue="q", data={"account": "42", "pin": PIN, "verifierSecret": PIN}
    )
    assert je.call_info("c1").data == {"account": "42", "pin": REDACTED, "verifierSecret": REDACTED}
    # the offer carries the scrubbed data (Offer.data), never the PIN
    assert decisions[0] == Offer(
        "c1",
        "a",
        "q",
        16.0,
        False,
        data={"account": "42", "pin": REDACTED, "verifierSecret": REDACTED},
    )
    journal.note("ivr", {"call": "c1", "entered": Digits(PIN, secret=True)}, key="c1")
    journal.note("auth", {"verifier": {"secret": PIN, "PIN": PIN}, "mother_maiden": PIN})
    journal.record_outcome("c1", "completed", 5.0, {"auth": {"pin": PIN}, "ok": True})
    with pytest.raises(UnknownIdError):  # a refused input's error text is journaled too
        je.call_arrived("c9", 2.0, queue="missing", data={"pin": PIN})
    je.agent_ready("b", 3.0)  # one more snapshot, holding the call's data
    for suffix in ("", "-wal", "-shm"):  # while open: everything is still in the WAL
        f = Path(str(path) + suffix)
        if f.exists():
            assert PIN.encode() not in f.read_bytes(), suffix
    assert Path(str(path) + "-wal").stat().st_size > 0
    journal.close()
    assert PIN.encode() not in path.read_bytes()
    assert PIN not in caplog.text
    with Journal(path) as again:
        payloads = [n.payload for n in again.notes()]
        assert payloads[0] == {"call": "c1", "entered": REDACTED}
        assert payloads[1] == {
            "verifier": {"secret": REDACTED, "PIN": REDACTED},
            "mother_maiden": REDACTED,
        }
        got = again.outcome("c1")
        assert got is not None
        assert got.detail == {"auth": {"pin": REDACTED}, "ok": True}


def test_arguments_that_cannot_be_journaled_are_refused_before_anything(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        je = JournaledEngine(factory(), journal)
        je.agent_ready("a", 0.0)
        before = je.snapshot()
        with pytest.raises(
            ParameterError, match=r"data\['when'\]: 'object' values cannot be journaled"
        ):
            je.call_arrived("c1", 1.0, queue="q", data={"when": object()})
        with pytest.raises(ParameterError, match="keys must be str"):
            je.set_agent_skills("a", {1: 2}, 1.0)  # type: ignore[dict-item]
        assert journal.last_seq == 1
        assert je.snapshot() == before


def test_decision_records_round_trip() -> None:
    eng = factory()
    decisions = [*eng.agent_ready("a", 0.0), *eng.call_arrived("c", 1.0, queue="q")]
    decisions += eng.call_abandoned("c", 2.0)
    assert any(isinstance(d, Revoked) for d in decisions)
    assert [decision_from_record(decision_record(d)) for d in decisions] == decisions
    assert decision_from_record(["AgentStateChanged", "a", "ready", None]) == AgentStateChanged(
        "a", "ready", None
    )
    with pytest.raises(ParameterError):
        decision_from_record(["Nope", 1])


def test_pruning_keeps_the_newest_snapshots(tmp_path: Path) -> None:
    with Journal(tmp_path / "p.sqlite", keep_snapshots=2) as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=3, snapshot_seconds=None)
        script(je)
        seqs = journal.snapshot_seqs()
        assert len(seqs) == 2
        assert seqs[1] - seqs[0] == 3
        assert journal.inputs()[0].seq == seqs[0] + 1
    with Journal(tmp_path / "k.sqlite", prune=False, keep_snapshots=1) as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=3, snapshot_seconds=None)
        script(je)
        je.flush()
        assert journal.snapshot_seqs()[0] == 0  # the first stays: the run replays whole
        assert len(journal.snapshot_seqs()) == 2
        assert [i.seq for i in journal.inputs()] == list(range(1, journal.last_seq + 1))
        _, ref_out = plain_run()
        assert [d for _, ds in journal.decision_log() for d in ds] == ref_out


def test_snapshot_by_engine_seconds(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=None, snapshot_seconds=10.0)
        je.agent_ready("a", 0.0)
        je.advance(5.0)
        je.advance(9.0)
        assert journal.snapshot_seqs() == [0]
        je.advance(10.0)  # 10 s after the first time seen: the state after input 3 is stored
        je.advance(11.0)
        assert journal.snapshot_seqs() == [0, 4]


def test_a_corrupt_latest_snapshot_falls_back_to_the_older_one(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    ref, _ = plain_run()
    with Journal(path) as journal:
        je = JournaledEngine(factory(), journal, snapshot_every=4, snapshot_seconds=None)
        script(je)
        latest = journal.snapshot_seqs()[-1]
    db = sqlite3.connect(path)
    db.execute("UPDATE snapshots SET blob = zeroblob(40) WHERE seq = ?", (latest,))
    db.commit()
    db.close()
    with Journal(path) as journal:
        again, _ = JournaledEngine.recover(factory, journal)
        assert again.recovery is not None
        assert again.recovery.snapshot_seq is not None
        assert again.recovery.snapshot_seq < latest
        assert again.snapshot() == ref.snapshot()


def test_journal_errors(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        JournaledEngine(factory(), journal)
        with pytest.raises(JournalError, match="already holds a run"):
            JournaledEngine(factory(), journal)
        with pytest.raises(JournalError, match="in use by another process"):
            Journal(path)
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(JournalError, match="not a callroute journal"):
        Journal(bogus)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="schema version 99"):
        Journal(path)
    with pytest.raises(JournalError, match="synchronous"):
        Journal(tmp_path / "x.sqlite", synchronous="SOMETIMES")  # type: ignore[arg-type]


def test_first_start_uses_the_factory(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite", synchronous="FULL") as journal:
        je, replayed = JournaledEngine.recover(factory, journal)
        assert replayed == []
        assert je.recovery is not None
        assert je.recovery.snapshot_seq == 0
        assert je.snapshot() == factory().snapshot()
        assert journal.snapshot_seqs() == [0]


def test_configuration_inputs_are_journaled_too(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        je = JournaledEngine(factory(), journal)
        je.agent_ready("a", 0.0)
        je.add_queue("late", skills={"x": 1}, steps=({"after": 5.0, "skills": {"x": 0}},))
        je.add_agent("z", skills={"x": 2}, capacity={"voice": 1})
        with pytest.raises(CallrouteError):
            je.add_agent("z")  # a duplicate: refused, journaled as such
        je.agent_ready("z", 1.0)
        je.set_queue_open("late", False)
        je.set_queue_open("late", True)
        je.call_arrived("c1", 2.0, queue="late")
        live = je.snapshot()
        journal.close()  # killed: no flush, no checkpoint
    with Journal(path) as journal:
        again, _ = JournaledEngine.recover(factory, journal)
        assert again.snapshot() == live
        assert again.call_info("c1").agent == "z"
        kinds = [(i.kind, i.status, i.t) for i in journal.inputs()]
        assert kinds[1:5] == [
            ("add_queue", "applied", 0.0),  # untimed inputs carry the engine's time
            ("add_agent", "applied", 0.0),
            ("add_agent", "refused", 0.0),
            ("agent_ready", "applied", 1.0),
        ]


def test_a_journal_that_cannot_be_written_refuses_the_input(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    je = JournaledEngine(factory(), journal)
    je.agent_ready("a", 0.0)
    before = je.snapshot()
    journal.close()
    with pytest.raises(JournalError, match="journal write failed"):
        je.call_arrived("c1", 1.0, queue="q")
    assert je.snapshot() == before  # not journaled, so not applied


def test_no_usable_snapshot_replays_all_or_says_why(tmp_path: Path) -> None:
    ref, ref_out = plain_run()
    for prune in (False, True):
        path = tmp_path / f"j{prune}.sqlite"
        with Journal(path, prune=prune) as journal:
            je = JournaledEngine(factory(), journal, snapshot_every=4, snapshot_seconds=None)
            script(je)
        db = sqlite3.connect(path)
        db.execute("UPDATE snapshots SET blob = zeroblob(40)")
        db.commit()
        db.close()
        with Journal(path) as journal:
            if prune:
                with pytest.raises(JournalError, match="no usable snapshot and early inputs"):
                    JournaledEngine.recover(factory, journal)
                continue
            again, replayed = JournaledEngine.recover(factory, journal)
            assert again.recovery is not None
            assert again.recovery.snapshot_seq is None
            assert replayed == ref_out
            assert again.snapshot() == ref.snapshot()


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-999, 999),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)
_keys = st.sampled_from(["a", "b", "pin", "userPin", "secret", "x_token", "account", "Password"])
_payloads = st.recursive(
    _leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3)
)


@settings(max_examples=200, deadline=None)
@given(payload=st.dictionaries(_keys, _payloads, max_size=4))
def test_scrubbed_payloads_hold_no_value_under_a_secret_key(payload: dict[str, Any]) -> None:
    def plant(value: Any) -> Any:  # every value under a secret key becomes the PIN
        if isinstance(value, dict):
            return {k: PIN if is_secret_key(k) else plant(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plant(v) for v in value]
        return value

    planted = plant(payload)
    text = dumps(scrub(planted))
    assert PIN not in text
    assert json.loads(text) == json.loads(dumps(scrub(json.loads(text))))  # idempotent


def test_agent_skills_passes_through_and_survives_recovery(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    eng = JournaledEngine(Engine(), journal)
    eng.add_agent("a", skills={"s": 1})
    eng.set_agent_skills("a", {"t": 4}, 1.0)
    assert eng.agent_skills("a") == {"t": 4}
    with pytest.raises(UnknownIdError):
        eng.agent_skills("b")
    journal.close()
    again = Journal(tmp_path / "j.sqlite")
    recovered, _ = JournaledEngine.recover(Engine, again)
    assert recovered.agent_skills("a") == {"t": 4}
    again.close()
