"""Worker processes: units simulated and formatted on several cores.

The main process coordinates; each worker is a fresh interpreter (started
with ``python -c``, so the caller's ``__main__`` is never re-imported) that
talks to it over two pipes. A unit goes through three steps in its worker:

    sim   -> the unit's row counts           (needs nothing from other units)
    emit  -> byte and line counts, defect logs, truth rows
             (needs the running ids, i.e. the counts of all earlier units)
    write -> its bytes written at the file offsets the main process fixed
             (needs the sizes of all earlier units)

The main process hands out units in order, fixes running ids and file
offsets in unit order (``Sink.place``), and tells each worker what to do
next. A worker holds at most MAX_UNITS_PER_WORKER units at a time, so memory
is bounded by the unit size whatever N is. Which worker ran which unit does
not change a single byte of the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

import numpy as np

from ledgerlab.core import progress
from ledgerlab.core.progress import Progress

from .tables import Offsets
from .units import Counts, RunConfig, Unit, UnitOutput

MAX_UNITS_PER_WORKER = 2
_WORKER_CODE = (
    "import sys; from ledgerlab.generator.parallel import worker_main; worker_main(int(sys.argv[1]), int(sys.argv[2]))"
)


# ---------------------------------------------------------------------- worker side
def worker_main(read_fd: int, write_fd: int) -> None:
    """Entry point of a worker process: serve the main process's requests until told to stop."""
    from .pipeline import write_unit
    from .units import UnitWork
    from .writer import write_at

    conn_in = Connection(read_fd, writable=False)
    conn_out = Connection(write_fd, readable=False)
    work = None
    paths: dict[str, str] = {}
    fds: dict[str, int] = {}
    held: dict[int, object] = {}  # unit index -> Simulated, then UnitOutput

    def write_piece(table: str, pieces: list, offset: int) -> None:
        fd = fds.get(table)
        if fd is None:
            fd = fds[table] = os.open(paths[table], os.O_WRONLY)
        write_at(fd, pieces, offset)

    try:
        while True:
            msg = conn_in.recv()
            op = msg[0]
            if op == "init":
                _, cfg, paths = msg
                work = UnitWork(cfg)
                conn_out.send(("ready",))
            elif op == "sim":
                _, unit, kind = msg
                state, counts = work.simulate(unit, kind)
                held[unit.index] = (unit, state)
                conn_out.send(("counts", unit.index, counts))
            elif op == "emit":
                _, index, off = msg
                unit, state = held.pop(index)
                out = work.emit(unit, state, off)
                held[index] = out
                conn_out.send(("emitted", index, _shell(out)))
            elif op == "write":
                _, index, placed = msg
                out = held.pop(index)
                write_unit(write_piece, placed, out, "csv")
                conn_out.send(("written", index))
            elif op == "stop":
                for fd in fds.values():
                    os.close(fd)
                import resource

                conn_out.send(("bye", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
                return
            else:
                raise ValueError(f"unknown request {op!r}")
    except Exception:
        try:
            conn_out.send(("error", traceback.format_exc()))
        except OSError:
            pass


def _shell(out: UnitOutput) -> UnitOutput:
    """What the main process needs of an emitted unit: sizes, logs, truth -- not the bytes."""
    return UnitOutput(
        tables={t: inj.shell() for t, inj in out.tables.items()},
        typed={},
        events=out.events.shell() if out.events is not None else None,
        event_part=out.event_part,
        truth=out.truth,
    )


# ---------------------------------------------------------------------- main side
@dataclass
class _Worker:
    proc: subprocess.Popen
    send_conn: Connection
    recv_conn: Connection
    busy: bool = False
    units: set[int] = field(default_factory=set)
    max_rss_kib: int = 0


def _start_worker() -> _Worker:
    p2c_r, p2c_w = os.pipe()
    c2p_r, c2p_w = os.pipe()
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the ledgerlab package
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("POLARS_MAX_THREADS", "1")  # one core per worker
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER_CODE, str(p2c_r), str(c2p_w)],
        pass_fds=(p2c_r, c2p_w),
        env=env,
        stdin=subprocess.DEVNULL,
    )
    os.close(p2c_r)
    os.close(c2p_w)
    return _Worker(proc, Connection(p2c_w, readable=False), Connection(c2p_r, writable=False))


def run_parallel(
    cfg: RunConfig, units: list[Unit], kinds: np.ndarray, sink, n_workers: int, on_progress: Progress = progress.ignore
) -> list[int]:
    """Run all units on ``n_workers`` worker processes; returns each worker's peak RSS (KiB)."""
    workers: list[_Worker] = []
    try:
        paths = {t: str(p) for t, p in sink.files.paths.items()}
        for _ in range(n_workers):
            workers.append(_start_worker())
        for w in workers:
            w.send_conn.send(("init", cfg, paths))
        for w in workers:
            _expect(w, "ready")
        _coordinate(units, kinds, sink, workers, on_progress)
        for w in workers:
            w.send_conn.send(("stop",))
        for w in workers:
            w.max_rss_kib = _expect(w, "bye")[1]
            w.proc.wait()
        return [w.max_rss_kib for w in workers]
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.terminate()
                try:
                    w.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    w.proc.kill()
                    w.proc.wait()
            w.send_conn.close()
            w.recv_conn.close()


def _receive(w: _Worker) -> tuple:
    try:
        msg = w.recv_conn.recv()
    except EOFError:
        raise RuntimeError(f"generator worker {w.proc.pid} exited unexpectedly (code {w.proc.wait()})") from None
    if msg[0] == "error":
        raise RuntimeError(f"generator worker {w.proc.pid} failed:\n{msg[1]}")
    return msg


def _expect(w: _Worker, op: str) -> tuple:
    msg = _receive(w)
    if msg[0] != op:
        raise RuntimeError(f"generator worker {w.proc.pid}: expected {op!r}, got {msg[0]!r}")
    return msg


def _coordinate(
    units: list[Unit], kinds: np.ndarray, sink, workers: list[_Worker], on_progress: Progress = progress.ignore
) -> None:
    n = len(units)
    owner: dict[int, _Worker] = {}
    counts: dict[int, Counts] = {}
    offsets: dict[int, Offsets] = {0: Offsets()}
    emitted: dict[int, UnitOutput] = {}  # emitted, waiting to be placed (in order)
    to_write: dict[int, object] = {}  # placed, not yet written: unit index -> Placed
    next_sim = 0  # next unit to hand out
    next_offsets = 0  # offsets[i] are known for i <= next_offsets
    next_place = 0
    emitting: set[int] = set()
    written = 0

    def task_for(w: _Worker):
        nonlocal next_sim
        mine = sorted(w.units)
        for i in mine:
            if i in to_write:
                return ("write", i, to_write.pop(i))
        for i in mine:
            if i in counts and i in offsets and i not in emitting and i not in emitted and i >= next_place:
                emitting.add(i)
                return ("emit", i, offsets[i])
        if next_sim < n and len(w.units) < MAX_UNITS_PER_WORKER:
            unit = units[next_sim]
            next_sim += 1
            w.units.add(unit.index)
            owner[unit.index] = w
            return ("sim", unit, kinds[unit.a0 : unit.a1])
        return None

    while written < n:
        for w in workers:
            if not w.busy:
                task = task_for(w)
                if task is not None:
                    w.send_conn.send(task)
                    w.busy = True
        busy = {w.recv_conn: w for w in workers if w.busy}
        if not busy:
            raise RuntimeError("generator workers stalled")  # cannot happen: the lowest unit can always move on
        for conn in wait(list(busy)):
            w = busy[conn]
            msg = _receive(w)
            w.busy = False
            op, index = msg[0], msg[1]
            if op == "counts":
                counts[index] = msg[2]
                while next_offsets in counts and next_offsets + 1 not in offsets:
                    offsets[next_offsets + 1] = counts[next_offsets].advance(offsets[next_offsets])
                    next_offsets += 1
            elif op == "emitted":
                emitting.discard(index)
                emitted[index] = msg[2]
                while next_place in emitted:
                    out = emitted.pop(next_place)
                    placed = sink.place(units[next_place], out)
                    sink.write_local(placed)
                    placed.local_events = None
                    to_write[next_place] = placed
                    next_place += 1
            elif op == "written":
                owner[index].units.discard(index)
                written += 1
                on_progress(written, n)
            else:
                raise RuntimeError(f"generator worker {w.proc.pid}: unexpected message {op!r}")
