"""Scheduling of the Spark tests in `make test`."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with Spark tests first (a stable sort; the order inside a file is kept).

    Under ``pytest -n 2 --dist loadfile`` a file is a unit of work, handed out
    in collection order: first, the Spark file occupies one worker from the
    start while the other runs the rest; collected later, its build would run
    alone at the end and add its whole length to the suite.
    """
    spark_files = {item.path for item in items if item.get_closest_marker("spark")}
    items.sort(key=lambda item: item.path not in spark_files)
