"""The scikit-learn side: one Pipeline per candidate, and the searches that tune it.

Every candidate is ``Pipeline([("pre", ColumnTransformer), ("model", estimator)])``
on the matrix from ``ml.features.to_matrix`` (columns numeric, binary,
categorical). All fitted preprocessing - median imputation with missing
indicators and scaling for numbers, most-frequent imputation for flags,
one-hot encoding for categories - sits inside it, so cross-validation fits it
on training folds only. The saved model prepends the stateless
``MartFeatures`` step, so it scores mart rows (a Polars frame) directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (enables the import below)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ml.errors import TaskConfigError
from ml.features import build_features, to_matrix
from ml.tasks import Candidate, Task


def as_float(x):
    """Object matrix columns -> float (module-level so that pickles can find it)."""
    return np.asarray(x, dtype=float)


def build_preprocessor(task: Task) -> ColumnTransformer:
    n_num, n_bin, n_cat = len(task.numeric), len(task.binary), len(task.categorical)
    numeric = Pipeline(
        [
            ("as_float", FunctionTransformer(as_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]
    )
    binary = Pipeline(
        [
            ("as_float", FunctionTransformer(as_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
        ]
    )
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    parts = []
    if n_num:
        parts.append(("num", numeric, list(range(n_num))))
    if n_bin:
        parts.append(("bin", binary, list(range(n_num, n_num + n_bin))))
    if n_cat:
        parts.append(("cat", categorical, list(range(n_num + n_bin, n_num + n_bin + n_cat))))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


def build_estimator(candidate: Candidate, random_state: int):
    params = dict(candidate.params)
    if candidate.estimator == "dummy":
        return DummyClassifier(strategy="prior")
    if candidate.estimator == "logistic":
        # Newton-Cholesky unless the task names another solver: with many more rows than
        # (one-hot) columns it converges in a handful of Newton steps where lbfgs took 120-130
        # iterations on the Taiwan cards at C >= 0.1 (a quarter of the CPU per fit), and to a
        # tighter optimum (lbfgs stopped at its tolerance with collinear bill amounts).
        params.setdefault("solver", "newton-cholesky")
        return LogisticRegression(random_state=random_state, **params)
    if candidate.estimator == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(random_state=random_state, **params)
    raise TaskConfigError(f"unknown estimator {candidate.estimator!r}")


def build_pipeline(task: Task, candidate: Candidate) -> Pipeline:
    return Pipeline(
        [
            ("pre", build_preprocessor(task)),
            ("model", build_estimator(candidate, task.random_state)),
        ]
    )


def search_distributions(candidate: Candidate) -> dict:
    """YAML search space -> scipy distributions / lists, keyed for the pipeline's model step."""
    out = {}
    for param, spec in candidate.search_space.items():
        if not isinstance(spec, dict) or len(spec) != 1:
            raise TaskConfigError(
                f"candidate {candidate.name}: search.{param} must be one of "
                "{loguniform: [a, b]}, {uniform: [a, b]}, {int: [a, b]}, {choice: [...]}"
            )
        ((kind, args),) = spec.items()
        if kind == "loguniform":
            out[f"model__{param}"] = stats.loguniform(float(args[0]), float(args[1]))
        elif kind == "uniform":
            out[f"model__{param}"] = stats.uniform(float(args[0]), float(args[1]) - float(args[0]))
        elif kind == "int":
            out[f"model__{param}"] = stats.randint(int(args[0]), int(args[1]) + 1)
        elif kind == "choice":
            out[f"model__{param}"] = list(args)
        else:
            raise TaskConfigError(f"candidate {candidate.name}: unknown distribution {kind!r} for {param}")
    return out


def inner_folds(n_splits: int, seed: int, *, time_ordered: bool):
    """The splitter of every inner split (search, calibration): it follows the outer scheme.

    Random schemes get shuffled stratified folds; time schemes get time-ordered folds
    (each fold trains on earlier rows than it is scored on; rows must be in time order).
    Never an unshuffled k-fold: on rows sorted by date its folds are time blocks, and
    on rows sorted by key they depend on how the keys were issued.
    """
    if time_ordered:
        return TimeSeriesSplit(n_splits=n_splits)
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def search_sample(y: np.ndarray, max_rows: int, seed: int) -> np.ndarray | None:
    """The rows a search runs on when a training set has more than ``max_rows`` (None: all).

    A seeded sample stratified by the label, kept in the rows' own order (time-ordered
    inner folds need it). A search is some 25 fits per outer fold, each on a share of its
    rows: on a large bank (card propensity at 450,000 accounts: about 330,000 training rows
    a fold) that is most of the run. The sample only decides which parameters win; the
    model is then fitted with them on every row.
    """
    if len(y) <= max_rows:
        return None
    rows, _ = train_test_split(np.arange(len(y)), train_size=max_rows, stratify=y, random_state=seed)
    return np.sort(rows)


def fit_candidate(
    task: Task, candidate: Candidate, x: np.ndarray, y: np.ndarray, seed: int, *, time_ordered: bool = False
):
    """Fit one candidate on (x, y), tuning it by an inner CV (``inner_folds``) when it has a
    search space (on ``search_sample``'s rows when there are more than ``search.max_rows``).

    Returns the fitted pipeline, the chosen hyper-parameters and their inner-CV score (None
    without a search).
    """
    pipeline = build_pipeline(task, candidate)
    distributions = search_distributions(candidate)
    if not distributions:
        return pipeline.fit(x, y), {}, None
    sample = search_sample(y, task.search.max_rows, seed)
    if sample is not None:
        _, params, score = fit_candidate(task, candidate, x[sample], y[sample], seed, time_ordered=time_ordered)
        return fit_with_params(task, candidate, params, x, y), params, score
    inner = inner_folds(task.search.inner_folds, seed, time_ordered=time_ordered)
    if task.search.method == "halving":
        search = HalvingRandomSearchCV(
            pipeline,
            distributions,
            n_candidates=task.search.n_iter,
            factor=3,
            cv=inner,
            scoring=task.search.scoring,
            random_state=seed,
            refit=True,
            n_jobs=1,
            min_resources="exhaust",  # the last round uses every training row
        )
    else:
        search = RandomizedSearchCV(
            pipeline,
            distributions,
            n_iter=task.search.n_iter,
            cv=inner,
            scoring=task.search.scoring,
            random_state=seed,
            refit=True,
            n_jobs=1,
        )
    search.fit(x, y)
    params = {k.removeprefix("model__"): _plain(v) for k, v in search.best_params_.items()}
    return search.best_estimator_, params, float(search.best_score_)


def fit_with_params(task: Task, candidate: Candidate, params: dict, x: np.ndarray, y: np.ndarray) -> Pipeline:
    """One fit of the candidate with fixed hyper-parameters (no search)."""
    return build_pipeline(task, candidate).set_params(**{f"model__{k}": v for k, v in params.items()}).fit(x, y)


CALIBRATION_FOLDS = 3


def fit_calibrated(
    task: Task,
    candidate: Candidate,
    params: dict,
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    time_ordered: bool,
) -> CalibratedClassifierCV:
    """The candidate with fixed hyper-parameters inside CalibratedClassifierCV, whose folds
    follow the scheme (``inner_folds``)."""
    base = build_pipeline(task, candidate).set_params(**{f"model__{k}": v for k, v in params.items()})
    folds = inner_folds(CALIBRATION_FOLDS, seed, time_ordered=time_ordered)
    return CalibratedClassifierCV(base, method=method, cv=folds).fit(x, y)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


class MartFeatures(BaseEstimator, TransformerMixin):
    """Stateless first step of a saved model: mart rows (Polars) -> derived features -> matrix."""

    def __init__(
        self,
        steps: Sequence[str] = (),
        numeric: Sequence[str] = (),
        binary: Sequence[str] = (),
        categorical: Sequence[str] = (),
    ):
        self.steps = steps
        self.numeric = numeric
        self.binary = binary
        self.categorical = categorical

    def fit(self, df=None, y=None):
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def transform(self, df: pl.DataFrame) -> np.ndarray:
        if isinstance(df, np.ndarray):
            return df
        features = build_features(df, self.steps)
        return to_matrix(features, self.numeric, self.binary, self.categorical)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.binary, *self.categorical]


def mart_features(task: Task) -> MartFeatures:
    return MartFeatures(list(task.feature_steps), list(task.numeric), list(task.binary), list(task.categorical))


def deployable(task: Task, fitted_matrix_model) -> Pipeline:
    """The saved model: ``MartFeatures`` followed by the fitted matrix model."""
    return Pipeline([("features", mart_features(task)), ("estimator", fitted_matrix_model)])


def transformed_feature_names(pipeline: Pipeline, task: Task) -> list[str]:
    """Names of the columns the model step sees (after imputation indicators and one-hot)."""
    return [str(n) for n in pipeline.named_steps["pre"].get_feature_names_out(list(task.features))]


def matrix_model(model: Pipeline) -> object:
    """The part of a saved model that takes the matrix (everything after ``MartFeatures``)."""
    return model.named_steps["estimator"]


def predict_proba_positive(model, x) -> np.ndarray:
    return np.asarray(model.predict_proba(x)[:, 1], dtype=float)
