"""The source catalog: one declaration per source, in dbt's sources files, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlab.core import config, sources
from ledgerlab.core.sources import CatalogError, catalog, render_macros


def test_every_source_is_declared_the_same_way() -> None:
    tables = {s.table: s for s in catalog()}
    assert set(tables) == {
        "account",
        "client",
        "disp",
        "order",
        "loan",
        "card",
        "district",
        "trans",
        "digital_events",
        "taiwan_credit_card",
    }
    assert {s.source for s in tables.values()} == {"berka", "digital", "taiwan"}
    for raw in tables.values():  # Berka, digital events and Taiwan: all from a sources yml
        assert raw.declared_in is not None and raw.declared_in.name.endswith("__sources.yml")
        assert raw.key and raw.quarantine_model
    assert tables["trans"].files == ("trans.asc", "trans_head.asc")
    assert tables["district"].columns == tuple(f"a{i}" for i in range(1, 17))
    assert (tables["taiwan_credit_card"].delimiter, tables["account"].delimiter) == (",", ";")
    assert tables["digital_events"].format == "jsonl"


def test_the_generated_dbt_macros_match_the_sources_files() -> None:
    committed = (config.REPO_ROOT / sources.GENERATED_MACRO).read_text(encoding="utf-8")
    assert committed == render_macros(), "run `ledgerlab build` (it regenerates the file) and commit it"


def test_no_hand_written_list_of_sources_remains() -> None:
    quarantine = (config.REPO_ROOT / "models_sql/marts/quality/quarantine_rows.sql").read_text()
    assert "int_accounts_validated" not in quarantine and "ledgerlab_quarantine_models()" in quarantine
    raw_suite = (config.REPO_ROOT / "expectations/suites/raw.py").read_text()
    assert "account_id" not in raw_suite and "BERKA" not in raw_suite


def test_a_new_sources_file_is_picked_up(tmp_path: Path) -> None:
    folder = tmp_path / "models_sql" / "staging" / "shop"
    folder.mkdir(parents=True)
    (folder / "_shop__sources.yml").write_text(
        "version: 2\nsources:\n  - name: shop\n    schema: raw\n    config: {meta: {delimiter: '|'}}\n"
        "    tables:\n      - name: orders\n        config:\n          meta: {files: ['orders_*.csv'], key: [order_no],"
        " quarantine_model: int_orders_checked}\n        columns:\n          - name: Order_No\n"
        "          - name: total\n            config: {meta: {type: decimal}}\n"
    )
    (raw,) = catalog(tmp_path)
    assert (raw.source, raw.table, raw.delimiter, raw.columns, raw.key) == (
        "shop",
        "orders",
        "|",
        ("order_no", "total"),
        ("order_no",),
    )
    assert raw.matches("orders_2024.csv") and not raw.matches("orders.txt")
    assert "['orders', 'int_orders_checked']" in render_macros(tmp_path)


def test_a_malformed_declaration_is_one_line_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "models_sql"
    folder.mkdir()
    (folder / "_x__sources.yml").write_text(
        "version: 2\nsources:\n  - name: x\n    tables:\n      - name: t\n"
        "        config: {meta: {files: [t.csv], format: xml}}\n        columns: [{name: a}]\n"
    )
    with pytest.raises(CatalogError, match=r"_x__sources.yml: source x, table t: format 'xml'"):
        catalog(tmp_path)
