"""The modelling layer's only door to the warehouse (and to the generator's truth files).

On DuckDB (the default engine), reads open the file with ``read_only=True``
and hand Arrow to Polars; the one write (the scores table) opens a
read-write connection just for that insert. On Spark (``LEDGERLAB_ENGINE=spark``),
reads scan the Parquet files Spark wrote with Polars and the scores are
written back through Spark (``ledgerlab.core.spark_tables``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import polars as pl

from ledgerlab.core import config, warehouse
from ledgerlab.core.errors import UserError
from ml.errors import TaskSkipped
from ml.tasks import Task

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _checked_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise UserError(f"{name!r} is not a plain [schema.]table name")
    return name


def read_mart(task: Task, warehouse_path: Path | None = None) -> pl.DataFrame:
    """All rows of the task's mart, or TaskSkipped when the mart is missing or empty."""
    mart = _checked_name(task.mart)
    schema, table = mart.split(".") if "." in mart else ("main", mart)
    if config.engine() == "spark":
        return _read_spark_mart(task, schema, table)
    with warehouse.connection(warehouse_path, read_only=True) as con:
        if not warehouse.table_exists(con, schema, table):
            raise TaskSkipped(f"{task.name}: table {mart} does not exist in the warehouse (run `dbt build`)")
        arrow = con.sql(f"select * from {mart}").arrow()
        if hasattr(arrow, "read_all"):  # DuckDB 2 returns a RecordBatchReader; a Table keeps the schema
            arrow = arrow.read_all()
        df = pl.from_arrow(arrow)
    if not isinstance(df, pl.DataFrame):  # a single column comes back as a Series
        df = df.to_frame()
    if df.height == 0:
        raise TaskSkipped(f"{task.name}: {mart} is empty")
    return df


def _read_spark_mart(task: Task, schema: str, table: str) -> pl.DataFrame:
    """The mart as Spark wrote it: its Parquet files, scanned lazily by Polars."""
    from ledgerlab.core import spark_tables

    if not spark_tables.exists(schema, table):
        raise TaskSkipped(
            f"{task.name}: Spark table {schema}.{table} does not exist (run `ledgerlab build --engine spark`)"
        )
    df = spark_tables.read(schema, table)
    if df.height == 0:
        raise TaskSkipped(f"{task.name}: {schema}.{table} is empty")
    return df


def _spark_manifest_paths(raw_table: str) -> list[str]:
    from ledgerlab.core import spark_tables

    if not spark_tables.exists("raw", "_ingest_manifest"):
        return []
    manifest = spark_tables.scan("raw", "_ingest_manifest")
    return (
        manifest.filter((pl.col("table_name") == raw_table) & pl.col("source_path").is_not_null())
        .select("source_path")
        .collect()
        .to_series()
        .to_list()
    )


def truth_path(task: Task, warehouse_path: Path | None = None) -> Path | None:
    """The generator's truth file for this task, found beside the raw file ingestion recorded."""
    if task.truth is None:
        return None
    if config.engine() == "spark":
        found = _spark_manifest_paths(task.truth.raw_table)
        candidate = Path(found[0]).parent / task.truth.file if found else None
        return candidate if candidate is not None and candidate.is_file() else None
    with warehouse.connection(warehouse_path, read_only=True) as con:
        if not warehouse.table_exists(con, "raw", "_ingest_manifest"):
            return None
        rows = con.execute(
            "select source_path from raw._ingest_manifest where table_name = ? and source_path is not null",
            [task.truth.raw_table],
        ).fetchall()
    if not rows:
        return None
    candidate = Path(rows[0][0]).parent / task.truth.file
    return candidate if candidate.is_file() else None


def read_truth(task: Task, warehouse_path: Path | None = None) -> pl.DataFrame | None:
    """``(key, true_probability)`` for generated data, None for real data."""
    path = truth_path(task, warehouse_path)
    if path is None or task.truth is None:
        return None
    truth = pl.read_parquet(path, columns=[task.truth.key, task.truth.probability])
    return truth.select(
        pl.col(task.truth.key).alias(task.key),
        pl.col(task.truth.probability).cast(pl.Float64).alias("true_probability"),
    )


def read_frame_file(path: Path) -> pl.DataFrame:
    """A CSV or Parquet file of mart rows (``predict_file``)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: input file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix in {".csv", ".txt"}:
        return pl.read_csv(path, infer_schema_length=None, try_parse_dates=True)
    raise UserError(f"{path}: expected a .csv or .parquet file, got {suffix or 'no extension'}")


def fingerprint(df: pl.DataFrame, key: str | list[str]) -> str:
    """SHA-256 of the frame's CSV text, rows sorted by key: same data -> same fingerprint."""
    ordered = df.select(sorted(df.columns)).sort(key)
    return hashlib.sha256(ordered.write_csv().encode("utf-8")).hexdigest()


def write_scores(task: Task, scores: pl.DataFrame, warehouse_path: Path | None = None) -> str:
    """Replace ``ml.scores_<task>`` with these rows; returns the table name."""
    table = _checked_name(f"ml.scores_{task.name}")
    if config.engine() == "spark":  # back to the engine the mart came from
        from ledgerlab.core import spark_tables

        return spark_tables.write("ml", f"scores_{task.name}", scores)
    arrow_scores = scores.to_arrow()
    try:
        con = warehouse.connect(warehouse_path, read_only=False)
    except duckdb.IOException as exc:  # another process holds the file
        raise UserError(f"cannot write {table}: the warehouse is open in another process ({exc})") from exc
    try:
        con.execute("create schema if not exists ml")
        con.register("scores_to_write", arrow_scores)
        con.execute(f"create or replace table {table} as select * from scores_to_write")
        con.unregister("scores_to_write")
    finally:
        con.close()
    return table
