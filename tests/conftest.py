"""Fixtures shared by every test package, and the order the suite's files start in."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Set before ledgerlab.core.config reads the environment. No telemetry; and one validation
# process: the suite already keeps both cores busy with two xdist workers, so a validation's
# helper process would only add its own start-up (importing GX: 3.4 s of CPU) to every
# validation. The parallel path keeps its own test (tests/expectations/test_gx_runner.py, jobs=2).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("LEDGERLAB_VALIDATE_JOBS", "1")

from ledgerlab.core import config  # noqa: E402

# helpers the test packages share (importable by name; the packages' conftest modules are not)
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from built_warehouse import (  # noqa: E402
    GENERATED_ACCOUNTS,
    GENERATED_SEED,
    Warehouse,
    build_warehouse,
    built_warehouse,
)


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (see ../shared/data/README.md); skipping")
    return path


@pytest.fixture(scope="session")
def real_berka_dir() -> Path:
    """The real PKDD'99 files beside the checkout; skips when absent."""
    return _require(config.SHARED_BERKA)


@pytest.fixture(scope="session")
def real_taiwan_csv() -> Path:
    """The real UCI Taiwan file beside the checkout; skips when absent."""
    return _require(config.SHARED_TAIWAN_CSV)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every output of the project (warehouse, reports, models) into tmp_path."""
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(tmp_path / "warehouse" / "test.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return tmp_path


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build`` fills once per test session, shared by every pytest-xdist worker.

    A session fixture alone runs once per worker: with ``-n 2`` a warehouse used by test files
    on both workers was built twice. The folder lives in the session's common temporary root
    (the parent of the workers' own roots) and a file lock makes one worker build it while the
    other waits. Consumers only read it; a test that changes data works on a copy.
    A build that fails or skips leaves no ``.built`` marker, so the next user builds again.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(name="shared_folder", scope="session")
def shared_folder_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[Path], None]], Path]:
    """``shared_folder(name, build)`` above, for fixtures (conftest modules are not importable by name)."""
    return lambda name, build: shared_folder(tmp_path_factory, name, build)


def run_ledgerlab(args: list[str], home: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m ledgerlab ARGS`` with every output under ``home`` (LEDGERLAB_TAIWAN_CSV only when given)."""
    env = {k: v for k, v in os.environ.items() if k != "LEDGERLAB_TAIWAN_CSV"}
    env.update(
        {
            "LEDGERLAB_HOME": str(home),
            "LEDGERLAB_WAREHOUSE": str(home / "warehouse" / "ledgerlab.duckdb"),
            "DBT_TARGET_PATH": str(home / "target"),
            "DBT_LOG_PATH": str(home / "logs"),
            **(extra_env or {}),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "ledgerlab", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(name="run_ledgerlab", scope="session")
def run_ledgerlab_fixture() -> Callable[..., subprocess.CompletedProcess]:
    """``run_ledgerlab`` above, for test modules."""
    return run_ledgerlab


REAL_RUN_TASKS = ("loan_default", "card_propensity")


@pytest.fixture(scope="session")
def real_run(shared_folder, real_berka_dir: Path, real_taiwan_csv: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """One `ledgerlab run` on the real Berka files and the Taiwan file: (home, process).

    Run once per session and read by tests/test_end_to_end_real.py (the CLI end to end) and
    tests/dbt/test_real_facts.py (the published facts, from this run's `dbt build`), which
    built the same real warehouse a second time before. It trains the Berka tasks; the Taiwan
    task is trained and held to its benchmark by tests/ml/test_ml_taiwan.py.
    The result is recorded, not asserted here: each consumer fails with the run's output.
    """

    def build(home: Path) -> None:
        tasks = [arg for task in REAL_RUN_TASKS for arg in ("--task", task)]
        proc = run_ledgerlab(
            ["run", "--raw", str(real_berka_dir), "--source", f"taiwan={real_taiwan_csv}", *tasks], home
        )
        record = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
        (home / "run.json").write_text(json.dumps(record))

    home = shared_folder("real_run", build)
    record = json.loads((home / "run.json").read_text())
    return home, subprocess.CompletedProcess(
        ["ledgerlab", "run"], record["returncode"], record["stdout"], record["stderr"]
    )


@pytest.fixture(scope="session")
def generated_dir(shared_folder) -> Path:
    """Small generated data with injected defects and digital events (generated once per session)."""
    from ledgerlab.generator import generate

    return shared_folder(
        "dbt_generated_data", lambda out: generate(out, accounts=GENERATED_ACCOUNTS, seed=GENERATED_SEED)
    )


@pytest.fixture(scope="session")
def generated_warehouse(shared_folder, generated_dir: Path) -> Warehouse:
    """The generated data ingested and built with `dbt build`, once per session (read only: copy to change).

    Read by the dbt-layer tests and, as the DuckDB side, by the Spark parity tests, which
    build the same bank on Spark.
    """
    root = shared_folder("dbt_generated", lambda root: build_warehouse(root, generated_dir))
    return built_warehouse(root, generated_dir)


# pytest-xdist (--dist loadfile) hands out whole files in collection order (with
# --no-loadscope-reorder, set in pyproject.toml; by default it would put the files with the most
# tests first). A long file handed out last ends the run on one worker while the other idles,
# so the longest files start first, longest first; files that read a shared build another file
# makes (real_run) start last, when it is done, rather than wait for it.
START_FIRST = (
    # the Spark tests (issue #15): minutes of Spark on one worker
    "tests/ledgerlab/engines/test_parity.py",
    "tests/ledgerlab/engines/test_spark.py",
    "tests/test_end_to_end_real.py",
    "tests/test_end_to_end.py",
    "tests/ml/test_ml_taiwan.py",
    "tests/expectations/test_gx_defect_coverage.py",
    "tests/test_bring_your_own_data.py",
    "tests/bench/test_equivalence.py",
    "tests/insights/test_report.py",
    "tests/dbt/test_quarantine.py",
    "tests/dbt/test_atomic_writes.py",
    "tests/expectations/test_gx_runner.py",
    "tests/ml/test_ml_end_to_end.py",
    # 10-25 s each: handed out before the many short files, not as the run's last
    "tests/ml/test_ml_training_cache.py",
    "tests/ledgerlab/test_cli.py",
    "tests/ledgerlab/test_ingest_hostile.py",
    "tests/ledgerlab/generator/test_generator_fast_paths.py",
    "tests/notebooks/test_notebooks.py",
)
START_LAST = ("tests/dbt/test_real_facts.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # files with Spark tests first (the longest: one worker runs them from the start), then
    # START_FIRST in its order, the rest as collected, START_LAST last; the sort is stable
    first = {path: rank for rank, path in enumerate(START_FIRST)}
    spark_files = {item.path for item in items if item.get_closest_marker("spark")}

    def rank(item: pytest.Item) -> tuple[bool, int]:
        path = Path(item.path).relative_to(config.rootpath).as_posix()
        return item.path not in spark_files, first.get(path, len(first) + (path in START_LAST))

    items.sort(key=rank)  # stable: a file's tests keep their order
