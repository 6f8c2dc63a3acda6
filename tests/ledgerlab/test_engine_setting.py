"""The engine setting and the Spark engine's readers that need no Spark.

`--engine` / LEDGERLAB_ENGINE is resolved in one place (config.engine); the
ML layer, the quality gate and the insight report read Spark's tables as
the Parquet files Spark writes (ledgerlab.core.spark_tables). These tests
lay such files out by hand (the folder layout of Spark's Hive warehouse),
so they run without Java; tests/ledgerlab/engines/test_spark.py
and the end-to-end figures in docs/SCALE_OUT.md cover real Spark.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ledgerlab.core import config, errors, spark_tables
from ledgerlab.core.quality_gate import QualityGateError, enforce_quality_gate, latest_quality_status


def test_the_engine_is_duckdb_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGERLAB_ENGINE", raising=False)
    assert config.engine() == "duckdb"
    monkeypatch.setenv("LEDGERLAB_ENGINE", " Spark ")
    assert config.engine() == "spark"
    monkeypatch.setenv("LEDGERLAB_ENGINE", "snowflake")
    with pytest.raises(config.UnknownEngine, match="unknown engine 'snowflake'.*duckdb or spark"):
        config.engine()


@pytest.mark.parametrize("command", ["run", "ingest", "validate"])
def test_an_unknown_engine_is_a_one_line_error(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGERLAB_", "DBT_"))}
    env["LEDGERLAB_HOME"] = str(tmp_path)
    args = ["--raw", str(tmp_path)] if command == "ingest" else []
    proc = subprocess.run(
        [sys.executable, "-m", "ledgerlab", command, *args, "--engine", "snowflake"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == errors.EXIT_USER_ERROR
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "unknown engine 'snowflake'" in proc.stderr


def _spark_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path))
    monkeypatch.delenv("LEDGERLAB_SPARK_DIR", raising=False)
    monkeypatch.setenv("LEDGERLAB_ENGINE", "spark")
    return spark_tables.warehouse_dir()


def _write_spark_table(schema: str, table: str, frame: pl.DataFrame, partition_by: str | None = None) -> None:
    """Files as Spark lays out a managed table: part files, a _SUCCESS marker, partition folders."""
    folder = spark_tables.table_dir(schema, table)
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").write_text("")
    if partition_by is None:
        frame.write_parquet(folder / "part-00000-x.snappy.parquet")
        return
    for (value,), part in frame.group_by([partition_by], maintain_order=True):
        sub = folder / f"{partition_by}={value}"
        sub.mkdir()
        part.drop(partition_by).write_parquet(sub / "part-00000-x.snappy.parquet")


def test_spark_tables_are_read_from_their_files_with_partition_columns(tmp_path, monkeypatch) -> None:
    warehouse = _spark_home(tmp_path, monkeypatch)
    assert warehouse == tmp_path / "build" / "spark" / "warehouse"
    frame = pl.DataFrame({"trans_id": [1, 2, 3], "amount": [1.5, 2.5, 3.5], "trans_month": ["a", "a", "b"]})
    _write_spark_table("marts", "fct_example", frame, partition_by="trans_month")
    read = spark_tables.read("marts", "fct_example").sort("trans_id")
    assert read.select("trans_id", "amount", "trans_month").to_dicts() == frame.to_dicts()
    assert spark_tables.tables() == {"marts": ["fct_example"]}
    with pytest.raises(errors.MissingStep, match="no Spark table marts.missing"):
        spark_tables.scan("marts", "missing")


def test_the_ml_layer_reads_a_spark_mart_and_skips_a_missing_one(tmp_path, monkeypatch) -> None:
    from ml import data
    from ml.errors import TaskSkipped
    from ml.tasks import load_task

    _spark_home(tmp_path, monkeypatch)
    task = load_task("loan_default")
    schema, table = task.mart.split(".")
    with pytest.raises(TaskSkipped, match="does not exist"):
        data.read_mart(task)
    mart = pl.DataFrame({"loan_id": [2, 1], "is_default": [True, False]})
    _write_spark_table(schema, table, mart)
    assert data.read_mart(task).sort("loan_id").to_dicts() == mart.sort("loan_id").to_dicts()


def test_the_quality_gate_reads_the_spark_history(tmp_path, monkeypatch) -> None:
    _spark_home(tmp_path, monkeypatch)
    assert not latest_quality_status().validated
    runs = pl.DataFrame(
        {
            "run_id": ["old", "new"],
            "run_at": [datetime(2026, 1, 1), datetime(2026, 1, 2)],
            "data_fingerprint": ["f1", "f2"],
            "report_path": ["r1", "r2"],
        }
    )
    results = pl.DataFrame(
        {
            "run_id": ["old", "new", "new", "new"],
            "suite": ["s", "s", "s", "t"],
            "expectation_id": ["a", "b", "c", "d"],
            "severity": ["blocking", "blocking", "warning", "blocking"],
            "success": [False, False, False, True],
        }
    )
    _write_spark_table("quality", "validation_runs", runs)
    _write_spark_table("quality", "validation_results", results)
    status = latest_quality_status()
    assert (status.run_id, status.data_fingerprint, status.report_path) == ("new", "f2", "r2")
    assert status.blocking_failures == ["s: b"] and status.warnings == ["s: c"]
    with pytest.raises(QualityGateError, match="1 blocking failure"):
        enforce_quality_gate()


def test_duckdb_views_over_spark_files_serve_the_insight_report(tmp_path, monkeypatch) -> None:
    from ledgerlab.insights.data import Warehouse

    _spark_home(tmp_path, monkeypatch)
    _write_spark_table("marts", "dim_districts", pl.DataFrame({"district_id": [1, 2], "name": ["a", "b"]}))
    with Warehouse() as wh:
        assert wh.has("marts", "dim_districts") and not wh.has("marts", "loan_features")
        assert isinstance(wh.con, duckdb.DuckDBPyConnection)
        assert wh.con.execute("select sum(district_id) from marts.dim_districts").fetchall() == [(3,)]
