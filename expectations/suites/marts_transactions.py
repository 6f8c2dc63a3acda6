"""``marts.fct_transactions``: one row per clean transaction.

Key, account, direction, positive amount and balance present are dbt's data tests on the model,
not repeated here (docs/DATA_QUALITY.md, "Which layer checks what").
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, rows
from expectations.suites.marts_core import not_empty

LAYER = "marts_transactions"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "fct_transactions", description="one row per transaction")
    not_empty(suite)
    suite.add(
        blocking(
            "dated_within_data_window",
            gxe.ExpectColumnValuesToBeBetween(column="trans_date", min_value=DATA_START, max_value=DATA_END),
            "transactions fall within the data's window",
            catches=("malformed_date", "date_after_end"),
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
