"""Modelling tasks as configuration: one YAML file per task in this folder.

Adding a task means adding a YAML file; nothing in the code names a task.
A task may start from another with ``extends: other_task`` and list only
what differs (mappings merge key by key; lists and values are replaced).
A task says which mart to read, its key and target, the features by type,
the derived-feature steps (functions of ``ml.features``), how to split,
the costs of errors, the candidate models with their search spaces, the
attributes to report fairness by and, for generated data, where the true
probabilities are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ml.errors import TaskConfigError

TASKS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Truth:
    """Where the generator's true probabilities of this task's rows live."""

    raw_table: str  # manifest row whose source folder holds _truth/
    file: str  # e.g. _truth/loans.parquet
    key: str  # key column in the truth file (same values as the mart key)
    probability: str  # the true probability column


@dataclass(frozen=True)
class Split:
    strategy: str = "auto"  # auto | repeated_cv | stratified_cv | time_holdout
    small_data_rows: int = 2000
    cv_folds: int = 5
    cv_repeats: int = 3
    holdout_fraction: float = 0.25


@dataclass(frozen=True)
class OutOfTime:
    """Fit on the rows before a cut-off in ``column``, evaluate on the rows from it on.

    ``cutoff`` is an ISO date, or ``latest`` (the latest date that has labelled rows: for
    a mart of snapshots, fit on the earlier snapshots and evaluate on the latest one).
    Without a cutoff, the latest ``fraction`` of labelled rows is the later cohort.
    """

    column: str
    cutoff: str | None = None
    fraction: float = 0.2


@dataclass(frozen=True)
class Scoring:
    """Which mart rows ``ledgerlab score`` scores, and so which population drift compares.

    ``all``: every row. ``out_of_time``: the cohort after the out-of-time cut-off; the
    deployed model is the one fitted before it. ``unlabelled``: rows whose target is not
    known yet (in the latest snapshot when the task has a ``snapshot_column``).
    """

    population: str = "all"


@dataclass(frozen=True)
class Search:
    method: str = "random"  # random | halving
    n_iter: int = 8
    inner_folds: int = 3
    # log loss is a proper scoring rule: it tunes for ranking *and* calibration
    scoring: str = "neg_log_loss"
    # The search runs on at most this many rows of a training set (a seeded stratified
    # sample); the chosen parameters are then fitted on all of its rows (ml.models.fit_candidate).
    max_rows: int = 50_000


@dataclass(frozen=True)
class Candidate:
    name: str
    estimator: str  # dummy | logistic | hist_gradient_boosting
    params: dict[str, Any] = field(default_factory=dict)
    search_space: dict[str, Any] = field(default_factory=dict)
    complexity: int = 0  # lower is simpler; used by the parsimony rule


@dataclass(frozen=True)
class Task:
    name: str
    description: str
    mart: str
    key: str
    target: str
    date_column: str | None
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    binary: tuple[str, ...]
    feature_steps: tuple[str, ...]
    split: Split
    search: Search
    candidates: tuple[Candidate, ...]
    cost_fn: float
    cost_fp: float
    fairness_attributes: tuple[str, ...]
    fairness_reference: dict[str, str]
    truth: Truth | None
    min_rows: int = 100
    min_positives: int = 10
    selection_tolerance: float = 0.005
    bootstrap_reps: int = 500
    random_state: int = 42
    score_meaning: str = "probability of the target"
    notes: tuple[str, ...] = ()
    out_of_time: OutOfTime | None = None
    scoring: Scoring = Scoring()
    # a mart of several as-of dates: cross-validation and the deployed model use the
    # latest labelled one; the others serve the out-of-time evaluation
    snapshot_column: str | None = None

    @property
    def features(self) -> tuple[str, ...]:
        """Model inputs in a fixed order: numeric, binary, categorical."""
        return (*self.numeric, *self.binary, *self.categorical)

    def feature_type(self, name: str) -> str:
        if name in self.numeric:
            return "numeric"
        if name in self.binary:
            return "binary"
        if name in self.categorical:
            return "categorical"
        raise KeyError(name)


_ESTIMATORS = {"dummy", "logistic", "hist_gradient_boosting"}
_STRATEGIES = {"auto", "repeated_cv", "stratified_cv", "time_holdout"}
_POPULATIONS = {"all", "out_of_time", "unlabelled"}


def available_tasks(tasks_dir: Path | None = None) -> list[str]:
    """Names of the tasks defined by ``*.yaml`` files, sorted."""
    folder = tasks_dir or TASKS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _require(raw: dict, key: str, where: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise TaskConfigError(f"{where}: required key {key!r} is missing")
    return raw[key]


def _deep_merge(base: dict, override: dict) -> dict:
    """``override`` wins; mappings merge key by key, anything else (lists too) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_with_extends(path: Path, folder: Path, chain: tuple[str, ...]) -> dict:
    """The task's YAML; with ``extends: other_task``, the other task's overridden by this one."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TaskConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise TaskConfigError(f"{path}: a task is a mapping of keys, not {type(raw).__name__}")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    parent = str(parent)
    if parent in (*chain, path.stem):
        raise TaskConfigError(
            f"{path}: extends {parent!r} goes round in a circle ({' -> '.join((*chain, path.stem, parent))})"
        )
    parent_path = folder / f"{parent}.yaml"
    if not parent_path.is_file():
        known = ", ".join(available_tasks(folder)) or "none"
        raise TaskConfigError(f"{path}: extends unknown task {parent!r}; available: {known}")
    base = _read_with_extends(parent_path, folder, (*chain, path.stem))
    base.pop("name", None)  # a task is named after its own file
    return _deep_merge(base, raw)


def load_task(name: str, tasks_dir: Path | None = None) -> Task:
    """Read and check ``<name>.yaml``; unknown names list the available tasks."""
    folder = tasks_dir or TASKS_DIR
    path = folder / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(available_tasks(folder)) or "none"
        raise TaskConfigError(f"unknown task {name!r} (no {path}); available: {known}")
    raw = _read_with_extends(path, folder, ())
    where = str(path)
    features = _require(raw, "features", where)
    numeric = tuple(features.get("numeric") or ())
    categorical = tuple(features.get("categorical") or ())
    binary = tuple(features.get("binary") or ())
    all_features = (*numeric, *binary, *categorical)
    duplicated = sorted({f for f in all_features if all_features.count(f) > 1})
    if duplicated:
        raise TaskConfigError(f"{where}: features listed twice: {', '.join(duplicated)}")
    if not all_features:
        raise TaskConfigError(f"{where}: no features listed")

    split_raw = raw.get("split") or {}
    split = Split(**split_raw)
    if split.strategy not in _STRATEGIES:
        raise TaskConfigError(f"{where}: split.strategy {split.strategy!r} not one of {sorted(_STRATEGIES)}")

    candidates = []
    for cand_name, spec in (_require(raw, "candidates", where) or {}).items():
        estimator = _require(spec, "estimator", f"{where}: candidates.{cand_name}")
        if estimator not in _ESTIMATORS:
            raise TaskConfigError(
                f"{where}: candidates.{cand_name}.estimator {estimator!r} not one of {sorted(_ESTIMATORS)}"
            )
        candidates.append(
            Candidate(
                name=cand_name,
                estimator=estimator,
                params=dict(spec.get("params") or {}),
                search_space=dict(spec.get("search") or {}),
                complexity=int(spec.get("complexity", 0)),
            )
        )

    costs = raw.get("costs") or {}
    fairness = raw.get("fairness") or {}
    truth_raw = raw.get("truth")
    truth = Truth(**truth_raw) if truth_raw else None
    from ml.features import known_steps  # the YAML may only name registered steps

    steps = tuple(raw.get("feature_steps") or ())
    unknown = [s for s in steps if s not in known_steps()]
    if unknown:
        raise TaskConfigError(f"{where}: unknown feature_steps {unknown}; known: {', '.join(sorted(known_steps()))}")
    out_of_time, scoring = _out_of_time_and_scoring(raw, where)
    task = Task(
        name=str(raw.get("name", name)),
        description=str(raw.get("description", "")).strip(),
        mart=_require(raw, "mart", where),
        key=_require(raw, "key", where),
        target=_require(raw, "target", where),
        date_column=raw.get("date_column"),
        numeric=numeric,
        categorical=categorical,
        binary=binary,
        feature_steps=steps,
        split=split,
        search=Search(**(raw.get("search") or {})),
        candidates=tuple(candidates),
        cost_fn=float(costs.get("cost_fn", 1.0)),
        cost_fp=float(costs.get("cost_fp", 1.0)),
        fairness_attributes=tuple(fairness.get("attributes") or ()),
        fairness_reference=dict(fairness.get("reference") or {}),
        truth=truth,
        min_rows=int(raw.get("min_rows", 100)),
        min_positives=int(raw.get("min_positives", 10)),
        selection_tolerance=float(raw.get("selection_tolerance", 0.005)),
        bootstrap_reps=int(raw.get("bootstrap_reps", 500)),
        random_state=int(raw.get("random_state", 42)),
        score_meaning=str(raw.get("score_meaning", "probability of the target")),
        notes=tuple(raw.get("notes") or ()),
        out_of_time=out_of_time,
        scoring=scoring,
        snapshot_column=raw.get("snapshot_column"),
    )
    if task.name != name:
        raise TaskConfigError(f"{where}: name {task.name!r} differs from the file name {name!r}")
    return task


def _out_of_time_and_scoring(raw: dict, where: str) -> tuple[OutOfTime | None, Scoring]:
    oot_raw = raw.get("out_of_time")
    out_of_time = None
    if oot_raw:
        if not isinstance(oot_raw, dict):
            raise TaskConfigError(f"{where}: out_of_time must be a mapping with column and cutoff or fraction")
        unknown = sorted(set(oot_raw) - {"column", "cutoff", "fraction"})
        if unknown:
            raise TaskConfigError(f"{where}: out_of_time has unknown key(s) {unknown}")
        column = _require(oot_raw, "column", f"{where}: out_of_time")
        cutoff = oot_raw.get("cutoff")
        fraction = float(oot_raw.get("fraction", 0.2))
        if not 0 < fraction < 1:
            raise TaskConfigError(f"{where}: out_of_time.fraction {fraction} is not between 0 and 1")
        out_of_time = OutOfTime(str(column), None if cutoff is None else str(cutoff), fraction)
    scoring = Scoring(**(raw.get("scoring") or {}))
    if scoring.population not in _POPULATIONS:
        raise TaskConfigError(f"{where}: scoring.population {scoring.population!r} not one of {sorted(_POPULATIONS)}")
    if scoring.population == "out_of_time" and out_of_time is None:
        raise TaskConfigError(f"{where}: scoring.population out_of_time needs an out_of_time block")
    return out_of_time, scoring
