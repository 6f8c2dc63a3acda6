"""Train + score on a temporary DuckDB warehouse holding a hand-made ``marts.loan_features``.

The task is the real ``loan_default`` YAML with a smaller search and one CV
repeat (same code path, a fraction of the time).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import polars as pl
import pytest
import synthetic_marts
import yaml

import ml.tasks
from ledgerlab.core.quality_gate import QualityGateError
from ml.errors import FeatureError, ModelIntegrityError, TaskSkipped
from ml.predict import predict_file
from ml.score import score_task
from ml.train import train_task

# Trains several small models (about 30 s on an idle 2-core machine; more when it is busy).
pytestmark = pytest.mark.slow

REQUIRED_TOP_LEVEL = {
    "roc_auc",
    "pr_auc",
    "brier",
    "n_train",
    "n_test",
    "oracle_roc_auc",
    "roc_auc_ci",
    "gini",
    "ks",
    "log_loss",
    "calibration_slope",
    "calibration_intercept",
    "threshold",
    "confusion_matrix",
    "selected_model",
    "model_version",
    "candidates",
}


def fast_tasks_dir(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in ml.tasks.available_tasks():
        spec = yaml.safe_load((ml.tasks.TASKS_DIR / f"{name}.yaml").read_text())
        spec["split"].update({"cv_repeats": 1, "cv_folds": 3})
        spec["search"].update({"n_iter": 2, "inner_folds": 2})
        spec["bootstrap_reps"] = 100
        for candidate in spec["candidates"].values():
            if "max_iter" in candidate.get("search", {}):
                candidate["search"]["max_iter"] = {"choice": [30]}
        (target / f"{name}.yaml").write_text(yaml.safe_dump(spec))
    return target


def _env(mp: pytest.MonkeyPatch, home: Path, tasks_dir: Path) -> Path:
    warehouse = home / "wh.duckdb"
    mp.setenv("LEDGERLAB_HOME", str(home))
    mp.setenv("LEDGERLAB_WAREHOUSE", str(warehouse))
    mp.setattr(ml.tasks, "TASKS_DIR", tasks_dir)
    return warehouse


def _make_warehouse(home: Path, frame: pl.DataFrame) -> Path:
    warehouse = home / "wh.duckdb"
    synthetic_marts.write_warehouse(
        warehouse,
        {"loan_features": frame},
        raw_dir=home / "raw",
        truths={"loans.parquet": synthetic_marts.loan_truth(frame)},
    )
    return warehouse


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ml_e2e")
    tasks_dir = fast_tasks_dir(root / "tasks")
    home = root / "home"
    frame = synthetic_marts.loan_features(400, seed=11)
    with pytest.MonkeyPatch.context() as mp:
        warehouse = _env(mp, home, tasks_dir)
        _make_warehouse(home, frame)
        result = train_task("loan_default")
        scored = score_task("loan_default")
        yield SimpleNamespace(
            root=root,
            home=home,
            warehouse=warehouse,
            tasks_dir=tasks_dir,
            frame=frame,
            result=result,
            scored=scored,
            mp=mp,
        )


def test_metrics_json_has_the_contract_keys(trained):
    metrics = json.loads((trained.home / "reports/models/loan_default/metrics.json").read_text())
    assert REQUIRED_TOP_LEVEL <= set(metrics)
    assert metrics["selected_model"] in metrics["candidates"]
    assert set(metrics["candidates"]) == {"dummy", "logistic", "hist_gradient_boosting"}
    assert metrics["n_test"] == 400 and metrics["n_train"] == 400
    assert 0.5 < metrics["oracle_roc_auc"] <= 1
    assert metrics["oracle"]["roc_auc"] == metrics["oracle_roc_auc"]
    assert metrics["roc_auc_ci"][0] <= metrics["roc_auc"] <= metrics["roc_auc_ci"][1]
    assert metrics["gini"] == pytest.approx(2 * metrics["roc_auc"] - 1)
    assert metrics["candidates"]["dummy"]["roc_auc"] == pytest.approx(0.5, abs=0.1)
    assert metrics["roc_auc"] > 0.6  # the outcome depends strongly on instalment / income
    assert set(metrics["fairness"]) == {"owner_gender", "owner_age_band"}
    assert metrics["quality_gate"]["status"] == "not_validated"
    assert metrics["explanations"]["permutation_importance"]
    assert metrics["explanations"]["odds_ratios"]
    lines = trained.result.lines()
    assert any("oracle" in line for line in lines) and any("ROC AUC" in line for line in lines)


def test_model_folder_latest_pointer_and_inventory(trained):
    models = trained.home / "models"
    latest = json.loads((models / "loan_default" / "latest").read_text())
    folder = models / "loan_default" / latest["version"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["model_sha256"] == latest["model_sha256"]
    assert {c["name"] for c in meta["feature_contract"]["columns"]} >= {"monthly_payment", "mean_monthly_inflow"}
    assert meta["git_commit"] and meta["library_versions"]["scikit-learn"]
    assert meta["quality_gate"]["allow_failed_quality"] is False
    inventory = json.loads((models / "inventory.json").read_text())
    assert any(e["version"] == latest["version"] and e["sha256"] == latest["model_sha256"] for e in inventory["models"])


def test_model_card_is_self_contained(trained):
    html = (trained.home / "reports/models/loan_default/model_card.html").read_text()
    assert "<script" not in html  # static SVG figures: no script, nothing loaded from anywhere
    assert not re.search(r"\b(src|href)=\"?(https?:)?//", html)
    assert len(re.findall(r"<svg ", html)) >= 5  # ROC, PR, calibration, importance, score distribution
    assert len(html) < 200_000  # plotly.js alone was 4.9 MB
    assert "Fairness" in html and "oracle" in html and "Limitations" in html
    assert (trained.home / "reports/models/loan_default/model_card.md").read_text().startswith("# Model card")


def _later_cohort(trained) -> pl.DataFrame:
    cutoff = dt.date.fromisoformat(trained.result.metrics["out_of_time"]["cutoff"])
    return trained.frame.filter(pl.col("loan_date") >= cutoff)


def test_out_of_time_is_reported_beside_cross_validation(trained):
    metrics = json.loads((trained.home / "reports/models/loan_default/metrics.json").read_text())
    oot = metrics["out_of_time"]
    later = _later_cohort(trained)
    # the latest 20 % of the 400 loans by loan_date, cut at a day boundary
    assert oot["column"] == "loan_date" and oot["n"] == later.height and 70 <= oot["n"] <= 90
    assert oot["n_train"] + oot["n"] == 400
    assert oot["train_range"][1] < oot["cutoff"] <= oot["evaluate_range"][0]
    assert oot["positives"] == int(later["is_default"].sum())
    for key in ("roc_auc", "pr_auc", "brier", "calibration_slope", "calibration_intercept"):
        assert isinstance(oot[key], float), key
    assert 0.5 < oot["roc_auc"] <= 1 and 0 < oot["brier"] < 0.25
    assert oot["roc_auc_gap"] == pytest.approx(metrics["roc_auc"] - oot["roc_auc"])
    assert "out of time" in " ".join(trained.result.lines())
    assert metrics["evaluation"]["selection_figure"] == "cross_validation"
    # the deployed model is the one fitted before the cut-off; it scores the later cohort
    assert metrics["deployed_model"]["rows"] == oot["n_train"]
    assert metrics["deployed_model"]["scoring_population"]["population"] == "out_of_time"
    # metrics.json is the same in the model folder and in reports/
    folder = trained.home / "models/loan_default" / metrics["model_version"]
    assert (folder / "metrics.json").read_bytes() == (
        trained.home / "reports/models/loan_default/metrics.json"
    ).read_bytes()
    card = (trained.home / "reports/models/loan_default/model_card.html").read_text()
    assert "Out-of-time validation" in card and f"{oot['roc_auc']:.3f}" in card


def test_scores_table_holds_the_later_cohort_with_reasons(trained):
    con = duckdb.connect(str(trained.warehouse), read_only=True)
    try:
        scores = con.sql("select * from ml.scores_loan_default").pl()
    finally:
        con.close()
    later = _later_cohort(trained)
    assert scores.height == later.height
    assert scores.columns == [
        "loan_id",
        "score",
        "decile",
        "reason_1",
        "reason_2",
        "reason_3",
        "model_version",
        "scored_at",
    ]
    assert sorted(scores["loan_id"].to_list()) == sorted(later["loan_id"].to_list())
    assert scores["decile"].min() >= 1 and scores["decile"].max() <= 10
    top = scores.sort("score", descending=True).head(20)
    assert top["reason_1"].null_count() == 0
    drift = json.loads((trained.home / "reports/models/loan_default/drift.json").read_text())
    assert drift["population"]["population"] == "out_of_time" and drift["population"]["rows"] == later.height
    assert drift["score"]["psi"] > 0  # two different populations (80 rows: too few to judge the size)
    assert any("PSI" in line for line in trained.scored.lines())


def test_drift_rises_under_a_shift_and_not_without(trained):
    """The trained model's training population against fresh later cohorts: PSI > 0.1 when
    income is shifted, < 0.1 when it is not (the thresholds of ml.drift)."""
    from ml import artifacts
    from ml.score import drift_report, score_frame

    model, metadata = artifacts.load_model("loan_default")
    psi = {}
    for factor in (1.0, 2.5):
        rows = synthetic_marts.loan_features(3000, seed=21, income_factor=factor).drop("true_pd")
        scored, x, _ = score_frame(model, metadata, rows, "test")
        report = drift_report(metadata, x, scored.get_column("score").to_numpy())
        psi[factor] = max([report["score"]["psi"], *[f["psi"] for f in report["features"]]])
    assert psi[1.0] < 0.1 < psi[2.5], psi


def test_predict_file_matches_the_warehouse_scores(trained, tmp_path):
    rows = _later_cohort(trained).drop("true_pd").head(25)
    path = tmp_path / "rows.parquet"
    rows.write_parquet(path)
    out = predict_file("loan_default", path)
    assert out == tmp_path / "rows.scores.parquet"
    predicted = pl.read_parquet(out)
    con = duckdb.connect(str(trained.warehouse), read_only=True)
    try:
        table = con.sql("select loan_id, score from ml.scores_loan_default").pl()
    finally:
        con.close()
    joined = predicted.join(table, on="loan_id", suffix="_table")
    assert joined.height == 25
    assert (joined["score"] - joined["score_table"]).abs().max() < 1e-12
    csv_out = predict_file("loan_default", path, tmp_path / "out.csv")
    assert pl.read_csv(csv_out).height == 25


def test_contract_refusal_on_a_missing_column(trained, tmp_path):
    path = tmp_path / "rows.parquet"
    trained.frame.drop(["true_pd", "monthly_payment"]).head(5).write_parquet(path)
    with pytest.raises(FeatureError, match="monthly_payment"):
        predict_file("loan_default", path)


def test_contract_refusal_on_a_wrong_type(trained, tmp_path):
    path = tmp_path / "rows.parquet"
    trained.frame.drop("true_pd").head(5).with_columns(pl.col("loan_amount").cast(pl.String) + "x").write_parquet(path)
    with pytest.raises(FeatureError, match="loan_amount"):
        predict_file("loan_default", path)


def test_tampered_model_is_refused(trained, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(trained.home, home)
    monkeypatch.setenv("LEDGERLAB_HOME", str(home))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(home / "wh.duckdb"))
    latest = json.loads((home / "models/loan_default/latest").read_text())
    model_file = home / "models/loan_default" / latest["version"] / "model.joblib"
    with model_file.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        score_task("loan_default")


def test_same_seed_same_metrics(trained, tmp_path, monkeypatch):
    home = tmp_path / "again"
    home.mkdir()
    shutil.copy(trained.warehouse, home / "wh.duckdb")
    shutil.copytree(trained.home / "raw", home / "raw")
    monkeypatch.setenv("LEDGERLAB_HOME", str(home))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(home / "wh.duckdb"))
    again = train_task("loan_default").metrics
    first = trained.result.metrics
    for key in ("roc_auc", "roc_auc_ci", "brier", "threshold", "calibration_slope", "selected_model", "oracle_roc_auc"):
        assert again[key] == first[key], key
    for name, candidate in first["candidates"].items():
        assert again["candidates"][name]["roc_auc"] == candidate["roc_auc"]
    assert again["model_version"].split("-")[1] == first["model_version"].split("-")[1]  # same data


def test_empty_and_tiny_marts_skip(trained, tmp_path, monkeypatch):
    for rows, message in ((0, "empty"), (40, "fewer than")):
        home = tmp_path / f"skip{rows}"
        frame = synthetic_marts.loan_features(max(rows, 1), seed=2).head(rows)
        _make_warehouse(home, frame)
        monkeypatch.setenv("LEDGERLAB_HOME", str(home))
        monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(home / "wh.duckdb"))
        with pytest.raises(TaskSkipped, match=message):
            train_task("loan_default")


def test_quality_gate_blocks_training_unless_allowed(trained, tmp_path, monkeypatch):
    home = tmp_path / "gate"
    warehouse = _make_warehouse(home, synthetic_marts.loan_features(200, seed=5))
    con = duckdb.connect(str(warehouse))
    con.execute("create schema quality")
    con.execute(
        "create table quality.validation_runs as select 'run1' as run_id, now() as run_at, "
        "'fp' as data_fingerprint, null::varchar as report_path"
    )
    con.execute(
        "create table quality.validation_results as select 'run1' as run_id, 'marts' as suite, "
        "'loan_key_unique' as expectation_id, false as success, 'blocking' as severity"
    )
    con.close()
    monkeypatch.setenv("LEDGERLAB_HOME", str(home))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(warehouse))
    with pytest.raises(QualityGateError, match="blocking"):
        train_task("loan_default")
    result = train_task("loan_default", allow_failed_quality=True)
    assert result.metrics["quality_gate"]["allow_failed_quality"] is True
    assert result.metrics["quality_gate"]["status"] == "failed_blocking"
