"""GX validation results → plain rows (one per expectation), the project's record.

Pure functions: the runner hands in GX's result objects, and everything
downstream (history tables, summary.json, the index page, the gate) reads
these rows, never GX objects.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

SAMPLE_SIZE = 10
UNEXPECTED_ROWS_TYPES = ("unexpected_rows_expectation", "unexpected_rows_with_sample")


@dataclass
class ExpectationRow:
    suite: str
    expectation_id: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    observed_value: Any
    unexpected_count: int | None
    unexpected_sample: list
    element_count: int | None
    catches: list[str]
    why: str
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SuiteRow:
    name: str
    layer: str
    description: str
    expectations: list[ExpectationRow] = field(default_factory=list)
    report_path: str | None = None

    @property
    def n_failed(self) -> int:
        return sum(not e.success for e in self.expectations)

    @property
    def n_blocking_failed(self) -> int:
        return sum(not e.success and e.severity == "blocking" for e in self.expectations)

    @property
    def n_warning_failed(self) -> int:
        return self.n_failed - self.n_blocking_failed

    @property
    def status(self) -> str:
        if self.n_blocking_failed:
            return "failed_blocking"
        if self.n_failed:
            return "failed_warning"
        return "passed"

    @property
    def row_count(self) -> int | None:
        for e in self.expectations:
            if e.expectation_id == "not_empty" and isinstance(e.observed_value, int):
                return e.observed_value
        counts = [e.element_count for e in self.expectations if e.element_count is not None]
        return max(counts) if counts else None


def jsonable(value: Any) -> Any:
    """Values GX returns (numpy, Decimal, dates, NaN) as plain JSON values."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def _column_of(kwargs: dict) -> str | None:
    if kwargs.get("column"):
        return str(kwargs["column"])
    for key in ("column_list", "column_set"):
        if kwargs.get(key) and key == "column_list":
            return ",".join(map(str, kwargs[key]))
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def _error_of(exception_info: Any) -> str | None:
    """The first exception GX recorded for an expectation, if any."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = str(info.get("exception_message") or "").strip()
            return message.splitlines()[0][:500] if message else "raised an exception"
    return None


def expectation_row(suite: str, result: Any) -> ExpectationRow:
    config = result.expectation_config
    meta = dict(config.meta or {})
    kwargs = dict(config.kwargs or {})
    res = dict(result.result or {})
    details = res.get("details") or {}
    if "unexpected_rows" in details:
        sample = details["unexpected_rows"]
    else:
        sample = res.get("partial_unexpected_list") or []
    unexpected_count = res.get("unexpected_count")
    observed = res.get("observed_value")
    if config.type in UNEXPECTED_ROWS_TYPES and isinstance(observed, int):
        unexpected_count = observed
    error = _error_of(result.exception_info)
    return ExpectationRow(
        suite=suite,
        expectation_id=str(meta.get("name") or config.id),
        expectation_type=config.type,
        column=_column_of(kwargs),
        severity=str(meta.get("severity", "warning")),
        # An expectation that could not be computed has failed: errors never pass silently.
        success=bool(result.success) and error is None,
        observed_value=jsonable(observed),
        unexpected_count=jsonable(unexpected_count),
        unexpected_sample=jsonable(list(sample)[:SAMPLE_SIZE]),
        element_count=jsonable(res.get("element_count")),
        catches=list(meta.get("catches") or []),
        why=str(meta.get("why") or ""),
        error=error,
    )


def to_json_text(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False, default=str)
