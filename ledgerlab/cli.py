"""`ledgerlab`: one command per pipeline step, and `run` for all of them.

Exit codes (README, "Exit codes"; ledgerlab.core.errors): 0 done; 1 the data
failed its checks (dbt tests, blocking quality failures); 2 the command could
not run (bad arguments or input, a step to run first), printed as one line;
3 the warehouse is busy (another ledgerlab process writes it); 130
interrupted. Tracebacks are for bugs only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

# Offline by design: no telemetry from dbt or Great Expectations.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import typer
from rich.console import Console
from rich.table import Table

from ledgerlab.core import config
from ledgerlab.core.errors import EXIT_DATA_FAILED, EXIT_INTERRUPTED, EXIT_USER_ERROR, MissingStep, UserError

app = typer.Typer(
    name="ledgerlab",
    help="SQL-first analytics and machine learning for a retail bank.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # usage errors as click prints them: the last line is "Error: <what is wrong>", no box around it
    rich_markup_mode=None,
    add_completion=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True)

AccountsOpt = Annotated[int, typer.Option("--accounts", "-n", min=1, help="Number of accounts to generate.")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", min=0, help="Random seed (same seed, same files).")]
TaskOpt = Annotated[str, typer.Option("--task", "-t", help="Task name (a YAML file in ml/tasks/).")]
AllowFailedOpt = Annotated[
    bool, typer.Option("--allow-failed-quality", help="Proceed despite blocking quality failures (recorded).")
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        metavar="NAME=PATH",
        help="A declared source or raw table and its file or folder, e.g. --source taiwan=UCI_Credit_Card.csv "
        "or --source trans=raw/trans_head.asc (repeatable; LEDGERLAB_TAIWAN_CSV is --source taiwan=...).",
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="duckdb|spark",
        help="Where the data is processed: duckdb (default) or spark (LEDGERLAB_ENGINE; docs/SCALE_OUT.md).",
    ),
]


def _use_engine(engine: str | None) -> str:
    """Make ``--engine`` the process's setting (LEDGERLAB_ENGINE, read by config.engine()); check Spark is there."""
    if engine is not None:
        os.environ["LEDGERLAB_ENGINE"] = engine
    chosen = config.engine()
    if chosen == "spark":
        from ledgerlab.core import spark

        spark.check_available()
    return chosen


def _spark_lock(who: str):
    from ledgerlab.pipeline import spark_writer_lock

    return spark_writer_lock(who)


def _fail(message: str, code: int = EXIT_USER_ERROR) -> None:
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _sources(pairs: list[str] | None, *, alias: bool = True) -> dict[str, Path]:
    """``--source NAME=PATH`` pairs, plus the Taiwan file of LEDGERLAB_TAIWAN_CSV (an alias)."""
    given: dict[str, Path] = {}
    for pair in pairs or []:
        name, sep, path = pair.partition("=")
        if not sep or not name.strip() or not path.strip():
            _fail(f"--source expects NAME=PATH (a source or raw table, a file or folder), got {pair!r}")
        given[name.strip()] = Path(path.strip()).expanduser()
    taiwan = config.taiwan_csv() if alias else None
    if taiwan is not None and "taiwan" not in given and "taiwan_credit_card" not in given:
        given["taiwan"] = taiwan
    return given


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line, highlight=False)


@app.command()
def generate(
    accounts: AccountsOpt = config.DEFAULT_ACCOUNTS,
    seed: SeedOpt = config.DEFAULT_SEED,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")] = None,
    clean: Annotated[bool, typer.Option("--clean", help="Inject no data defects.")] = False,
    file_format: Annotated[str, typer.Option("--format", help="csv (Berka format) or parquet.")] = "csv",
    chunk_accounts: Annotated[int, typer.Option(min=1, help="Accounts generated per chunk (memory bound).")] = 5000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: one per CPU from 20,000 accounts).")
    ] = None,
) -> None:
    """Generate a synthetic bank in the Berka files' format, with ground truth."""
    from ledgerlab.generator import generate as run_generate

    if file_format not in ("csv", "parquet"):
        _fail(f"--format must be csv or parquet, got {file_format!r}")
    out = out or config.paths().generated_data / f"accounts{accounts}_seed{seed}"
    summary = run_generate(
        out,
        accounts=accounts,
        seed=seed,
        clean=clean,
        file_format=file_format,
        chunk_accounts=chunk_accounts,
        workers=workers,
    )
    _print_lines(summary.lines())


@app.command()
def ingest(
    raw: Annotated[Path | None, typer.Option("--raw", help="Folder holding the raw files.")] = None,
    source: SourceOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Load raw files into the warehouse's raw schema (text + lineage)."""
    from ledgerlab.core import warehouse
    from ledgerlab.pipeline import RunOptions, ingest_step

    sources = _sources(source)
    if raw is None and not sources:
        _fail("give the raw files: --raw FOLDER and/or --source NAME=PATH")
    if _use_engine(engine) == "spark":
        from ledgerlab.core import spark_tables
        from ledgerlab.pipeline import spark_ingest_step

        with _spark_lock("ledgerlab ingest --engine spark"):
            lines = spark_ingest_step(raw, RunOptions(sources=sources))
        _print_lines([*lines, f"Spark tables in {spark_tables.warehouse_dir()}"])
        return
    with warehouse.publishing("ledgerlab ingest") as copy:  # all or nothing: see warehouse.publishing
        lines = ingest_step(raw, RunOptions(sources=sources), warehouse_path=copy)
    _print_lines([*lines, f"published {config.paths().warehouse}"])


@app.command()
def build(
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild incremental models from scratch (after replacing the raw data)."
    ),
    engine: EngineOpt = None,
) -> None:
    """Run `dbt build` (models and their tests) on the warehouse."""
    from ledgerlab.core import warehouse
    from ledgerlab.pipeline import build_step, require_ingested

    if _use_engine(engine) == "spark":
        from ledgerlab.pipeline import spark_build_step

        with _spark_lock("ledgerlab build --engine spark"):
            _print_lines(spark_build_step(full_refresh=full_refresh))
        return
    raw_rows = require_ingested(config.paths().warehouse)  # refused before the warehouse is copied
    with warehouse.publishing("ledgerlab build") as copy:  # the previous marts stay until this build passed
        lines = build_step(full_refresh=full_refresh, warehouse_path=copy, raw_rows=raw_rows)
    _print_lines([*lines, f"published {config.paths().warehouse}"])


@app.command()
def docs() -> None:
    """Generate dbt docs as one static HTML file (target/static_index.html)."""
    from ledgerlab.dbt import build_static_docs

    warehouse = config.paths().warehouse
    if not warehouse.exists():
        raise MissingStep(f"no warehouse at {warehouse}: run `ledgerlab ingest --raw DIR` and `ledgerlab build` first")
    console.print(f"dbt docs: {build_static_docs()}")


@app.command()
def validate(engine: EngineOpt = None) -> None:
    """Run every Great Expectations suite; exit 1 on a blocking failure."""
    from expectations.runner import validate as run_validate
    from ledgerlab.core import warehouse

    spark = _use_engine(engine) == "spark"
    with (
        _spark_lock("ledgerlab validate --engine spark") if spark else warehouse.writer_lock("ledgerlab validate")
    ):  # records the run in place, as the one writer
        outcome = run_validate()
    _print_lines(outcome.lines())
    if outcome.blocking_failed:
        err_console.print("[bold red]blocking quality failures[/bold red]: modelling will refuse this data")
        raise typer.Exit(EXIT_DATA_FAILED)


@app.command()
def train(
    task: TaskOpt = "loan_default", allow_failed_quality: AllowFailedOpt = False, engine: EngineOpt = None
) -> None:
    """Train, tune and validate the task's candidate models; write metrics and a model card."""
    from ml.errors import TaskSkipped
    from ml.train import train_task

    _use_engine(engine)  # Spark: the mart's Parquet files, read by Polars
    try:
        trained = train_task(task, allow_failed_quality=allow_failed_quality)
    except TaskSkipped as skipped:  # as `ledgerlab run` says it: name the source that was not ingested
        from ledgerlab.pipeline import skipped_with_sources

        raise TaskSkipped(skipped_with_sources(task, skipped)) from None
    _print_lines(trained.lines())


@app.command()
def score(
    task: TaskOpt = "loan_default", allow_failed_quality: AllowFailedOpt = False, engine: EngineOpt = None
) -> None:
    """Score the task's mart with the latest model into ml.scores_<task>, with drift checks."""
    from ledgerlab.core import warehouse
    from ml.score import score_task

    spark = _use_engine(engine) == "spark"  # Spark: the scores become a Spark table
    with (
        _spark_lock("ledgerlab score --engine spark") if spark else warehouse.writer_lock("ledgerlab score")
    ):  # writes ml.scores_<task> in place, as the one writer
        result = score_task(task, allow_failed_quality=allow_failed_quality)
    _print_lines(result.lines())


@app.command()
def predict(
    task: TaskOpt = "loan_default",
    input_path: Annotated[Path, typer.Option("--input", "-i", help="CSV or Parquet of feature rows.")] = ...,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write scores.")] = None,
) -> None:
    """Score a file of feature rows with the latest model (for integration tests)."""
    from ml.predict import predict_file

    console.print(f"scores written to {predict_file(task, input_path, output)}")


@app.command()
def report() -> None:
    """Write the insight report (reports/insights/index.html)."""
    from ledgerlab.insights import build_report

    _print_lines(build_report().lines())


@app.command()
def run(
    accounts: AccountsOpt = config.DEFAULT_ACCOUNTS,
    seed: SeedOpt = config.DEFAULT_SEED,
    raw: Annotated[Path | None, typer.Option("--raw", help="Use these raw files instead of generating.")] = None,
    clean: Annotated[bool, typer.Option("--clean", help="Generate without data defects.")] = False,
    source: SourceOpt = None,
    allow_failed_quality: AllowFailedOpt = False,
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task", "-t", metavar="TASK", help="Train and score only this task (repeatable; default: every task)."
        ),
    ] = None,
    engine: EngineOpt = None,
) -> None:
    """Generate (unless --raw or --source) → ingest → dbt build → validate → train → score → report."""
    from ledgerlab.pipeline import RunOptions, run_pipeline
    from ml.tasks import available_tasks

    _use_engine(engine)

    known = available_tasks()  # a task is a YAML file in ml/tasks/
    unknown = sorted(set(task or ()) - set(known))
    if unknown:
        raise UserError(f"unknown task {', '.join(unknown)}; the tasks are {', '.join(known)}")
    options = RunOptions(
        accounts=accounts,
        seed=seed,
        raw_dir=raw,
        clean=clean,
        sources=_sources(source),
        generate=not _sources(source, alias=False),  # --source without --raw: only those files
        allow_failed_quality=allow_failed_quality,
        tasks=tuple(task) if task else tuple(known),  # default: every task YAML in ml/tasks/
    )
    result = run_pipeline(options, console)
    table = Table(title=f"ledgerlab run finished in {result.seconds:.0f} s", show_lines=False)
    table.add_column("output")
    table.add_column("where", overflow="fold")
    for name, where in result.outputs.items():
        table.add_row(name, where)
    console.print(table)


def main() -> None:
    """Console entry point: user errors end in one line on stderr and their exit code."""
    try:
        app()
    except UserError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[bold red]error:[/bold red] interrupted; the published warehouse is unchanged")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
