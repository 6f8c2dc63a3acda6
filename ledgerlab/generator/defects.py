"""Injected data-quality defects and their truth (_truth/defects.parquet).

REJECTED kinds are EXTRA rows -- a copy of a valid row inserted right after
it, then broken -- so the clean data and every truth file stay intact; the
cleaning layer quarantines them. REPAIRED kinds alter a valid row IN PLACE
cosmetically; the cleaning layer repairs and keeps it. Which rows are hit is
a counter-based draw keyed by the row's primary key, so the same rows are hit
whatever the chunking. Rates are per eligible row of trans.asc; the small
tables and the events file use rate * small_table_factor so that every kind
occurs at the default size.

The injection works on the finished text: a piece of a file is formatted
clean (all rows), the hit rows are picked with vectorised hashes, and only
those few lines are edited or copied in Python and spliced back into the
clean bytes. Line numbers are recorded relative to the piece; the caller
shifts them to physical line numbers once it knows where the piece goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import polars as pl

from .randomness import Streams

REJECTED_KINDS = (
    "duplicate_row",
    "null_key",
    "malformed_date",
    "orphan_foreign_key",
    "date_after_end",
    "malformed_json",
    "out_of_domain_code",
    "impossible_amount",
)
REPAIRED_KINDS = ("comma_decimal", "untrimmed_code", "wrong_case_code")
ALL_KINDS = REJECTED_KINDS + REPAIRED_KINDS
ORPHAN_BASE = 90_000_000  # ids from here on never exist in a parent file
EVENTS_FILE, EVENTS_TABLE = "digital_events.jsonl", "digital_events"
EVENT_REJECTED_KINDS = ("duplicate_row", "null_key", "orphan_foreign_key", "date_after_end", "malformed_json")


@dataclass(frozen=True)
class DefectRates:
    """Share of eligible rows that get each defect kind (trans.asc scale)."""

    duplicate_row: float = 0.0004
    null_key: float = 0.0003
    malformed_date: float = 0.0003
    orphan_foreign_key: float = 0.0003
    date_after_end: float = 0.0002
    malformed_json: float = 0.0004
    out_of_domain_code: float = 0.0002
    impossible_amount: float = 0.0002
    comma_decimal: float = 0.0005
    untrimmed_code: float = 0.0005
    wrong_case_code: float = 0.0005
    small_table_factor: float = 12.0  # account/client/disp/order/loan/card
    events_factor: float = 1.0  # digital_events.jsonl

    def rate(self, kind: str, table: str) -> float:
        r = float(getattr(self, kind))
        if table == "trans":
            return r
        return min(1.0, r * (self.events_factor if table == EVENTS_TABLE else self.small_table_factor))

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Per table: key, foreign keys, date columns, code columns, amount columns (impossible), decimal columns (comma).
SPECS = {
    "account": dict(
        key="account_id", fks=("district_id",), dates=("date",), codes=("frequency",), amounts=(), decimals=()
    ),
    "client": dict(key="client_id", fks=("district_id",), dates=(), codes=(), amounts=(), decimals=()),
    "disp": dict(key="disp_id", fks=("client_id", "account_id"), dates=(), codes=("type",), amounts=(), decimals=()),
    "order": dict(
        key="order_id", fks=("account_id",), dates=(), codes=("k_symbol",), amounts=("amount",), decimals=("amount",)
    ),
    "loan": dict(
        key="loan_id",
        fks=("account_id",),
        dates=("date",),
        codes=("status",),
        amounts=("amount",),
        decimals=("payments",),
    ),
    "card": dict(key="card_id", fks=("disp_id",), dates=("issued",), codes=("type",), amounts=(), decimals=()),
    "trans": dict(
        key="trans_id",
        fks=("account_id",),
        dates=("date",),
        codes=("type", "operation"),
        amounts=("amount",),
        decimals=("amount", "balance"),
    ),
}
PARQUET_SKIPPED = {"malformed_date", "comma_decimal"}  # not representable in typed columns
TRUTH_SCHEMA = {
    "file": pl.Utf8,
    "table": pl.Utf8,
    "line": pl.Int64,
    "kind": pl.Utf8,
    "column": pl.Utf8,
    "action": pl.Utf8,
}


def _kinds_for(table: str) -> list[str]:
    s = SPECS[table]
    kinds = ["duplicate_row", "null_key", "orphan_foreign_key"]
    if s["dates"]:
        kinds += ["malformed_date", "date_after_end"]
    if s["codes"]:
        kinds += ["out_of_domain_code", "untrimmed_code", "wrong_case_code"]
    if s["amounts"]:
        kinds += ["impossible_amount"]
    if s["decimals"]:
        kinds += ["comma_decimal"]
    return kinds


@dataclass
class DefectLog:
    """Defect records of one piece of output; ``line`` is 0-based within the piece."""

    table: str
    kind: list[str] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    column: list[str | None] = field(default_factory=list)
    action: list[str] = field(default_factory=list)

    def add(self, kind: str, line: int, column: str | None, action: str) -> None:
        self.kind.append(kind)
        self.line.append(line)
        self.column.append(column)
        self.action.append(action)

    def __len__(self) -> int:
        return len(self.line)


@dataclass
class Injected:
    """A piece of a file after injection: byte pieces to write in order, line count, defect log."""

    pieces: list
    n_lines: int
    log: DefectLog | None = None
    n_bytes: int = -1  # computed from the pieces when not given

    def __post_init__(self) -> None:
        if self.n_bytes < 0:
            self.n_bytes = sum(len(p) for p in self.pieces)

    def shell(self) -> Injected:
        """The same piece without its bytes (what another process needs to place it)."""
        return Injected([], self.n_lines, self.log, self.n_bytes)


def line_bounds(data, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets [start, end) of the given 0-based lines (end excludes the LF)."""
    a = np.frombuffer(data, dtype=np.uint8)
    block = 1 << 20
    parts = [np.flatnonzero(a[i : i + block] == 10) + i for i in range(0, a.size, block)]
    nl = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    ends = nl[rows]
    starts = np.where(rows > 0, nl[np.maximum(rows - 1, 0)] + 1, 0)
    return starts, ends


class DefectInjector:
    def __init__(self, streams: Streams, rates: DefectRates | None, file_format: str = "csv") -> None:
        self.streams = streams
        self.rates = rates
        self.file_format = file_format

    @property
    def enabled(self) -> bool:
        return self.rates is not None

    def _picks(self, table: str, kinds, keys: np.ndarray) -> dict[str, np.ndarray]:
        """Row indices hit by each kind (``uniform(defect:table:kind, key) < rate``)."""
        kinds = list(kinds)
        live = [k for k in kinds if not (self.file_format == "parquet" and k in PARQUET_SKIPPED)]
        hits = self.streams.hits([(f"defect:{table}:{k}", self.rates.rate(k, table)) for k in live], keys)
        picks = {k: np.zeros(0, dtype=np.int64) for k in kinds}
        picks.update(zip(live, hits))
        return picks

    def _choose(self, table: str, kind: str, keys: np.ndarray, options: tuple) -> np.ndarray:
        return self.streams.integers(f"defect_col:{table}:{kind}", 0, len(options), keys)

    # ------------------------------------------------------------------ CSV tables
    def inject_csv(self, table: str, data, keys: np.ndarray, header: tuple[str, ...]) -> Injected:
        """Defects for the clean lines ``data`` (one per key, LF-terminated) of ``table``."""
        n = int(keys.size)
        if not self.enabled or table not in SPECS or n == 0:
            return Injected([data], n)
        spec = SPECS[table]
        kinds = _kinds_for(table)
        picks = self._picks(table, kinds, keys)
        touched = np.unique(np.concatenate(list(picks.values())))
        if touched.size == 0:
            return Injected([data], n)
        starts, ends = line_bounds(data, touched)
        mv = memoryview(data)
        text = {
            int(r): bytes(mv[s:e]).decode("ascii").split(";")
            for r, s, e in zip(touched.tolist(), starts.tolist(), ends.tolist())
        }
        col_ix = {c: i for i, c in enumerate(header)}
        changed: set[int] = set()
        repaired: list[tuple[int, str, str]] = []  # row, kind, column
        # REPAIRED, in place (in kind order: later kinds see earlier edits)
        for kind in REPAIRED_KINDS:
            if kind not in kinds or picks[kind].size == 0:
                continue
            cols = spec["decimals"] if kind == "comma_decimal" else spec["codes"]
            rows = picks[kind]
            which = self._choose(table, kind, keys[rows], cols)
            for ci, col in enumerate(cols):
                j = col_ix[col]
                for r in rows[which == ci].tolist():
                    f = text[r]
                    v = f[j]
                    if kind == "comma_decimal":
                        if "." not in v:
                            continue
                        f[j] = v.replace(".", ",", 1)
                    else:  # only real, non-blank codes
                        if not v.strip('" '):
                            continue
                        inner = v.strip('"')
                        if kind == "untrimmed_code":
                            f[j] = '" ' + inner + ' "'
                        else:
                            f[j] = '"' + (inner.upper() if table == "card" else inner.lower()) + '"'
                    changed.add(r)
                    repaired.append((r, kind, col))
        # REJECTED, extra rows (copies of the possibly repaired row) right after the row, in kind order
        extras: dict[int, list[tuple[str, str, str | None]]] = {}  # row -> [(line text, kind, column)]
        for rank, kind in enumerate(k for k in kinds if k in REJECTED_KINDS):
            rows = picks[kind]
            if rows.size == 0:
                continue
            k = keys[rows]
            cols: list[str | None]
            if kind == "null_key":
                options = (spec["key"],) + spec["fks"]
                cols = [options[w] for w in self._choose(table, kind, k, options).tolist()]
                values = [""] * rows.size
            elif kind == "orphan_foreign_key":
                options = spec["fks"]
                cols = [options[w] for w in self._choose(table, kind, k, options).tolist()]
                values = [
                    str(v) for v in (ORPHAN_BASE + self.streams.integers("orphan_id", 0, 1_000_000, k, rank)).tolist()
                ]
            elif kind in ("malformed_date", "date_after_end"):
                cols = [spec["dates"][0]] * rows.size
                variant = (
                    self._choose(table, kind, k, (0, 1, 2)).tolist() if kind == "malformed_date" else [None] * rows.size
                )
                values = [None] * rows.size
            elif kind == "out_of_domain_code":
                cols = [spec["codes"][0]] * rows.size
                values = ['"XYZ"'] * rows.size
            elif kind == "impossible_amount":
                cols = [spec["amounts"][0]] * rows.size
                variant = self._choose(table, kind, k, (0, 1)).tolist()
                values = [None] * rows.size
            else:  # duplicate_row
                cols = [None] * rows.size
                values = [None] * rows.size
            for i, r in enumerate(rows.tolist()):
                f = list(text[r])
                col = cols[i]
                if col is not None:
                    j = col_ix[col]
                    if kind in ("null_key", "orphan_foreign_key", "out_of_domain_code"):
                        f[j] = values[i]
                    elif kind == "date_after_end":
                        v, tail = f[j][:6], f[j][6:]
                        dd = str(min(max(int(v[4:6]), 1), 28)).zfill(2)
                        f[j] = "99" + v[2:4] + dd + tail
                    elif kind == "malformed_date":
                        v, tail = f[j][:6], f[j][6:]
                        f[j] = (v[:2] + "x" + v[3:] + tail, v[:2] + "0231" + tail, "")[variant[i]]
                    elif kind == "impossible_amount":
                        f[j] = "-" + f[j].strip("-") if variant[i] == 0 else ("0" if table == "loan" else "0.00")
                extras.setdefault(r, []).append((";".join(f), kind, col))
        return self._splice(table, data, n, touched, starts, ends, text, changed, repaired, extras, sep=";")

    def _splice(self, table, data, n, touched, starts, ends, text, changed, repaired, extras, sep) -> Injected:
        mv = memoryview(data)
        log = DefectLog(table)
        repaired_by_row: dict[int, list[tuple[str, str]]] = {}
        for r, kind, col in repaired:
            repaired_by_row.setdefault(r, []).append((kind, col))
        pieces = []
        pos = 0
        inserted = 0
        for r, s, e in zip(touched.tolist(), starts.tolist(), ends.tolist()):
            if r not in changed and r not in extras:
                continue
            line_no = r + inserted
            for kind, col in repaired_by_row.get(r, ()):
                log.add(kind, line_no, col, "repaired")
            if r in changed:
                pieces.append(mv[pos:s])
                out = [(text[r] if sep is None else sep.join(text[r]))]
            else:
                pieces.append(mv[pos : e + 1])
                out = [""]
            for line, kind, col in extras.get(r, ()):
                inserted += 1
                log.add(kind, r + inserted, col, "rejected")
                out.append(line)
            if r in changed:
                pieces.append(("\n".join(out) + "\n").encode("ascii"))
            else:
                pieces.append(("\n".join(out[1:]) + "\n").encode("ascii"))
            pos = e + 1
        pieces.append(mv[pos:])
        return Injected(pieces, n + inserted, log if len(log) else None)

    # ------------------------------------------------------------------ events
    def inject_event_lines(self, data, client_id: np.ndarray, day: np.ndarray, sec: np.ndarray) -> Injected:
        """Defects for the clean, sorted event lines ``data`` of one block (JSON edited as text)."""
        n = int(client_id.size)
        if not self.enabled or n == 0:
            return Injected([data], n)
        table = EVENTS_TABLE
        keys = client_id.astype(np.int64) * 1_000_003 + day.astype(np.int64) * 86_400 + sec.astype(np.int64)
        picks = self._picks(table, ("untrimmed_code", "wrong_case_code") + EVENT_REJECTED_KINDS, keys)
        touched = np.unique(np.concatenate(list(picks.values())))
        if touched.size == 0:
            return Injected([data], n)
        starts, ends = line_bounds(data, touched)
        mv = memoryview(data)
        text = {
            int(r): bytes(mv[s:e]).decode("ascii") for r, s, e in zip(touched.tolist(), starts.tolist(), ends.tolist())
        }
        changed: set[int] = set()
        repaired: list[tuple[int, str, str]] = []
        for kind in ("untrimmed_code", "wrong_case_code"):
            for r in picks[kind].tolist():
                line = text[r]
                a, b = _json_value_span(line, '"event_type": "', '"')
                v = line[a:b]
                text[r] = line[:a] + (" " + v + " " if kind == "untrimmed_code" else v.upper()) + line[b:]
                changed.add(r)
                repaired.append((r, kind, "event_type"))
        extras: dict[int, list[tuple[str, str, str | None]]] = {}
        for kind in EVENT_REJECTED_KINDS:
            rows = picks[kind]
            if rows.size == 0:
                continue
            orphan = (
                (ORPHAN_BASE + self.streams.integers("orphan_event", 0, 1_000_000, keys[rows])).tolist()
                if kind == "orphan_foreign_key"
                else None
            )
            for i, r in enumerate(rows.tolist()):
                line = text[r]
                column = None
                if kind in ("null_key", "orphan_foreign_key"):
                    a, b = _json_value_span(line, '"client_id": ', ",")
                    line = line[:a] + ("null" if kind == "null_key" else str(orphan[i])) + line[b:]
                    column = "client_id"
                elif kind == "date_after_end":
                    key = '"event_time": "' if '"event_time": "' in line else '"ts": "'
                    a = line.index(key) + len(key)
                    line = line[:a] + "1999" + line[a + 4 :]
                    column = "ts"
                elif kind == "malformed_json":
                    line = line[: len(line) // 2 + 1]
                extras.setdefault(r, []).append((line, kind, column))
        return self._splice(table, data, n, touched, starts, ends, text, changed, repaired, extras, sep=None)


def _json_value_span(line: str, key: str, end: str) -> tuple[int, int]:
    a = line.index(key) + len(key)
    return a, line.index(end, a)


def defects_truth(logs: list[tuple[DefectLog, int]], file_format: str) -> pl.DataFrame:
    """The truth frame from (log, first physical line of its piece) pairs."""
    cols: dict[str, list] = {k: [] for k in TRUTH_SCHEMA}
    for log, first_line in logs:
        m = len(log)
        if not m:
            continue
        file = (
            EVENTS_FILE
            if log.table == EVENTS_TABLE
            else (f"{log.table}.asc" if file_format == "csv" else f"{log.table}.parquet")
        )
        cols["file"].extend([file] * m)
        cols["table"].extend([log.table] * m)
        cols["line"].extend([first_line + x for x in log.line])
        cols["kind"].extend(log.kind)
        cols["column"].extend(log.column)
        cols["action"].extend(log.action)
    df = pl.DataFrame(cols, schema=TRUTH_SCHEMA)
    if df.height == 0:
        return df
    return df.sort(["file", "line", "kind"]).rechunk()


def parse_fields(table: str, f: pl.DataFrame) -> pl.DataFrame:
    """Formatted fields back to typed columns (the parquet representation)."""
    from .formatting import HEADERS, MONEY_2DP

    out = []
    for col in HEADERS[table]:
        c = pl.col(col)
        if table == "trans" and col in ("bank", "account"):
            e = (
                pl.when(c == "")
                .then(None)
                .otherwise(c.str.strip_chars('"'))
                .alias("bank_code" if col == "bank" else "account_to")
            )
        elif col in MONEY_2DP.get(table, ()) or (table == "loan" and col == "amount"):
            e = (
                (c.str.strip_chars('"').cast(pl.Float64, strict=False) * 100)
                .round(0)
                .cast(pl.Int64)
                .alias(col + "_cents")
            )
        elif table == "card" and col == "issued":
            e = c.str.slice(0, 6).cast(pl.Int64, strict=False).alias(col)
        elif c is not None and col in (
            "type",
            "operation",
            "k_symbol",
            "frequency",
            "status",
            "birth_number",
            "bank_to",
            "account_to",
        ):
            e = c.str.strip_chars('"').alias(col)
        else:
            e = c.cast(pl.Int64, strict=False).alias(col)
        out.append(e)
    return f.select(out)


def split_lines(data: bytes, header: tuple[str, ...]) -> pl.DataFrame:
    """CSV lines (';'-separated, no quoting rules) back into a frame of string fields."""
    text = bytes(data).decode("ascii")
    lines = text.split("\n")[:-1] if text else []
    s = pl.Series("line", lines, dtype=pl.Utf8)
    parts = s.str.split_exact(";", len(header) - 1).struct.rename_fields(list(header))
    return parts.struct.unnest() if len(lines) else pl.DataFrame(schema={c: pl.Utf8 for c in header})
