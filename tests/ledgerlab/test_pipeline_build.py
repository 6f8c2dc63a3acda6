"""What the pipeline asks of dbt: a data run (no unit tests), rebuilt in full by `ledgerlab run`."""

from __future__ import annotations

import pytest

from ledgerlab import dbt, pipeline


@pytest.fixture
def dbt_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
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
