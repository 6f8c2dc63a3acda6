"""The validation history: ``quality.validation_runs`` and ``quality.validation_results``.

Written with a read-write connection *after* GX has closed its read-only
ones (one writer per DuckDB file). ``ledgerlab.core.quality_gate`` reads these tables:
their column names are its contract.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from expectations.results import SuiteRow, to_json_text
from ledgerlab.core import warehouse

RUNS_DDL = """
create table if not exists quality.validation_runs (
    run_id varchar primary key,
    run_at timestamp,
    data_fingerprint varchar,
    n_expectations integer,
    n_failed integer,
    n_blocking_failed integer,
    success boolean,
    report_path varchar
)
"""

RESULTS_DDL = """
create table if not exists quality.validation_results (
    run_id varchar,
    suite varchar,
    expectation_id varchar,
    expectation_type varchar,
    "column" varchar,
    severity varchar,
    success boolean,
    observed_value varchar,
    unexpected_count bigint,
    unexpected_sample varchar,
    element_count bigint,
    catches varchar
)
"""


def result_record(run_id: str, e) -> list:
    """One row of quality.validation_results (RESULTS_DDL's column order), on either engine."""
    return [
        run_id,
        e.suite,
        e.expectation_id,
        e.expectation_type,
        e.column,
        e.severity,
        e.success,
        to_json_text(e.observed_value if e.error is None else {"error": e.error}),
        e.unexpected_count if isinstance(e.unexpected_count, int) else None,
        to_json_text(e.unexpected_sample),
        e.element_count if isinstance(e.element_count, int) else None,
        ",".join(e.catches),
    ]


def record_run(
    warehouse_path: Path,
    *,
    run_id: str,
    run_at: datetime,
    data_fingerprint: str,
    suites: list[SuiteRow],
    report_path: str,
) -> None:
    rows = [e for s in suites for e in s.expectations]
    n_failed = sum(not e.success for e in rows)
    n_blocking = sum(not e.success and e.severity == "blocking" for e in rows)
    with warehouse.connection(warehouse_path) as con:
        con.execute("create schema if not exists quality")
        con.execute(RUNS_DDL)
        con.execute(RESULTS_DDL)
        con.execute("begin transaction")
        con.execute(
            "insert into quality.validation_runs values (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, run_at, data_fingerprint, len(rows), n_failed, n_blocking, n_blocking == 0, report_path],
        )
        if rows:
            con.executemany(
                "insert into quality.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [result_record(run_id, e) for e in rows],
            )
        con.execute("commit")
