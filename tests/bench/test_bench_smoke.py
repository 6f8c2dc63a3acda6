"""The benchmark harness runs end to end at a tiny size and writes well-formed results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerlab.core import config

SMOKE_STAGES = ("generate", "ingest", "floor", "pandas")


@pytest.mark.timeout(180)
def test_smoke_run_writes_a_complete_summary(tmp_path: Path) -> None:
    out = tmp_path / "results"
    summary_path = tmp_path / "benchmarks.json"
    plot_path = tmp_path / "plot.svg"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--smoke",
            "--sizes",
            "200",
            "--stages",
            ",".join(SMOKE_STAGES),
            "--out",
            str(out),
            "--json",
            str(summary_path),
            "--plot",
            str(plot_path),
        ],
        cwd=config.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    summary = json.loads(summary_path.read_text())
    assert set(summary) >= {"machine", "goals", "goal_notes", "sizes"}
    assert set(summary["goals"]) == {
        "p1_seconds",
        "p1_floor_seconds",
        "p1_ratio_to_floor",
        "p1b_ratio_to_floor_10m",
        "p2_seconds_100m",
        "p2_peak_rss_gb",
        "p2_linearity",
        "p3_speedup_vs_pandas_10m",
        "p4_gx_ratio_to_sql",
        "p5_make_test_seconds",
    }
    # nothing at the goal sizes was measured: every goal is null and says why
    assert all(v is None for v in summary["goals"].values())
    assert set(summary["goal_notes"]) == set(summary["goals"])

    stages = summary["sizes"]["200"]["stages"]
    assert set(stages) == set(SMOKE_STAGES)
    for name, stage in stages.items():
        assert stage["status"] == "ok", (name, stage.get("error"))
        for key in ("wall_s", "cpu_s", "max_rss_gb", "tree_rss_gb"):
            assert isinstance(stage[key], float) and stage[key] > 0, (name, key, stage.get(key))
    assert summary["sizes"]["200"]["transactions"] > 0
    assert stages["floor"]["facts"]["loan_features"] > 0

    # one record per stage, appended as it was measured
    records = [json.loads(line) for line in (out / "200" / "records.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in records] == list(SMOKE_STAGES)
    assert plot_path.read_text().lstrip().startswith("<svg")
    # the user's warehouse is never touched: everything lives under --out
    assert (out / "200" / "warehouse.duckdb").exists()
