"""``marts.loan_features``: one row per loan, as of the loan's start date (the loan-default model's input).

Key, account, loan status and the owner's gender and age band are dbt's data tests on the model,
not repeated here (docs/DATA_QUALITY.md, "Which layer checks what").
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, rows
from expectations.suites.marts_core import not_empty

LAYER = "marts_loans"

# Valid staging loans that the quarantine did not reject later (duplicates, orphans).
_KEPT_LOANS = """
    select s.loan_id from staging.stg_berka__loans as s
    where s.is_valid and not exists (
        select 1 from marts.quarantine_rows as q
        where q.source_table = 'loan' and q.action = 'rejected'
        and q.source_file = s._source_file and q.source_line = s._source_line)
"""


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "loan_features", description="one row per loan, as of its start date")
    not_empty(suite)
    suite.add(
        blocking(
            "target_matches_status",
            rows(
                "select loan_id, loan_status, is_default from {batch} where is_default is null "
                "or is_default <> (loan_status in ('B', 'D'))"
            ),
            "is_default is status B or D: the model's target",
        ),
        blocking(
            "loan_date_within_data_window",
            gxe.ExpectColumnValuesToBeBetween(column="loan_date", min_value=DATA_START, max_value=DATA_END),
            "loans start within the data's window",
            catches=("malformed_date", "date_after_end"),
        ),
        blocking(
            "loan_amount_positive",
            gxe.ExpectColumnValuesToBeBetween(column="loan_amount", min_value=0, strict_min=True),
            "a loan lends a positive amount",
            catches=("impossible_amount", "comma_decimal"),
        ),
        blocking(
            "owner_present",
            gxe.ExpectColumnValuesToNotBeNull(column="owner_client_key"),
            "owner features (gender, age) come from the account's owner",
        ),
        blocking(
            "no_history_from_the_future",
            rows("""select loan_id, days_since_last_transaction, days_since_last_login, account_age_days from {batch}
                      where days_since_last_transaction <= 0 or days_since_last_login <= 0 or account_age_days < 0"""),
            "leakage guard: only data dated strictly before loan_date feeds the features",
        ),
        blocking(
            "counts_not_negative",
            rows("""select loan_id from {batch} where n_transactions < 0 or history_months < 0
                      or n_negative_balance < 0 or n_penalty_interest < 0 or logins_last_90d < 0
                      or logins_prev_90d < 0 or digital_events_last_180d < 0 or password_resets_last_180d < 0"""),
            "counts are zero or more (zero when there is no history)",
        ),
        blocking(
            "every_kept_loan_has_features",
            rows(f"""select k.loan_id from ({_KEPT_LOANS}) as k
                      left join {{batch}} as f on f.loan_id = k.loan_id where f.loan_id is null"""),
            "one row per loan: a valid loan missing here is silently left out of training",
        ),
        blocking(
            "no_features_without_a_loan",
            rows(f"""select f.loan_id from {{batch}} as f
                      left join ({_KEPT_LOANS}) as k on k.loan_id = f.loan_id where k.loan_id is null"""),
            "every feature row is a loan that staging kept",
            catches=("duplicate_row", "orphan_foreign_key"),
        ),
        warning(
            "default_rate_plausible",
            rows(
                "select avg(cast(is_default as integer)) as default_rate, count(*) as loans from {batch} "
                "having avg(cast(is_default as integer)) not between 0.02 and 0.40"
            ),
            "Berka's default rate is about 11%; far off means a broken target",
        ),
        warning(
            "balances_ordered",
            rows("select loan_id, min_balance, mean_balance from {batch} where min_balance > mean_balance + 0.01"),
            "the minimum balance cannot exceed the mean",
        ),
        warning(
            "district_unemployment_is_a_percentage",
            gxe.ExpectColumnValuesToBeBetween(column="district_unemployment_rate", min_value=0, max_value=30),
            "district rates are percentages",
        ),
        warning(
            "owner_age_plausible",
            gxe.ExpectColumnValuesToBeBetween(column="owner_age_at_loan", min_value=10, max_value=100),
            "borrowers are between 10 (a junior account) and 100 years old",
            catches=("malformed_date",),
        ),
        warning(
            "loan_amount_plausible",
            gxe.ExpectColumnValuesToBeBetween(column="loan_amount", min_value=1000, max_value=1_000_000),
            "Berka loans are between about 5,000 and 600,000 CZK",
            catches=("comma_decimal",),
        ),
        warning(
            "history_mostly_present",
            gxe.ExpectColumnValuesToBeBetween(column="n_transactions", min_value=1, mostly=0.5),
            "most loans are granted to accounts with a transaction history",
        ),
    )
    return [suite]
