"""Scored against the truth: on generated data every injected defect kind is caught.

Caught means quarantined by dbt (rows in marts.quarantine_rows with that
reason) or flagged by a failing expectation that declares the kind in its
``catches``; summary.json's ``defect_coverage`` says which. On clean
generated data nothing blocking fails. Both build small warehouses (400
accounts) with the generator and dbt, so they are marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def test_every_injected_defect_kind_is_caught(defects_run) -> None:
    outcome, truth = defects_run
    kinds = sorted({row[0] for row in duckdb.sql(f"select distinct kind from read_parquet('{truth}')").fetchall()})
    assert kinds, "the generator injected no defects"
    coverage = json.loads(Path(outcome.summary_path).read_text())["defect_coverage"]
    missed = [kind for kind in kinds if not coverage[kind]["caught"]]
    assert missed == [], f"defect kinds caught by nothing: {missed}"
    for kind in kinds:
        assert coverage[kind]["caught_by"], kind
        assert all(by == "quarantine" or ": " in by for by in coverage[kind]["caught_by"])


def test_quarantine_counts_match_the_truth(defects_run) -> None:
    outcome, truth = defects_run
    summary = json.loads(Path(outcome.summary_path).read_text())
    expected = dict(duckdb.sql(f"select kind, count(*) from read_parquet('{truth}') group by kind").fetchall())
    for kind, n in expected.items():
        assert summary["defect_coverage"][kind]["quarantined_rows"] == n, kind


def test_defective_data_raises_warnings_but_nothing_blocking(defects_run) -> None:
    outcome, _ = defects_run
    assert not outcome.blocking_failed, outcome.blocking_failures
    assert any(name.startswith("marts.quarantine_rows: quarantined_") for name in outcome.warnings)


def test_clean_generated_data_has_no_failures(clean_generated_run) -> None:
    assert not clean_generated_run.blocking_failed, clean_generated_run.blocking_failures
    assert clean_generated_run.warnings == []
    names = {s.name for s in clean_generated_run.suites}
    assert {
        "marts.loan_features",
        "marts.fct_transactions",
        "marts.quarantine_rows",
        "staging.stg_berka__transactions",
        "marts.fct_digital_events",
    } <= names
