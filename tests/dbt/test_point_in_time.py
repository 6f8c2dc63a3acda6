"""loan_features sees nothing dated on or after the loan's date."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

pytestmark = pytest.mark.slow

FEATURES = "select * from marts.loan_features order by loan_id"


def rounded(row: tuple) -> tuple:
    """Floats to 9 significant digits: parallel sums may differ in the last bits between runs."""
    return tuple(float(f"{v:.9g}") if isinstance(v, float) else v for v in row)


def yymmdd(day: dt.date) -> str:
    return day.strftime("%y%m%d")


def test_later_transactions_do_not_change_loan_features(generated_warehouse, tmp_path):
    before = {row[0]: rounded(row) for row in generated_warehouse.query(FEATURES)}
    assert before, "generated data should have loans"
    work = generated_warehouse.copy(tmp_path / "pit")
    with duckdb.connect(str(work.path)) as con:
        # the loan with the most history, and a loan on another account as a positive control
        loan_id, account_id, loan_date = con.execute(
            "select loan_id, account_id, loan_date from marts.loan_features "
            "where n_transactions > 0 order by n_transactions desc, loan_id limit 1"
        ).fetchone()
        control_id, control_account, control_date = con.execute(
            "select loan_id, account_id, loan_date from marts.loan_features "
            "where n_transactions > 0 and account_id <> ? order by loan_id limit 1",
            [account_id],
        ).fetchone()
        max_id, max_line = con.execute(
            "select max(try_cast(trans_id as bigint)), max(_source_line) from raw.trans"
        ).fetchone()
        rows = [
            # on and after the loan's date: invisible to the loan
            (account_id, loan_date, "VYDAJ", "VYBER", "99999.00", "-99999.00"),
            (account_id, loan_date + dt.timedelta(days=40), "PRIJEM", "VKLAD", "5000.00", "1.00"),
            # the day before the control loan's date: the control loan must see it
            (control_account, control_date - dt.timedelta(days=1), "PRIJEM", "VKLAD", "777.00", "777.00"),
        ]
        for i, (account, day, kind, operation, amount, balance) in enumerate(rows, 1):
            con.execute(
                "insert into raw.trans (trans_id, account_id, date, type, operation, amount, balance, k_symbol, "
                "bank, account, _source_file, _source_line, _loaded_at) "
                "values (?, ?, ?, ?, ?, ?, ?, '', null, null, 'trans.asc', ?, current_timestamp)",
                [str(max_id + i), str(account), yymmdd(day), kind, operation, amount, balance, max_line + i],
            )
    work.dbt("run", "--full-refresh", "-s", "+loan_features")
    after = {row[0]: rounded(row) for row in work.query(FEATURES)}
    assert after.keys() == before.keys()
    assert after[loan_id] == before[loan_id]
    changed = sorted(k for k in before if before[k] != after[k])
    # the control proves the comparison can see a change
    assert changed == [control_id]
