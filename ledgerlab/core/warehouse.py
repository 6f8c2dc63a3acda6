"""Opening the DuckDB warehouse the same way everywhere, and writing it all-or-nothing.

Every reader opens the file with ``read_only=True``. Writers never write the
published file in place (docs/ARCHITECTURE.md, "What is atomic"):
``publishing`` takes the writer lock, hands the step a private copy
(``<warehouse>.building-<pid>``), and swaps it in with one ``os.replace`` when
the step succeeds. On an error or an interrupt the copy is deleted and the
published file is byte-for-byte as before; readers holding the old file keep
it (their inode) and are never locked out. A second writer gets a one-line
``warehouse busy`` error (``WarehouseBusy``, exit 3) from the lock file
``<warehouse>.lock``.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerlab.core import config
from ledgerlab.core.errors import DataCheckFailed, Interrupted, MissingStep, UserError, WarehouseBusy

_BYTES_PER_UNIT = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with the project's memory limit, threads and spill folder (capped)."""
    paths = config.paths()
    path = Path(path) if path is not None else paths.warehouse
    if read_only and not path.exists():
        raise MissingStep(
            f"warehouse {path} does not exist: run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "lock" in message.lower():
            raise WarehouseBusy(
                f"warehouse busy: {path} is open for writing in another process ({message}); "
                "close it (a notebook's read-write connection?) or wait for that step to finish"
            ) from None
        raise UserError(f"warehouse {path} cannot be opened: {message}") from None
    spill = paths.build / "duckdb_tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"set memory_limit = '{config.DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"set threads = {config.DUCKDB_THREADS}")
    con.execute(f"set temp_directory = '{spill}'")
    con.execute(f"set max_temp_directory_size = '{config.DUCKDB_MAX_TEMP_SIZE}'")
    return con


@contextmanager
def connection(path: Path | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0


def memory_limit_share(limit: str, parts: int) -> str:
    """One of ``parts`` equal shares of a DuckDB memory limit such as ``10GB``.

    For processes that each open the warehouse: together they stay within
    the one limit the user configured.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*", limit, flags=re.IGNORECASE)
    if match is None:
        raise UserError(f"DuckDB memory limit {limit!r} (LEDGERLAB_DUCKDB_MEMORY_LIMIT) is not a size such as 10GB")
    total = float(match.group(1)) * _BYTES_PER_UNIT[(match.group(2) or "b").lower()]
    return f"{max(1, int(total / max(1, parts) / 10**6))}MB"


# ---------------------------------------------------------------------------------------------
# All-or-nothing writes


def lock_path(published: Path) -> Path:
    return published.with_name(published.name + ".lock")


def building_path(published: Path, pid: int | None = None) -> Path:
    """The private copy a writer builds in; the pid says whose it is."""
    return published.with_name(f"{published.name}.building-{pid or os.getpid()}")


def failed_path(published: Path) -> Path:
    """Where the copy of a step whose data failed its checks is kept for inspection."""
    return published.with_name(published.name + ".failed")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@contextmanager
def writer_lock(who: str, path: Path | None = None) -> Iterator[Path]:
    """Hold the one writer's lock on the warehouse ``path`` (default: config); yields the path.

    An exclusive ``flock`` on ``<warehouse>.lock``, which also holds who has it
    and since when. Another holder means ``WarehouseBusy``, at once: a second
    writer never waits and never damages anything. The kernel drops the lock
    when its process ends, however it ends.
    """
    published = Path(path) if path is not None else config.paths().warehouse
    published.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(published), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 1000, 0).decode("utf-8", errors="replace").strip() or "another process"
            raise WarehouseBusy(
                f"warehouse busy: {holder} is writing {published}; wait for it to finish and retry"
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{who} (pid {os.getpid()}) since {since}".encode(), 0)
        try:
            yield published
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a stopped job, `kill`) cleans up like Ctrl-C instead of ending the process mid-write."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):  # noqa: ARG001 - the signal handler's signature
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _checkpoint(path: Path) -> None:
    """Fold a write-ahead log into ``path`` so that the one file holds everything."""
    if _wal(path).exists():
        with duckdb.connect(str(path)) as con:
            con.execute("force checkpoint")
    if _wal(path).exists():
        raise UserError(f"warehouse {path}: its write-ahead log could not be folded in; is it open in another process?")


@contextmanager
def private_copy(published: Path, *, keep_failed: bool = True) -> Iterator[Path]:
    """A private copy of ``published`` to write; published atomically when the block succeeds.

    Call it holding ``writer_lock``. The copy starts as a byte copy of the
    published file (or no file, when none is published yet: the step creates
    it). On success: the copy's log is checkpointed, and ``os.replace`` swaps it
    in (atomic on one file system). On any exception: the copy is deleted, the
    published file is untouched; when the data failed its checks
    (``DataCheckFailed``) and ``keep_failed``, the copy is kept as
    ``<warehouse>.failed`` to inspect, and the message says so.
    """
    published = Path(published)
    for stale in published.parent.glob(published.name + ".building-*"):
        stale.unlink(missing_ok=True)  # a writer killed outright (SIGKILL) left it; we hold the lock
    if _wal(published).exists():
        _checkpoint(published)  # a write-ahead log of an in-place writer (dbt by hand): fold it in first
    copy = building_path(published)
    if published.exists():
        shutil.copyfile(published, copy)
    try:
        with _sigterm_as_interrupt():
            yield copy
            if not copy.exists():
                raise UserError(f"the step wrote no warehouse at {copy}; nothing was published")
            _checkpoint(copy)
            os.replace(copy, published)
        _fsync_dir(published.parent)
    except DataCheckFailed as exc:
        if keep_failed and copy.exists():
            _checkpoint_quietly(copy)
            _wal(failed_path(published)).unlink(missing_ok=True)
            os.replace(copy, failed_path(published))
            exc.args = (
                f"{exc.args[0] if exc.args else exc}\n  the failed result is kept at {failed_path(published)} "
                "(open it read-only to look); the published warehouse is unchanged",
            )
        raise
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: nothing was published; {published} is as it was") from None
    finally:
        copy.unlink(missing_ok=True)
        _wal(copy).unlink(missing_ok=True)


def _checkpoint_quietly(path: Path) -> None:
    try:
        _checkpoint(path)
    except (UserError, duckdb.Error):
        pass  # kept for inspection only: a log that cannot be folded in is deleted with the copy


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def publishing(who: str, path: Path | None = None, *, keep_failed: bool = True) -> Iterator[Path]:
    """``writer_lock`` + ``private_copy``: what a writing command wraps its work in; yields the copy."""
    with writer_lock(who, path) as published, private_copy(published, keep_failed=keep_failed) as copy:
        yield copy
