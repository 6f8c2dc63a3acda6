"""Validate the warehouse: every suite, one GX context, one checkpoint, one run record.

``validate()`` is what ``ledgerlab validate`` calls:

1. read a few facts with a plain read-only DuckDB connection (which tables
   exist, the ingest manifest, quarantine counts) and plan the suites;
2. start GX once: a fresh context (stores in build/gx, docs in
   reports/quality/gx), one ``ledgerlab_duckdb`` datasource opened
   read-only, a table asset + whole-table batch definition + suite +
   validation definition per table, and one ``Checkpoint`` with
   ``UpdateDataDocsAction`` that runs them all as SQL in DuckDB;
3. close every GX connection, then write summary.json, the index page and
   the offline copies of the docs' assets, and record the run in
   ``quality.*`` with a read-write connection.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ledgerlab import config
from ledgerlab.errors import UserError

from expectations import report
from expectations.history import record_run
from expectations.results import ExpectationRow, SuiteRow, expectation_row
from expectations.spec import Skipped, TableSuite, WarehouseFacts, read_facts
from expectations.suites import plan

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}


class ValidationSetupError(UserError):
    """validate() cannot start: no warehouse, a locked one, or an unknown suite name."""


@dataclass
class ValidationOutcome:
    run_id: str
    run_at: datetime
    data_fingerprint: str
    suites: list[SuiteRow]
    skipped: list[Skipped]
    summary_path: Path
    docs_index: Path
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_expectations(self) -> int:
        return sum(len(s.expectations) for s in self.suites)

    @property
    def n_failed(self) -> int:
        return sum(s.n_failed for s in self.suites)

    @property
    def blocking_failures(self) -> list[str]:
        return [
            f"{s.name}: {e.expectation_id}" for s in self.suites for e in s.expectations
            if not e.success and e.severity == "blocking"
        ]

    @property
    def warnings(self) -> list[str]:
        return [
            f"{s.name}: {e.expectation_id}" for s in self.suites for e in s.expectations
            if not e.success and e.severity != "blocking"
        ]

    @property
    def blocking_failed(self) -> bool:
        return bool(self.blocking_failures)

    def lines(self) -> list[str]:
        out = [
            f"validation {self.run_id}: {len(self.suites)} suites, {self.n_expectations} expectations, "
            f"{self.n_failed} failed ({len(self.blocking_failures)} blocking)"
        ]
        for s in self.suites:
            passed = len(s.expectations) - s.n_failed
            out.append(
                f"  {s.name:<38} {passed:>3} passed, {s.n_failed:>3} failed"
                + (f" ({s.n_blocking_failed} blocking)" if s.n_blocking_failed else "")
            )
        for skipped in self.skipped:
            out.append(f"  {skipped.name:<38} skipped: {skipped.reason}")
        if self.blocking_failures:
            out.append("blocking failures:")
            out.extend(f"  - {name}" for name in self.blocking_failures)
        if self.warnings:
            out.append("warnings:")
            out.extend(f"  - {name}" for name in self.warnings)
        out.append(f"report: {self.docs_index}")
        out.append(f"data docs: {self.docs_index.parent / 'gx' / 'index.html'}")
        out.append(f"summary: {self.summary_path}")
        return out


def data_fingerprint(facts: WarehouseFacts) -> str:
    """A hash of what was ingested (files, bytes, rows): equal data, equal fingerprint."""
    keyed = [
        [r["table_name"], r["source_file"], r["file_bytes"], r["rows_loaded"], r["rejected_lines"]]
        for r in facts.manifest
    ]
    return hashlib.sha256(json.dumps(keyed, default=str).encode()).hexdigest()[:16]


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _with_missing(table_suite: TableSuite, found: list[ExpectationRow]) -> list[ExpectationRow]:
    """Results in the suite's order; a check GX returned no result for counts as failed."""
    by_name = {row.expectation_id: row for row in found}
    ordered = []
    for check in table_suite.checks:
        row = by_name.pop(check.name, None)
        if row is None:
            row = ExpectationRow(
                suite=table_suite.name, expectation_id=check.name,
                expectation_type=getattr(check.expectation, "expectation_type", type(check.expectation).__name__),
                column=getattr(check.expectation, "column", None), severity=check.severity, success=False,
                observed_value=None, unexpected_count=None, unexpected_sample=[], element_count=None,
                catches=list(check.catches), why=check.why, error="GX returned no result for this expectation",
            )
        ordered.append(row)
    return ordered + list(by_name.values())


def run_identifier(run_id: str, run_at: datetime):
    """GX's run identifier with an explicit time.

    Without one, GX parses the run *name* as a date: ours ends in random hex,
    which dateutil can read as a UTC offset of more than 24 hours and crash on.
    """
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=run_at.replace(tzinfo=timezone.utc))


def _run_gx(
    planned: list[TableSuite], warehouse_path: Path, run_id: str, run_at: datetime, gx_dir: Path, docs_dir: Path
) -> tuple[list[SuiteRow], dict[str, str]]:
    """Validate every planned suite in one GX context; return rows and report paths."""
    from expectations import engine  # registers the ledgerlab_duckdb datasource type
    from expectations._gx import gx
    from expectations.context import SITE_NAME, fresh_context
    from expectations.custom import UpdateDataDocsOnceAction

    context = fresh_context(gx_dir, docs_dir)
    datasource = context.data_sources.add_ledgerlab_duckdb(
        name="warehouse",
        connection_string=engine.connection_string(warehouse_path),
        kwargs=engine.connection_kwargs(
            config.DUCKDB_THREADS, config.DUCKDB_MEMORY_LIMIT, config.DUCKDB_MAX_TEMP_SIZE
        ),
    )
    try:
        definitions = []
        for table_suite in planned:
            with warnings.catch_warnings():
                # One datasource for all layers: each table asset names its schema.
                warnings.filterwarnings("ignore", message="`schema_name` is deprecated", category=DeprecationWarning)
                schema_name, table_name = table_suite.relation
                asset = datasource.add_table_asset(
                    name=table_suite.name, table_name=table_name, schema_name=schema_name
                )
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
            suite = gx.ExpectationSuite(name=table_suite.name, meta={"layer": table_suite.layer,
                                                                  "reads": ".".join(table_suite.relation)})
            for check in table_suite.checks:
                check.expectation.meta = check.meta()
                suite.add_expectation(check.expectation)
            suite = context.suites.add(suite)
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(name=table_suite.name, data=batch_definition, suite=suite)
                )
            )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name="ledgerlab_validate",
                validation_definitions=definitions,
                actions=[UpdateDataDocsOnceAction(name="update_data_docs", site_names=[SITE_NAME])],
                result_format=RESULT_FORMAT,
            )
        )
        result = checkpoint.run(run_id=run_identifier(run_id, run_at))
    finally:
        # GX is done reading: release the read-only connections before anyone writes.
        datasource.close()
        for other in context.data_sources.all().values():
            if hasattr(other, "close"):
                other.close()

    by_suite = {s.name: s for s in planned}
    rows: dict[str, SuiteRow] = {}
    pages: dict[str, str] = {}
    for run_result in result.run_results.values():
        suite_name = run_result.suite_name
        table_suite = by_suite[suite_name]
        rows[suite_name] = SuiteRow(
            name=suite_name,
            layer=table_suite.layer,
            description=table_suite.description,
            expectations=_with_missing(table_suite, [expectation_row(suite_name, r) for r in run_result.results]),
        )
        # GX lays pages out as validations/<suite name split on dots>/<run>/<time>/<batch>.html
        found = sorted((docs_dir / "gx" / "validations" / Path(*suite_name.split("."))).glob(f"{run_id}/*/*.html"))
        if found:
            pages[suite_name] = found[-1].relative_to(docs_dir).as_posix()
    ordered = [rows[s.name] for s in planned if s.name in rows]
    for suite_row in ordered:
        suite_row.report_path = pages.get(suite_row.name)
    return ordered, pages


def validate(*, warehouse_path: Path | None = None, suites: list[str] | None = None) -> ValidationOutcome:
    """Run the selected suites (all by default) and record the run; see the module docstring."""
    paths = config.paths()
    warehouse_path = Path(warehouse_path) if warehouse_path is not None else paths.warehouse
    docs_dir = paths.quality_reports
    docs_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    run_at = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = new_run_id(run_at)
    if not warehouse_path.exists():
        raise ValidationSetupError(
            f"warehouse {warehouse_path} does not exist: run `ledgerlab ingest` and `ledgerlab build` first"
        )
    try:
        facts = read_facts(warehouse_path)
    except duckdb.IOException as exc:
        raise ValidationSetupError(
            f"warehouse {warehouse_path} cannot be opened read-only ({str(exc).splitlines()[0]}); "
            "is another step writing it?"
        ) from None
    try:
        planned, skipped = plan(facts, suites)
    except KeyError as exc:
        raise ValidationSetupError(str(exc.args[0])) from None
    fingerprint = data_fingerprint(facts)
    seconds["plan"] = time.perf_counter() - started

    t0 = time.perf_counter()
    suite_rows, _ = _run_gx(planned, warehouse_path, run_id, run_at, paths.gx_context, docs_dir) if planned else ([], {})
    seconds["gx"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    summary_path, index_path = report.write_reports(
        docs_dir,
        run_id=run_id,
        run_at=run_at,
        warehouse_path=warehouse_path,
        fingerprint=fingerprint,
        suites=suite_rows,
        skipped=skipped,
        facts=facts,
    )
    seconds["reports"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    try:
        record_run(
            warehouse_path,
            run_id=run_id,
            run_at=run_at,
            data_fingerprint=fingerprint,
            suites=suite_rows,
            report_path=str(index_path),
        )
    except duckdb.IOException as exc:
        raise ValidationSetupError(
            f"validation {run_id} ran (see {index_path}) but could not be recorded in {warehouse_path}: "
            f"{str(exc).splitlines()[0]}; is another step writing the warehouse?"
        ) from None
    seconds["history"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - started
    return ValidationOutcome(
        run_id=run_id,
        run_at=run_at,
        data_fingerprint=fingerprint,
        suites=suite_rows,
        skipped=skipped,
        summary_path=summary_path,
        docs_index=index_path,
        seconds=seconds,
    )
