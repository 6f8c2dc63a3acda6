"""``extends:`` in a task YAML: a second split of a task lists only what differs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ml.errors import TaskConfigError
from ml.tasks import TASKS_DIR, available_tasks, load_task


@pytest.fixture
def tasks_dir(tmp_path: Path) -> Path:
    for path in TASKS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_an_extending_task_overrides_only_what_it_lists(tasks_dir: Path) -> None:
    (tasks_dir / "loan_default_holdout.yaml").write_text(
        "extends: loan_default\n"
        "description: Loan default, judged on a time hold-out.\n"
        "split:\n  strategy: time_holdout\n  holdout_fraction: 0.3\n"
        "costs:\n  cost_fn: 7.0\n"
    )
    base, child = load_task("loan_default", tasks_dir), load_task("loan_default_holdout", tasks_dir)
    assert child.name == "loan_default_holdout"
    assert (child.split.strategy, child.split.holdout_fraction) == ("time_holdout", 0.3)
    assert child.split.cv_folds == base.split.cv_folds  # a nested key not listed is kept
    assert (child.cost_fn, child.cost_fp) == (7.0, base.cost_fp)
    assert (child.mart, child.features, child.candidates) == (base.mart, base.features, base.candidates)
    assert "loan_default_holdout" in available_tasks(tasks_dir)


def test_lists_are_replaced_not_appended(tasks_dir: Path) -> None:
    (tasks_dir / "small.yaml").write_text(
        "extends: loan_default\nfeatures:\n  numeric: [loan_amount]\n  categorical: []\n  binary: []\n"
    )
    assert load_task("small", tasks_dir).features == ("loan_amount",)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yaml": "extends: b\n", "b.yaml": "extends: a\n"}, "goes round in a circle"),
        ({"a.yaml": "extends: nowhere\n"}, "extends unknown task 'nowhere'"),
    ],
)
def test_bad_extends_is_one_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(TaskConfigError, match=message):
        load_task("a", tmp_path)
