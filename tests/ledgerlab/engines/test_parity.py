"""The parity comparison itself: it must see every kind of difference it claims to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from ledgerlab.engines import parity


def _table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3],
            "amount": [Decimal("10.10"), Decimal("20.20"), None],
            "score": [0.1 + 0.2, 1 / 3, 2.0],
            "day": [dt.date(1995, 1, 1), dt.date(1995, 2, 1), None],
            "raw_record": ['{"raw_line":"{\\"a\\": 1.50, \\"client_id\\": \\"k\\"}"}', None, '{"x":null}'],
            "_loaded_at": [dt.datetime(2026, 1, 1)] * 3,
        }
    )


def test_equal_tables_in_another_order_and_column_order_are_equal() -> None:
    left = _table()
    right = (
        left.reverse()
        .with_columns(
            pl.col("amount").cast(pl.Float64),  # Spark may return double where DuckDB has decimal
            pl.col("score") + 1e-12,  # last-bit float differences
            pl.col("_loaded_at") + dt.timedelta(hours=1),  # load times are ignored
            # the same JSON value, serialised differently (key order, spaces, 1.5 vs 1.50)
            pl.when(pl.col("id") == 1)
            .then(pl.lit('{"raw_line":"{\\"client_id\\":\\"k\\",\\"a\\":1.5}"}'))
            .otherwise(pl.col("raw_record"))
            .alias("raw_record"),
        )
        .select(sorted(left.columns, reverse=True))
    )
    assert parity.compare("t", left, right).equal
    assert parity.table_fingerprint(left) == parity.table_fingerprint(right)


def test_a_last_bit_difference_across_a_rounding_boundary_is_equal() -> None:
    """41615.4328125 rounds to ...812 or ...813 depending on its last bit: within the tolerance."""
    left = pl.DataFrame({"id": [1, 2], "x": [41615.4328125 - 1e-11, 5.0]})
    right = pl.DataFrame({"id": [1, 2], "x": [41615.4328125 + 1e-11, 5.0]})
    assert parity.canonical(left)["x"][0] != parity.canonical(right)["x"][0]
    assert parity.compare("t", left, right).equal
    # beyond the tolerance it is a difference, and rows pair on their other columns only
    assert not parity.compare("t", left, right.with_columns(pl.col("x") + 1e-5)).equal
    assert not parity.compare("t", left, right.with_columns(pl.col("id") + 10)).equal


def test_each_kind_of_difference_is_found_and_shown() -> None:
    left = _table()
    changes = {
        "value": left.with_columns(pl.when(pl.col("id") == 2).then(99).otherwise(pl.col("id")).alias("id")),
        "float beyond tolerance": left.with_columns(pl.col("score") + 1e-4),
        "null vs value": left.with_columns(pl.col("day").fill_null(dt.date(2000, 1, 1))),
        "json value": left.with_columns(pl.col("raw_record").str.replace("1.50", "1.51", literal=True)),
        "missing row": left.head(2),
        "duplicated row": pl.concat([left.head(2), left.head(1)]),
    }
    for kind, right in changes.items():
        diff = parity.compare("t", left, right)
        assert not diff.equal, kind
        assert "first rows only in" in diff.describe("duckdb", "spark"), kind
    missing_column = parity.compare("t", left, left.drop("score"))
    assert missing_column.problems == ["columns differ: ['score']"]
    assert parity.compare("t", left, changes["missing row"]).problems[0] == "row counts differ: 3 vs 2"
