"""GX on Spark gives the same per-expectation results as on DuckDB, and catches a perturbed table.

One small bank, built on both engines from the same raw files, each in its
own LEDGERLAB_HOME, through the real CLI (`ledgerlab ingest|build|validate
--engine ...`; on Spark the ingest and the models through
``ledgerlab.ingest.spark_build``, without the data tests) in child processes: pytest imports tests/dbt as a package
named ``dbt``, which would hide dbt from an in-process build, and the Spark
metastore (Derby) admits one process at a time. Every suite's every
expectation must agree on success and unexpected count (``summary.json``
of each run). Marked ``spark``: `make test-spark` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerlab.core import config
from ledgerlab.core import spark as spark_engine

pytestmark = pytest.mark.spark

ACCOUNTS = 150
SEED = 7


def _spark_or_skip() -> None:
    try:
        spark_engine.check_available()
    except spark_engine.SparkUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {exc}")
        pytest.skip(str(exc))


MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def _ledgerlab(home: Path, engine: str, *args: str) -> subprocess.CompletedProcess:
    return _python(home, engine, "-m", "ledgerlab", *args)


def _python(home: Path, engine: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        LEDGERLAB_HOME=str(home),
        LEDGERLAB_ENGINE=engine,
        DBT_TARGET_PATH=str(home / "target"),
        DBT_LOG_PATH=str(home / "logs"),
    )
    env.pop("LEDGERLAB_WAREHOUSE", None)
    env.pop("LEDGERLAB_SPARK_DIR", None)
    return subprocess.run([sys.executable, *args], cwd=config.REPO_ROOT, env=env, capture_output=True, text=True)


def _ok(process: subprocess.CompletedProcess) -> None:
    assert process.returncode in (0, 1), process.stdout[-4000:] + process.stderr[-4000:]


def results(home: Path) -> dict[tuple[str, str], tuple[bool, int | None]]:
    """(suite, expectation) → (success, unexpected count) from the run's summary.json."""
    summary = json.loads((home / "reports" / "quality" / "summary.json").read_text())
    return {
        (suite["name"], e["expectation_id"]): (e["success"], e.get("unexpected_count"))
        for suite in summary["suites"]
        for e in suite["expectations"]
    }


def differences(left: dict, right: dict) -> list[str]:
    """Every expectation whose result differs, or that ran on one side only."""
    out = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, "missing"), right.get(key, "missing")
        if a != b:
            out.append(f"{key[0]}: {key[1]}: duckdb {a} vs spark {b}")
    return out


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    from ledgerlab.generator import generate

    out = tmp_path_factory.mktemp("validation_bank")
    generate(out, accounts=ACCOUNTS, seed=SEED)
    return out


@pytest.fixture(scope="module")
def duckdb_home(bank: Path, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("gx_duckdb")
    for args in (("ingest", "--raw", str(bank)), ("build",), ("validate",)):
        _ok(_ledgerlab(home, "duckdb", *args))
    return home


@pytest.fixture(scope="module")
def spark_home(bank: Path, tmp_path_factory) -> Path:
    _spark_or_skip()
    home = tmp_path_factory.mktemp("gx_spark")
    # Spark ingest and the models in one session (the data tests are the parity test's job
    # and take most of a Spark build), then the CLI's validation on Spark.
    build = _python(home, "spark", "-m", "ledgerlab.ingest.spark_build", str(bank), *MODELS_ONLY)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    _ok(_ledgerlab(home, "spark", "validate"))
    return home


def test_every_expectation_has_the_same_result_on_both_engines(duckdb_home: Path, spark_home: Path) -> None:
    duckdb_results, spark_results = results(duckdb_home), results(spark_home)
    assert len(duckdb_results) > 100  # every layer ran, not a handful of suites
    assert not differences(duckdb_results, spark_results), "\n".join(differences(duckdb_results, spark_results))
    # the defects of the generated bank are found, the same way, on Spark too
    assert any(not success for success, _ in spark_results.values())


def test_quality_gate_and_data_docs_work_the_same_on_spark(duckdb_home: Path, spark_home: Path) -> None:
    for home in (duckdb_home, spark_home):
        pages = list((home / "reports" / "quality" / "gx" / "validations").rglob("*.html"))
        assert (home / "reports" / "quality" / "gx" / "index.html").is_file() and len(pages) > 20
    gate = (
        "import json; from ledgerlab.core.quality_gate import latest_quality_status as s; "
        "q = s(); print(json.dumps([q.run_id is not None, q.blocking_failures, q.warnings]))"
    )
    seen = []
    for home, engine in ((duckdb_home, "duckdb"), (spark_home, "spark")):
        env = dict(os.environ, LEDGERLAB_HOME=str(home), LEDGERLAB_ENGINE=engine)
        env.pop("LEDGERLAB_WAREHOUSE", None)
        process = subprocess.run([sys.executable, "-c", gate], env=env, capture_output=True, text=True)
        assert process.returncode == 0, process.stderr[-3000:]
        seen.append(json.loads(process.stdout.strip().splitlines()[-1]))
    assert seen[0][0] and seen[1][0]
    assert seen[0] == seen[1]


def test_a_perturbed_spark_table_is_caught(duckdb_home: Path, spark_home: Path) -> None:
    """A duplicated district row on Spark only: the comparison must name the uniqueness check."""
    perturb_and_revalidate = (
        "from ledgerlab.core import spark; s = spark.session(); "
        "rows = s.table('marts.dim_districts').limit(1).collect(); "
        "s.createDataFrame(rows, s.table('marts.dim_districts').schema)"
        ".write.mode('append').insertInto('marts.dim_districts'); "
        "from expectations.runner import validate; validate(suites=['marts.dim_districts'])"
    )
    env = dict(os.environ, LEDGERLAB_HOME=str(spark_home), LEDGERLAB_ENGINE="spark")
    env.pop("LEDGERLAB_SPARK_DIR", None)
    process = subprocess.run(
        [sys.executable, "-c", perturb_and_revalidate], cwd=config.REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr[-3000:]
    spark_results = results(spark_home)
    duckdb_results = {k: v for k, v in results(duckdb_home).items() if k[0] == "marts.dim_districts"}
    found = differences(duckdb_results, spark_results)
    assert any("district_id_unique" in line for line in found), found
    assert any("seventy_seven_districts" in line for line in found), found
