"""Validate the Spark engine's tables: the same suites, GX's Spark datasource, the same reports.

``ledgerlab validate --engine spark`` (``runner.validate`` hands over here):

1. facts from Spark's catalog (tables and columns, the ingest manifest, the
   quarantine counts), as ``spec.read_facts`` reads them from DuckDB;
2. the suites planned as on DuckDB; their SQL checks are written for
   DuckDB and rewritten for Spark SQL by ``expectations.spark_sql``;
3. each suite runs in one GX context on the run's stores, on a
   ``spark`` data source with a dataframe asset: the batch is the Spark
   table (``spark.table``), and GX computes every metric as a Spark job;
4. Data Docs, summary.json and the index page exactly as on DuckDB, and the
   run recorded in the Spark tables ``quality.validation_runs`` and
   ``quality.validation_results`` (read by the quality gate).

One process: Spark already spreads each query over the executors, so the
helper processes of the DuckDB path (which exist because GX's metric
bookkeeping is single-threaded Python) would only compete for the driver.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from expectations.history import result_record
from expectations.report import ValidationRun
from expectations.results import SuiteRow
from expectations.runner import (
    ValidationOutcome,
    ValidationSetupError,
    _build_docs,
    complete_run,
    data_fingerprint,
    new_run_id,
    run_checkpoint,
    run_identifier,
    suite_row,
)
from expectations.spark_sql import INFORMATION_SCHEMA_VIEW, for_spark
from expectations.spec import TableSuite, WarehouseFacts
from expectations.suites import plan
from ledgerlab.core import config, progress, spark_tables
from ledgerlab.core.progress import Progress

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def read_spark_facts(spark: SparkSession) -> WarehouseFacts:
    """What ``spec.read_facts`` reads from DuckDB, from Spark's catalog."""
    columns: dict[str, list[str]] = {}
    for database in spark.catalog.listDatabases():
        for table in spark.catalog.listTables(database.name):
            if table.isTemporary:
                continue
            qualified = f"{database.name}.{table.name}"
            columns[qualified] = list(spark.table(qualified).columns)
    manifest: list[dict] = []
    if "raw._ingest_manifest" in columns:
        manifest = [
            row.asDict()
            for row in spark.sql(
                "select table_name, source_file, present, file_bytes, rows_loaded, rejected_lines "
                "from raw._ingest_manifest order by table_name"
            ).collect()
        ]
    quarantine: dict[str, int] = {}
    if "marts.quarantine_rows" in columns:
        quarantine = {
            r[0]: int(r[1])
            for r in spark.sql("select reason, count(*) from marts.quarantine_rows group by reason").collect()
        }
    return WarehouseFacts(spark_tables.warehouse_dir(), columns, manifest, quarantine, {})


def for_spark_suite(table_suite: TableSuite, facts: WarehouseFacts) -> TableSuite:
    """The suite with its SQL checks rewritten for Spark SQL (the expectations are changed in place)."""
    columns = facts.columns.get(".".join(table_suite.relation))
    for check in table_suite.checks:
        query = getattr(check.expectation, "unexpected_rows_query", None)
        if query:
            check.expectation.unexpected_rows_query = for_spark(query, columns)
    return table_suite


def register_information_schema(spark: SparkSession, facts: WarehouseFacts) -> None:
    """A temporary view with DuckDB's ``information_schema.columns`` columns the suites read."""
    rows = [(*qualified.split(".", 1), column) for qualified, names in facts.columns.items() for column in names]
    frame = spark.createDataFrame(rows, "table_schema string, table_name string, column_name string")
    frame.createOrReplaceTempView(INFORMATION_SCHEMA_VIEW)


def validate_spark_suite(
    spark: SparkSession, table_suite: TableSuite, facts: WarehouseFacts, gx_dir: Path, docs_dir: Path, run_id, run_at
) -> SuiteRow:
    """One suite on a GX Spark data source whose batch is the suite's Spark table."""
    from expectations.context import context_on

    context = context_on(gx_dir, docs_dir)
    datasource = context.data_sources.add_spark(name=f"spark_{table_suite.name}")
    asset = datasource.add_dataframe_asset(name=table_suite.name)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
    frame = spark.table(".".join(table_suite.relation))
    result = run_checkpoint(
        context,
        for_spark_suite(table_suite, facts),
        batch_definition,
        run_identifier(run_id, run_at),
        batch_parameters={"dataframe": frame},
    )
    return suite_row(table_suite, result)


def record_run_on_spark(
    spark: SparkSession,
    *,
    run_id: str,
    run_at: datetime,
    data_fingerprint: str,
    suites: list[SuiteRow],
    report_path: str,
) -> None:
    """Append the run to ``quality.validation_runs`` / ``validation_results`` (the columns of history.py)."""
    import polars as pl

    rows = [e for s in suites for e in s.expectations]
    n_failed = sum(not e.success for e in rows)
    n_blocking = sum(not e.success and e.severity == "blocking" for e in rows)
    runs = pl.DataFrame(
        [[run_id, run_at, data_fingerprint, len(rows), n_failed, n_blocking, n_blocking == 0, report_path]],
        schema={
            "run_id": pl.String,
            "run_at": pl.Datetime("us"),
            "data_fingerprint": pl.String,
            "n_expectations": pl.Int32,
            "n_failed": pl.Int32,
            "n_blocking_failed": pl.Int32,
            "success": pl.Boolean,
            "report_path": pl.String,
        },
        orient="row",
    )
    results = pl.DataFrame(
        [result_record(run_id, e) for e in rows],
        schema={
            "run_id": pl.String,
            "suite": pl.String,
            "expectation_id": pl.String,
            "expectation_type": pl.String,
            "column": pl.String,
            "severity": pl.String,
            "success": pl.Boolean,
            "observed_value": pl.String,
            "unexpected_count": pl.Int64,
            "unexpected_sample": pl.String,
            "element_count": pl.Int64,
            "catches": pl.String,
        },
        orient="row",
    )
    spark_tables.write("quality", "validation_runs", runs, mode="append", spark=spark)
    spark_tables.write("quality", "validation_results", results, mode="append", spark=spark)


def validate_on_spark(
    *, suites: list[str] | None = None, spark: SparkSession | None = None, on_progress: Progress = progress.ignore
) -> ValidationOutcome:
    """Run the selected suites (all by default) on the Spark tables and record the run there."""
    from expectations.context import clear
    from ledgerlab.core import spark as spark_engine

    paths = config.paths()
    docs_dir = paths.quality_reports
    docs_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    run_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = new_run_id(run_at)
    if not spark_tables.exists("raw", "_ingest_manifest"):
        raise ValidationSetupError(
            f"no Spark tables in {spark_tables.warehouse_dir()}: run `ledgerlab ingest --engine spark` "
            "and `ledgerlab build --engine spark` first"
        )
    spark = spark or spark_engine.session()
    facts = read_spark_facts(spark)
    try:
        planned, skipped = plan(facts, suites)
    except KeyError as exc:
        raise ValidationSetupError(str(exc.args[0])) from None
    fingerprint = data_fingerprint(facts)
    seconds["plan"] = time.perf_counter() - started

    t0 = time.perf_counter()
    clear(paths.gx_context, docs_dir)
    register_information_schema(spark, facts)
    rows = []
    for done, table_suite in enumerate(planned, start=1):
        rows.append(validate_spark_suite(spark, table_suite, facts, paths.gx_context, docs_dir, run_id, run_at))
        on_progress(done, len(planned))
    if rows:
        _build_docs(paths.gx_context, docs_dir, run_id, rows)
    seconds["gx"] = time.perf_counter() - t0

    run = ValidationRun(
        run_id=run_id,
        run_at=run_at,
        warehouse_path=spark_tables.warehouse_dir(),
        fingerprint=fingerprint,
        suites=rows,
        skipped=skipped,
        facts=facts,
    )

    def record(report_path: str) -> None:
        record_run_on_spark(
            spark, run_id=run_id, run_at=run_at, data_fingerprint=fingerprint, suites=rows, report_path=report_path
        )

    return complete_run(docs_dir, run, record, seconds=seconds, started=started)
