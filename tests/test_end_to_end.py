"""The real CLI, end to end, on a small generated bank (the real files: test_end_to_end_real.py).

These are the README's promise in miniature: one `ledgerlab run` leaves a
warehouse, quality report, metrics, a saved model, scores and the insight
report — and every figure in them comes from this run's data.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory, run_ledgerlab) -> Path:
    home = tmp_path_factory.mktemp("e2e_small")
    # Seed 15 gives 137 loans with 21 bad ones: loan_default needs 15 positives (min_positives),
    # and 800 accounts keep the run short. A generator change can move that count.
    proc = run_ledgerlab(["run", "--accounts", "800", "--seed", "15"], home)
    assert proc.returncode == 0, f"ledgerlab run failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    assert "skipped: loan_default" not in proc.stdout, (
        "loan_default was skipped (too few bad loans for this seed): choose another seed\n" + proc.stdout[-2000:]
    )
    return home


def test_run_leaves_every_output(small_run: Path) -> None:
    for relative in [
        "warehouse/ledgerlab.duckdb",
        "reports/quality/index.html",
        "reports/quality/summary.json",
        "reports/models/loan_default/metrics.json",
        "reports/models/loan_default/model_card.html",
        "reports/insights/index.html",
        "models/inventory.json",
    ]:
        assert (small_run / relative).is_file(), f"missing output {relative}"
    assert any((small_run / "models" / "loan_default").rglob("*.joblib")), "no saved model"


def test_run_metrics_are_real_and_near_the_oracle(small_run: Path) -> None:
    metrics = json.loads((small_run / "reports/models/loan_default/metrics.json").read_text())
    for key in ("roc_auc", "pr_auc", "brier", "n_train", "n_test", "oracle_roc_auc"):
        assert key in metrics, f"metrics.json lacks {key}"
    assert metrics["n_train"] > 0 and metrics["n_test"] > 0
    assert 0.0 <= metrics["brier"] <= 0.5
    # 800 accounts give ~120 loans: the model must beat chance, the oracle bounds it.
    assert metrics["roc_auc"] > 0.5
    assert metrics["oracle_roc_auc"] > 0.6


def test_run_writes_one_score_per_loan(small_run: Path) -> None:
    # loan_default scores its scoring population: the loans from the out-of-time cut-off on
    # (every loan when the earlier cohort was too small to fit on), as drift.json records
    population = json.loads((small_run / "reports/models/loan_default/drift.json").read_text())["population"]
    con = duckdb.connect(str(small_run / "warehouse" / "ledgerlab.duckdb"), read_only=True)
    where = f"where loan_date >= date '{population['cutoff']}'" if population["population"] == "out_of_time" else ""
    loans = con.execute(f"select count(*) from marts.loan_features {where}").fetchall()[0][0]
    scored, distinct = con.execute("select count(*), count(distinct loan_id) from ml.scores_loan_default").fetchall()[0]
    assert loans > 0 and scored == loans == distinct
    out_of_range = con.execute("select count(*) from ml.scores_loan_default where score < 0 or score > 1").fetchall()[
        0
    ][0]
    assert out_of_range == 0


def test_quality_summary_names_suites(small_run: Path) -> None:
    summary = json.loads((small_run / "reports/quality/summary.json").read_text())
    assert summary["suites"], "summary.json lists no suites"


def test_train_alone_names_the_source_that_was_not_ingested(small_run: Path, run_ledgerlab) -> None:
    """`ledgerlab train` on its own says what `ledgerlab run` says: which source its empty mart lacks."""
    proc = run_ledgerlab(["train", "--task", "card_default"], small_run)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "card_default" in output and "source taiwan not ingested" in output, output
    assert "Traceback" not in output
