"""The local Spark that ledgerlab and dbt-spark's ``session`` method share.

One set of settings, read from the environment at call time, and kept in
step with the ``spark`` target of the committed ``profiles.yml`` (a test
compares them): whichever of ledgerlab (ingest, parity checks) or dbt starts
the session first, the other gets the same one from ``getOrCreate``.

- ``LEDGERLAB_SPARK_DIR``  tables (``warehouse/``) and the Derby metastore
  (default ``<LEDGERLAB_HOME>/build/spark``)
- ``LEDGERLAB_SPARK_MASTER`` (``local[2]``), ``LEDGERLAB_SPARK_DRIVER_MEMORY``
  (``4g``), ``LEDGERLAB_SPARK_SHUFFLE_PARTITIONS`` (``2``): sized for the
  2-core, 24 GB machine
- ``LEDGERLAB_SPARK_JAVA_OPTIONS`` (none): extra JVM flags of the driver
- ``LEDGERLAB_SPARK_ADAPTIVE``, ``LEDGERLAB_SPARK_CODEGEN`` (``true``): adaptive
  query execution and whole-stage code generation; the tests turn both off for
  their small banks
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ledgerlab.core import config
from ledgerlab.core.errors import UserError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JAVA_HINT = "the Spark engine needs Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
EXTRA_HINT = "the Spark engine is not installed: make install-spark (or uv sync --extra spark)"


class SparkUnavailable(UserError):
    """pyspark or Java is missing."""


def spark_dir() -> Path:
    value = os.environ.get("LEDGERLAB_SPARK_DIR")
    return Path(value).expanduser().resolve() if value else config.paths().build / "spark"


def settings(directory: Path | None = None) -> dict[str, str]:
    """The Spark settings of the ``spark`` dbt target, for ``directory``."""
    root = str(directory or spark_dir())
    return {
        "spark.master": os.environ.get("LEDGERLAB_SPARK_MASTER", "local[2]"),
        "spark.driver.memory": os.environ.get("LEDGERLAB_SPARK_DRIVER_MEMORY", "4g"),
        "spark.sql.shuffle.partitions": os.environ.get("LEDGERLAB_SPARK_SHUFFLE_PARTITIONS", "2"),
        "spark.sql.warehouse.dir": f"{root}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={root}/metastore_db;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root} "
        + os.environ.get("LEDGERLAB_SPARK_JAVA_OPTIONS", ""),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Spark's defaults; tiny banks (the tests) are faster with both off: adaptive execution
        # plans every shuffle as extra jobs, and compiling whole-stage code costs more than
        # it saves on a few thousand rows (docs/SCALE_OUT.md)
        "spark.sql.adaptive.enabled": os.environ.get("LEDGERLAB_SPARK_ADAPTIVE", "true"),
        "spark.sql.codegen.wholeStage": os.environ.get("LEDGERLAB_SPARK_CODEGEN", "true"),
        # dbt-spark sets this in every session it opens: the same here, so
        # ingest and dbt share one configuration.
        "spark.sql.ansi.enabled": "false",
    }


def environment(directory: Path | None = None) -> dict[str, str]:
    """Variables a process running Spark needs (dbt's subprocess included)."""
    return {
        "LEDGERLAB_SPARK_DIR": str(directory or spark_dir()),
        # Spark binds to the machine's address otherwise (and warns, or
        # fails where that address is not reachable).
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }


def check_available() -> None:
    """Raise SparkUnavailable with the install command when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(EXTRA_HINT) from None
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        raise SparkUnavailable(f"Java not found: {JAVA_HINT}")


def session(directory: Path | None = None) -> SparkSession:
    """The process's Spark session (created on first use, with Hive support as dbt-spark's)."""
    check_available()
    directory = Path(directory or spark_dir())
    directory.mkdir(parents=True, exist_ok=True)
    for key, value in environment(directory).items():
        os.environ.setdefault(key, value)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("ledgerlab").enableHiveSupport()
    for key, value in settings(directory).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
