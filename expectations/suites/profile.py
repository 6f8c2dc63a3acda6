"""Profile of every raw source: what a new file hides, found with no code per source.

One suite per declared raw table that has rows. Every check is one SQL
query that unpivots the table's text columns (``UNPIVOT``: one row per
column and value) and measures them in DuckDB, so a table's columns need
not be named anywhere. All checks are warnings; each lists the columns it
flags with their shares, in the report and in ``summary.json`` (its
``profile`` section):

- ``sentinel_values``: a number used as a code — 999, 9999 … when it is
  also the column's maximum, or −1, −99, −999 — in at least 1 % of the rows
  of a numeric column (``pdays = 999`` for "never contacted");
- ``unknown_categories``: ``unknown``, ``n/a``, ``?``, ``none`` … standing
  in for a value, with their share;
- ``rare_categories``: a category of a low-cardinality text column held by
  under 0.1 % of the rows (at most 10 rows): too few to learn from;
- ``near_constant_columns``: one value in 99 % or more of the non-empty rows;
- ``mostly_empty_columns``: more than half of the rows NULL or blank;
- ``duplicate_rows``: identical rows, checked only when the source declares
  no key (with a key, the raw suite checks the key instead).

What a source declares as intended is not flagged: a column's
``config.meta`` ``known_codes`` (values that are codes by design, e.g. ``?``
for "not published" or ``-1`` for "paid duly") leave the sentinel and
unknown checks, and ``sparse: true`` (empty by design, e.g. a counterparty
only on transfers) leaves the mostly-empty check.

Tables above 400,000 rows are profiled on a systematic sample of about 200,000
rows: every k-th block of 2,048 consecutive rows by position, which DuckDB
reads without the other blocks (cheap at 100 M rows) and which is the same
sample on every run; the duplicate check always reads every row.
"""

from __future__ import annotations

from expectations.spec import TableSuite, WarehouseFacts, warning
from expectations.suites._common import quoted, rows
from ledgerlab.core.sources import LINEAGE_COLUMNS, catalog

LAYER = "profile"

NINES = ("999", "9999", "99999", "999999", "9999999")  # a code when it is also the column's maximum
NEGATIVE = ("-1", "-99", "-999", "-9999")
UNKNOWN_LIKE = (
    "unknown",
    "unk",
    "n/a",
    "na",
    "n.a.",
    "none",
    "null",
    "nil",
    "?",
    "-",
    "--",
    "missing",
    "not known",
    "not available",
    "undefined",
    "unspecified",
    "xna",
    "#n/a",
)
SAMPLE_ABOVE = 400_000
SAMPLE_ROWS = 200_000
SAMPLE_BLOCK = 2_048  # rows per sampled block: one DuckDB vector


def _list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _values(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "select cast(null as varchar) as column_name, cast(null as varchar) as value where false"
    rows = ", ".join(f"({_list((c,))}, {_list((v,))})" for c, v in pairs)
    return f"select * from (values {rows}) as v(column_name, value)"


def _long(sampled: int, table: str, known: list[tuple[str, str]] = (), sparse: list[str] = ()) -> str:
    """CTEs: ``t`` the rows (or a sample), ``n`` their count, ``long`` one row per column and value.

    ``sampled`` is the table's row count when it is to be sampled (0: read every row of the
    batch): a systematic sample of whole blocks of rows of ``table``, about SAMPLE_ROWS of
    them, cheap at 100 M rows.
    """
    lineage = ", ".join(LINEAGE_COLUMNS)
    # Every k-th block of SAMPLE_BLOCK rows by row position: DuckDB skips the other blocks in the
    # scan. It reads the table itself, by name: GX hands the batch over as a subquery, which has
    # no row positions. The seeded system sample used before read every row first when taken of a
    # select (0.7 s instead of 0.3 s at 11 M rows, for each check), and taken in the scan it was
    # not reproducible with two threads (another sample each run).
    stride = max(1, round(sampled / SAMPLE_ROWS)) if sampled else 1
    rows_read = f"{table} where (rowid // {SAMPLE_BLOCK}) % {stride} = 0" if stride > 1 else "{batch}"
    return f"""with t as (select * exclude ({lineage}) from {rows_read}),
    n as (select count(*) as n_rows from t),
    long as (select * from t unpivot include nulls (value for column_name in (columns(*)))),
    known_codes as ({_values(list(known))}),
    sparse as ({_values([(c, "") for c in sparse])}),
    per_value as (select column_name, value, count(*) as n from long group by all),
    per_column as (
        select column_name, count(value) as non_null,
            count(distinct value) as n_distinct,
            count(try_cast(trim(value) as double)) as numeric_values,
            max(try_cast(trim(value) as double)) as max_number,
            count(*) filter (where value is null or trim(value) = '') as empty
        from long group by column_name
    )"""


def _checks(sampled: int, has_key: bool, table: str, known: list[tuple[str, str]] = (), sparse: list[str] = ()) -> list:
    # every ordering ends on the column (and value): ties in share came back in the order of
    # DuckDB's threads, so the samples in the reports changed from run to run
    base = _long(sampled, table, known, sparse)
    not_known = "(p.column_name, trim(p.value)) not in (select column_name, value from known_codes)"
    checks = [
        warning(
            "sentinel_values",
            rows(f"""{base}
                select p.column_name, p.value, p.n as rows, round(p.n / n.n_rows, 4) as share
                from per_value as p join per_column as c using (column_name), n
                where {not_known} and (trim(p.value) in ({_list(NEGATIVE)})
                    or (trim(p.value) in ({_list(NINES)}) and try_cast(trim(p.value) as double) = c.max_number))
                and c.numeric_values >= 0.9 * c.non_null
                and p.n >= greatest(2, 0.01 * n.n_rows)
                order by share desc, p.column_name, p.value"""),
            "a round number like 999 or -1 in many rows of a numeric column is usually a code "
            "(never, not applicable), not a quantity: decode it in staging before it is averaged",
        ),
        warning(
            "unknown_categories",
            rows(f"""{base}
                select p.column_name, p.value, p.n as rows, round(p.n / n.n_rows, 4) as share
                from per_value as p, n
                where lower(trim(p.value)) in ({_list(UNKNOWN_LIKE)}) and {not_known}
                order by share desc, p.column_name, p.value"""),
            "a value meaning 'unknown' is a missing value in disguise: count it as missing, or keep it "
            "as its own category on purpose",
        ),
        warning(
            "rare_categories",
            rows(f"""{base}
                select p.column_name, p.value, p.n as rows, round(p.n / n.n_rows, 6) as share
                from per_value as p join per_column as c using (column_name), n
                where p.value is not null and c.n_distinct between 2 and 20
                and c.numeric_values < 0.9 * c.non_null
                and p.n <= least(10, 0.001 * n.n_rows)
                order by share, p.column_name, p.value"""),
            "a category held by a handful of rows cannot be learnt from and may be a typo",
        ),
        warning(
            "near_constant_columns",
            rows(f"""{base}
                select p.column_name, p.value, p.n as rows, round(p.n / c.non_null, 4) as share_of_non_empty
                from per_value as p join per_column as c using (column_name)
                where p.value is not null and c.non_null >= 20 and p.n >= 0.99 * c.non_null
                order by share_of_non_empty desc, p.column_name, p.value"""),
            "a column with (almost) one value carries (almost) no information",
        ),
        warning(
            "mostly_empty_columns",
            rows(f"""{base}
                select c.column_name, c.empty as empty_rows, round(c.empty / n.n_rows, 4) as share
                from per_column as c, n
                where c.empty > 0.5 * n.n_rows and c.column_name not in (select column_name from sparse)
                order by share desc, c.column_name"""),
            "a column empty in most rows is either optional by design (say so in the docs) or lost in the extract",
        ),
    ]
    if not has_key:
        lineage = ", ".join(LINEAGE_COLUMNS)
        checks.append(
            warning(
                "duplicate_rows",
                rows(f"""with b as (select * exclude ({lineage}) from {{batch}})
                select *, count(*) as copies from b group by all having count(*) > 1
                order by copies desc"""),
                "the source declares no key, so identical rows may be one record delivered twice",
                catches=("duplicate_row",),
            )
        )
    return checks


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    out = []
    for raw in catalog():
        suite = TableSuite(
            LAYER,
            "profile",
            raw.table,
            read_from=f"raw.{raw.table}",
            description=f"profile of raw.{raw.table} (source {raw.source})",
        )
        rows_in_table = facts.row_estimates.get(f"raw.{raw.table}", 0)
        known = [(c.name, str(v)) for c in raw.column_specs for v in c.meta.get("known_codes") or ()]
        sparse = [c.name for c in raw.column_specs if c.meta.get("sparse")]
        suite.add(
            *_checks(
                rows_in_table if rows_in_table > SAMPLE_ABOVE else 0,
                has_key=bool(raw.key),
                table=quoted("raw", raw.table),
                known=known,
                sparse=sparse,
            )
        )
        out.append(suite)
    return out


def skip_reason(suite: TableSuite, facts: WarehouseFacts) -> str | None:
    if not facts.source_present(suite.table):
        return f"raw.{suite.table}: no rows ingested, nothing to profile"
    return None
