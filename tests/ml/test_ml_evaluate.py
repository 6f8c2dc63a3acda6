"""Metric functions against values computed by hand (and against scikit-learn where it has one)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from ml import drift, fairness
from ml import evaluate as E

# 2 positives, 3 negatives. Pairs (pos, neg) ranked correctly:
# pos 0.9 beats all 3 negatives; pos 0.4 beats 0.1 and 0.3 and ties 0.4 (half) -> 5.5 / 6
Y = np.array([1, 0, 1, 0, 0])
P = np.array([0.9, 0.4, 0.4, 0.3, 0.1])


def test_roc_auc_by_hand_with_a_tie():
    assert E.roc_auc(Y, P) == pytest.approx(5.5 / 6)
    assert E.ranking_metrics(Y, P)["roc_auc"] == pytest.approx(5.5 / 6)


def test_gini_is_two_auc_minus_one():
    assert E.gini(Y, P) == pytest.approx(2 * 5.5 / 6 - 1)


def test_ks_by_hand():
    # thresholds: >=0.9 -> TPR .5 FPR 0; >=0.4 -> TPR 1, FPR 1/3 -> gap 2/3 (the maximum)
    assert E.ks_statistic(Y, P) == pytest.approx(2 / 3)
    assert E.ranking_metrics(Y, P)["ks"] == pytest.approx(2 / 3)


def test_pr_auc_by_hand():
    # at 0.9: recall .5 precision 1; at 0.4: recall 1 precision 2/3 -> AP = .5*1 + .5*2/3
    assert E.pr_auc(Y, P) == pytest.approx(0.5 + 1 / 3)
    assert E.ranking_metrics(Y, P)["pr_auc"] == pytest.approx(0.5 + 1 / 3)


def test_brier_and_log_loss_by_hand():
    assert E.brier([1, 0], [0.8, 0.4]) == pytest.approx((0.04 + 0.16) / 2)
    assert E.log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_ranking_metrics_match_sklearn_on_random_data_with_ties():
    rng = np.random.default_rng(0)
    p = rng.random(2000).round(2)
    y = (rng.random(2000) < p).astype(int)
    got = E.ranking_metrics(y, p)
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert got["pr_auc"] == pytest.approx(average_precision_score(y, p))


def test_calibration_slope_is_one_on_perfectly_calibrated_simulated_data():
    rng = np.random.default_rng(1)
    p = 1 / (1 + np.exp(-rng.normal(-1, 1.5, 50_000)))
    y = (rng.random(p.size) < p).astype(int)
    slope, intercept = E.calibration_slope_intercept(y, p)
    assert slope == pytest.approx(1.0, abs=0.04)
    assert intercept == pytest.approx(0.0, abs=0.04)


def test_calibration_slope_below_one_when_scores_are_too_extreme():
    rng = np.random.default_rng(2)
    z = rng.normal(-1, 1.5, 50_000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    overconfident = 1 / (1 + np.exp(-2 * z))  # logits doubled
    slope, _ = E.calibration_slope_intercept(y, overconfident)
    assert slope == pytest.approx(0.5, abs=0.03)


def test_calibration_intercept_detects_under_prediction():
    rng = np.random.default_rng(3)
    z = rng.normal(-1, 1.0, 50_000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    _, intercept = E.calibration_slope_intercept(y, 1 / (1 + np.exp(-(z - 0.5))))
    assert intercept == pytest.approx(0.5, abs=0.05)


def test_cost_optimal_threshold_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.6, 0.3, 0.1])
    # flag >=0.8: FN 1 FP 0 -> cost 5; >=0.6: FN1 FP1 -> 6; >=0.3: FN0 FP1 -> 1; >=0.1: FP2 -> 2; none: 10
    assert E.cost_optimal_threshold(y, p, cost_fn=5, cost_fp=1) == 0.3
    assert E.expected_cost(y, p, 0.3, 5, 1) == pytest.approx(1 / 4)
    # the top score is a positive: flagging it alone is best when false positives are dear
    assert E.cost_optimal_threshold(y, p, cost_fn=1, cost_fp=100) == 0.8
    # when the top score is a negative, flag nobody: the threshold lies above every score
    assert E.cost_optimal_threshold(1 - y, p, cost_fn=1, cost_fp=100) > 0.8


def test_confusion_matrix_and_accuracy():
    assert E.confusion(Y, P, 0.4) == {"tn": 2, "fp": 1, "fn": 0, "tp": 2}
    assert E.accuracy(Y, P, 0.4) == pytest.approx(4 / 5)


def test_bootstrap_is_seeded_and_covers_the_estimate():
    rng = np.random.default_rng(4)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    a = E.bootstrap_intervals(y, p, reps=200, seed=7)
    b = E.bootstrap_intervals(y, p, reps=200, seed=7)
    assert a == b
    auc = E.roc_auc(y, p)
    assert a["roc_auc"][0] < auc < a["roc_auc"][1]
    assert a["gini"] == pytest.approx([2 * a["roc_auc"][0] - 1, 2 * a["roc_auc"][1] - 1])
    lo, hi = E.bootstrap_interval(E.roc_auc, y, p, reps=200, seed=7)
    assert lo < auc < hi


def test_population_stability_index_by_hand():
    expected = np.array([0.5, 0.5])
    actual = np.array([0.25, 0.75])
    by_hand = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert E.population_stability_index(expected, actual) == pytest.approx(by_hand)
    assert E.population_stability_index(expected, expected) == 0.0


def test_drift_bins_new_values_like_the_reference():
    rng = np.random.default_rng(5)
    train = rng.normal(0, 1, 5000)
    ref = drift.reference_distribution(train)
    assert drift.psi_against(ref, rng.normal(0, 1, 5000)) < drift.WARN
    assert drift.psi_against(ref, rng.normal(1, 1, 5000)) > drift.ALERT
    cat = drift.reference_distribution(np.array(["a"] * 50 + ["b"] * 50), categorical=True)
    assert drift.psi_against(cat, np.array(["a"] * 50 + ["b"] * 50)) == pytest.approx(0.0, abs=1e-9)
    assert drift.level(0.05) == "ok" and drift.level(0.2) == "warn" and drift.level(0.3) == "alert"


def test_fairness_group_metrics_by_hand():
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1])
    groups = ["M", "M", "M", "M", "F", "F", "F", "F"]
    out = fairness.group_metrics(y, p, groups, threshold=0.5, reference="M")
    m, f = out["groups"]["M"], out["groups"]["F"]
    assert m["selection_rate"] == 0.75 and f["selection_rate"] == 0.0
    assert m["tpr"] == 1.0 and m["fpr"] == 0.5
    assert f["tpr"] is None and f["fpr"] == 0.0
    assert f["selection_rate_ratio"] == 0.0
    assert "outside" not in fairness.reading("sex", out)  # groups under 30 rows are not judged
    big = fairness.group_metrics(np.tile(y, 10), np.tile(p, 10), groups * 10, threshold=0.5, reference="M")
    assert "outside 0.8-1.25" in fairness.reading("sex", big)


def test_bootstrap_by_counts_equals_resampling_the_rows():
    """The intervals come from how often each resample draws each row; indexing the rows with the
    same draws and sorting each resample (the textbook bootstrap) gives the same figures."""
    rng = np.random.default_rng(11)
    p = np.round(rng.random(400), 2)  # ties, and runs of tied rows a resample leaves out
    y = (rng.random(400) < p).astype(int)
    got = E.bootstrap_intervals(y, p, reps=120, seed=3)
    draws = {"roc_auc": [], "ks": [], "pr_auc": [], "brier": []}
    by_rows = np.random.default_rng(3)
    for _ in range(120):
        idx = by_rows.integers(0, y.size, y.size)
        if y[idx].min() == y[idx].max():
            continue
        for name, value in E.ranking_metrics(y[idx], p[idx]).items():
            draws[name].append(value)
        draws["brier"].append(float(np.mean((p[idx] - y[idx]) ** 2)))
    for name, values in draws.items():
        assert got[name] == pytest.approx(list(np.quantile(values, [0.025, 0.975])), rel=1e-12, abs=1e-12), name


def test_paired_ratio_by_counts_equals_resampling_the_rows():
    """The model-to-oracle AUC ratio's interval: the same figures as indexing both scores with
    each resample's rows and computing both AUCs from them."""
    rng = np.random.default_rng(12)
    truth = rng.random(300)
    y = (rng.random(300) < truth).astype(int)
    model = np.round(truth + rng.normal(0, 0.2, 300), 2)  # ties in one score only
    got = E.paired_auc_ratio_interval(y, model, truth, reps=150, seed=5)
    ratios = []
    by_rows = np.random.default_rng(5)
    for _ in range(150):
        idx = by_rows.integers(0, y.size, y.size)
        if y[idx].min() == y[idx].max():
            continue
        ratios.append(E.roc_auc(y[idx], model[idx]) / E.roc_auc(y[idx], truth[idx]))
    assert got == pytest.approx(list(np.quantile(ratios, [0.025, 0.975])), rel=1e-12, abs=1e-12)
    assert got[0] < E.roc_auc(y, model) / E.roc_auc(y, truth) < got[1]
