"""The insight report: marts → statistics, segments, anomalies → one self-contained HTML page."""

from ledgerlab.insights.report import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
