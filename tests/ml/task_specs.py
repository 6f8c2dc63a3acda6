"""Small task YAMLs for the ml tests: one searched logistic candidate on numeric columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from ml.tasks import Task, load_task


def logistic_task(
    folder: Path, name: str, numeric: Sequence[str], *, c_range: tuple[float, float] = (0.001, 10.0), **fields
) -> Task:
    """Task ``name`` (mart ``marts.<name>``, key ``id``, label ``y``) written to ``folder`` and loaded;
    ``fields`` set or replace the YAML's top-level keys (split, search, date_column, ...)."""
    spec = {
        "name": name,
        "mart": f"marts.{name}",
        "key": "id",
        "target": "y",
        "date_column": None,
        "features": {"numeric": list(numeric)},
        "candidates": {
            "logistic": {
                "estimator": "logistic",
                "complexity": 1,
                "params": {"max_iter": 500},
                "search": {"C": {"loguniform": list(c_range)}},
            }
        },
        **fields,
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(spec))
    return load_task(name, folder)
