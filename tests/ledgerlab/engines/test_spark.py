"""The Spark engine: its settings, Spark ingest, and parity with DuckDB.

Every Spark test lives in this one file, so that pytest-xdist (``--dist
loadfile``) runs them in one worker with one shared Spark session: the
machine has two cores, and a JVM start costs seconds. Without pyspark or
Java they skip, except on CI (``CI`` set), where the Spark engine is part of
the contract and a missing install is a failure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from ledgerlab import config
from ledgerlab.engines import parity
from ledgerlab.engines import spark as spark_engine

PARITY_ACCOUNTS = 300
PARITY_SEED = 7


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
        for key, value in spark_engine.environment(spark_dir).items():
            mp.setenv(key, value)
        session = spark_engine.session(spark_dir)
        yield session
        session.stop()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def test_spark_ingest_keeps_lines_lineage_and_rejects(spark, tmp_path: Path) -> None:
    """Physical line numbers across splits, '' vs NULL, rejected lines kept with their line."""
    from ledgerlab.engines import spark_ingest

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
    from ledgerlab.sources import BERKA_SOURCES

    headers = {s.table: s.columns for s in BERKA_SOURCES}
    for source in BERKA_SOURCES:
        header = ";".join(f'"{c}"' for c in headers[source.table])
        rows = {
            "trans": ['1;1;930101;"PRIJEM";"VKLAD";700.00;700.00;"";;',
                      '2;1;930101;"PRIJEM"',  # line 3: too few columns
                      '3;1;930102;"VYDAJ";"VYBER";100.00;600.00;"SIPO";;'],
        }.get(source.table, [";".join("1" for _ in headers[source.table])])
        _write(raw / source.files[0], [header, *rows])
    result = spark_ingest.ingest(raw, spark=spark)
    trans = next(t for t in result.tables if t.table == "trans")
    assert (trans.rows, trans.rejected_lines) == (2, 1)
    got = spark.sql("select trans_id, k_symbol, bank, _source_file, _source_line from raw.trans order by 1").collect()
    assert [tuple(r) for r in got] == [("1", "", None, "trans.asc", 2), ("3", "SIPO", None, "trans.asc", 4)]
    rejected = spark.sql("select source_table, line, raw_line from raw._rejected_lines").collect()
    assert [tuple(r) for r in rejected] == [("trans", 3, '2;1;930101;"PRIJEM"')]
    manifest = {r["table_name"]: (r["rows_loaded"], r["rejected_lines"], r["present"])
                for r in spark.table("raw._ingest_manifest").collect()}
    assert manifest["trans"] == (2, 1, True)
    assert manifest["digital_events"] == (0, 0, False)


def test_spark_ingest_names_a_bad_header(spark, tmp_path: Path) -> None:
    from ledgerlab.engines import spark_ingest
    from ledgerlab.ingest import IngestError
    from ledgerlab.sources import BERKA_SOURCES

    for source in BERKA_SOURCES:
        _write(tmp_path / source.files[0], [";".join(source.columns), ";".join("1" for _ in source.columns)])
    _write(tmp_path / "loan.asc", ["loan_id;account_id;when", "1;1;930101"])
    with pytest.raises(IngestError, match=r"loan\.asc: line 1 header .* does not match"):
        spark_ingest.ingest(tmp_path, spark=spark)


@pytest.fixture(scope="module")
def parity_bank(tmp_path_factory) -> Path:
    from ledgerlab.generator import generate

    out = tmp_path_factory.mktemp("parity_bank")
    generate(out, accounts=PARITY_ACCOUNTS, seed=PARITY_SEED)
    return out


@pytest.fixture(scope="module")
def duckdb_build(parity_bank: Path, tmp_path_factory) -> Path:
    """The bank built on DuckDB (dbt build: models and every test)."""
    import subprocess
    import sys

    from ledgerlab.ingest import ingest

    root = tmp_path_factory.mktemp("parity_duckdb")
    warehouse = root / "ledgerlab.duckdb"
    ingest(parity_bank, warehouse_path=warehouse)
    env = dict(os.environ, LEDGERLAB_WAREHOUSE=str(warehouse), DBT_TARGET_PATH=str(root / "target"),
               DBT_LOG_PATH=str(root / "logs"), DBT_PROFILES_DIR=str(config.REPO_ROOT),
               DBT_PROJECT_DIR=str(config.REPO_ROOT), DO_NOT_TRACK="1")
    dbt = str(Path(sys.executable).parent / "dbt")
    process = subprocess.run([dbt, "--no-use-colors", "build"], cwd=config.REPO_ROOT, env=env,
                             capture_output=True, text=True)
    assert process.returncode == 0, process.stdout[-6000:]
    return warehouse


@pytest.fixture(scope="module")
def spark_build(spark, spark_dir: Path, parity_bank: Path, tmp_path_factory) -> dict[str, float]:
    """The same bank ingested by Spark and built by dbt-spark in this process's session."""
    from dbt.cli.main import dbtRunner

    from ledgerlab.engines import spark_ingest

    root = tmp_path_factory.mktemp("parity_spark_dbt")
    started = time.perf_counter()
    spark_ingest.ingest(parity_bank, spark=spark)
    ingested = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.setenv("DO_NOT_TRACK", "1")
        mp.setenv("LEDGERLAB_SPARK_DIR", str(spark_dir))
        result = dbtRunner().invoke([
            "--no-use-colors", "--log-path", str(root / "logs"), "build", "--target", "spark",
            "--project-dir", str(config.REPO_ROOT), "--profiles-dir", str(config.REPO_ROOT),
            "--target-path", str(root / "target"),
        ])
    built = time.perf_counter()
    if not result.success:
        failed = [f"{r.node.unique_id}: {r.status} {(r.message or '')[:300]}"
                  for r in (result.result or []) if str(r.status) not in ("success", "pass")]
        pytest.fail(f"dbt build on Spark failed ({result.exception or ''}):\n" + "\n".join(failed[:15]))
    return {"ingest_seconds": ingested - started, "build_seconds": built - ingested}


def _duckdb_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()]
        tables = {}
        for name in names:
            arrow = con.sql(f"select * from marts.{name}").arrow()
            tables[name] = pl.from_arrow(arrow.read_all() if hasattr(arrow, "read_all") else arrow)
        return tables


def test_every_mart_and_the_quarantine_are_equal_on_both_engines(spark, duckdb_build, spark_build) -> None:
    duck = _duckdb_tables(duckdb_build)
    spark_names = sorted(t.name for t in spark.catalog.listTables("marts"))
    assert sorted(duck) == spark_names
    assert "quarantine_rows" in duck and "fct_transactions" in duck
    assert duck["fct_transactions"].height > 10_000 and duck["quarantine_rows"].height > 100
    diffs = []
    for name, frame in duck.items():
        other = pl.from_arrow(spark.table(f"marts.{name}").toArrow())
        diff = parity.compare(name, frame, other)
        if not diff.equal:
            diffs.append(diff.describe("duckdb", "spark"))
    assert not diffs, "\n\n".join(diffs)


def test_pseudonyms_are_equal_on_both_engines(spark, duckdb_build, spark_build) -> None:
    """HMAC-SHA256 in SQL: the same client keys on both engines, and Python's hmac agrees."""
    import hashlib
    import hmac

    query = ("select s._source_line, s.client_key, trim(r.client_id) from staging.stg_berka__clients as s "
             "join raw.client as r on r._source_line = s._source_line where s.client_key is not null")
    with duckdb.connect(str(duckdb_build), read_only=True) as con:
        duck = {line: (key, raw_id) for line, key, raw_id in con.execute(query).fetchall()}
    ours = {r[0]: (r[1], r[2]) for r in spark.sql(query).collect()}
    assert len(duck) > 300 and duck == ours
    key = config.pseudonym_key()[0].encode()
    for client_key, raw_id in list(duck.values())[:20]:
        assert client_key == hmac.new(key, str(int(raw_id)).encode(), hashlib.sha256).hexdigest()
