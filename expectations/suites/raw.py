"""The raw layer: ingestion kept every row, and what the files contain.

Blocking checks are about ingestion itself (row counts agree with
``raw._ingest_manifest``, columns match the catalog in ledgerlab/sources.py,
lineage is intact): if they fail, nothing downstream can account for its
rows. Checks on the *content* of the raw text are warnings: raw data is
expected to carry defects, which staging repairs or quarantines; these
warnings make each defect kind visible at the source (``catches``).
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, rows, sql_list
from ledgerlab.sources import BERKA_SOURCES, DIGITAL_EVENTS, LINEAGE_COLUMNS, TAIWAN, RawSource

LAYER = "raw"

# Per table: key columns (null_key, duplicate_row), date column, code columns
# with their domains, amount columns and foreign keys to other raw tables.
_KEYS = {
    "account": ("account_id",), "client": ("client_id",), "disp": ("disp_id",),
    "order": ("order_id",), "loan": ("loan_id",), "card": ("card_id",),
    "district": ("a1",), "trans": ("trans_id",),
}
_REQUIRED_NOT_NULL = {
    "account": ("account_id", "district_id"), "client": ("client_id", "district_id"),
    "disp": ("disp_id", "client_id", "account_id"), "order": ("order_id", "account_id"),
    "loan": ("loan_id", "account_id"), "card": ("card_id", "disp_id"), "district": ("a1",),
    "trans": ("trans_id", "account_id"),
}
_DATES = {"account": "date", "loan": "date", "card": "issued", "trans": "date"}
_CODES = {
    "account": {"frequency": ("POPLATEK MESICNE", "POPLATEK TYDNE", "POPLATEK PO OBRATU")},
    "disp": {"type": ("OWNER", "DISPONENT")},
    "loan": {"status": ("A", "B", "C", "D")},
    "card": {"type": ("classic", "junior", "gold")},
    "order": {"k_symbol": ("POJISTNE", "SIPO", "LEASING", "UVER", "", " ")},
    "trans": {
        "type": ("PRIJEM", "VYDAJ", "VYBER"),
        "operation": ("VYBER KARTOU", "VKLAD", "PREVOD Z UCTU", "VYBER", "PREVOD NA UCET", ""),
        "k_symbol": ("POJISTNE", "SIPO", "LEASING", "UVER", "SLUZBY", "UROK", "SANKC. UROK",
                     "DUCHOD", "", " "),
    },
}
_AMOUNTS = {"order": ("amount",), "loan": ("amount", "payments"), "trans": ("amount",)}
_FOREIGN_KEYS = {
    "account": (("district_id", "district", "a1"),),
    "client": (("district_id", "district", "a1"),),
    "disp": (("client_id", "client", "client_id"), ("account_id", "account", "account_id")),
    "order": (("account_id", "account", "account_id"),),
    "loan": (("account_id", "account", "account_id"),),
    "card": (("disp_id", "disp", "disp_id"),),
    "trans": (("account_id", "account", "account_id"),),
}


def _ingestion_checks(source: RawSource, suite: TableSuite) -> None:
    name = source.table
    suite.add(
        blocking(
            "columns_match_catalog",
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[*source.columns, *LINEAGE_COLUMNS], exact_match=True
            ),
            "staging selects these columns by name; a renamed or missing column breaks every model",
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
            rows("select _source_line from {batch} where _source_file is null or _source_line is null or _loaded_at is null"),
            "a row without lineage cannot be traced back to its file",
        ),
    )


def _content_checks(source: RawSource, suite: TableSuite) -> None:
    table = source.table
    for column in _REQUIRED_NOT_NULL.get(table, ()):
        suite.add(warning(
            f"{column}_present",
            gxe.ExpectColumnValuesToNotBeNull(column=column),
            f"rows without {column} cannot be joined; staging rejects them as null_key",
            catches=("null_key",),
        ))
    for key in _KEYS.get(table, ()):
        suite.add(warning(
            f"{key}_unique",
            gxe.ExpectColumnValuesToBeUnique(column=key),
            "a repeated identifier is a duplicated row (or a key collision); staging keeps the first",
            catches=("duplicate_row",),
        ))
        suite.add(warning(
            f"{key}_is_integer",
            rows(f"select _source_line, {key} from {{batch}} where {key} is not null and try_cast(trim({key}) as bigint) is null"),
            "identifiers are integers in every Berka file",
            catches=("null_key",),
        ))
    if table in _DATES:
        column = _DATES[table]
        suite.add(
            warning(
                f"{column}_is_yymmdd",
                rows(
                    f"""select _source_line, {column} from {{batch}}
                    where {column} is not null
                    and try_strptime(substr(trim({column}), 1, 6), '%y%m%d') is null"""
                ),
                "Berka dates are YYMMDD (cards add ' 00:00:00'); anything else cannot be parsed",
                catches=("malformed_date",),
            ),
            warning(
                f"{column}_not_after_data_end",
                rows(
                    f"""select _source_line, {column} from {{batch}}
                    where cast(try_strptime(substr(trim({column}), 1, 6), '%y%m%d') as date) > date '{DATA_END}'"""
                ),
                f"the data's observation window ends on {DATA_END}",
                catches=("date_after_end",),
            ),
        )
    for column, domain in _CODES.get(table, {}).items():
        suite.add(warning(
            f"{column}_in_domain",
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(domain)),
            f"{column} is a code with a fixed set of values; spaces or another letter case are repaired, "
            "unknown codes rejected",
            catches=("out_of_domain_code", "untrimmed_code", "wrong_case_code"),
        ))
    for column in _AMOUNTS.get(table, ()):
        suite.add(
            warning(
                f"{column}_uses_decimal_point",
                rows(f"select _source_line, {column} from {{batch}} where {column} like '%,%'"),
                "amounts use a decimal point; a decimal comma is repaired in staging",
                catches=("comma_decimal",),
            ),
            warning(
                f"{column}_positive_number",
                rows(
                    f"""select _source_line, {column} from {{batch}}
                    where coalesce(try_cast(replace(trim({column}), ',', '.') as double) <= 0, true)"""
                ),
                f"{column} must be a positive number",
                catches=("impossible_amount",),
            ),
        )
    for column, parent, parent_key in _FOREIGN_KEYS.get(table, ()):
        suite.add(warning(
            f"{column}_references_{parent}",
            rows(
                f"""select _source_line, {column} from {{batch}}
                where {column} is not null and trim({column}) not in
                (select trim({parent_key}) from raw."{parent}" where {parent_key} is not null)"""
            ),
            f"every {column} must exist in raw.{parent}; orphans are rejected downstream",
            catches=("orphan_foreign_key",),
        ))


def _manifest_suite() -> TableSuite:
    required = [s.table for s in BERKA_SOURCES]
    every = [*required, DIGITAL_EVENTS.table, TAIWAN.table]
    suite = TableSuite(LAYER, "raw", "_ingest_manifest", description="one row per raw table loaded")
    suite.add(
        blocking(
            "lists_every_raw_table",
            gxe.ExpectColumnDistinctValuesToEqualSet(column="table_name", value_set=every),
            "ingestion writes one manifest row per source of the catalog",
        ),
        blocking(
            "required_files_present",
            rows(f"select table_name from {{batch}} where table_name in ({sql_list(required)}) and not present"),
            "the Berka files are required; a run without one of them is incomplete",
        ),
        blocking(
            "present_files_not_empty",
            rows("select table_name, file_bytes, rows_loaded from {batch} where present and (file_bytes <= 0 or rows_loaded + rejected_lines = 0)"),
            "an empty file loads nothing and silently empties every mart built on it",
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
    for source in BERKA_SOURCES:
        suite = TableSuite(LAYER, "raw", source.table, description=source.description)
        _ingestion_checks(source, suite)
        _content_checks(source, suite)
        out.append(suite)
    events = TableSuite(LAYER, "raw", DIGITAL_EVENTS.table, description=DIGITAL_EVENTS.description)
    _ingestion_checks(DIGITAL_EVENTS, events)
    events.add(
        warning(
            "raw_line_is_json",
            rows("select _source_line, raw_line from {batch} where not coalesce(json_valid(raw_line), false)"),
            "each line is one JSON object; staging rejects the others as malformed_json",
            catches=("malformed_json",),
        ),
        warning(
            "event_id_unique",
            rows(
                """select event_id, count(*) as n from (
                    select case when json_valid(raw_line) then json_extract_string(raw_line, '$.event_id') end
                    as event_id from {batch}) as events
                where event_id is not null group by event_id having count(*) > 1"""
            ),
            "a repeated event id is a duplicated event (the feed delivers at least once)",
            catches=("duplicate_row",),
        ),
    )
    taiwan = TableSuite(LAYER, "raw", TAIWAN.table, description=TAIWAN.description)
    _ingestion_checks(TAIWAN, taiwan)
    taiwan.add(
        warning("id_unique", gxe.ExpectColumnValuesToBeUnique(column="id"),
                "one row per card holder", catches=("duplicate_row",)),
        warning("target_is_binary", gxe.ExpectColumnValuesToBeInSet(column="y", value_set=["0", "1"]),
                "the default flag is 0 or 1", catches=("out_of_domain_code",)),
    )
    out.extend([events, taiwan])
    return out


def skip_reason(suite: TableSuite, facts: WarehouseFacts) -> str | None:
    """Optional sources that were not given are empty tables: nothing to validate."""
    if suite.table in (DIGITAL_EVENTS.table, TAIWAN.table) and not facts.source_present(suite.table):
        return f"optional source {suite.table} was not given to ingest (empty table)"
    return None
