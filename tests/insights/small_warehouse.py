"""A small generated warehouse (~400 accounts) for the report and notebook tests, built once per session.

Generate → ingest → `dbt run` in subprocesses with the warehouse, dbt target and logs in a temp
folder. Skips (with the reason) when the generator or dbt is not available.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerlab.core.config import REPO_ROOT

ACCOUNTS = 400
SEED = 7


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LEDGERLAB_HOME": str(root),
            "LEDGERLAB_WAREHOUSE": str(root / "warehouse" / "small.duckdb"),
            "DBT_TARGET_PATH": str(root / "target"),
            "DBT_LOG_PATH": str(root / "logs"),
            "DO_NOT_TRACK": "1",
        }
    )
    return env


def build_small_warehouse(root: Path) -> Path:
    """The warehouse file under ``root``, built on first use."""
    warehouse = root / "warehouse" / "small.duckdb"
    marker = root / "built.ok"
    if marker.exists():
        return warehouse
    try:
        from ledgerlab.generator import generate  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the generator is not available ({exc}); skipping tests that need a generated warehouse")
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.exists():
        pytest.skip(f"dbt not found at {dbt}; skipping tests that need a built warehouse")
    root.mkdir(parents=True, exist_ok=True)
    env = env_for(root)
    raw = root / "raw"
    steps = [
        [
            sys.executable,
            "-c",
            "from pathlib import Path; from ledgerlab.generator import generate; from ledgerlab.ingest import ingest; "
            f"generate(Path({str(raw)!r}), accounts={ACCOUNTS}, seed={SEED}); ingest(Path({str(raw)!r}))",
        ],
        # models only: the dbt tests are the SQL suite's business and would double the time here
        [str(dbt), "run", "--quiet"],
    ]
    for cmd in steps:
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            pytest.fail(
                f"building the small warehouse failed at {cmd[:2]}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
    marker.write_text("ok")
    return warehouse
