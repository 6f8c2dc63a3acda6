"""Validate the warehouse: every suite, in one or more GX processes, one run record.

``validate()`` is what ``ledgerlab validate`` calls:

1. read a few facts with a plain read-only DuckDB connection (which tables
   exist and how big, the ingest manifest, quarantine counts) and plan the
   suites;
2. empty the GX stores (build/gx) and the Data Docs site
   (reports/quality/gx). GX evaluates expectations in single-threaded
   Python, so ``jobs`` processes validate in parallel (helpers are spawned
   before planning, so that their GX import overlaps this one's): suites are
   handed out one at a time, most expensive first, to whichever process is
   free. Each suite gets its own GX context on the shared stores, a
   ``ledgerlab_duckdb`` datasource opened read-only, a table asset +
   whole-table batch definition + suite + validation definition, and a
   ``Checkpoint`` that runs it as SQL in DuckDB;
3. build the Data Docs site once from every suite's stored result;
4. with every GX connection closed, write summary.json, the index page and
   the offline copies of the docs' assets, and record the run in
   ``quality.*`` with a read-write connection.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations import report
from expectations.history import record_run
from expectations.results import ExpectationRow, SuiteRow, expectation_row
from expectations.spec import Skipped, TableSuite, WarehouseFacts, read_facts
from expectations.suites import plan  # light: the suite modules (and GX) load on first plan()
from ledgerlab.core import config, progress, warehouse
from ledgerlab.core.errors import UserError
from ledgerlab.core.progress import Progress

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
            f"{s.name}: {e.expectation_id}"
            for s in self.suites
            for e in s.expectations
            if not e.success and e.severity == "blocking"
        ]

    @property
    def warnings(self) -> list[str]:
        return [
            f"{s.name}: {e.expectation_id}"
            for s in self.suites
            for e in s.expectations
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
                suite=table_suite.name,
                expectation_id=check.name,
                expectation_type=getattr(check.expectation, "expectation_type", type(check.expectation).__name__),
                column=getattr(check.expectation, "column", None),
                severity=check.severity,
                success=False,
                observed_value=None,
                unexpected_count=None,
                unexpected_sample=[],
                element_count=None,
                catches=list(check.catches),
                why=check.why,
                error="GX returned no result for this expectation",
            )
        ordered.append(row)
    return ordered + list(by_name.values())


def run_identifier(run_id: str, run_at: datetime):
    """GX's run identifier with an explicit time.

    Without one, GX parses the run *name* as a date: ours ends in random hex,
    which dateutil can read as a UTC offset of more than 24 hours and crash on.
    """
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=run_at.replace(tzinfo=UTC))


def suite_cost(table_suite: TableSuite, facts: WarehouseFacts) -> float:
    """A suite's expected validation time, in arbitrary units.

    GX spends Python time on every check (building its metric graph) and
    DuckDB time on every row a check's queries read: each check counts 1,
    plus 1 per million rows of the relation the suite reads.
    """
    rows = facts.row_estimates.get(".".join(table_suite.relation), 0)
    return len(table_suite.checks) * (1.0 + rows / 1_000_000)


def work_order(planned: list[TableSuite], facts: WarehouseFacts) -> list[TableSuite]:
    """The suites in the order they are handed out: the most expensive first.

    Processes take the next suite whenever they finish one, so an expensive
    suite started last cannot keep one process busy while the others idle.
    """
    return sorted(planned, key=lambda s: -suite_cost(s, facts))


@dataclass(frozen=True)
class SuiteJob:
    """What validating one suite needs (picklable: a helper process re-plans the suite from the facts)."""

    suite_name: str
    facts: WarehouseFacts
    warehouse_path: Path
    run_id: str
    run_at: datetime
    gx_dir: Path
    docs_dir: Path
    duckdb_memory_limit: str


def validate_suite(job: SuiteJob) -> SuiteRow:
    """Validate one suite in its own GX context, on the run's shared stores.

    Writes the suite, its validation definition and result into
    ``job.gx_dir`` (keys of this suite only) and returns its row. No Data
    Docs here: the site is built once from every suite's result
    (``_build_docs``).
    """
    from expectations import engine  # registers the ledgerlab_duckdb datasource type
    from expectations.context import context_on

    planned, _ = plan(job.facts, [job.suite_name])
    table_suite = next(s for s in planned if s.name == job.suite_name)
    context = context_on(job.gx_dir, job.docs_dir)
    datasource = context.data_sources.add_ledgerlab_duckdb(
        name=f"warehouse_{table_suite.name}",
        connection_string=engine.connection_string(job.warehouse_path),
        # every process gets all of DuckDB's threads (one busy on a large table finishes sooner
        # once the others are done) and its share of the memory limit
        kwargs=engine.connection_kwargs(config.DUCKDB_THREADS, job.duckdb_memory_limit, config.DUCKDB_MAX_TEMP_SIZE),
    )
    try:
        with warnings.catch_warnings():
            # One datasource for all layers: each table asset names its schema.
            warnings.filterwarnings("ignore", message="`schema_name` is deprecated", category=DeprecationWarning)
            schema_name, table_name = table_suite.relation
            asset = datasource.add_table_asset(name=table_suite.name, table_name=table_name, schema_name=schema_name)
        batch_definition = asset.add_batch_definition_whole_table("whole_table")
        result = run_checkpoint(context, table_suite, batch_definition, run_identifier(job.run_id, job.run_at))
    finally:
        # GX is done reading: release the read-only connections before anyone writes.
        datasource.close()
        for other in context.data_sources.all().values():
            if hasattr(other, "close"):
                other.close()

    return suite_row(table_suite, result)


def run_checkpoint(context, table_suite: TableSuite, batch_definition, run_id, batch_parameters: dict | None = None):
    """Add the suite, its validation definition and a checkpoint to ``context``; run it on the batch."""
    from expectations._gx import gx

    suite = gx.ExpectationSuite(
        name=table_suite.name, meta={"layer": table_suite.layer, "reads": ".".join(table_suite.relation)}
    )
    for check in table_suite.checks:
        check.expectation.meta = check.meta()
        suite.add_expectation(check.expectation)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=table_suite.name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"ledgerlab_validate_{table_suite.name}",
            validation_definitions=[definition],
            actions=[],
            result_format=RESULT_FORMAT,
        )
    )
    return checkpoint.run(run_id=run_id, batch_parameters=batch_parameters)


def suite_row(table_suite: TableSuite, result) -> SuiteRow:
    """The project's row of one suite from GX's checkpoint result (a check without a result fails)."""
    found = [
        expectation_row(table_suite.name, r) for run_result in result.run_results.values() for r in run_result.results
    ]
    return SuiteRow(
        name=table_suite.name,
        layer=table_suite.layer,
        description=table_suite.description,
        expectations=_with_missing(table_suite, found),
    )


def _build_docs(gx_dir: Path, docs_dir: Path, run_id: str, suite_rows: list[SuiteRow]) -> None:
    """Build the Data Docs site once, from every suite's stored result; link each suite's page."""
    from expectations.context import SITE_NAME, context_on

    context_on(gx_dir, docs_dir).build_data_docs(site_names=[SITE_NAME])
    for suite_row in suite_rows:
        # GX lays pages out as validations/<suite name split on dots>/<run>/<time>/<batch>.html
        found = sorted((docs_dir / "gx" / "validations" / Path(*suite_row.name.split("."))).glob(f"{run_id}/*/*.html"))
        suite_row.report_path = found[-1].relative_to(docs_dir).as_posix() if found else None


def import_suites() -> None:
    """Import GX and the suites (≈ 5 s): what a helper process does first, while the parent plans."""
    import expectations.engine  # noqa: F401 - registers the datasource type
    from expectations.suites import MODULES, _module

    for name in MODULES:
        _module(name)


@dataclass
class HelperProcesses:
    """Spawned processes that validate suites beside this one (see ``start_helper_processes``)."""

    pool: ProcessPoolExecutor
    count: int
    warm_ups: list = field(default_factory=list)  # the futures of their GX imports

    def wait_until_ready(self) -> None:
        """Block until every helper has imported GX and the suites."""
        for future in self.warm_ups:
            future.result()

    def shutdown(self) -> None:
        """Wait for the helpers to exit: none may hold a read-only connection when someone writes."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def start_helper_processes(count: int) -> HelperProcesses | None:
    """``count`` spawned processes, already importing GX and the suites.

    ``validate()`` starts its own; a caller that knows a validation is coming
    (``ledgerlab run``, during the dbt build) can start them earlier and pass
    them in, so that they are ready when the suites are.
    """
    if count < 1:
        return None
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
    return HelperProcesses(pool, count, [pool.submit(import_suites) for _ in range(count)])


def _run_gx(
    planned: list[TableSuite],
    facts: WarehouseFacts,
    warehouse_path: Path,
    run_id: str,
    run_at: datetime,
    gx_dir: Path,
    docs_dir: Path,
    helpers: HelperProcesses | None,
    on_progress: Progress = progress.ignore,
) -> list[SuiteRow]:
    """Validate the suites here and in the helper processes (GX is single-threaded Python), then build the docs.

    Suites are handed out one at a time, most expensive first, to whichever
    process is free: this one, and each helper through a feeder thread that
    waits on it. Each process opens the warehouse read-only with all of
    DuckDB's threads and its share of the memory limit.
    """
    from expectations.context import clear

    clear(gx_dir, docs_dir)
    n_helpers = helpers.count if helpers is not None else 0
    memory_limit = warehouse.memory_limit_share(config.DUCKDB_MEMORY_LIMIT, 1 + n_helpers)
    queue = deque(work_order(planned, facts))
    lock = threading.Lock()
    finished = [0]

    def count_finished() -> None:
        with lock:
            finished[0] += 1
            on_progress(finished[0], len(planned))

    def next_job() -> SuiteJob | None:
        with lock:
            if not queue:
                return None
            name = queue.popleft().name
        return SuiteJob(
            suite_name=name,
            facts=facts,
            warehouse_path=warehouse_path,
            run_id=run_id,
            run_at=run_at,
            gx_dir=gx_dir,
            docs_dir=docs_dir,
            duckdb_memory_limit=memory_limit,
        )

    def keep_helper_busy() -> list[SuiteRow]:
        done = []
        while (job := next_job()) is not None:
            done.append(helpers.pool.submit(validate_suite, job).result())
            count_finished()
        return done

    rows: list[SuiteRow] = []
    with ThreadPoolExecutor(max(1, n_helpers)) as feeders:
        fed = [feeders.submit(keep_helper_busy) for _ in range(n_helpers)]
        try:
            while (job := next_job()) is not None:
                rows.append(validate_suite(job))
                count_finished()
        except BaseException:
            with lock:
                queue.clear()  # the feeders stop after their current suite
            raise
        for future in fed:
            rows += future.result()
    by_name = {row.name: row for row in rows}
    ordered = [by_name[s.name] for s in planned if s.name in by_name]
    _build_docs(gx_dir, docs_dir, run_id, ordered)
    return ordered


def validate(
    *,
    warehouse_path: Path | None = None,
    suites: list[str] | None = None,
    jobs: int | None = None,
    helpers: HelperProcesses | None = None,
    on_progress: Progress = progress.ignore,
) -> ValidationOutcome:
    """Run the selected suites (all by default) in ``jobs`` processes and record the run.

    ``jobs`` defaults to ``config.validation_jobs`` (``LEDGERLAB_VALIDATE_JOBS``,
    or by the number of rows ingested). ``helpers`` are helper
    processes the caller started (and shuts down) instead; see the module
    docstring. ``on_progress(done, total)`` counts the suites validated.
    """
    if config.engine() == "spark":  # the Spark tables, through GX's Spark datasource
        from expectations.spark_validation import validate_on_spark

        return validate_on_spark(suites=suites, on_progress=on_progress)
    paths = config.paths()
    warehouse_path = Path(warehouse_path) if warehouse_path is not None else paths.warehouse
    docs_dir = paths.quality_reports
    docs_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    run_at = datetime.now(UTC).replace(tzinfo=None)
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
    # started before planning: the helpers import GX while this process does
    own_helpers = helpers is None
    if own_helpers:
        helpers = start_helper_processes((jobs or config.validation_jobs(facts.raw_rows)) - 1)
    try:
        try:
            planned, skipped = plan(facts, suites)
        except KeyError as exc:
            raise ValidationSetupError(str(exc.args[0])) from None
        fingerprint = data_fingerprint(facts)
        seconds["plan"] = time.perf_counter() - started

        t0 = time.perf_counter()
        suite_rows = (
            _run_gx(planned, facts, warehouse_path, run_id, run_at, paths.gx_context, docs_dir, helpers, on_progress)
            if planned
            else []
        )
        seconds["gx"] = time.perf_counter() - t0
    finally:
        if own_helpers and helpers is not None:
            helpers.shutdown()

    def record(report_path: str) -> None:
        try:
            record_run(
                warehouse_path,
                run_id=run_id,
                run_at=run_at,
                data_fingerprint=fingerprint,
                suites=suite_rows,
                report_path=report_path,
            )
        except duckdb.IOException as exc:
            raise ValidationSetupError(
                f"validation {run_id} ran (see {report_path}) but could not be recorded in {warehouse_path}: "
                f"{str(exc).splitlines()[0]}; is another step writing the warehouse?"
            ) from None

    run = report.ValidationRun(
        run_id=run_id,
        run_at=run_at,
        warehouse_path=warehouse_path,
        fingerprint=fingerprint,
        suites=suite_rows,
        skipped=skipped,
        facts=facts,
    )
    return complete_run(docs_dir, run, record, seconds=seconds, started=started)


def complete_run(
    docs_dir: Path,
    run: report.ValidationRun,
    record: Callable[[str], None],
    *,
    seconds: dict[str, float],
    started: float,
) -> ValidationOutcome:
    """The end of a validation on either engine: summary.json and the index page, the run's record
    (``record(report_path)``, in the engine's own tables) and the outcome with its timings."""
    t0 = time.perf_counter()
    summary_path, index_path = report.write_reports(docs_dir, run)
    seconds["reports"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    record(str(index_path))
    seconds["history"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - started
    return ValidationOutcome(
        run_id=run.run_id,
        run_at=run.run_at,
        data_fingerprint=run.fingerprint,
        suites=run.suites,
        skipped=run.skipped,
        summary_path=summary_path,
        docs_index=index_path,
        seconds=seconds,
    )
