"""Load raw files into Spark's ``raw`` database with Spark's own readers.

The Spark twin of ``ledgerlab.ingest`` (same tables, lineage, manifest and
rejected-line semantics); nothing here goes through DuckDB or pandas, so on a
cluster the executors read the files where they lie.

- Every column lands as text, exactly as written: a quoted ``""`` stays an
  empty string, an unquoted empty field is NULL.
- ``_source_line`` is the 1-based physical line (header = line 1). Spark
  reads a file in byte-range splits; each line's number is its index inside
  its split plus the lines of all earlier splits (``_metadata.file_block_start``
  orders them), so no single task has to see the whole file.
- A line that does not split into the file's columns (too few, too many, an
  unclosed quote) goes to ``raw._rejected_lines``, so per file
  lines - 1 = loaded rows + rejected lines.

It reads the catalog through ``ledgerlab.core.sources`` (table, files, columns,
reader, required) and finds files with ``ledgerlab.ingest.locate``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ledgerlab.core import spark as spark_engine
from ledgerlab.core.sources import RawSource
from ledgerlab.ingest import IngestError, IngestResult, LoadedTable, plan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

RAW_DATABASE = "raw"
_CORRUPT = "_ledgerlab_unparsed"


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def numbered_lines(spark: SparkSession, path: Path | str) -> DataFrame:
    """Every line of a text file as (value, _source_line), numbered from 1."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    text = spark.read.text(str(path)).select(
        F.col("value"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_id"),
    )
    blocks = text.groupBy("_block").agg(F.count(F.lit(1)).alias("_lines"), F.min("_id").alias("_first_id"))
    earlier = Window.orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
    blocks = blocks.withColumn("_before", F.coalesce(F.sum("_lines").over(earlier), F.lit(0)))
    return text.join(F.broadcast(blocks), "_block").select(
        "value", (F.col("_before") + F.col("_id") - F.col("_first_id") + 1).cast("bigint").alias("_source_line")
    )


def _check_header(first_line: str | None, path: Path, source: RawSource, delimiter: str) -> None:
    if first_line is None or not first_line.strip():
        raise IngestError(f"{path}: file is empty (table {source.table})")
    header = [h.strip().strip('"').lower() for h in first_line.strip().split(delimiter)]
    if tuple(header) != source.columns:
        raise IngestError(
            f"{path}: line 1 header {first_line.strip()!r} does not match the expected columns "
            f"{';'.join(source.columns)} (table {source.table})"
        )


def _write(frame: DataFrame, table: str, mode: str = "overwrite") -> None:
    frame.write.mode(mode).format("parquet").saveAsTable(f"{RAW_DATABASE}.{table}")


def _load_delimited(spark: SparkSession, source: RawSource, path: Path) -> tuple[int, int]:
    from pyspark.sql import functions as F

    delimiter = source.delimiter
    schema = ", ".join(f"{_quoted(c)} string" for c in (*source.columns, _CORRUPT))
    options = {
        "sep": delimiter,
        "quote": '"',
        "escape": '"',
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": _CORRUPT,
        # unquoted empty -> NULL, quoted "" -> '' (as DuckDB's reader does)
        "nullValue": "\u0001",
        "emptyValue": "",
    }
    # The file is read and numbered once (cached): the header check, the
    # counts and the writes below all reuse it.
    parsed = (
        numbered_lines(spark, path)
        .select("value", "_source_line", F.from_csv(F.col("value"), schema, options).alias("r"))
        .persist()
    )
    try:
        first = parsed.filter(F.col("_source_line") == 1).select("value").collect()
        _check_header(first[0][0] if first else None, path, source, delimiter)
        data = parsed.filter(F.col("_source_line") > 1)
        unparsed = F.col(f"r.{_CORRUPT}").isNotNull()
        counts = dict(data.groupBy(unparsed.alias("bad")).count().collect())
        rows, rejected = counts.get(False, 0), counts.get(True, 0)
        loaded_at = F.current_timestamp().alias("_loaded_at")
        good = data.filter(~unparsed).select(
            *(F.col("r." + _quoted(c)).alias(c) for c in source.columns),
            F.lit(path.name).alias("_source_file"),
            "_source_line",
            loaded_at,
        )
        _write(good, source.table)
        if rejected:
            bad = data.filter(unparsed).select(
                F.lit(source.table).alias("source_table"),
                F.lit(path.name).alias("source_file"),
                F.col("_source_line").alias("line"),
                F.lit("MALFORMED LINE").alias("error_type"),
                F.lit(f"expected {len(source.columns)} columns separated by {delimiter!r}").alias("error_message"),
                F.col("value").alias("raw_line"),
                loaded_at,
            )
            _write(bad, "_rejected_lines", mode="append")
    finally:
        parsed.unpersist()
    return rows, rejected


def _load_jsonl(spark: SparkSession, source: RawSource, path: Path) -> tuple[int, int]:
    from pyspark.sql import functions as F

    # One column holding each line verbatim: JSON is parsed (and malformed
    # lines quarantined) in staging, not here.
    frame = numbered_lines(spark, path).select(
        F.col("value").alias("raw_line"),
        F.lit(path.name).alias("_source_file"),
        "_source_line",
        F.current_timestamp().alias("_loaded_at"),
    )
    _write(frame, source.table)
    return spark.table(f"{RAW_DATABASE}.{source.table}").count(), 0


def _load_parquet(spark: SparkSession, source: RawSource, path: Path) -> tuple[int, int]:
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(path)).select(
        *(F.col(_quoted(c)).cast("string").alias(c) for c in source.columns),
        F.lit(path.name).alias("_source_file"),
        (F.col("_metadata.row_index") + 2).cast("bigint").alias("_source_line"),
        F.current_timestamp().alias("_loaded_at"),
    )
    _write(frame, source.table)
    return spark.table(f"{RAW_DATABASE}.{source.table}").count(), 0


def _load_table(spark: SparkSession, source: RawSource, path: Path) -> LoadedTable:
    from pyspark.errors import PySparkException

    try:
        if path.suffix == ".parquet":
            rows, rejected = _load_parquet(spark, source, path)
        elif source.format == "jsonl":
            rows, rejected = _load_jsonl(spark, source, path)
        else:
            rows, rejected = _load_delimited(spark, source, path)
    except PySparkException as exc:
        message = str(exc).strip().splitlines()[0]
        raise IngestError(f"{path}: unreadable as table {source.table}: {message}") from None
    if rows == 0 and rejected == 0 and source.required:
        raise IngestError(f"{path}: has a header but no data rows (table {source.table})")
    # Spark numbers every line after the header, so its data lines are the loaded plus the rejected ones
    size = path.stat().st_size
    return LoadedTable(
        source.table, path, rows, rejected, size, source.source, rows + rejected, required=source.required
    )


def _create_empty(spark: SparkSession, source: RawSource) -> None:
    cols = ", ".join(f"{_quoted(c)} string" for c in source.columns)
    spark.sql(f"drop table if exists {RAW_DATABASE}.{source.table}")
    spark.sql(
        f"create table {RAW_DATABASE}.{source.table} "
        f"({cols}, _source_file string, _source_line bigint, _loaded_at timestamp) using parquet"
    )


def _prepare_database(spark: SparkSession) -> None:
    spark.sql(f"create database if not exists {RAW_DATABASE}")
    spark.sql(f"drop table if exists {RAW_DATABASE}._rejected_lines")
    spark.sql(
        f"create table {RAW_DATABASE}._rejected_lines (source_table string, source_file string, "
        "line bigint, error_type string, error_message string, raw_line string, "
        "_loaded_at timestamp) using parquet"
    )


def _write_manifest(spark: SparkSession, result: IngestResult) -> None:
    from pyspark.sql import functions as F

    # the columns of DuckDB's manifest (ledgerlab.ingest._write_manifest), which the raw suite reads
    rows = [t.manifest_row() for t in result.tables]
    schema = (
        "table_name string, source_name string, source_file string, source_path string, present boolean, "
        "required boolean, file_bytes bigint, data_lines bigint, blank_lines bigint, rows_loaded bigint, "
        "rejected_lines bigint, encoding string, compression string, extra_columns string"
    )
    frame = spark.createDataFrame(rows, schema).withColumn("loaded_at", F.current_timestamp())
    _write(frame.coalesce(1), "_ingest_manifest")


def ingest(
    raw_dir: Path,
    *,
    spark: SparkSession | None = None,
    sources: dict[str, Path] | None = None,
) -> IngestResult:
    """Load every declared raw table (files found as ``ledgerlab.ingest.plan`` finds them) into Spark."""
    started = time.perf_counter()
    raw_dir = Path(raw_dir)
    result = IngestResult(raw_dir=raw_dir)
    planned = plan(raw_dir, sources)
    spark = spark or spark_engine.session()
    _prepare_database(spark)
    for source, path in planned:
        if path is None:
            _create_empty(spark, source)
            result.tables.append(LoadedTable(source.table, None, 0, 0, 0, source.source, required=source.required))
            result.notes.append(f"optional source {source.default_file} not given: raw.{source.table} is empty")
            continue
        result.tables.append(_load_table(spark, source, path))
    _write_manifest(spark, result)
    result.seconds = time.perf_counter() - started
    return result
