"""The runner end to end on a tiny raw warehouse: outcome, summary, history, gate."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from expectations.runner import ValidationSetupError, run_identifier, start_helper_processes, validate
from ledgerlab.core.quality_gate import QualityGateError, enforce_quality_gate, latest_quality_status


@pytest.fixture(scope="module")
def clean_run(tiny_clean_run):
    return tiny_clean_run


def test_clean_raw_data_passes(clean_run) -> None:
    assert not clean_run.blocking_failed, clean_run.blocking_failures
    names = [s.name for s in clean_run.suites]
    assert names[:2] == ["raw._ingest_manifest", "raw.account"]
    assert "raw.trans" in names
    # Absent optional sources are skipped with a note, not failed.
    skipped = {s.name: s.reason for s in clean_run.skipped}
    assert "raw.digital_events" in skipped and "raw.taiwan_credit_card" in skipped
    assert clean_run.n_expectations > 80
    assert clean_run.warnings == []


def test_every_expectation_carries_severity_catches_and_why(clean_run) -> None:
    for suite in clean_run.suites:
        for row in suite.expectations:
            assert row.severity in ("blocking", "warning")
            assert row.why, f"{suite.name}: {row.expectation_id} has no why"
            assert row.error is None, f"{suite.name}: {row.expectation_id}: {row.error}"


def test_summary_and_lines(clean_run) -> None:
    summary = json.loads(Path(clean_run.summary_path).read_text())
    assert summary["run_id"] == clean_run.run_id
    assert summary["blocking_failed"] is False
    account = next(s for s in summary["suites"] if s["name"] == "raw.account")
    assert account["status"] == "passed"
    assert account["row_count"] == 3
    assert {e["severity"] for e in account["expectations"]} == {"blocking", "warning"}
    assert set(summary["defect_coverage"]) >= {"duplicate_row", "comma_decimal", "malformed_json"}
    lines = clean_run.lines()
    assert any(line.strip().startswith("raw.account") and "passed" in line for line in lines)
    assert any("index.html" in line for line in lines)
    assert Path(clean_run.docs_index).exists()


def test_history_is_recorded_and_the_gate_passes(clean_run, tiny_raw_warehouse: Path) -> None:
    con = duckdb.connect(str(tiny_raw_warehouse), read_only=True)
    try:
        run = con.execute(
            "select data_fingerprint, n_expectations, n_blocking_failed, success, report_path "
            "from quality.validation_runs where run_id = ?",
            [clean_run.run_id],
        ).fetchall()
        n_results = con.execute(
            "select count(*) from quality.validation_results where run_id = ?", [clean_run.run_id]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert run and run[0][1] == clean_run.n_expectations and run[0][2] == 0 and run[0][3] is True
    assert n_results == clean_run.n_expectations
    status = enforce_quality_gate(tiny_raw_warehouse)
    assert status.run_id == clean_run.run_id and status.passed


def test_lost_rows_are_a_blocking_failure_and_the_gate_refuses(tiny_copy: Path, tmp_path: Path, run_validate) -> None:
    con = duckdb.connect(str(tiny_copy))
    con.execute("delete from raw.account where account_id = '3'")
    con.execute("update raw.trans set amount = '12,50' where trans_id = '2'")
    con.close()

    outcome = run_validate(tmp_path / "home", tiny_copy, ["raw"])

    assert outcome.blocking_failed
    assert "raw.account: row_count_matches_manifest" in outcome.blocking_failures
    # The comma is a defect staging repairs: a warning that names what it catches.
    assert "raw.trans: amount_uses_decimal_point" in outcome.warnings
    # Orphans left behind by the lost account are visible too.
    assert "raw.disp: account_id_references_account" in outcome.warnings
    summary = json.loads(Path(outcome.summary_path).read_text())
    assert summary["defect_coverage"]["comma_decimal"]["caught"] is True
    trans = next(s for s in summary["suites"] if s["name"] == "raw.trans")
    comma = next(e for e in trans["expectations"] if e["id"] == "amount_uses_decimal_point")
    assert comma["unexpected_sample"] == [{"_source_line": 3, "amount": "12,50"}]

    status = latest_quality_status(tiny_copy)
    assert status.run_id == outcome.run_id and not status.passed
    with pytest.raises(QualityGateError, match="row_count_matches_manifest"):
        enforce_quality_gate(tiny_copy)
    assert enforce_quality_gate(tiny_copy, allow_failed_quality=True).blocking_failures


def test_unknown_suite_names_are_refused(tiny_raw_warehouse: Path) -> None:
    with pytest.raises(ValidationSetupError, match="no_such_suite"):
        validate(warehouse_path=tiny_raw_warehouse, suites=["no_such_suite"])


def test_a_missing_warehouse_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationSetupError, match="does not exist"):
        validate(warehouse_path=tmp_path / "nowhere.duckdb")


def test_suites_can_be_selected_by_name(tiny_raw_warehouse: Path, tmp_path: Path, run_validate) -> None:
    outcome = run_validate(tmp_path / "home", tiny_raw_warehouse, ["raw.loan"])
    assert [s.name for s in outcome.suites] == ["raw.loan"]
    assert outcome.skipped == []


def test_run_ids_that_look_like_utc_offsets_do_not_crash_gx() -> None:
    """GX parses a run name as a date when no time is given; '-6219ad' reads as a 62-hour offset."""
    from datetime import datetime

    from great_expectations.core.run_identifier import RunIdentifier

    try:  # the stock behaviour guarded against (GX 1.24): a crash when building paths
        RunIdentifier(run_name="20261125T221118Z-6219ad").to_tuple()
    except ValueError as exc:
        assert "offset" in str(exc)
    run_at = datetime(2026, 11, 25, 21, 0, 0)
    identifier = run_identifier("20261125T221118Z-6219ad", run_at)
    assert identifier.to_tuple()[0] == "20261125T221118Z-6219ad"
    assert identifier.run_time.year == 2026 and identifier.run_time.hour == 21


def test_a_check_without_a_result_counts_as_failed() -> None:
    from expectations._gx import gxe
    from expectations.results import ExpectationRow
    from expectations.runner import _with_missing
    from expectations.spec import TableSuite, blocking

    suite = TableSuite("raw", "raw", "account").add(
        blocking("first", gxe.ExpectTableRowCountToBeBetween(min_value=1), "why one"),
        blocking("second", gxe.ExpectColumnValuesToNotBeNull(column="account_id"), "why two"),
    )
    found = [
        ExpectationRow(
            "raw.account",
            "first",
            "expect_table_row_count_to_be_between",
            None,
            "blocking",
            True,
            3,
            None,
            [],
            None,
            [],
            "why one",
        )
    ]
    rows = _with_missing(suite, found)
    assert [(r.expectation_id, r.success) for r in rows] == [("first", True), ("second", False)]
    assert rows[1].error and rows[1].severity == "blocking"


def _comparable(outcome) -> list[tuple]:
    """What a validation found, without what differs between runs (ids, times, paths)."""
    return [
        (
            suite.name,
            row.expectation_id,
            row.success,
            repr(row.observed_value),
            row.unexpected_count,
            repr(row.unexpected_sample),
            row.element_count,
            row.error,
        )
        for suite in outcome.suites
        for row in suite.expectations
    ]


def test_parallel_validation_finds_what_one_process_finds(
    tiny_copy: Path, tmp_path: Path, run_validate, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = duckdb.connect(str(tiny_copy))
    con.execute("delete from raw.account where account_id = '3'")
    con.execute("update raw.trans set amount = '12,50' where trans_id = '2'")
    con.close()

    one = run_validate(tmp_path / "one", tiny_copy, ["raw"], jobs=1)
    two = run_validate(tmp_path / "two", tiny_copy, ["raw"], jobs=2)
    # helpers started by the caller beforehand, as `ledgerlab run` does during the dbt build
    helpers = start_helper_processes(1)
    try:
        (tmp_path / "warm").mkdir()
        monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path / "warm"))
        warm = validate(warehouse_path=tiny_copy, suites=["raw"], helpers=helpers)
    finally:
        helpers.shutdown()

    assert one.blocking_failed and _comparable(two) == _comparable(one) == _comparable(warm)
    # one Data Docs site with a page for every suite, whichever process validated it
    for outcome, home in ((one, tmp_path / "one"), (two, tmp_path / "two"), (warm, tmp_path / "warm")):
        for suite in outcome.suites:
            assert suite.report_path, suite.name
            assert (home / "reports" / "quality" / suite.report_path).is_file(), suite.report_path
        assert (home / "reports" / "quality" / "gx" / "index.html").is_file()


def test_suites_are_handed_out_most_expensive_first() -> None:
    from expectations._gx import gxe
    from expectations.runner import suite_cost, work_order
    from expectations.spec import TableSuite, WarehouseFacts, blocking

    def suite(table: str, n_checks: int) -> TableSuite:
        return TableSuite("raw", "raw", table).add(
            *[blocking(f"check_{i}", gxe.ExpectColumnValuesToNotBeNull(column=f"c{i}"), "why") for i in range(n_checks)]
        )

    planned = [suite("a", 2), suite("big", 3), suite("c", 5), suite("d", 4), suite("e", 1)]
    facts = WarehouseFacts(Path("w.duckdb"), {}, [], row_estimates={"raw.big": 2_000_000})
    assert suite_cost(planned[1], facts) == 9.0  # 3 checks, each reading 2 M rows
    assert suite_cost(planned[2], facts) == 5.0  # a table without rows counts its checks
    assert [s.name for s in work_order(planned, facts)] == ["raw.big", "raw.c", "raw.d", "raw.a", "raw.e"]
