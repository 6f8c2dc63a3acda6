"""Injected data-quality defects and their truth (_truth/defects.parquet).

REJECTED kinds are EXTRA rows -- a copy of a valid row inserted right after
it, then broken -- so the clean data and every truth file stay intact; the
cleaning layer quarantines them. REPAIRED kinds alter a valid row IN PLACE
cosmetically; the cleaning layer repairs and keeps it. Which rows are hit is
a counter-based draw keyed by the row's primary key, so the same rows are hit
whatever the chunking. Rates are per eligible row of trans.asc; the small
tables and the events file use rate * small_table_factor so that every kind
occurs at the default size.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
        return min(1.0, r * (self.events_factor if table == "digital_events" else self.small_table_factor))

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Per table: key, foreign keys, date columns, code columns, amount columns (impossible), decimal columns (comma).
SPECS = {
    "account": dict(key="account_id", fks=("district_id",), dates=("date",), codes=("frequency",), amounts=(), decimals=()),
    "client": dict(key="client_id", fks=("district_id",), dates=(), codes=(), amounts=(), decimals=()),
    "disp": dict(key="disp_id", fks=("client_id", "account_id"), dates=(), codes=("type",), amounts=(), decimals=()),
    "order": dict(key="order_id", fks=("account_id",), dates=(), codes=("k_symbol",), amounts=("amount",), decimals=("amount",)),
    "loan": dict(key="loan_id", fks=("account_id",), dates=("date",), codes=("status",), amounts=("amount",), decimals=("payments",)),
    "card": dict(key="card_id", fks=("disp_id",), dates=("issued",), codes=("type",), amounts=(), decimals=()),
    "trans": dict(key="trans_id", fks=("account_id",), dates=("date",), codes=("type", "operation"), amounts=("amount",), decimals=("amount", "balance")),
}
PARQUET_SKIPPED = {"malformed_date", "comma_decimal"}  # not representable in typed columns


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


class DefectInjector:
    def __init__(self, streams: Streams, rates: DefectRates | None, file_format: str = "csv") -> None:
        self.streams = streams
        self.rates = rates
        self.file_format = file_format
        self.records: list[pl.DataFrame] = []

    @property
    def enabled(self) -> bool:
        return self.rates is not None

    def _pick(self, table: str, kind: str, keys: np.ndarray) -> np.ndarray:
        if self.file_format == "parquet" and kind in PARQUET_SKIPPED:
            return np.zeros(keys.size, dtype=bool)
        return self.streams.uniform(f"defect:{table}:{kind}", keys) < self.rates.rate(kind, table)

    def _choose(self, table: str, kind: str, keys: np.ndarray, options: tuple) -> np.ndarray:
        return self.streams.integers(f"defect_col:{table}:{kind}", 0, len(options), keys)

    def _record(self, file: str, table: str, lines: np.ndarray, kind: str, column, action: str) -> None:
        n = lines.size
        if n == 0:
            return
        col = column if isinstance(column, (list, np.ndarray)) else [column] * n
        self.records.append(
            pl.DataFrame(
                {"file": [file] * n, "table": [table] * n, "line": lines.astype(np.int64), "kind": [kind] * n,
                 "column": list(col), "action": [action] * n},
                schema={"file": pl.Utf8, "table": pl.Utf8, "line": pl.Int64, "kind": pl.Utf8, "column": pl.Utf8, "action": pl.Utf8},
            )
        )

    # ------------------------------------------------------------------ CSV tables
    def inject(self, table: str, fields_df: pl.DataFrame, file: str, first_line: int) -> pl.DataFrame:
        if not self.enabled or table not in SPECS or fields_df.height == 0:
            return fields_df
        spec = SPECS[table]
        kinds = _kinds_for(table)
        keys = fields_df[spec["key"]].cast(pl.Int64).to_numpy()
        n = keys.size
        df = fields_df
        repaired: list[tuple[str, np.ndarray, np.ndarray]] = []  # kind, row index, column name
        # REPAIRED, in place
        for kind in ("comma_decimal", "untrimmed_code", "wrong_case_code"):
            if kind not in kinds:
                continue
            cols = spec["decimals"] if kind == "comma_decimal" else spec["codes"]
            sel = self._pick(table, kind, keys)
            which = self._choose(table, kind, keys, cols)
            rows_all = []
            cols_all = []
            for ci, col in enumerate(cols):
                mask = sel & (which == ci)
                values = df[col]
                if kind == "comma_decimal":
                    mask &= values.str.contains(".", literal=True).to_numpy()
                else:  # only real, non-blank codes
                    mask &= (values.str.strip_chars('" ').str.len_chars() > 0).to_numpy()
                if not mask.any():
                    continue
                m = pl.Series(mask)
                inner = pl.col(col).str.strip_chars('"')
                if kind == "comma_decimal":
                    new = pl.col(col).str.replace(".", ",", literal=True)
                elif kind == "untrimmed_code":
                    new = pl.concat_str([pl.lit('" '), inner, pl.lit(' "')])
                else:
                    new = pl.concat_str([pl.lit('"'), inner.str.to_uppercase() if table == "card" else inner.str.to_lowercase(), pl.lit('"')])
                df = df.with_columns(pl.when(m).then(new).otherwise(pl.col(col)).alias(col))
                idx = np.nonzero(mask)[0]
                rows_all.append(idx)
                cols_all.append(np.full(idx.size, col, dtype=object))
            if rows_all:
                repaired.append((kind, np.concatenate(rows_all), np.concatenate(cols_all)))
        # REJECTED, extra rows
        extras = []
        for rank, kind in enumerate(k for k in kinds if k in REJECTED_KINDS):
            sel = np.nonzero(self._pick(table, kind, keys))[0]
            if sel.size == 0:
                continue
            rows = df[sel]
            k = keys[sel]
            column: object = None
            if kind == "duplicate_row":
                pass
            elif kind == "null_key":
                options = (spec["key"],) + spec["fks"]
                which = self._choose(table, kind, k, options)
                column = np.asarray(options, dtype=object)[which]
                for ci, col in enumerate(options):
                    rows = rows.with_columns(pl.when(pl.Series(which == ci)).then(pl.lit("")).otherwise(pl.col(col)).alias(col))
            elif kind == "orphan_foreign_key":
                options = spec["fks"]
                which = self._choose(table, kind, k, options)
                column = np.asarray(options, dtype=object)[which]
                orphan = pl.Series((ORPHAN_BASE + self.streams.integers("orphan_id", 0, 1_000_000, k, rank)).astype(str))
                for ci, col in enumerate(options):
                    rows = rows.with_columns(pl.when(pl.Series(which == ci)).then(orphan).otherwise(pl.col(col)).alias(col))
            elif kind in ("malformed_date", "date_after_end"):
                col = spec["dates"][0]
                column = col
                v = rows[col].str.slice(0, 6)
                tail = rows[col].str.slice(6)
                if kind == "date_after_end":
                    dd = v.str.slice(4, 2).cast(pl.Int64).clip(1, 28).cast(pl.Utf8).str.zfill(2)
                    new = pl.concat_str([pl.lit("99"), v.str.slice(2, 2), dd, tail], ignore_nulls=True)
                else:
                    variant = self._choose(table, kind, k, (0, 1, 2))
                    bad_char = pl.concat_str([v.str.slice(0, 2), pl.lit("x"), v.str.slice(3)])
                    bad_day = pl.concat_str([v.str.slice(0, 2), pl.lit("0231")])
                    new = (
                        pl.when(pl.Series(variant == 0)).then(pl.concat_str([bad_char, tail]))
                        .when(pl.Series(variant == 1)).then(pl.concat_str([bad_day, tail]))
                        .otherwise(pl.lit(""))
                    )
                rows = rows.with_columns(pl.select(new).to_series().alias(col))
            elif kind == "out_of_domain_code":
                col = spec["codes"][0]
                column = col
                rows = rows.with_columns(pl.lit('"XYZ"').alias(col))
            elif kind == "impossible_amount":
                col = spec["amounts"][0]
                column = col
                zero = "0" if table == "loan" else "0.00"
                variant = self._choose(table, kind, k, (0, 1))
                rows = rows.with_columns(
                    pl.when(pl.Series(variant == 0)).then(pl.concat_str([pl.lit("-"), pl.col(col).str.strip_chars("-")]))
                    .otherwise(pl.lit(zero)).alias(col)
                )
            extras.append((kind, sel, rows, column, rank))
        if not extras and not repaired:
            return df
        pos = np.arange(n, dtype=np.float64)
        frames = [df.with_columns(pl.Series("_pos", pos))]
        for kind, sel, rows, column, rank in extras:
            frames.append(rows.with_columns(pl.Series("_pos", sel + 0.5 + rank * 0.01)))
        allrows = pl.concat(frames).sort("_pos")
        final_pos = allrows["_pos"].to_numpy()
        lines = first_line + np.arange(final_pos.size)
        # original rows keep integer positions
        orig_lines = lines[final_pos == np.floor(final_pos)]
        for kind, idx, cols in repaired:
            self._record(file, table, orig_lines[idx], kind, list(cols), "repaired")
        for kind, sel, rows, column, rank in extras:
            target = sel + 0.5 + rank * 0.01
            ln = lines[np.searchsorted(final_pos, target)]
            col = list(column) if isinstance(column, np.ndarray) else column
            self._record(file, table, ln, kind, col, "rejected")
        return allrows.drop("_pos")

    # ------------------------------------------------------------------ parquet tables
    def inject_typed(self, table: str, typed: pl.DataFrame, file: str, first_line: int) -> pl.DataFrame:
        """Parquet mode: the same injection on formatted fields, parsed back to typed columns."""
        if not self.enabled or table not in SPECS or typed.height == 0:
            return typed
        from .formatting import to_fields, trans_fields

        fields_df = trans_fields(typed) if table == "trans" else to_fields(table, typed)
        injected = self.inject(table, fields_df, file, first_line)
        return parse_fields(table, injected)

    # ------------------------------------------------------------------ events
    def inject_events(self, df: pl.DataFrame, first_line: int) -> pl.DataFrame:
        """Row-level defects in the (sorted) events frame; malformed_json is applied to lines later."""
        self._pending_json: np.ndarray | None = None
        if not self.enabled or df.height == 0:
            df = df.with_columns(pl.lit(False).alias("_malformed"))
            return df
        file, table = "digital_events.jsonl", "digital_events"
        keys = (df["client_id"].cast(pl.Int64).to_numpy() * 1_000_003 + df["day"].to_numpy() * 86_400 + df["sec"].to_numpy())
        n = keys.size
        df = df.with_columns(pl.col("client_id").cast(pl.Int64))
        repaired = []
        for kind in ("untrimmed_code", "wrong_case_code"):
            mask = self._pick(table, kind, keys)
            if mask.any():
                m = pl.Series(mask)
                new = pl.concat_str([pl.lit(" "), pl.col("event_type"), pl.lit(" ")]) if kind == "untrimmed_code" else pl.col("event_type").str.to_uppercase()
                df = df.with_columns(pl.when(m).then(new).otherwise(pl.col("event_type")).alias("event_type"))
                repaired.append((kind, np.nonzero(mask)[0]))
        extras = []
        for rank, kind in enumerate(("duplicate_row", "null_key", "orphan_foreign_key", "date_after_end", "malformed_json")):
            sel = np.nonzero(self._pick(table, kind, keys))[0]
            if sel.size == 0:
                continue
            rows = df[sel]
            column = None
            if kind == "null_key":
                rows = rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("client_id"))
                column = "client_id"
            elif kind == "orphan_foreign_key":
                rows = rows.with_columns(pl.Series("client_id", ORPHAN_BASE + self.streams.integers("orphan_event", 0, 1_000_000, keys[sel])))
                column = "client_id"
            elif kind == "date_after_end":
                rows = rows.with_columns(pl.concat_str([pl.lit("1999"), pl.col("ts").str.slice(4)]).alias("ts"))
                column = "ts"
            rows = rows.with_columns(pl.lit(kind == "malformed_json").alias("_malformed"))
            extras.append((kind, sel, rows, column, rank))
        df = df.with_columns(pl.lit(False).alias("_malformed"))
        frames = [df.with_columns(pl.Series("_pos", np.arange(n, dtype=np.float64)))]
        for kind, sel, rows, column, rank in extras:
            frames.append(rows.with_columns(pl.Series("_pos", sel + 0.5 + rank * 0.01)))
        allrows = pl.concat(frames, how="vertical_relaxed").sort("_pos")
        final_pos = allrows["_pos"].to_numpy()
        lines = first_line + np.arange(final_pos.size)
        orig_lines = lines[final_pos == np.floor(final_pos)]
        for kind, idx in repaired:
            self._record(file, table, orig_lines[idx], kind, "event_type", "repaired")
        for kind, sel, rows, column, rank in extras:
            ln = lines[np.searchsorted(final_pos, sel + 0.5 + rank * 0.01)]
            self._record(file, table, ln, kind, column, "rejected")
        return allrows.drop("_pos")

    def finish_event_lines(self, lines: pl.Series, df: pl.DataFrame) -> pl.Series:
        """Break the JSON of the rows marked malformed (drop the closing brace and more)."""
        if "_malformed" not in df.columns or not df["_malformed"].any():
            return lines
        broken = lines.str.slice(0, lines.str.len_chars() // 2 + 1)
        return pl.select(pl.when(df["_malformed"]).then(broken).otherwise(lines)).to_series().alias("line")

    def truth(self) -> pl.DataFrame:
        schema = {"file": pl.Utf8, "table": pl.Utf8, "line": pl.Int64, "kind": pl.Utf8, "column": pl.Utf8, "action": pl.Utf8}
        if not self.records:
            return pl.DataFrame(schema=schema)
        return pl.concat(self.records).sort(["file", "line", "kind"]).rechunk()


def parse_fields(table: str, f: pl.DataFrame) -> pl.DataFrame:
    """Formatted fields back to typed columns (the parquet representation)."""
    from .formatting import HEADERS, MONEY_2DP

    out = []
    for col in HEADERS[table]:
        c = pl.col(col)
        if table == "trans" and col in ("bank", "account"):
            e = pl.when(c == "").then(None).otherwise(c.str.strip_chars('"')).alias("bank_code" if col == "bank" else "account_to")
        elif col in MONEY_2DP.get(table, ()) or (table == "loan" and col == "amount"):
            e = (c.str.strip_chars('"').cast(pl.Float64, strict=False) * 100).round(0).cast(pl.Int64).alias(col + "_cents")
        elif table == "card" and col == "issued":
            e = c.str.slice(0, 6).cast(pl.Int64, strict=False).alias(col)
        elif c is not None and col in ("type", "operation", "k_symbol", "frequency", "status", "birth_number", "bank_to", "account_to"):
            e = c.str.strip_chars('"').alias(col)
        else:
            e = c.cast(pl.Int64, strict=False).alias(col)
        out.append(e)
    return f.select(out)
