"""The whole path, generate → ingest → dbt build → validate → train → score → report.

Each step is a plain function of the step before it; ``run_pipeline`` chains
them with a progress display and returns what a closing summary needs.
Steps import their layer lazily so that `ledgerlab generate` does not pay
for scikit-learn or Great Expectations.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from ledgerlab.core import config, progress
from ledgerlab.core.errors import DataCheckFailed, MissingStep, UserError
from ledgerlab.core.progress import Progress


@dataclass
class StepRecord:
    name: str
    seconds: float
    lines: list[str]
    status: str = "ok"  # ok | skipped | failed


@dataclass
class PipelineReport:
    steps: list[StepRecord] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


@dataclass(frozen=True)
class RunOptions:
    accounts: int = config.DEFAULT_ACCOUNTS
    seed: int = config.DEFAULT_SEED
    raw_dir: Path | None = None
    clean: bool = False
    sources: dict[str, Path] = field(default_factory=dict)  # --source NAME=PATH
    generate: bool = True  # without raw_dir: generate the synthetic bank (False: only the sources)
    tasks: tuple[str, ...] = ()  # none: every task YAML in ml/tasks/
    allow_failed_quality: bool = False


def _count(done: int, total: int, unit: str) -> str:
    if unit == "bytes":
        return f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB"
    return f"{done:,}/{total:,} {unit}"


@contextmanager
def _progress_bar(console: Console, name: str, unit: str) -> Iterator[Progress]:
    """A bar with counts (``12/207 dbt nodes``) while a step runs; a spinner until it knows its total."""
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=console, transient=True) as bar:
        task_id = bar.add_task(name, total=None, count="")

        def on_progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=max(total, 1), count=_count(done, total, unit))

        yield on_progress


def _step(
    console: Console, report: PipelineReport, name: str, fn: Callable[[Progress], list[str]], unit: str = ""
) -> list[str]:
    """Run one step with a progress bar counting ``unit`` (fn receives the callback)."""
    started = time.perf_counter()
    with _progress_bar(console, name, unit) as on_progress:
        try:
            lines = fn(on_progress)
        except UserError:
            report.steps.append(StepRecord(name, time.perf_counter() - started, [], "failed"))
            raise
    record = StepRecord(name, time.perf_counter() - started, lines)
    report.steps.append(record)
    console.print(f"[green]✓[/green] [bold]{name}[/bold] [dim]({record.seconds:.1f} s)[/dim]")
    for line in lines:
        console.print(f"    {line}")
    return lines


def generate_step(options: RunOptions, on_progress: Progress = progress.ignore) -> tuple[Path, list[str]]:
    from ledgerlab.generator import generate

    out = config.paths().generated_data / f"accounts{options.accounts}_seed{options.seed}"
    summary = generate(out, accounts=options.accounts, seed=options.seed, clean=options.clean, on_progress=on_progress)
    return out, summary.lines()


def ingest_step(
    raw_dir: Path | None,
    options: RunOptions,
    rows_out: dict[str, int] | None = None,
    warehouse_path: Path | None = None,
    on_progress: Progress = progress.ignore,
) -> list[str]:
    """Ingest into ``warehouse_path`` (a private copy: see warehouse.publishing).

    ``rows_out`` (if given) receives the rows loaded per raw table.
    """
    from ledgerlab.ingest import ingest

    result = ingest(raw_dir, warehouse_path=warehouse_path, sources=options.sources, on_progress=on_progress)
    return _ingest_summary(result, "raw rows", rows_out)


def _ingest_summary(result, label: str, rows_out: dict[str, int] | None) -> list[str]:
    """The lines an ingest prints (either engine's IngestResult); ``rows_out`` receives the rows per table."""
    if rows_out is not None:
        rows_out.update(result.rows())
    rows = ", ".join(f"{t}={n:,}" for t, n in result.rows().items())
    rejected = sum(t.rejected_lines for t in result.tables)
    lines = [f"{label}: {rows}"]
    if rejected:
        lines.append(f"{rejected:,} unparseable line(s) kept in raw._rejected_lines")
    return lines + [f"note: {n}" for n in result.notes]


def require_ingested(warehouse_path: Path) -> int:
    """Refuse, in one line, a build on a warehouse that holds no ingested raw data; else the rows
    the last ingest loaded (all tables, from raw._ingest_manifest)."""
    from ledgerlab.core import warehouse

    if not warehouse_path.exists():
        raise MissingStep(f"no warehouse at {warehouse_path}: run `ledgerlab ingest --raw DIR` first")
    with warehouse.connection(warehouse_path, read_only=True) as con:
        if not warehouse.table_exists(con, "raw", "_ingest_manifest"):
            raise MissingStep(
                f"warehouse {warehouse_path} holds no ingested data (no raw._ingest_manifest): "
                "run `ledgerlab ingest --raw DIR` first"
            )
        return int(con.execute("select coalesce(sum(rows_loaded), 0) from raw._ingest_manifest").fetchall()[0][0])


def build_step(
    full_refresh: bool = False,
    warehouse_path: Path | None = None,
    on_progress: Progress = progress.ignore,
    raw_rows: int | None = None,
) -> list[str]:
    """`dbt build` of ``warehouse_path``; ``full_refresh`` rebuilds incremental models from scratch.

    ``raw_rows``: the rows the last ingest loaded, when the caller has them (else they are read,
    and an un-ingested warehouse refused, by ``require_ingested``).

    Incremental models assume the raw tables grow by appends. A pipeline run
    re-ingests every raw file (possibly another data set: a new seed, size or
    the real files), so it rebuilds in full; otherwise rows of the previous
    data set would survive in the incremental marts.
    """
    from ledgerlab.core.sources import write_macros
    from ledgerlab.dbt import run_dbt

    # dbt needs the quarantine union's refs before it parses: they are generated from the
    # sources files (ledgerlab/core/sources.py), so a newly declared source is picked up here.
    write_macros()

    warehouse_path = Path(warehouse_path) if warehouse_path is not None else config.paths().warehouse
    if raw_rows is None:
        raw_rows = require_ingested(warehouse_path)
    key, is_default = config.pseudonym_key()
    lines = []
    if is_default:
        lines.append(
            "warning: LEDGERLAB_PSEUDONYM_KEY is not set; client ids are pseudonymised with the "
            "DEVELOPMENT key — set your own key for any real data"
        )
    # Unit tests check the SQL's logic on fixed inputs, not the data: dbt's guidance is to run
    # them in development and CI (`make test` and a plain `dbt build` do), not in data runs.
    args = ["build", "--exclude-resource-type", "unit_test"]
    threads = config.dbt_threads(raw_rows)
    if threads is not None:
        args += ["--threads", str(threads)]
        lines.append(f"{raw_rows:,} raw rows: dbt builds one model at a time (config.SERIAL_BUILD_MIN_ROWS)")
    result = run_dbt(
        [*args, "--full-refresh"] if full_refresh else args, warehouse_path=warehouse_path, on_progress=on_progress
    )
    return [*lines, f"dbt build: {result.summary_line()}", *absent_source_notes(warehouse_path)]


def _absent_sources(warehouse_path: Path | None = None) -> set[str]:
    """Declared sources of which the last ingest found no file (raw._ingest_manifest)."""
    from ledgerlab.core import warehouse

    try:
        with warehouse.connection(warehouse_path, read_only=True) as con:
            rows = con.execute(
                "select source_name from raw._ingest_manifest group by source_name having not bool_or(present)"
            ).fetchall()
    except Exception:  # noqa: BLE001 - no warehouse or no manifest yet: nothing known to be absent
        return set()
    return {r[0] for r in rows}


def missing_sources_of_task(task: str, warehouse_path: Path | None = None) -> list[str]:
    """Declared sources upstream of the task's mart (dbt's lineage) that the last ingest lacked."""
    import json

    from ml.tasks import load_task

    absent = _absent_sources(warehouse_path)
    manifest_path = Path(os.environ.get("DBT_TARGET_PATH") or config.paths().home / "target") / "manifest.json"
    if not absent or not manifest_path.is_file():
        return sorted(absent) if absent else []
    try:
        mart = load_task(task).mart.split(".")[-1]
        manifest = json.loads(manifest_path.read_text())
    except Exception:  # noqa: BLE001 - the skip message itself is what matters
        return []
    parents = manifest.get("parent_map", {})
    start = [uid for uid, node in manifest.get("nodes", {}).items() if node.get("name") == mart]
    seen, upstream = set(start), set()
    while start:
        uid = start.pop()
        for parent in parents.get(uid, []):
            if parent.startswith("source."):
                upstream.add(manifest["sources"][parent]["source_name"])
            elif parent not in seen:
                seen.add(parent)
                start.append(parent)
    return sorted(upstream & absent)


def skipped_with_sources(task: str, skipped: Exception, warehouse_path: Path | None = None) -> str:
    """Why ``task`` was skipped, naming the declared sources upstream of its mart that were not ingested."""
    missing = missing_sources_of_task(task, warehouse_path)
    note = f" (source{'s' if len(missing) > 1 else ''} {', '.join(missing)} not ingested)" if missing else ""
    return f"{skipped}{note}"


def absent_source_notes(warehouse_path: Path | None = None) -> list[str]:
    """One note per declared source the last ingest did not get (its marts are empty)."""
    return [
        f"note: source {name} was not ingested: the models built on it are empty"
        for name in sorted(_absent_sources(warehouse_path))
    ]


def warm_up_for_validation(raw_rows: int):
    """Started before the dbt build, whose subprocess leaves this process idle and a core spare.

    Imports GX and the ML layer in a background thread (≈ 5 s otherwise spent
    when validation starts) and spawns the validation helper processes, which
    import GX too. ``raw_rows`` (rows ingested) sizes the validation; returns
    the helpers (None with one validation job).
    """
    from expectations.runner import import_suites, start_helper_processes

    def import_later_steps() -> None:
        try:
            import_suites()
            import ml.score  # noqa: F401
            import ml.train  # noqa: F401
        except Exception:  # noqa: BLE001 - the step itself imports again and reports the error
            pass

    threading.Thread(target=import_later_steps, name="warm-up", daemon=True).start()

    return start_helper_processes(config.validation_jobs(raw_rows) - 1)


def validate_step(
    allow_failed_quality: bool,
    helpers=None,
    warehouse_path: Path | None = None,
    on_progress: Progress = progress.ignore,
) -> list[str]:
    """Validate ``warehouse_path`` (with the warmed-up ``helpers``, shut down afterwards, if given)."""
    from expectations.runner import validate

    try:
        outcome = validate(helpers=helpers, warehouse_path=warehouse_path, on_progress=on_progress)
    finally:
        if helpers is not None:
            helpers.shutdown()
    lines = outcome.lines()
    if outcome.blocking_failed and not allow_failed_quality:
        raise DataCheckFailed(
            "validation has blocking failures; modelling stopped. "
            f"See {outcome.docs_index} (or rerun with --allow-failed-quality)"
        )
    return lines


def train_and_score_step(
    task: str, allow_failed_quality: bool, warehouse_path: Path | None = None, on_progress: Progress = progress.ignore
) -> tuple[str, list[str]]:
    from ml.errors import TaskSkipped
    from ml.score import score_task
    from ml.train import train_task

    try:
        trained = train_task(
            task, allow_failed_quality=allow_failed_quality, warehouse_path=warehouse_path, on_progress=on_progress
        )
    except TaskSkipped as skipped:
        return "skipped", [f"skipped: {skipped_with_sources(task, skipped, warehouse_path)}"]
    scored = score_task(task, allow_failed_quality=allow_failed_quality, warehouse_path=warehouse_path)
    return "ok", [*trained.lines(), *scored.lines()]


def report_step() -> list[str]:
    from ledgerlab.insights import build_report

    return build_report().lines()


def _generate_unless_given(console: Console, report: PipelineReport, options: RunOptions) -> Path | None:
    """The raw folder: the one given, or the synthetic bank generated now."""
    raw_dir = options.raw_dir
    if raw_dir is None and options.generate:  # no raw folder given: the synthetic bank
        holder: dict[str, Path] = {}

        def _generate(on_progress: Progress) -> list[str]:
            holder["out"], lines = generate_step(options, on_progress)
            return [*lines, f"files in {holder['out']}"]

        _step(console, report, "generate", _generate, "units")
        raw_dir = holder["out"]
    report.outputs["raw data"] = (
        str(raw_dir) if raw_dir else ", ".join(f"{name}={path}" for name, path in options.sources.items())
    )
    return raw_dir


def _train_and_score_tasks(
    console: Console, report: PipelineReport, options: RunOptions, warehouse_path: Path | None, scores_where: str
) -> None:
    """Train and score every task of the run; ``scores_where`` names the scores table ({task} filled in)."""
    from ml.tasks import available_tasks

    paths = config.paths()
    for task in options.tasks or tuple(available_tasks()):
        started = time.perf_counter()
        with _progress_bar(console, f"train + score {task}", "CV folds") as on_progress:
            status, lines = train_and_score_step(
                task, options.allow_failed_quality, warehouse_path=warehouse_path, on_progress=on_progress
            )
        record = StepRecord(f"train + score {task}", time.perf_counter() - started, lines, status)
        report.steps.append(record)
        mark = "[green]✓[/green]" if status == "ok" else "[yellow]–[/yellow]"
        console.print(f"{mark} [bold]{record.name}[/bold] [dim]({record.seconds:.1f} s)[/dim]")
        for line in lines:
            console.print(f"    {line}")
        if status == "ok":
            report.outputs[f"{task} metrics"] = str(paths.model_reports(task) / "metrics.json")
            report.outputs[f"{task} model card"] = str(paths.model_reports(task) / "model_card.html")
            report.outputs[f"{task} scores"] = scores_where.format(task=task)


def run_pipeline(options: RunOptions, console: Console | None = None) -> PipelineReport:
    """The whole path. All-or-nothing for the warehouse: ingest → build → validate → train + score
    write a private copy, published (one atomic rename) only when every step passed; on a failure
    or an interrupt the published warehouse is as it was (warehouse.publishing)."""
    from ledgerlab.core import warehouse

    if config.engine() == "spark":
        return run_pipeline_spark(options, console)
    console = console or Console()
    report = PipelineReport()
    paths = config.paths()

    with warehouse.writer_lock("ledgerlab run") as published, warehouse.private_copy(published) as copy:
        raw_dir = _generate_unless_given(console, report, options)

        ingested: dict[str, int] = {}
        _step(
            console,
            report,
            "ingest",
            lambda on: ingest_step(raw_dir, options, ingested, warehouse_path=copy, on_progress=on),
            "bytes",
        )
        report.outputs["warehouse"] = str(published)
        raw_rows = sum(ingested.values())
        helpers = warm_up_for_validation(raw_rows)
        try:
            _step(
                console,
                report,
                "dbt build",
                lambda on: build_step(full_refresh=True, warehouse_path=copy, on_progress=on, raw_rows=raw_rows),
                "dbt nodes",
            )
        except BaseException:
            if helpers is not None:
                helpers.shutdown()
            raise
        _step(
            console,
            report,
            "validate",
            lambda on: validate_step(options.allow_failed_quality, helpers, warehouse_path=copy, on_progress=on),
            "GX suites",
        )
        report.outputs["quality report"] = str(paths.quality_reports / "index.html")
        report.outputs["quality summary"] = str(paths.quality_reports / "summary.json")

        _train_and_score_tasks(console, report, options, copy, f"table ml.scores_{{task}} in {published}")
    console.print(f"[green]✓[/green] [bold]published[/bold] {published}")

    _step(console, report, "report", lambda on: report_step())
    report.outputs["insight report"] = str(paths.insight_reports / "index.html")
    report.outputs["models"] = str(paths.models)
    return report


# --- The Spark engine (LEDGERLAB_ENGINE=spark; docs/SCALE_OUT.md) -------------------------------
#
# Ingest and dbt run in this process, in one Spark session: dbt-spark's session method takes the
# session the ingest started (getOrCreate), so there is one JVM and one Derby metastore, which
# admits one process at a time anyway. Validation, training and scoring follow in the same process.


def spark_ingest_step(
    raw_dir: Path | None, options: RunOptions, rows_out: dict[str, int] | None = None, spark=None
) -> list[str]:
    """Spark's readers load the raw files into Spark's ``raw`` database (ledgerlab.ingest.spark)."""
    from ledgerlab.ingest import spark as spark_ingest

    result = spark_ingest.ingest(raw_dir, spark=spark, sources=options.sources)
    return _ingest_summary(result, "raw rows (Spark)", rows_out)


def _dbt_in_this_process(args: list[str], on_progress: Progress = progress.ignore) -> None:
    """``dbt <args> --target spark`` through dbtRunner, so that dbt-spark shares this process's session."""
    from dbt.cli.main import dbtRunner

    from ledgerlab.core import spark as spark_engine
    from ledgerlab.dbt import dbt_environment, failure_from

    env = dbt_environment()
    for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR"):
        os.environ[key] = env[key]
    for key in ("DO_NOT_TRACK", "DBT_SEND_ANONYMOUS_USAGE_STATS"):
        os.environ[key] = env[key]
    for key, value in spark_engine.environment().items():
        os.environ.setdefault(key, value)
    done = [0]

    def count(event) -> None:  # dbt's "N of M" results: one per node
        data = getattr(event, "data", None)
        if event.info.name.endswith("Result") and getattr(data, "total", 0):
            done[0] += 1
            on_progress(done[0], int(data.total))

    started_wall = time.time()
    full = ["--quiet", "--no-use-colors", *args, "--target", "spark"]
    result = dbtRunner(callbacks=[count]).invoke(full)
    if not result.success:
        message = [str(result.exception)] if result.exception else []
        raise failure_from(args, 1, message, env, started_wall)


def spark_build_step(full_refresh: bool = False, on_progress: Progress = progress.ignore) -> list[str]:
    """`dbt build --target spark` in this process (the quarantine macro regenerated first, as on DuckDB)."""
    from ledgerlab.core import spark_tables
    from ledgerlab.core.sources import write_macros

    if not spark_tables.exists("raw", "_ingest_manifest"):
        raise MissingStep(
            f"no ingested data in {spark_tables.warehouse_dir()}: run `ledgerlab ingest --engine spark` first"
        )
    write_macros()
    key, is_default = config.pseudonym_key()
    lines = []
    if is_default:
        lines.append(
            "warning: LEDGERLAB_PSEUDONYM_KEY is not set; client ids are pseudonymised with the "
            "DEVELOPMENT key — set your own key for any real data"
        )
    args = ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if full_refresh else [])]
    _dbt_in_this_process(args, on_progress)
    return [*lines, "dbt build --target spark: passed", *spark_absent_source_notes()]


def spark_absent_source_notes() -> list[str]:
    """As ``absent_source_notes``, from the Spark ingest manifest."""
    import polars as pl

    from ledgerlab.core import spark_tables

    manifest = spark_tables.read("raw", "_ingest_manifest")
    absent = manifest.filter(~pl.col("present")).get_column("table_name").to_list()
    return [f"note: raw table {name} was not ingested: the models built on it are empty" for name in sorted(absent)]


def spark_writer_lock(who: str):
    """The one writer's lock on the Spark warehouse folder (``<spark dir>/warehouse.lock``)."""
    from ledgerlab.core import spark_tables, warehouse

    return warehouse.writer_lock(who, spark_tables.warehouse_dir())


def run_pipeline_spark(options: RunOptions, console: Console | None = None) -> PipelineReport:
    """The whole path on Spark: generate → Spark ingest → dbt build → GX on Spark → train + score → report.

    Not all-or-nothing like the DuckDB run: Spark writes its tables in place
    (docs/SCALE_OUT.md, "What is atomic on Spark"); the writer lock keeps a
    second ledgerlab writer out.
    """
    from ledgerlab.core import spark as spark_engine
    from ledgerlab.core import spark_tables

    spark_engine.check_available()
    console = console or Console()
    report = PipelineReport()
    paths = config.paths()
    with spark_writer_lock("ledgerlab run --engine spark"):
        raw_dir = _generate_unless_given(console, report, options)
        holder: dict = {}

        def _ingest(on_progress: Progress) -> list[str]:
            holder["spark"] = spark_engine.session()
            return spark_ingest_step(raw_dir, options, spark=holder["spark"])

        _step(console, report, "ingest (Spark)", _ingest)
        report.outputs["warehouse"] = f"Spark tables in {spark_tables.warehouse_dir()}"
        _step(console, report, "dbt build (Spark)", lambda on: spark_build_step(True, on), "dbt nodes")
        _step(
            console,
            report,
            "validate (Spark)",
            lambda on: validate_step(options.allow_failed_quality, on_progress=on),
            "GX suites",
        )
        report.outputs["quality report"] = str(paths.quality_reports / "index.html")
        report.outputs["quality summary"] = str(paths.quality_reports / "summary.json")
        _train_and_score_tasks(console, report, options, None, "Spark table ml.scores_{task}")
    _step(console, report, "report", lambda on: report_step())
    report.outputs["insight report"] = str(paths.insight_reports / "index.html")
    report.outputs["models"] = str(paths.models)
    return report
