"""Small builders shared by the suite modules.

GX substitutes ``{batch}`` in an ``UnexpectedRowsExpectation`` query with
the suite's table as an aliased subquery, ``(select ...) as subselect``,
unless the query has a join, in which case the query must alias it itself
(``from {batch} as m join ...``). Literal braces must be doubled and ``:name`` would be
read as a bind parameter, so the SQL here uses ``cast(... as ...)`` rather
than ``::`` and avoids regex quantifiers in braces.
"""

from __future__ import annotations

from great_expectations.expectations.row_conditions import Column

from expectations._gx import gxe
from expectations.custom import UnexpectedRowsWithSample

VALID = Column("is_valid") == True  # noqa: E712 # a GX row condition, not a Python comparison

DATA_START = "1993-01-01"
DATA_END = "1998-12-31"


def rows(query: str, description: str | None = None) -> gxe.UnexpectedRowsExpectation:
    """Fails when ``query`` returns a row; the first rows are shown in the report."""
    return UnexpectedRowsWithSample(unexpected_rows_query=" ".join(query.split()), description=description)


def sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def quoted(schema: str, table: str) -> str:
    return f'{schema}."{table}"'
