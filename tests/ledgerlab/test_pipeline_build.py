"""What the pipeline asks of dbt: a data run (no unit tests), rebuilt in full by `ledgerlab run`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ledgerlab import dbt, pipeline
from ledgerlab.core.errors import MissingStep


@pytest.fixture
def dbt_calls(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> list[list[str]]:
    """dbt replaced by a recorder, on a warehouse that holds an ingest manifest."""
    path = isolated_home / "warehouse" / "test.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema raw; create table raw._ingest_manifest (table_name varchar, rows_loaded bigint);"
            "insert into raw._ingest_manifest values ('trans', 1000), ('loan', 20)"
        )
    calls: list[list[str]] = []

    def fake_run_dbt(args: list[str], **_) -> dbt.DbtResult:
        calls.append(list(args))
        return dbt.DbtResult(command=["dbt", *args], seconds=0.0, output="Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1")

    monkeypatch.setattr(dbt, "run_dbt", fake_run_dbt)
    return calls


def test_build_step_is_a_data_run_without_unit_tests(dbt_calls: list[list[str]], isolated_home) -> None:
    lines = pipeline.build_step()  # no warehouse yet: no notes about sources not ingested
    assert dbt_calls == [["build", "--exclude-resource-type", "unit_test"]]
    assert lines[-1] == "dbt build: PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1"


def test_full_refresh_is_passed_on(dbt_calls: list[list[str]], isolated_home) -> None:
    pipeline.build_step(full_refresh=True)
    assert dbt_calls == [["build", "--exclude-resource-type", "unit_test", "--full-refresh"]]


def test_build_before_ingest_names_the_missing_step(isolated_home: Path) -> None:
    with pytest.raises(MissingStep, match=r"no warehouse at .*run `ledgerlab ingest --raw DIR` first"):
        pipeline.build_step()
    path = isolated_home / "warehouse" / "test.duckdb"
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()
    with pytest.raises(MissingStep, match=r"holds no ingested data"):
        pipeline.build_step()


def test_a_large_build_runs_one_model_at_a_time(dbt_calls: list[list[str]], monkeypatch) -> None:
    """From config.SERIAL_BUILD_MIN_ROWS raw rows on, dbt gets one thread (two window-heavy marts
    side by side spilled past the cap at 111 M transactions); below, the profile's threads."""
    from ledgerlab.core import config

    assert config.dbt_threads(49_999_999) is None and config.dbt_threads(50_000_000) == 1
    monkeypatch.setattr(config, "SERIAL_BUILD_MIN_ROWS", 1_021)
    pipeline.build_step()
    monkeypatch.setattr(config, "SERIAL_BUILD_MIN_ROWS", 1_020)  # the manifest's 1,000 + 20 rows
    lines = pipeline.build_step()
    assert dbt_calls == [
        ["build", "--exclude-resource-type", "unit_test"],
        ["build", "--exclude-resource-type", "unit_test", "--threads", "1"],
    ]
    assert any("1,020 raw rows: dbt builds one model at a time" in line for line in lines)
