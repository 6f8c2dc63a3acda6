"""Typed chunk tables -> the real files' text (quoting, decimals, dates).

``to_fields`` / ``trans_fields`` turn a table into a frame of formatted string
fields -- the reference formatting, used for the small tables and for parquet
with defects. ``trans_csv`` writes trans.asc's lines straight from the
simulation arrays with Polars' CSV writer (tested to give the same text).
Defects are injected into the finished lines (``defects.py``).
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa

from .params import BANK_CODES

HEADERS = {
    "account": ("account_id", "district_id", "frequency", "date"),
    "client": ("client_id", "birth_number", "district_id"),
    "disp": ("disp_id", "client_id", "account_id", "type"),
    "order": ("order_id", "account_id", "bank_to", "account_to", "amount", "k_symbol"),
    "loan": ("loan_id", "account_id", "date", "amount", "duration", "payments", "status"),
    "card": ("card_id", "disp_id", "type", "issued"),
    "district": tuple(f"A{i}" for i in range(1, 17)),
    "trans": (
        "trans_id",
        "account_id",
        "date",
        "type",
        "operation",
        "amount",
        "balance",
        "k_symbol",
        "bank",
        "account",
    ),
}
QUOTED = {
    "account": {"frequency"},
    "client": {"birth_number"},
    "disp": {"type"},
    "order": {"bank_to", "account_to", "k_symbol"},
    "loan": {"status"},
    "card": {"type"},
    "district": {"A2", "A3"},
    "trans": {"type", "operation", "k_symbol"},
}
MONEY_2DP = {"order": {"amount"}, "loan": {"payments"}, "trans": {"amount", "balance"}}
TABLE_FILES = {t: f"{t}.asc" for t in HEADERS}


def header_line(table: str) -> str:
    if table == "district":
        return ";".join(HEADERS[table])
    return ";".join(f'"{c}"' for c in HEADERS[table])


def money(cents: pl.Expr) -> pl.Expr:
    """Integer cents -> '1234.50' / '-5.07'."""
    a = cents.abs()
    return pl.concat_str(
        [
            pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (a // 100).cast(pl.Utf8),
            pl.lit("."),
            (a % 100).cast(pl.Utf8).str.zfill(2),
        ]
    )


def quoted(s: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit('"'), s, pl.lit('"')])


def fixed(x: pl.Expr, decimals: int) -> pl.Expr:
    """A float with a fixed number of decimals (non-negative values)."""
    scale = 10**decimals
    v = (x * scale).round(0).cast(pl.Int64)
    return pl.concat_str([(v // scale).cast(pl.Utf8), pl.lit("."), (v % scale).cast(pl.Utf8).str.zfill(decimals)])


def to_fields(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Typed frame (money as *_cents ints, codes as str) -> string field frame."""
    exprs = []
    for col in HEADERS[table]:
        if table == "district":
            if col in ("A2", "A3"):
                e = quoted(pl.col(col))
            elif col == "A10":
                e = fixed(pl.col(col), 1)
            elif col in ("A12", "A13"):
                e = fixed(pl.col(col), 2)
            else:
                e = pl.col(col).cast(pl.Utf8)
            e = e.fill_null("?")
        elif col in MONEY_2DP.get(table, ()):
            e = money(pl.col(col + "_cents"))
        elif table == "loan" and col == "amount":
            e = (pl.col("amount_cents") // 100).cast(pl.Utf8)
        elif table == "card" and col == "issued":
            e = pl.concat_str([pl.col("issued").cast(pl.Utf8), pl.lit(" 00:00:00")])
        elif col in QUOTED[table]:
            e = quoted(pl.col(col))
        else:
            e = pl.col(col).cast(pl.Utf8)
        exprs.append(e.alias(col))
    return df.select(exprs)


def trans_fields(df: pl.DataFrame) -> pl.DataFrame:
    """trans: bank/account are missing (empty, unquoted), '""'/'"0"', or quoted codes."""
    bank = pl.col("bank_code")
    return df.select(
        pl.col("trans_id").cast(pl.Utf8),
        pl.col("account_id").cast(pl.Utf8),
        pl.col("date").cast(pl.Utf8),
        quoted(pl.col("type")).alias("type"),
        quoted(pl.col("operation")).alias("operation"),
        money(pl.col("amount_cents")).alias("amount"),
        money(pl.col("balance_cents")).alias("balance"),
        quoted(pl.col("k_symbol")).alias("k_symbol"),
        pl.when(bank.is_null()).then(pl.lit("")).otherwise(quoted(bank)).alias("bank"),
        pl.when(pl.col("account_to").is_null())
        .then(pl.lit(""))
        .otherwise(quoted(pl.col("account_to")))
        .alias("account"),
    )


def join_fields(fields: pl.DataFrame) -> pl.Series:
    return fields.select(pl.concat_str(pl.all(), separator=";").alias("line"))["line"]


# ---------------------------------------------------------------------- fast CSV bytes
# The writers below produce exactly the text of ``join_fields(to_fields(...))`` /
# ``join_fields(trans_fields(...))`` (tested), but let Polars' CSV writer format
# typed columns: ints as they are, money as Decimal(18, 2) (exact, from integer
# cents), and the quoted text fields as Enum columns whose values already hold
# the quotes and the separators between them (``quote_style="never"``); a null
# is an empty field.


def csv_bytes(df: pl.DataFrame, quote_style: str = "never") -> memoryview:
    """Rows of ``df`` as ';'-separated, LF-terminated lines (no header), without copying the buffer."""
    if df.height == 0:
        return memoryview(b"")
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False, separator=";", quote_style=quote_style)
    return buf.getbuffer()


def table_csv(table: str, df: pl.DataFrame) -> memoryview:
    """A small table's lines (via the string fields of ``to_fields``)."""
    if df.height == 0:
        return memoryview(b"")
    return csv_bytes(join_fields(to_fields(table, df)).to_frame())


def money_decimal(cents: np.ndarray) -> pl.Series:
    """Integer cents as an exact Decimal(18, 2) series (written as '-1234.50')."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((cents.size, 2), dtype=np.int64)  # little-endian int128: low word, sign word
    words[:, 0] = cents
    np.right_shift(cents, 63, out=words[:, 1])
    return pl.from_arrow(pa.Array.from_buffers(pa.decimal128(18, 2), cents.size, [None, pa.py_buffer(words)]))


@cache
def _trans_lookups() -> tuple[pl.Series, pl.Series, np.ndarray]:
    """'"type";"operation"' per code, '"k_symbol";bank' per (k_symbol, bank), k_symbol index per code."""
    from .transactions import CODES

    typop = [f'"{t}";"{o}"' for t, o, _ in CODES]
    ksymbols = list(dict.fromkeys(k for _, _, k in CODES))
    banks = [None] + [f'"{b}"' for b in BANK_CODES] + ['""']  # missing, the bank codes, empty
    ksbank = [f'"{k}";' + (b or "") for k in ksymbols for b in banks]
    return (
        pl.Series(typop, dtype=pl.Enum(list(dict.fromkeys(typop)))),
        pl.Series(ksbank, dtype=pl.Enum(ksbank)),
        np.array([ksymbols.index(k) for _, _, k in CODES]),
    )


def trans_csv(
    first_trans_id: int,
    account_id: np.ndarray,
    yymmdd: np.ndarray,
    code: np.ndarray,
    amount_cents: np.ndarray,
    balance_cents: np.ndarray,
    bank: np.ndarray,
    cp_account: np.ndarray,
) -> memoryview:
    """trans.asc lines straight from the simulation arrays.

    ``bank`` is -1 (bank and account missing), -2 ('""' and '"0"') or an index
    into BANK_CODES (then ``cp_account`` is the counterparty account).
    """
    m = int(code.size)
    if m == 0:
        return memoryview(b"")
    typop, ksbank, code_ksymbol = _trans_lookups()
    bank = bank.astype(np.int64)
    bank_ix = np.where(bank == -2, len(BANK_CODES), bank) + 1  # 0 = missing
    ksb = code_ksymbol[code] * (len(BANK_CODES) + 2) + bank_ix
    has = np.flatnonzero(bank != -1)
    digits = pl.Series(np.where(bank[has] == -2, 0, cp_account[has])).cast(pl.Utf8)
    account = pl.Series("account", [None], dtype=pl.Utf8).extend_constant(None, m - 1)
    if has.size:
        account = account.scatter(has, pl.select(pl.concat_str([pl.lit('"'), digits, pl.lit('"')])).to_series())
    df = pl.DataFrame(
        [
            pl.Series("trans_id", np.arange(first_trans_id, first_trans_id + m, dtype=np.int64)),
            pl.Series("account_id", account_id),
            pl.Series("date", yymmdd),
            typop.gather(pl.Series(code.astype(np.uint32))).alias("typop"),
            money_decimal(amount_cents).alias("amount"),
            money_decimal(balance_cents).alias("balance"),
            ksbank.gather(pl.Series(ksb.astype(np.uint32))).alias("ksbank"),
            account,
        ]
    )
    return csv_bytes(df)
