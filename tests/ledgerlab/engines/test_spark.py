"""The Spark engine: its settings, Spark ingest, and parity with DuckDB (marts, quarantine, validation).

The session's generated bank (``generated_dir``, tests/conftest.py) is built
on Spark once (a module fixture); its DuckDB build is the session's
``generated_warehouse``, which tests/dbt reads too. The parity tests and the
validation tests read both: every mart and the quarantine equal, and every GX
expectation with the same status and unexpected count.

Every Spark test lives in this one file, so that pytest-xdist (``--dist
loadfile``) runs them one after another in one worker, from the start of
`make test`: the machine has two cores, and one Spark at a time. The Spark
build runs in a child process with its own session (ingest, dbt and the
validation share it there). dbt's data and unit tests on Spark
(``spark_dbt_tests``) are left to `make test-spark`, which CI runs after
`make test`: with them `make test` would not hold its 10 minutes. Without
pyspark or Java the Spark tests skip, except on CI (``CI`` set), where a
missing install is a failure. They are marked ``spark``. Timings:
docs/SCALE_OUT.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from ledgerlab.core import config
from ledgerlab.core import spark as spark_engine
from ledgerlab.engines import parity

# dbt build selection of the parity build: every model and seed, no data or unit test
MODELS_ONLY = ("--exclude", "resource_type:test", "resource_type:unit_test")
# Spark tuned for a few thousand rows (ledgerlab.core.spark): no adaptive execution, no
# whole-stage code generation; the validation of the parity bank takes a fifth less time
# (docs/SCALE_OUT.md). The serial garbage collector: a heap this small needs no parallel
# collector threads, and the parity bank's build and validation took 13 % less JVM CPU
# (229 -> 198 s) and 7 % less time with it. Not -XX:TieredStopAtLevel=1: it cut the JVM's
# CPU by a sixth, but twice the JVM lost a task and shut down mid-build with it.
SMALL_BANK_SPARK = {
    "LEDGERLAB_SPARK_ADAPTIVE": "false",
    "LEDGERLAB_SPARK_CODEGEN": "false",
    "LEDGERLAB_SPARK_JAVA_OPTIONS": "-XX:+UseSerialGC",
}


def _spark_or_skip() -> None:
    try:
        spark_engine.check_available()
    except spark_engine.SparkUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {exc}")
        pytest.skip(str(exc))


def test_session_settings_match_the_dbt_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ledgerlab's session and dbt-spark's must be one configuration (whichever starts first wins)."""
    import jinja2

    monkeypatch.setenv("LEDGERLAB_SPARK_DIR", str(tmp_path))
    monkeypatch.setenv("LEDGERLAB_SPARK_DRIVER_MEMORY", "3g")
    profile = yaml.safe_load((config.REPO_ROOT / "profiles.yml").read_text())["ledgerlab"]["outputs"]["spark"]

    def env_var(name: str, default: str | None = None) -> str:
        return os.environ.get(name, default)

    rendered = {
        key: jinja2.Template(str(value)).render(env_var=env_var)
        for key, value in profile["server_side_parameters"].items()
    }
    ours = spark_engine.settings(tmp_path)
    ours.pop("spark.sql.ansi.enabled")  # dbt-spark adds it to every session itself
    assert rendered == ours
    assert ours["spark.driver.memory"] == "3g"
    assert ours["spark.sql.warehouse.dir"] == f"{tmp_path}/warehouse"
    assert profile["method"] == "session"


@pytest.mark.spark
def test_missing_java_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(spark_engine.SparkUnavailable, match="apt-get install openjdk-17-jre-headless"):
        spark_engine.check_available()


@pytest.fixture(scope="module")
def spark_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="module")
def spark(spark_dir: Path):
    """One Spark session for the whole file (dbt-spark's session method reuses it)."""
    _spark_or_skip()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**spark_engine.environment(spark_dir), **SMALL_BANK_SPARK}.items():
            mp.setenv(key, value)
        session = spark_engine.session(spark_dir)
        yield session
        session.stop()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.spark
def test_spark_ingest_keeps_lines_lineage_and_rejects(spark, tmp_path: Path) -> None:
    """Physical line numbers across splits, '' vs NULL, rejected lines kept with their line."""
    from ledgerlab.ingest import spark as spark_ingest

    lines = spark_ingest.numbered_lines
    # a file read in several splits: numbering continues across them
    big = tmp_path / "big.txt"
    _write(big, [f"line {i}" for i in range(1, 20001)])
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        numbered = lines(spark, big).collect()
        splits = spark.read.text(str(big)).rdd.getNumPartitions()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert splits > 3
    assert sorted((r["_source_line"], r["value"]) for r in numbered) == [(i, f"line {i}") for i in range(1, 20001)]

    raw = tmp_path / "raw"
    raw.mkdir()
    from ledgerlab.core.sources import catalog

    BERKA_SOURCES = [s for s in catalog() if s.source == "berka"]

    headers = {s.table: s.columns for s in BERKA_SOURCES}
    for source in BERKA_SOURCES:
        header = ";".join(f'"{c}"' for c in headers[source.table])
        rows = {
            "trans": [
                '1;1;930101;"PRIJEM";"VKLAD";700.00;700.00;"";;',
                '2;1;930101;"PRIJEM"',  # line 3: too few columns
                '3;1;930102;"VYDAJ";"VYBER";100.00;600.00;"SIPO";;',
            ],
        }.get(source.table, [";".join("1" for _ in headers[source.table])])
        _write(raw / source.files[0], [header, *rows])
    result = spark_ingest.ingest(raw, spark=spark)
    trans = next(t for t in result.tables if t.table == "trans")
    assert (trans.rows, trans.rejected_lines) == (2, 1)
    got = spark.sql("select trans_id, k_symbol, bank, _source_file, _source_line from raw.trans order by 1").collect()
    assert [tuple(r) for r in got] == [("1", "", None, "trans.asc", 2), ("3", "SIPO", None, "trans.asc", 4)]
    rejected = spark.sql("select source_table, line, raw_line from raw._rejected_lines").collect()
    assert [tuple(r) for r in rejected] == [("trans", 3, '2;1;930101;"PRIJEM"')]
    manifest = {
        r["table_name"]: (r["rows_loaded"], r["rejected_lines"], r["present"])
        for r in spark.table("raw._ingest_manifest").collect()
    }
    assert manifest["trans"] == (2, 1, True)
    assert manifest["digital_events"] == (0, 0, False)


@pytest.mark.spark
def test_spark_ingest_names_a_bad_header(spark, tmp_path: Path) -> None:
    from ledgerlab.core.sources import catalog
    from ledgerlab.ingest import IngestError
    from ledgerlab.ingest import spark as spark_ingest

    BERKA_SOURCES = [s for s in catalog() if s.source == "berka"]

    for source in BERKA_SOURCES:
        _write(tmp_path / source.files[0], [";".join(source.columns), ";".join("1" for _ in source.columns)])
    _write(tmp_path / "loan.asc", ["loan_id;account_id;when", "1;1;930101"])
    with pytest.raises(IngestError, match=r"loan\.asc: line 1 header .* does not match"):
        spark_ingest.ingest(tmp_path, spark=spark)


def _cli(home: Path, engine: str, *args: str):
    """``python *args`` in ``home`` (LEDGERLAB_HOME) on ``engine``, in a child process.

    A child process: pytest imports tests/dbt as a package named ``dbt``,
    which hides dbt itself here, and the Spark metastore (Derby) admits one
    process at a time.
    """
    import subprocess
    import sys

    env = dict(
        os.environ,
        **SMALL_BANK_SPARK,
        LEDGERLAB_HOME=str(home),
        LEDGERLAB_ENGINE=engine,
        DBT_TARGET_PATH=str(home / "target"),
        DBT_LOG_PATH=str(home / "logs"),
    )
    env.pop("LEDGERLAB_WAREHOUSE", None)
    env.pop("LEDGERLAB_SPARK_DIR", None)
    return subprocess.run([sys.executable, *args], cwd=config.REPO_ROOT, env=env, capture_output=True, text=True)


def _succeeded(process, exit_codes: tuple[int, ...] = (0,)) -> None:
    assert process.returncode in exit_codes, process.stdout[-6000:] + process.stderr[-3000:]


# `ledgerlab validate` exits 1 when a blocking check fails: the generated bank's injected
# defects are meant to be found, so both 0 and 1 are a completed validation.
VALIDATED = (0, 1)


@pytest.fixture(scope="module")
def duckdb_home(generated_warehouse, tmp_path_factory) -> Path:
    """The bank on DuckDB: the session's ingest and `dbt build` of it (models and every test,
    shared with tests/dbt), copied into a home and validated there through the CLI."""
    home = tmp_path_factory.mktemp("parity_duckdb")
    warehouse = config.default_warehouse(home)
    warehouse.parent.mkdir(parents=True)
    shutil.copy(generated_warehouse.path, warehouse)
    _succeeded(_cli(home, "duckdb", "-m", "ledgerlab", "validate"), VALIDATED)
    return home


@pytest.fixture(scope="module")
def duckdb_build(duckdb_home: Path) -> Path:
    return config.default_warehouse(duckdb_home)


@pytest.fixture(scope="module")
def spark_home(spark, generated_dir: Path, tmp_path_factory) -> Path:
    """The same bank on Spark: Spark ingest, dbt-spark's build of every model and the validation
    (``runner.validate`` on Spark), in one session of one child process: one JVM start, and
    the validation runs on a JIT the build has warmed.

    The file's own session is stopped first (one Spark at a time on two cores).
    """
    spark.stop()
    home = tmp_path_factory.mktemp("parity_spark")
    # the models only: dbt's data and unit tests on Spark are test_every_dbt_test_passes_on_spark
    build_and_validate = (
        "import sys; from pathlib import Path; from ledgerlab.ingest.spark_build import build; "
        "from expectations.runner import validate; "
        f"built = build(Path({str(generated_dir)!r}), {list(MODELS_ONLY)!r}); "
        "print(*validate().lines(), sep='\\n'); sys.exit(built)"
    )
    _succeeded(_cli(home, "spark", "-c", build_and_validate))
    return home


@pytest.mark.spark
@pytest.mark.spark_dbt_tests
def test_every_dbt_test_passes_on_spark(spark_home: Path) -> None:
    """dbt's data tests and unit tests on the Spark build (`dbt test --target spark`).

    Not in `make test`: 206 data tests and 8 unit tests are at least one Spark job each, about
    a minute and a half of a worker's 2 cores, which `make test`'s 10 minutes cannot hold;
    `make test-spark` (which CI runs) does. The parity and validation tests above read the
    same build in both.
    """
    dbt_test = "import sys; from ledgerlab.ingest.spark_build import run_dbt; sys.exit(0 if run_dbt('test') else 1)"
    process = _cli(spark_home, "spark", "-c", dbt_test)
    _succeeded(process)
    assert re.search(r"PASS=2\d\d WARN=0 ERROR=0", process.stdout), process.stdout[-3000:]


@pytest.fixture(scope="module")
def spark_build(spark_home: Path) -> Path:
    """The Spark warehouse folder (``spark.sql.warehouse.dir``) of ``spark_home``."""
    return spark_home / "build" / "spark" / "warehouse"


def _spark_table(warehouse: Path, database: str, table: str, like: pl.DataFrame | None = None) -> pl.DataFrame:
    """A Spark table read from its Parquet files (partition columns from the folder names)."""
    folder = warehouse / f"{database}.db" / table
    frame = pl.read_parquet(f"{folder}/**/*.parquet", hive_partitioning=True)
    if like is not None:  # partition values come back as text or inferred types
        frame = frame.with_columns(
            pl.col(c).cast(pl.Utf8).str.to_date() if like.schema[c] == pl.Date else pl.col(c).cast(like.schema[c])
            for c in frame.columns
            if c in like.columns and frame.schema[c] != like.schema[c] and frame.schema[c] in (pl.Utf8, pl.Date)
        )
    return frame


def _duckdb_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        tables = {}
        for name in names:
            arrow = con.sql(f"select * from marts.{name}").arrow()
            tables[name] = pl.from_arrow(arrow.read_all() if hasattr(arrow, "read_all") else arrow)
        return tables


@pytest.mark.spark
def test_every_mart_and_the_quarantine_are_equal_on_both_engines(duckdb_build, spark_build) -> None:
    duck = _duckdb_tables(duckdb_build)
    spark_names = sorted(p.name for p in (spark_build / "marts.db").iterdir() if p.is_dir())
    assert sorted(duck) == spark_names
    assert "quarantine_rows" in duck and "fct_transactions" in duck
    assert duck["fct_transactions"].height > 10_000 and duck["quarantine_rows"].height > 100
    diffs = []
    for name, frame in duck.items():
        diff = parity.compare(name, frame, _spark_table(spark_build, "marts", name, like=frame))
        if not diff.equal:
            diffs.append(diff.describe("duckdb", "spark"))
    assert not diffs, "\n\n".join(diffs)


@pytest.mark.spark
def test_pseudonyms_are_equal_on_both_engines(duckdb_build, spark_build) -> None:
    """HMAC-SHA256 in SQL: the same client keys on both engines, and Python's hmac agrees."""
    import hashlib
    import hmac

    query = (
        "select s._source_line, s.client_key, trim(r.client_id) from staging.stg_berka__clients as s "
        "join raw.client as r on r._source_line = s._source_line where s.client_key is not null"
    )
    with duckdb.connect(str(duckdb_build), read_only=True) as con:
        duck = {line: (key, raw_id) for line, key, raw_id in con.execute(query).fetchall()}
    staged = _spark_table(spark_build, "staging", "stg_berka__clients")
    raw = _spark_table(spark_build, "raw", "client")
    joined = staged.filter(pl.col("client_key").is_not_null()).join(raw, on="_source_line")
    ours = {
        line: (key, raw_id.strip())
        for line, key, raw_id in joined.select("_source_line", "client_key", "client_id").iter_rows()
    }
    assert len(duck) > 300 and duck == ours
    key = config.pseudonym_key()[0].encode()
    for client_key, raw_id in list(duck.values())[:20]:
        assert client_key == hmac.new(key, str(int(raw_id)).encode(), hashlib.sha256).hexdigest()


# Validation on Spark: the same suites through GX's Spark datasource, on the same builds.


def _expectation_results(home: Path) -> dict[tuple[str, str], tuple[str, int | None]]:
    """(suite, expectation) → (status, unexpected count) from the run's summary.json."""
    summary = json.loads((home / "reports" / "quality" / "summary.json").read_text())
    return {
        (suite["name"], e["id"]): (e["status"], e.get("unexpected_count"))
        for suite in summary["suites"]
        for e in suite["expectations"]
    }


def _result_differences(left: dict, right: dict) -> list[str]:
    """Every expectation whose result differs, or that ran on one side only."""
    out = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, "missing"), right.get(key, "missing")
        if a != b:
            out.append(f"{key[0]}: {key[1]}: duckdb {a} vs spark {b}")
    return out


@pytest.mark.spark
def test_every_expectation_has_the_same_result_on_both_engines(duckdb_home: Path, spark_home: Path) -> None:
    duckdb_results, spark_results = _expectation_results(duckdb_home), _expectation_results(spark_home)
    assert len(duckdb_results) > 100  # every layer ran, not a handful of suites
    found = _result_differences(duckdb_results, spark_results)
    assert not found, "\n".join(found)
    # the generated bank's injected defects are found, the same way, on Spark too
    assert {status for status, _ in spark_results.values()} >= {"passed", "failed"}


@pytest.mark.spark
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
        process = _cli(home, engine, "-c", gate)
        _succeeded(process)
        seen.append(json.loads(process.stdout.strip().splitlines()[-1]))
    assert seen[0][0] and seen[1][0]
    assert seen[0] == seen[1]


def test_a_changed_result_on_one_engine_is_named() -> None:
    """The comparison can fail: a changed count, a changed status and a one-sided expectation.

    (That Spark's validation reads the data, and is no constant, the parity test shows: the
    injected defects fail on Spark with DuckDB's unexpected counts.)
    """
    duckdb_side = {
        ("marts.dim_districts", "row_count_is_seventy_seven"): ("passed", None),
        ("raw.trans", "amount_is_a_number"): ("failed", 12),
    }
    assert _result_differences(duckdb_side, dict(duckdb_side)) == []
    spark_side = {
        ("marts.dim_districts", "row_count_is_seventy_seven"): ("failed", None),
        ("raw.trans", "amount_is_a_number"): ("failed", 13),
        ("raw.trans", "only_on_spark"): ("passed", 0),
    }
    assert _result_differences(duckdb_side, spark_side) == [
        "marts.dim_districts: row_count_is_seventy_seven: duckdb ('passed', None) vs spark ('failed', None)",
        "raw.trans: amount_is_a_number: duckdb ('failed', 12) vs spark ('failed', 13)",
        "raw.trans: only_on_spark: duckdb missing vs spark ('passed', 0)",
    ]
