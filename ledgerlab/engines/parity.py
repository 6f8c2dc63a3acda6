"""Compare the marts of two engines: equal row multisets, floats within a tolerance.

Each table is read into Polars (DuckDB through Arrow, Spark through
``DataFrame.toArrow``: no pandas), brought to one canonical form, and compared
as a multiset of rows with an order-independent hash:

- columns compared by name (Spark moves partition columns to the end);
- numbers as float64 rounded to ``FLOAT_DECIMALS`` places (DuckDB's decimal
  arithmetic and Spark's double differ in the last bits); rows that still
  differ are paired on their other columns, and are equal when every float
  is within ``FLOAT_TOLERANCE`` (absolute) + ``FLOAT_RELATIVE`` x |value|
  (a last-bit difference can straddle a rounding boundary);
- JSON texts (``raw_record``) compared as JSON values: DuckDB re-serialises a
  merged JSON object, Spark edits it in place (see ``json_set_key``);
- ``IGNORED_COLUMNS`` (load times) left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

FLOAT_DECIMALS = 6
FLOAT_TOLERANCE = 1.5e-6
FLOAT_RELATIVE = 1e-9
IGNORED_COLUMNS = frozenset({"_loaded_at"})
JSON_COLUMNS = frozenset({"raw_record"})


def _canonical_json(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text

    def canon(v):
        if isinstance(v, dict):
            return {k: canon(x) for k, x in v.items()}
        if isinstance(v, str) and v[:1] == "{":
            try:
                return canon(json.loads(v))
            except ValueError:
                return v
        if isinstance(v, float):
            return round(v, FLOAT_DECIMALS)
        return v

    return json.dumps(canon(value), sort_keys=True, separators=(",", ":"))


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """The table in the form both engines are compared in."""
    columns = sorted(c for c in frame.columns if c not in IGNORED_COLUMNS)
    exprs = []
    for name in columns:
        dtype = frame.schema[name]
        col = pl.col(name)
        if dtype.is_numeric() and not dtype.is_integer():
            col = col.cast(pl.Float64).round(FLOAT_DECIMALS)
        elif dtype.is_integer():
            col = col.cast(pl.Int64)
        elif name in JSON_COLUMNS:
            col = col.map_elements(_canonical_json, return_dtype=pl.Utf8)
        elif dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            col = col.cast(pl.Datetime("us"))
        exprs.append(col.alias(name))
    return frame.select(exprs)


@dataclass
class TableDiff:
    table: str
    left_rows: int
    right_rows: int
    problems: list[str] = field(default_factory=list)
    only_left: pl.DataFrame | None = None
    only_right: pl.DataFrame | None = None

    @property
    def equal(self) -> bool:
        return not self.problems

    def describe(self, left: str, right: str, rows: int = 5) -> str:
        lines = [f"{self.table}: {'; '.join(self.problems)}"]
        with pl.Config(tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=60):
            if self.only_left is not None and self.only_left.height:
                lines.append(f"first rows only in {left}:\n{self.only_left.head(rows)}")
            if self.only_right is not None and self.only_right.height:
                lines.append(f"first rows only in {right}:\n{self.only_right.head(rows)}")
        return "\n".join(lines)


def _row_hashes(frame: pl.DataFrame) -> pl.Series:
    return frame.hash_rows(seed=0)


def compare(table: str, left: pl.DataFrame, right: pl.DataFrame) -> TableDiff:
    """Compare two tables as multisets of canonical rows."""
    diff = TableDiff(table, left.height, right.height)
    left_c, right_c = canonical(left), canonical(right)
    if left_c.columns != right_c.columns:
        missing = sorted(set(left_c.columns) ^ set(right_c.columns))
        diff.problems.append(f"columns differ: {missing}")
        return diff
    if left_c.height != right_c.height:
        diff.problems.append(f"row counts differ: {left_c.height} vs {right_c.height}")
    # one schema for both sides (e.g. an all-NULL column is Null on one side)
    schema = {c: left_c.schema[c] if left_c.schema[c] != pl.Null else right_c.schema[c] for c in left_c.columns}
    left_c, right_c = left_c.cast(schema), right_c.cast(schema)
    left_h = left_c.with_columns(_row_hashes(left_c).alias("_hash"))
    right_h = right_c.with_columns(_row_hashes(right_c).alias("_hash"))
    left_counts = left_h.group_by("_hash").len()
    right_counts = right_h.group_by("_hash").len()
    joined = left_counts.join(right_counts, on="_hash", how="full", coalesce=True, suffix="_right").fill_null(0)
    unequal = joined.filter(pl.col("len") != pl.col("len_right"))
    if unequal.height:
        only_left = (
            left_h.join(unequal.filter(pl.col("len") > pl.col("len_right")), on="_hash", how="semi")
            .drop("_hash")
            .sort(left_c.columns[:3], nulls_last=True)
        )
        only_right = (
            right_h.join(unequal.filter(pl.col("len_right") > pl.col("len")), on="_hash", how="semi")
            .drop("_hash")
            .sort(right_c.columns[:3], nulls_last=True)
        )
        if not _equal_within_tolerance(only_left, only_right):
            diff.problems.append(f"{unequal.height} distinct rows differ in multiplicity")
            diff.only_left, diff.only_right = only_left, only_right
    return diff


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= FLOAT_TOLERANCE + FLOAT_RELATIVE * max(abs(a), abs(b))


def _equal_within_tolerance(left: pl.DataFrame, right: pl.DataFrame) -> bool:
    """Whether the rows left over pair up: equal other columns, floats within the tolerance."""
    if left.height != right.height or left.height > 10_000:
        return False
    floats = [c for c in left.columns if left.schema[c] == pl.Float64]
    if not floats:
        return False
    exact = [c for c in left.columns if c not in floats]

    def groups(frame: pl.DataFrame) -> dict:
        out: dict = {}
        for row in frame.iter_rows(named=True):
            key = tuple(row[c] for c in exact)
            out.setdefault(key, []).append(tuple(row[c] for c in floats))
        return out

    left_groups, right_groups = groups(left), groups(right)
    if left_groups.keys() != right_groups.keys():
        return False
    for key, left_values in left_groups.items():
        right_values = right_groups[key]
        if len(left_values) != len(right_values):
            return False
        pairs = zip(sorted(left_values, key=_sort_key), sorted(right_values, key=_sort_key), strict=True)
        if not all(_close(a, b) for lv, rv in pairs for a, b in zip(lv, rv, strict=True)):
            return False
    return True


def _sort_key(values: tuple) -> tuple:
    return tuple((v is None, v or 0.0) for v in values)


def table_fingerprint(frame: pl.DataFrame) -> int:
    """An order-independent hash of a table's canonical rows."""
    canon = canonical(frame)
    return int(_row_hashes(canon).sort().hash(seed=0).sum()) if canon.height else 0
