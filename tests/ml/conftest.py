"""Fixtures of the ml tests: hand-made marts in temporary DuckDB files (no dbt needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic_marts  # noqa: E402


@pytest.fixture
def loan_frame():
    return synthetic_marts.loan_features(300, seed=3)


@pytest.fixture
def card_frame():
    return synthetic_marts.card_default_features(200, seed=3)
