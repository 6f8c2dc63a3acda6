from __future__ import annotations

from pathlib import Path

import pytest

from .small_warehouse import build_small_warehouse, env_for


@pytest.fixture(scope="session")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp() / "insights_small_warehouse"
    build_small_warehouse(root)
    return root


@pytest.fixture(scope="session")
def small_warehouse(small_home: Path) -> Path:
    return small_home / "warehouse" / "small.duckdb"


@pytest.fixture
def small_env(small_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEDGERLAB_* pointing at the small warehouse's home."""
    for key, value in env_for(small_home).items():
        if key.startswith(("LEDGERLAB_", "DBT_")):
            monkeypatch.setenv(key, value)
    return small_home
