"""Long steps report progress with counts: dbt nodes from dbt's own event lines."""

from __future__ import annotations

import sys
from pathlib import Path

from ledgerlab import dbt


def test_dbt_progress_counts_finished_nodes_per_run(tmp_path: Path, monkeypatch) -> None:
    # a stand-in for dbt that prints dbt's event lines: a run-start hook, then three nodes
    fake = tmp_path / "dbt"
    fake.write_text(
        "#!" + sys.executable + "\n"
        "print('00:00:01  1 of 1 START hook: ledgerlab.on-run-start.0')\n"
        "print('00:00:01  1 of 1 OK hook: ledgerlab.on-run-start.0')\n"
        "for i in range(1, 4):\n"
        "    print(f'00:00:02  {i} of 3 START sql view model staging.m{i}')\n"
        "    print(f'00:00:02  {i} of 3 OK created sql view model staging.m{i}')\n"
        "print('Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3')\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(dbt, "dbt_executable", lambda: str(fake))
    seen: list[tuple[int, int]] = []
    result = dbt.run_dbt(
        ["build"], warehouse_path=tmp_path / "w.duckdb", on_progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 1), (1, 3), (2, 3), (3, 3)]
    assert result.summary_line() == "PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3"
