"""The notebooks run top to bottom on a small generated warehouse, and are stored without outputs."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ledgerlab.core.config import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
EXPLORATION = NOTEBOOKS / "01_exploration.ipynb"
WALKTHROUGH = NOTEBOOKS / "02_modelling_walkthrough.ipynb"


def execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # the kernel is python3 of this venv and inherits LEDGERLAB_* from the test's environment
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT)}}).execute()
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


@pytest.mark.parametrize("path", [EXPLORATION, WALKTHROUGH], ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.slow
def test_exploration_notebook_runs(small_env: Path):
    nb = execute(EXPLORATION)
    text = text_of(nb)
    assert "loan_features" in text
    assert "rank-biserial r" in text and "BH-adjusted" in text


@pytest.mark.slow
def test_walkthrough_notebook_runs_and_says_when_no_model_exists(small_env: Path):
    # the small warehouse has too few loans to train on (the trainer refuses < 100): the notebook
    # must say so and finish; with a model it walks through it (checked by hand on 4,500 accounts)
    nb = execute(WALKTHROUGH)
    text = text_of(nb)
    assert "no trained model" in text or "roc_auc" in text
