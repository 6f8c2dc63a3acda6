"""The one model fit both P3 routes end with, so that only the data preparation differs.

The loan_default task's gradient-boosting candidate exactly as ``ml/`` builds
it (``ml.models.build_pipeline``: ColumnTransformer with median imputation +
indicators, scaling, one-hot, then HistGradientBoostingClassifier with the
YAML's fixed params and ``random_state``), on the task's features derived by
``ml.features``, fitted once on every labelled row — no hyper-parameter
search, no CV: ``ledgerlab train`` does much more (nested CV over three
candidates, calibration, explanations) and is benchmarked as its own stage.

    python -m bench.model_fit --warehouse FILE      # ledgerlab's route: reads marts.loan_features
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

TASK = "loan_default"


def fit_loan_default(loan_features: pd.DataFrame | pl.DataFrame) -> dict[str, float | int]:
    """Fit the task's HistGradientBoosting pipeline on ``loan_features``; returns timing and a check value."""
    from ml.features import build_features, to_matrix
    from ml.models import build_pipeline
    from ml.tasks import load_task

    started = time.perf_counter()
    task = load_task(TASK)
    candidate = next(c for c in task.candidates if c.estimator == "hist_gradient_boosting")
    frame = loan_features if isinstance(loan_features, pl.DataFrame) else pl.from_pandas(loan_features)
    frame = frame.filter(pl.col(task.target).is_not_null()).sort([task.date_column or task.key, task.key])
    features = build_features(frame, task.feature_steps)
    x = to_matrix(features, task.numeric, task.binary, task.categorical)
    y = frame.get_column(task.target).cast(pl.Int8).to_numpy().astype(int)
    model = build_pipeline(task, candidate).fit(x, y)
    p = model.predict_proba(x)[:, 1]
    return {
        "fit_seconds": time.perf_counter() - started,
        "fit_rows": int(len(y)),
        "fit_positives": int(y.sum()),
        "train_mean_score": float(np.mean(p)),
    }


def read_loan_features(warehouse: Path) -> pl.DataFrame:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return pl.from_arrow(con.sql("select * from marts.loan_features").arrow())
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit loan_default's HistGradientBoosting pipeline once.")
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = read_loan_features(args.warehouse)
    read_s = time.perf_counter() - started
    out = fit_loan_default(frame)
    print(f"read_seconds={read_s:.3f} " + " ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
