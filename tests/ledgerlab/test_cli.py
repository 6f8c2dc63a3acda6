"""The CLI's contract for user errors: one line on stderr, exit 2, nothing run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_run_refuses_an_unknown_task_before_doing_anything(tmp_path: Path) -> None:
    env = {"LEDGERLAB_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "ledgerlab", "run", "--task", "loan_defualt"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown task loan_defualt" in proc.stderr and "loan_default" in proc.stderr
    assert not (tmp_path / "data").exists(), "nothing may be generated for a refused run"
