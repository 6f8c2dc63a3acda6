"""Opening the DuckDB warehouse the same way everywhere.

One writer per DuckDB file: the pipeline's writing steps (ingest, dbt, the
validation history, scores) run one after another; every reader opens the
file with ``read_only=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ledgerlab import config
from ledgerlab.errors import MissingStep, UserError, WarehouseBusy

_BYTES_PER_UNIT = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with the project's memory limit, threads and spill folder (capped)."""
    paths = config.paths()
    path = Path(path) if path is not None else paths.warehouse
    if read_only and not path.exists():
        raise MissingStep(
            f"warehouse {path} does not exist: run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "lock" in message.lower():
            raise WarehouseBusy(
                f"warehouse busy: {path} is open for writing in another process ({message}); "
                "close it (a notebook's read-write connection?) or wait for that step to finish"
            ) from None
        raise UserError(f"warehouse {path} cannot be opened: {message}") from None
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


def memory_limit_share(limit: str, parts: int) -> str:
    """One of ``parts`` equal shares of a DuckDB memory limit such as ``10GB``.

    For processes that each open the warehouse: together they stay within
    the one limit the user configured.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*", limit, flags=re.IGNORECASE)
    if match is None:
        raise UserError(f"DuckDB memory limit {limit!r} (LEDGERLAB_DUCKDB_MEMORY_LIMIT) is not a size such as 10GB")
    total = float(match.group(1)) * _BYTES_PER_UNIT[(match.group(2) or "b").lower()]
    return f"{max(1, int(total / max(1, parts) / 10**6))}MB"

