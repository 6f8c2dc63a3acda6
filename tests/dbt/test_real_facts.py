"""The staging layer reproduces the published facts of the real data.

Facts from ../shared/data/README.md; the tests skip, naming the missing
path, when the shared data is absent.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def counts(warehouse, sql: str) -> dict:
    return {key: n for key, n in warehouse.query(sql)}


def test_every_real_row_is_clean(real_warehouse):
    assert real_warehouse.scalar("select count(*) from marts.quarantine_rows") == 0


def test_gender_from_birth_number(real_warehouse):
    assert counts(real_warehouse, "select gender, count(*) from marts.dim_clients group by 1") == {
        "M": 2724,
        "F": 2645,
    }


def test_loans_by_status_and_dates(real_warehouse):
    assert counts(real_warehouse, "select loan_status, count(*) from marts.loan_features group by 1") == {
        "A": 203,
        "B": 31,
        "C": 403,
        "D": 45,
    }
    assert real_warehouse.scalar("select count(*) filter (where is_default) from marts.loan_features") == 76
    assert real_warehouse.query("select min(loan_date), max(loan_date) from marts.loan_features") == [
        (dt.date(1993, 7, 5), dt.date(1998, 12, 8))
    ]


def test_every_loan_reaches_loan_features_even_without_history(real_warehouse):
    # the real transactions end in March 1994: most loans have no history
    total, without_history, null_means = real_warehouse.query(
        "select count(*), count(*) filter (where n_transactions = 0), "
        "count(*) filter (where n_transactions = 0 and mean_balance is null) from marts.loan_features"
    )[0]
    assert total == 682
    assert without_history > 400
    assert null_means == without_history


def test_cards_dispositions_frequencies(real_warehouse):
    assert counts(real_warehouse, "select card_type, count(*) from staging.stg_berka__cards group by 1") == {
        "classic": 659,
        "gold": 88,
        "junior": 145,
    }
    assert counts(
        real_warehouse, "select disposition_type, count(*) from staging.stg_berka__dispositions group by 1"
    ) == {"OWNER": 4500, "DISPONENT": 869}
    assert counts(real_warehouse, "select statement_frequency, count(*) from marts.dim_accounts group by 1") == {
        "monthly": 4167,
        "weekly": 240,
        "after_transaction": 93,
    }
    assert real_warehouse.query("select min(opened_date), max(opened_date) from marts.dim_accounts") == [
        (dt.date(1993, 1, 1), dt.date(1997, 12, 29))
    ]


def test_order_k_symbols(real_warehouse):
    assert counts(real_warehouse, "select k_symbol_code, count(*) from staging.stg_berka__orders group by 1") == {
        "SIPO": 3502,
        "POJISTNE": 532,
        "UVER": 717,
        "LEASING": 341,
        None: 1379,
    }


def test_districts_missing_values_are_null(real_warehouse):
    row = real_warehouse.query(
        "select unemployment_rate_1995, crimes_1995, unemployment_rate_1996 from marts.dim_districts "
        "where district_id = 69"
    )
    assert row == [(None, None, 7.01)]
    assert real_warehouse.scalar("select count(*) from marts.dim_districts") == 77


def test_taiwan_reaches_card_default_features(real_warehouse):
    n, defaults = real_warehouse.query(
        "select count(*), count(*) filter (where is_default) from marts.card_default_features"
    )[0]
    assert (n, defaults) == (30000, 6636)
    # 1.00E+05-style amounts are read, not lost
    assert real_warehouse.scalar("select count(*) from marts.card_default_features where credit_limit is null") == 0


def test_no_birth_number_or_client_id_after_staging(real_warehouse):
    columns = {
        name
        for (name,) in real_warehouse.query(
            "select distinct column_name from information_schema.columns where table_schema = 'marts'"
        )
    }
    assert not {"birth_number", "client_id", "birth_date"} & columns
    keys = real_warehouse.query("select distinct length(client_key) from marts.dim_clients")
    assert keys == [(64,)]


def test_events_and_taiwan_models_are_typed_when_empty(real_warehouse):
    # the real data has no digital events: the models exist, empty and typed
    assert real_warehouse.scalar("select count(*) from marts.fct_digital_events") == 0
    types = dict(
        real_warehouse.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_digital_events'"
        )
    )
    assert types["event_at"] == "TIMESTAMP"
    assert types["amount"] == "DOUBLE"
