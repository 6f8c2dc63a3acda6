"""ml.explain: permutation importance on the transformed matrix equals scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
import synthetic_marts
from sklearn.inspection import permutation_importance

from ml import explain
from ml.features import build_features, to_matrix
from ml.models import build_pipeline
from ml.tasks import load_task
from ml.train import prepare_frame


@pytest.fixture(scope="module")
def loans():
    """The loan task's matrix (numbers, flags, categories) with missing numbers in two columns."""
    task = load_task("loan_default")
    frame = prepare_frame(task, synthetic_marts.loan_features(400, seed=8))
    x = to_matrix(build_features(frame, task.feature_steps), task.numeric, task.binary, task.categorical)
    rng = np.random.default_rng(2)
    for column in (0, 3):  # missing values: the imputer adds indicator columns for these two
        x[rng.choice(len(x), 40, replace=False), column] = None
    return task, x, frame.get_column(task.target).to_numpy().astype(int)


@pytest.mark.parametrize("candidate", ["logistic", "hist_gradient_boosting"])
def test_importance_on_the_transformed_matrix_equals_sklearns(loans, candidate):
    task, x, y = loans
    chosen = next(c for c in task.candidates if c.name == candidate)
    model = build_pipeline(task, chosen).fit(x[:250], y[:250])
    x_test, y_test = x[250:], y[250:]
    assert explain._outputs_by_input(model, x.shape[1]) is not None, "the fast path must apply to ml.models' pipeline"
    ours = explain._importance_drops(model, x_test, y_test, repeats=3, seed=42)
    theirs = permutation_importance(model, x_test, y_test, scoring="roc_auc", n_repeats=3, random_state=42)
    np.testing.assert_allclose(ours, theirs.importances_mean, rtol=1e-12, atol=1e-12)
    assert np.any(ours != 0)


def test_other_pipelines_go_to_sklearn(loans):
    task, x, y = loans
    model = build_pipeline(task, task.candidates[1]).fit(x, y)
    assert explain._outputs_by_input(model[-1:], x.shape[1]) is None  # no preprocessing step
