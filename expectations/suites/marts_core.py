"""Core marts: ``dim_accounts``, ``dim_clients``, ``dim_districts``.

Keys unique and present, foreign keys resolve between the marts, codes
decoded, no personal data (birth numbers) anywhere in ``marts``.
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, rows

LAYER = "marts_core"
AGE_BANDS = ("<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def key_checks(suite: TableSuite, key: str) -> None:
    suite.add(
        blocking(
            "not_empty",
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            "an empty mart means an upstream step lost everything",
        ),
        blocking(
            f"{key}_present",
            gxe.ExpectColumnValuesToNotBeNull(column=key),
            f"{key} is the mart's key",
            catches=("null_key",),
        ),
        blocking(
            f"{key}_unique",
            gxe.ExpectColumnValuesToBeUnique(column=key),
            f"one row per {key}: duplicates double-count in every join",
            catches=("duplicate_row",),
        ),
    )


def references(name: str, column: str, parent: str, parent_key: str, why: str) -> object:
    return blocking(
        name,
        rows(
            f"""select {column} from {{batch}} where {column} is not null
            and {column} not in (select {parent_key} from {parent} where {parent_key} is not null)"""
        ),
        why,
        catches=("orphan_foreign_key",),
    )


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    districts = TableSuite(LAYER, "marts", "dim_districts", description="one row per district")
    key_checks(districts, "district_id")
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
    key_checks(accounts, "account_id")
    accounts.add(
        references(
            "district_exists",
            "district_id",
            "marts.dim_districts",
            "district_id",
            "every account's branch district is a known district",
        ),
        references(
            "owner_exists",
            "owner_client_key",
            "marts.dim_clients",
            "client_key",
            "the owner of every account is a client in dim_clients",
        ),
        blocking(
            "statement_frequency_decoded",
            gxe.ExpectColumnValuesToBeInSet(
                column="statement_frequency", value_set=["monthly", "weekly", "after_transaction"]
            ),
            "statement frequency is decoded for every account",
            catches=("out_of_domain_code",),
        ),
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
    key_checks(clients, "client_key")
    clients.add(
        references(
            "district_exists",
            "district_id",
            "marts.dim_districts",
            "district_id",
            "every client's home district is a known district",
        ),
        blocking(
            "gender_decoded", gxe.ExpectColumnValuesToBeInSet(column="gender", value_set=["M", "F"]), "gender is M or F"
        ),
        blocking(
            "age_band_known",
            gxe.ExpectColumnValuesToBeInSet(column="age_band_at_data_end", value_set=list(AGE_BANDS)),
            "age bands follow the project's convention",
        ),
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
