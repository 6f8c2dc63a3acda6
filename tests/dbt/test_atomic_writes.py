"""All-or-nothing writes, through the CLI on a built warehouse (docs/ARCHITECTURE.md, "What is atomic").

A broken ingest or a failed or interrupted build leaves the published
warehouse byte-for-byte as it was (every table's row count and checksum
too); a reader holding the file open neither blocks a build nor is blocked;
a second writer is refused (tests/ledgerlab/test_warehouse.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _table_facts(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-free checksum of every table, in every schema."""
    facts = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            facts[f"{schema}.{table}"] = tuple(
                con.execute(
                    f"select count(*), cast(coalesce(sum(hash(t)), 0) as varchar) from {relation} as t"
                ).fetchall()[0]
            )
    return facts


def _env(home: Path, warehouse) -> dict[str, str]:
    env = warehouse.env()
    env.update(LEDGERLAB_HOME=str(home), GX_ANALYTICS_ENABLED="false")
    return env


def _ledgerlab(home: Path, warehouse, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledgerlab", *args],
        capture_output=True,
        text=True,
        env=_env(home, warehouse),
        timeout=900,
    )


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + ".building"))


@pytest.fixture
def populated(generated_warehouse, tmp_path: Path):
    """A private copy of the built generated warehouse (raw, manifest, marts, all there)."""
    return generated_warehouse.copy(tmp_path / "published")


def test_a_broken_ingest_into_a_populated_warehouse_changes_nothing(populated, generated_dir, tmp_path):
    # the set breaks in the middle: account … order load before loan, whose `status` column is missing
    broken = tmp_path / "broken"
    shutil.copytree(generated_dir, broken, ignore=shutil.ignore_patterns("_truth"))
    loan = broken / "loan.asc"
    lines = loan.read_text(encoding="utf-8").splitlines()
    loan.write_text("\n".join(";".join(line.split(";")[:-1]) for line in lines) + "\n", encoding="utf-8")
    before_bytes, before = _sha256(populated.path), _table_facts(populated.path)
    assert {"raw.account", "raw._ingest_manifest", "marts.quarantine_rows", "marts.fct_transactions"} <= set(before)

    proc = _ledgerlab(tmp_path, populated, "ingest", "--raw", str(broken))

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert "loan.asc" in proc.stderr
    assert _sha256(populated.path) == before_bytes
    assert _table_facts(populated.path) == before
    assert _leftovers(populated.path) == []


def test_a_failed_build_leaves_the_previous_marts_and_a_reader_is_never_blocked(populated, tmp_path):
    """A failed build publishes nothing and says where to look; a reader open all along is not in its way.

    (A successful swap under an open reader: tests/ledgerlab/test_warehouse.py.)
    """
    with duckdb.connect(str(populated.path)) as con:
        con.execute("drop table raw.card")  # the card staging view cannot be built
    before_bytes, before = _sha256(populated.path), _table_facts(populated.path)
    accounts = populated.scalar("select count(*) from marts.dim_accounts")
    reader = duckdb.connect(str(populated.path), read_only=True)  # a notebook, left open
    try:
        proc = _ledgerlab(tmp_path, populated, "build")
        assert reader.execute("select count(*) from marts.dim_accounts").fetchall()[0][0] == accounts
    finally:
        reader.close()

    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: dbt build failed: 1 model(s) failed to build")
    assert any(
        line.startswith("  ERROR model stg_berka__cards: Catalog Error: Table with name card does not exist")
        for line in lines
    ), lines
    assert any("marts.quarantine_rows" in line and "dbt.log" in line for line in lines)
    assert lines[-1].startswith(f"  the failed result is kept at {populated.path}.failed")
    assert _sha256(populated.path) == before_bytes
    assert _table_facts(populated.path) == before
    assert _leftovers(populated.path) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_build_leaves_the_previous_marts(populated, tmp_path, sig):
    before_bytes = _sha256(populated.path)
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerlab", "build"],
        env=_env(tmp_path, populated),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _leftovers(populated.path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _leftovers(populated.path), "the build never started its private copy"
    time.sleep(3)  # dbt is running on the copy
    os.kill(process.pid, sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert (
        stderr.strip().splitlines()[-1] == f"error: interrupted: nothing was published; {populated.path} is as it was"
    )
    assert _sha256(populated.path) == before_bytes
    assert _leftovers(populated.path) == []
    assert populated.scalar("select count(*) from marts.dim_accounts") > 0
