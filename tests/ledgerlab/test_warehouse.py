"""ledgerlab.core.warehouse: connections with the project's DuckDB settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledgerlab.core import warehouse
from ledgerlab.core.errors import UserError


@pytest.mark.parametrize(
    ("limit", "parts", "share"),
    [("10GB", 2, "5000MB"), ("10 GB", 4, "2500MB"), ("1GiB", 2, "536MB"), ("3gb", 1, "3000MB"), ("500MB", 3, "166MB")],
)
def test_memory_limit_share(limit: str, parts: int, share: str) -> None:
    assert warehouse.memory_limit_share(limit, parts) == share


def test_a_memory_limit_that_is_not_a_size_is_a_user_error() -> None:
    with pytest.raises(UserError, match="LEDGERLAB_DUCKDB_MEMORY_LIMIT"):
        warehouse.memory_limit_share("lots", 2)


def test_connections_carry_the_configured_limits(tmp_path: Path) -> None:
    with warehouse.connection(tmp_path / "w.duckdb") as con:
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() "
                "where name in ('threads', 'max_temp_directory_size', 'temp_directory')"
            ).fetchall()
        )
    assert int(settings["threads"]) >= 1
    assert settings["max_temp_directory_size"] not in ("", None)
    assert settings["temp_directory"].endswith("duckdb_tmp")


def test_validation_runs_in_parallel_up_to_the_size_where_queries_dominate(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerlab.core import config

    monkeypatch.setattr(config, "VALIDATE_JOBS", None)
    monkeypatch.setattr(config, "DUCKDB_THREADS", 2)
    assert config.validation_jobs(1_300_000) == 2
    assert config.validation_jobs(config.PARALLEL_VALIDATION_MAX_ROWS + 1) == 1
    monkeypatch.setattr(config, "VALIDATE_JOBS", 3)  # LEDGERLAB_VALIDATE_JOBS wins
    assert config.validation_jobs(10**9) == 3


# --- all-or-nothing writes (warehouse.publishing) ---------------------------------------------

import hashlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import duckdb  # noqa: E402

from ledgerlab.core.errors import DataCheckFailed, Interrupted, MissingStep, WarehouseBusy  # noqa: E402


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(isolated_home: Path) -> Path:
    """A published warehouse holding one table."""
    path = isolated_home / "warehouse" / "test.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create table marts.t as select range as x from range(1000)")
    return path


def _rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from marts.t").fetchall()[0][0]


def test_a_successful_step_is_published_and_leaves_nothing_behind(published: Path) -> None:
    with warehouse.publishing("test") as copy:
        assert copy != published and copy.name == f"test.duckdb.building-{os.getpid()}"
        with duckdb.connect(str(copy)) as con:
            con.execute("insert into marts.t select 5000")
        assert _rows(published) == 1000, "the published file is not written before the swap"
    assert _rows(published) == 1001
    assert sorted(p.name for p in published.parent.iterdir()) == ["test.duckdb", "test.duckdb.lock"]


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (UserError("bad file"), UserError),
        (KeyboardInterrupt(), Interrupted),
        (RuntimeError("a bug"), RuntimeError),
    ],
)
def test_a_failed_or_interrupted_step_changes_nothing(published: Path, failure: BaseException, raised: type) -> None:
    before = _sha256(published)
    with pytest.raises(raised), warehouse.publishing("test") as copy:
        with duckdb.connect(str(copy)) as con:
            con.execute("delete from marts.t")
        raise failure
    assert _sha256(published) == before
    assert sorted(p.name for p in published.parent.iterdir()) == ["test.duckdb", "test.duckdb.lock"]


def test_a_step_whose_data_failed_keeps_its_result_for_inspection(published: Path) -> None:
    before = _sha256(published)
    with pytest.raises(DataCheckFailed) as raised, warehouse.publishing("test") as copy:
        with duckdb.connect(str(copy)) as con:
            con.execute("delete from marts.t")
        raise DataCheckFailed("2 data tests failed")
    assert _sha256(published) == before
    kept = warehouse.failed_path(published)
    assert _rows(kept) == 0
    assert str(raised.value).splitlines()[-1] == (
        f"  the failed result is kept at {kept} (open it read-only to look); the published warehouse is unchanged"
    )


def test_a_reader_holding_the_file_neither_blocks_the_swap_nor_is_blocked(published: Path) -> None:
    reader = duckdb.connect(str(published), read_only=True)
    try:
        with warehouse.publishing("test") as copy:
            with duckdb.connect(str(copy)) as con:
                con.execute("insert into marts.t select 5000")
        # the open reader still reads its (old) file; a new reader (another process: DuckDB
        # shares one instance per path within a process while a connection is open) sees the new one
        assert reader.execute("select count(*) from marts.t").fetchall()[0][0] == 1000
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
                "print(con.execute('select count(*) from marts.t').fetchall()[0][0])",
                str(published),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert proc.stdout.strip() == "1001"
    finally:
        reader.close()


def test_a_second_writer_is_told_who_is_busy_in_one_line(published: Path) -> None:
    with warehouse.writer_lock("ledgerlab build"):
        with pytest.raises(WarehouseBusy) as raised, warehouse.publishing("ledgerlab ingest"):
            pass
        message = str(raised.value)
        assert message.startswith(f"warehouse busy: ledgerlab build (pid {os.getpid()}) since ")
        assert f"is writing {published}" in message and "\n" not in message
        # and from another process, through the CLI: exit 3, one line
        proc = subprocess.run(
            [sys.executable, "-m", "ledgerlab", "ingest", "--raw", str(published.parent)],
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.strip().startswith("error: warehouse busy: ledgerlab build (pid ")
        assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    with warehouse.publishing("ledgerlab ingest"):  # released: the next writer goes ahead
        pass


def test_a_copy_left_by_a_killed_writer_is_cleared(published: Path) -> None:
    stale = warehouse.building_path(published, pid=999_999)
    stale.write_bytes(b"half a warehouse")
    with warehouse.publishing("test"):
        pass
    assert not stale.exists()


def test_a_missing_warehouse_is_a_missing_step(isolated_home: Path) -> None:
    with pytest.raises(MissingStep, match="run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"):
        warehouse.connect(isolated_home / "none.duckdb", read_only=True)
