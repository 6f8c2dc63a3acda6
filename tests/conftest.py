"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledgerlab.core import config

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (see ../shared/data/README.md); skipping")
    return path


@pytest.fixture(scope="session")
def real_berka_dir() -> Path:
    """The real PKDD'99 files beside the checkout; skips when absent."""
    return _require(config.SHARED_BERKA)


@pytest.fixture(scope="session")
def real_taiwan_csv() -> Path:
    """The real UCI Taiwan file beside the checkout; skips when absent."""
    return _require(config.SHARED_TAIWAN_CSV)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every output of the project (warehouse, reports, models) into tmp_path."""
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(tmp_path / "warehouse" / "test.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return tmp_path
