"""The CLI's contract for errors: no traceback, a last line that says what to do, the documented exit code.

Every command of the Typer app is run (found by introspection, so a new
command without a case here fails the test) with bad arguments and in an
empty home, where no step has run yet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from ledgerlab.cli import app
from ledgerlab.core import config, errors

COMMANDS = sorted(typer.main.get_command(app).commands)

# command -> (arguments, exit code, text the last line of stderr holds), run in an empty home
EMPTY_HOME_CASES: dict[str, tuple[list[str], int, str]] = {
    "generate": (["--accounts", "0"], errors.EXIT_USER_ERROR, "Invalid value for '--accounts'"),
    "ingest": (["--raw", "{home}/no-such-folder"], errors.EXIT_USER_ERROR, "no-such-folder: raw data folder not found"),
    "build": ([], errors.EXIT_USER_ERROR, "run `ledgerlab ingest --raw DIR` first"),
    "docs": ([], errors.EXIT_USER_ERROR, "run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"),
    "validate": ([], errors.EXIT_USER_ERROR, "run `ledgerlab ingest` and `ledgerlab build` first"),
    "train": ([], errors.EXIT_USER_ERROR, "run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"),
    "score": ([], errors.EXIT_USER_ERROR, "run `ledgerlab ingest --raw DIR` and `ledgerlab build` first"),
    "predict": (
        ["--input", "{home}/rows.parquet"],
        errors.EXIT_USER_ERROR,
        "run `ledgerlab train --task loan_default`",
    ),
    # the report is written with what exists and names each missing part (exit 0 by design)
    "report": ([], errors.EXIT_OK, "run `ledgerlab train --task card_default`"),
    "run": (["--accounts", "0"], errors.EXIT_USER_ERROR, "Invalid value for '--accounts'"),
}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGERLAB_", "DBT_"))}
    env.update(LEDGERLAB_HOME=str(home), DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false")
    return env


def _ledgerlab(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledgerlab", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=home,
        timeout=300,
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_every_command_has_an_error_case() -> None:
    assert COMMANDS == sorted(EMPTY_HOME_CASES), "add the new command to EMPTY_HOME_CASES"


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty_home")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_in_an_empty_home_says_what_to_run_first(command: str, empty_home: Path) -> None:
    args, code, expected = EMPTY_HOME_CASES[command]
    proc = _ledgerlab(empty_home, command, *(a.format(home=empty_home) for a in args))
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == code, proc.stderr
    where = proc.stderr if code else proc.stdout
    if code:
        assert expected in _last_line(where), where
    else:
        assert expected in where
    assert not (empty_home / "warehouse" / "ledgerlab.duckdb").exists(), "a refused command wrote a warehouse"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_a_one_line_usage_error(command: str, tmp_path: Path) -> None:
    proc = _ledgerlab(tmp_path, command, "--no-such-option")
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == errors.EXIT_USER_ERROR
    assert _last_line(proc.stderr) == "Error: No such option: --no-such-option"


def test_run_refuses_an_unknown_task_before_doing_anything(tmp_path: Path) -> None:
    proc = _ledgerlab(tmp_path, "run", "--task", "loan_defualt")
    assert proc.returncode == errors.EXIT_USER_ERROR
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown task loan_defualt" in proc.stderr and "loan_default" in proc.stderr
    assert not (tmp_path / "data").exists(), "nothing may be generated for a refused run"


def test_exit_codes_are_the_ones_the_readme_documents() -> None:
    readme = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| `(\d+)` \|", section, flags=re.MULTILINE)}
    defined = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert documented == defined
    for kind in (errors.UserError, errors.MissingStep):
        assert kind.exit_code == errors.EXIT_USER_ERROR
    assert errors.DataCheckFailed.exit_code == errors.EXIT_DATA_FAILED
    assert errors.WarehouseBusy.exit_code == errors.EXIT_BUSY
    assert errors.Interrupted.exit_code == errors.EXIT_INTERRUPTED
