"""Outbound files: campaign configuration, contact lists (bad rows by line), DNC, results,
and calling windows across daylight-saving changes (truth: the zones' published rules)."""

from __future__ import annotations

import io
from datetime import datetime, time, timezone
from pathlib import Path

import pytest
from callroute.errors import ConfigError, ParameterError, UnknownIdError
from callroute.outbound import (
    CampaignConfig,
    ContactListError,
    ContactResult,
    EngineClock,
    ZoneTable,
    load_campaign,
    normalize_number,
    read_contacts,
    read_dnc,
    write_results,
    zone_spans,
)

UTC = timezone.utc


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- campaign files


def test_campaign_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", "id: renewals\ncaller_id: '+18005550100'\n")
    c = load_campaign(path)
    assert c.windows.start == time(8, 0)
    assert c.windows.end == time(21, 0)
    assert c.abandon_cap == 0.03
    assert c.cap_window_seconds == 30 * 86400  # the US rule
    assert c.connect_within == 2.0
    assert c.queue_name == "renewals"
    assert c.retry_rule("busy").max_attempts >= 1


def test_campaign_full(tmp_path: Path) -> None:
    text = """
id: renewals
tenant: acme
queue: outq
mode: predictive
caller_id: 18005550100
skills: {renewals: 2}
windows: {start: "09:30", end: "20:00"}
retry:
  machine: {delay: 7200, max_attempts: 2}
cap_window: uk
threshold: auto
amd_false_positive: 0.02
"""
    c = load_campaign(_write(tmp_path, "c.yaml", text))
    assert c.mode == "predictive"
    assert c.caller_id == "18005550100"
    assert c.windows.start == time(9, 30)
    assert c.retry_rule("machine").delay == 7200
    assert c.retry_rule("no_answer").max_attempts >= 1  # default kept
    assert c.cap_window_seconds == 86400  # the UK rule
    assert c.threshold == "auto"


def test_campaign_errors_name_file_and_key(tmp_path: Path) -> None:
    text = """
id: renewals
caller_id: "call me"
mode: robocall
windows: {start: "21:00", end: "08:00"}
retry:
  busy: {delay: -5}
  voicemail: {delay: 5}
abandon_cap: 1.5
cap_window: eu
colour: blue
"""
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    err = info.value
    assert err.source == str(path)
    where = {p.location for p in err.problems}
    assert {"caller_id", "mode", "windows.end", "retry.busy.delay", "abandon_cap"} <= where
    assert "colour" in where
    assert any(p.location.startswith("retry.voicemail") for p in err.problems)
    assert any(p.location.startswith("cap_window") for p in err.problems)
    assert str(path) in str(err)


@pytest.mark.parametrize(
    ("key", "value"), [("abandon_cap", 0), ("abandon_cap", 1), ("amd_false_positive", 1)]
)
def test_campaign_values_the_dialer_refuses_are_refused_at_their_key(
    tmp_path: Path, key: str, value: float
) -> None:
    """The dialer takes a cap in (0, 1) and a false-positive rate in [0, 1): a file giving
    the ends is told so at the key when it is read, not when `serve` builds the dialer."""
    path = _write(tmp_path, "c.yaml", f"id: r\ncaller_id: '+15550100'\n{key}: {value}\n")
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    assert [p.location for p in info.value.problems] == [key]
    # the same key of a blended day's campaign has the same bounds (one definition)
    from callroute.outbound.blendfile import BlendCampaign
    from callroute.outbound.config import DialingKeys

    assert issubclass(BlendCampaign, DialingKeys)


def test_campaign_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_campaign(_write(tmp_path, "c.yaml", "- a\n- b\n"))


def test_campaign_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_campaign(tmp_path / "nope.yaml")


def test_campaign_model_is_frozen() -> None:
    c = CampaignConfig(id="x", caller_id="+15550100")
    with pytest.raises(ValueError, match="frozen"):
        c.id = "y"  # type: ignore[misc]


# ---------------------------------------------------------------- contact lists


def test_contacts_read(tmp_path: Path) -> None:
    text = (
        "\ufeffID,Numbers,Timezone,Priority,Name,Balance\n"
        "c1,+1 (312) 555-0100;+13125550101,America/Chicago,5,Ann,10.50\n"
        "c2,02071234567,Europe/London,,Bob,\n"
        "\n"
        "c3,5550100|5550100,,0,Cy,3\n"
    )
    contacts = read_contacts(_write(tmp_path, "l.csv", text), default_zone="America/New_York")
    assert [c.id for c in contacts] == ["c1", "c2", "c3"]
    assert contacts[0].numbers == ("+13125550100", "+13125550101")
    assert contacts[0].priority == 5
    assert dict(contacts[0].data) == {"Name": "Ann", "Balance": "10.50"}
    assert contacts[1].zone == "Europe/London"
    assert contacts[1].priority == 0
    assert dict(contacts[1].data) == {"Name": "Bob"}  # an empty cell is no data
    assert contacts[2].numbers == ("5550100",)  # the same number once
    assert contacts[2].zone == "America/New_York"
    assert [c.line for c in contacts] == [2, 3, 5]


def test_contacts_numbered_columns(tmp_path: Path) -> None:
    text = "id,number1,number2,tz\nc1,5550101,5550102,UTC\nc2,,5550103,UTC\n"
    contacts = read_contacts(_write(tmp_path, "l.csv", text))
    assert contacts[0].numbers == ("5550101", "5550102")
    assert contacts[1].numbers == ("5550103",)


def test_contacts_bad_rows_reported_by_line(tmp_path: Path) -> None:
    text = (
        "id,number,timezone,priority\n"
        "c1,5550101,America/Chicago,1\n"  # 2: fine
        "c2,not-a-number,America/Chicago,1\n"  # 3
        "c1,5550102,America/Chicago,1\n"  # 4: duplicate id
        "c4,5550104,Mars/Olympus,1\n"  # 5: unknown zone
        "c5,5550105,America/Chicago,high\n"  # 6: priority
        ",5550106,America/Chicago,1\n"  # 7: no id
        "c7,,America/Chicago,1\n"  # 8: no number
        "c8,5550108\n"  # 9: short row
        "c9,5550109,UTC,2\n"  # 10: fine
    )
    path = _write(tmp_path, "list.csv", text)
    with pytest.raises(ContactListError) as info:
        read_contacts(path)
    err = info.value
    assert isinstance(err, ConfigError)
    assert sorted(err.lines) == [3, 4, 5, 6, 7, 8, 9]
    assert "already on line 2" in err.lines[4][0]
    assert "Mars/Olympus" in err.lines[5][0]
    assert all(p.location.startswith("list.csv:") for p in err.problems)
    text_of = str(err)
    assert f"{path}:3:" in text_of
    assert f"{path}:9:" in text_of
    assert "7 bad rows" in text_of


def test_contacts_bad_header(tmp_path: Path) -> None:
    with pytest.raises(ContactListError) as info:
        read_contacts(_write(tmp_path, "l.csv", "name,city\nAnn,Paris\n"))
    messages = " ".join(info.value.lines[1])
    assert "id column" in messages
    assert "number column" in messages
    assert "timezone" in messages


def test_contacts_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ContactListError):
        read_contacts(_write(tmp_path, "l.csv", ""))


def test_contacts_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(b"id,number,tz\nc1,555\xff,UTC\n")
    with pytest.raises(ContactListError, match="UTF-8"):
        read_contacts(path)


def test_normalize_number() -> None:
    assert normalize_number(" +44 20 7123-4567 ") == "+442071234567"
    assert normalize_number("12") == "12"
    assert normalize_number("1") is None
    assert normalize_number("++1555") is None
    assert normalize_number("555x") is None
    assert normalize_number("1" * 21) is None


def test_dnc(tmp_path: Path) -> None:
    text = "number\n+1 312 555 0100\n# a comment\n\n5550101, added 2026-01-01\nnope\n"
    path = _write(tmp_path, "dnc.txt", text)
    with pytest.raises(ContactListError) as info:
        read_dnc(path)
    assert sorted(info.value.lines) == [6]
    ok = _write(tmp_path, "ok.txt", "number\n+1 312 555 0100\n5550101\n")
    assert read_dnc(ok) == {"+13125550100", "5550101"}


def test_write_results(tmp_path: Path) -> None:
    at = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    rows = [ContactResult("c1", 2, "person", at), ContactResult("c2", 0, None, None)]
    buf = io.StringIO()
    assert write_results(buf, rows) == 2
    assert buf.getvalue().splitlines() == [
        "contact_id,attempts,outcome,last_attempt",
        "c1,2,person,2026-03-08T14:00:00+00:00",
        "c2,0,,",
    ]
    path = tmp_path / "out.csv"
    write_results(path, rows)
    assert path.read_text().startswith("contact_id,")


# ---------------------------------------------------------------- windows and DST


def _wall(clock: EngineClock, spans: list[tuple[float, float]]) -> list[tuple[str, str]]:
    return [
        (clock.to_wall(a).strftime("%m-%d %H:%M"), clock.to_wall(b).strftime("%m-%d %H:%M"))
        for a, b in spans
    ]


def test_clock_mapping() -> None:
    clock = EngineClock.at(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), 100.0)
    assert clock.to_engine(datetime(2026, 3, 8, 12, 0, tzinfo=UTC)) == 100.0
    assert clock.to_wall(160.0) == datetime(2026, 3, 8, 12, 1, tzinfo=UTC)
    with pytest.raises(ParameterError):
        EngineClock(datetime(2026, 3, 8))
    with pytest.raises(ParameterError):
        clock.to_engine(datetime(2026, 3, 8))


def test_window_across_spring_forward() -> None:
    # US DST began 2026-03-08 at 02:00 EST (07:00 UTC): New York is UTC-5 before, UTC-4 after
    clock = EngineClock(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    spans = zone_spans("America/New_York", time(8), time(21), clock, 0.0, 3 * 86400.0)
    assert _wall(clock, spans) == [
        ("03-07 00:00", "03-07 02:00"),  # the evening of 03-06 (21:00 EST = 02:00 UTC)
        ("03-07 13:00", "03-08 02:00"),  # 08:00-21:00 EST
        ("03-08 12:00", "03-09 01:00"),  # 08:00-21:00 EDT: one hour earlier in UTC
        ("03-09 12:00", "03-10 00:00"),  # cut at the horizon
    ]
    # 13 hours each day, 23 hours from one start to the next across the change
    assert spans[1][1] - spans[1][0] == spans[2][1] - spans[2][0] == 13 * 3600
    assert spans[2][0] - spans[1][0] == 23 * 3600


def test_window_inside_the_skipped_hour() -> None:
    # 02:00-03:00 does not exist in New York on 2026-03-08: 02:15 is reached at the change
    clock = EngineClock(datetime(2026, 3, 8, 0, 0, tzinfo=UTC))
    spans = zone_spans("America/New_York", time(2, 15), time(4), clock, 0.0, 86400.0)
    assert _wall(clock, spans) == [("03-08 07:00", "03-08 08:00")]


def test_window_across_fall_back() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC): 01:00-02:00 happens twice
    clock = EngineClock(datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    spans = zone_spans("America/New_York", time(1, 30), time(3), clock, 0.0, 86400.0)
    # the narrower reading: from the second 01:30 (EST, 06:30 UTC) to 03:00 EST (08:00 UTC)
    assert _wall(clock, spans) == [("11-01 06:30", "11-01 08:00")]
    day = zone_spans("America/New_York", time(8), time(21), clock, 0.0, 2 * 86400.0)
    assert _wall(clock, day)[:2] == [
        ("11-01 00:00", "11-01 01:00"),  # 10-31 until 21:00 EDT (UTC-4)
        ("11-01 13:00", "11-02 02:00"),  # 08:00-21:00 EST (UTC-5), 13 h
    ]


def test_window_london_and_southern_hemisphere() -> None:
    # Europe/London: BST from 2026-03-29 01:00 UTC; Australia/Sydney: AEDT ends 2026-04-05
    clock = EngineClock(datetime(2026, 3, 28, 0, 0, tzinfo=UTC))
    london = zone_spans("Europe/London", time(8), time(21), clock, 0.0, 2 * 86400.0)
    assert _wall(clock, london) == [("03-28 08:00", "03-28 21:00"), ("03-29 07:00", "03-29 20:00")]
    clock = EngineClock(datetime(2026, 4, 4, 0, 0, tzinfo=UTC))
    sydney = zone_spans("Australia/Sydney", time(8), time(21), clock, 0.0, 2 * 86400.0)
    # 04-04 08:00 AEDT = 04-03 21:00 UTC (before the horizon: cut); 04-05 08:00 AEST = 04-04 22:00
    assert _wall(clock, sydney)[:2] == [
        ("04-04 00:00", "04-04 10:00"),
        ("04-04 22:00", "04-05 11:00"),
    ]


def test_window_errors() -> None:
    clock = EngineClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(UnknownIdError):
        zone_spans("Nowhere/Town", time(8), time(21), clock, 0.0, 10.0)
    with pytest.raises(ParameterError):
        zone_spans("UTC", time(21), time(8), clock, 0.0, 10.0)
    with pytest.raises(ParameterError):
        zone_spans("UTC", time(8), time(21), clock, 10.0, 0.0)


def test_zone_table() -> None:
    table = ZoneTable(["UTC", "Europe/Paris", "UTC"])
    assert table.names == ["UTC", "Europe/Paris"]
    assert table.index("Asia/Tokyo") == 2
    clock = EngineClock(datetime(2026, 6, 1, tzinfo=UTC))
    spans = table.spans(time(8), time(21), clock, 0.0, 86400.0)
    assert spans[0] == [(8 * 3600.0, 21 * 3600.0)]
    assert spans[1] == [(6 * 3600.0, 19 * 3600.0)]  # CEST, UTC+2
    assert spans[2][0] == (0.0, 12 * 3600.0)  # Tokyo UTC+9: 08:00 = 23:00 UTC the day before
    with pytest.raises(UnknownIdError):
        table.index("Nowhere/Town")


# ---------------------------------------------------------------- the CLI


def test_cli_outbound_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from callroute.cli import main

    camp = _write(tmp_path, "c.yaml", "id: r\ncaller_id: '+18005550100'\nmode: predictive\n")
    ok = _write(
        tmp_path,
        "ok.csv",
        "id,number,timezone\na,5550101,America/Chicago\nb,5550102,Asia/Tokyo\n",
    )
    dnc = _write(tmp_path, "dnc.txt", "5550101\n")
    # 15:00 UTC: 09:00 in Chicago (CST, open), 00:00 in Tokyo (closed)
    argv = ["outbound", "check", str(camp), str(ok), "--dnc", str(dnc)]
    assert main([*argv, "--at", "2026-12-02T15:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "contacts: 2 (2 numbers) in 2 time zones" in out
    # the defaults: the US rule's 3 % over 30 days, a 5 % risk of a window above it
    assert "abandonment cap 3.0% over 30 days (risk of a window above it 5%)" in out
    assert "1 contacts with only blocked numbers" in out
    assert "callable at 2026-12-02T15:00+00:00: 1 of 2" in out
    bad = _write(tmp_path, "bad.csv", "id,number,timezone\na,55x,UTC\nb,5550102,Nowhere/X\n")
    assert main(["outbound", "check", str(camp), str(bad)]) == 2
    out = capsys.readouterr().out
    assert f"{bad}:2: error: number: '55x' is not a phone number" in out
    assert f"{bad}:3: error: timezone: unknown IANA zone 'Nowhere/X'" in out
    broken = _write(tmp_path, "b.yaml", "id: r\ncaller_id: nope\n")
    assert main(["outbound", "check", str(broken), str(ok)]) == 2
    assert "caller_id" in capsys.readouterr().out
