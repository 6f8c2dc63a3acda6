"""bench.dbt_replay replays each executed node as DuckDB ran it: the final relation, no __dbt_tmp."""

from __future__ import annotations

from bench.dbt_replay import replay_statement


def node(uid: str, sql: str | None = "select 1 as x", relation: str | None = '"wh"."marts"."m"') -> dict:
    return {"unique_id": uid, "compiled_code": sql, "relation_name": relation}


def test_models_tests_and_what_is_not_replayed() -> None:
    assert replay_statement(node("model.p.m"), "table") == 'create or replace table "wh"."marts"."m" as (select 1 as x)'
    assert replay_statement(node("model.p.m"), "incremental").startswith("create or replace table")
    assert replay_statement(node("model.p.v"), "view") == 'create or replace view "wh"."marts"."m" as (select 1 as x)'
    assert replay_statement(node("test.p.t", relation=None), "test") == (
        "select count(*) as failures from (select 1 as x) as dbt_internal_test"
    )
    assert replay_statement(node("model.p.m", sql=None), "table") is None  # not executed (skipped)
    assert replay_statement(node("exposure.p.e", relation=None), "") is None
