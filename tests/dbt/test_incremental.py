"""fct_transactions: an incremental run ends where a full refresh does."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROWS = "select * from marts.fct_transactions order by trans_id"


def test_incremental_run_equals_full_refresh(generated_warehouse, tmp_path):
    # `dbt build` made fct_transactions with a full refresh
    full = generated_warehouse.query(ROWS)
    work = generated_warehouse.copy(tmp_path / "incremental")
    with duckdb.connect(str(work.path)) as con:
        # the state of an earlier run, nine months before the data's end: the table then held the
        # clean rows dated before the cutoff (duplicates and defects sit beside their original line)
        cutoff = con.execute("select max(trans_date) - interval 9 month from marts.fct_transactions").fetchone()[0]
        removed = con.execute("delete from marts.fct_transactions where trans_date >= ?", [cutoff]).fetchone()[0]
        # a row changed since (a late correction inside the lookback window) must be reloaded
        con.execute(
            "update marts.fct_transactions set amount = -1 where trans_id = ("
            "select max(trans_id) from marts.fct_transactions where trans_date = ("
            "select max(trans_date) from marts.fct_transactions))"
        )
    assert removed > 0
    process = work.dbt("run", "-s", "fct_transactions")
    assert "incremental model marts.fct_transactions" in process.stdout
    assert work.query(ROWS) == full
