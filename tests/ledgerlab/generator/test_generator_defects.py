"""Every defect listed in _truth/defects.parquet is really at its line, and nothing else is broken."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from ledgerlab.generator import DEFECT_KINDS, DefectRates

HEADERS = {
    "account.asc": ("account_id", "district_id", "frequency", "date"),
    "client.asc": ("client_id", "birth_number", "district_id"),
    "disp.asc": ("disp_id", "client_id", "account_id", "type"),
    "order.asc": ("order_id", "account_id", "bank_to", "account_to", "amount", "k_symbol"),
    "loan.asc": ("loan_id", "account_id", "date", "amount", "duration", "payments", "status"),
    "card.asc": ("card_id", "disp_id", "type", "issued"),
    "trans.asc": (
        "trans_id",
        "account_id",
        "date",
        "type",
        "operation",
        "amount",
        "balance",
        "k_symbol",
        "bank",
        "account",
    ),
}
PARENT = {"account_id": "account.asc", "client_id": "client.asc", "disp_id": "disp.asc", "district_id": "district.asc"}


def _valid_date(text: str) -> bool:
    try:
        d = dt.datetime.strptime(text[:6], "%y%m%d").date()
    except ValueError:
        return False
    return len(text) in (6, 15) and dt.date(1993, 1, 1) <= d


def _normalise(line: str) -> str:
    """Undo the repaired kinds: comma decimals, stray blanks inside quotes, letter case."""
    fields = []
    for f in line.split(";"):
        if f.startswith('"') and f.endswith('"') and len(f) >= 2 and f.strip('"').strip():
            f = '"' + f.strip('"').strip() + '"'
        fields.append(f.replace(",", ".").lower())
    return ";".join(fields)


def test_truth_columns_and_kinds(dirty_run):
    out, summary = dirty_run
    d = pl.read_parquet(out / "_truth" / "defects.parquet")
    assert d.columns == ["file", "table", "line", "kind", "column", "action"]
    assert set(d["kind"]) <= set(DEFECT_KINDS)
    assert set(d["action"]) <= {"rejected", "repaired"}
    assert d.filter(pl.col("kind").is_in(["comma_decimal", "untrimmed_code", "wrong_case_code"]))[
        "action"
    ].unique().to_list() == ["repaired"]
    assert (d["line"] >= 1).all()
    assert d.height == summary.n_defects > 0
    assert d.select("file", "line", "kind").is_unique().all()


def test_each_listed_defect_is_at_its_line(dirty_run, lines_of):
    out, _ = dirty_run
    d = pl.read_parquet(out / "_truth" / "defects.parquet")
    files = {name: lines_of(out / name) for name in d["file"].unique().to_list()}
    ids = {
        name: {line.split(";")[0] for line in lines_of(out / name)[1:]}
        for name in ("account.asc", "client.asc", "disp.asc", "district.asc")
    }
    checked = 0
    for row in d.iter_rows(named=True):
        name, kind, column = row["file"], row["kind"], row["column"]
        lines = files[name]
        text = lines[row["line"] - 1]
        if name.endswith(".jsonl"):
            if kind == "malformed_json":
                with pytest.raises(json.JSONDecodeError):
                    json.loads(text)
            elif kind == "duplicate_row":
                assert text in lines[: row["line"] - 1]
            else:
                e = json.loads(text)
                if kind == "null_key":
                    assert e["client_id"] is None
                elif kind == "orphan_foreign_key":
                    assert str(e["client_id"]) not in ids["client.asc"]
                elif kind == "date_after_end":
                    assert (e.get("ts") or e.get("event_time")) > "1998-12-31T23:59:59"
                elif kind == "untrimmed_code":
                    assert e["event_type"] != e["event_type"].strip()
                elif kind == "wrong_case_code":
                    assert e["event_type"] != e["event_type"].lower()
            checked += 1
            continue
        header = HEADERS[name]
        f = dict(zip(header, text.split(";")))
        assert len(text.split(";")) == len(header)
        if kind == "duplicate_row":
            assert text in lines[1 : row["line"] - 1]
        elif kind == "null_key":
            assert f[column] == ""
        elif kind == "orphan_foreign_key":
            parent = PARENT[column]
            assert f[column] and f[column] not in ids[parent]
        elif kind == "malformed_date":
            assert not _valid_date(f[column])
        elif kind == "date_after_end":
            assert _valid_date(f[column]) and f[column][:6] > "981231"
        elif kind == "out_of_domain_code":
            assert f[column] == '"XYZ"'
        elif kind == "impossible_amount":
            assert float(f[column]) <= 0
        elif kind == "comma_decimal":
            assert "," in f[column] and "." not in f[column]
        elif kind == "untrimmed_code":
            inner = f[column].strip('"')
            assert inner != inner.strip() and inner.strip()
        elif kind == "wrong_case_code":
            inner = f[column].strip('"')
            assert inner not in (inner.upper() if name != "card.asc" else inner.lower())
        else:
            raise AssertionError(f"unexpected kind {kind}")
        checked += 1
    assert checked == d.height


def test_dirty_minus_rejected_and_repaired_equals_clean(dirty_run, clean_run, lines_of):
    """Rejected rows are extra rows and repairs are cosmetic: the clean data is intact."""
    dirty_out, _ = dirty_run
    clean_out, _ = clean_run
    d = pl.read_parquet(dirty_out / "_truth" / "defects.parquet")
    for name in list(HEADERS) + ["district.asc"]:
        rejected = set(d.filter((pl.col("file") == name) & (pl.col("action") == "rejected"))["line"].to_list())
        repaired = set(d.filter((pl.col("file") == name) & (pl.col("action") == "repaired"))["line"].to_list())
        dirty = lines_of(dirty_out / name)
        kept = [(i + 1, line) for i, line in enumerate(dirty) if i + 1 not in rejected]
        clean = lines_of(clean_out / name)
        assert len(kept) == len(clean), name
        for (ln, got), want in zip(kept, clean):
            if ln in repaired:
                assert _normalise(got) == _normalise(want) and got != want, (name, ln)
            else:
                assert got == want, (name, ln)
    rejected_events = set(d.filter(pl.col("file") == "digital_events.jsonl")["line"].to_list())
    dirty_events = lines_of(dirty_out / "digital_events.jsonl")
    clean_events = lines_of(clean_out / "digital_events.jsonl")
    repaired_events = set(
        d.filter((pl.col("file") == "digital_events.jsonl") & (pl.col("action") == "repaired"))["line"].to_list()
    )
    kept = [
        (i + 1, line) for i, line in enumerate(dirty_events) if i + 1 not in rejected_events or i + 1 in repaired_events
    ]
    assert len(kept) == len(clean_events)
    for (ln, got), want in zip(kept, clean_events):
        if ln not in repaired_events:
            assert got == want


def test_clean_run_has_no_defects(clean_run, lines_of):
    out, summary = clean_run
    assert summary.n_defects == 0
    assert pl.read_parquet(out / "_truth" / "defects.parquet").height == 0
    for line in lines_of(out / "digital_events.jsonl"):
        json.loads(line)


def test_rates_are_configurable(tmp_path):
    from ledgerlab.generator import generate

    none = DefectRates(**{k: 0.0 for k in DEFECT_KINDS})
    s = generate(tmp_path / "none", accounts=120, seed=3, defect_rates=none)
    assert s.n_defects == 0
    many = DefectRates(duplicate_row=0.01)
    s = generate(tmp_path / "many", accounts=120, seed=3, defect_rates=many)
    assert s.defects_by_kind["duplicate_row"] > 100
