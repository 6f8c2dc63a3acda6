"""Profiling: each check's SQL, run on a made-up table with one known flaw per check."""

from __future__ import annotations

import duckdb
import pytest

from expectations.suites import profile


@pytest.fixture(scope="module")
def con():
    """5,000 rows shaped like a marketing extract: codes for 'never', unknowns, a rare yes."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        """
        create table raw.campaign as
        select
            cast(i as varchar) as client_no,
            case when i % 25 = 0 then cast(i % 30 as varchar) else '999' end as pdays,
            case when i % 50 = 0 then 'unknown' when i % 2 = 0 then 'admin.' else 'technician' end as job,
            case when i in (7, 8, 9) then 'yes' when i % 5 = 0 then 'unknown' else 'no' end as "default",
            'EUR' as currency,
            case when i % 10 = 0 then 'promo' end as note,
            cast(i % 90 as varchar) as age,
            'campaign.csv' as _source_file, i + 1 as _source_line, now()::timestamp as _loaded_at
        from range(1, 5001) as r(i)
        """
    )
    con.execute(
        "insert into raw.campaign select * replace (_source_line + 10000 as _source_line) "
        "from raw.campaign where client_no in ('11', '12')"
    )
    return con


def findings(con, name: str, sampled: int = 0, has_key: bool = False, **declared) -> list[tuple]:
    (check,) = [c for c in profile._checks(sampled, has_key, "raw.campaign", **declared) if c.name == name]
    sql = check.expectation.unexpected_rows_query.replace("{batch}", "raw.campaign")
    return con.execute(sql).fetchall()


def test_sentinel_values(con) -> None:
    assert findings(con, "sentinel_values") == [("pdays", "999", 4802, 0.96)]  # 4,800 + the two duplicates, of 5,002


def test_unknown_categories(con) -> None:
    assert [(c, v, n) for c, v, n, _ in findings(con, "unknown_categories")] == [
        ("default", "unknown", 1000),
        ("job", "unknown", 100),
    ]


def test_rare_categories(con) -> None:
    assert [(c, v, n) for c, v, n, _ in findings(con, "rare_categories")] == [("default", "yes", 3)]


def test_near_constant_and_mostly_empty_columns(con) -> None:
    assert [(c, v) for c, v, *_ in findings(con, "near_constant_columns")] == [("currency", "EUR"), ("note", "promo")]
    assert findings(con, "mostly_empty_columns") == [("note", 4502, 0.9)]


def test_duplicate_rows_only_without_a_declared_key(con) -> None:
    duplicates = findings(con, "duplicate_rows")
    assert sorted(row[0] for row in duplicates) == ["11", "12"] and {row[-1] for row in duplicates} == {2}
    assert "duplicate_rows" not in [c.name for c in profile._checks(0, has_key=True, table="raw.campaign")]


def test_a_large_table_is_profiled_on_a_sample(con, monkeypatch) -> None:
    con.execute("create or replace table raw.big as select c.* from raw.campaign as c, range(100)")  # 500,200 rows
    monkeypatch.setattr(profile, "SAMPLE_ROWS", 50_000)
    (check,) = [c for c in profile._checks(500_200, False, "raw.big") if c.name == "sentinel_values"]
    sql = check.expectation.unexpected_rows_query.replace("{batch}", "raw.big")
    first = con.execute(sql).fetchall()
    (_, _, rows, share) = first[0]
    assert rows < 500_200 * 0.96 / 2 and 0.9 < share < 1.0  # about a tenth of the rows, the same share
    assert "rowid" in sql, "sampled in the scan, by position"
    con.execute("set threads = 2")  # the seeded system sample taken in the scan varied from run to run here
    assert all(con.execute(sql).fetchall() == first for _ in range(3)), "the same sample every run"


def test_what_the_source_declares_intended_is_not_flagged(con) -> None:
    """``known_codes`` and ``sparse`` in a column's meta: codes and emptiness by design."""
    assert findings(con, "sentinel_values", known=[("pdays", "999")]) == []
    assert [(c, v) for c, v, *_ in findings(con, "unknown_categories", known=[("job", "unknown")])] == [
        ("default", "unknown")
    ]
    assert findings(con, "mostly_empty_columns", sparse=["note"]) == []


def test_a_sampled_profile_runs_through_gx(tiny_raw_warehouse, tmp_path, run_validate, monkeypatch) -> None:
    """GX hands a check its batch as a subquery, which has no row positions: the sampled checks
    read the table by name (they failed with "rowid not found" under GX, and only there)."""
    import json

    monkeypatch.setattr(profile, "SAMPLE_ABOVE", 0)
    monkeypatch.setattr(profile, "SAMPLE_ROWS", 1)  # every table with rows is sampled
    run_validate(tmp_path / "home", tiny_raw_warehouse, ["profile"], jobs=1)
    summary = json.loads((tmp_path / "home" / "reports" / "quality" / "summary.json").read_text())
    checks = [(s["name"], e) for s in summary["suites"] for e in s["expectations"]]
    assert len(checks) >= 5 * 3, "the profile suites of the tiny warehouse ran"
    assert [(name, e["id"], e["error"]) for name, e in checks if e.get("error")] == []
