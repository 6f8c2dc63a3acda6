"""Load raw files into the warehouse's ``raw`` schema, untouched.

Every column lands as text, exactly as written in the file, with lineage
(source file, 1-based physical line with the header as line 1, load time):
cleaning, casting and quarantine are dbt's job, and they can only account
for every row if ingestion never drops or alters one. Lines the CSV parser
cannot split into the expected columns are kept too, in
``raw._rejected_lines``, so raw = parsed + rejected holds for every file.

Optional sources (digital events, the Taiwan file) that are absent load as
empty, typed tables so that every dbt model still builds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ledgerlab import warehouse
from ledgerlab.errors import UserError
from ledgerlab.sources import BERKA_SOURCES, DIGITAL_EVENTS, LINEAGE_COLUMNS, TAIWAN, RawSource


class IngestError(UserError):
    """A raw file is missing, empty or unreadable."""


@dataclass(frozen=True)
class LoadedTable:
    table: str
    file: Path | None
    rows: int
    rejected_lines: int
    bytes: int

    @property
    def present(self) -> bool:
        return self.file is not None


@dataclass
class IngestResult:
    raw_dir: Path
    tables: list[LoadedTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rows(self) -> dict[str, int]:
        return {t.table: t.rows for t in self.tables}


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def locate(raw_dir: Path, source: RawSource, overrides: dict[str, str]) -> Path | None:
    """The file that feeds ``source`` in ``raw_dir``, or None when absent."""
    names = (overrides[source.table],) if source.table in overrides else source.files
    for name in names:
        for candidate in (raw_dir / name, raw_dir / f"{Path(name).stem}.parquet"):
            if candidate.is_file():
                return candidate
    if source.table not in overrides:
        parquet = raw_dir / f"{source.table}.parquet"
        if parquet.is_file():
            return parquet
    return None


def _check_header(path: Path, source: RawSource, delimiter: str) -> None:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise IngestError(f"{path}: file is empty (table {source.table})")
    try:
        header_text = first.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: line 1 is not UTF-8 text ({exc.reason})") from None
    header = [h.strip().strip('"').lower() for h in header_text.split(delimiter)]
    if tuple(header) != source.columns:
        raise IngestError(
            f"{path}: line 1 header {header_text!r} does not match the expected columns "
            f"{';'.join(source.columns)} (table {source.table})"
        )


def _csv_scan(path: Path, source: RawSource, delimiter: str) -> str:
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in source.columns)
    return (
        f"read_csv({_sql_str(path)}, delim={_sql_str(delimiter)}, quote='\"', escape='\"', "
        f"header=true, auto_detect=false, columns={{{columns}}}, allow_quoted_nulls=false, "
        "store_rejects=true, rejects_table='ledgerlab_rejects', rejects_scan='ledgerlab_reject_scans')"
    )


def _jsonl_scan(path: Path) -> str:
    # One column holding each line verbatim: JSON is parsed (and malformed
    # lines quarantined) in staging, not here.
    return (
        f"read_csv({_sql_str(path)}, delim=chr(31), quote='', escape='', header=false, "
        "auto_detect=false, columns={'raw_line': 'VARCHAR'}, allow_quoted_nulls=false)"
    )


def _load_table(con: duckdb.DuckDBPyConnection, source: RawSource, path: Path) -> LoadedTable:
    target = f"raw.{source.table}"
    select_cols = ", ".join(f'"{c}"' for c in source.columns)
    first_line = 1  # header
    if path.suffix == ".parquet":
        scan = f"read_parquet({_sql_str(path)}, file_row_number=true)"
        cast = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in source.columns)
        body = f"select {cast}, file_row_number + 2 as _source_line from {scan}"
    else:
        if source.reader == "jsonl":
            scan, first_line = _jsonl_scan(path), 0
        else:
            delimiter = "," if source.reader == "taiwan_csv" else ";"
            _check_header(path, source, delimiter)
            scan = _csv_scan(path, source, delimiter)
        body = f"select {select_cols}, row_number() over () + {first_line} as _source_line from {scan}"

    try:
        con.execute(
            f"create or replace table {target} as "
            f"select * exclude (_source_line), {_sql_str(path.name)} as _source_file, "
            f"_source_line, cast(current_timestamp as timestamp) as _loaded_at from ({body})"
        )
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0]
        raise IngestError(f"{path}: unreadable as table {source.table}: {message}") from None

    rejected = _store_rejected_lines(con, source, path)
    rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
    if rows == 0 and rejected == 0 and source.required:
        raise IngestError(f"{path}: has a header but no data rows (table {source.table})")
    if rejected:
        _renumber_after_rejects(con, source, path)
    return LoadedTable(source.table, path, rows, rejected, path.stat().st_size)


def _store_rejected_lines(con: duckdb.DuckDBPyConnection, source: RawSource, path: Path) -> int:
    """Move the parser's rejects for this file into raw._rejected_lines."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'ledgerlab_rejects'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    con.execute(
        "insert into raw._rejected_lines "
        f"select {_sql_str(source.table)}, {_sql_str(path.name)}, line, "
        "string_agg(distinct error_type, ', '), min(error_message), min(csv_line), "
        "cast(current_timestamp as timestamp) "
        "from ledgerlab_rejects group by line"
    )
    count = con.execute("select count(distinct line) from ledgerlab_rejects").fetchall()[0][0]
    con.execute("drop table ledgerlab_rejects")
    con.execute("drop table if exists ledgerlab_reject_scans")
    return count


def _renumber_after_rejects(con: duckdb.DuckDBPyConnection, source: RawSource, path: Path) -> None:
    """Give parsed rows their true line numbers when rejected lines sit between them."""
    target = f"raw.{source.table}"
    con.execute(
        f"""
        create or replace table {target} as
        with rejected as (
            select line from raw._rejected_lines
            where source_table = {_sql_str(source.table)} and source_file = {_sql_str(path.name)}
        ),
        kept_lines as (
            select range as line, row_number() over (order by range) as rn
            from range(2, (select count(*) from {target}) + (select count(*) from rejected) + 2)
            where range not in (select line from rejected)
        )
        select t.* exclude (_source_line), k.line as _source_line
        from {target} as t
        join kept_lines as k on t._source_line - 1 = k.rn
        order by k.line
        """
    )


def _create_empty(con: duckdb.DuckDBPyConnection, source: RawSource) -> None:
    cols = ", ".join(f'"{c}" varchar' for c in source.columns)
    con.execute(
        f"create or replace table raw.{source.table} "
        f"({cols}, _source_file varchar, _source_line bigint, _loaded_at timestamp)"
    )


def _prepare_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        "create or replace table raw._rejected_lines (source_table varchar, source_file varchar, "
        "line bigint, error_type varchar, error_message varchar, raw_line varchar, "
        "_loaded_at timestamp)"
    )


def _write_manifest(con: duckdb.DuckDBPyConnection, result: IngestResult) -> None:
    con.execute(
        "create or replace table raw._ingest_manifest (table_name varchar, source_file varchar, "
        "source_path varchar, present boolean, file_bytes bigint, rows_loaded bigint, "
        "rejected_lines bigint, loaded_at timestamp)"
    )
    for t in result.tables:
        con.execute(
            "insert into raw._ingest_manifest values (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [t.table, t.file.name if t.file else None, str(t.file) if t.file else None,
             t.present, t.bytes, t.rows, t.rejected_lines],
        )


def ingest(
    raw_dir: Path,
    *,
    warehouse_path: Path | None = None,
    file_overrides: dict[str, str] | None = None,
    taiwan_csv: Path | None = None,
) -> IngestResult:
    """Load every raw file of ``raw_dir`` (and the Taiwan file, if given)."""
    started = time.perf_counter()
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise IngestError(f"{raw_dir}: raw data folder not found")
    overrides = dict(file_overrides or {})
    result = IngestResult(raw_dir=raw_dir)

    planned: list[tuple[RawSource, Path | None]] = []
    for source in BERKA_SOURCES:
        path = locate(raw_dir, source, overrides)
        if path is None:
            names = overrides.get(source.table) or " or ".join(source.files)
            raise IngestError(f"{raw_dir}: required file {names} is missing (table {source.table})")
        if path.stat().st_size == 0:
            raise IngestError(f"{path}: file is empty (table {source.table})")
        planned.append((source, path))
    planned.append((DIGITAL_EVENTS, locate(raw_dir, DIGITAL_EVENTS, overrides)))
    if taiwan_csv is not None and not Path(taiwan_csv).is_file():
        raise IngestError(f"{taiwan_csv}: Taiwan credit-card file not found (LEDGERLAB_TAIWAN_CSV)")
    planned.append((TAIWAN, Path(taiwan_csv) if taiwan_csv else None))

    with warehouse.connection(warehouse_path) as con:
        _prepare_schema(con)
        for source, path in planned:
            if path is None:
                _create_empty(con, source)
                result.tables.append(LoadedTable(source.table, None, 0, 0, 0))
                result.notes.append(
                    f"optional source {source.default_file} not given: raw.{source.table} is empty"
                )
                continue
            result.tables.append(_load_table(con, source, path))
        _write_manifest(con, result)
    result.seconds = time.perf_counter() - started
    return result
