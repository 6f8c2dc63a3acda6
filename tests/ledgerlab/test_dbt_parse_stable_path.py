"""dbt sees every private copy of one warehouse under one path, so it keeps its partial parse."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ledgerlab import dbt


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path / "home"))
    return tmp_path


def test_copies_of_one_warehouse_share_a_link_that_follows_the_latest(home):
    first = home / "wh" / "ledgerlab.duckdb.building-111"
    second = home / "wh" / "ledgerlab.duckdb.building-222"
    link_first, link_second = dbt.parse_stable_path(first), dbt.parse_stable_path(second)
    assert link_first == link_second
    assert link_first.parent == home / "home" / "build" / "dbt"
    assert os.readlink(link_second) == str(second.resolve())


def test_other_warehouses_and_the_published_file_get_links_of_their_own(home):
    building = dbt.parse_stable_path(home / "wh" / "ledgerlab.duckdb.building-1")
    published = dbt.parse_stable_path(home / "wh" / "ledgerlab.duckdb")
    elsewhere = dbt.parse_stable_path(home / "other" / "ledgerlab.duckdb.building-1")
    assert len({building, published, elsewhere}) == 3
    assert os.readlink(published) == str((home / "wh" / "ledgerlab.duckdb").resolve())


def test_duckdb_writes_through_the_link_into_the_copy(home):
    copy = home / "wh" / "w.duckdb.building-5"
    copy.parent.mkdir(parents=True)
    duckdb.connect(str(copy)).close()
    con = duckdb.connect(str(dbt.parse_stable_path(copy)))
    con.execute("create table t as select 42 as answer")
    assert (copy.parent / "w.duckdb.building-5.wal").exists()  # the log lies beside the copy
    con.close()
    with duckdb.connect(str(copy), read_only=True) as check:
        assert check.execute("select answer from t").fetchall() == [(42,)]


def test_without_links_dbt_gets_the_real_path(home, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(os, "symlink", refuse)
    copy = home / "wh" / "w.duckdb.building-9"
    assert dbt.parse_stable_path(copy) == copy.resolve()
