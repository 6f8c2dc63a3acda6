"""The raw layer: ingestion kept every row, and what the files contain.

Everything here derives from the sources declared in the dbt sources files
(ledgerlab/core/sources.py): one suite per declared raw table, none per source
written by hand. Blocking checks are about ingestion itself (row counts
agree with ``raw._ingest_manifest``, every data line is a row or a rejected
line, the declared columns are there, lineage is intact): if they fail,
nothing downstream can account for its rows. Checks on the *content* of the
raw text come from the columns' ``config.meta`` (``not_null``, ``type``,
``accepted_values``, ``positive``, ``references``) and the table's ``key``;
they are warnings: raw data is expected to carry defects, which staging
repairs or quarantines; these warnings make each defect kind visible at the
source (``catches``).
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, rows
from ledgerlab.core.sources import LINEAGE_COLUMNS, RawSource, catalog

LAYER = "raw"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ingestion_checks(source: RawSource, suite: TableSuite) -> None:
    name = source.table
    suite.add(
        blocking(
            "columns_match_catalog",
            gxe.ExpectTableColumnsToMatchSet(column_set=[*source.columns, *LINEAGE_COLUMNS], exact_match=False),
            "staging selects these columns by name; a renamed or missing column breaks every model "
            "(an undeclared extra column is kept and reported by ingest)",
        ),
        blocking(
            "row_count_matches_manifest",
            rows(
                f"""select m.table_name, m.rows_loaded, (select count(*) from {{batch}}) as rows_in_table
                from raw._ingest_manifest as m
                where m.table_name = '{name}' and m.rows_loaded <> (select count(*) from {{batch}})"""
            ),
            "ingestion recorded how many rows it loaded; a different count means rows were lost or added later",
        ),
        blocking(
            "has_manifest_entry",
            rows(
                f"""select '{name}' as table_name from (select count(*) as n from {{batch}}) as counted
                where not exists (select 1 from raw._ingest_manifest where table_name = '{name}')"""
            ),
            "every raw table is accounted for in the manifest (rows + rejected lines = file lines - 1)",
        ),
        blocking(
            "source_line_unique",
            gxe.ExpectColumnValuesToBeUnique(column="_source_line"),
            "lineage: each row points to one physical line, which quarantine and the truth files rely on",
        ),
        blocking(
            "lineage_not_null",
            rows(
                "select _source_line from {batch} where _source_file is null or _source_line is null or _loaded_at is null"
            ),
            "a row without lineage cannot be traced back to its file",
        ),
    )


def _content_checks(source: RawSource, suite: TableSuite) -> None:
    specs = source.column_specs
    for spec in specs:
        if spec.meta.get("not_null"):
            suite.add(
                warning(
                    f"{spec.name}_present",
                    gxe.ExpectColumnValuesToNotBeNull(column=spec.name),
                    f"rows without {spec.name} cannot be joined; staging rejects them as null_key",
                    catches=("null_key",),
                )
            )
    if source.format == "jsonl":
        _json_checks(source, suite)
        return
    for key in source.key:
        suite.add(
            warning(
                f"{key}_unique",
                gxe.ExpectColumnValuesToBeUnique(column=key),
                "a repeated identifier is a duplicated row (or a key collision); staging keeps the first",
                catches=("duplicate_row",),
            )
        )
        if source.column(key).type == "integer":
            suite.add(
                warning(
                    f"{key}_is_integer",
                    rows(
                        f"select _source_line, {_q(key)} from {{batch}} where {_q(key)} is not null "
                        f"and try_cast(trim({_q(key)}) as bigint) is null"
                    ),
                    f"{key} is declared an integer identifier",
                    catches=("null_key",),
                )
            )
    for spec in specs:
        column = _q(spec.name)
        if spec.type == "yymmdd":
            suite.add(
                warning(
                    f"{spec.name}_is_yymmdd",
                    rows(
                        f"""select _source_line, {column} from {{batch}}
                        where {column} is not null
                        and try_strptime(substr(trim({column}), 1, 6), '%y%m%d') is null"""
                    ),
                    "declared a YYMMDD date (cards add ' 00:00:00'); anything else cannot be parsed",
                    catches=("malformed_date",),
                ),
                warning(
                    f"{spec.name}_not_after_data_end",
                    rows(
                        f"""select _source_line, {column} from {{batch}}
                        where cast(try_strptime(substr(trim({column}), 1, 6), '%y%m%d') as date) > date '{DATA_END}'"""
                    ),
                    f"the data's observation window ends on {DATA_END}",
                    catches=("date_after_end",),
                ),
            )
    for spec in specs:
        domain = spec.meta.get("accepted_values")
        if domain is not None:
            suite.add(
                warning(
                    f"{spec.name}_in_domain",
                    gxe.ExpectColumnValuesToBeInSet(column=spec.name, value_set=[str(v) for v in domain]),
                    f"{spec.name} is a code with a fixed set of values; spaces or another letter case are "
                    "repaired, unknown codes rejected",
                    catches=("out_of_domain_code", "untrimmed_code", "wrong_case_code"),
                )
            )
    for spec in specs:
        column = _q(spec.name)
        if spec.type == "decimal":
            suite.add(
                warning(
                    f"{spec.name}_uses_decimal_point",
                    rows(f"select _source_line, {column} from {{batch}} where {column} like '%,%'"),
                    "amounts use a decimal point; a decimal comma is repaired in staging",
                    catches=("comma_decimal",),
                )
            )
        if spec.meta.get("positive"):
            suite.add(
                warning(
                    f"{spec.name}_positive_number",
                    rows(
                        f"""select _source_line, {column} from {{batch}}
                    where coalesce(try_cast(replace(trim({column}), ',', '.') as double) <= 0, true)"""
                    ),
                    f"{spec.name} must be a positive number",
                    catches=("impossible_amount",),
                )
            )
    for spec in specs:
        reference = spec.meta.get("references")
        if not reference:
            continue
        parent, _, parent_key = str(reference).partition(".")
        column = _q(spec.name)
        suite.add(
            warning(
                f"{spec.name}_references_{parent}",
                rows(
                    f"""select _source_line, {column} from {{batch}}
                where {column} is not null and trim({column}) not in
                (select trim({_q(parent_key)}) from raw.{_q(parent)} where {_q(parent_key)} is not null)"""
                ),
                f"every {spec.name} must exist in raw.{parent}; orphans are rejected downstream",
                catches=("orphan_foreign_key",),
            )
        )


def _json_checks(source: RawSource, suite: TableSuite) -> None:
    """JSON lines: each line one object; the key fields unique across lines."""
    line = _q(source.columns[0])
    if source.column(source.columns[0]).type == "json":
        suite.add(
            warning(
                f"{source.columns[0]}_is_json",
                rows(f"select _source_line, {line} from {{batch}} where not coalesce(json_valid({line}), false)"),
                "each line is one JSON object; staging rejects the others as malformed_json",
                catches=("malformed_json",),
            )
        )
    for key in source.key:
        path = "$." + key
        suite.add(
            warning(
                f"{key}_unique",
                rows(
                    f"""select {_q(key)}, count(*) as n from (
                    select case when json_valid({line}) then json_extract_string({line}, '{path}') end
                    as {_q(key)} from {{batch}}) as events
                where {_q(key)} is not null group by {_q(key)} having count(*) > 1"""
                ),
                f"a repeated {key} is a duplicated record (a feed that delivers at least once)",
                catches=("duplicate_row",),
            )
        )


def _manifest_suite() -> TableSuite:
    every = [s.table for s in catalog()]
    suite = TableSuite(LAYER, "raw", "_ingest_manifest", description="one row per raw table loaded")
    suite.add(
        blocking(
            "lists_every_raw_table",
            gxe.ExpectColumnDistinctValuesToEqualSet(column="table_name", value_set=every),
            "ingestion writes one manifest row per raw table declared in the dbt sources files",
        ),
        blocking(
            "required_files_present",
            rows(
                """select table_name, source_name from {batch}
                where required and not present
                and source_name in (select source_name from raw._ingest_manifest where present)"""
            ),
            "once a source is given, its required tables are; a run with part of a source is incomplete",
        ),
        blocking(
            "every_line_accounted_for",
            rows(
                """select table_name, data_lines, rows_loaded, rejected_lines from {batch}
                where present and data_lines is not null and rows_loaded + rejected_lines <> data_lines"""
            ),
            "per file, data lines = raw rows + rejected lines: ingestion lost or invented nothing",
        ),
        warning(
            "required_files_not_empty",
            rows(
                """select table_name, source_file, file_bytes, rows_loaded from {batch}
                where present and required and rows_loaded + rejected_lines = 0"""
            ),
            "a required file with only a header loads nothing and empties every mart built on it",
        ),
        warning(
            "no_undeclared_columns",
            rows("select table_name, source_file, extra_columns from {batch} where extra_columns is not null"),
            "a column the sources file does not declare is kept in raw but no model reads it",
        ),
        blocking(
            "rejected_lines_recorded",
            rows(
                """select m.table_name, m.rejected_lines, count(r.line) as rejected_rows
                from {batch} as m left join raw._rejected_lines as r on r.source_table = m.table_name
                group by m.table_name, m.rejected_lines having count(r.line) <> m.rejected_lines"""
            ),
            "every line the parser rejected is kept in raw._rejected_lines for the quarantine",
        ),
        warning(
            "few_unparseable_lines",
            rows(
                """select table_name, rejected_lines, rows_loaded from {batch}
                where rejected_lines > 0.01 * (rows_loaded + rejected_lines)"""
            ),
            "more than 1% unparseable lines in a file suggests a wrong delimiter or encoding, not stray defects",
        ),
    )
    return suite


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    out = [_manifest_suite()]
    for source in catalog():
        suite = TableSuite(LAYER, "raw", source.table, description=source.description)
        _ingestion_checks(source, suite)
        _content_checks(source, suite)
        out.append(suite)
    return out


def skip_reason(suite: TableSuite, facts: WarehouseFacts) -> str | None:
    """Sources that were not given (or header-only files) are empty tables: nothing to validate."""
    if suite.table != "_ingest_manifest" and not facts.source_present(suite.table):
        return f"raw.{suite.table}: no rows ingested (its source was not given, or the file has only a header)"
    return None
