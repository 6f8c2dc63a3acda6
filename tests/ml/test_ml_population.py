"""Which rows play which part (``ml.population``) and how a task declares it (``ml.tasks``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import yaml

from ml import population
from ml.errors import TaskConfigError
from ml.tasks import load_task

R = dt.date(1998, 1, 1)


def _task(tmp_path, **extra):
    spec = {
        "name": "t",
        "mart": "marts.m",
        "key": "id",
        "target": "y",
        "date_column": extra.pop("date_column", None),
        "features": {"numeric": ["f"]},
        "candidates": {"dummy": {"estimator": "dummy"}},
        **extra,
    }
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(spec))
    return load_task("t", tmp_path)


def snapshots() -> pl.DataFrame:
    """Three snapshots of ids 1..4: R-12m and R labelled, R+12m unlabelled (id 4 only at R+12m)."""
    rows = []
    for date, ids, labelled in (
        (dt.date(1997, 1, 1), [1, 2, 3], True),
        (R, [1, 2, 3], True),
        (dt.date(1999, 1, 1), [1, 2, 3, 4], False),
    ):
        rows += [{"id": i, "reference_date": date, "y": (i % 2 == 0) if labelled else None, "f": float(i)} for i in ids]
    return pl.DataFrame(rows).sample(fraction=1.0, shuffle=True, seed=1)


def test_snapshots_split_into_development_out_of_time_and_scoring(tmp_path):
    task = _task(
        tmp_path,
        snapshot_column="reference_date",
        out_of_time={"column": "reference_date", "cutoff": "latest"},
        scoring={"population": "unlabelled"},
    )
    mart = snapshots()
    rows = population.labelled(task, mart)
    assert rows.height == 6 and rows["reference_date"].is_sorted()
    development = rows.filter(pl.Series(population.development_mask(task, rows)))
    assert set(development["reference_date"]) == {R} and development["id"].to_list() == [1, 2, 3]
    cut = population.out_of_time_cut(task, rows)
    assert cut.cutoff == R
    assert set(rows.filter(pl.Series(cut.earlier))["reference_date"]) == {dt.date(1997, 1, 1)}
    assert set(rows.filter(pl.Series(cut.later))["reference_date"]) == {R}
    scored = population.scoring_rows(task, mart, {"population": "unlabelled"})
    assert sorted(scored["id"].to_list()) == [1, 2, 3, 4]
    assert set(scored["reference_date"]) == {dt.date(1999, 1, 1)}


def test_fraction_cut_keeps_a_day_together(tmp_path):
    task = _task(tmp_path, date_column="d", out_of_time={"column": "d", "fraction": 0.25})
    days = [dt.date(1998, 1, 1) + dt.timedelta(days=i) for i in (0, 1, 2, 3, 4, 5, 6, 6, 6, 7)]
    rows = population.labelled(task, pl.DataFrame({"id": range(10), "d": days, "y": [0, 1] * 5, "f": [0.0] * 10}))
    cut = population.out_of_time_cut(task, rows)
    # 25 % of 10 rows would cut inside the three rows of day 6: the cut moves to the next day
    assert cut.cutoff == dt.date(1998, 1, 8)
    assert cut.earlier.sum() == 9 and cut.later.sum() == 1
    assert not np.any(cut.earlier & cut.later)
    later = population.scoring_rows(task, rows, {"population": "out_of_time", "column": "d", "cutoff": "1998-01-08"})
    assert later["id"].to_list() == [9]
    described = cut.describe(rows)
    assert described["train_range"] == ["1998-01-01", "1998-01-07"] and described["cutoff"] == "1998-01-08"


def test_a_fixed_cutoff_date_and_the_all_population(tmp_path):
    task = _task(tmp_path, date_column="d", out_of_time={"column": "d", "cutoff": "1998-01-03"})
    days = [dt.date(1998, 1, 1) + dt.timedelta(days=i) for i in range(5)]
    rows = population.labelled(task, pl.DataFrame({"id": range(5), "d": days, "y": [0, 1, 0, 1, 0], "f": [0.0] * 5}))
    cut = population.out_of_time_cut(task, rows)
    assert cut.earlier.tolist() == [True, True, False, False, False]
    assert population.scoring_rows(task, rows, {"population": "all"}).height == 5
    assert population.out_of_time_cut(_task(tmp_path), rows) is None  # no out_of_time block


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"scoring": {"population": "everyone"}}, "scoring.population 'everyone'"),
        ({"scoring": {"population": "out_of_time"}}, "needs an out_of_time block"),
        ({"out_of_time": {"fraction": 0.2}}, "required key 'column'"),
        ({"out_of_time": {"column": "d", "fraction": 1.5}}, "not between 0 and 1"),
        ({"out_of_time": {"column": "d", "cut": "1998-01-01"}}, "unknown key"),
    ],
)
def test_task_yaml_rejects_a_bad_out_of_time_or_scoring_block(tmp_path, extra, message):
    with pytest.raises(TaskConfigError, match=message):
        _task(tmp_path, **extra)


def test_the_shipped_tasks_declare_out_of_time_and_their_scoring_population():
    loans, cards = load_task("loan_default"), load_task("card_propensity")
    assert loans.out_of_time.column == "loan_date" and loans.scoring.population == "out_of_time"
    assert cards.out_of_time.cutoff == "latest" and cards.snapshot_column == "reference_date"
    assert cards.scoring.population == "unlabelled"
    assert load_task("card_default").out_of_time is None  # one snapshot without time
