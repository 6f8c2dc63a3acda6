"""Running dbt from Python exactly as an analyst runs it from the repo root."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ledgerlab import config
from ledgerlab.errors import UserError


class DbtError(UserError):
    """dbt reported errors or failing tests."""


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


def run_dbt(args: list[str], *, warehouse_path: Path | None = None, stream: bool = False) -> DbtResult:
    """Run ``dbt <args>`` from the repo root; raise DbtError naming what failed."""
    command = [dbt_executable(), *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=config.REPO_ROOT, env=dbt_environment(warehouse_path),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if stream:
            sys.stdout.write(line)
    process.wait()
    output = "".join(lines)
    result = DbtResult(command, time.perf_counter() - started, output)
    if process.returncode != 0:
        failures = [
            ln.strip() for ln in lines
            if any(tag in ln for tag in ("ERROR creating", "FAIL ", "ERROR ", "Compilation Error", "Runtime Error"))
        ]
        shown = "; ".join(failures[:3]) or output.strip().splitlines()[-1:]
        raise DbtError(f"dbt {' '.join(args)} failed (exit {process.returncode}): {shown} — see {config.paths().home / 'logs' / 'dbt.log'}")
    return result


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
