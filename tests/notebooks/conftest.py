from __future__ import annotations

import os
from pathlib import Path

import pytest


def _load_helper():
    """tests/insights/small_warehouse.py, loaded by path (test folders are not an importable package)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "insights" / "small_warehouse.py"
    spec = importlib.util.spec_from_file_location("ledgerlab_tests_small_warehouse", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


_helper = _load_helper()
build_small_warehouse, env_for = _helper.build_small_warehouse, _helper.env_for


@pytest.fixture(scope="session")
def small_home(shared_folder) -> Path:
    # the same folder as tests/insights uses, so one session builds the warehouse once
    # LEDGERLAB_TEST_SMALL_HOME: reuse a small warehouse built earlier (iterating on the report)
    reuse = os.environ.get("LEDGERLAB_TEST_SMALL_HOME")
    if reuse:
        build_small_warehouse(Path(reuse))
        return Path(reuse)
    # one build per session, shared by the xdist workers (and by tests/insights and tests/notebooks)
    return shared_folder("insights_small_warehouse", build_small_warehouse)


@pytest.fixture
def small_env(small_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in env_for(small_home).items():
        if key.startswith(("LEDGERLAB_", "DBT_")):
            monkeypatch.setenv(key, value)
    return small_home
