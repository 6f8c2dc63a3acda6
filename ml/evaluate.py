"""Validation metrics a bank's model validation expects. Pure functions of (y, p).

``y`` is a 0/1 array of outcomes, ``p`` the predicted probabilities. Every
function here is deterministic given its arguments (the bootstrap takes a
seed) and is unit-tested against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, roc_curve

EPS = 1e-12


def _arrays(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y has {y.size} values, p has {p.size}")
    return y, p


def roc_auc(y, p) -> float:
    """Area under the ROC curve via the Mann-Whitney rank statistic (ties count one half)."""
    y, p = _arrays(y, p)
    n_pos = y.sum()
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def gini(y, p) -> float:
    """Accuracy ratio / Gini coefficient: 2 AUC - 1."""
    return 2.0 * roc_auc(y, p) - 1.0


def ks_statistic(y, p) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of goods and bads (max TPR - FPR)."""
    y, p = _arrays(y, p)
    if y.min() == y.max():
        return float("nan")
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def pr_auc(y, p) -> float:
    """Area under the precision-recall curve (average precision)."""
    y, p = _arrays(y, p)
    if y.max() == 0:
        return float("nan")
    return float(average_precision_score(y, p))


def brier(y, p) -> float:
    y, p = _arrays(y, p)
    return float(np.mean((p - y) ** 2))


def log_loss(y, p) -> float:
    y, p = _arrays(y, p)
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _logistic_fit(x: np.ndarray, y: np.ndarray, offset: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Unpenalised logistic regression by Newton-Raphson (IRLS); x includes the intercept column."""
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        eta = x @ beta + offset
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1 - mu)
        grad = x.T @ (y - mu)
        hess = x.T @ (x * w[:, None])
        step = np.linalg.solve(hess + 1e-10 * np.eye(x.shape[1]), grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration_slope_intercept(y, p) -> tuple[float, float]:
    """Logistic recalibration of the outcome on logit(p).

    Slope: from ``logit P(y=1) = a + b logit(p)`` (1 is ideal; < 1 means the
    scores are too extreme, i.e. overfitting). Intercept: calibration-in-the-
    large, ``a`` in ``logit P(y=1) = a + logit(p)`` with the slope fixed at 1
    (0 is ideal; > 0 means the model under-predicts on average).
    """
    y, p = _arrays(y, p)
    if y.min() == y.max():
        return float("nan"), float("nan")
    lp = logit(p)
    if np.std(lp) < 0.05:  # (nearly) constant scores, e.g. the prior baseline: no slope to fit
        return float("nan"), float(_logistic_fit(np.ones((lp.size, 1)), y, lp)[0])
    ones = np.ones_like(lp)
    slope = _logistic_fit(np.column_stack([ones, lp]), y, np.zeros_like(lp))[1]
    intercept = _logistic_fit(ones[:, None], y, lp)[0]
    return float(slope), float(intercept)


def calibration_table(y, p, bins: int = 10) -> dict[str, list[float]]:
    """Observed rate against mean prediction in quantile bins (for the calibration plot)."""
    y, p = _arrays(y, p)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    return {"mean_predicted": predicted.round(6).tolist(), "observed_rate": observed.round(6).tolist()}


def expected_cost(y, p, threshold: float, cost_fn: float, cost_fp: float) -> float:
    """Mean cost per row when flagging p >= threshold."""
    y, p = _arrays(y, p)
    flagged = p >= threshold
    fn = np.sum((~flagged) & (y == 1))
    fp = np.sum(flagged & (y == 0))
    return float((cost_fn * fn + cost_fp * fp) / y.size)


def cost_optimal_threshold(y, p, cost_fn: float, cost_fp: float) -> float:
    """The threshold minimising expected cost over the observed scores (ties: the higher threshold).

    With perfectly calibrated scores the optimum is cost_fp / (cost_fp + cost_fn);
    the empirical search finds it without assuming calibration.
    """
    y, p = _arrays(y, p)
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    # flag the top k rows, k = 0..n; only boundaries between distinct scores are valid cuts
    tp = np.concatenate([[0], np.cumsum(y_sorted)])
    fp = np.concatenate([[0], np.cumsum(1 - y_sorted)])
    fn = y.sum() - tp
    cost = cost_fn * fn + cost_fp * fp
    valid = np.ones(y.size + 1, dtype=bool)
    valid[1:-1] = p_sorted[:-1] != p_sorted[1:]
    cost = np.where(valid, cost, np.inf)
    k = int(np.argmin(cost))
    if k == 0:
        return float(np.nextafter(p_sorted[0], np.inf))  # flag nobody
    return float(p_sorted[k - 1])


def confusion(y, p, threshold: float) -> dict[str, int]:
    y, p = _arrays(y, p)
    flagged = p >= threshold
    return {
        "tn": int(np.sum(~flagged & (y == 0))),
        "fp": int(np.sum(flagged & (y == 0))),
        "fn": int(np.sum(~flagged & (y == 1))),
        "tp": int(np.sum(flagged & (y == 1))),
    }


def accuracy(y, p, threshold: float = 0.5) -> float:
    y, p = _arrays(y, p)
    return float(np.mean((p >= threshold) == (y == 1)))


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray], float],
    y,
    p,
    *,
    reps: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over rows (resamples with one class are skipped)."""
    y, p = _arrays(y, p)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(reps):
        idx = rng.integers(0, y.size, y.size)
        yb = y[idx]
        if yb.min() == yb.max():
            continue
        values.append(metric(yb, p[idx]))
    if not values:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)


def _score_order(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows by descending score (stable), and where each run of tied scores ends in that order."""
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    return order, np.r_[p_sorted[:-1] != p_sorted[1:], True]


def _ranking_in_order(positives: np.ndarray, negatives: np.ndarray, last_of_group: np.ndarray) -> dict[str, float]:
    """ROC AUC, KS and PR AUC from how many positives and negatives each row stands for, rows in
    descending score order (ties grouped by ``last_of_group``, so exact with ties)."""
    n_pos, n_neg = positives.sum(), negatives.sum()
    if n_pos == 0 or n_neg == 0:
        return {"roc_auc": float("nan"), "ks": float("nan"), "pr_auc": float("nan")}
    tps = np.cumsum(positives)[last_of_group]
    fps = np.cumsum(negatives)[last_of_group]
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    auc = float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))
    # a run of rows that a resample left out predicts nothing: no precision, and no weight in the sum
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros(predicted.shape), where=predicted > 0)
    ap = float(np.sum(np.diff(np.r_[0.0, tps]) / n_pos * precision))
    return {"roc_auc": auc, "ks": float(np.max(tpr - fpr)), "pr_auc": ap}


def ranking_metrics(y, p) -> dict[str, float]:
    """ROC AUC, KS and PR AUC (average precision) from one sort, exact with ties.

    Used for the bootstrap, where calling three library functions per
    resample would dominate the run time on 30,000 rows.
    """
    y, p = _arrays(y, p)
    order, last_of_group = _score_order(p)
    y_sorted = y[order]
    return _ranking_in_order(y_sorted, 1 - y_sorted, last_of_group)


def bootstrap_intervals(y, p, *, reps: int = 500, seed: int = 0, level: float = 0.95) -> dict[str, list[float]]:
    """Percentile intervals of ROC AUC, Gini, KS, PR AUC and Brier from the same resamples.

    The rows are sorted by score once: a resample is how many times it draws each row
    (the same draws as indexing with them), so its metrics are cumulative sums in that
    order instead of a sort per resample (on 400,000 rows the sorts were most of a report).
    """
    y, p = _arrays(y, p)
    order, last_of_group = _score_order(p)
    squared_error = (p - y) ** 2
    draws: dict[str, list[float]] = {"roc_auc": [], "ks": [], "pr_auc": [], "brier": []}
    for copies, positives in _resample_counts(y, reps, seed):
        ranking = _ranking_in_order(positives[order], (copies - positives)[order], last_of_group)
        for name, value in ranking.items():
            draws[name].append(value)
        draws["brier"].append(float(np.dot(copies, squared_error) / y.size))
    out = {name: _percentile_interval(values, level) for name, values in draws.items()}
    out["gini"] = [2 * out["roc_auc"][0] - 1, 2 * out["roc_auc"][1] - 1]
    return out


def paired_auc_ratio_interval(
    y, p_model, p_reference, *, reps: int = 500, seed: int = 0, level: float = 0.95
) -> list[float]:
    """Percentile interval of ROC AUC(model) / ROC AUC(reference) over paired resamples of the rows.

    Both scores are judged on the same resample each time (paired), by draw counts in each
    score's order as in ``bootstrap_intervals``: two sorts in all, not two per resample.
    """
    y, p_model = _arrays(y, p_model)
    _, p_reference = _arrays(y, p_reference)
    orders = [_score_order(p) for p in (p_model, p_reference)]
    ratios = []
    for copies, positives in _resample_counts(y, reps, seed):
        model, reference = (
            _ranking_in_order(positives[order], (copies - positives)[order], last_of_group)["roc_auc"]
            for order, last_of_group in orders
        )
        ratios.append(model / reference)
    return _percentile_interval(ratios, level)


def _resample_counts(y: np.ndarray, reps: int, seed: int):
    """Each bootstrap resample of the rows as (how many times it draws each row, of which
    positives), in row order; resamples with one class only are left out (no AUC)."""
    rng = np.random.default_rng(seed)
    positive = y.astype(float)
    for _ in range(reps):
        copies = np.bincount(rng.integers(0, y.size, y.size), minlength=y.size)
        positives = copies * positive
        if 0 < positives.sum() < y.size:
            yield copies, positives


def _percentile_interval(values: list[float], level: float) -> list[float]:
    alpha = (1 - level) / 2
    return [float(v) for v in np.quantile(values, [alpha, 1 - alpha])] if values else [float("nan")] * 2


def classification_report(
    y,
    p,
    *,
    cost_fn: float,
    cost_fp: float,
    reps: int = 500,
    seed: int = 0,
    threshold: float | None = None,
) -> dict:
    """Every metric of one set of predictions, with bootstrap intervals where they matter."""
    y, p = _arrays(y, p)
    out: dict = {"n": int(y.size), "positives": int(y.sum()), "prevalence": float(y.mean())}
    out.update(ranking_metrics(y, p))
    out["gini"] = 2 * out["roc_auc"] - 1
    out["brier"] = brier(y, p)
    out["log_loss"] = log_loss(y, p)
    for name, interval in bootstrap_intervals(y, p, reps=reps, seed=seed).items():
        out[f"{name}_ci"] = interval
    slope, intercept = calibration_slope_intercept(y, p)
    out["calibration_slope"] = slope
    out["calibration_intercept"] = intercept
    out["calibration_curve"] = calibration_table(y, p)
    if threshold is None:
        threshold = cost_optimal_threshold(y, p, cost_fn, cost_fp)
    out["threshold"] = float(threshold)
    out["expected_cost_per_row"] = expected_cost(y, p, threshold, cost_fn, cost_fp)
    out["confusion_matrix"] = confusion(y, p, threshold)
    out["accuracy_at_threshold"] = accuracy(y, p, threshold)
    out["accuracy_at_0_5"] = accuracy(y, p, 0.5)
    return out


def population_stability_index(expected: np.ndarray, actual: np.ndarray, eps: float = 1e-4) -> float:
    """PSI = sum (a - e) ln(a / e) over bins of two proportion (or count) vectors.

    Bins empty on both sides are dropped; a bin empty on one side only is floored at ``eps``.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e / e.sum(), a / a.sum()
    keep = (e > 0) | (a > 0)
    e, a = np.clip(e[keep], eps, None), np.clip(a[keep], eps, None)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
