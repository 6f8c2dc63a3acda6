"""The floor, the pandas route and the dbt marts compute the same loan_features (a fair comparison)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import equivalence
from bench.floor import run_floor
from bench.pandas_route import loan_features as pandas_loan_features
from ledgerlab.core import config
from ledgerlab.generator import generate
from ledgerlab.ingest import ingest

ACCOUNTS = 300
SEED = 42


def _frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_compare_accepts_rounding_noise_and_rejects_real_differences() -> None:
    left = _frame(loan_id=[1, 2], mean_balance=[100.0, 2.5], owner_gender=["M", None])
    noise = _frame(loan_id=[2, 1], mean_balance=[2.5 * (1 + 1e-9), 100.0], owner_gender=[None, "M"])
    assert equivalence.compare("loan_features", left, noise, "a", "b").same

    off = _frame(loan_id=[1, 2], mean_balance=[100.0, 2.6], owner_gender=["M", None])
    result = equivalence.compare("loan_features", left, off, "a", "b")
    assert not result.same and "mean_balance: 1 row(s) differ" in result.problems[0]

    missing_key = _frame(loan_id=[1], mean_balance=[100.0], owner_gender=["M"])
    assert "keys only in a: 1" in " ".join(equivalence.compare("loan_features", left, missing_key, "a", "b").problems)

    null_vs_value = _frame(loan_id=[1, 2], mean_balance=[100.0, 2.5], owner_gender=["M", "F"])
    assert not equivalence.compare("loan_features", left, null_vs_value, "a", "b").same


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_floor_pandas_and_dbt_agree_on_generated_data(isolated_home: Path) -> None:
    raw = isolated_home / "raw"
    generate(raw, accounts=ACCOUNTS, seed=SEED)  # with the generator's data defects
    warehouse = Path(os.environ["LEDGERLAB_WAREHOUSE"])
    ingest(raw, warehouse_path=warehouse)
    env = dict(os.environ, DBT_PROFILES_DIR=str(config.REPO_ROOT), DBT_PROJECT_DIR=str(config.REPO_ROOT))
    dbt = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--select",
            "+fct_transactions +loan_features +account_monthly",
        ],
        cwd=config.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert dbt.returncode == 0, dbt.stdout[-3000:]

    floor_db = isolated_home / "floor.duckdb"
    run_floor(raw, floor_db)
    pandas_path = isolated_home / "pandas_loan_features.parquet"
    key, _ = config.pseudonym_key()
    pandas_loan_features(raw, key).to_parquet(pandas_path, index=False)

    results = equivalence.check(warehouse, floor_db, pandas_path)
    report = "\n".join(line for r in results for line in r.lines())
    assert all(r.same for r in results), report
    loan_rows = results[0].rows_left
    assert loan_rows > 20 and results[0].compared_columns, report
