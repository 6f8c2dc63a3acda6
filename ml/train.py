"""Train, tune and validate a task's candidate models; save the selected one with its card.

``train_task`` runs steps that each do one thing:

1. **read** (``read_training_data``): the mart's labelled rows, their features, the
   generator's truth when there is one.
2. **split** (``plan_evaluation``):

   - ``repeated_cv``: repeated stratified k-fold (small data, below
     ``split.small_data_rows``). Every row gets one out-of-fold prediction per repeat.
   - ``stratified_cv``: the same with one repeat (large data without a date).
   - ``time_holdout``: train on the earliest 75 % by the task's date column,
     evaluate on the latest 25 % (large data with a date).
3. **search** (``search_candidates``): hyper-parameters tuned inside every outer training
   set by a randomised (or successive-halving) search whose inner folds follow the scheme
   (``ml.models.inner_folds``: shuffled stratified folds for the random schemes, time-ordered
   folds for ``time_holdout``), so the outer predictions never saw the rows that chose them
   (nested CV). The selected model has the best cross-validated ROC AUC, except that a
   simpler candidate within ``selection_tolerance`` of the best is preferred (parsimony).
4. **calibrate** (``check_calibration``): the selected candidate wrapped in
   ``CalibratedClassifierCV`` (folds again by the scheme) is evaluated on the same outer
   splits; it is kept only if it lowers the Brier score clearly.
5. **out of time** (``evaluate_out_of_time``): for a task with an ``out_of_time`` block, the
   selected recipe is tuned and fitted on the earlier cohort only and evaluated on the later.
6. **fit** (``fit_final``): the deployed model, on every development row with the
   hyper-parameters of the best inner score, or, when the task scores the out-of-time
   cohort, the model fitted before the cut-off (so it never saw who it scores).
7. **explain** (``explain_model``), then **write** (``write_outputs``): model, metadata,
   card, and metrics.json written once with the same content in the model folder and in
   reports/models/<task>/.

Steps 2-7 before the write (``fit_and_evaluate``) are cached per data, task and code
(``ml.cache``): an unchanged mart is not trained again.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import psutil
import typer
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from ledgerlab.core import config, progress
from ledgerlab.core.progress import Progress
from ledgerlab.core.quality_gate import enforce_quality_gate
from ml import artifacts, cache, data, drift, evaluate, explain, fairness, population
from ml.errors import FeatureError, TaskSkipped
from ml.features import build_features, required_inputs, to_matrix
from ml.models import (
    deployable,
    fit_calibrated,
    fit_candidate,
    fit_with_params,
    predict_proba_positive,
    transformed_feature_names,
)
from ml.tasks import Candidate, Task, load_task


def _cpu_seconds() -> float:
    """User + system CPU of this process and its live workers (joblib keeps them between fits)."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def ml_jobs() -> int:
    """Worker processes for outer folds (``LEDGERLAB_ML_JOBS``, default: the DuckDB thread count)."""
    return max(1, int(os.environ.get("LEDGERLAB_ML_JOBS", config.DUCKDB_THREADS)))


# Permutation importance: at most this many outer folds, and rows of each test fold.
IMPORTANCE_FOLDS = 3
IMPORTANCE_ROWS = 2000

# Calibration is changed only if it lowers the Brier score by at least this share.
CALIBRATION_MIN_GAIN = 0.01

# The card warns when the out-of-time ROC AUC falls this far below the cross-validated one,
# or when the out-of-time calibration slope leaves this band (1 is ideal).
OOT_AUC_GAP_WARN = 0.03
OOT_SLOPE_BAND = (0.75, 1.33)
OOT_INTERCEPT_WARN = 0.5  # |calibration-in-the-large| on the logit scale: exp(0.5) = 1.6x the odds
OOT_MIN_CLASS_ROWS = 5  # fewer positives or negatives in a cohort: no out-of-time figure


@dataclass(frozen=True)
class Split:
    repeat: int
    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class EvaluationPlan:
    strategy: str
    description: str
    splits: list[Split]
    eval_rows: np.ndarray  # rows that receive an evaluation prediction
    n_repeats: int
    n_train: int
    n_test: int

    @property
    def time_ordered(self) -> bool:
        """Whether inner splits (search, calibration) must be time-ordered folds."""
        return self.strategy == "time_holdout"


@dataclass
class CandidateResult:
    name: str
    predictions: np.ndarray  # aligned with plan.eval_rows
    repeat_predictions: np.ndarray | None  # (repeats, n) for CV
    fold_roc_auc: list[float]
    params: list[dict]
    fold_models: list[tuple[object, np.ndarray, np.ndarray]] = field(default_factory=list)
    seconds: float = 0.0
    report: dict = field(default_factory=dict)
    inner_scores: list[float | None] = field(default_factory=list)

    def deployment_params(self) -> dict:
        """Hyper-parameters for the final fit: those the outer folds' searches chose, taking the
        fold whose inner-CV score was best (no search is repeated on all rows)."""
        scored = [(s, p) for s, p in zip(self.inner_scores, self.params, strict=True) if s is not None]
        if not scored:
            return self.params[0] if self.params else {}
        return max(scored, key=lambda sp: sp[0])[1]


@dataclass
class TrainResult:
    task: str
    model_version: str
    selected_model: str
    metrics: dict
    metrics_path: Path
    card_html: Path
    card_md: Path
    model_dir: Path
    seconds: float

    def lines(self) -> list[str]:
        m = self.metrics

        def f(value, digits: int = 3) -> str:
            return "n/a" if value is None else f"{value:.{digits}f}"

        lo, hi = m["roc_auc_ci"]
        out = [
            f"{self.task}: selected {self.selected_model} ({m['evaluation']['description']}; "
            f"{m['n_train']:,} train / {m['n_test']:,} evaluated rows)",
            f"ROC AUC {f(m['roc_auc'])} (95% CI {f(lo)}-{f(hi)}), Gini {f(m['gini'])}, "
            f"PR AUC {f(m['pr_auc'])}, Brier {f(m['brier'], 4)}, calibration slope {f(m['calibration_slope'], 2)}",
        ]
        oot = m.get("out_of_time")
        if oot and oot.get("roc_auc") is not None:
            out.append(
                f"out of time (fit before {oot['cutoff']}, {oot['n_train']:,} rows; evaluated on "
                f"{oot['n']:,} later rows): ROC AUC {f(oot['roc_auc'])}, PR AUC {f(oot['pr_auc'])}, "
                f"Brier {f(oot['brier'], 4)}, calibration slope {f(oot['calibration_slope'], 2)}"
            )
            out.extend(f"warning: {w}" for w in oot.get("warnings", []))
        elif oot:
            out.append(f"out of time: {oot.get('skipped')}")
        if m.get("oracle_roc_auc") is not None:
            ratio = m["auc_to_oracle"]
            out.append(
                f"oracle ROC AUC {m['oracle_roc_auc']:.3f} on the same rows: model/oracle {ratio['ratio']:.3f} "
                f"(95% CI {ratio['ci'][0]:.3f}-{ratio['ci'][1]:.3f})"
            )
        others = ", ".join(
            f"{name} {f(c['roc_auc'])}" for name, c in m["candidates"].items() if name != self.selected_model
        )
        out.append(f"other candidates (ROC AUC): {others}")
        out.append(
            f"model {self.model_version} in {self.model_dir} "
            f"({self.seconds:.1f} s wall, {m.get('cpu_seconds', 0):.1f} s CPU)"
        )
        out.append(f"metrics {self.metrics_path}; card {self.card_html}")
        return out


# --- 1. read -----------------------------------------------------------------------------


@dataclass
class TrainingData:
    """The labelled rows of a task's mart, as matrices, and which rows play which part."""

    mart: pl.DataFrame
    labelled: pl.DataFrame  # every labelled row (every snapshot), sorted
    x_labelled: np.ndarray
    y_labelled: np.ndarray
    frame: pl.DataFrame  # development rows (cross-validation, deployed model), truth joined
    x: np.ndarray
    y: np.ndarray
    truth: pl.DataFrame | None


def prepare_frame(task: Task, mart: pl.DataFrame) -> pl.DataFrame:
    """Rows with a known target, sorted by (snapshot, date, key) so that every run sees the same order."""
    inputs = required_inputs(task.feature_steps, task.features)
    needed = [task.key, task.target, *inputs, *task.fairness_attributes]
    needed += [c for c in (task.date_column, task.snapshot_column) if c]
    if task.out_of_time:
        needed.append(task.out_of_time.column)
    missing = [c for c in dict.fromkeys(needed) if c not in mart.columns]
    if missing:
        raise FeatureError(f"{task.mart} lacks column(s) the task {task.name} needs: {', '.join(missing)}")
    return population.labelled(task, mart)


def check_enough(task: Task, frame: pl.DataFrame) -> None:
    n = frame.height
    positives = int(frame.get_column(task.target).sum())
    if n < task.min_rows:
        raise TaskSkipped(f"{task.name}: {task.mart} has {n} labelled rows, fewer than the {task.min_rows} needed")
    if positives < task.min_positives or n - positives < task.min_positives:
        raise TaskSkipped(
            f"{task.name}: {task.mart} has {positives} positive and {n - positives} negative rows; "
            f"each needs at least {task.min_positives}"
        )


def read_training_data(task: Task, warehouse_path: Path | None) -> TrainingData:
    mart = data.read_mart(task, warehouse_path)
    labelled = prepare_frame(task, mart)
    x_labelled = to_matrix(build_features(labelled, task.feature_steps), task.numeric, task.binary, task.categorical)
    y_labelled = labelled.get_column(task.target).to_numpy().astype(int)
    development = population.development_mask(task, labelled)
    frame = labelled.filter(pl.Series(development))
    check_enough(task, frame)
    truth = data.read_truth(task, warehouse_path)
    if truth is not None:
        frame = frame.join(truth, on=task.key, how="left", maintain_order="left")
    return TrainingData(
        mart, labelled, x_labelled, y_labelled, frame, x_labelled[development], y_labelled[development], truth
    )


# --- 2. split ----------------------------------------------------------------------------


def plan_evaluation(task: Task, frame: pl.DataFrame, y: np.ndarray) -> EvaluationPlan:
    n = frame.height
    strategy = task.split.strategy
    if strategy == "auto":
        if n < task.split.small_data_rows:
            strategy = "repeated_cv"
        elif task.date_column:
            strategy = "time_holdout"
        else:
            strategy = "stratified_cv"
    if strategy == "time_holdout":
        if not task.date_column:
            raise FeatureError(f"{task.name}: split.strategy time_holdout needs a date_column")
        # frame is sorted by (date, key); cut at a date boundary so that one day is not split
        cut = int(round(n * (1 - task.split.holdout_fraction)))
        dates = frame.get_column(task.date_column)
        while 0 < cut < n and dates[cut] == dates[cut - 1]:
            cut += 1
        train, test = np.arange(cut), np.arange(cut, n)
        desc = (
            f"time-ordered hold-out: train {dates[0]}..{dates[cut - 1]}, "
            f"test {dates[cut]}..{dates[n - 1]} (latest {n - cut} rows)"
        )
        return EvaluationPlan("time_holdout", desc, [Split(0, train, test)], test, 1, cut, n - cut)
    repeats = task.split.cv_repeats if strategy == "repeated_cv" else 1
    folds = task.split.cv_folds
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=task.random_state)
    splits = [Split(i // folds, tr, te) for i, (tr, te) in enumerate(splitter.split(np.zeros(n), y))]
    desc = (
        f"repeated stratified {folds}-fold CV x{repeats} (out-of-fold)"
        if repeats > 1
        else f"stratified {folds}-fold CV (out-of-fold)"
    )
    return EvaluationPlan(strategy if repeats > 1 else "stratified_cv", desc, splits, np.arange(n), repeats, n, n)


def _collect(
    plan: EvaluationPlan, n: int, fold_predictions: list[tuple[Split, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Evaluation predictions aligned with plan.eval_rows, and per-repeat pooled predictions.

    For repeated CV the evaluation predictions are those of the first repeat: each
    comes from one model that did not see the row (averaging repeats would shrink
    the scores towards the mean and bias the calibration slope upwards). The
    other repeats give the spread of the pooled ROC AUC over different splits.
    """
    if plan.strategy == "time_holdout":
        return fold_predictions[0][1], None
    per_repeat = np.full((plan.n_repeats, n), np.nan)
    for split, pred in fold_predictions:
        per_repeat[split.repeat, split.test] = pred
    return per_repeat[0], per_repeat


# --- 3. search ---------------------------------------------------------------------------


def _fit_outer_fold(
    task: Task, candidate: Candidate, x: np.ndarray, y: np.ndarray, split: Split, seed: int, time_ordered: bool
):
    model, chosen, inner_score = fit_candidate(
        task, candidate, x[split.train], y[split.train], seed=seed, time_ordered=time_ordered
    )
    return model, chosen, inner_score, predict_proba_positive(model, x[split.test])


def collect_candidate(
    task: Task,
    candidate: Candidate,
    x: np.ndarray,
    y: np.ndarray,
    plan: EvaluationPlan,
    fitted: list[tuple],
    seconds: float,
) -> CandidateResult:
    """One candidate's outer folds (model, chosen parameters, inner score, test predictions) as a result."""
    fold_predictions, fold_auc, params, models, inner_scores = [], [], [], [], []
    for split, (model, chosen, inner_score, pred) in zip(plan.splits, fitted, strict=True):
        inner_scores.append(inner_score)
        fold_predictions.append((split, pred))
        fold_auc.append(evaluate.roc_auc(y[split.test], pred))
        params.append(chosen)
        if split.repeat == 0 and len(models) < IMPORTANCE_FOLDS:
            # permutation importance later scores each fold model on (a sample of) its test rows
            test = (
                split.test
                if split.test.size <= IMPORTANCE_ROWS
                else np.random.default_rng(task.random_state).choice(split.test, IMPORTANCE_ROWS, replace=False)
            )
            models.append((model, x[test], y[test]))
    predictions, per_repeat = _collect(plan, x.shape[0], fold_predictions)
    return CandidateResult(
        candidate.name, predictions, per_repeat, fold_auc, params, models, seconds, inner_scores=inner_scores
    )


def evaluate_candidates(
    task: Task,
    x: np.ndarray,
    y: np.ndarray,
    plan: EvaluationPlan,
    on_fold: Callable[[], None] = lambda: None,
) -> dict[str, CandidateResult]:
    """Nested CV of every candidate: all outer folds of all candidates go to one worker pool.

    One pool for every (candidate, fold) keeps both workers busy from the first fold to
    the last (a pool per candidate idles one worker while the other finishes the
    candidate's last fold). Fold i of every candidate is fitted with seed
    ``random_state + i``, whichever worker runs it, so the results do not depend on
    the pool. Candidates without a search (the dummy) are fitted here, not shipped.
    """
    searched = [c for c in task.candidates if c.search_space]
    jobs = min(ml_jobs(), len(searched) * len(plan.splits)) if searched else 1
    started = time.perf_counter()
    fitted: dict[str, list] = {c.name: [] for c in task.candidates}
    finished: dict[str, float] = {}
    for candidate in task.candidates:
        if not candidate.search_space:
            t0 = time.perf_counter()
            for i, split in enumerate(plan.splits):
                fitted[candidate.name].append(
                    _fit_outer_fold(task, candidate, x, y, split, task.random_state + i, plan.time_ordered)
                )
                on_fold()
            finished[candidate.name] = time.perf_counter() - t0
    # The costliest candidates' folds first (longest processing time first), with the YAML's
    # complexity as the proxy of cost (boosting > logistic): the quick folds then fill the
    # workers' last gaps instead of one boosting fold running alone at the end.
    by_cost = sorted(searched, key=lambda c: c.complexity, reverse=True)
    work = [(candidate, i, split) for candidate in by_cost for i, split in enumerate(plan.splits)]
    for candidate in searched:
        fitted[candidate.name] = [None] * len(plan.splits)
    left = {candidate.name: len(plan.splits) for candidate in searched}
    # as each outer fold finishes, in submission order (so progress shows while the others run)
    for (candidate, i, _), fold in zip(
        work,
        Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_fit_outer_fold)(task, candidate, x, y, split, task.random_state + i, plan.time_ordered)
            for candidate, i, split in work
        ),
        strict=True,
    ):
        fitted[candidate.name][i] = fold
        on_fold()
        left[candidate.name] -= 1
        if not left[candidate.name]:
            finished[candidate.name] = time.perf_counter() - started  # wall time until its last fold
    return {c.name: collect_candidate(task, c, x, y, plan, fitted[c.name], finished[c.name]) for c in task.candidates}


def search_candidates(
    task: Task, x: np.ndarray, y: np.ndarray, plan: EvaluationPlan, on_progress: Progress = progress.ignore
) -> dict[str, CandidateResult]:
    """Nested CV of every candidate, with its evaluation report; ``on_progress`` counts outer folds."""
    y_eval = y[plan.eval_rows]
    total, done = len(task.candidates) * len(plan.splits), [0]

    def fold_done() -> None:
        done[0] += 1
        on_progress(done[0], total)

    results = evaluate_candidates(task, x, y, plan, fold_done)
    for result in results.values():
        result.report = evaluate.classification_report(
            y_eval,
            result.predictions,
            cost_fn=task.cost_fn,
            cost_fp=task.cost_fp,
            reps=task.bootstrap_reps,
            seed=task.random_state,
        )
    return results


def repeat_aucs(y: np.ndarray, result: CandidateResult) -> list[float]:
    if result.repeat_predictions is None:
        return [evaluate.roc_auc(y, result.predictions)]
    return [evaluate.roc_auc(y, row) for row in result.repeat_predictions]


def select(task: Task, results: dict[str, CandidateResult], y: np.ndarray) -> str:
    """Best ROC AUC (mean over CV repeats); a simpler candidate within the task's tolerance wins
    (documented parsimony rule)."""
    score = {name: float(np.mean(repeat_aucs(y, r))) for name, r in results.items()}
    best = max(score.values())
    complexity = {c.name: c.complexity for c in task.candidates}
    close = [name for name in results if score[name] >= best - task.selection_tolerance]
    return min(close, key=lambda name: (complexity[name], -score[name]))


def selection_rule(task: Task) -> str:
    return (
        f"highest cross-validated ROC AUC (the evaluation above, mean over repeats); a simpler "
        f"candidate within {task.selection_tolerance} of the best is preferred. The out-of-time "
        f"figure is measured for the selected model only and takes no part in the choice"
    )


# --- 4. calibrate ------------------------------------------------------------------------


@dataclass
class Calibration:
    summary: dict
    predictions: np.ndarray  # the evaluation predictions of the model that is deployed

    @property
    def used(self) -> bool:
        return bool(self.summary["used"])

    @property
    def method(self) -> str | None:
        return self.summary.get("method")


def calibrated_predictions(
    task: Task, candidate: Candidate, result: CandidateResult, x: np.ndarray, y: np.ndarray, plan: EvaluationPlan
) -> tuple[np.ndarray, str]:
    """Outer-fold predictions of the candidate wrapped in CalibratedClassifierCV, with the
    hyper-parameters its search chose on that fold; calibration folds follow the scheme."""
    method = "isotonic" if plan.n_train >= 2000 else "sigmoid"
    predictions = Parallel(n_jobs=min(ml_jobs(), len(plan.splits)))(
        delayed(_fit_calibrated_fold)(
            task, candidate, x, y, split, chosen, method, task.random_state + i, plan.time_ordered
        )
        for i, (split, chosen) in enumerate(zip(plan.splits, result.params, strict=True))
    )
    return _collect(plan, x.shape[0], list(zip(plan.splits, predictions, strict=True)))[0], method


def _fit_calibrated_fold(task, candidate, x, y, split, chosen, method, seed, time_ordered) -> np.ndarray:
    calibrated = fit_calibrated(
        task, candidate, chosen, method, x[split.train], y[split.train], seed, time_ordered=time_ordered
    )
    return predict_proba_positive(calibrated, x[split.test])


def check_calibration(
    task: Task, candidate: Candidate, result: CandidateResult, x: np.ndarray, y: np.ndarray, plan: EvaluationPlan
) -> Calibration:
    """Keep the raw model unless CalibratedClassifierCV lowers the Brier score clearly."""
    if candidate.estimator == "dummy":
        return Calibration({"checked": False, "used": False}, result.predictions)
    y_eval = y[plan.eval_rows]
    cal_pred, method = calibrated_predictions(task, candidate, result, x, y, plan)
    brier_raw, brier_cal = evaluate.brier(y_eval, result.predictions), evaluate.brier(y_eval, cal_pred)
    used = brier_cal < brier_raw * (1 - CALIBRATION_MIN_GAIN)
    slope_cal, _ = evaluate.calibration_slope_intercept(y_eval, cal_pred)
    summary = {
        "checked": True,
        "method": method,
        "folds": "time-ordered" if plan.time_ordered else "shuffled stratified",
        "brier_uncalibrated": brier_raw,
        "brier_calibrated": brier_cal,
        "calibration_slope_calibrated": slope_cal,
        "roc_auc_calibrated": evaluate.roc_auc(y_eval, cal_pred),
        "used": bool(used),
    }
    return Calibration(summary, cal_pred if used else result.predictions)


def _fit_recipe(
    task: Task,
    candidate: Candidate,
    params: dict,
    calibration: Calibration,
    x: np.ndarray,
    y: np.ndarray,
    *,
    time_ordered: bool,
):
    """The selected candidate with fixed hyper-parameters, calibrated when calibration is used."""
    if calibration.used:
        return fit_calibrated(
            task, candidate, params, calibration.method, x, y, task.random_state, time_ordered=time_ordered
        )
    return fit_with_params(task, candidate, params, x, y)


# --- 5. out of time ----------------------------------------------------------------------


@dataclass
class OutOfTime:
    summary: dict
    model: object | None = None  # the selected recipe fitted on the earlier cohort
    train_rows: np.ndarray | None = None  # indices into TrainingData.labelled
    cutoff: str | None = None


def evaluate_out_of_time(
    task: Task,
    candidate: Candidate,
    calibration: Calibration,
    training: TrainingData,
    plan: EvaluationPlan,
    cv_report: dict,
) -> OutOfTime | None:
    """Tune and fit the selected candidate on the earlier cohort only; evaluate on the later one."""
    cut = population.out_of_time_cut(task, training.labelled)
    if cut is None:
        return None
    summary = cut.describe(training.labelled)
    y = training.y_labelled
    early, late = np.flatnonzero(cut.earlier), np.flatnonzero(cut.later)
    counts = {"n_train": int(early.size), "n": int(late.size)}
    for name, rows in (("earlier", early), ("later", late)):
        positives = int(y[rows].sum())
        if min(positives, rows.size - positives) < OOT_MIN_CLASS_ROWS:
            summary.update(
                counts,
                skipped=f"the {name} cohort has {positives} positive and "
                f"{rows.size - positives} negative rows (each needs "
                f"{OOT_MIN_CLASS_ROWS})",
            )
            return OutOfTime(summary, cutoff=summary["cutoff"])
    x = training.x_labelled
    tuned, params, _ = fit_candidate(
        task, candidate, x[early], y[early], seed=task.random_state, time_ordered=plan.time_ordered
    )
    model = (
        _fit_recipe(task, candidate, params, calibration, x[early], y[early], time_ordered=plan.time_ordered)
        if calibration.used
        else tuned
    )
    p = predict_proba_positive(model, x[late])
    report = evaluate.classification_report(
        y[late], p, cost_fn=task.cost_fn, cost_fp=task.cost_fp, reps=task.bootstrap_reps, seed=task.random_state
    )
    keys = (
        "roc_auc",
        "roc_auc_ci",
        "pr_auc",
        "pr_auc_ci",
        "brier",
        "brier_ci",
        "log_loss",
        "calibration_slope",
        "calibration_intercept",
        "calibration_curve",
        "n",
        "positives",
        "prevalence",
    )
    summary.update(
        {k: report[k] for k in keys},
        n_train=counts["n_train"],
        positives_train=int(y[early].sum()),
        hyperparameters=params,
        cross_validated_roc_auc=cv_report["roc_auc"],
        roc_auc_gap=cv_report["roc_auc"] - report["roc_auc"],
        auc_gap_warn=OOT_AUC_GAP_WARN,
    )
    summary["warnings"] = out_of_time_warnings(summary)
    return OutOfTime(summary, model, early, summary["cutoff"])


def out_of_time_warnings(summary: dict) -> list[str]:
    out = []
    if summary["roc_auc_gap"] > OOT_AUC_GAP_WARN:
        out.append(
            f"out-of-time ROC AUC {summary['roc_auc']:.3f} is {summary['roc_auc_gap']:.3f} below the "
            f"cross-validated {summary['cross_validated_roc_auc']:.3f} (warning above "
            f"{OOT_AUC_GAP_WARN}): the later cohort differs from the earlier one"
        )
    slope = summary["calibration_slope"]
    lo, hi = OOT_SLOPE_BAND
    if slope is not None and np.isfinite(slope) and not lo <= slope <= hi:
        out.append(
            f"out-of-time calibration slope {slope:.2f} is outside {lo}-{hi}: the scores are "
            f"{'too extreme' if slope < lo else 'too timid'} on the later cohort"
        )
    intercept = summary["calibration_intercept"]
    if intercept is not None and np.isfinite(intercept) and abs(intercept) > OOT_INTERCEPT_WARN:
        out.append(
            f"out-of-time calibration intercept {intercept:.2f} (ideal 0, warning beyond "
            f"±{OOT_INTERCEPT_WARN}): the scores are too {'low' if intercept > 0 else 'high'} on average "
            f"on the later cohort (observed rate {summary['prevalence']:.3f}); recalibrate before use"
        )
    return out


# --- 6. fit ------------------------------------------------------------------------------


@dataclass
class FinalModel:
    inner: object  # the matrix model (pipeline, possibly calibrated)
    params: dict
    x_fit: np.ndarray  # the rows it was fitted on: the training population for drift
    fitted_on: str
    scoring_population: dict


def fit_final(
    task: Task,
    candidate: Candidate,
    result: CandidateResult,
    calibration: Calibration,
    training: TrainingData,
    plan: EvaluationPlan,
    oot: OutOfTime | None,
) -> FinalModel:
    """The deployed model and the population it is meant to score."""
    wants_oot = task.scoring.population == "out_of_time"
    if wants_oot and oot is not None and oot.model is not None:
        rows = oot.train_rows
        return FinalModel(
            oot.model,
            oot.summary["hyperparameters"],
            training.x_labelled[rows],
            f"the {rows.size:,} rows before {oot.cutoff} (the out-of-time model)",
            {"population": "out_of_time", "column": task.out_of_time.column, "cutoff": oot.cutoff},
        )
    params = result.deployment_params()
    inner = _fit_recipe(task, candidate, params, calibration, training.x, training.y, time_ordered=plan.time_ordered)
    scoring = {"population": task.scoring.population}
    if wants_oot:  # the earlier cohort was too small to fit on: the model saw every row
        scoring = {"population": "all", "note": "no out-of-time model (see out_of_time.skipped); every row is scored"}
    return FinalModel(inner, params, training.x, f"all {training.y.size:,} development rows", scoring)


# --- 7. explain --------------------------------------------------------------------------


def explain_model(
    task: Task,
    results: dict[str, CandidateResult],
    selected: str,
    final: FinalModel,
    calibration: Calibration,
    training: TrainingData,
) -> dict:
    columns = list(task.features)
    importance = explain.permutation_importances(results[selected].fold_models, columns, seed=task.random_state)
    top_features = [r["feature"] for r in importance[:5]]
    pdp = [
        explain.partial_dependence(final.inner, training.x, columns, f, seed=task.random_state)
        for f in top_features[:3]
        if f not in task.categorical
    ]
    logistic = next((c for c in task.candidates if c.estimator == "logistic"), None)
    odds = []
    if logistic is not None:
        lr_model = (
            final.inner
            if selected == logistic.name and not calibration.used
            else fit_with_params(task, logistic, results[logistic.name].deployment_params(), training.x, training.y)
        )
        odds = explain.odds_ratios(lr_model, transformed_feature_names(lr_model, task))
    return {
        "importance": importance,
        "top_features": top_features,
        "pdp": pdp,
        "odds": odds,
        "baselines": explain.baselines(final.x_fit, columns, task.categorical),
    }


def oracle_comparison(task: Task, training: TrainingData, plan: EvaluationPlan, predictions: np.ndarray) -> dict | None:
    """The generator's true probabilities on the same evaluation rows (generated data only)."""
    if training.truth is None:
        return None
    y_eval = training.y[plan.eval_rows]
    p_true = training.frame.get_column("true_probability").to_numpy()[plan.eval_rows].astype(float)
    known = ~np.isnan(p_true)
    if known.sum() < 0.9 * known.size or len(np.unique(y_eval[known])) != 2:
        return None
    report = evaluate.classification_report(
        y_eval[known],
        p_true[known],
        cost_fn=task.cost_fn,
        cost_fp=task.cost_fp,
        reps=task.bootstrap_reps,
        seed=task.random_state,
    )
    return {
        "report": report,
        "n": int(known.sum()),
        "known": known,
        "p_true": p_true,
        "ratio": evaluate.roc_auc(y_eval[known], predictions[known]) / report["roc_auc"],
        "ci": evaluate.paired_auc_ratio_interval(
            y_eval[known], predictions[known], p_true[known], reps=task.bootstrap_reps, seed=task.random_state
        ),
    }


# --- helpers for the report ---------------------------------------------------------------


def _summary(report: dict) -> dict:
    keys = (
        "roc_auc",
        "roc_auc_ci",
        "gini",
        "gini_ci",
        "ks",
        "ks_ci",
        "pr_auc",
        "pr_auc_ci",
        "brier",
        "brier_ci",
        "log_loss",
        "calibration_slope",
        "calibration_intercept",
        "threshold",
        "expected_cost_per_row",
        "confusion_matrix",
        "accuracy_at_threshold",
        "accuracy_at_0_5",
        "calibration_curve",
        "n",
        "positives",
        "prevalence",
    )
    return {k: report[k] for k in keys if k in report}


def curves(y: np.ndarray, p: np.ndarray) -> dict:
    """Points for the card's ROC, PR and score-distribution plots (thinned to <= 200 points)."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)

    def thin(a, b):
        idx = np.unique(np.linspace(0, len(a) - 1, min(len(a), 200)).astype(int))
        return np.asarray(a)[idx].round(5).tolist(), np.asarray(b)[idx].round(5).tolist()

    fpr_t, tpr_t = thin(fpr, tpr)
    rec_t, prec_t = thin(recall, precision)
    edges = np.linspace(0, 1, 41)
    return {
        "roc": {"fpr": fpr_t, "tpr": tpr_t},
        "pr": {"recall": rec_t, "precision": prec_t},
        "score_hist": {
            "edges": edges.round(4).tolist(),
            "positives": np.histogram(p[y == 1], edges)[0].tolist(),
            "negatives": np.histogram(p[y == 0], edges)[0].tolist(),
        },
    }


def _date_range(task: Task, frame: pl.DataFrame) -> list[str] | None:
    if not task.date_column:
        return None
    dates = frame.get_column(task.date_column).drop_nulls()
    return [str(dates.min()), str(dates.max())] if dates.len() else None


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


class _Clock:
    """Wall time per step (``timings_seconds`` in metrics.json) and CPU over the run."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.cpu_started = _cpu_seconds()  # comparable on a busy machine, unlike wall time
        self.timings: dict[str, float] = {}

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round(now - self.last, 2)
        self.last = now

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def cpu_seconds(self) -> float:
        return _cpu_seconds() - self.cpu_started


# --- the task ----------------------------------------------------------------------------


def train_task(
    task: str,
    *,
    allow_failed_quality: bool = False,
    warehouse_path: Path | None = None,
    on_progress: Progress = progress.ignore,
) -> TrainResult:
    """Train every candidate of ``task``, select one, save it with metrics, card and inventory entry."""
    # one BLAS/OpenMP thread per fit (outer folds run in parallel worker processes instead):
    # OpenMP teams spin-waiting on a busy 2-core machine made one boosting fit ~20x slower,
    # and worker threads gained little because a boosting fit is mostly GIL-bound Python
    with threadpool_limits(1):
        return _train(
            task, allow_failed_quality=allow_failed_quality, warehouse_path=warehouse_path, on_progress=on_progress
        )


def _train(
    task: str, *, allow_failed_quality: bool, warehouse_path: Path | None, on_progress: Progress = progress.ignore
) -> TrainResult:
    clock = _Clock()
    spec = load_task(task)
    status = enforce_quality_gate(warehouse_path, allow_failed_quality=allow_failed_quality)
    gate = status.as_metadata(allow_failed_quality)
    training = read_training_data(spec, warehouse_path)
    clock.mark("read")
    key, contents = training_cache_key(spec, training)
    fitted = cache.load(spec.name, key, contents)
    if fitted is None:
        fitted = fit_and_evaluate(spec, training, gate, clock, on_progress)
        cache.store(spec.name, key, fitted, contents)
        hit = False
    else:
        folds = len(spec.candidates) * len(fitted.plan.splits)
        on_progress(folds, folds)
        clock.mark("cached")
        hit = True
    metrics = {
        **fitted.metrics,
        "quality_gate": _json_ready(gate),  # this run's gate, not the one of the run that fitted
        "training_cache": {"hit": hit, "key": key[:16], "fitted_seconds": fitted.seconds},
    }
    return write_outputs(
        spec,
        training,
        fitted.plan,
        metrics,
        fitted.final,
        fitted.explained,
        fitted.oracle,
        fitted.calibration,
        gate,
        clock,
    )


def training_cache_key(task: Task, training: TrainingData) -> tuple[str, tuple]:
    """The cache key (mart and truth rows, task configuration, ML code) and the float columns the
    stored entry must match (``ml.cache``)."""
    mart = cache.frame_content(training.mart, _key(task))
    truth = cache.frame_content(training.truth, task.key) if training.truth is not None else None
    return cache.cache_key(repr(task), mart, truth), (mart, truth)


@dataclass
class Fitted:
    """What a training computes before writing: cached as a whole (``ml.cache``)."""

    plan: EvaluationPlan
    metrics: dict
    final: FinalModel
    explained: dict
    oracle: dict | None
    calibration: Calibration
    seconds: float  # wall time of the fitting


def fit_and_evaluate(
    spec: Task, training: TrainingData, gate: dict, clock: _Clock, on_progress: Progress = progress.ignore
) -> Fitted:
    """Search, select, calibrate, evaluate out of time, fit, explain, assemble the metrics."""
    started = time.perf_counter()
    plan = plan_evaluation(spec, training.frame, training.y)
    results = search_candidates(spec, training.x, training.y, plan, on_progress)
    selected = select(spec, results, training.y[plan.eval_rows])
    candidate = next(c for c in spec.candidates if c.name == selected)
    clock.mark("search")
    calibration = check_calibration(spec, candidate, results[selected], training.x, training.y, plan)
    clock.mark("calibrate")
    report = (
        results[selected].report
        if not calibration.used
        else evaluate.classification_report(
            training.y[plan.eval_rows],
            calibration.predictions,
            cost_fn=spec.cost_fn,
            cost_fp=spec.cost_fp,
            reps=spec.bootstrap_reps,
            seed=spec.random_state,
        )
    )
    oot = evaluate_out_of_time(spec, candidate, calibration, training, plan, report)
    clock.mark("out_of_time")
    final = fit_final(spec, candidate, results[selected], calibration, training, plan, oot)
    clock.mark("fit")
    explained = explain_model(spec, results, selected, final, calibration, training)
    clock.mark("explain")
    oracle = oracle_comparison(spec, training, plan, calibration.predictions)
    metrics = assemble_metrics(
        spec, training, plan, results, selected, calibration, report, oot, final, explained, oracle, gate
    )
    clock.mark("metrics")
    return Fitted(plan, metrics, final, explained, oracle, calibration, round(time.perf_counter() - started, 2))


def assemble_metrics(
    task: Task,
    training: TrainingData,
    plan: EvaluationPlan,
    results: dict[str, CandidateResult],
    selected: str,
    calibration: Calibration,
    report: dict,
    oot: OutOfTime | None,
    final: FinalModel,
    explained: dict,
    oracle: dict | None,
    quality_gate: dict,
) -> dict:
    """Every figure of metrics.json (the model's version and file are added when it is saved)."""
    chosen = results[selected]
    y, y_eval, frame = training.y, training.y[plan.eval_rows], training.frame
    eval_frame = frame[plan.eval_rows]
    fair = fairness.fairness_report(
        y_eval,
        calibration.predictions,
        {a: eval_frame.get_column(a).to_list() for a in task.fairness_attributes},
        report["threshold"],
        task.fairness_reference,
    )
    return _json_ready(
        {
            "task": task.name,
            "selected_model": selected,
            "evaluation": {
                "strategy": plan.strategy,
                "description": plan.description,
                "folds": len(plan.splits),
                "repeats": plan.n_repeats,
                "inner_folds": "time-ordered" if plan.time_ordered else "shuffled stratified",
                "search_max_rows": task.search.max_rows,
                "selection_rule": selection_rule(task),
                "selection_figure": "cross_validation",
            },
            **_summary(report),
            "n_train": plan.n_train,
            "n_test": plan.n_test,
            "n_rows": frame.height,
            "fold_roc_auc": {
                "mean": float(np.mean(chosen.fold_roc_auc)),
                "sd": float(np.std(chosen.fold_roc_auc)),
                "values": chosen.fold_roc_auc,
            },
            "roc_auc_by_repeat": repeat_aucs(y_eval, chosen),
            "out_of_time": oot.summary if oot else None,
            "deployed_model": {
                "fitted_on": final.fitted_on,
                "rows": int(final.x_fit.shape[0]),
                "scoring_population": final.scoring_population,
            },
            "costs": {
                "cost_fn": task.cost_fn,
                "cost_fp": task.cost_fp,
                "bayes_threshold_if_calibrated": task.cost_fp / (task.cost_fp + task.cost_fn),
            },
            "calibration": calibration.summary,
            "hyperparameters": final.params,
            "oracle_roc_auc": oracle["report"]["roc_auc"] if oracle else None,
            "oracle_roc_auc_ci": oracle["report"]["roc_auc_ci"] if oracle else None,
            "auc_to_oracle": {"ratio": oracle["ratio"], "ci": oracle["ci"], "n": oracle["n"]} if oracle else None,
            "oracle": _summary(oracle["report"]) if oracle else None,
            "candidates": {
                name: {
                    **_summary(r.report),
                    "roc_auc_repeat_mean": float(np.mean(repeat_aucs(y_eval, r))),
                    "fold_roc_auc_mean": float(np.mean(r.fold_roc_auc)),
                    "fold_roc_auc_sd": float(np.std(r.fold_roc_auc)),
                    "seconds": round(r.seconds, 2),
                    "chosen_hyperparameters": r.params,
                }
                for name, r in results.items()
            },
            "fairness": fair,
            "explanations": {
                "permutation_importance": explained["importance"][:15],
                "partial_dependence": explained["pdp"],
                "odds_ratios": explained["odds"][:20],
                "reason_code_method": "log-odds change when a feature is set to its training "
                "median/mode (see docs/MODELLING.md)",
            },
            "data": {
                "mart": task.mart,
                "rows": frame.height,
                "positives": int(y.sum()),
                "date_range": _date_range(task, frame),
                "fingerprint": data.fingerprint(training.mart, _key(task)),
                "has_truth": training.truth is not None,
                "snapshot": (str(frame.get_column(task.snapshot_column).max()) if task.snapshot_column else None),
                "rows_without_history": (
                    int(frame.filter(pl.col("history_months").fill_null(0) == 0).height)
                    if "history_months" in frame.columns
                    else None
                ),
            },
            "quality_gate": quality_gate,
        }
    )


def _key(task: Task) -> str | list[str]:
    return [task.snapshot_column, task.key] if task.snapshot_column else task.key


# --- 8. write ----------------------------------------------------------------------------


def write_outputs(
    task: Task,
    training: TrainingData,
    plan: EvaluationPlan,
    metrics: dict,
    final: FinalModel,
    explained: dict,
    oracle: dict | None,
    calibration: Calibration,
    quality_gate: dict,
    clock: _Clock,
) -> TrainResult:
    """Save the model and its metadata, write the card, then metrics.json once, in both places."""
    from ml import card

    columns = list(task.features)
    fingerprint = metrics["data"]["fingerprint"]
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    train_scores = predict_proba_positive(final.inner, final.x_fit)
    reference = {"score": drift.reference_distribution(train_scores)}
    for name in explained["top_features"]:
        reference[name] = drift.reference_distribution(
            final.x_fit[:, columns.index(name)], categorical=name in task.categorical
        )
    metadata = _json_ready(
        {
            "task": task.name,
            "created_at": created,
            "selected_model": metrics["selected_model"],
            "hyperparameters": final.params,
            "calibrated": calibration.used,
            "feature_contract": artifacts.feature_contract(
                training.mart, required_inputs(task.feature_steps, task.features), list(task.categorical)
            ),
            "model_inputs": columns,
            "feature_steps": list(task.feature_steps),
            "key": task.key,
            "threshold": metrics["threshold"],
            "decile_edges": np.quantile(train_scores, np.linspace(0.1, 0.9, 9)).tolist(),
            "reason_baselines": explained["baselines"],
            "reference_distributions": reference,
            "top_features": explained["top_features"],
            "fitted_on": final.fitted_on,
            "scoring_population": final.scoring_population,
            "training_data": {
                "mart": task.mart,
                "rows": metrics["data"]["rows"],
                "fingerprint": fingerprint,
                "date_range": metrics["data"]["date_range"],
            },
            "library_versions": artifacts.library_versions(),
            "git_commit": artifacts.git_commit(),
            "quality_gate": quality_gate,
            "metrics_summary": {
                k: metrics.get(k)
                for k in (
                    "roc_auc",
                    "roc_auc_ci",
                    "pr_auc",
                    "brier",
                    "calibration_slope",
                    "oracle_roc_auc",
                    "n_train",
                    "n_test",
                )
            },
        }
    )
    saved = artifacts.save_model(task.name, artifacts.new_version(fingerprint), deployable(task, final.inner), metadata)
    metrics = {
        **metrics,
        "model_version": saved.version,
        "created_at": created,
        "model_path": str(saved.model_path),
        "model_sha256": saved.sha256,
    }
    clock.mark("save_model")

    y_eval = training.y[plan.eval_rows]
    plots = {"model": curves(y_eval, calibration.predictions)}
    if oracle:
        plots["oracle"] = curves(y_eval[oracle["known"]], oracle["p_true"][oracle["known"]])
    report_dir = config.paths().model_reports(task.name)
    html_path, md_path = card.write_model_card(task, metrics, plots, report_dir)
    clock.mark("model_card")

    metrics.update(
        seconds=round(clock.seconds(), 2), cpu_seconds=round(clock.cpu_seconds(), 2), timings_seconds=clock.timings
    )
    metrics_path = artifacts.write_metrics(metrics, saved.folder, report_dir)
    return TrainResult(
        task.name,
        saved.version,
        metrics["selected_model"],
        metrics,
        metrics_path,
        html_path,
        md_path,
        saved.folder,
        clock.seconds(),
    )


app = typer.Typer(add_completion=False, help="Train a task's models (python -m ml.train --task NAME).")


@app.command()
def main(
    task: str = typer.Option("loan_default", help="Task name (a YAML file in ml/tasks/)."),
    allow_failed_quality: bool = typer.Option(False, help="Train despite blocking quality failures."),
) -> None:
    from ml.cli import run_command

    run_command(lambda: train_task(task, allow_failed_quality=allow_failed_quality).lines())


if __name__ == "__main__":
    app()
