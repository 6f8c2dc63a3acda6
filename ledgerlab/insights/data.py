"""Reading the warehouse for the insight report: read-only DuckDB → Arrow → Polars.

The report must run on whatever has been built so far, so every reader asks
first whether its table exists and the caller says in the report what is
missing and which command builds it (:func:`missing_hint`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ledgerlab.core import config, warehouse

# Which command creates each schema's tables: the report prints it when one is missing.
_HINTS = {
    "marts": "run `ledgerlab build` (dbt build)",
    "raw": "run `ledgerlab ingest`",
    "quality": "run `ledgerlab validate`",
    "ml": "run `ledgerlab train` and `ledgerlab score`",
}


def missing_hint(schema: str, table: str) -> str:
    """One line for the report: what is missing and how to get it."""
    hint = _HINTS.get(schema, "build it")
    if schema == "ml" and table.startswith("scores_"):
        task = table.removeprefix("scores_")
        hint = f"run `ledgerlab train --task {task}` and `ledgerlab score --task {task}`"
    return f"{schema}.{table} is not in the warehouse yet — {hint}"


def _floats_for_decimals(frame: pl.DataFrame) -> pl.DataFrame:
    """DECIMAL columns become Float64: the report computes statistics, not ledgers."""
    casts = [pl.col(name).cast(pl.Float64) for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)]
    return frame.with_columns(casts) if casts else frame


class Warehouse:
    """A read-only view of the warehouse that tolerates a missing file or missing tables."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config.paths().warehouse
        self.con: duckdb.DuckDBPyConnection | None = None
        self.problem: str | None = None
        if path is None and config.engine() == "spark":  # the Spark tables' Parquet files, as views
            from ledgerlab.core import spark_tables

            self.path = spark_tables.warehouse_dir()
            self.con = duckdb.connect()
            spark_tables.attach_as_views(self.con)
        elif not self.path.exists():
            self.problem = f"no warehouse at {self.path} — run `ledgerlab ingest` and `ledgerlab build` first"
        else:
            self.con = warehouse.connect(self.path, read_only=True)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def has(self, schema: str, table: str) -> bool:
        return self.con is not None and warehouse.table_exists(self.con, schema, table)

    def columns(self, schema: str, table: str) -> list[str]:
        if self.con is None:
            return []
        rows = self.con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        return [r[0] for r in rows]

    def tables(self, schema: str) -> list[str]:
        if self.con is None:
            return []
        rows = self.con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [schema],
        ).fetchall()
        return [r[0] for r in rows]

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        if self.con is None:
            raise FileNotFoundError(self.problem)
        arrow = self.con.sql(sql, params=params).to_arrow_table() if params else self.con.sql(sql).to_arrow_table()
        return _floats_for_decimals(pl.from_arrow(arrow))

    def table(self, schema: str, table: str, columns: list[str] | None = None) -> pl.DataFrame | None:
        """The whole table (or the named columns), or None when it does not exist."""
        if not self.has(schema, table):
            return None
        cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        return self.query(f'select {cols} from "{schema}"."{table}"')

    def scalar(self, sql: str, params: list | None = None):
        if self.con is None:
            raise FileNotFoundError(self.problem)
        rows = self.con.execute(
            sql, params or []
        ).fetchall()  # fetch all: DuckDB 2 refuses new work on a half-read result
        return rows[0][0] if rows else None


def load_mart(name: str, *, warehouse_path: Path | None = None, schema: str = "marts") -> pl.DataFrame:
    """One mart as a Polars frame (for notebooks); a clear error when it is not built."""
    with Warehouse(warehouse_path) as wh:
        if wh.problem:
            raise FileNotFoundError(wh.problem)
        frame = wh.table(schema, name)
        if frame is None:
            raise LookupError(missing_hint(schema, name))
        return frame


def list_marts(*, warehouse_path: Path | None = None) -> list[str]:
    with Warehouse(warehouse_path) as wh:
        return wh.tables("marts")
