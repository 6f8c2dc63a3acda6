"""The files look exactly like the real Berka files."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

HEADERS = {
    "account.asc": '"account_id";"district_id";"frequency";"date"',
    "client.asc": '"client_id";"birth_number";"district_id"',
    "disp.asc": '"disp_id";"client_id";"account_id";"type"',
    "order.asc": '"order_id";"account_id";"bank_to";"account_to";"amount";"k_symbol"',
    "loan.asc": '"loan_id";"account_id";"date";"amount";"duration";"payments";"status"',
    "card.asc": '"card_id";"disp_id";"type";"issued"',
    "district.asc": "A1;A2;A3;A4;A5;A6;A7;A8;A9;A10;A11;A12;A13;A14;A15;A16",
    "trans.asc": '"trans_id";"account_id";"date";"type";"operation";"amount";"balance";"k_symbol";"bank";"account"',
}
Q = r'"[^"]*"'
DATE = r"\d{6}"
MONEY = r"-?\d+\.\d{2}"
BANK = r'"[A-Z]{2}"'
ROW = {
    "account.asc": rf'^\d+;\d+;"POPLATEK (MESICNE|TYDNE|PO OBRATU)";{DATE}$',
    "client.asc": r'^\d+;"\d{6}";\d+$',
    "disp.asc": r'^\d+;\d+;\d+;"(OWNER|DISPONENT)"$',
    "order.asc": rf'^\d+;\d+;{BANK};"\d+";\d+\.\d{{2}};"(SIPO|POJISTNE|UVER|LEASING| )"$',
    "loan.asc": r'^\d+;\d+;\d{6};\d+;(12|24|36|48|60);\d+\.\d{2};"[ABCD]"$',
    "card.asc": r'^\d+;\d+;"(junior|classic|gold)";\d{6} 00:00:00$',
    "trans.asc": (
        rf'^\d+;\d+;{DATE};"(PRIJEM|VYDAJ|VYBER)";"(VYBER KARTOU|VKLAD|PREVOD Z UCTU|VYBER|PREVOD NA UCET|)";'
        rf'\d+\.\d{{2}};{MONEY};"(POJISTNE|SIPO|LEASING|UVER|SLUZBY|UROK|SANKC\. UROK|DUCHOD|| )";'
        rf'({BANK};"\d+"|"";"0"|;)$'
    ),
}


def _date(yymmdd: str) -> dt.date:
    return dt.date(1900 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_and_row_shape(clean_run, lines_of, name):
    out, _ = clean_run
    lines = lines_of(out / name)
    assert lines[0] == HEADERS[name]
    assert len(lines) > 1
    n_fields = HEADERS[name].count(";") + 1
    assert all(line.count(";") == n_fields - 1 for line in lines if '"' not in line or name != "district.asc")
    if name in ROW:
        bad = [line for line in lines[1:] if not re.match(ROW[name], line)]
        assert bad == [], bad[:5]


def test_dates_parse_and_lie_in_range(clean_run, lines_of):
    out, _ = clean_run
    for name, col, lo, hi in (
        ("account.asc", 3, dt.date(1993, 1, 1), dt.date(1997, 12, 29)),
        ("loan.asc", 2, dt.date(1993, 7, 1), dt.date(1998, 12, 31)),
        ("trans.asc", 2, dt.date(1993, 1, 1), dt.date(1998, 12, 31)),
    ):
        dates = [_date(line.split(";")[col]) for line in lines_of(out / name)[1:]]
        assert min(dates) >= lo and max(dates) <= hi, name
    issued = [_date(line.split(";")[3][:6]) for line in lines_of(out / "card.asc")[1:]]
    assert max(issued) <= dt.date(1998, 12, 31)


def test_birth_numbers_encode_sex_in_the_month(clean_run, lines_of):
    out, _ = clean_run
    months = [int(line.split(";")[1].strip('"')[2:4]) for line in lines_of(out / "client.asc")[1:]]
    assert all(1 <= m <= 12 or 51 <= m <= 62 for m in months)
    women = sum(m > 50 for m in months) / len(months)
    assert 0.4 < women < 0.6
    for line in lines_of(out / "client.asc")[1:]:
        bn = line.split(";")[1].strip('"')
        month = int(bn[2:4]) % 50
        dt.date(1900 + int(bn[:2]), month, int(bn[4:6]))  # a real date


def test_district_file(clean_run, lines_of):
    out, _ = clean_run
    rows = [line.split(";") for line in lines_of(out / "district.asc")[1:]]
    assert len(rows) == 77
    assert [int(r[0]) for r in rows] == list(range(1, 78))
    missing = [r for r in rows if r[11] == "?" or r[14] == "?"]
    assert len(missing) == 1 and missing[0][11] == "?" and missing[0][14] == "?"
    assert all(re.match(r"^\d+\.\d$", r[9]) for r in rows)
    assert all(re.match(r"^\d+\.\d{2}$", r[12]) for r in rows)
    assert len({r[1] for r in rows}) == 77


def test_payments_are_amount_over_duration(clean_run, lines_of):
    out, _ = clean_run
    for line in lines_of(out / "loan.asc")[1:]:
        _, _, _, amount, duration, payments, _ = line.split(";")
        assert abs(int(amount) / int(duration) - float(payments)) < 0.005


def test_events_schema_versions(clean_run, lines_of):
    out, _ = clean_run
    lines = lines_of(out / "digital_events.jsonl")
    assert len(lines) > 100
    events = [json.loads(line) for line in lines]
    times = []
    for e in events:
        assert e["event_type"] in {
            "login",
            "payment_initiated",
            "card_block",
            "limit_change",
            "password_reset",
            "statement_view",
        }
        assert e["channel"] in {"web", "mobile"}
        if e["schema_version"] == 1:
            assert "ts" in e and "event_time" not in e and "session_id" not in e
            assert e["ts"] < "1997-07-01"
            times.append(e["ts"])
        else:
            assert e["schema_version"] == 2 and "ts" not in e and isinstance(e["session_id"], str)
            assert e["event_time"] >= "1997-07-01"
            times.append(e["event_time"])
        assert ("app_version" in e["device"]) == (e["channel"] == "mobile")
        assert ("amount" in e) == (e["event_type"] in {"payment_initiated", "limit_change"})
        assert "1996-01-01" <= times[-1][:10] <= "1998-12-31"
    assert times == sorted(times)  # one sort block at this size
    assert any("geo" not in e for e in events) and any("geo" in e for e in events)
