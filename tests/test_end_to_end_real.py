"""The real CLI, end to end, on the real Berka files and the Taiwan file.

The run (the session fixture ``real_run`` in tests/conftest.py) is shared with
tests/dbt/test_real_facts.py, which checks the published facts on its warehouse.
This file is apart from test_end_to_end.py so that pytest-xdist runs the two
longest runs of the suite on different workers.
"""

from __future__ import annotations

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def test_run_on_real_berka_files(real_run) -> None:
    home, proc = real_run
    assert proc.returncode == 0, f"ledgerlab run --raw failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    con = duckdb.connect(str(home / "warehouse" / "ledgerlab.duckdb"), read_only=True)
    genders = dict(con.execute("select gender, count(*) from staging.stg_berka__clients group by 1").fetchall())
    assert genders == {"M": 2724, "F": 2645}
    statuses = dict(con.execute("select loan_status, count(*) from marts.loan_features group by 1").fetchall())
    assert statuses == {"A": 203, "B": 31, "C": 403, "D": 45}
    for task in ("loan_default", "card_propensity"):
        assert (home / "reports/models" / task / "metrics.json").is_file(), f"{task} was not trained"
    assert (home / "reports/insights/index.html").is_file()
