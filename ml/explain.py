"""Explanations: global (permutation importance, partial dependence, odds ratios) and
per decision (top-3 reason codes).

Reason codes use one method for every model type (shap is not installed):
for a row x and an input feature j, the contribution is

    c_j(x) = logit f(x) - logit f(x with x_j replaced by its training median / mode)

computed on the full fitted pipeline (imputation, scaling and one-hot
included), so it is in log-odds units whether the model is logistic or
boosted. The three features with the largest positive contribution - the
ones that pushed this row's score up the most - are the reasons. For a
logistic model with no missing value this equals coefficient x (value -
median) on the standardised scale, the textbook points-based reason code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.inspection import permutation_importance

from ml.evaluate import logit
from ml.features import MISSING_CATEGORY


def baselines(x: np.ndarray, columns: Sequence[str], categorical: Sequence[str]) -> dict[str, object]:
    """Training medians (numbers, flags) and modes (categories): the 'typical' value of each input."""
    out: dict[str, object] = {}
    for j, name in enumerate(columns):
        col = x[:, j]
        if name in categorical:
            values, counts = np.unique(col.astype(str), return_counts=True)
            out[name] = str(values[np.argmax(counts)])
        else:
            numbers = col.astype(float)
            finite = numbers[~np.isnan(numbers)]
            out[name] = float(np.median(finite)) if finite.size else float("nan")
    return out


def contributions(model, x: np.ndarray, columns: Sequence[str], baseline: dict[str, object]) -> np.ndarray:
    """Matrix (rows x features) of log-odds contributions c_j(x) defined in the module docstring."""
    base_logit = logit(model.predict_proba(x)[:, 1])
    out = np.zeros((x.shape[0], len(columns)))
    for j, name in enumerate(columns):
        replaced = x.copy()
        replaced[:, j] = baseline[name]
        out[:, j] = base_logit - logit(model.predict_proba(replaced)[:, 1])
    return out


def _format_value(value) -> str:
    if isinstance(value, str):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if np.isnan(number):
        return "missing"
    if abs(number) >= 1000 or number == int(number):
        return f"{number:,.0f}"
    return f"{number:.3g}"


def reason_codes(
    model, x: np.ndarray, columns: Sequence[str], baseline: dict[str, object], top: int = 3
) -> list[list[str | None]]:
    """For each row, up to ``top`` reasons "feature=value (typical t; +c log-odds)"; None pads."""
    contrib = contributions(model, x, columns, baseline)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
    rows: list[list[str | None]] = []
    for i in range(x.shape[0]):
        reasons: list[str | None] = []
        for j in order[i]:
            if contrib[i, j] <= 1e-9:
                reasons.append(None)
                continue
            name = columns[j]
            reasons.append(
                f"{name}={_format_value(x[i, j])} (typical {_format_value(baseline[name])}; "
                f"+{contrib[i, j]:.2f} log-odds)"
            )
        rows.append(reasons)
    return rows


def permutation_importances(
    fitted: Sequence[tuple[object, np.ndarray, np.ndarray]],
    columns: Sequence[str],
    *,
    seed: int,
    repeats: int = 3,
) -> list[dict]:
    """Mean drop in ROC AUC when a feature is shuffled, averaged over (model, x_test, y_test) folds.

    Each model is scored on rows it did not see, so the importance is out of sample.
    """
    drops = []
    for model, x_test, y_test in fitted:
        if len(np.unique(y_test)) < 2:
            continue
        result = permutation_importance(
            model, x_test, y_test, scoring="roc_auc", n_repeats=repeats, random_state=seed, n_jobs=1
        )
        drops.append(result.importances_mean)
    if not drops:
        return []
    mean = np.mean(drops, axis=0)
    sd = np.std(drops, axis=0)
    ranked = np.argsort(-mean, kind="stable")
    return [{"feature": columns[j], "auc_drop": float(mean[j]), "sd_across_folds": float(sd[j])} for j in ranked]


def partial_dependence(
    model,
    x: np.ndarray,
    columns: Sequence[str],
    feature: str,
    *,
    grid_points: int = 20,
    max_rows: int = 2000,
    seed: int = 0,
) -> dict:
    """Average predicted probability as ``feature`` is set to each grid value (5th-95th percentile)."""
    j = list(columns).index(feature)
    rng = np.random.default_rng(seed)
    rows = x if x.shape[0] <= max_rows else x[rng.choice(x.shape[0], max_rows, replace=False)]
    values = rows[:, j].astype(float)
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return {"feature": feature, "grid": [], "average_prediction": []}
    grid = np.unique(np.quantile(finite, np.linspace(0.05, 0.95, grid_points)))
    averages = []
    for value in grid:
        changed = rows.copy()
        changed[:, j] = value
        averages.append(float(np.mean(model.predict_proba(changed)[:, 1])))
    return {"feature": feature, "grid": grid.tolist(), "average_prediction": averages}


def odds_ratios(logistic_pipeline, feature_names: Sequence[str]) -> list[dict]:
    """exp(coefficient) per transformed feature: per standard deviation for numbers (scaled),
    per category against the average for one-hot levels; sorted by distance from 1."""
    model = logistic_pipeline.named_steps["model"]
    coefs = model.coef_.ravel()
    rows = [
        {"feature": str(name), "coefficient": float(c), "odds_ratio": float(np.exp(c))}
        for name, c in zip(feature_names, coefs, strict=True)
    ]
    return sorted(rows, key=lambda r: -abs(r["coefficient"]))


def reasons_frame(reasons: list[list[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {f"reason_{k + 1}": [r[k] if k < len(r) else None for r in reasons] for k in range(3)},
        schema={f"reason_{k + 1}": pl.String for k in range(3)},
    )


__all__ = [
    "MISSING_CATEGORY",
    "baselines",
    "contributions",
    "odds_ratios",
    "partial_dependence",
    "permutation_importances",
    "reason_codes",
    "reasons_frame",
]
