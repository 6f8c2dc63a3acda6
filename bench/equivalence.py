"""Are the floor, the pandas route and ledgerlab's dbt marts computing the same thing?

    python -m bench.equivalence --warehouse W.duckdb --floor F.duckdb [--pandas P.parquet]

Compares ``loan_features`` (and, between the two SQL paths, ``fct_transactions``
and ``account_monthly``): the same keys, and every column equal — numbers
within 1e-6 relative (1e-9 absolute near zero), text, dates and flags
exactly, NULL where the other is NULL. Exits 1 and lists the differences
when they are not the same. Columns that cannot be equal by construction
are named in ``EXCLUDED`` with the reason; the list is empty today.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

REL_TOL = 1e-6
ABS_TOL = 1e-9

KEYS = {
    "loan_features": ["loan_id"],
    "fct_transactions": ["trans_id"],
    "account_monthly": ["account_id", "month_start"],
}
# column -> why it is left out of the comparison (per table)
EXCLUDED: dict[str, dict[str, str]] = {
    "loan_features": {},
    # Line numbers: ingestion renumbers rows after lines the CSV parser rejected (their true
    # physical line); the floor numbers parsed rows only. Their ORDER, all that the marts use
    # (same-day tie-breaks), is the same.
    "fct_transactions": {"_source_line": "physical line vs parsed-row number (same order)"},
    "account_monthly": {},
}


@dataclass
class Comparison:
    table: str
    left: str
    right: str
    rows_left: int
    rows_right: int
    compared_columns: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdict = "same" if self.same else "DIFFERENT"
        head = (
            f"{self.table}: {self.left} vs {self.right}: {verdict} "
            f"({self.rows_left:,} vs {self.rows_right:,} rows, {len(self.compared_columns)} columns)"
        )
        return [head, *(f"  - {p}" for p in self.problems[:20])]


def read_table(db: Path, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(f"select * from marts.{table}").df()
    finally:
        con.close()


def _is_missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _close(a, b) -> bool:
    if _is_missing(a) or _is_missing(b):
        return _is_missing(a) and _is_missing(b)
    if isinstance(a, (bool,)) or isinstance(b, (bool,)):
        return bool(a) == bool(b)
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
    return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif out[col].dtype == object:
            # dates from DuckDB arrive as datetime.date objects
            out[col] = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return out


def compare(table: str, left: pd.DataFrame, right: pd.DataFrame, left_name: str, right_name: str) -> Comparison:
    keys = KEYS[table]
    excluded = EXCLUDED.get(table, {})
    result = Comparison(table, left_name, right_name, len(left), len(right))
    missing = sorted(set(left.columns) - set(right.columns) - set(excluded))
    if missing:
        result.problems.append(f"columns only in {left_name}: {', '.join(missing)}")
    extra = sorted(set(right.columns) - set(left.columns) - set(excluded))
    if extra:
        result.problems.append(f"columns only in {right_name}: {', '.join(extra)}")
    columns = [c for c in left.columns if c in right.columns and c not in excluded and c not in keys]
    result.compared_columns = columns
    left, right = _normalise(left), _normalise(right)
    for name, df in ((left_name, left), (right_name, right)):
        dups = int(df.duplicated(keys).sum())
        if dups:
            result.problems.append(f"{name}: {dups} duplicate key(s) {keys}")
    merged = left.merge(right, on=keys, how="outer", suffixes=("__l", "__r"), indicator=True)
    only_left = int((merged["_merge"] == "left_only").sum())
    only_right = int((merged["_merge"] == "right_only").sum())
    if only_left or only_right:
        result.problems.append(f"keys only in {left_name}: {only_left}, only in {right_name}: {only_right}")
    both = merged[merged["_merge"] == "both"]
    for col in columns:
        lv, rv = both[f"{col}__l"].to_numpy(dtype=object), both[f"{col}__r"].to_numpy(dtype=object)
        bad = [i for i in range(len(lv)) if not _close(lv[i], rv[i])]
        if bad:
            i = bad[0]
            key = {k: both[k].iloc[i] for k in keys}
            result.problems.append(f"{col}: {len(bad)} row(s) differ, e.g. {key}: {lv[i]!r} vs {rv[i]!r}")
    return result


def check(
    warehouse: Path,
    floor: Path,
    pandas_parquet: Path | None = None,
    tables: tuple[str, ...] = ("loan_features", "fct_transactions", "account_monthly"),
) -> list[Comparison]:
    out = []
    for table in tables:
        out.append(compare(table, read_table(warehouse, table), read_table(floor, table), "dbt", "floor"))
    if pandas_parquet is not None:
        out.append(
            compare(
                "loan_features",
                read_table(warehouse, "loan_features"),
                pd.read_parquet(pandas_parquet),
                "dbt",
                "pandas",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="ledgerlab warehouse after dbt")
    parser.add_argument("--floor", type=Path, required=True, help="DuckDB file written by bench.floor")
    parser.add_argument("--pandas", type=Path, help="loan_features parquet written by bench.pandas_route")
    args = parser.parse_args()
    results = check(args.warehouse, args.floor, args.pandas)
    for r in results:
        print("\n".join(r.lines()))
    sys.exit(0 if all(r.same for r in results) else 1)


if __name__ == "__main__":
    main()
