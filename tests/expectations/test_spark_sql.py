"""The DuckDB → Spark SQL rewrites of the suites' checks (expectations.spark_sql).

Each rule on the forms the suites write; the Spark validation test
(tests/ledgerlab/engines/test_spark.py) checks the results on a
real Spark. Where both engines are at hand, this test runs the DuckDB form
in DuckDB to pin the semantics the Spark form must reproduce.
"""

from __future__ import annotations

import duckdb
import pytest

from expectations.spark_sql import INFORMATION_SCHEMA_VIEW, for_spark


def test_quoted_identifiers_become_backticks_but_strings_are_kept() -> None:
    query = """select "birth_number" from {batch} where "a""b" = 'say "hi"' and x = 'it''s'"""
    assert for_spark(query) == """select `birth_number` from {batch} where `a"b` = 'say "hi"' and x = 'it''s'"""


def test_functions_without_a_spark_twin_are_rewritten() -> None:
    query = (
        "select * from {batch} where not coalesce(json_valid(raw_line), false) "
        "and json_extract_string(raw_line, '$.event_id') is not null "
        "and regexp_full_match(client_key, '[0-9a-f]+') and cast(null as varchar) is null "
        "and exists (select 1 from information_schema.columns)"
    )
    spark = for_spark(query)
    assert "try_parse_json(raw_line) is not null" in spark
    assert "get_json_object(raw_line, '$.event_id')" in spark
    assert "(client_key rlike concat('^(', '[0-9a-f]+', ')$'))" in spark
    assert "as string" in spark and "varchar" not in spark
    assert INFORMATION_SCHEMA_VIEW in spark and "information_schema" not in spark.replace(INFORMATION_SCHEMA_VIEW, "")
    assert "{batch}" in spark  # GX fills it in


def test_yymmdd_keeps_duckdbs_century_rule() -> None:
    spark = for_spark("select x from {batch} where try_strptime(substr(trim(x), 1, 6), '%y%m%d') is null")
    assert "try_to_timestamp(concat(case when substr(substr(trim(x), 1, 6), 1, 2) >= '69'" in spark
    assert "'yyyyMMdd')" in spark
    # the rule it encodes: DuckDB's %y puts 68 in 2068 and 69 in 1969
    years = duckdb.sql(
        "select year(try_strptime('680101', '%y%m%d')), year(try_strptime('690101', '%y%m%d'))"
    ).fetchall()
    assert years == [(2068, 1969)]
    with pytest.raises(ValueError, match="no Spark rule"):
        for_spark("select try_strptime(x, '%d/%m/%Y') from {batch}")


def test_star_exclude_and_columns_star_name_the_remaining_columns() -> None:
    query = (
        "with b as (select * exclude (_source_file, _source_line) from {batch}), "
        "long as (select * from b unpivot include nulls (value for column_name in (columns(*))))"
    )
    spark = for_spark(query, ["a", "_source_file", "b", "_source_line"])
    assert spark == (
        "with b as (select `a`, `b` from {batch}), "
        "long as (select * from b unpivot include nulls (value for column_name in (`a`, `b`)))"
    )
    with pytest.raises(ValueError, match="needs the batch's columns"):
        for_spark(query)
