from __future__ import annotations

import os
from pathlib import Path

import pytest

from .small_warehouse import build_small_warehouse, env_for


@pytest.fixture(scope="session")
def small_home(shared_folder) -> Path:
    # LEDGERLAB_TEST_SMALL_HOME: reuse a small warehouse built earlier (iterating on the report)
    reuse = os.environ.get("LEDGERLAB_TEST_SMALL_HOME")
    if reuse:
        build_small_warehouse(Path(reuse))
        return Path(reuse)
    # one build per session, shared by the xdist workers (and by tests/insights and tests/notebooks)
    return shared_folder("insights_small_warehouse", build_small_warehouse)


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
