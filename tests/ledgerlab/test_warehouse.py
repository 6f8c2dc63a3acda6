"""ledgerlab.warehouse: connections with the project's DuckDB settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlab import warehouse
from ledgerlab.errors import UserError


@pytest.mark.parametrize(
    ("limit", "parts", "share"),
    [("10GB", 2, "5000MB"), ("10 GB", 4, "2500MB"), ("1GiB", 2, "536MB"), ("3gb", 1, "3000MB"), ("500MB", 3, "166MB")],
)
def test_memory_limit_share(limit: str, parts: int, share: str) -> None:
    assert warehouse.memory_limit_share(limit, parts) == share


def test_a_memory_limit_that_is_not_a_size_is_a_user_error() -> None:
    with pytest.raises(UserError, match="LEDGERLAB_DUCKDB_MEMORY_LIMIT"):
        warehouse.memory_limit_share("lots", 2)


def test_connections_carry_the_configured_limits(tmp_path: Path) -> None:
    with warehouse.connection(tmp_path / "w.duckdb") as con:
        settings = dict(con.execute(
            "select name, value from duckdb_settings() "
            "where name in ('threads', 'max_temp_directory_size', 'temp_directory')"
        ).fetchall())
    assert int(settings["threads"]) >= 1
    assert settings["max_temp_directory_size"] not in ("", None)
    assert settings["temp_directory"].endswith("duckdb_tmp")


def test_validation_runs_in_parallel_up_to_the_size_where_queries_dominate(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerlab import config

    monkeypatch.setattr(config, "VALIDATE_JOBS", None)
    monkeypatch.setattr(config, "DUCKDB_THREADS", 2)
    assert config.validation_jobs(1_300_000) == 2
    assert config.validation_jobs(config.PARALLEL_VALIDATION_MAX_ROWS + 1) == 1
    monkeypatch.setattr(config, "VALIDATE_JOBS", 3)  # LEDGERLAB_VALIDATE_JOBS wins
    assert config.validation_jobs(10**9) == 3
