"""Nothing lost: every injected defect is quarantined with its kind, and nothing else is."""

from __future__ import annotations

import polars as pl
import pytest

pytestmark = pytest.mark.slow


def test_every_defect_is_in_quarantine_and_nothing_else(generated_warehouse, generated_dir):
    truth = pl.read_parquet(generated_dir / "_truth" / "defects.parquet")
    assert truth.height > 0, "the generated data should carry defects"
    expected = {(r["table"], r["line"], r["kind"]) for r in truth.iter_rows(named=True)}
    found = set(generated_warehouse.query("select source_table, source_line, reason from marts.quarantine_rows"))
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missing, f"{len(missing)} defects not quarantined, e.g. {missing[:5]}"
    assert not unexpected, f"{len(unexpected)} rows quarantined without a defect, e.g. {unexpected[:5]}"


def test_actions_match_truth(generated_warehouse, generated_dir):
    truth = pl.read_parquet(generated_dir / "_truth" / "defects.parquet")
    expected = {(r["table"], r["line"], r["kind"], r["action"]) for r in truth.iter_rows(named=True)}
    found = set(
        generated_warehouse.query("select source_table, source_line, reason, action from marts.quarantine_rows")
    )
    assert expected <= found


def test_raw_record_keeps_no_personal_data(generated_warehouse):
    leaks = generated_warehouse.scalar(
        "select count(*) from marts.quarantine_rows where source_table = 'client' and raw_record like '%birth_number%'"
    )
    assert leaks == 0


def test_raw_rows_equal_clean_plus_rejected(generated_warehouse):
    # the singular reconcile tests ran inside `dbt build`; check them once more from outside
    for table, model in [
        ("trans", "fct_transactions"),
        ("loan", "loan_features"),
        ("account", "dim_accounts"),
        ("digital_events", "fct_digital_events"),
    ]:
        raw = generated_warehouse.scalar(f'select count(*) from raw."{table}"')
        clean = generated_warehouse.scalar(f"select count(*) from marts.{model}")
        rejected = generated_warehouse.scalar(
            "select count(*) from marts.quarantine_rows where source_table = ? and action = 'rejected'", [table]
        )
        assert raw == clean + rejected, table


def test_balance_identities_hold_on_generated_data(generated_warehouse):
    # warnings on the real data (see docs/CLEANING_RULES.md); generated data must pass them outright
    import json

    results = json.loads((generated_warehouse.target / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results}
    for test in ("assert_running_balance_identity", "assert_account_monthly_balances_roll_forward"):
        assert status[test] == ("pass", 0), (test, status[test])


def _failures(warehouse) -> str:
    """What failed, as `ledgerlab build` summarises it."""
    from ledgerlab.dbt import failed_nodes

    return "\n".join(node.line() for node in failed_nodes(warehouse.target) or [])


@pytest.fixture(scope="module")
def hostile_warehouse(generated_warehouse, tmp_path_factory):
    """The generated warehouse with hostile raw rows, rebuilt: a rejected parent, garbage values.

    - the one line of the account with most transactions gets a malformed date (a rightly
      rejected parent with children);
    - one loan lends 999,999,999,999,999 CZK (beyond the plausibility bound);
    - one transaction's counterparty account is a 1,000,000-character field.
    """
    import duckdb

    hostile = generated_warehouse.copy(tmp_path_factory.mktemp("hostile"))
    with duckdb.connect(str(hostile.path)) as con:
        account_id = con.execute(
            "select account_id from raw.trans where account_id in "
            "(select account_id from raw.account group by account_id having count(*) = 1) "
            "group by account_id order by count(*) desc, account_id limit 1"
        ).fetchall()[0][0]
        con.execute("update raw.account set date = '93x101' where account_id = ?", [account_id])
        loan_line = con.execute(
            "select min(_source_line) from raw.loan where account_id <> ?", [account_id]
        ).fetchall()[0][0]
        con.execute("update raw.loan set amount = '999999999999999' where _source_line = ?", [loan_line])
        trans_line = con.execute(
            "select min(_source_line) from raw.trans where account_id <> ?", [account_id]
        ).fetchall()[0][0]
        con.execute("update raw.trans set account = repeat('7', 1000000) where _source_line = ?", [trans_line])
    # rows changed in place, not appended: the incremental marts are rebuilt, as `ledgerlab run` does
    process = hostile.dbt("build", "--exclude-resource-type", "unit_test", "--full-refresh", check=False)
    return hostile, process, account_id.strip(), loan_line, trans_line


def test_a_build_over_a_rejected_parent_passes_with_its_children_quarantined(hostile_warehouse):
    hostile, process, account_id, _, _ = hostile_warehouse
    assert process.returncode == 0, _failures(hostile)
    assert hostile.query(
        "select reason from marts.quarantine_rows where source_table = 'account' and "
        "json_extract_string(raw_record, '$.account_id') = ? and action = 'rejected'",
        [account_id],
    ) == [("malformed_date",)]
    for table in ("trans", "order", "loan", "disp"):
        children = hostile.scalar(f'select count(*) from raw."{table}" where trim(account_id) = ?', [account_id])
        other_rejections = hostile.scalar(
            "select count(*) from marts.quarantine_rows where source_table = ? and action = 'rejected' "
            "and reason <> 'orphan_foreign_key' and json_extract_string(raw_record, '$.account_id') = ?",
            [table, account_id],
        )
        orphans = hostile.query(
            "select parent_key, parent_reason, count(*) from marts.quarantine_rows "
            "where source_table = ? and reason = 'orphan_foreign_key' and parent_key = ? group by all",
            [table, f"account_id={account_id}"],
        )
        if table == "trans":
            assert children > 10, "the test needs an account with transactions"
        if children - other_rejections:
            assert orphans == [(f"account_id={account_id}", "malformed_date", children - other_rejections)], table
    # the policy cascades: the cards of the account's dispositions follow them
    disp_ids = [
        r[0]
        for r in hostile.query(
            "select cast(json_extract_string(raw_record, '$.disp_id') as varchar) from marts.quarantine_rows "
            "where source_table = 'disp' and parent_key = ?",
            [f"account_id={account_id}"],
        )
    ]
    cards = hostile.query(
        "select parent_key, parent_reason from marts.quarantine_rows where source_table = 'card' "
        "and reason = 'orphan_foreign_key' and parent_reason = 'orphan_foreign_key'"
    )
    assert sorted(k for k, _ in cards) == sorted(
        f"disp_id={d}" for d in disp_ids if hostile.scalar("select count(*) from raw.card where trim(disp_id) = ?", [d])
    )
    assert hostile.scalar("select count(*) from marts.fct_transactions where account_id = ?", [int(account_id)]) == 0


def test_garbage_values_are_quarantined_not_kept(hostile_warehouse):
    hostile, process, _, loan_line, trans_line = hostile_warehouse
    assert process.returncode == 0, _failures(hostile)
    assert hostile.query(
        "select reason, action from marts.quarantine_rows where source_table = 'loan' and source_line = ?", [loan_line]
    ) == [("impossible_amount", "rejected")]
    assert hostile.query(
        "select reason, action from marts.quarantine_rows where source_table = 'trans' and source_line = ?",
        [trans_line],
    ) == [("oversized_field", "rejected")]
    assert hostile.scalar("select max(loan_amount) from marts.loan_features") < 1e9


def test_raw_equals_clean_plus_rejected_with_hostile_rows(hostile_warehouse):
    hostile, process, *_ = hostile_warehouse
    assert process.returncode == 0, _failures(hostile)
    for table, model in [("trans", "fct_transactions"), ("loan", "loan_features"), ("account", "dim_accounts")]:
        raw = hostile.scalar(f'select count(*) from raw."{table}"')
        clean = hostile.scalar(f"select count(*) from marts.{model}")
        rejected = hostile.scalar(
            "select count(*) from marts.quarantine_rows where source_table = ? and action = 'rejected'", [table]
        )
        assert raw == clean + rejected, table
