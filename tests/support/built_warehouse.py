"""The built warehouses the tests share: a helper around one DuckDB file and its dbt target,
and the ingest + `dbt build` that makes one. Used by the fixtures of tests/conftest.py
(the session's generated bank) and tests/dbt/conftest.py (the real files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ledgerlab.core import config
from ledgerlab.ingest import ingest

REPO_ROOT = config.REPO_ROOT
DBT = str(Path(sys.executable).parent / "dbt")
GENERATED_ACCOUNTS = 300
GENERATED_SEED = 7
BUILD_RECORD = "build.json"


@dataclass
class Warehouse:
    """A built warehouse: its DuckDB file, dbt target dir and raw data folder."""

    path: Path
    target: Path
    logs: Path
    raw_dir: Path
    build_seconds: float = 0.0
    build_output: str = ""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            LEDGERLAB_WAREHOUSE=str(self.path),
            DBT_TARGET_PATH=str(self.target),
            DBT_LOG_PATH=str(self.logs),
            DO_NOT_TRACK="1",
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DBT_PROFILES_DIR=str(REPO_ROOT),
            DBT_PROJECT_DIR=str(REPO_ROOT),
        )
        return env

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run dbt on this warehouse from the repo root; fail the test with dbt's output."""
        process = subprocess.run(
            [DBT, "--no-use-colors", *args],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if check and process.returncode != 0:
            pytest.fail(f"dbt {' '.join(args)} failed:\n{process.stdout[-6000:]}\n{process.stderr[-2000:]}")
        return process

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]

    def copy(self, tmp_dir: Path) -> Warehouse:
        """An independent copy (warehouse file and target) to change data in."""
        tmp_dir.mkdir(parents=True, exist_ok=True)
        path = tmp_dir / self.path.name
        shutil.copy(self.path, path)
        target = tmp_dir / "target"
        shutil.copytree(self.target, target)
        return Warehouse(path, target, tmp_dir / "logs", self.raw_dir)

    def manifest(self) -> dict:
        return json.loads((self.target / "manifest.json").read_text())


def build_warehouse(root: Path, raw_dir: Path, taiwan_csv: Path | None = None) -> Warehouse:
    root.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(root / "ledgerlab.duckdb", root / "target", root / "logs", raw_dir)
    ingest(raw_dir, warehouse_path=warehouse.path, sources={"taiwan": taiwan_csv} if taiwan_csv else None)
    started = time.perf_counter()
    process = warehouse.dbt("build")
    warehouse.build_seconds = time.perf_counter() - started
    warehouse.build_output = process.stdout
    (root / BUILD_RECORD).write_text(
        json.dumps({"build_seconds": warehouse.build_seconds, "build_output": warehouse.build_output})
    )
    return warehouse


def built_warehouse(root: Path, raw_dir: Path) -> Warehouse:
    """The warehouse that ``build_warehouse`` left in ``root`` (built by this or another worker)."""
    record = json.loads((root / BUILD_RECORD).read_text())
    return Warehouse(
        root / "ledgerlab.duckdb",
        root / "target",
        root / "logs",
        raw_dir,
        build_seconds=record["build_seconds"],
        build_output=record["build_output"],
    )
