"""Run one stage as a child process and measure it.

Wall time, CPU time (user + sys of the child and everything it waited for,
from ``os.wait4``; ``tree_cpu_s`` also counts descendants nobody waited for,
such as Spark's JVM, sampled from /proc), peak RSS two ways:

- ``max_rss_gb``: ``ru_maxrss`` from ``wait4`` — the largest single process
  of the child's tree (the kernel keeps the max, not the sum);
- ``tree_rss_gb``: the largest *sum* of RSS over the child's process tree,
  sampled from /proc every 0.2 s (catches a parent and a worker both big).

Optional caps (used for the pandas route at sizes where it is expected to
fail): the tree is killed when its summed RSS exceeds ``mem_cap_gb`` or its
wall time exceeds ``time_cap_s``; the result then says which cap hit.
The 1-minute load average before and after is recorded because the machine
is shared: a wall time much above the CPU time means the stage waited for a
core, not that it was slow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    command: list[str]
    status: str  # ok | failed | capped
    returncode: int | None
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    max_rss_gb: float
    tree_rss_gb: float
    load_before: float
    load_after: float
    started_at: str
    error: str | None = None
    log: str | None = None
    tree_cpu_s: float = 0.0  # CPU of every process of the tree, sampled (also the ones not waited for)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def _children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_usage(root: int) -> tuple[int, dict[int, float]]:
    """Summed resident set of ``root`` and all its descendants, and each one's CPU seconds, now."""
    tree = _children_map()
    total, cpu, stack = 0, {}, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            fields = stat[stat.rfind(")") + 2 :].split()
            cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(tree.get(pid, []))
    return total, cpu


def tree_rss_bytes(root: int) -> int:
    """Summed resident set of ``root`` and all its descendants, now."""
    return tree_usage(root)[0]


def _last_error_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith("error") or "Error" in ln or "error:" in ln:
            return ln[:500]
    return lines[-1][:500] if lines else None


def run_measured(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    mem_cap_gb: float | None = None,
    time_cap_s: float | None = None,
    ok_returncodes: tuple[int, ...] = (0,),
    sample_every_s: float = 0.2,
) -> Measurement:
    """Run ``command`` to completion (or to a cap) and measure it."""
    load_before = _loadavg()
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    log_fh = open(log_path, "wb") if log_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=log_fh,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a cap kills the whole tree
        preexec_fn=_prefer_oom_kill,
    )
    peak = {"tree": 0}
    cpu_seen: dict[int, float] = {}  # the last CPU seconds seen of every process of the tree
    capped: dict[str, str] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, cpu = tree_usage(proc.pid)
            peak["tree"] = max(peak["tree"], rss)
            cpu_seen.update(cpu)
            elapsed = time.perf_counter() - t0
            if mem_cap_gb is not None and rss > mem_cap_gb * 1e9 and not capped:
                capped["why"] = (
                    f"memory cap: process tree RSS {rss / 1e9:.1f} GB > {mem_cap_gb} GB after {elapsed:.0f} s"
                )
            if time_cap_s is not None and elapsed > time_cap_s and not capped:
                capped["why"] = f"time cap: still running after {time_cap_s:.0f} s (RSS {rss / 1e9:.1f} GB)"
            if capped:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return
            done.wait(sample_every_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if log_path:
        log_fh.close()
    text = log_path.read_text(errors="replace") if log_path else ""
    if capped:
        state, error = "capped", capped["why"]
    elif proc.returncode in ok_returncodes:
        state, error = "ok", None
    else:
        state, error = "failed", _last_error_line(text) or f"exit {proc.returncode}"
    return Measurement(
        command=[str(c) for c in command],
        status=state,
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_gb=usage.ru_maxrss * 1024 / 1e9,  # Linux: KiB
        tree_rss_gb=peak["tree"] / 1e9,
        # a child the command never waited for (Spark's JVM) is missing from wait4's usage
        tree_cpu_s=max(usage.ru_utime + usage.ru_stime, sum(cpu_seen.values())),
        load_before=load_before,
        load_after=_loadavg(),
        started_at=started_at,
        error=error,
        log=str(log_path) if log_path else None,
    )


def _prefer_oom_kill() -> None:
    """Should the machine run short of memory, the kernel kills a benchmark child first."""
    try:
        Path(f"/proc/{os.getpid()}/oom_score_adj").write_text("500")
    except OSError:
        pass
