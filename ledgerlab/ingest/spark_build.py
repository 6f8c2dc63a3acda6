"""Ingest a raw folder with Spark and run ``dbt build --target spark``, in one session.

``python -m ledgerlab.ingest.spark_build RAW_DIR`` (``LEDGERLAB_SPARK_DIR``
says where the tables go). dbt runs in this process, so dbt-spark's session
method gets the session the ingest started: one JVM, one metastore.
``build`` leaves the session open, so that a caller can go on with it (the
parity test validates on it).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

from ledgerlab.core import config
from ledgerlab.core import spark as spark_engine
from ledgerlab.ingest import spark as spark_ingest


def _cpu_seconds(spark) -> tuple[float, float]:
    """CPU seconds used so far by this process and by the Spark JVM (0 where /proc is absent)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    jvm = 0.0
    proc = getattr(spark.sparkContext._gateway, "proc", None)
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        jvm = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        pass
    return own.ru_utime + own.ru_stime, jvm


def _session():
    """The process's session, its environment (``SPARK_LOCAL_IP``, no dbt telemetry) set first."""
    for key, value in spark_engine.environment().items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    return spark_engine.session()


def run_dbt(command: str, dbt_args: list[str] | None = None) -> bool:
    """``dbt <command> --target spark`` in this process, on the session ledgerlab's settings give."""
    _session()  # started here, so dbt-spark's session method gets these settings
    from dbt.cli.main import dbtRunner

    project = ["--project-dir", str(config.REPO_ROOT), "--profiles-dir", str(config.REPO_ROOT)]
    result = dbtRunner().invoke(["--no-use-colors", command, "--target", "spark", *project, *(dbt_args or [])])
    return result.success


def build(raw_dir: Path, dbt_args: list[str] | None = None) -> int:
    begun = time.perf_counter()
    spark = _session()
    started = time.perf_counter()
    spark_ingest.ingest(raw_dir, spark=spark)
    ingested = time.perf_counter()
    success = run_dbt("build", dbt_args)
    built = time.perf_counter()
    python_cpu, jvm_cpu = _cpu_seconds(spark)
    print(
        f"spark session {started - begun:.1f} s, ingest {ingested - started:.1f} s, dbt build {built - ingested:.1f} s"
        f" (CPU: Python {python_cpu:.0f} s, Spark JVM {jvm_cpu:.0f} s)",
        flush=True,
    )
    return 0 if success else 1  # the session stays open for the caller (e.g. to validate on it)


if __name__ == "__main__":
    exit_code = build(Path(sys.argv[1]), sys.argv[2:])
    spark_engine.session().stop()
    sys.exit(exit_code)
