"""The Spark engine's tables as files: read by Polars, written through Spark.

Spark (local, Hive catalog) keeps a managed table of database ``db`` as
Parquet files under ``<spark warehouse>/<db>.db/<table>/``, a partitioned
table with ``<column>=<value>`` folders. Readers that only need the rows
(the ML layer's marts, the quality gate, the ingest manifest) scan those
files lazily with Polars: no JVM starts, nothing goes through pandas, and
the files are what a cluster's executors wrote. Writes (scores, the
validation history) go through the process's Spark session, so that the
table is in Spark's catalog like any dbt model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ledgerlab.core import spark as spark_engine
from ledgerlab.core.errors import MissingStep

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def warehouse_dir() -> Path:
    """Where Spark keeps its tables (``spark.sql.warehouse.dir`` of ``ledgerlab.core.spark``)."""
    return spark_engine.spark_dir() / "warehouse"


def table_dir(schema: str, table: str) -> Path:
    return warehouse_dir() / f"{schema.lower()}.db" / table.lower()


def exists(schema: str, table: str) -> bool:
    return table_dir(schema, table).is_dir()


def _files(folder: Path) -> list[Path]:
    # Spark's own markers (_SUCCESS, .crc) and hidden staging folders are not data
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts)
    )


def scan(schema: str, table: str) -> pl.LazyFrame:
    """The table's rows, lazily (partition columns from the folder names); MissingStep if absent."""
    folder = table_dir(schema, table)
    if not folder.is_dir():
        raise MissingStep(f"no Spark table {schema}.{table} in {warehouse_dir()}: run `ledgerlab build --engine spark`")
    files = _files(folder)
    if not files:  # an empty Spark table has no data files
        return pl.LazyFrame()
    return pl.scan_parquet(files, hive_partitioning=True, hive_schema=None, missing_columns="insert")


def read(schema: str, table: str) -> pl.DataFrame:
    return scan(schema, table).collect()


def write(
    schema: str, table: str, frame: pl.DataFrame, *, mode: str = "overwrite", spark: SparkSession | None = None
) -> str:
    """Write ``frame`` to the Spark table ``schema.table`` (``overwrite`` or ``append``); returns its name."""
    spark = spark or spark_engine.session()
    spark.sql(f"create database if not exists {schema}")
    # Arrow hands the rows to Spark as columns (no pandas); Spark >= 4 takes a pyarrow Table.
    # (the oldest Arrow layout: plain strings, which every Spark 4 reads)
    data = spark.createDataFrame(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
    data.coalesce(1).write.mode(mode).format("parquet").saveAsTable(f"{schema}.{table}")
    return f"{schema}.{table}"


def tables() -> dict[str, list[str]]:
    """Schema → the Spark tables that have a folder under the warehouse."""
    found: dict[str, list[str]] = {}
    root = warehouse_dir()
    for schema_dir in sorted(root.glob("*.db")) if root.is_dir() else []:
        found[schema_dir.name.removesuffix(".db")] = sorted(p.name for p in schema_dir.iterdir() if p.is_dir())
    return found


def attach_as_views(con) -> None:
    """Give an in-memory DuckDB connection one view per Spark table, over its Parquet files.

    For readers written against the DuckDB warehouse (the insight report): they
    then read what Spark wrote, unchanged. An empty table (no files) gets no view.
    """
    for schema, names in tables().items():
        con.execute(f'create schema if not exists "{schema}"')
        for name in names:
            files = _files(table_dir(schema, name))
            if files:
                listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                con.execute(
                    f'create or replace view "{schema}"."{name}" as '
                    f"select * from read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"
                )
