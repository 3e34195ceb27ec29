"""Call history importers of callroute.wfm against recorded files and the data READMEs.

Expected figures come from the Asterisk fixtures' README (the scenarios it narrates), from a
separate plain parse inside the test, or from the "Known figures" of the data READMEs.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from callroute.errors import ConfigError, ParameterError
from callroute.wfm import (
    History,
    read_anonymous_bank,
    read_interval_csv,
    read_master_csv,
    read_queue_log,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "asterisk"
# ../shared/data beside the repository (or beside the worktrees' parent, in development).
_ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (
        p
        for p in (_ROOT.parent / "shared" / "data", _ROOT.parents[1] / "shared" / "data")
        if p.exists()
    ),
    _ROOT.parent / "shared" / "data",
)
BANK_2003 = SHARED / "bank-calls-2003" / "calls-5min.csv"
BANK_1999 = SHARED / "anonymous-bank" / "february-1999.tsv"


def _per_queue(history: History, field: str) -> dict[str, float]:
    sums = getattr(history, field).sum(axis=(1, 2))
    return dict(zip(history.queues, sums.tolist(), strict=True))


# --- Asterisk queue_log --------------------------------------------------------------------


def test_queue_log_counts_match_the_recorded_scenarios() -> None:
    # The fixtures' README narrates the run: sales gets 1 answered call, then (abandon
    # scenario) 1 abandon and 1 timeout, then a burst of 5 with 1 abandon, then 1 IVR call;
    # support 2 calls answered after a no-answer; vip 2 calls plus 1 IVR call, all answered.
    h = read_queue_log(FIXTURES / "queue_log.txt")
    assert h.queues == ("sales", "support", "vip")
    assert _per_queue(h, "offered") == {"sales": 9, "support": 2, "vip": 3}
    assert _per_queue(h, "answered") == {"sales": 6, "support": 2, "vip": 3}
    assert _per_queue(h, "abandoned") == {"sales": 2, "support": 0, "vip": 0}


def test_queue_log_times_match_a_plain_parse() -> None:
    path = FIXTURES / "queue_log.txt"
    lines = [ln.split("|") for ln in path.read_text().splitlines() if ln]
    waits: Counter[str] = Counter()
    talk: Counter[str] = Counter()
    for parts in lines:
        if parts[4] == "CONNECT":
            waits[parts[2]] += int(parts[5])
        elif parts[4] == "ABANDON":
            waits[parts[2]] += int(parts[7])
        elif parts[4] == "COMPLETEAGENT":
            talk[parts[2]] += int(parts[6])
    h = read_queue_log(path, interval=300)
    assert _per_queue(h, "wait") == dict(waits)
    assert _per_queue(h, "handle") == dict(talk)
    # Every call is counted at its ENTERQUEUE epoch, in UTC by default.
    entries = [int(p[0]) for p in lines if p[4] == "ENTERQUEUE"]
    first = dt.datetime.fromtimestamp(min(entries), dt.timezone.utc)
    assert h.dates == (first.date(),)
    assert h.start == (first.hour * 3600 + first.minute * 60) // 300 * 300


def test_queue_log_zone_moves_the_day() -> None:
    h = read_queue_log(FIXTURES / "queue_log.txt", tz="America/Los_Angeles")
    utc = read_queue_log(FIXTURES / "queue_log.txt")
    assert h.dates[0] == utc.dates[0] - dt.timedelta(days=1)
    with pytest.raises(ParameterError, match="time zone"):
        read_queue_log(FIXTURES / "queue_log.txt", tz="Mars/Olympus")


def test_queue_log_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(
        "1795326212|c1|sales|NONE|ENTERQUEUE||5551001|1\n"
        "garbage line\n"
        "1795326214|c1|sales|Bob|CONNECT|x|c2|2\n"
        "1795326215|c9|sales|Bob|CONNECT|2|c2|2\n"
    )
    with pytest.raises(ConfigError) as err:
        read_queue_log(path)
    assert [p.split(": ")[0] for p in err.value.problems] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert "without ENTERQUEUE" in err.value.problems[2]


# --- Asterisk Master.csv ------------------------------------------------------------------


def test_master_csv_counts_match_a_plain_parse() -> None:
    path = FIXTURES / "Master.csv"
    with path.open(newline="") as handle:
        rows = [r for r in csv.reader(handle) if r]
    offered: dict[str, set[str]] = {}
    answered: dict[str, set[str]] = {}
    for r in rows:
        if r[7] == "Queue":
            queue = r[8].split(",")[0]
            offered.setdefault(queue, set()).add(r[19])
            if r[14] == "ANSWERED" and r[6]:
                answered.setdefault(queue, set()).add(r[19])
    h = read_master_csv(path)
    assert _per_queue(h, "offered") == {q: len(v) for q, v in offered.items()}
    assert _per_queue(h, "answered") == {q: len(answered.get(q, ())) for q in offered}
    assert np.isnan(h.handle).all()
    assert np.isnan(h.wait).all()


def test_master_csv_with_the_userfield_sees_the_timeout_call() -> None:
    # Same totals as queue_log (README scenarios); the timeout counts as abandoned in CDRs.
    h = read_master_csv(FIXTURES / "Master.csv", userfield_prefix="callroute-")
    assert _per_queue(h, "offered") == {"sales": 9, "support": 2, "vip": 3}
    assert _per_queue(h, "answered") == {"sales": 6, "support": 2, "vip": 3}
    assert _per_queue(h, "abandoned") == {"sales": 3, "support": 0, "vip": 0}


def test_master_csv_bad_rows(tmp_path: Path) -> None:
    good = (FIXTURES / "Master.csv").read_text().splitlines()[1]
    bad_time = good.replace('"2026-11-22 05:43:32","2026-11-22 05:43:32"', '"yesterday",""', 1)
    path = tmp_path / "Master.csv"
    path.write_text(f'{good}\n"a","b"\n{bad_time}\n')
    with pytest.raises(ConfigError) as err:
        read_master_csv(path)
    assert err.value.problems[0].startswith(f"{path}:2: 2 columns")
    assert err.value.problems[1].startswith(f"{path}:3: start must be")


# --- interval CSV -------------------------------------------------------------------------


def test_interval_csv_round_trip_and_resample(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    lines = ["interval_start,calls,queue"]
    for day in ("2024-01-08", "2024-01-09"):
        for minute, calls in ((0, 1), (15, 2), (30, 3), (45, 4)):
            lines.append(f"{day} 09:{minute:02d},{calls},a")
            lines.append(f"{day} 09:{minute:02d},{10 * calls},b")
    path.write_text("\n".join(lines) + "\n")
    h = read_interval_csv(path)
    assert (h.interval, h.start, h.slots, h.queues) == (900, 9 * 3600, 4, ("a", "b"))
    assert h.total("a").tolist() == [[1, 2, 3, 4]] * 2
    assert h.total().tolist() == [[11, 22, 33, 44]] * 2
    assert np.isnan(h.answered).all()
    half = h.resample(1800)
    assert half.total("b").tolist() == [[30, 70]] * 2
    assert half.slot_labels() == ["09:00", "09:30"]
    hour = h.resample(3600)
    assert hour.total().tolist() == [[110]] * 2
    with pytest.raises(ParameterError):
        h.resample(1000)


def test_interval_csv_reports_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "interval_start,calls\n"
        "2024-01-08 09:00,5\n"
        "2024-01-08 09:15,-1\n"
        "2024-01-08 9h30,4\n"
        "2024-01-08 09:45,many\n"
        "2024-01-08 09:15,2\n"
    )
    with pytest.raises(ConfigError) as err:
        read_interval_csv(path)
    where = [p.split(": ")[0] for p in err.value.problems]
    assert where == [f"{path}:3", f"{path}:4", f"{path}:5"]


def test_interval_csv_missing_interval_is_an_error_not_a_zero(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(
        "interval_start,calls\n"
        "2024-01-08 09:00,5\n2024-01-08 09:15,5\n2024-01-08 09:30,5\n"
        "2024-01-09 09:00,5\n2024-01-09 09:30,5\n"
        "2024-01-08 09:15,5\n"
    )
    with pytest.raises(ConfigError) as err:
        read_interval_csv(path)
    assert any("repeats line 3" in p and ":7:" in p for p in err.value.problems)
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(ConfigError, match="2024-01-09: 1 of 3 intervals"):
        read_interval_csv(path)


def test_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="cannot read"):
        read_interval_csv(tmp_path / "nope.csv")
    path = tmp_path / "cols.csv"
    path.write_text("when,calls\n2024-01-08 09:00,1\n")
    with pytest.raises(ConfigError, match="no 'interval_start' column"):
        read_interval_csv(path)


# --- the real data (development workspace only) -------------------------------------------


@pytest.fixture
def bank_2003() -> Path:
    if not BANK_2003.exists():
        pytest.skip(f"bank 2003 arrivals not found at {BANK_2003} (development workspace only)")
    return BANK_2003


@pytest.fixture
def bank_month() -> Path:
    if not BANK_1999.exists():
        pytest.skip(f"bank call records not found at {BANK_1999} (development workspace only)")
    return BANK_1999


def test_bank_2003_known_figures(bank_2003: Path) -> None:
    h = read_interval_csv(bank_2003)
    # README: 120 weekdays from 2003-03-03 to 2003-08-21, 169 five-minute intervals from
    # 07:00, 3,900,744 calls; four weekdays absent (a gap and two holidays).
    assert (h.interval, h.start, h.slots, len(h.dates)) == (300, 7 * 3600, 169, 120)
    assert h.offered.sum() == 3_900_744
    assert (h.dates[0], h.dates[-1]) == (dt.date(2003, 3, 3), dt.date(2003, 8, 21))
    weekdays = [
        h.dates[0] + dt.timedelta(days=i)
        for i in range((h.dates[-1] - h.dates[0]).days + 1)
        if (h.dates[0] + dt.timedelta(days=i)).weekday() < 5
    ]
    absent = sorted(set(weekdays) - set(h.dates))
    assert absent == [
        dt.date(2003, 4, 4),
        dt.date(2003, 4, 7),
        dt.date(2003, 5, 26),
        dt.date(2003, 7, 4),
    ]
    totals = h.total().sum(axis=1)
    monday = np.mean([t for d, t in zip(h.dates, totals, strict=True) if d.weekday() == 0])
    assert round(monday) == 36_805


def test_anonymous_bank_known_figures(bank_month: Path) -> None:
    h = read_anonymous_bank(bank_month)
    # README: 33,344 calls; 27,162 served by an agent; 3,963 abandoned from the queue.
    assert h.offered.sum() == 33_344
    assert h.answered.sum() == 27_162
    assert h.abandoned.sum() == 3_963
    assert len(h.dates) == 28
    assert set(h.queues) == {"PS", "PE", "IN", "NE", "NW", "TT"}


def test_anonymous_bank_times_match_a_plain_parse(bank_month: Path) -> None:
    rows = list(csv.DictReader(bank_month.open(), delimiter="\t"))
    served = sum(int(r["ser_time"]) for r in rows if r["outcome"] == "AGENT")
    waited = sum(
        int(r["q_time"])
        for r in rows
        if r["outcome"] == "AGENT" or (r["outcome"] == "HANG" and r["q_start"] != "0:00:00")
    )
    h = read_anonymous_bank(bank_month, interval=3600)
    assert h.handle.sum() == served
    assert h.wait.sum() == waited


def test_anonymous_bank_bad_rows(tmp_path: Path) -> None:
    head = (
        "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
        "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver"
    )
    good = (
        "AA0101\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t0:00:00\t0:00:00\t0\t"
        "AGENT\t7:02:55\t7:05:41\t166\tDORIT"
    )
    path = tmp_path / "calls.tsv"
    path.write_text(
        "\n".join(
            [
                head,
                good,
                good.replace("990201", "99-02-01"),
                good.replace("AGENT", "LOST"),
                good.replace("\t166\t", "\t-3\t"),
                "too\tshort",
            ]
        )
        + "\n"
    )
    with pytest.raises(ConfigError) as err:
        read_anonymous_bank(path)
    assert [p.split(": ")[0] for p in err.value.problems] == [f"{path}:{n}" for n in (3, 4, 5, 6)]


# --- the simulator's call records ---------------------------------------------------------


def test_simulator_records_match_its_interval_statistics() -> None:
    import callroute as cr
    from callroute.wfm import from_call_records

    model = {
        "queues": [{"name": "q", "max_no_answer": 0}],
        "groups": [{"name": "g", "count": 20}],
        "calls": [
            {
                "name": "c",
                "queue": "q",
                "handle": cr.exponential(180),
                "patience": cr.exponential(60),
            }
        ],
        "arrivals": cr.poisson(0.1),
    }
    res = cr.simulate(model, horizon=4 * 3600, replications=1, seed=3, record_calls=True)
    assert res.calls is not None
    start = dt.datetime(2024, 1, 8, 8, 0)
    h = from_call_records(res.calls, start=start, interval=int(res.interval), lines=res.lines)
    sim = res.intervals()
    slots = h.slots
    assert h.dates == (start.date(),)
    assert h.start == 8 * 3600
    # The simulator's own per-interval counters are the independent truth.
    assert h.offered[0, 0].tolist() == sim["offered"][:slots].tolist()
    assert h.answered[0, 0].tolist() == sim["answered"][:slots].tolist()
    assert h.abandoned[0, 0].tolist() == sim["abandoned"][:slots].tolist()
    assert sim["offered"][slots:].sum() == 0


def test_simulator_records_bad_values() -> None:
    from callroute.wfm import from_call_records

    calls = {
        "arrival": [0.0, -1.0, 5.0, 7.0],
        "line": [0, 0, 3, 0],
        "wait": [0.0, 0.0, 0.0, 0.0],
        "outcome": [0, 0, 0, 9],
        "handle": [10.0, 10.0, 10.0, 10.0],
    }
    with pytest.raises(ConfigError) as err:
        from_call_records(calls, start=dt.datetime(2024, 1, 1), lines=["q"])
    assert [p.split(": ")[1] for p in err.value.problems] == ["calls[1]", "calls[2]", "calls[3]"]
