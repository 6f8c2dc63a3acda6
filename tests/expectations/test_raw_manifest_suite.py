"""The manifest suite on tolerated files: a header-only required table and an extra column warn, never block."""

from __future__ import annotations

from pathlib import Path

from ledgerlab.ingest import ingest

from .conftest import TINY_FILES


def test_header_only_required_file_and_extra_column_are_warnings(gx_home: Path, tmp_path: Path, run_validate) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, lines in TINY_FILES.items():
        (raw / name).write_text("\n".join(lines) + "\n")
    (raw / "card.asc").write_text(TINY_FILES["card.asc"][0] + "\n")  # header only
    loan = TINY_FILES["loan.asc"]
    (raw / "loan.asc").write_text(loan[0] + ';"branch"\n' + loan[1] + ";B7\n")  # one undeclared column
    warehouse = tmp_path / "w.duckdb"
    ingest(raw, warehouse_path=warehouse)
    outcome = run_validate(gx_home / "runs" / "manifest_tolerance", warehouse, ["raw._ingest_manifest", "raw.loan"])
    assert not outcome.blocking_failed, outcome.blocking_failures
    assert "raw._ingest_manifest: required_files_not_empty" in outcome.warnings
    assert "raw._ingest_manifest: no_undeclared_columns" in outcome.warnings
