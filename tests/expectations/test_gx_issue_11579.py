"""Regression test for GX issue #11579 (DuckDB query results lost when the connection closes).

With GX's stock SQL engine on duckdb-engine, ``execute_query`` hands back a
result whose connection has already been returned to the pool, so every
fetch sees no rows: metrics come back empty and a violated expectation no
longer shows up as an ordinary failure with its unexpected values. The
project's ``ledgerlab_duckdb`` datasource reads results before releasing the
connection; these tests prove failures are reported as failures again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from expectations import engine
from expectations._gx import gx, gxe

pytestmark = pytest.mark.filterwarnings("ignore:`schema_name` is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gx11579") / "small.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select range as id, case when range < 3 then null else range end as v from range(100)"
    )
    con.close()
    return path


def _validate(path: Path, expectations: dict) -> dict:
    """Run named expectations; results by name (GX does not keep the suite's order)."""
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_ledgerlab_duckdb(
        name="db",
        connection_string=engine.connection_string(path),
        kwargs=engine.connection_kwargs(threads=1, memory_limit="1GB", max_temp_size="1GB"),
    )
    asset = datasource.add_table_asset(name="t", table_name="t", schema_name="marts")
    batch_definition = asset.add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="regression_11579"))
    for name, expectation in expectations.items():
        expectation.meta = {"name": name}
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="regression_11579", data=batch_definition, suite=suite)
    )
    try:
        result = definition.run(result_format="SUMMARY")
    finally:
        datasource.close()
    return {r.expectation_config.meta["name"]: r for r in result.results}


def test_engine_returns_rows_after_the_connection_is_released(small_db: Path) -> None:
    fixed = engine.DuckDBExecutionEngine(
        connection_string=engine.connection_string(small_db), connect_args={"read_only": True}
    )
    try:
        assert fixed.execute_query(sa.text("select count(*) from marts.t")).fetchall() == [(100,)]
        assert fixed.execute_query(sa.text("select id from marts.t where id < 2 order by id")).fetchmany(5) == [
            (0,),
            (1,),
        ]
    finally:
        fixed.close()


def test_stock_engine_still_has_the_bug_or_the_patch_can_go(small_db: Path) -> None:
    """Documents the upstream bug: if this starts failing, GX fixed #11579 upstream."""
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    stock = SqlAlchemyExecutionEngine(
        connection_string=engine.connection_string(small_db), connect_args={"read_only": True}
    )
    try:
        rows = stock.execute_query(sa.text("select count(*) from marts.t")).fetchall()
    finally:
        stock.engine.dispose()
    if rows:
        pytest.skip("GX no longer loses DuckDB results (#11579 fixed upstream); the patch is now a safety net")
    assert rows == []


def test_violated_expectations_fail_and_satisfied_ones_pass(small_db: Path) -> None:
    results = _validate(
        small_db,
        {
            "v_not_null": gxe.ExpectColumnValuesToNotBeNull(column="v"),  # violated: 3 nulls
            "id_not_null": gxe.ExpectColumnValuesToNotBeNull(column="id"),  # satisfied
            "id_below_50": gxe.ExpectColumnValuesToBeBetween(column="id", min_value=0, max_value=49),  # 50 out
            "hundred_rows": gxe.ExpectTableRowCountToEqual(value=100),  # satisfied
            "no_id_from_95": gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="select * from {batch} where id >= 95"
            ),  # 5 rows
            "id_unique": gxe.ExpectColumnValuesToBeUnique(column="id"),  # satisfied
        },
    )
    assert {name: r.success for name, r in results.items()} == {
        "v_not_null": False,
        "id_not_null": True,
        "id_below_50": False,
        "hundred_rows": True,
        "no_id_from_95": False,
        "id_unique": True,
    }
    # Failures are real failures with their evidence, not errors with empty metrics.
    for result in results.values():
        assert not result.exception_info.get("raised_exception", False), result.exception_info
    assert results["v_not_null"].result["unexpected_count"] == 3
    assert results["v_not_null"].result["partial_unexpected_list"] == [None, None, None]
    assert results["id_below_50"].result["unexpected_count"] == 50
    assert results["hundred_rows"].result["observed_value"] == 100
    assert results["no_id_from_95"].result["observed_value"] == 5


def test_a_failing_query_does_not_poison_later_metrics(small_db: Path) -> None:
    """One broken SQL expectation must not abort DuckDB's transaction for the rest."""
    results = _validate(
        small_db,
        {
            "broken": gxe.UnexpectedRowsExpectation(unexpected_rows_query="select no_such_column from {batch}"),
            "v_not_null": gxe.ExpectColumnValuesToNotBeNull(column="v"),
            "hundred_rows": gxe.ExpectTableRowCountToEqual(value=100),
        },
    )
    assert results["broken"].success is False
    assert results["v_not_null"].success is False
    assert results["v_not_null"].result["unexpected_count"] == 3
    assert results["hundred_rows"].success is True


def test_connections_are_released_for_the_writer(small_db: Path) -> None:
    _validate(small_db, {"hundred_rows": gxe.ExpectTableRowCountToEqual(value=100)})
    con = duckdb.connect(str(small_db))  # read-write: fails if GX still held the file
    con.execute("create schema if not exists quality")
    con.close()


def test_large_results_are_complete_and_small_ones_buffered(small_db: Path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "BUFFER_ROWS", 7)
    fixed = engine.DuckDBExecutionEngine(
        connection_string=engine.connection_string(small_db), connect_args={"read_only": True}
    )
    try:
        big = fixed.execute_query(sa.text("select id from marts.t order by id"))
        assert [r[0] for r in big.fetchall()] == list(range(100))  # 7 buffered + 93 from the cursor
        small = fixed.execute_query(sa.text("select id, v from marts.t where id < 3 order by id"))
        rows = small.fetchall()
        assert [r._asdict() for r in rows] == [{"id": 0, "v": None}, {"id": 1, "v": None}, {"id": 2, "v": None}]
        assert fixed.execute_query(sa.text("select max(id) from marts.t")).scalar() == 99
    finally:
        fixed.close()
