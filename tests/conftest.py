"""Fixtures shared by every test package."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
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


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build`` fills once per test session, shared by every pytest-xdist worker.

    A session fixture alone runs once per worker: with ``-n 2`` a warehouse used by test files
    on both workers was built twice. The folder lives in the session's common temporary root
    (the parent of the workers' own roots) and a file lock makes one worker build it while the
    other waits. Consumers only read it; a test that changes data works on a copy.
    A build that fails or skips leaves no ``.built`` marker, so the next user builds again.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(name="shared_folder", scope="session")
def shared_folder_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[Path], None]], Path]:
    """``shared_folder(name, build)`` above, for fixtures (conftest modules are not importable by name)."""
    return lambda name, build: shared_folder(tmp_path_factory, name, build)
