"""Output files: where each piece goes, and writing it there.

CSV files get their header first (LF line endings, as the real files); every
later piece (a unit's lines of one table, or a block of events) is *placed*
in file order -- its first physical line number and byte offset are fixed by
the pieces before it -- and then written at that offset with ``pwritev``. So
pieces can be written by any process, in any order, once placed; the file
content does not depend on who wrote what when. Parquet tables are written
in order by one process.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from .formatting import HEADERS, header_line

TABLES = ("district", "account", "client", "disp", "order", "loan", "card", "trans")
EVENTS = "digital_events"
EVENTS_FILE_NAME = "digital_events.jsonl"
_IOV_MAX = 1024


def file_name(table: str, file_format: str) -> str:
    if table == EVENTS:
        return EVENTS_FILE_NAME
    return f"{table}.asc" if file_format == "csv" else f"{table}.parquet"


def write_at(fd: int, pieces: list, offset: int) -> int:
    """Write the byte pieces contiguously at ``offset``; returns the bytes written."""
    pieces = [p for p in pieces if len(p)]
    total = 0
    while pieces:
        batch = pieces[:_IOV_MAX]
        want = sum(len(p) for p in batch)
        done = os.pwritev(fd, batch, offset + total)
        total += done
        if done == want:
            pieces = pieces[_IOV_MAX:]
            continue
        # a short write: drop what was written and go on with the rest
        rest = []
        skip = done
        for p in pieces:
            if skip >= len(p):
                skip -= len(p)
                continue
            rest.append(memoryview(p)[skip:] if skip else p)
            skip = 0
        pieces = rest
    return total


class Layout:
    """Lines and bytes placed so far in each file (data lines; CSV headers count as bytes)."""

    def __init__(self, header_bytes: dict[str, int]) -> None:
        self.lines: dict[str, int] = {t: 0 for t in header_bytes}
        self.bytes: dict[str, int] = dict(header_bytes)

    def place(self, table: str, n_lines: int, n_bytes: int) -> tuple[int, int]:
        """(index of the piece's first data line, byte offset) -- and move on past the piece."""
        at = (self.lines[table], self.bytes[table])
        self.lines[table] += n_lines
        self.bytes[table] += n_bytes
        return at


class OutputFiles:
    """Creates the output files (headers included) and writes placed pieces."""

    def __init__(self, out_dir: Path, file_format: str) -> None:
        if file_format not in ("csv", "parquet"):
            raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
        self.out_dir = Path(out_dir)
        self.file_format = file_format
        header_bytes = {}
        self.paths: dict[str, Path] = {}
        for table in TABLES + (EVENTS,):
            if file_format == "parquet" and table != EVENTS:
                continue
            path = self.out_dir / file_name(table, file_format)
            head = b"" if table == EVENTS else (header_line(table) + "\n").encode()
            with open(path, "wb") as fh:
                fh.write(head)
            self.paths[table] = path
            header_bytes[table] = len(head)
        if file_format == "parquet":
            header_bytes.update({t: 0 for t in TABLES})
        self.layout = Layout(header_bytes)
        self._fds: dict[str, int] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}

    def fd(self, table: str) -> int:
        fd = self._fds.get(table)
        if fd is None:
            fd = self._fds[table] = os.open(self.paths[table], os.O_WRONLY)
        return fd

    def write_at(self, table: str, pieces: list, offset: int) -> None:
        write_at(self.fd(table), pieces, offset)

    def write_typed(self, table: str, df: pl.DataFrame) -> None:
        """Append typed rows (parquet mode) as one row group set."""
        table_arrow = df.select(HEADERS[table]).to_arrow()
        w = self._parquet.get(table)
        if w is None:
            w = self._parquet[table] = pq.ParquetWriter(
                self.out_dir / file_name(table, "parquet"), table_arrow.schema, compression="zstd"
            )
        w.write_table(table_arrow)

    def close(self, empty_schemas: dict[str, pl.DataFrame] | None = None) -> int:
        """Close everything; returns the bytes of all files in the output folder."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}
        for table, df in (empty_schemas or {}).items():
            if table not in self._parquet:
                self.write_typed(table, df)
        for w in self._parquet.values():
            w.close()
        self._parquet = {}
        return sum(p.stat().st_size for p in self.out_dir.rglob("*") if p.is_file())
