"""Validate the warehouse: every suite, in one or more GX processes, one run record.

``validate()`` is what ``ledgerlab validate`` calls:

1. read a few facts with a plain read-only DuckDB connection (which tables
   exist and how big, the ingest manifest, quarantine counts) and plan the
   suites;
2. empty the GX stores (build/gx) and the Data Docs site
   (reports/quality/gx), and split the suites into ``jobs`` groups of about
   equal cost. GX evaluates expectations in single-threaded Python, so the
   groups run in parallel processes: each starts a GX context on the shared
   stores, one ``ledgerlab_duckdb`` datasource opened read-only, a table
   asset + whole-table batch definition + suite + validation definition per
   table, and one ``Checkpoint`` that runs them as SQL in DuckDB;
3. build the Data Docs site once from every group's stored results;
4. with every GX connection closed, write summary.json, the index page and
   the offline copies of the docs' assets, and record the run in
   ``quality.*`` with a read-write connection.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
import uuid
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ledgerlab import config, warehouse
from ledgerlab.errors import UserError

from expectations import report
from expectations.history import record_run
from expectations.results import ExpectationRow, SuiteRow, expectation_row
from expectations.spec import Skipped, TableSuite, WarehouseFacts, read_facts
from expectations.suites import plan  # light: the suite modules (and GX) load on first plan()

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


def suite_cost(table_suite: TableSuite, facts: WarehouseFacts) -> float:
    """A suite's expected validation time, in arbitrary units.

    GX spends Python time on every check (building its metric graph) and
    DuckDB time on every row a check's queries read: each check counts 1,
    plus 1 per million rows of the relation the suite reads.
    """
    rows = facts.row_estimates.get(".".join(table_suite.relation), 0)
    return len(table_suite.checks) * (1.0 + rows / 1_000_000)


def shard_suites(planned: list[TableSuite], facts: WarehouseFacts, jobs: int) -> list[list[TableSuite]]:
    """Split the suites into at most ``jobs`` groups of about equal cost.

    Greedy: the most expensive suite first, each to the cheapest group so far.
    Each group keeps the report order; no group is empty.
    """
    groups: list[list[TableSuite]] = [[] for _ in range(max(1, min(jobs, len(planned))))]
    costs = [0.0] * len(groups)
    for table_suite in sorted(planned, key=lambda s: -suite_cost(s, facts)):
        cheapest = costs.index(min(costs))
        groups[cheapest].append(table_suite)
        costs[cheapest] += suite_cost(table_suite, facts)
    order = {s.name: i for i, s in enumerate(planned)}
    return [sorted(group, key=lambda s: order[s.name]) for group in groups if group]


@dataclass(frozen=True)
class ShardJob:
    """What one validation process needs (picklable: a spawned process re-plans its suites)."""

    index: int
    facts: WarehouseFacts
    suite_names: tuple[str, ...]
    warehouse_path: Path
    run_id: str
    run_at: datetime
    gx_dir: Path
    docs_dir: Path
    duckdb_threads: int
    duckdb_memory_limit: str


def validate_shard(job: ShardJob) -> list[SuiteRow]:
    """Run one group of suites in its own GX context, on the run's shared stores.

    Writes the suites, validation definitions and results into ``job.gx_dir``
    (keys of its own suites only) and returns their rows. No Data Docs here:
    the site is built once from every group's results (``_build_docs``).
    """
    from expectations import engine  # registers the ledgerlab_duckdb datasource type
    from expectations._gx import gx
    from expectations.context import context_on

    planned, _ = plan(job.facts, list(job.suite_names))
    context = context_on(job.gx_dir, job.docs_dir)
    datasource = context.data_sources.add_ledgerlab_duckdb(
        name=f"warehouse_{job.index}",
        connection_string=engine.connection_string(job.warehouse_path),
        kwargs=engine.connection_kwargs(job.duckdb_threads, job.duckdb_memory_limit, config.DUCKDB_MAX_TEMP_SIZE),
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
                name=f"ledgerlab_validate_{job.index}",
                validation_definitions=definitions,
                actions=[],
                result_format=RESULT_FORMAT,
            )
        )
        result = checkpoint.run(run_id=run_identifier(job.run_id, job.run_at))
    finally:
        # GX is done reading: release the read-only connections before anyone writes.
        datasource.close()
        for other in context.data_sources.all().values():
            if hasattr(other, "close"):
                other.close()

    by_suite = {s.name: s for s in planned}
    return [
        SuiteRow(
            name=run_result.suite_name,
            layer=by_suite[run_result.suite_name].layer,
            description=by_suite[run_result.suite_name].description,
            expectations=_with_missing(
                by_suite[run_result.suite_name],
                [expectation_row(run_result.suite_name, r) for r in run_result.results],
            ),
        )
        for run_result in result.run_results.values()
    ]


def _build_docs(gx_dir: Path, docs_dir: Path, run_id: str, suite_rows: list[SuiteRow]) -> None:
    """Build the Data Docs site once, from every group's stored results; link each suite's page."""
    from expectations.context import SITE_NAME, context_on

    context_on(gx_dir, docs_dir).build_data_docs(site_names=[SITE_NAME])
    for suite_row in suite_rows:
        # GX lays pages out as validations/<suite name split on dots>/<run>/<time>/<batch>.html
        found = sorted((docs_dir / "gx" / "validations" / Path(*suite_row.name.split("."))).glob(f"{run_id}/*/*.html"))
        suite_row.report_path = found[-1].relative_to(docs_dir).as_posix() if found else None


def _import_suites() -> None:
    """What a helper process does first: import GX and the suites (≈ 5 s), while the parent plans."""
    import expectations.engine  # noqa: F401 - registers the datasource type
    from expectations.suites import MODULES, _module

    for name in MODULES:
        _module(name)


def start_helper_processes(count: int) -> ProcessPoolExecutor | None:
    """``count`` spawned processes, already importing GX: ready by the time the suites are planned."""
    if count < 1:
        return None
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(count):
        pool.submit(_import_suites)
    return pool


def _run_gx(
    planned: list[TableSuite], facts: WarehouseFacts, warehouse_path: Path, run_id: str, run_at: datetime,
    gx_dir: Path, docs_dir: Path, jobs: int, helpers: ProcessPoolExecutor | None,
) -> list[SuiteRow]:
    """Validate the suites in this process and the helpers (GX is single-threaded Python), then build the docs.

    The suites are split into one group per process; the first group runs
    here. Each process opens the warehouse read-only with its share of
    DuckDB's threads and memory, so that together they stay within the
    configured limits.
    """
    from expectations.context import clear

    clear(gx_dir, docs_dir)
    groups = shard_suites(planned, facts, jobs if helpers else 1)  # ``helpers`` has jobs - 1 processes
    shard_jobs = [
        ShardJob(
            index=i, facts=facts, suite_names=tuple(s.name for s in group), warehouse_path=warehouse_path,
            run_id=run_id, run_at=run_at, gx_dir=gx_dir, docs_dir=docs_dir,
            duckdb_threads=max(1, config.DUCKDB_THREADS // len(groups)),
            duckdb_memory_limit=warehouse.memory_limit_share(config.DUCKDB_MEMORY_LIMIT, len(groups)),
        )
        for i, group in enumerate(groups)
    ]
    rows: list[SuiteRow] = []
    others = [helpers.submit(validate_shard, job) for job in shard_jobs[1:]] if helpers else []
    rows += validate_shard(shard_jobs[0])
    for future in others:
        rows += future.result()
    by_name = {row.name: row for row in rows}
    ordered = [by_name[s.name] for s in planned if s.name in by_name]
    _build_docs(gx_dir, docs_dir, run_id, ordered)
    return ordered


def validate(
    *, warehouse_path: Path | None = None, suites: list[str] | None = None, jobs: int | None = None
) -> ValidationOutcome:
    """Run the selected suites (all by default) in ``jobs`` processes and record the run.

    ``jobs`` defaults to ``LEDGERLAB_VALIDATE_JOBS``; see the module docstring.
    """
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
    # started first: the helpers import GX while this process reads the facts and plans
    jobs = max(1, jobs or config.VALIDATE_JOBS)
    helpers = start_helper_processes(jobs - 1)
    try:
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
        suite_rows = (
            _run_gx(planned, facts, warehouse_path, run_id, run_at, paths.gx_context, docs_dir, jobs, helpers)
            if planned else []
        )
        seconds["gx"] = time.perf_counter() - t0
    finally:
        if helpers is not None:
            helpers.shutdown(wait=False, cancel_futures=True)

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
