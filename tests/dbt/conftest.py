"""Shared fixtures of the dbt-layer tests: one built warehouse per data set.

Building costs seconds, so each data set is ingested and built once per
session (one build shared by the xdist workers), in a temporary folder, with
its own warehouse, dbt target and log directories (never the developer's).
Tests only read it; tests that change data work on a copy. The generated
bank (``generated_dir``, ``generated_warehouse``) is in tests/conftest.py: the
Spark parity tests read it too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from built_warehouse import DBT, REPO_ROOT, Warehouse

__all__ = ["DBT", "REPO_ROOT"]  # test modules of this package import them from here


@pytest.fixture(scope="session")
def real_warehouse(real_run, real_berka_dir: Path) -> Warehouse:
    """The real Berka files and the Taiwan file, ingested and built (skips when absent).

    The warehouse of the session's one `ledgerlab run` on the real files (tests/conftest.py),
    whose `dbt build` is the same as this folder's fixtures run: building it again cost a
    minute. Read only.
    """
    home, proc = real_run
    if proc.returncode != 0:
        pytest.fail(f"ledgerlab run on the real files failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return Warehouse(home / "warehouse" / "ledgerlab.duckdb", home / "target", home / "logs", real_berka_dir)
