"""The quality gate: modelling refuses data whose latest validation failed.

`ledgerlab validate` records every run in ``quality.validation_runs`` and
``quality.validation_results``; training and scoring read the latest run
here. A blocking failure stops them with one message naming the failures
and the report, unless the caller explicitly allows it (which the model's
metadata then records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ledgerlab.core import config, warehouse
from ledgerlab.core.errors import UserError


class QualityGateError(UserError):
    """The latest validation has blocking failures."""


@dataclass(frozen=True)
class QualityStatus:
    run_id: str | None
    run_at: str | None
    data_fingerprint: str | None
    blocking_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report_path: str | None = None

    @property
    def validated(self) -> bool:
        return self.run_id is not None

    @property
    def passed(self) -> bool:
        return self.validated and not self.blocking_failures

    def as_metadata(self, allowed_failed: bool) -> dict:
        return {
            "validation_run_id": self.run_id,
            "validated_at": self.run_at,
            "data_fingerprint": self.data_fingerprint,
            "status": "not_validated" if not self.validated else ("passed" if self.passed else "failed_blocking"),
            "blocking_failures": self.blocking_failures,
            "allow_failed_quality": allowed_failed,
        }


def _latest_on_spark() -> QualityStatus:
    """The same as below, from the Spark tables ``quality.*`` (their Parquet files, read by Polars)."""
    import polars as pl

    from ledgerlab.core import spark_tables

    if not spark_tables.exists("quality", "validation_runs"):
        return QualityStatus(None, None, None)
    runs = spark_tables.read("quality", "validation_runs")
    if runs.height == 0:
        return QualityStatus(None, None, None)
    latest = runs.sort(["run_at", "run_id"], descending=True).row(0, named=True)
    results = spark_tables.scan("quality", "validation_results")
    failed = (
        results.filter((pl.col("run_id") == latest["run_id"]) & ~pl.col("success"))
        .select((pl.col("suite") + ": " + pl.col("expectation_id")).alias("name"), "severity")
        .sort("name")
        .collect()
    )
    return QualityStatus(
        run_id=latest["run_id"],
        run_at=str(latest["run_at"]),
        data_fingerprint=latest["data_fingerprint"],
        blocking_failures=[r["name"] for r in failed.iter_rows(named=True) if r["severity"] == "blocking"],
        warnings=[r["name"] for r in failed.iter_rows(named=True) if r["severity"] != "blocking"],
        report_path=latest["report_path"],
    )


def latest_quality_status(warehouse_path: Path | None = None) -> QualityStatus:
    """The latest recorded validation run, or an empty status when none ran."""
    if config.engine() == "spark":
        return _latest_on_spark()
    with warehouse.connection(warehouse_path, read_only=True) as con:
        if not warehouse.table_exists(con, "quality", "validation_runs"):
            return QualityStatus(None, None, None)
        runs = con.execute(
            "select run_id, cast(run_at as varchar), data_fingerprint, report_path "
            "from quality.validation_runs order by run_at desc, run_id desc limit 1"
        ).fetchall()
        if not runs:
            return QualityStatus(None, None, None)
        run_id, run_at, fingerprint, report_path = runs[0]
        failed = con.execute(
            "select suite || ': ' || expectation_id, severity from quality.validation_results "
            "where run_id = ? and not success order by suite, expectation_id",
            [run_id],
        ).fetchall()
    return QualityStatus(
        run_id=run_id,
        run_at=run_at,
        data_fingerprint=fingerprint,
        blocking_failures=[name for name, severity in failed if severity == "blocking"],
        warnings=[name for name, severity in failed if severity != "blocking"],
        report_path=report_path,
    )


def enforce_quality_gate(warehouse_path: Path | None = None, *, allow_failed_quality: bool = False) -> QualityStatus:
    """Return the latest status; raise when it has blocking failures and that is not allowed."""
    status = latest_quality_status(warehouse_path)
    if status.blocking_failures and not allow_failed_quality:
        shown = "; ".join(status.blocking_failures[:5])
        more = f" (+{len(status.blocking_failures) - 5} more)" if len(status.blocking_failures) > 5 else ""
        report = status.report_path or str(config.paths().quality_reports / "index.html")
        raise QualityGateError(
            f"refusing to run: the latest validation ({status.run_id}) has "
            f"{len(status.blocking_failures)} blocking failure(s): {shown}{more}. "
            f"See {report}; pass --allow-failed-quality to override (recorded in the model's metadata)."
        )
    return status
