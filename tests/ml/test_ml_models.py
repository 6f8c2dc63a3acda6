"""ml.models: the search runs on a capped, stratified sample; the model is fitted on every row."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from task_specs import logistic_task

from ml.models import fit_candidate, search_sample


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    search = {"method": "random", "n_iter": 3, "inner_folds": 3, "max_rows": 600}
    return logistic_task(tmp_path_factory.mktemp("tasks"), "capped", ["f1", "f2"], search=search)


def rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.5 * x[:, 0])))).astype(int)
    return x.astype(object), y


def test_no_sample_up_to_the_cap():
    _, y = rows(600)
    assert search_sample(y, 600, seed=1) is None


def test_the_sample_is_stratified_ordered_and_seeded():
    _, y = rows(5000)
    sample = search_sample(y, 600, seed=1)
    assert sample is not None and len(sample) == 600 and len(set(sample)) == 600
    assert np.all(np.diff(sample) > 0), "the rows keep their order (time-ordered inner folds need it)"
    assert abs(y[sample].mean() - y.mean()) <= 1 / 600 + 1e-12
    assert np.array_equal(sample, search_sample(y, 600, seed=1))
    assert not np.array_equal(sample, search_sample(y, 600, seed=2))


def test_above_the_cap_the_search_sees_the_sample_and_the_model_every_row(task):
    x, y = rows(3000)
    model, params, score = fit_candidate(task, task.candidates[0], x, y, seed=7)
    sample = search_sample(y, task.search.max_rows, seed=7)
    uncapped = dataclasses.replace(task, search=dataclasses.replace(task.search, max_rows=len(y)))
    _, params_on_sample, score_on_sample = fit_candidate(uncapped, uncapped.candidates[0], x[sample], y[sample], seed=7)
    assert params == params_on_sample and score == score_on_sample
    scaler = model.named_steps["pre"].named_transformers_["num"].named_steps["scale"]
    assert scaler.n_samples_seen_ == len(y), "the chosen parameters are fitted on every row"
    _, _, score_uncapped = fit_candidate(uncapped, uncapped.candidates[0], x, y, seed=7)
    assert score_uncapped != score, "without the cap the search scores other rows (the cap is in effect)"
