"""fct_transactions: an incremental run ends where a full refresh does."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROWS = "select * from marts.fct_transactions order by trans_id"


def test_incremental_run_equals_full_refresh(generated_warehouse, tmp_path):
    full = generated_warehouse.query(ROWS)
    work = generated_warehouse.copy(tmp_path / "incremental")
    with duckdb.connect(str(work.path)) as con:
        # hold back the last months of transactions, as if they had not arrived yet
        cutoff = con.execute(
            "select strftime(max(trans_date) - interval 9 month, '%y%m%d') from marts.fct_transactions"
        ).fetchone()[0]
        con.execute("create table raw.trans_held_back as select * from raw.trans where date >= ?", [cutoff])
        held = con.execute("select count(*) from raw.trans_held_back").fetchone()[0]
        con.execute("delete from raw.trans where date >= ?", [cutoff])
    assert held > 0
    work.dbt("run", "--full-refresh", "-s", "fct_transactions")
    assert work.scalar("select count(*) from marts.fct_transactions") < len(full)
    with duckdb.connect(str(work.path)) as con:
        con.execute("insert into raw.trans select * from raw.trans_held_back")
        con.execute("drop table raw.trans_held_back")
    process = work.dbt("run", "-s", "fct_transactions")
    assert "incremental" in process.stdout
    assert work.query(ROWS) == full
