"""Run bench/floor.sql: raw files → marts in one DuckDB script (the floor of the benchmarks).

    python -m bench.floor --raw DIR --db FILE

The connection is ledgerlab's own (``ledgerlab.core.warehouse.connect``): the
same DuckDB memory limit, threads and capped spill folder as every step.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ledgerlab.core import config, warehouse

FLOOR_SQL = Path(__file__).with_name("floor.sql")
DATA_END_DATE = "1998-12-31"  # dbt_project.yml vars.data_end_date

_TRANS_COLUMNS = (
    "trans_id",
    "account_id",
    "date",
    "type",
    "operation",
    "amount",
    "balance",
    "k_symbol",
    "bank",
    "account",
)


def _lit(value: str | Path) -> str:
    return str(value).replace("'", "''")


def _trans_scan(path: Path) -> str:
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in _TRANS_COLUMNS)
    return (
        f"read_csv('{_lit(path)}', delim=';', quote='\"', escape='\"', header=true, auto_detect=false, "
        f"allow_quoted_nulls=false, ignore_errors=true, columns={{{columns}}})"
    )


def _events_scan(path: Path | None) -> str:
    if path is None:
        return "(select cast(null as varchar) as raw_line where false)"
    return (
        f"read_csv('{_lit(path)}', delim=chr(31), quote='', escape='', header=false, auto_detect=false, "
        "columns={'raw_line': 'VARCHAR'}, allow_quoted_nulls=false)"
    )


def render(raw_dir: Path, trans_file: str = "trans.asc") -> str:
    """floor.sql with its placeholders filled for ``raw_dir``."""
    raw_dir = Path(raw_dir).resolve()
    trans = raw_dir / trans_file
    if not trans.is_file() and (raw_dir / "trans_head.asc").is_file():
        trans = raw_dir / "trans_head.asc"
    events = raw_dir / "digital_events.jsonl"
    key, _ = config.pseudonym_key()
    sql = FLOOR_SQL.read_text(encoding="utf-8")
    for name, value in {
        "raw_dir": _lit(raw_dir),
        "trans_file": _trans_scan(trans),
        "trans_name": _lit(trans.name),
        "events_file": _events_scan(events if events.is_file() else None),
        "pseudonym_key": _lit(key),
        "data_end_date": DATA_END_DATE,
    }.items():
        sql = sql.replace("{{" + name + "}}", value)
    return sql


def _statement_label(sql: str) -> str:
    words = " ".join(" ".join(ln for ln in sql.splitlines() if not ln.strip().startswith("--")).split())
    for marker in ("table ", "view ", "macro ", "variable "):
        if marker in words[:80]:
            return words[words.index(marker) :].split(" as ")[0][:60]
    return words[:60]


def run_floor(raw_dir: Path, db_path: Path, profile: bool = False) -> dict[str, float | int]:
    """Build the floor's marts into ``db_path`` (replaced); returns seconds and row counts."""
    db_path = Path(db_path)
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = warehouse.connect(db_path)  # the DuckDB settings ledgerlab runs with (memory, threads, spill)
    try:
        if profile:
            for statement in con.extract_statements(render(raw_dir)):
                t0 = time.perf_counter()
                con.execute(statement)
                print(f"  {time.perf_counter() - t0:8.2f} s  {_statement_label(statement.query)}", flush=True)
        else:
            con.execute(render(raw_dir))
        rows = {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in ("fct_transactions", "account_monthly", "loan_features")
        }
    finally:
        con.close()
    return {"seconds": time.perf_counter() - started, **rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="folder of raw Berka files")
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to (re)create")
    parser.add_argument("--profile", action="store_true", help="time every statement of the script")
    args = parser.parse_args()
    result = run_floor(args.raw, args.db, profile=args.profile)
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
