"""Great Expectations vs the same checks in plain SQL, side by side on one warehouse.

    python -m bench.gx_vs_sql                          # 4,500 accounts (≈1 M transactions), built if missing
    python -m bench.gx_vs_sql --accounts 45000
    python -m bench.gx_vs_sql --warehouse FILE         # an existing warehouse

The plain-SQL side is generated from the very same suite code: each check
becomes the query (or two) a careful engineer would write by hand: the count
of unexpected rows and a sample of ten, under the same row condition, on
one read-only DuckDB connection. The GX side is ``expectations.runner.validate``
(suites validated in as many processes as a run uses, Data Docs, history).
Both report every check's pass/fail: the script asserts they agree, so the
figures compare equal work.

Printed: GX start-up (import, and the helper processes' import, both before
the clock, as in ``ledgerlab run``), GX validation (contexts + checkpoints
incl. Data Docs), the rest of validate (reports, history), plain SQL, and the
ratios.
Results go to bench/results/gx_vs_sql_<accounts>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerlab.core import config, warehouse

RESULTS = Path(__file__).with_name("results")
SAMPLE = 10


# --- the warehouse ---------------------------------------------------------------------------


def build_warehouse(workdir: Path, accounts: int, seed: int) -> Path:
    """Generate → ingest → dbt run into workdir (reused when already built)."""
    path = workdir / "warehouse.duckdb"
    if path.exists() and (workdir / ".built").exists():
        return path
    from ledgerlab.dbt import run_dbt
    from ledgerlab.generator import generate
    from ledgerlab.ingest import ingest

    workdir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    t0 = time.perf_counter()
    generate(workdir / "data", accounts=accounts, seed=seed)
    ingest(workdir / "data", warehouse_path=path)
    os.environ["DBT_TARGET_PATH"] = str(workdir / "target")
    os.environ["DBT_LOG_PATH"] = str(workdir / "logs")
    run_dbt(["run"], warehouse_path=path)
    (workdir / ".built").write_text(f"built in {time.perf_counter() - t0:.0f} s\n")
    return path


# --- the checks as plain SQL -------------------------------------------------------------------


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _condition_sql(condition) -> str:
    if condition is None:
        return "true"
    operator = str(getattr(condition, "operator", ""))
    if operator == "==":
        return f'"{condition.column.name}" = {_literal(condition.parameter)}'
    raise NotImplementedError(f"row condition {condition!r}")


def _passes_mostly(unexpected: int, denominator: int, mostly) -> bool:
    if denominator == 0:
        return True
    return (1 - unexpected / denominator) >= (mostly if mostly is not None else 1.0)


def run_check_sql(con: duckdb.DuckDBPyConnection, schema: str, table: str, expectation) -> bool:
    """Evaluate one expectation with hand-written SQL; return whether it passes."""
    kind = type(expectation).__name__
    relation = f'{schema}."{table}"'
    where = _condition_sql(getattr(expectation, "row_condition", None))
    one = lambda sql: con.execute(sql).fetchall()[0]  # noqa: E731

    if kind in ("UnexpectedRowsWithSample", "UnexpectedRowsExpectation"):
        query = expectation.unexpected_rows_query.replace("{batch}", relation)
        query = query.replace("{{", "{").replace("}}", "}")
        (count,) = one(f"select count(*) from ({query}) as q")
        con.execute(f"select * from ({query}) as q limit {SAMPLE}").fetchall()
        return count == 0
    if kind == "ExpectTableColumnsToMatchSet":
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        }
        wanted = set(expectation.column_set)
        return columns == wanted if expectation.exact_match else wanted <= columns
    if kind == "ExpectTableRowCountToBeBetween":
        (count,) = one(f"select count(*) from {relation}")
        low, high = expectation.min_value, expectation.max_value
        return (low is None or count >= low) and (high is None or count <= high)
    if kind == "ExpectTableRowCountToEqual":
        (count,) = one(f"select count(*) from {relation}")
        return count == expectation.value
    if kind == "ExpectColumnDistinctValuesToEqualSet":
        values = {r[0] for r in con.execute(f'select distinct "{expectation.column}" from {relation}').fetchall()}
        return values - {None} == set(expectation.value_set)
    if kind == "ExpectColumnMeanToBeBetween":
        (mean,) = one(f'select avg("{expectation.column}") from {relation} where {where}')
        return mean is not None and expectation.min_value <= mean <= expectation.max_value

    column = f'"{expectation.column}"'
    if kind == "ExpectColumnValuesToNotBeNull":
        unexpected = f"{column} is null"
        total, bad = one(f"select count(*), count(*) filter (where {unexpected}) from {relation} where {where}")
        con.execute(f"select {column} from {relation} where {where} and {unexpected} limit {SAMPLE}").fetchall()
        return _passes_mostly(bad, total, expectation.mostly)
    if kind == "ExpectColumnValuesToBeUnique":
        nonnull, bad = one(
            f"select (select count({column}) from {relation} where {where}), coalesce(sum(n), 0) from "
            f"(select count(*) as n from {relation} where {where} and {column} is not null "
            f"group by {column} having count(*) > 1)"
        )
        con.execute(
            f"select {column} from {relation} where {where} and {column} in (select {column} from {relation} "
            f"where {where} group by {column} having count(*) > 1) limit {SAMPLE}"
        ).fetchall()
        return _passes_mostly(int(bad), nonnull, expectation.mostly)
    if kind == "ExpectColumnValuesToBeInSet":
        unexpected = f"{column} not in ({', '.join(_literal(v) for v in expectation.value_set)})"
    elif kind == "ExpectColumnValuesToBeBetween":
        low, high = expectation.min_value, expectation.max_value
        parts = []
        if low is not None:
            parts.append(f"{column} {'<=' if expectation.strict_min else '<'} {_literal(low)}")
        if high is not None:
            parts.append(f"{column} {'>=' if expectation.strict_max else '>'} {_literal(high)}")
        unexpected = " or ".join(parts)
    else:
        raise NotImplementedError(kind)
    nonnull, bad = one(
        f"select count({column}), count(*) filter (where {column} is not null and ({unexpected})) "
        f"from {relation} where {where}"
    )
    con.execute(
        f"select {column} from {relation} where {where} and {column} is not null and ({unexpected}) limit {SAMPLE}"
    ).fetchall()
    return _passes_mostly(bad, nonnull, expectation.mostly)


def run_plain_sql(warehouse_path: Path, planned) -> tuple[float, dict[tuple[str, str], bool]]:
    started = time.perf_counter()
    con = warehouse.connect(warehouse_path, read_only=True)  # the settings GX's connections use
    outcomes = {}
    try:
        for suite in planned:
            for check in suite.checks:
                outcomes[(suite.name, check.name)] = run_check_sql(con, *suite.relation, check.expectation)
    finally:
        con.close()
    return time.perf_counter() - started, outcomes


# --- the benchmark -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse (default: build one)")
    parser.add_argument("--accounts", type=int, default=config.DEFAULT_ACCOUNTS)
    parser.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path, help="where to build (default build/bench_gx/<accounts>)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side (the fastest counts)")
    args = parser.parse_args(argv)

    workdir = args.workdir or config.paths().build / "bench_gx" / str(args.accounts)
    build_s = None
    if args.warehouse is None:
        t0 = time.perf_counter()
        warehouse_path = build_warehouse(workdir, args.accounts, args.seed)
        build_s = time.perf_counter() - t0
    else:
        warehouse_path = args.warehouse
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["LEDGERLAB_HOME"] = str(home)  # reports and build/gx of the GX runs stay in the workdir

    t0 = time.perf_counter()
    import expectations._gx  # noqa: F401  GX's own start-up, paid once per process

    gx_import_s = time.perf_counter() - t0
    from expectations.runner import start_helper_processes, validate
    from expectations.spec import read_facts
    from expectations.suites import plan

    facts = read_facts(warehouse_path)
    planned, skipped = plan(facts)
    jobs = config.validation_jobs(facts.raw_rows)
    n_checks = sum(len(s.checks) for s in planned)
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        n_trans = con.execute("select count(*) from raw.trans").fetchall()[0][0]

    sql_times, gx_runs, helper_start_s = [], [], []
    sql_outcomes: dict = {}
    for _ in range(args.repeat):
        seconds, sql_outcomes = run_plain_sql(warehouse_path, planned)
        sql_times.append(seconds)
        # validate()'s helper processes, started and warm (their GX import done) before the clock
        # starts, as this process's import is: what `ledgerlab run` does during the dbt build
        t0 = time.perf_counter()
        helpers = start_helper_processes(jobs - 1)
        if helpers is not None:
            helpers.wait_until_ready()
        helper_start_s.append(time.perf_counter() - t0)
        try:
            outcome = validate(warehouse_path=warehouse_path, helpers=helpers)
        finally:
            if helpers is not None:
                helpers.shutdown()
        gx_runs.append(outcome)

    best = min(gx_runs, key=lambda o: o.seconds["gx"])
    gx_outcomes = {(s.name, e.expectation_id): e.success for s in best.suites for e in s.expectations}
    mismatches = sorted(k for k in sql_outcomes if sql_outcomes[k] != gx_outcomes.get(k))
    sql_s = min(sql_times)
    gx_validation_s = best.seconds["gx"]
    gx_total_s = best.seconds["total"] + gx_import_s
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores · DuckDB threads {config.DUCKDB_THREADS}",
        "python": sys.version.split()[0],
        "command": "python -m bench.gx_vs_sql " + " ".join(argv if argv is not None else sys.argv[1:]),
        "accounts": args.accounts if args.warehouse is None else None,
        "warehouse": str(warehouse_path),
        "raw_transactions": n_trans,
        "suites": len(planned),
        "suites_skipped": len(skipped),
        "checks": n_checks,
        "build_s": build_s,
        "gx_import_s": gx_import_s,
        "gx_processes": jobs,
        "gx_helper_start_s": min(helper_start_s),
        "gx_validation_s": gx_validation_s,
        "gx_validation_runs_s": [o.seconds["gx"] for o in gx_runs],
        "gx_rest_of_validate_s": best.seconds["total"] - gx_validation_s,
        "gx_total_s": gx_total_s,
        "plain_sql_s": sql_s,
        "plain_sql_runs_s": sql_times,
        "ratio_validation": gx_validation_s / sql_s,
        "ratio_total": gx_total_s / sql_s,
        "outcome_mismatches": [f"{s}: {c}" for s, c in mismatches],
        "load_average": os.getloadavg()[0],
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"gx_vs_sql_{result['accounts'] or 'warehouse'}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"warehouse {warehouse_path}: {n_trans:,} raw transactions, {len(planned)} suites, {n_checks} checks")
    print(f"  GX import (once per process)        {gx_import_s:8.1f} s")
    print(f"  GX processes                        {jobs:8d}     helpers warm after {result['gx_helper_start_s']:.1f} s")
    print(
        f"  GX validation (context+checkpoint)  {gx_validation_s:8.1f} s   runs: "
        + ", ".join(f"{s:.1f}" for s in result["gx_validation_runs_s"])
    )
    print(f"  rest of validate (reports, history) {result['gx_rest_of_validate_s']:8.1f} s")
    print(f"  plain SQL, same checks              {sql_s:8.1f} s   runs: " + ", ".join(f"{s:.1f}" for s in sql_times))
    print(f"  ratio GX validation / SQL           {result['ratio_validation']:8.2f} x   (goal <= 1.5x, issue 17)")
    print(f"  ratio GX incl. import / SQL         {result['ratio_total']:8.2f} x")
    print(f"  load average now {result['load_average']:.1f} (shared machine; see docs/BENCHMARKS_GX.md)")
    if mismatches:
        print(f"  OUTCOME MISMATCHES ({len(mismatches)}): " + "; ".join(result["outcome_mismatches"][:10]))
        return 1
    print(f"  every check agrees between GX and plain SQL; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
