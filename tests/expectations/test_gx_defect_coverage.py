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


# --- which layer checks what (docs/DATA_QUALITY.md) -------------------------------------------

# The checks GX handed to dbt (issue 17): each is a dbt data test on the model, run by every
# `dbt build`, and blocks the build when it fails. (model, column, dbt test)
HANDED_TO_DBT = {
    "stg_berka__accounts": [("account_id", "not_null"), ("statement_frequency", "accepted_values")],
    "stg_berka__clients": [("client_key", "not_null"), ("gender", "accepted_values")],
    "stg_berka__dispositions": [("disp_id", "not_null"), ("disposition_type", "accepted_values")],
    "stg_berka__cards": [("card_id", "not_null"), ("card_type", "accepted_values")],
    "stg_berka__districts": [("district_id", "not_null")],
    "stg_berka__loans": [("loan_id", "not_null"), ("loan_status", "accepted_values")],
    "stg_berka__orders": [("order_id", "not_null")],
    # the staging suite of transactions reads the view's materialised copy (read_from), as do dbt's tests
    "int_transactions_validated": [("trans_id", "not_null"), ("direction", "accepted_values")],
    "quarantine_rows": [("reason", "accepted_values"), ("source_line", "not_null")],
    "dim_districts": [("district_id", "not_null"), ("district_id", "unique")],
    "dim_accounts": [
        ("account_id", "not_null"),
        ("account_id", "unique"),
        ("district_id", "relationships"),
        ("owner_client_key", "relationships"),
        ("statement_frequency", "accepted_values"),
    ],
    "dim_clients": [
        ("client_key", "not_null"),
        ("client_key", "unique"),
        ("district_id", "relationships"),
        ("gender", "accepted_values"),
        ("age_band_at_data_end", "accepted_values"),
    ],
    "loan_features": [
        ("loan_id", "not_null"),
        ("loan_id", "unique"),
        ("account_id", "relationships"),
        ("loan_status", "accepted_values"),
        ("owner_gender", "accepted_values"),
        ("owner_age_band", "accepted_values"),
    ],
    "fct_transactions": [
        ("trans_id", "not_null"),
        ("trans_id", "unique"),
        ("account_id", "relationships"),
        ("direction", "accepted_values"),
        ("amount", "accepted_range"),
        ("balance_after", "not_null"),
    ],
    "fct_digital_events": [
        ("event_id", "not_null"),
        ("event_id", "unique"),
        ("client_key", "relationships"),
        ("channel", "accepted_values"),
        ("event_type", "accepted_values"),
    ],
    "card_propensity_features": [
        ("disp_id", "not_null"),
        ("disp_id", "unique"),
        ("account_id", "relationships"),
        ("took_card", "not_null"),
        ("owner_age_band", "accepted_values"),
    ],
    "card_default_features": [
        ("card_client_id", "not_null"),
        ("card_client_id", "unique"),
        ("is_default", "not_null"),
        ("sex", "accepted_values"),
        ("education", "accepted_values"),
        ("marital_status", "accepted_values"),
        ("age_band", "accepted_values"),
        *[(f"repay_status_m{m}", "accepted_range") for m in range(1, 7)],
    ],
}


def _dbt_structural_tests(gx_home: Path) -> dict[tuple[str, str, str], dict]:
    """(model, column, test) -> the test's config, for dbt's generic tests of the warehouse's project."""
    manifest = json.loads((gx_home / "generated_defects" / "target" / "manifest.json").read_text())
    out = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and node.get("column_name") and metadata.get("name"):
            model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
            out[(model, node["column_name"], metadata["name"])] = {**metadata.get("kwargs", {}), **node["config"]}
    return out


def test_every_check_gx_handed_to_dbt_is_a_dbt_test(defects_run, gx_home: Path) -> None:
    tests = _dbt_structural_tests(gx_home)
    missing = [(m, c, t) for m, checks in HANDED_TO_DBT.items() for c, t in checks if (m, c, t) not in tests]
    assert missing == [], f"checks no layer runs any more: {missing}"
    for model, checks in HANDED_TO_DBT.items():
        for column, test in checks:
            config = tests[(model, column, test)]
            assert config.get("severity", "error").lower() == "error", (model, column)  # fails the build
            if model.startswith(("stg_", "int_")):
                assert config.get("where") == "is_valid", (model, column)  # GX's row condition is_valid


def test_no_structural_check_is_in_both_layers(defects_run, gx_home: Path) -> None:
    """Keys, foreign keys and code domains are dbt's: no GX suite repeats a dbt test."""
    from expectations._gx import gxe
    from expectations.spec import read_facts
    from expectations.suites import MODULES, _module

    kinds = {
        gxe.ExpectColumnValuesToNotBeNull: "not_null",
        gxe.ExpectColumnValuesToBeUnique: "unique",
        gxe.ExpectColumnValuesToBeInSet: "accepted_values",
    }
    tests = _dbt_structural_tests(gx_home)
    facts = read_facts(gx_home / "generated_defects" / "warehouse.duckdb")
    repeated = []
    for module in MODULES:
        for suite in _module(module).suites(facts):  # every suite, skipped ones too (Taiwan)
            table = suite.relation[1]
            for check in suite.checks:
                expectation = check.expectation
                kind = kinds.get(type(expectation))
                if (
                    kind
                    and getattr(expectation, "mostly", 1) in (None, 1)
                    and (table, expectation.column, kind) in tests
                ):
                    repeated.append(f"{suite.name}: {check.name}")
                query = getattr(expectation, "unexpected_rows_query", "") or ""
                for column in {c for (m, c, t) in tests if m == table and t == "relationships"}:
                    if f"{column} not in (select" in query:
                        repeated.append(f"{suite.name}: {check.name}")
    assert repeated == [], f"checks in both dbt and GX: {repeated}"
