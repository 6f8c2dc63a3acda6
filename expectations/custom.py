"""A small extension of GX: a SQL expectation that keeps a sample of its rows.

``UnexpectedRowsWithSample`` is an ``UnexpectedRowsExpectation`` that keeps
a sample of the offending rows.

GX's own class drops the rows its query found unless the whole run asks for
``COMPLETE`` results, which would also make every column expectation fetch
all of its unexpected values. This subclass always reports the first
``SAMPLE_ROWS`` rows (the query itself is unchanged and runs in DuckDB).
"""

from __future__ import annotations

from typing import Any

from expectations._gx import gxe

SAMPLE_ROWS = 10


class UnexpectedRowsWithSample(gxe.UnexpectedRowsExpectation):
    """Fails when the SQL query returns rows; reports their count and the first few."""

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        rows = metrics["unexpected_rows_query.table"] or []
        count = metrics["unexpected_rows_query.row_count"]
        return {
            "success": count == 0,
            "result": {"observed_value": count, "details": {"unexpected_rows": list(rows)[:SAMPLE_ROWS]}},
        }
