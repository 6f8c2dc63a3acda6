"""Running dbt from Python exactly as an analyst runs it from the repo root."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ledgerlab.core import config, progress
from ledgerlab.core.errors import DataCheckFailed, UserError
from ledgerlab.core.progress import Progress

# How many failing nodes a summary names before it says "and N more".
SUMMARY_MAX_NODES = 5


class DbtError(UserError):
    """dbt could not run (no warehouse, a compilation error, a crash)."""


class DbtBuildFailed(DbtError, DataCheckFailed):
    """dbt ran, and models or data tests failed: the summary says which and where to look."""


@dataclass(frozen=True)
class DbtResult:
    command: list[str]
    seconds: float
    output: str

    def summary_line(self) -> str:
        for line in reversed(self.output.splitlines()):
            if "PASS=" in line:
                return line.split("Done. ", 1)[-1].strip()
        return "dbt finished"


def dbt_environment(warehouse_path: Path | None = None) -> dict[str, str]:
    """The environment dbt runs in: our warehouse, build dirs, no telemetry."""
    paths = config.paths()
    env = dict(os.environ)
    env["LEDGERLAB_WAREHOUSE"] = str(Path(warehouse_path or paths.warehouse).resolve())
    env.setdefault("DBT_TARGET_PATH", str(paths.home / "target"))
    env.setdefault("DBT_LOG_PATH", str(paths.home / "logs"))
    env["DO_NOT_TRACK"] = "1"
    env["DBT_USE_COLORS"] = "false"
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.setdefault("DBT_PROFILES_DIR", str(config.REPO_ROOT))
    env.setdefault("DBT_PROJECT_DIR", str(config.REPO_ROOT))
    return env


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def parse_stable_path(warehouse: Path) -> Path:
    """A fixed path (a symbolic link) under which dbt sees ``warehouse``: dbt keeps its parse.

    dbt reuses its parse of the project (``target/partial_parse.msgpack``) only while the
    profile's connection is unchanged, and the DuckDB file's path is part of it. Every
    ``ledgerlab run`` or ``build`` builds into a new private copy (``<warehouse>.building-<pid>``),
    so each would parse the whole project again (measured: 18 s instead of 8 s for a `dbt parse`
    on the loaded 2-core machine). dbt is pointed at ``<home>/build/dbt/<name>`` instead, a link
    to the copy: one link per published warehouse and kind (building copy or the file itself),
    so two processes never share a link (writers of one warehouse hold its lock). DuckDB
    resolves the link: its write-ahead log lies beside the copy. Where no link can be made,
    dbt gets the real path (and parses in full).
    """
    warehouse = warehouse.resolve()
    published, _, building = warehouse.name.partition(".building-")
    digest = hashlib.sha256(str(warehouse.parent).encode()).hexdigest()[:12]
    link = config.paths().build / "dbt" / f"{published}-{digest}{'.building' if building else ''}.duckdb"
    if link.is_symlink() and os.readlink(link) == str(warehouse):
        return link
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        fresh = link.with_name(f"{link.name}.{os.getpid()}")
        fresh.unlink(missing_ok=True)
        os.symlink(warehouse, fresh)
        os.replace(fresh, link)  # atomic: a reader sees the old link or the new one
    except OSError:
        return warehouse
    return link


# dbt's per-node log lines: `12:00:01  12 of 207 OK created sql table model …` (START when a node begins)
_NODE_EVENT = re.compile(r"\b(\d+) of (\d+) (START|OK|PASS|FAIL|ERROR|WARN|SKIP|NO-OP)\b")


def run_dbt(
    args: list[str],
    *,
    warehouse_path: Path | None = None,
    stream: bool = False,
    on_progress: Progress = progress.ignore,
) -> DbtResult:
    """Run ``dbt <args>`` from the repo root; raise DbtError naming what failed.

    ``on_progress(done, total)`` follows dbt's node events (``12 of 207 OK …``).
    """
    command = [dbt_executable(), *args]
    env = dbt_environment(warehouse_path)
    env["LEDGERLAB_WAREHOUSE"] = str(parse_stable_path(Path(env["LEDGERLAB_WAREHOUSE"])))
    started_wall = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=config.REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        finished, total = 0, 0
        for line in process.stdout:
            lines.append(line)
            if stream:
                sys.stdout.write(line)
            node = _NODE_EVENT.search(line)
            if node and node.group(3) != "START":
                if int(node.group(2)) != total:  # the run-start hooks count on their own ("1 of 1")
                    finished, total = 0, int(node.group(2))
                finished += 1
                on_progress(finished, total)
        process.wait()
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM): dbt must not go on writing a warehouse the caller discards
        process.kill()
        process.wait()
        raise
    output = "".join(lines)
    result = DbtResult(command, time.perf_counter() - started, output)
    if process.returncode != 0:
        raise failure_from(args, process.returncode, lines, env, started_wall)
    return result


@dataclass(frozen=True)
class FailedNode:
    """One model, seed, snapshot or test that dbt reported as failed."""

    kind: str  # model | test | seed | snapshot | …
    status: str  # error | fail
    name: str  # the test's kind (relationships, not_null, a singular test's name) or the model's name
    model: str | None  # the model a test is attached to
    column: str | None
    rows: int | None  # failing rows of a test
    message: str
    path: str | None  # the yml or sql file that declares it

    def line(self) -> str:
        if self.kind == "test":
            where = f"{self.model}.{self.column}" if self.model and self.column else self.model
            rows = f": {self.rows:,} row(s)" if self.rows is not None and self.status == "fail" else ""
            status = "FAIL" if self.status == "fail" else "ERROR"
            text = f"{status} test {self.name}{f' on {where}' if where else ''}{rows}"
        else:
            text = f"ERROR {self.kind} {self.name}: {_cause(self.message)}"
        return f"{text} ({self.path})" if self.path else text


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return "no message"


def _cause(message: str | None) -> str:
    """The line of a dbt error that says what went wrong (not "Runtime Error in model x (path)")."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    causes = [line for line in lines if not re.match(r"^[\w ]*Error in \w+ ", line)]
    return (causes or lines or ["no message"])[0][:300]


def failed_nodes(target: Path) -> list[FailedNode] | None:
    """The failed nodes of dbt's last invocation, from ``run_results.json`` and ``manifest.json``.

    None when the files are missing or unreadable (dbt stopped before it ran a node).
    """
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return None
    try:
        nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        nodes = {}
    failed = []
    for result in results:
        if result.get("status") not in ("error", "fail", "runtime error"):
            continue
        unique_id = result.get("unique_id", "")
        node = nodes.get(unique_id, {})
        kind = unique_id.split(".", 1)[0] or "node"
        attached = node.get("attached_node") or ""
        metadata = node.get("test_metadata") or {}
        failed.append(
            FailedNode(
                kind=kind,
                status="fail" if result.get("status") == "fail" else "error",
                name=metadata.get("name") or node.get("name") or unique_id.rsplit(".", 1)[-1],
                model=attached.rsplit(".", 1)[-1] if attached else None,
                column=node.get("column_name"),
                rows=result.get("failures"),
                message=result.get("message") or "",
                path=node.get("original_file_path"),
            )
        )
    return failed


def failure_from(
    args: list[str], returncode: int, lines: list[str], env: dict[str, str], started_wall: float
) -> UserError:
    """The error to raise for a failed dbt invocation: a few lines a person can act on."""
    target = Path(env["DBT_TARGET_PATH"])
    log = Path(env["DBT_LOG_PATH"]) / "dbt.log"
    command = f"dbt {args[0]}" if args else "dbt"
    run_results = target / "run_results.json"
    fresh = run_results.exists() and run_results.stat().st_mtime >= started_wall - 1
    nodes = failed_nodes(target) if fresh else None
    if not nodes:
        # dbt stopped before running a node (a compilation error, no warehouse): its own last words
        # (the most specific is the last: "Runtime Error" comes before "IO Error: Cannot open file …")
        messages = [
            ln.strip()
            for ln in lines
            if any(tag in ln for tag in ("Error", "ERROR")) and "Encountered an error" not in ln
        ] or [ln.strip() for ln in lines if ln.strip()][-1:]
        last = _first_line(messages[-1]) if messages else "no output"
        return DbtError(f"{command} could not run (dbt exit {returncode}): {last} — full log: {log}")
    tests = [n for n in nodes if n.kind == "test"]
    others = [n for n in nodes if n.kind != "test"]
    counts = []
    if others:
        counts.append(f"{len(others)} model(s) failed to build")
    if tests:
        counts.append(f"{len(tests)} data test(s) failed")
    shown = (others + tests)[:SUMMARY_MAX_NODES]
    more = len(nodes) - len(shown)
    summary = [f"{command} failed: {' and '.join(counts)}"]
    summary += [f"  {node.line()}" for node in shown]
    if more:
        summary.append(f"  … and {more} more (all in {run_results})")
    summary.append(
        "  look at: marts.quarantine_rows (rows cleaning rejected, with reasons), "
        f"the failing test's SQL under {target / 'compiled'}, the dbt log {log}"
    )
    return DbtBuildFailed("\n".join(summary))


# dbt's docs page carries a Snowplow loader (used only when tracking is on,
# which this project never turns on). Neutralised anyway so the page holds no
# outside script address at all: it must open on an air-gapped network.
_DOCS_TRACKER = "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"


def build_static_docs(*, warehouse_path: Path | None = None) -> Path:
    """`dbt docs generate --static`, made air-gapped; returns the one HTML file."""
    run_dbt(["docs", "generate", "--static"], warehouse_path=warehouse_path)
    target = Path(dbt_environment(warehouse_path)["DBT_TARGET_PATH"])
    page = target / "static_index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace(_DOCS_TRACKER, "about:blank"), encoding="utf-8")
    return page
