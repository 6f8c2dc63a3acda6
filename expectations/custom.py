"""Two small extensions of GX: a SQL expectation that keeps a sample, docs built once.

``UnexpectedRowsWithSample`` is an ``UnexpectedRowsExpectation`` that keeps
a sample of the offending rows.

GX's own class drops the rows its query found unless the whole run asks for
``COMPLETE`` results, which would also make every column expectation fetch
all of its unexpected values. This subclass always reports the first
``SAMPLE_ROWS`` rows (the query itself is unchanged and runs in DuckDB).
"""

from __future__ import annotations

from typing import Any, Literal

from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

from expectations._gx import gxe

SAMPLE_ROWS = 10


class UnexpectedRowsWithSample(gxe.UnexpectedRowsExpectation):
    """Fails when the SQL query returns rows; reports their count and the first few."""

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        rows = metrics["unexpected_rows_query.table"] or []
        count = metrics["unexpected_rows_query.row_count"]
        return {
            "success": count == 0,
            "result": {"observed_value": count, "details": {"unexpected_rows": list(rows)[:SAMPLE_ROWS]}},
        }


class UpdateDataDocsOnceAction(UpdateDataDocsAction):
    """GX's ``UpdateDataDocsAction``, building the site once per checkpoint run.

    The stock action rebuilds the site (index included, every Jinja template
    recompiled) once per validation: with ~25 suites that is 25 index builds
    and most of the run's time. This builds the pages of all validations and
    suites of the run, and the index, in one ``build_data_docs`` call.
    """

    type: Literal["ledgerlab_update_data_docs"] = "ledgerlab_update_data_docs"  # type: ignore[assignment]

    def run(self, checkpoint_result: Any, action_context: Any = None) -> dict:
        identifiers: list = []
        for result_identifier, result in checkpoint_result.run_results.items():
            identifiers.append(result_identifier)
            identifiers.append(ExpectationSuiteIdentifier(name=result.suite_name))
        if identifiers:
            self._build_data_docs(site_names=self.site_names, resource_identifiers=identifiers)
        return {
            result_identifier: {
                site["site_name"]: site["site_url"]
                for site in self._get_docs_sites_urls(resource_identifier=result_identifier,
                                                      site_names=self.site_names)
            }
            for result_identifier in checkpoint_result.run_results
        }
