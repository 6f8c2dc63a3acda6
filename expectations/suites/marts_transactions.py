"""``marts.fct_transactions``: one row per clean transaction."""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, rows
from expectations.suites.marts_core import key_checks, references

LAYER = "marts_transactions"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "fct_transactions", description="one row per transaction")
    key_checks(suite, "trans_id")
    suite.add(
        references(
            "account_exists",
            "account_id",
            "marts.dim_accounts",
            "account_id",
            "every transaction belongs to a known account",
        ),
        blocking(
            "dated_within_data_window",
            gxe.ExpectColumnValuesToBeBetween(column="trans_date", min_value=DATA_START, max_value=DATA_END),
            "transactions fall within the data's window",
            catches=("malformed_date", "date_after_end"),
        ),
        blocking(
            "direction_decoded",
            gxe.ExpectColumnValuesToBeInSet(column="direction", value_set=["credit", "debit"]),
            "every transaction is a credit or a debit",
            catches=("out_of_domain_code",),
        ),
        blocking(
            "amount_positive",
            gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, strict_min=True),
            "amounts are positive; the sign lives in signed_amount",
            catches=("impossible_amount", "comma_decimal"),
        ),
        blocking(
            "signed_amount_follows_direction",
            rows("""select trans_id, direction, amount, signed_amount from {batch}
                      where signed_amount <> case when direction = 'credit' then amount else -amount end"""),
            "inflow and outflow features sum signed amounts",
        ),
        blocking(
            "trans_month_is_month_of_date",
            rows(
                "select trans_id, trans_date, trans_month from {batch} where trans_month <> date_trunc('month', trans_date)"
            ),
            "monthly aggregates group by trans_month",
        ),
        blocking(
            "balance_after_present",
            gxe.ExpectColumnValuesToNotBeNull(column="balance_after"),
            "balance features need the balance after each transaction",
            catches=("impossible_amount",),
        ),
        warning(
            "credit_share_plausible",
            rows(
                "select count(*) filter (where direction = 'credit') * 1.0 / count(*) as credit_share from {batch} "
                "having count(*) filter (where direction = 'credit') * 1.0 / count(*) not between 0.2 and 0.7"
            ),
            "roughly a third to a half of bank transactions are credits",
        ),
        warning(
            "mean_amount_plausible",
            gxe.ExpectColumnMeanToBeBetween(column="amount", min_value=500, max_value=50000),
            "the mean transaction is a few thousand CZK; far off means a unit or decimal error",
            catches=("comma_decimal",),
        ),
        warning(
            "few_repaired_rows",
            rows(
                "select count(*) filter (where is_repaired) as repaired, count(*) as total from {batch} "
                "having count(*) filter (where is_repaired) > 0.05 * count(*)"
            ),
            "repairs (decimal commas, code case) should stay rare",
        ),
    )
    return [suite]
