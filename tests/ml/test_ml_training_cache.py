"""The training cache (``ml.cache``): reused only when data, task and code are all unchanged.

A small loan_default task (two candidates, 2 folds, no repeats) on a hand-made mart.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import synthetic_marts
import yaml

import ml.tasks
from ml import cache
from ml.train import train_task

# Trains the small task a dozen times (about 20 s on an idle 2-core machine).
pytestmark = pytest.mark.slow

FIGURES = ("roc_auc", "roc_auc_ci", "brier", "threshold", "calibration_slope", "selected_model", "hyperparameters")


def small_task(folder: Path, n_iter: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = yaml.safe_load((ml.tasks.TASKS_DIR / "loan_default.yaml").read_text())
    spec["split"].update({"cv_repeats": 1, "cv_folds": 2})
    spec["search"].update({"n_iter": n_iter, "inner_folds": 2})
    spec["bootstrap_reps"] = 20
    spec["candidates"] = {k: v for k, v in spec["candidates"].items() if k in ("dummy", "logistic")}
    (folder / "loan_default.yaml").write_text(yaml.safe_dump(spec))
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("LEDGERLAB_ML_JOBS", "1")
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(ml.tasks, "TASKS_DIR", small_task(tmp_path / "tasks"))
    write(tmp_path, synthetic_marts.loan_features(200, seed=5))
    return tmp_path


def write(home: Path, frame: pl.DataFrame) -> None:
    synthetic_marts.write_warehouse(
        home / "wh.duckdb",
        {"loan_features": frame},
        raw_dir=home / "raw",
        truths={"loans.parquet": synthetic_marts.loan_truth(frame)},
    )


def train() -> dict:
    return train_task("loan_default", allow_failed_quality=True).metrics


def test_same_data_task_and_code_reuse_the_fit_with_the_same_figures(home):
    first = train()
    assert first["training_cache"]["hit"] is False
    assert cache.entry_path("loan_default").is_file()
    again = train()
    assert again["training_cache"] == {**first["training_cache"], "hit": True}
    for key in FIGURES:
        assert again[key] == first[key], key
    assert again["out_of_time"] == first["out_of_time"]
    assert again["candidates"] == first["candidates"]
    assert "search" in first["timings_seconds"] and "search" not in again["timings_seconds"]
    written = json.loads((home / "reports/models/loan_default/metrics.json").read_text())
    assert written["training_cache"]["hit"] is True and written["roc_auc"] == first["roc_auc"]


def test_changed_mart_rows_miss(home):
    first = train()
    frame = synthetic_marts.loan_features(200, seed=5)
    row_7 = pl.int_range(pl.len()) == 7
    write(home, frame.with_columns(pl.when(row_7).then(pl.col("loan_amount") + 1).otherwise(pl.col("loan_amount"))))
    assert train()["training_cache"]["hit"] is False  # a float that moved: same key, floats differ
    exact = next(c for c, t in frame.schema.items() if t.is_integer() and c != "loan_id")
    write(home, frame.with_columns(pl.when(row_7).then(pl.col(exact) + 1).otherwise(pl.col(exact))))
    again = train()
    assert again["training_cache"]["hit"] is False
    assert again["training_cache"]["key"] != first["training_cache"]["key"]


def test_float_noise_of_a_rebuild_still_hits(home):
    """DuckDB's parallel sums move the last digits of a float between two builds of the same data."""
    first = train()
    frame = synthetic_marts.loan_features(200, seed=5)
    floats = [c for c, t in frame.schema.items() if t.is_float() and c != "true_pd"]
    assert floats
    write(home, frame.with_columns(pl.col(c) * (1 + 1e-13) for c in floats))
    again = train()
    assert again["training_cache"]["hit"] is True and again["roc_auc"] == first["roc_auc"]
    write(home, frame.with_columns(pl.col(floats[0]) * (1 + 1e-6)))  # beyond the tolerance: another mart
    assert train()["training_cache"]["hit"] is False


def test_changed_task_configuration_misses(home):
    first = train()
    small_task(home / "tasks", n_iter=3)
    again = train()
    assert again["training_cache"]["hit"] is False
    assert again["training_cache"]["key"] != first["training_cache"]["key"]
    assert train()["training_cache"]["hit"] is True  # and the new configuration is cached in turn


def test_changed_code_misses(home, monkeypatch):
    train()
    monkeypatch.setattr(cache, "code_version", lambda root=cache.ML_ROOT: "another version of ml/")
    assert train()["training_cache"]["hit"] is False


def test_code_version_follows_every_source_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = cache.code_version(tmp_path)
    assert cache.code_version(tmp_path) == before
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert cache.code_version(tmp_path) != before
    assert cache.code_version(cache.ML_ROOT) != before


def test_unreadable_entry_is_a_miss_and_is_replaced(home):
    train()
    cache.entry_path("loan_default").write_bytes(b"not a pickle")
    assert train()["training_cache"]["hit"] is False
    assert train()["training_cache"]["hit"] is True


def test_cache_can_be_turned_off(home, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "0")
    train()
    assert not cache.entry_path("loan_default").exists()
    assert train()["training_cache"]["hit"] is False
