"""Load raw files into the warehouse's ``raw`` schema, untouched.

What to read comes from the sources declared in dbt's sources files
(ledgerlab/core/sources.py): file names or patterns, format, delimiter,
encoding, required or not. Every column lands as text, exactly as written,
with lineage (source file, 1-based physical line with the header as line 1,
load time): cleaning, casting and quarantine are dbt's job, and they can
only account for every row if ingestion never drops or alters one.

Reading is tolerant and exact:

- columns are matched by header name, in any order; a missing declared
  column is an error naming it; an undeclared extra column is kept (after
  the declared ones) and reported;
- a UTF-8 byte-order mark is dropped; the encoding is the declared one or
  detected (UTF-8, cp1250, latin-1), and a line that cannot be decoded is
  rejected with its number, never the file;
- gzip and zstd files are read as such, whatever their name;
- a header-only file is an empty table (validation warns when the table is
  required);
- per file, data lines = raw rows + rejected lines (``raw._rejected_lines``),
  blank lines aside, and ingestion checks it.

Sources are optional: a source none of whose files is given loads as empty
tables, so every dbt model still builds, and the manifest says it is absent.
Once one file of a source is given, its required tables must be given too.
"""

from __future__ import annotations

import csv
import glob
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ledgerlab.core import config, progress, warehouse
from ledgerlab.core.errors import UserError
from ledgerlab.core.progress import Progress
from ledgerlab.core.sources import RawSource, catalog, source_names, tables_of
from ledgerlab.ingest import rawfiles


class IngestError(UserError):
    """A raw file is missing, empty or unreadable."""


@dataclass(frozen=True)
class LoadedTable:
    table: str
    file: Path | None
    rows: int
    rejected_lines: int
    bytes: int
    source: str = ""
    data_lines: int = 0
    blank_lines: int = 0
    encoding: str | None = None
    compression: str | None = None
    extra_columns: tuple[str, ...] = ()
    required: bool = False

    @property
    def present(self) -> bool:
        return self.file is not None

    def manifest_row(self) -> tuple:
        """This table's row of raw._ingest_manifest (its columns in order, without loaded_at), on either engine."""
        return (
            self.table,
            self.source,
            self.file.name if self.file else None,
            str(self.file) if self.file else None,
            self.present,
            self.required,
            self.bytes,
            self.data_lines,
            self.blank_lines,
            self.rows,
            self.rejected_lines,
            self.encoding,
            self.compression,
            ", ".join(self.extra_columns) or None,
        )


@dataclass
class IngestResult:
    raw_dir: Path | None
    tables: list[LoadedTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rows(self) -> dict[str, int]:
        return {t.table: t.rows for t in self.tables}

    def present_sources(self) -> list[str]:
        return sorted({t.source for t in self.tables if t.present})


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- where the files are ---------------------------------------------------------------


def _describe(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file, or None when it can."""
    if path.is_dir():
        return "is a folder where a file is expected"
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except PermissionError:
        return "cannot be read (permission denied)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


def _find_in_folder(folder: Path, raw: RawSource) -> Path | None:
    """The file of ``raw`` in ``folder``: its patterns in order, plain, compressed or Parquet."""
    for pattern in raw.files:
        for name in (pattern, f"{pattern}.gz", f"{pattern}.zst", f"{Path(pattern).stem}.parquet"):
            if any(ch in name for ch in "*?["):
                matches = sorted(Path(p) for p in glob.glob(str(folder / name)))
            else:
                matches = [folder / name] if (folder / name).exists() else []
            if len(matches) > 1:
                listed = ", ".join(m.name for m in matches[:4])
                raise IngestError(
                    f"{folder}: several files match {name!r} for table {raw.table} ({listed}); "
                    f"name one with --source {raw.table}=PATH"
                )
            if matches:
                return matches[0]
    parquet = folder / f"{raw.table}.parquet"
    return parquet if parquet.exists() else None


def resolve_sources(spec: dict[str, Path]) -> dict[str, Path]:
    """``--source NAME=PATH`` pairs → {table: file}; NAME is a source or a table, PATH a file or folder."""
    tables = {s.table: s for s in catalog()}
    names = source_names()
    chosen: dict[str, Path] = {}
    for name, given in spec.items():
        path = Path(given).expanduser()
        if not path.exists():
            raise IngestError(f"{path}: not found (--source {name}=...)")
        if name in tables:
            target = _find_in_folder(path, tables[name]) if path.is_dir() else path
            if target is None:
                raise IngestError(
                    f"{path}: no file for table {name} ({' or '.join(tables[name].files)}) in this folder"
                )
            chosen[name] = target
        elif name in names:
            members = tables_of(name)
            if path.is_dir():
                found = {m.table: _find_in_folder(path, m) for m in members}
                if not any(found.values()):
                    wanted = ", ".join(f for m in members for f in m.files)
                    raise IngestError(f"{path}: none of the files of source {name} ({wanted}) is in this folder")
                chosen.update({t: p for t, p in found.items() if p is not None})
            elif len(members) == 1:
                chosen[members[0].table] = path
            else:
                raise IngestError(
                    f"--source {name}={path}: source {name} has {len(members)} tables; give a folder, "
                    f"or one file per table as --source TABLE=PATH ({', '.join(m.table for m in members)})"
                )
        else:
            known = ", ".join([*names, *tables])
            raise IngestError(f"--source {name}=...: no source or raw table named {name!r}; known: {known}")
    return chosen


def plan(raw_dir: Path | None, sources: dict[str, Path] | None) -> list[tuple[RawSource, Path | None]]:
    """Every declared raw table with its file (None when its source is not given)."""
    if raw_dir is not None and not Path(raw_dir).is_dir():
        what = "is a file, not a folder" if Path(raw_dir).exists() else "not found"
        raise IngestError(f"{raw_dir}: raw data folder {what}")
    explicit = resolve_sources(dict(sources or {}))
    planned: list[tuple[RawSource, Path | None]] = []
    for raw in catalog():
        path = explicit.get(raw.table)
        if path is None and raw_dir is not None:
            path = _find_in_folder(Path(raw_dir), raw)
        planned.append((raw, path))
    given = {raw.source for raw, path in planned if path is not None}
    if not given:
        where = f"{raw_dir}" if raw_dir is not None else "the --source options"
        wanted = "; ".join(f"{n}: {', '.join(f for t in tables_of(n) for f in t.files)}" for n in source_names())
        raise IngestError(f"{where}: no raw file of any declared source ({wanted})")
    for raw, path in planned:
        if path is None and raw.source_required:
            raise IngestError(
                f"required source {raw.source}: file {' or '.join(raw.files)} is missing (table {raw.table})"
            )
        if path is None and raw.source in given and raw.required:
            where = raw_dir if raw_dir is not None else "the given files"
            raise IngestError(
                f"{where}: required file {' or '.join(raw.files)} is missing (table {raw.table}; "
                f"source {raw.source} is given, so all its required tables are needed)"
            )
        if path is not None:
            problem = _describe(path)
            if problem:
                raise IngestError(f"{path}: {problem} (table {raw.table})")
    return planned


# --- reading one file --------------------------------------------------------------------

_SAFE = re.compile(r"[^a-z0-9_]+")


def _header_names(line: str, raw: RawSource) -> list[str]:
    fields = next(csv.reader([line], delimiter=raw.delimiter, quotechar=raw.quote or '"'), [])
    return [f.strip().strip(raw.quote or '"').strip().lower() for f in fields]


@dataclass
class _Reading:
    """How DuckDB reads one delimited or JSON-lines file, after the byte scan."""

    path: Path  # the file DuckDB reads (a UTF-8 copy when transcoded)
    transcoded: bool
    encoding: str
    compression: str | None
    file_columns: list[str]  # names in file order (delimited)
    extra: list[str]
    scan: rawfiles.ScanResult
    decode_rejects: list[rawfiles.DecodeReject]


def _prepare(raw: RawSource, path: Path, workdir: Path) -> _Reading:
    try:
        scan = rawfiles.scan(path)
        declared = rawfiles.normalise_encoding(raw.encoding)
    except rawfiles.RawFileError as exc:
        raise IngestError(f"{path}: {exc} (table {raw.table})") from None
    if scan.bytes_read == 0 and raw.format == "delimited" and raw.header:
        raise IngestError(f"{path}: file is empty, not even a header line (table {raw.table})")
    encoding = rawfiles.detect_encoding(scan.sample) if declared == "auto" else declared
    read_path, compression, rejects = path, scan.compression, []
    if encoding not in rawfiles.NATIVE_ENCODINGS or rawfiles.mixed_line_endings(scan):
        # DuckDB has no codec for it, or would stop on a carriage return inside a line
        # or on mixed line endings: read a UTF-8 copy with plain newlines instead.
        read_path = workdir / f"{raw.table}.utf8"
        rejects = rawfiles.transcode(path, scan.compression, encoding, read_path)
        compression = None
    columns: list[str] = list(raw.columns)
    extra: list[str] = []
    if raw.format == "delimited" and raw.header:
        first = scan.first_line[3:] if scan.first_line.startswith(rawfiles.BOM) else scan.first_line
        try:
            header_text = first.decode(encoding)
        except UnicodeDecodeError as exc:
            raise IngestError(f"{path}: line 1 (the header) is not {encoding} text ({exc.reason})") from None
        columns = _header_names(header_text, raw)
        missing = [c for c in raw.columns if c not in columns]
        if missing:
            raise IngestError(
                f"{path}: line 1 header lacks column(s) {', '.join(missing)} (table {raw.table}; "
                f"header {header_text.strip()!r}, delimiter {raw.delimiter!r})"
            )
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise IngestError(f"{path}: line 1 header repeats column(s) {', '.join(repeated)} (table {raw.table})")
        for position, name in enumerate(columns):
            if name not in raw.columns:
                safe = _SAFE.sub("_", name).strip("_") or f"column_{position + 1}"
                if safe in raw.columns or safe in extra or safe.startswith("_"):
                    safe = f"extra_{position + 1}_{safe}".rstrip("_")
                columns[position] = safe
                extra.append(safe)
    return _Reading(read_path, read_path != path, encoding, compression, columns, extra, scan, rejects)


def _csv_scan(raw: RawSource, reading: _Reading) -> str:
    columns = ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in reading.file_columns)
    quote = raw.quote or ""
    options = [
        f"delim={_sql_str(raw.delimiter)}",
        f"quote={_sql_str(quote)}",
        f"escape={_sql_str(quote)}",
        f"header={'true' if raw.header else 'false'}",
        "auto_detect=false",
        f"columns={{{columns}}}",
        "allow_quoted_nulls=false",
        "store_rejects=true",
        "rejects_table='ledgerlab_rejects'",
        "rejects_scan='ledgerlab_reject_scans'",
    ]
    if reading.encoding != "utf-8" and not reading.transcoded:
        options.append(f"encoding={_sql_str(reading.encoding)}")
    if reading.compression:
        options.append(f"compression={_sql_str(reading.compression)}")
    return f"read_csv({_sql_str(reading.path)}, {', '.join(options)})"


def _jsonl_scan(reading: _Reading) -> str:
    # One column holding each line verbatim: JSON is parsed (and malformed
    # lines quarantined) in staging, not here.
    options = [
        "delim=chr(31)",
        "quote=''",
        "escape=''",
        "header=false",
        "auto_detect=false",
        "columns={'raw_line': 'VARCHAR'}",
        "allow_quoted_nulls=false",
        "store_rejects=true",
        "rejects_table='ledgerlab_rejects'",
        "rejects_scan='ledgerlab_reject_scans'",
    ]
    if reading.encoding != "utf-8" and not reading.transcoded:
        options.append(f"encoding={_sql_str(reading.encoding)}")
    if reading.compression:
        options.append(f"compression={_sql_str(reading.compression)}")
    return f"read_csv({_sql_str(reading.path)}, {', '.join(options)})"


def _load_parquet(con: duckdb.DuckDBPyConnection, raw: RawSource, path: Path) -> LoadedTable:
    scan = f"read_parquet({_sql_str(path)}, file_row_number=true)"
    try:
        names = [r[0] for r in con.execute(f"describe select * from {scan}").fetchall()]
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0]
        raise IngestError(f"{path}: unreadable as Parquet for table {raw.table}: {message}") from None
    by_lower = {n.lower(): n for n in names if n != "file_row_number"}
    missing = [c for c in raw.columns if c not in by_lower]
    if missing:
        raise IngestError(f"{path}: column(s) {', '.join(missing)} missing (table {raw.table})")
    extra = [n for lower, n in by_lower.items() if lower not in raw.columns]
    cast = ", ".join(f"cast({_ident(by_lower[c])} as varchar) as {_ident(c)}" for c in raw.columns)
    extra_cast = "".join(f", cast({_ident(n)} as varchar) as {_ident(_SAFE.sub('_', n.lower()))}" for n in extra)
    con.execute(
        f"create or replace table raw.{_ident(raw.table)} as "
        f"select {cast}{extra_cast}, {_sql_str(path.name)} as _source_file, file_row_number + 2 as _source_line, "
        f"cast(current_timestamp as timestamp) as _loaded_at from {scan} order by file_row_number"
    )
    rows = con.execute(f"select count(*) from raw.{_ident(raw.table)}").fetchall()[0][0]
    return LoadedTable(
        raw.table, path, rows, 0, path.stat().st_size, raw.source, rows, 0, None, None, tuple(extra), raw.required
    )


def _load_text(con: duckdb.DuckDBPyConnection, raw: RawSource, path: Path, workdir: Path) -> LoadedTable:
    reading = _prepare(raw, path, workdir)
    target = f"raw.{_ident(raw.table)}"
    if raw.format == "jsonl":
        scan, first_line = _jsonl_scan(reading), 1
        select_cols = '"raw_line"'
    else:
        scan = _csv_scan(raw, reading)
        first_line = 2 if raw.header else 1
        select_cols = ", ".join(_ident(c) for c in [*raw.columns, *reading.extra])
    body = f"select {select_cols}, row_number() over () + {first_line - 1} as _source_line from {scan}"
    try:
        con.execute(
            f"create or replace table {target} as "
            f"select * exclude (_source_line), {_sql_str(path.name)} as _source_file, "
            f"_source_line, cast(current_timestamp as timestamp) as _loaded_at from ({body})"
        )
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0]
        raise IngestError(f"{path}: unreadable as table {raw.table}: {message}") from None

    rejected = _store_rejected_lines(con, raw, path, reading)
    scan_facts = reading.scan
    header_lines = 1 if raw.format == "delimited" and raw.header and scan_facts.physical_lines else 0
    decoded_away = {r.line for r in reading.decode_rejects}
    if raw.format == "jsonl":
        # Every physical line is a row, a blank one too. A line rejected while decoding
        # was left blank in the UTF-8 copy and read as a NULL row that keeps its place.
        blank: list[int] = []
        if rejected > len(decoded_away):
            _renumber(con, raw, path, [], first_line, decoded_away)
        if decoded_away:
            con.execute(f"delete from {target} where _source_line in ({', '.join(map(str, decoded_away))})")
    else:
        # DuckDB skips blank lines: when rows and rejects fall short of the lines, find them
        # (a second pass, only then) so that the rows after them get their true numbers.
        loaded = con.execute(f"select count(*) from {target}").fetchall()[0][0]
        blank = []
        if loaded + rejected < scan_facts.physical_lines - header_lines:
            blank = [
                n
                for n in rawfiles.blank_lines(reading.path, reading.compression)
                if n > header_lines and n not in decoded_away
            ]
        if rejected or blank:
            _renumber(con, raw, path, blank, first_line)
    data_lines = scan_facts.physical_lines - header_lines - len(blank)
    rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
    if rows + rejected != data_lines:
        raise IngestError(
            f"{path}: {data_lines:,} data line(s) but {rows:,} row(s) + {rejected:,} rejected line(s) "
            f"(table {raw.table}); a quoted value spanning lines? Lines must hold one record each"
        )
    return LoadedTable(
        raw.table,
        path,
        rows,
        rejected,
        path.stat().st_size,
        raw.source,
        data_lines,
        len(blank),
        reading.encoding,
        scan_facts.compression,
        tuple(reading.extra),
        raw.required,
    )


def _store_rejected_lines(con: duckdb.DuckDBPyConnection, raw: RawSource, path: Path, reading: _Reading) -> int:
    """Move the parser's (and the decoder's) rejects for this file into raw._rejected_lines.

    A record the parser rejects may span several physical lines (an
    unterminated quote runs on): each of those lines is a rejected line.
    """
    table, name = _sql_str(raw.table), _sql_str(path.name)
    for reject in reading.decode_rejects:
        con.execute(
            "insert into raw._rejected_lines values (?, ?, ?, ?, ?, ?, cast(current_timestamp as timestamp))",
            [raw.table, path.name, reject.line, reject.error_type, reject.message, reject.text],
        )
    exists = con.execute("select count(*) from duckdb_tables() where table_name = 'ledgerlab_rejects'").fetchall()[0][0]
    if exists:
        con.execute(
            f"""
            insert into raw._rejected_lines
            with per_record as (
                select line, string_agg(distinct error_type, ', ') as error_type,
                    min(error_message) as error_message, min(csv_line) as csv_line
                from ledgerlab_rejects group by line
            ),
            spans as (
                select *, greatest(1, len(csv_line) - len(replace(csv_line, chr(10), ''))
                    + case when ends_with(csv_line, chr(10)) then 0 else 1 end) as n_lines
                from per_record
            )
            select {table}, {name}, line + k, error_type, error_message,
                rtrim(string_split(csv_line, chr(10))[k + 1], chr(13)),
                cast(current_timestamp as timestamp)
            from spans, range(n_lines) as r(k)
            """
        )
        con.execute("drop table ledgerlab_rejects")
        con.execute("drop table if exists ledgerlab_reject_scans")
    return con.execute(
        f"select count(*) from raw._rejected_lines where source_table = {table} and source_file = {name}"
    ).fetchall()[0][0]


def _renumber(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    path: Path,
    blank_lines: list[int],
    first_line: int,
    still_read: set[int] = frozenset(),
) -> None:
    """Give parsed rows their true line numbers when rejected or blank lines sit between them."""
    target = f"raw.{_ident(raw.table)}"
    con.execute("create or replace temp table ledgerlab_skipped (line bigint)")
    if blank_lines:
        con.executemany("insert into ledgerlab_skipped values (?)", [[n] for n in blank_lines])
    con.execute(
        f"""
        insert into ledgerlab_skipped
        select line from raw._rejected_lines
        where source_table = {_sql_str(raw.table)} and source_file = {_sql_str(path.name)}
        """
    )
    if still_read:  # rejected, but their (blank) stand-in was read as a row
        con.execute(f"delete from ledgerlab_skipped where line in ({', '.join(map(str, still_read))})")
    con.execute(
        f"""
        create or replace table {target} as
        with kept_lines as (
            select range as line, row_number() over (order by range) as rn
            from range({first_line}, (select count(*) from {target})
                + (select count(*) from ledgerlab_skipped) + {first_line})
            where range not in (select line from ledgerlab_skipped)
        )
        select t.* exclude (_source_line), k.line as _source_line
        from {target} as t
        join kept_lines as k on t._source_line - {first_line - 1} = k.rn
        order by k.line
        """
    )
    con.execute("drop table ledgerlab_skipped")


def _create_empty(con: duckdb.DuckDBPyConnection, raw: RawSource) -> None:
    cols = ", ".join(f"{_ident(c)} varchar" for c in raw.columns)
    con.execute(
        f"create or replace table raw.{_ident(raw.table)} "
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
        "create or replace table raw._ingest_manifest (table_name varchar, source_name varchar, "
        "source_file varchar, source_path varchar, present boolean, required boolean, file_bytes bigint, "
        "data_lines bigint, blank_lines bigint, rows_loaded bigint, rejected_lines bigint, "
        "encoding varchar, compression varchar, extra_columns varchar, loaded_at timestamp)"
    )
    for t in result.tables:
        con.execute(
            "insert into raw._ingest_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            list(t.manifest_row()),
        )


def ingest(
    raw_dir: Path | None = None,
    *,
    warehouse_path: Path | None = None,
    sources: dict[str, Path] | None = None,
    on_progress: Progress = progress.ignore,
) -> IngestResult:
    """Load every declared raw table found in ``raw_dir`` or named in ``sources``.

    ``sources`` maps a source or table name to a file or folder (``--source
    NAME=PATH``); it wins over ``raw_dir``. Writes only to ``warehouse_path``.
    ``on_progress(done, total)`` counts the bytes of the files loaded.
    """
    started = time.perf_counter()
    planned = plan(Path(raw_dir) if raw_dir is not None else None, sources)
    result = IngestResult(raw_dir=Path(raw_dir) if raw_dir is not None else None)
    target = Path(warehouse_path) if warehouse_path is not None else None
    scratch_parent = (target or config.paths().warehouse).parent
    scratch_parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".ingest-", dir=scratch_parent) as workdir,
        warehouse.connection(warehouse_path) as con,
    ):
        _prepare_schema(con)
        absent: dict[str, list[str]] = {}
        total_bytes = sum(path.stat().st_size for _, path in planned if path is not None and path.is_file())
        done_bytes = 0
        on_progress(0, total_bytes)
        for raw, path in planned:
            if path is None:
                _create_empty(con, raw)
                result.tables.append(LoadedTable(raw.table, None, 0, 0, 0, raw.source, required=raw.required))
                absent.setdefault(raw.source, []).append(raw.table)
                continue
            if raw.format == "parquet" or path.suffix == ".parquet":
                loaded = _load_parquet(con, raw, path)
            else:
                loaded = _load_text(con, raw, path, Path(workdir))
            result.tables.append(loaded)
            done_bytes += path.stat().st_size if path.is_file() else 0
            on_progress(done_bytes, total_bytes)
            if loaded.extra_columns:
                result.notes.append(
                    f"{path.name}: column(s) {', '.join(loaded.extra_columns)} not declared for "
                    f"{raw.table}; kept in raw.{raw.table}"
                )
            if loaded.rows + loaded.rejected_lines == 0:
                kind = "required" if raw.required else "optional"
                result.notes.append(f"{path.name}: header only; raw.{raw.table} ({kind}) is empty")
            if raw.encoding == "auto" and loaded.encoding and loaded.encoding != "utf-8":
                result.notes.append(f"{path.name}: read as {loaded.encoding} (detected)")
        for name, tables in absent.items():
            if len(tables) == len(tables_of(name)):
                result.notes.append(f"source {name} not given: raw.{', raw.'.join(tables)} empty")
        _write_manifest(con, result)
    result.seconds = time.perf_counter() - started
    return result
