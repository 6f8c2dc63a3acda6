"""Core marts: ``dim_accounts``, ``dim_clients``, ``dim_districts``.

Not empty, dates in the data window, no personal data (birth numbers)
anywhere in ``marts``, plausibility. Keys unique and present, foreign keys
and decoded codes are dbt's data tests on these models (run by every
``dbt build``), not repeated here: docs/DATA_QUALITY.md, "Which layer checks what".
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, rows

LAYER = "marts_core"
AGE_BANDS = ("<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def not_empty(suite: TableSuite) -> None:
    """The one structural check GX keeps on a mart (keys, foreign keys and codes are dbt's tests)."""
    suite.add(
        blocking(
            "not_empty",
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            "an empty mart means an upstream step lost everything",
        )
    )


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    districts = TableSuite(LAYER, "marts", "dim_districts", description="one row per district")
    not_empty(districts)
    districts.add(
        warning(
            "seventy_seven_districts",
            gxe.ExpectTableRowCountToEqual(value=77),
            "the Czech Republic of the data has 77 districts",
        ),
        warning(
            "avg_salary_plausible",
            gxe.ExpectColumnValuesToBeBetween(column="avg_salary", min_value=5000, max_value=20000),
            "average salaries in CZK of the time lie around 8,000-12,500",
        ),
    )

    accounts = TableSuite(LAYER, "marts", "dim_accounts", description="one row per account")
    not_empty(accounts)
    accounts.add(
        blocking(
            "opened_within_data_window",
            gxe.ExpectColumnValuesToBeBetween(column="opened_date", min_value=DATA_START, max_value=DATA_END),
            "accounts are opened within the data's window",
            catches=("malformed_date", "date_after_end"),
        ),
        warning(
            "owner_known",
            gxe.ExpectColumnValuesToNotBeNull(column="owner_client_key", mostly=0.99),
            "every account has an owner disposition; a missing one was quarantined upstream",
        ),
        blocking(
            "n_dispositions_at_least_one_when_owned",
            rows(
                "select account_id, n_dispositions from {batch} where owner_client_key is not null and n_dispositions < 1"
            ),
            "an account with an owner has at least that one disposition",
        ),
    )

    clients = TableSuite(LAYER, "marts", "dim_clients", description="one row per client (pseudonymised)")
    not_empty(clients)
    clients.add(
        blocking(
            "no_birth_numbers_in_marts",
            rows(
                """select c.table_name, c.column_name from information_schema.columns as c,
                (select count(*) as n from {batch}) as anchor
                where c.table_schema = 'marts' and (c.column_name ilike '%birth_number%' or c.column_name = 'client_id')"""
            ),
            "personal data: birth numbers and raw client ids never leave staging",
        ),
        warning(
            "gender_balance",
            rows(
                "select count(*) filter (where gender = 'F') * 1.0 / count(*) as share_female from {batch} "
                "having count(*) filter (where gender = 'F') * 1.0 / count(*) not between 0.3 and 0.7"
            ),
            "about half the clients are women; a skew means the birth-number decoding broke",
        ),
    )
    return [districts, accounts, clients]
