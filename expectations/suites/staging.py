"""The staging layer: typed, decoded rows, and how many of them staging rejected.

Staging views keep every raw row with ``is_valid`` and its reasons; the
checks on decoded values run on the valid rows only (GX row condition
``is_valid == True``), because those are the rows that flow downstream.
Keys present and codes in their domain on valid rows are dbt's data tests
(``not_null`` / ``accepted_values`` with ``where: is_valid``, run by every
``dbt build``), not repeated here: docs/DATA_QUALITY.md, "Which layer checks what".
A valid row with an undecodable code or a date outside the data window is
a bug in staging, hence blocking. Null rates and plausible ranges are
warnings with ``mostly``. The share of rejected rows per table is a warning
above 5% and blocking above 25%: that many rejects means the input format
changed, not that a few rows are bad.
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, DATA_START, VALID, rows

LAYER = "staging"
WARN_SHARE = 0.05
BLOCK_SHARE = 0.25


def _common(suite: TableSuite) -> None:
    suite.add(
        blocking(
            "not_empty",
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            "an empty staging view empties every mart built on it",
        ),
        blocking(
            "validity_flags_consistent",
            rows(
                """select _source_line, is_valid, rejection_reasons from {batch}
                where is_valid is null or is_valid <> (rejection_reasons is null)"""
            ),
            "is_valid must mean exactly 'no rejection reason'; otherwise quarantine and marts disagree",
        ),
        warning(
            f"rejected_share_below_{int(WARN_SHARE * 100)}pct",
            rows(
                f"""select count(*) filter (where not is_valid) as rejected, count(*) as total from {{batch}}
                having count(*) filter (where not is_valid) > {WARN_SHARE} * count(*)"""
            ),
            "a few defective rows are normal; more than 5% deserves a look at the source",
        ),
        blocking(
            f"rejected_share_below_{int(BLOCK_SHARE * 100)}pct",
            rows(
                f"""select count(*) filter (where not is_valid) as rejected, count(*) as total from {{batch}}
                having count(*) filter (where not is_valid) > {BLOCK_SHARE} * count(*)"""
            ),
            "a quarter of the rows rejected means the file's format changed: the marts would be a fraction of the data",
        ),
    )


def _in_set(column: str, values, why: str, severity=blocking) -> object:
    return severity(
        f"{column}_decoded",
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values), row_condition=VALID),
        why,
        catches=("out_of_domain_code",),
    )


def _date_window(column: str, start: str = DATA_START) -> object:
    return blocking(
        f"{column}_within_data_window",
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=start, max_value=DATA_END, row_condition=VALID),
        f"valid rows are dated within {start} .. {DATA_END}; later dates are rejected as date_after_end",
        catches=("malformed_date", "date_after_end"),
    )


def _positive(column: str) -> object:
    return blocking(
        f"{column}_positive",
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True, row_condition=VALID),
        f"{column} of a valid row is a positive amount",
        catches=("impossible_amount", "comma_decimal"),
    )


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    accounts = TableSuite(LAYER, "staging", "stg_berka__accounts", description="accounts, typed and decoded")
    _common(accounts)
    accounts.add(
        _date_window("opened_date"),
        warning(
            "district_id_known_range",
            gxe.ExpectColumnValuesToBeBetween(column="district_id", min_value=1, max_value=77, row_condition=VALID),
            "Berka has 77 districts; other ids are orphans",
            catches=("orphan_foreign_key",),
        ),
    )

    clients = TableSuite(
        LAYER, "staging", "stg_berka__clients", description="clients, pseudonymised, with decoded birth numbers"
    )
    _common(clients)
    clients.add(
        blocking(
            "client_key_is_hmac_hex",
            rows(
                "select _source_line, client_key from {batch} where is_valid and (length(client_key) <> 64 or not regexp_full_match(client_key, '[0-9a-f]+'))"
            ),
            "client ids leave staging only as a 64-character hex HMAC pseudonym",
        ),
        _in_set(
            "age_band_at_data_end",
            ("<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
            "age bands follow the project's convention",
        ),
        warning(
            "birth_date_plausible",
            gxe.ExpectColumnValuesToBeBetween(
                column="birth_date", min_value="1900-01-01", max_value=DATA_END, row_condition=VALID
            ),
            "clients are born in the 20th century",
            catches=("malformed_date",),
        ),
    )

    dispositions = TableSuite(LAYER, "staging", "stg_berka__dispositions", description="who may operate which account")
    _common(dispositions)
    dispositions.add(
        blocking(
            "is_owner_matches_type",
            rows(
                "select _source_line, disposition_type, is_owner from {batch} where is_valid and is_owner <> (disposition_type = 'OWNER')"
            ),
            "is_owner is derived from the type; features pick the owner with it",
        ),
    )

    cards = TableSuite(LAYER, "staging", "stg_berka__cards", description="cards issued")
    _common(cards)
    cards.add(
        _date_window("issued_date"),
    )

    districts = TableSuite(LAYER, "staging", "stg_berka__districts", description="district demographics")
    _common(districts)
    districts.add(
        blocking(
            "district_id_unique",
            gxe.ExpectColumnValuesToBeUnique(column="district_id", row_condition=VALID),
            "one row per district",
            catches=("duplicate_row",),
        ),
        warning(
            "unemployment_rate_mostly_known",
            gxe.ExpectColumnValuesToNotBeNull(column="unemployment_rate_1995", mostly=0.95, row_condition=VALID),
            "the real file lacks one district's 1995 rate ('?'); more gaps mean a broken file",
        ),
        warning(
            "unemployment_rate_is_a_percentage",
            gxe.ExpectColumnValuesToBeBetween(
                column="unemployment_rate_1996", min_value=0, max_value=30, row_condition=VALID
            ),
            "unemployment rates are percentages, single digits in 1990s Czech districts",
        ),
        warning(
            "avg_salary_plausible",
            gxe.ExpectColumnValuesToBeBetween(
                column="avg_salary", min_value=5000, max_value=20000, row_condition=VALID
            ),
            "average monthly salaries in CZK of the time lie around 8,000-12,500",
        ),
    )

    loans = TableSuite(LAYER, "staging", "stg_berka__loans", description="loans granted")
    _common(loans)
    loans.add(
        _date_window("loan_date"),
        _positive("loan_amount"),
        _positive("monthly_payment"),
        blocking(
            "duration_is_a_berka_term",
            gxe.ExpectColumnValuesToBeInSet(
                column="loan_duration_months", value_set=[12, 24, 36, 48, 60], row_condition=VALID
            ),
            "Berka loans run 12, 24, 36, 48 or 60 months",
            catches=("impossible_amount",),
        ),
        warning(
            "payments_cover_the_amount",
            rows(
                """select _source_line, loan_amount, loan_duration_months, monthly_payment from {batch}
                where is_valid and abs(monthly_payment * loan_duration_months - loan_amount) > 0.01 * loan_amount"""
            ),
            "amount = duration x monthly payment in every Berka loan; a mismatch is a mistyped amount",
            catches=("comma_decimal", "impossible_amount"),
        ),
    )

    orders = TableSuite(LAYER, "staging", "stg_berka__orders", description="standing payment orders")
    _common(orders)
    orders.add(
        _positive("amount"),
        warning(
            "payment_purpose_mostly_known",
            gxe.ExpectColumnValuesToNotBeNull(column="payment_purpose", mostly=0.6, row_condition=VALID),
            "about 20% of orders have no purpose in the real data; far more suggests a decoding gap",
        ),
    )

    transactions = TableSuite(
        LAYER,
        "staging",
        "stg_berka__transactions",
        description="transactions, typed",
        read_from="intermediate.int_transactions_validated",
    )
    _common(transactions)
    transactions.add(
        _date_window("trans_date"),
        _positive("amount"),
        blocking(
            "balance_after_present_when_valid",
            gxe.ExpectColumnValuesToNotBeNull(column="balance_after", row_condition=VALID),
            "balance features are computed from balance_after",
            catches=("impossible_amount",),
        ),
        warning(
            "operation_mostly_known",
            gxe.ExpectColumnValuesToNotBeNull(column="operation", mostly=0.7, row_condition=VALID),
            "interest and fee postings have no operation (about 15-20%); more is a decoding gap",
        ),
    )
    return [accounts, clients, dispositions, cards, districts, loans, orders, transactions]
