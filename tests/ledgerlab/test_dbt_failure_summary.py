"""A failed dbt build is summarised from run_results.json: model, column, test, rows, where to look."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ledgerlab.core import errors
from ledgerlab.dbt import DbtBuildFailed, DbtError, failure_from


def _write_target(target: Path, results: list[dict], nodes: dict) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))


def _env(tmp_path: Path) -> dict[str, str]:
    return {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}


def test_failed_tests_and_models_are_named_with_rows_and_places(tmp_path: Path) -> None:
    rel = "test.ledgerlab.relationships_fct_transactions_account_id__account_id__ref_dim_accounts_.abc"
    results = [
        {"unique_id": "model.ledgerlab.dim_clients", "status": "success", "failures": None, "message": "OK"},
        {"unique_id": rel, "status": "fail", "failures": 191, "message": "Got 191 results, configured to fail if != 0"},
        {
            "unique_id": "model.ledgerlab.loan_features",
            "status": "error",
            "failures": None,
            "message": "Runtime Error in model loan_features\n  Conversion Error: could not convert",
        },
    ]
    nodes = {
        rel: {
            "attached_node": "model.ledgerlab.fct_transactions",
            "column_name": "account_id",
            "test_metadata": {"name": "relationships"},
            "original_file_path": "models_sql/marts/core/_core__models.yml",
        },
        "model.ledgerlab.loan_features": {
            "name": "loan_features",
            "original_file_path": "models_sql/marts/features/loan_features.sql",
        },
    }
    _write_target(tmp_path / "target", results, nodes)
    error = failure_from(["build", "--exclude-resource-type", "unit_test"], 1, ["noise\n"], _env(tmp_path), time.time())
    assert isinstance(error, DbtBuildFailed) and error.exit_code == errors.EXIT_DATA_FAILED
    lines = str(error).splitlines()
    assert lines[0] == "dbt build failed: 1 model(s) failed to build and 1 data test(s) failed"
    assert lines[1] == (
        "  ERROR model loan_features: Conversion Error: could not convert (models_sql/marts/features/loan_features.sql)"
    )
    assert lines[2] == (
        "  FAIL test relationships on fct_transactions.account_id: 191 row(s) (models_sql/marts/core/_core__models.yml)"
    )
    assert "marts.quarantine_rows" in lines[-1] and str(tmp_path / "logs" / "dbt.log") in lines[-1]
    assert len(lines) == 4


def test_a_stale_run_results_file_is_not_reported(tmp_path: Path) -> None:
    rel = "test.ledgerlab.not_null_x_y.abc"
    _write_target(tmp_path / "target", [{"unique_id": rel, "status": "fail", "failures": 3}], {})
    old = time.time() - 3600
    os.utime(tmp_path / "target" / "run_results.json", (old, old))
    output = ["Encountered an error:\n", "Runtime Error\n", '  IO Error: Cannot open file "w.duckdb"\n']
    error = failure_from(["build"], 2, output, _env(tmp_path), time.time())
    assert type(error) is DbtError and error.exit_code == errors.EXIT_USER_ERROR
    assert str(error).count("\n") == 0
    assert "dbt build could not run (dbt exit 2): IO Error: Cannot open file" in str(error)
    assert "not_null" not in str(error)
