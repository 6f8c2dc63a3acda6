"""Client pseudonyms are HMAC-SHA256, byte for byte Python's hmac."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess

import duckdb
import pytest

from ledgerlab.core import config

from .conftest import DBT, REPO_ROOT

VALUES = ["1", "12345", "90000017", "ké", ""]
RUN_KEY = "s3cret ké'y"  # the run's LEDGERLAB_PSEUDONYM_KEY: a quote and non-ASCII
OTHER_KEYS = ["k" * 64, "long-" * 30]  # exactly one block; longer than a block (hashed first)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> dict[tuple[str, str], str]:
    """(key, value) -> hex digest, from one compiled query run in DuckDB."""
    tmp = tmp_path_factory.mktemp("pseudonymize")
    env = dict(
        os.environ,
        LEDGERLAB_PSEUDONYM_KEY=RUN_KEY,
        LEDGERLAB_WAREHOUSE=str(tmp / "empty.duckdb"),
        DBT_TARGET_PATH=str(tmp / "target"),
        DBT_LOG_PATH=str(tmp / "logs"),
        DO_NOT_TRACK="1",
        DBT_PROFILES_DIR=str(REPO_ROOT),
        DBT_PROJECT_DIR=str(REPO_ROOT),
    )
    rows = ", ".join(f"({sql_text(v)})" for v in VALUES)
    selects = [f"select {sql_text(RUN_KEY)} as key, v, {{{{ pseudonymize('v') }}}} as digest from t"]
    for key in OTHER_KEYS:
        selects.append(f"select {sql_text(key)}, v, {{{{ hmac_sha256(\"hex({sql_text(key)})\", 'v') }}}} from t")
    inline = f"with t as (select * from (values {rows}) as r (v)) " + " union all ".join(selects)
    process = subprocess.run(
        [DBT, "-q", "--no-use-colors", "compile", "--inline", inline],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    with duckdb.connect() as con:
        return {(key, v): digest for key, v, digest in con.execute(process.stdout).fetchall()}


@pytest.mark.parametrize("key", [RUN_KEY, *OTHER_KEYS], ids=["run-key", "one-block-key", "long-key"])
def test_hmac_equals_python(computed, key):
    for value in VALUES:
        expected = hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
        assert computed[(key, value)] == expected, (key, value)


def test_null_stays_null_and_dev_key_is_warned(generated_warehouse):
    if os.environ.get("LEDGERLAB_PSEUDONYM_KEY"):
        pytest.skip("LEDGERLAB_PSEUDONYM_KEY is set: the development key is not in use")
    assert "LEDGERLAB_PSEUDONYM_KEY is not set" in generated_warehouse.build_output
    # the marts' client keys are HMACs of the client ids under the development key
    keys = {k for (k,) in generated_warehouse.query("select client_key from marts.dim_clients")}
    assert hmac.new(config.DEV_PSEUDONYM_KEY.encode(), b"1", hashlib.sha256).hexdigest() in keys
    assert generated_warehouse.scalar("select count(*) from marts.dim_clients where client_key is null") == 0


def test_every_client_key_is_the_hmac_of_its_raw_client_id(generated_warehouse):
    if os.environ.get("LEDGERLAB_PSEUDONYM_KEY"):
        pytest.skip("LEDGERLAB_PSEUDONYM_KEY is set: the development key is not in use")
    key = config.DEV_PSEUDONYM_KEY.encode()
    rows = generated_warehouse.query(
        "select trim(raw.client_id), stg.client_key from raw.client as raw "
        "inner join staging.stg_berka__clients as stg using (_source_file, _source_line) "
        "where stg.is_valid"
    )
    assert len(rows) > 100
    for client_id, client_key in rows:
        assert client_key == hmac.new(key, str(int(client_id)).encode(), hashlib.sha256).hexdigest()
