"""No personal data past staging: marts hold neither birth numbers nor raw client ids."""

from __future__ import annotations

import hashlib
import hmac

from ledgerlab.core import config

FORBIDDEN_COLUMNS = {"birth_number", "client_id", "birth_date"}


def _mart_columns(warehouse) -> list[tuple[str, str, str]]:
    return warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' order by table_name, ordinal_position"
    )


def test_no_mart_has_a_personal_data_column(generated_warehouse) -> None:
    offending = [f"{t}.{c}" for t, c, _ in _mart_columns(generated_warehouse) if c in FORBIDDEN_COLUMNS]
    assert not offending, f"personal data columns in marts: {offending}"


def test_no_mart_value_is_a_birth_number_or_a_raw_client_id(generated_warehouse) -> None:
    birth_numbers = {
        r[0].strip()
        for r in generated_warehouse.query("select birth_number from raw.client where birth_number is not null")
    }
    raw_client_ids = {
        r[0].strip() for r in generated_warehouse.query("select client_id from raw.client where client_id is not null")
    }
    assert birth_numbers and raw_client_ids
    leaks = []
    for table, column, data_type in _mart_columns(generated_warehouse):
        if data_type != "VARCHAR":
            continue
        values = {
            r[0]
            for r in generated_warehouse.query(
                f'select distinct "{column}" from marts."{table}" where "{column}" is not null'
            )
        }
        found_birth = values & birth_numbers
        # a text column of client ids would be a raw id leaving staging
        found_ids = values & raw_client_ids if column.endswith(("client_key", "client_id")) else set()
        # the quarantine keeps raw rows as JSON text: they must not carry the birth number field
        contains_birth = {v for v in values if "birth_number" in v} if column == "raw_record" else set()
        if found_birth or found_ids or contains_birth:
            leaks.append(f"{table}.{column}")
    assert not leaks, f"birth numbers or raw client ids found in marts: {leaks}"


def test_client_keys_are_keyed_hmac_pseudonyms(generated_warehouse) -> None:
    key, _ = config.pseudonym_key()
    raw_ids = [
        r[0]
        for r in generated_warehouse.query(
            "select distinct trim(client_id) from raw.client where regexp_full_match(trim(client_id), '[0-9]+') limit 50"
        )
    ]
    keys = {r[0] for r in generated_warehouse.query("select client_key from marts.dim_clients")}
    expected = {hmac.new(key.encode(), str(int(i)).encode(), hashlib.sha256).hexdigest() for i in raw_ids}
    assert expected & keys, "no client_key equals HMAC-SHA256(key, client_id)"
    assert not (set(raw_ids) & keys)
