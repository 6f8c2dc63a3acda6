"""Streaming output: appends chunk tables to the .asc (or .parquet) files.

CSV files are written line by line as the real ones (header first, LF line
endings); the writer counts lines so that defects can be reported with their
physical, 1-based line number (header = line 1).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from .formatting import HEADERS, header_line, join_fields

TABLES = ("district", "account", "client", "disp", "order", "loan", "card", "trans")


class TableWriter:
    def __init__(self, out_dir: Path, file_format: str) -> None:
        if file_format not in ("csv", "parquet"):
            raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
        self.out_dir = out_dir
        self.file_format = file_format
        self.lines: dict[str, int] = {t: 0 for t in TABLES}  # data lines written
        self.bytes_written = 0
        self._handles: dict[str, object] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}
        self.events_handle = open(out_dir / "digital_events.jsonl", "wb")
        self.events_lines = 0

    def file_name(self, table: str) -> str:
        return f"{table}.asc" if self.file_format == "csv" else f"{table}.parquet"

    def first_line(self, table: str) -> int:
        """Line number the next written row will have (header is line 1)."""
        return self.lines[table] + 2

    def write_fields(self, table: str, fields: pl.DataFrame) -> None:
        """Append formatted rows (CSV mode)."""
        fh = self._handles.get(table)
        if fh is None:
            fh = self._handles[table] = open(self.out_dir / self.file_name(table), "wb")
            fh.write((header_line(table) + "\n").encode())
        if fields.height:
            join_fields(fields).to_frame().write_csv(fh, include_header=False, quote_style="never")
        self.lines[table] += fields.height

    def write_typed(self, table: str, df: pl.DataFrame) -> None:
        """Append typed rows (parquet mode)."""
        df = df.select(HEADERS[table])
        table_arrow = df.to_arrow()
        w = self._parquet.get(table)
        if w is None:
            w = self._parquet[table] = pq.ParquetWriter(self.out_dir / self.file_name(table), table_arrow.schema, compression="zstd")
        w.write_table(table_arrow)
        self.lines[table] += df.height

    def write_event_lines(self, lines: pl.Series) -> None:
        if lines.len():
            lines.to_frame().write_csv(self.events_handle, include_header=False, quote_style="never")
        self.events_lines += lines.len()

    def close(self) -> None:
        for table in TABLES:  # every table exists, even when empty
            if self.file_format == "csv" and table not in self._handles:
                self.write_fields(table, pl.DataFrame({c: [] for c in HEADERS[table]}, schema={c: pl.Utf8 for c in HEADERS[table]}))
        for fh in self._handles.values():
            fh.close()
        for w in self._parquet.values():
            w.close()
        self.events_handle.close()
        self.bytes_written = sum(p.stat().st_size for p in self.out_dir.rglob("*") if p.is_file())
