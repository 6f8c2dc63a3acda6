"""Which rows of a task's mart play which part: development, out-of-time cohort, scoring population.

Pure functions of a task and a Polars frame, shared by ``ml.train`` (which fits and
evaluates) and ``ml.score`` (which scores), so that both draw the same lines.

- Labelled rows: the target is known.
- Development rows: the labelled rows that cross-validation and the deployed model use
  (with a ``snapshot_column``, those of the latest labelled as-of date; else all).
- Out-of-time split: the labelled rows before the cut-off in ``out_of_time.column`` (the
  earlier cohort) and from it on (the later cohort).
- Scoring population (``scoring.population``): ``all`` rows, the ``out_of_time`` cohort
  (which the deployed model was not fitted on), or the ``unlabelled`` rows (in the latest
  snapshot when there are snapshots): who the model is used on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ml.errors import FeatureError
from ml.tasks import Task


def labelled(task: Task, mart: pl.DataFrame) -> pl.DataFrame:
    """Rows with a known target (cast to 0/1), sorted so that every run sees the same order:
    by snapshot, then by (date, key)."""
    frame = mart.filter(pl.col(task.target).is_not_null()).with_columns(pl.col(task.target).cast(pl.Int8))
    order = [c for c in (task.snapshot_column, task.date_column) if c] + [task.key]
    return frame.sort(list(dict.fromkeys(order)))


def development_mask(task: Task, rows: pl.DataFrame) -> np.ndarray:
    """Rows (of ``labelled``) that cross-validation and the deployed model use."""
    if not task.snapshot_column:
        return np.ones(rows.height, dtype=bool)
    dates = rows.get_column(task.snapshot_column)
    return (dates == dates.max()).to_numpy()


@dataclass(frozen=True)
class TimeCut:
    column: str
    cutoff: dt.date
    earlier: np.ndarray  # boolean masks over the rows given to ``out_of_time_cut``
    later: np.ndarray

    def describe(self, rows: pl.DataFrame) -> dict:
        dates = rows.get_column(self.column)
        early, late = dates.filter(pl.Series(self.earlier)), dates.filter(pl.Series(self.later))
        return {
            "column": self.column,
            "cutoff": str(self.cutoff),
            "train_range": [str(early.min()), str(early.max())] if early.len() else None,
            "evaluate_range": [str(late.min()), str(late.max())] if late.len() else None,
        }


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def out_of_time_cut(task: Task, rows: pl.DataFrame) -> TimeCut | None:
    """The earlier and later cohort of ``rows`` (labelled rows), or None without ``out_of_time``."""
    spec = task.out_of_time
    if spec is None:
        return None
    if spec.column not in rows.columns:
        raise FeatureError(f"{task.mart} lacks the out_of_time column {spec.column} of the task {task.name}")
    dates = rows.get_column(spec.column).cast(pl.Date)
    if dates.null_count() == dates.len():
        raise FeatureError(f"{task.name}: out_of_time column {spec.column} has no values")
    if spec.cutoff == "latest":
        cutoff = _as_date(dates.max())
    elif spec.cutoff:
        cutoff = _as_date(spec.cutoff)
    else:
        ordered = dates.drop_nulls().sort()
        n = ordered.len()
        cut = min(max(int(round(n * (1 - spec.fraction))), 1), n - 1)
        while 0 < cut < n - 1 and ordered[cut] == ordered[cut - 1]:  # one day is never split
            cut += 1
        cutoff = _as_date(ordered[cut])
    values = dates.to_numpy()
    known = ~np.isnat(values) if values.dtype.kind == "M" else dates.is_not_null().to_numpy()
    earlier = (dates < cutoff).fill_null(False).to_numpy() & known
    later = (dates >= cutoff).fill_null(False).to_numpy() & known
    return TimeCut(spec.column, cutoff, earlier, later)


def scoring_rows(task: Task, mart: pl.DataFrame, population: dict) -> pl.DataFrame:
    """The rows ``ledgerlab score`` scores, from the population the model's metadata records."""
    kind = population.get("population", "all")
    if kind == "all":
        return mart
    if kind == "out_of_time":
        column, cutoff = population["column"], _as_date(population["cutoff"])
        if column not in mart.columns:
            raise FeatureError(f"{task.mart} lacks the column {column} that defines the scoring population")
        return mart.filter(pl.col(column).cast(pl.Date) >= cutoff)
    if kind == "unlabelled":
        rows = mart.filter(pl.col(task.target).is_null())
        if task.snapshot_column and rows.height:
            rows = rows.filter(pl.col(task.snapshot_column) == rows.get_column(task.snapshot_column).max())
        return rows
    raise FeatureError(f"{task.name}: unknown scoring population {kind!r}")
