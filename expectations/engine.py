"""Great Expectations on DuckDB: the SQL datasource with GX issue #11579 fixed.

GX's ``SqlAlchemyExecutionEngine.execute_query`` runs a query inside
``with engine.connect()`` and returns the *unread* cursor result after the
block has returned the connection to the pool. SQLAlchemy rolls the DBAPI
connection back on return, and duckdb-engine's cursor is the connection
itself, so the pending result is discarded: every ``fetchall()`` sees ``[]``
(GX issue #11579). Metrics then come back empty or raise, and a violated
expectation no longer shows as a clean failure with its unexpected values.

The fix, in :class:`DuckDBExecutionEngine`:

- results are read into memory while the connection is still checked out,
  so callers can fetch after the block has returned (beyond ``BUFFER_ROWS``
  the rest stays on the live cursor, which the next point keeps valid);
- one connection is kept for the engine's life (never returned to the pool
  mid-run, so never rolled back under a pending result; and DuckDB opens the
  file per connection), closed by :meth:`close`.

duckdb-engine's reflection also breaks on DuckDB 2.x (it sends PostgreSQL
catalog queries DuckDB no longer answers), after which GX's fallback queries
the table without its schema. :class:`DuckDBInspector` answers the two
questions GX asks (columns, primary key) from ``information_schema``.

The datasource type ``ledgerlab_duckdb`` is GX's own SQL datasource with
this engine; the file is opened ``read_only=True`` through ``connect_args``.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData

DATASOURCE_TYPE = "ledgerlab_duckdb"

# DuckDB type names (without precision) → SQLAlchemy types, for GX's column metadata.
_DUCKDB_TYPES: dict[str, type[sa.types.TypeEngine]] = {
    "VARCHAR": sa.types.VARCHAR,
    "BIGINT": sa.types.BIGINT,
    "HUGEINT": sa.types.BIGINT,
    "INTEGER": sa.types.INTEGER,
    "SMALLINT": sa.types.SMALLINT,
    "TINYINT": sa.types.SMALLINT,
    "UBIGINT": sa.types.BIGINT,
    "UINTEGER": sa.types.BIGINT,
    "DOUBLE": sa.types.DOUBLE,
    "FLOAT": sa.types.FLOAT,
    "REAL": sa.types.FLOAT,
    "DECIMAL": sa.types.DECIMAL,
    "DATE": sa.types.DATE,
    "TIMESTAMP": sa.types.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": sa.types.TIMESTAMP,
    "BOOLEAN": sa.types.BOOLEAN,
}


class DuckDBInspector:
    """The part of SQLAlchemy's Inspector that GX uses, answered by DuckDB itself."""

    def __init__(self, execution_engine: DuckDBExecutionEngine) -> None:
        self._execution_engine = execution_engine
        self.dialect = execution_engine.engine.dialect

    def get_columns(self, table_name: str, schema: str | None = None, **_: Any) -> list[dict]:
        rows = self._execution_engine.execute_query(
            sa.text(
                "select column_name, data_type from information_schema.columns "
                "where table_name = :table and table_schema = coalesce(:schema, current_schema()) "
                "order by ordinal_position"
            ).bindparams(table=str(table_name), schema=schema)
        ).fetchall()
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else str(table_name))
        return [
            {
                "name": name,
                "type": _DUCKDB_TYPES.get(data_type.split("(")[0].strip().upper(), sa.types.NullType)(),
                "nullable": True,
            }
            for name, data_type in rows
        ]

    def get_pk_constraint(self, table_name: str, schema: str | None = None, **_: Any) -> dict:
        # dbt marts carry no primary keys; uniqueness is checked by expectations instead.
        return {"constrained_columns": [], "name": None}

    def get_schema_names(self, **_: Any) -> list[str]:
        rows = self._execution_engine.execute_query(
            sa.text("select distinct schema_name from information_schema.schemata")
        ).fetchall()
        return [row[0] for row in rows]

    def has_table(self, table_name: str, schema: str | None = None, **_: Any) -> bool:
        try:
            self.get_columns(table_name, schema)
        except sa.exc.NoSuchTableError:
            return False
        return True


# Rows read into memory before a result is handed back. Metric results are small
# (aggregates, samples of unexpected values): they are read whole. A larger result
# (an UnexpectedRows query that matches millions of rows, of which GX reads 200) keeps
# its tail on the live cursor of the held connection instead of filling memory.
BUFFER_ROWS = 10_000


def _buffered(result: sa.CursorResult) -> sa.Result:
    """The result's rows, read now (up to BUFFER_ROWS), as a result the caller can fetch from."""
    keys = list(result.keys())
    head = [tuple(row) for row in result.fetchmany(BUFFER_ROWS)]
    if len(head) < BUFFER_ROWS:
        result.close()
        rows = iter(head)
    else:
        rows = itertools.chain(head, (tuple(row) for row in result))
    return IteratorResult(SimpleResultMetaData(keys), rows)


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL engine with results read before the connection is released (#11579)."""

    @contextmanager
    def get_connection(self) -> Generator[sa.Connection, None, None]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def execute_query(self, query: Any) -> Any:
        with self.get_connection() as connection:
            try:
                result = self._execute_query_with_recovery(connection, query)
            except Exception:
                # A failed statement aborts DuckDB's transaction; on a held connection every
                # later metric would fail with it. Roll back so only this one fails.
                connection.rollback()
                raise
            if not result.returns_rows:
                return result
            return _buffered(result)

    def execute_query_in_transaction(self, query: Any) -> Any:
        # DuckDB is opened read-only and GX's temp tables are off: a plain query suffices.
        return self.execute_query(query)

    def get_inspector(self) -> DuckDBInspector:  # type: ignore[override]
        if self._inspector is None:
            self._inspector = DuckDBInspector(self)
        return self._inspector  # type: ignore[return-value]

    def close(self) -> None:
        """Close the held connection and the pool, so that the file can be opened for writing."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class LedgerlabDuckDBDatasource(SQLDatasource):
    """GX's SQL datasource on a DuckDB file, using :class:`DuckDBExecutionEngine`."""

    type: Literal["ledgerlab_duckdb"] = "ledgerlab_duckdb"  # type: ignore[assignment]

    @property
    def execution_engine_type(self) -> builtins.type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine

    def close(self) -> None:
        """Release every connection this datasource opened."""
        if self._execution_engine is not None:
            self._execution_engine.close()
            self._execution_engine = None
            self._cached_execution_engine_kwargs = {}
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def connection_kwargs(threads: int, memory_limit: str, max_temp_size: str) -> dict:
    """``create_engine`` kwargs: read-only, with the project's DuckDB settings (ledgerlab.core.config)."""
    return {
        "connect_args": {
            "read_only": True,
            "config": {"threads": threads, "memory_limit": memory_limit, "max_temp_directory_size": max_temp_size},
        }
    }


def connection_string(path: Path) -> str:
    return f"duckdb:///{Path(path).resolve()}"
