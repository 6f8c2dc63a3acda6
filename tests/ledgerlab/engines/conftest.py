"""Scheduling of the Spark tests in `make test`."""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker: files with Spark tests first, then the rest, largest first.

    Under ``pytest -n 2 --dist loadfile --no-loadscope-reorder`` (make test)
    a file is a unit of work, handed out in collection order. First, the
    Spark file occupies one worker from the start while the other runs the
    rest; handed out late, its build would run alone at the end and add its
    whole length to the suite. The other files keep xdist's own order (most
    tests first, which ``--no-loadscope-reorder`` turns off), and the order
    inside a file is kept. A run without xdist is left as collected.
    """
    if not hasattr(config, "workerinput"):
        return
    spark_files = {item.path for item in items if item.get_closest_marker("spark")}
    tests_per_file = Counter(item.path for item in items)
    items.sort(key=lambda item: (item.path not in spark_files, -tests_per_file[item.path]))
