"""Opening the DuckDB warehouse the same way everywhere.

One writer per DuckDB file: the pipeline's writing steps (ingest, dbt, the
validation history, scores) run one after another; every reader opens the
file with ``read_only=True``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ledgerlab import config


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with the project's memory limit, threads and spill folder (capped)."""
    paths = config.paths()
    path = Path(path) if path is not None else paths.warehouse
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"warehouse {path} does not exist: run `ledgerlab ingest` and `dbt build` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    spill = paths.build / "duckdb_tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"set memory_limit = '{config.DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"set threads = {config.DUCKDB_THREADS}")
    con.execute(f"set temp_directory = '{spill}'")
    con.execute(f"set max_temp_directory_size = '{config.DUCKDB_MAX_TEMP_SIZE}'")
    return con


@contextmanager
def connection(path: Path | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0
