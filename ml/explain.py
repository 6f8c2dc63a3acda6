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
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

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
        drops.append(_importance_drops(model, x_test, y_test, repeats=repeats, seed=seed))
    if not drops:
        return []
    mean = np.mean(drops, axis=0)
    sd = np.std(drops, axis=0)
    ranked = np.argsort(-mean, kind="stable")
    return [{"feature": columns[j], "auc_drop": float(mean[j]), "sd_across_folds": float(sd[j])} for j in ranked]


def _importance_drops(model, x: np.ndarray, y: np.ndarray, *, repeats: int, seed: int) -> np.ndarray:
    """scikit-learn's ``permutation_importance(...).importances_mean`` (ROC AUC), the same numbers.

    The preprocessing works row by row (imputation, scaling and one-hot with fitted values), so
    shuffling an input column shuffles the output columns made from it the same way: the input
    is transformed once and each permutation moves those output columns, instead of sending
    every permuted copy through the ColumnTransformer again (on the Taiwan cards 46 inputs x 3
    repeats x 3 folds of object arrays: most of the explain step). The shuffles are
    scikit-learn's (one seed drawn from ``seed``, then each column's repeats from it). A model
    of another shape is handed to scikit-learn.
    """
    outputs = _outputs_by_input(model, x.shape[1])
    if outputs is None:
        result = permutation_importance(model, x, y, scoring="roc_auc", n_repeats=repeats, random_state=seed, n_jobs=1)
        return result.importances_mean
    transformed = model[:-1].transform(x)
    final = model[-1]
    scorer = check_scoring(final, scoring="roc_auc")
    baseline = scorer(final, transformed, y)
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    drops = np.zeros(len(outputs))
    for j, columns in enumerate(outputs):
        rng = np.random.RandomState(column_seed)
        permuted = transformed.copy()
        rows = np.arange(permuted.shape[0])
        scores = []
        for _ in range(repeats):
            rng.shuffle(rows)
            permuted[:, columns] = permuted[np.ix_(rows, columns)]  # applied to the previous shuffle, as sklearn
            scores.append(scorer(final, permuted, y))
        drops[j] = baseline - np.mean(scores)
    return drops


def _outputs_by_input(model, n_inputs: int) -> list[np.ndarray] | None:
    """For ``Pipeline([("pre", ColumnTransformer), ("model", ...)])`` (ml.models), the output
    columns of the preprocessing that each input column makes; None for any other shape."""
    if not isinstance(model, Pipeline) or len(model.steps) != 2 or not isinstance(model[0], ColumnTransformer):
        return None
    pre = model[0]
    outputs: list[list[int]] = [[] for _ in range(n_inputs)]
    for name, transformer, inputs in pre.transformers_:
        if transformer == "drop" or name not in pre.output_indices_:
            continue
        block = _block_outputs(transformer, len(inputs))
        if block is None:
            return None
        start = pre.output_indices_[name].start
        for position, column in enumerate(inputs):
            outputs[column].extend(start + k for k in block[position])
    made = sorted(k for columns in outputs for k in columns)
    if made != list(range(sum(s.stop - s.start for s in pre.output_indices_.values()))):
        return None  # an output made from two inputs, or none: not row-wise by column
    return [np.asarray(columns, dtype=int) for columns in outputs]


def _block_outputs(transformer, n_inputs: int) -> list[list[int]] | None:
    """Output positions of one ColumnTransformer block per input position (None: unknown step)."""
    steps = transformer.steps if isinstance(transformer, Pipeline) else [(None, transformer)]
    outputs = [[k] for k in range(n_inputs)]
    for _, step in steps:
        if isinstance(step, StandardScaler) or (
            isinstance(step, FunctionTransformer) and step.feature_names_out == "one-to-one"
        ):
            continue  # one output column per input column, in order
        if isinstance(step, SimpleImputer):
            width = len(step.statistics_)
            if width != sum(len(o) for o in outputs) or not step.keep_empty_features:
                return None
            if step.add_indicator:
                for position, feature in enumerate(step.indicator_.features_):
                    for owner in outputs:
                        if feature in owner:
                            owner.append(width + position)
            continue
        if (
            isinstance(step, OneHotEncoder)
            and step.drop_idx_ is None
            and not getattr(step, "_infrequent_enabled", False)
        ):
            if any(len(o) != 1 for o in outputs):
                return None
            offsets = np.cumsum([0, *(len(c) for c in step.categories_)])
            outputs = [list(range(offsets[o[0]], offsets[o[0] + 1])) for o in outputs]
            continue
        return None
    return outputs


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
