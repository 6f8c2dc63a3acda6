"""Every model and column is documented; every test declared in yml is registered."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from .conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def model_columns(warehouse, node: dict, con) -> list[str]:
    """The model's real columns: from the warehouse, or by describing an ephemeral model's SQL."""
    if node["config"]["materialized"] == "ephemeral":
        sql = node["compiled_code"]
        ctes = node.get("extra_ctes") or []
        if ctes:
            sql = "with " + ", ".join(c["sql"] for c in ctes) + " select * from (" + sql + ")"
        return [row[0] for row in con.execute(f"describe ({sql})").fetchall()]
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [node["schema"], node["alias"]],
        ).fetchall()
    ]


def test_every_model_and_column_is_documented(generated_warehouse):
    manifest = generated_warehouse.manifest()
    problems = []
    with duckdb.connect(str(generated_warehouse.path), read_only=True) as con:
        for node in manifest["nodes"].values():
            if node["resource_type"] != "model" or node["package_name"] != "ledgerlab":
                continue
            if not node["description"].strip():
                problems.append(f"model {node['name']}: no description")
            columns = model_columns(generated_warehouse, node, con)
            assert columns, node["name"]
            for column in columns:
                documented = node["columns"].get(column)
                if not documented or not documented["description"].strip():
                    problems.append(f"{node['name']}.{column}: undocumented")
    for source in manifest["sources"].values():
        if not source["description"].strip():
            problems.append(f"source {source['source_name']}.{source['name']}: no description")
        for name, column in source["columns"].items():
            if not column["description"].strip():
                problems.append(f"source {source['name']}.{name}: undocumented")
    assert not problems, "\n".join(problems)


def test_feature_marts_enforce_contracts(generated_warehouse):
    nodes = {n["name"]: n for n in generated_warehouse.manifest()["nodes"].values() if n["resource_type"] == "model"}
    for name in ("loan_features", "card_propensity_features", "card_default_features", "quarantine_rows"):
        assert nodes[name]["config"]["contract"]["enforced"], name
        assert all(c["data_type"] for c in nodes[name]["columns"].values()), name


def count_yml_tests(entries) -> int:
    return len(entries or [])


def declared_tests() -> tuple[int, int]:
    """(generic data tests, unit tests) declared in the project's yml files."""
    generic = unit = 0
    for path in (REPO_ROOT / "models_sql").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text()) or {}
        for model in doc.get("models", []) or []:
            generic += count_yml_tests(model.get("data_tests"))
            for column in model.get("columns", []) or []:
                generic += count_yml_tests(column.get("data_tests"))
            assert "tests" not in model, f"{path}: use data_tests, not tests ({model['name']})"
        for source in doc.get("sources", []) or []:
            for table in source.get("tables", []) or []:
                generic += count_yml_tests(table.get("data_tests"))
                for column in table.get("columns", []) or []:
                    generic += count_yml_tests(column.get("data_tests"))
        unit += len(doc.get("unit_tests", []) or [])
    return generic, unit


def test_every_declared_test_is_registered(generated_warehouse):
    manifest = generated_warehouse.manifest()
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n["package_name"] == "ledgerlab"]
    generic = [t for t in tests if "test_metadata" in t and t.get("test_metadata")]
    singular = [t for t in tests if not t.get("test_metadata")]
    declared_generic, declared_unit = declared_tests()
    singular_files = list((REPO_ROOT / "dbt_project" / "tests").rglob("*.sql"))
    assert len(generic) == declared_generic, (
        f"{declared_generic} tests declared under data_tests: in yml, {len(generic)} registered: "
        "a test key indented wrongly is silently ignored"
    )
    assert len(singular) == len(singular_files)
    assert len(manifest.get("unit_tests", {})) == declared_unit
    assert declared_unit >= 4
