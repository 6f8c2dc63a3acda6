"""Small generated data sets shared by the generator tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlab.generator import generate

SMALL_N = 400
SEED = 11


@pytest.fixture(scope="session")
def dirty_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_dirty")
    summary = generate(out, accounts=SMALL_N, seed=SEED)
    return out, summary


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_clean")
    summary = generate(out, accounts=SMALL_N, seed=SEED, clean=True)
    return out, summary


def read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    assert b"\r" not in data, f"{path.name} has CR characters"
    assert data.endswith(b"\n"), f"{path.name} does not end with LF"
    return data.decode("ascii").split("\n")[:-1]


@pytest.fixture(scope="session")
def lines_of():
    """read_lines as a fixture (test modules here are not a package)."""
    return read_lines
