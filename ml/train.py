"""Train, tune and validate a task's candidate models; save the selected one with its card.

The evaluation plan (``plan_evaluation``):

- ``repeated_cv``: repeated stratified k-fold (small data, below
  ``split.small_data_rows``). Every row gets one out-of-fold prediction per
  repeat; the evaluation prediction of a row is their mean.
- ``stratified_cv``: the same with one repeat (large data without a date).
- ``time_holdout``: train on the earliest 75 % by the task's date column,
  evaluate on the latest 25 % (large data with a date).

Hyper-parameters are tuned inside every outer training set by a randomised
(or successive-halving) search with an inner stratified CV, so the outer
predictions never saw the rows that chose them (nested CV). The selected
model is the one with the best evaluation ROC AUC, except that a simpler
candidate within ``selection_tolerance`` of the best is preferred (parsimony:
a bank explains a logistic model more easily). The selected candidate is then
refitted on all rows with the hyper-parameters its nested searches chose (those
of the outer fold with the best inner-CV score), and saved.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import psutil
import typer
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from expectations.gate import enforce_quality_gate
from ledgerlab import config
from ml import artifacts, data, drift, evaluate, explain, fairness
from ml.errors import FeatureError, TaskSkipped
from ml.features import build_features, required_inputs, to_matrix
from ml.models import (
    build_pipeline,
    deployable,
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
        if m.get("oracle_roc_auc") is not None:
            ratio = m["auc_to_oracle"]
            out.append(
                f"oracle ROC AUC {m['oracle_roc_auc']:.3f} on the same rows: model/oracle {ratio['ratio']:.3f} "
                f"(95% CI {ratio['ci'][0]:.3f}-{ratio['ci'][1]:.3f})"
            )
        others = ", ".join(f"{name} {f(c['roc_auc'])}" for name, c in m["candidates"].items()
                           if name != self.selected_model)
        out.append(f"other candidates (ROC AUC): {others}")
        out.append(f"model {self.model_version} in {self.model_dir} "
                   f"({self.seconds:.1f} s wall, {m.get('cpu_seconds', 0):.1f} s CPU)")
        out.append(f"metrics {self.metrics_path}; card {self.card_html}")
        return out


# --- data --------------------------------------------------------------------------------

def prepare_frame(task: Task, mart: pl.DataFrame) -> pl.DataFrame:
    """Rows with a known target, sorted by (date, key) so that every run sees the same order."""
    inputs = required_inputs(task.feature_steps, task.features)
    needed = [task.key, task.target, *inputs, *task.fairness_attributes]
    if task.date_column:
        needed.append(task.date_column)
    missing = [c for c in dict.fromkeys(needed) if c not in mart.columns]
    if missing:
        raise FeatureError(f"{task.mart} lacks column(s) the task {task.name} needs: {', '.join(missing)}")
    frame = mart.filter(pl.col(task.target).is_not_null()).with_columns(
        pl.col(task.target).cast(pl.Int8)
    )
    order = [task.date_column, task.key] if task.date_column else [task.key]
    return frame.sort(order)


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


# --- evaluation plan ---------------------------------------------------------------------

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
        desc = (f"time-ordered hold-out: train {dates[0]}..{dates[cut - 1]}, "
                f"test {dates[cut]}..{dates[n - 1]} (latest {n - cut} rows)")
        return EvaluationPlan("time_holdout", desc, [Split(0, train, test)], test, 1, cut, n - cut)
    repeats = task.split.cv_repeats if strategy == "repeated_cv" else 1
    folds = task.split.cv_folds
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=task.random_state)
    splits = [Split(i // folds, tr, te) for i, (tr, te) in enumerate(splitter.split(np.zeros(n), y))]
    desc = (f"repeated stratified {folds}-fold CV x{repeats} (out-of-fold)" if repeats > 1
            else f"stratified {folds}-fold CV (out-of-fold)")
    return EvaluationPlan(strategy if repeats > 1 else "stratified_cv", desc, splits, np.arange(n),
                          repeats, n, n)


def _collect(plan: EvaluationPlan, n: int, fold_predictions: list[tuple[Split, np.ndarray]]
             ) -> tuple[np.ndarray, list[float] | None]:
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


def _fit_outer_fold(task: Task, candidate: Candidate, x: np.ndarray, y: np.ndarray, split: Split, seed: int):
    model, chosen, inner_score = fit_candidate(task, candidate, x[split.train], y[split.train], seed=seed)
    return model, chosen, inner_score, predict_proba_positive(model, x[split.test])


def evaluate_candidate(task: Task, candidate: Candidate, x: np.ndarray, y: np.ndarray,
                       plan: EvaluationPlan) -> CandidateResult:
    started = time.perf_counter()
    fold_predictions, fold_auc, params, models, inner_scores = [], [], [], [], []
    jobs = min(ml_jobs(), len(plan.splits)) if candidate.search_space else 1
    fitted = Parallel(n_jobs=jobs)(
        delayed(_fit_outer_fold)(task, candidate, x, y, split, task.random_state + i)
        for i, split in enumerate(plan.splits)
    )
    for split, (model, chosen, inner_score, pred) in zip(plan.splits, fitted, strict=True):
        inner_scores.append(inner_score)
        fold_predictions.append((split, pred))
        fold_auc.append(evaluate.roc_auc(y[split.test], pred))
        params.append(chosen)
        if split.repeat == 0 and len(models) < IMPORTANCE_FOLDS:
            # permutation importance later scores each fold model on (a sample of) its test rows
            test = split.test if split.test.size <= IMPORTANCE_ROWS else np.random.default_rng(
                task.random_state).choice(split.test, IMPORTANCE_ROWS, replace=False)
            models.append((model, x[test], y[test]))
    predictions, per_repeat = _collect(plan, x.shape[0], fold_predictions)
    return CandidateResult(candidate.name, predictions, per_repeat, fold_auc, params, models,
                           time.perf_counter() - started, inner_scores=inner_scores)


def calibrated_predictions(task: Task, candidate: Candidate, result: CandidateResult, x: np.ndarray,
                           y: np.ndarray, plan: EvaluationPlan) -> tuple[np.ndarray, str]:
    """Outer-fold predictions of the candidate wrapped in CalibratedClassifierCV, with the
    hyper-parameters its search chose on that fold."""
    method = "isotonic" if plan.n_train >= 2000 else "sigmoid"
    predictions = Parallel(n_jobs=min(ml_jobs(), len(plan.splits)))(
        delayed(_fit_calibrated_fold)(task, candidate, x, y, split, chosen, method)
        for split, chosen in zip(plan.splits, result.params, strict=True)
    )
    return _collect(plan, x.shape[0], list(zip(plan.splits, predictions, strict=True)))[0], method


def _fit_calibrated_fold(task, candidate, x, y, split, chosen, method) -> np.ndarray:
    base = build_pipeline(task, candidate).set_params(**{f"model__{k}": v for k, v in chosen.items()})
    calibrated = CalibratedClassifierCV(base, method=method, cv=3).fit(x[split.train], y[split.train])
    return predict_proba_positive(calibrated, x[split.test])


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


# --- helpers for the report ---------------------------------------------------------------

def _summary(report: dict) -> dict:
    keys = ("roc_auc", "roc_auc_ci", "gini", "gini_ci", "ks", "ks_ci", "pr_auc", "pr_auc_ci", "brier",
            "brier_ci", "log_loss", "calibration_slope", "calibration_intercept", "threshold",
            "expected_cost_per_row", "confusion_matrix", "accuracy_at_threshold", "accuracy_at_0_5",
            "calibration_curve", "n", "positives", "prevalence")
    return {k: report[k] for k in keys if k in report}


def _paired_ratio_interval(y, p_model, p_oracle, reps: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(reps):
        idx = rng.integers(0, y.size, y.size)
        if y[idx].min() == y[idx].max():
            continue
        ratios.append(evaluate.ranking_metrics(y[idx], p_model[idx])["roc_auc"]
                      / evaluate.ranking_metrics(y[idx], p_oracle[idx])["roc_auc"])
    return [float(v) for v in np.quantile(ratios, [0.025, 0.975])]


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


# --- the task ----------------------------------------------------------------------------

def train_task(task: str, *, allow_failed_quality: bool = False,
               warehouse_path: Path | None = None) -> TrainResult:
    """Train every candidate of ``task``, select one, save it with metrics, card and inventory entry."""
    # one BLAS/OpenMP thread per fit (outer folds run in parallel worker processes instead):
    # OpenMP teams spin-waiting on a busy 2-core machine made one boosting fit ~20x slower,
    # and worker threads gained little because a boosting fit is mostly GIL-bound Python
    with threadpool_limits(1):
        return _train(task, allow_failed_quality=allow_failed_quality, warehouse_path=warehouse_path)


def _train(task: str, *, allow_failed_quality: bool, warehouse_path: Path | None) -> TrainResult:
    started = time.perf_counter()
    cpu_started = _cpu_seconds()  # comparable on a busy machine, unlike wall time
    timings: dict[str, float] = {}
    last = [started]

    def mark(phase: str) -> None:
        now = time.perf_counter()
        timings[phase] = round(now - last[0], 2)
        last[0] = now
    spec = load_task(task)
    status = enforce_quality_gate(warehouse_path, allow_failed_quality=allow_failed_quality)
    mart = data.read_mart(spec, warehouse_path)
    frame = prepare_frame(spec, mart)
    check_enough(spec, frame)
    truth = data.read_truth(spec, warehouse_path)
    if truth is not None:
        frame = frame.join(truth, on=spec.key, how="left", maintain_order="left")

    features = build_features(frame, spec.feature_steps)
    columns = list(spec.features)
    x = to_matrix(features, spec.numeric, spec.binary, spec.categorical)
    y = frame.get_column(spec.target).to_numpy().astype(int)
    plan = plan_evaluation(spec, frame, y)
    y_eval = y[plan.eval_rows]

    results: dict[str, CandidateResult] = {}
    for candidate in spec.candidates:
        result = evaluate_candidate(spec, candidate, x, y, plan)
        result.report = evaluate.classification_report(
            y_eval, result.predictions, cost_fn=spec.cost_fn, cost_fp=spec.cost_fp,
            reps=spec.bootstrap_reps, seed=spec.random_state)
        results[candidate.name] = result
    mark("data_and_candidates")
    selected = select(spec, results, y_eval)
    chosen_candidate = next(c for c in spec.candidates if c.name == selected)
    chosen = results[selected]

    # calibration: keep the raw model unless CalibratedClassifierCV lowers the Brier score clearly
    calibration = {"checked": False, "used": False}
    eval_predictions = chosen.predictions
    if chosen_candidate.estimator != "dummy":
        cal_pred, method = calibrated_predictions(spec, chosen_candidate, chosen, x, y, plan)
        brier_raw, brier_cal = evaluate.brier(y_eval, chosen.predictions), evaluate.brier(y_eval, cal_pred)
        used = brier_cal < brier_raw * (1 - CALIBRATION_MIN_GAIN)
        slope_cal, _ = evaluate.calibration_slope_intercept(y_eval, cal_pred)
        calibration = {"checked": True, "method": method, "brier_uncalibrated": brier_raw,
                       "brier_calibrated": brier_cal, "calibration_slope_calibrated": slope_cal,
                       "roc_auc_calibrated": evaluate.roc_auc(y_eval, cal_pred), "used": bool(used)}
        if used:
            eval_predictions = cal_pred
    mark("calibration_check")
    report = (evaluate.classification_report(y_eval, eval_predictions, cost_fn=spec.cost_fn,
                                             cost_fp=spec.cost_fp, reps=spec.bootstrap_reps,
                                             seed=spec.random_state)
              if calibration["used"] else chosen.report)

    # the deployed model: the selected candidate with the hyper-parameters its nested searches
    # chose (best inner score), fitted on every row
    final_params = chosen.deployment_params()
    if calibration["used"]:
        base = build_pipeline(spec, chosen_candidate).set_params(
            **{f"model__{k}": v for k, v in final_params.items()})
        final_inner = CalibratedClassifierCV(base, method=calibration["method"], cv=3).fit(x, y)
    else:
        final_inner = fit_with_params(spec, chosen_candidate, final_params, x, y)
    model = deployable(spec, final_inner)
    mark("final_fit")
    train_scores = predict_proba_positive(final_inner, x)

    # explanations
    importance = explain.permutation_importances(chosen.fold_models, columns, seed=spec.random_state)
    top_features = [r["feature"] for r in importance[:5]]
    pdp = [explain.partial_dependence(final_inner, x, columns, f, seed=spec.random_state)
           for f in top_features[:3] if f not in spec.categorical]
    logistic = next((c for c in spec.candidates if c.estimator == "logistic"), None)
    odds = []
    if logistic is not None:
        lr_model = (final_inner if selected == logistic.name and not calibration["used"]
                    else fit_with_params(spec, logistic, results[logistic.name].deployment_params(), x, y))
        odds = explain.odds_ratios(lr_model, transformed_feature_names(lr_model, spec))
    baseline = explain.baselines(x, columns, spec.categorical)
    mark("explanations")

    # oracle on the same evaluation rows
    oracle = None
    if truth is not None:
        p_true = frame.get_column("true_probability").to_numpy()[plan.eval_rows]
        known = ~np.isnan(p_true.astype(float))
        if known.sum() >= 0.9 * known.size and len(np.unique(y_eval[known])) == 2:
            oracle_report = evaluate.classification_report(
                y_eval[known], p_true[known], cost_fn=spec.cost_fn, cost_fp=spec.cost_fp,
                reps=spec.bootstrap_reps, seed=spec.random_state)
            model_on_known = evaluate.roc_auc(y_eval[known], eval_predictions[known])
            oracle = {"report": oracle_report, "n": int(known.sum()),
                      "ratio": model_on_known / oracle_report["roc_auc"],
                      "ci": _paired_ratio_interval(y_eval[known], eval_predictions[known],
                                                   p_true[known].astype(float), spec.bootstrap_reps,
                                                   spec.random_state)}

    mark("oracle")
    eval_frame = frame[plan.eval_rows]
    fair = fairness.fairness_report(
        y_eval, eval_predictions,
        {a: eval_frame.get_column(a).to_list() for a in spec.fairness_attributes},
        report["threshold"], spec.fairness_reference)

    # hand-off
    fingerprint = data.fingerprint(mart, spec.key)
    version = artifacts.new_version(fingerprint)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    inputs = required_inputs(spec.feature_steps, spec.features)
    deciles = np.quantile(train_scores, np.linspace(0.1, 0.9, 9)).tolist()
    reference = {"score": drift.reference_distribution(train_scores)}
    for name in top_features:
        j = columns.index(name)
        reference[name] = drift.reference_distribution(x[:, j], categorical=name in spec.categorical)

    metrics = {
        "task": spec.name,
        "selected_model": selected,
        "model_version": version,
        "created_at": created,
        "evaluation": {"strategy": plan.strategy, "description": plan.description,
                       "folds": len(plan.splits), "repeats": plan.n_repeats,
                       "selection_rule": f"highest evaluation ROC AUC; a simpler candidate within "
                                         f"{spec.selection_tolerance} of the best is preferred"},
        **_summary(report),
        "n_train": plan.n_train,
        "n_test": plan.n_test,
        "n_rows": frame.height,
        "fold_roc_auc": {"mean": float(np.mean(chosen.fold_roc_auc)), "sd": float(np.std(chosen.fold_roc_auc)),
                         "values": chosen.fold_roc_auc},
        "roc_auc_by_repeat": repeat_aucs(y_eval, chosen),
        "costs": {"cost_fn": spec.cost_fn, "cost_fp": spec.cost_fp,
                  "bayes_threshold_if_calibrated": spec.cost_fp / (spec.cost_fp + spec.cost_fn)},
        "calibration": calibration,
        "hyperparameters": final_params,
        "oracle_roc_auc": oracle["report"]["roc_auc"] if oracle else None,
        "oracle_roc_auc_ci": oracle["report"]["roc_auc_ci"] if oracle else None,
        "auc_to_oracle": {"ratio": oracle["ratio"], "ci": oracle["ci"], "n": oracle["n"]} if oracle else None,
        "oracle": _summary(oracle["report"]) if oracle else None,
        "candidates": {name: {**_summary(r.report), "roc_auc_repeat_mean": float(np.mean(repeat_aucs(y_eval, r))),
                              "fold_roc_auc_mean": float(np.mean(r.fold_roc_auc)),
                              "fold_roc_auc_sd": float(np.std(r.fold_roc_auc)), "seconds": round(r.seconds, 2),
                              "chosen_hyperparameters": r.params}
                       for name, r in results.items()},
        "fairness": fair,
        "explanations": {"permutation_importance": importance[:15], "partial_dependence": pdp,
                         "odds_ratios": odds[:20],
                         "reason_code_method": "log-odds change when a feature is set to its training "
                                               "median/mode (see docs/MODELLING.md)"},
        "data": {"mart": spec.mart, "rows": frame.height, "positives": int(y.sum()),
                 "date_range": _date_range(spec, frame), "fingerprint": fingerprint,
                 "has_truth": truth is not None,
                 "rows_without_history": (int(frame.filter(pl.col("history_months").fill_null(0) == 0).height)
                                          if "history_months" in frame.columns else None)},
        "quality_gate": status.as_metadata(allow_failed_quality),
        "seconds": None,
    }
    metrics = _json_ready(metrics)
    mark("fairness_and_metadata")
    metadata = _json_ready({
        "task": spec.name,
        "created_at": created,
        "selected_model": selected,
        "hyperparameters": final_params,
        "calibrated": calibration["used"],
        "feature_contract": artifacts.feature_contract(mart, inputs, list(spec.categorical)),
        "model_inputs": columns,
        "feature_steps": list(spec.feature_steps),
        "key": spec.key,
        "threshold": report["threshold"],
        "decile_edges": deciles,
        "reason_baselines": baseline,
        "reference_distributions": reference,
        "top_features": top_features,
        "training_data": {"mart": spec.mart, "rows": frame.height, "fingerprint": fingerprint,
                          "date_range": _date_range(spec, frame)},
        "library_versions": artifacts.library_versions(),
        "git_commit": artifacts.git_commit(),
        "quality_gate": status.as_metadata(allow_failed_quality),
        "metrics_summary": {k: metrics.get(k) for k in ("roc_auc", "roc_auc_ci", "pr_auc", "brier",
                                                        "calibration_slope", "oracle_roc_auc",
                                                        "n_train", "n_test")},
    })
    saved = artifacts.save_model(spec.name, version, model, metadata, metrics)
    metrics["model_version"] = saved.version
    metrics["model_path"] = str(saved.model_path)
    metrics["model_sha256"] = saved.sha256
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    metrics["cpu_seconds"] = round(_cpu_seconds() - cpu_started, 2)

    report_dir = config.paths().model_reports(spec.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = report_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (saved.folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")

    from ml import card

    plots = {"model": curves(y_eval, eval_predictions)}
    if oracle:
        p_true = frame.get_column("true_probability").to_numpy()[plan.eval_rows].astype(float)
        known = ~np.isnan(p_true)
        plots["oracle"] = curves(y_eval[known], p_true[known])
    html_path, md_path = card.write_model_card(spec, metrics, plots, report_dir)
    mark("model_card")
    metrics["timings_seconds"] = timings
    metrics_path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return TrainResult(spec.name, saved.version, selected, metrics, metrics_path, html_path, md_path,
                       saved.folder, time.perf_counter() - started)


app = typer.Typer(add_completion=False, help="Train a task's models (python -m ml.train --task NAME).")


@app.command()
def main(task: str = typer.Option("loan_default", help="Task name (a YAML file in ml/tasks/)."),
         allow_failed_quality: bool = typer.Option(False, help="Train despite blocking quality failures.")) -> None:
    from ml.cli import run_command

    run_command(lambda: train_task(task, allow_failed_quality=allow_failed_quality).lines())


if __name__ == "__main__":
    app()
