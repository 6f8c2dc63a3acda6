"""Digital banking events: ``marts.fct_digital_events`` (the raw JSONL lines are checked in ``raw``).

Key, client, channel and event type are dbt's data tests on the model (its event types are the
stricter list), not repeated here: docs/DATA_QUALITY.md, "Which layer checks what".
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import DATA_END, rows
from expectations.suites.marts_core import not_empty

LAYER = "digital_events"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "fct_digital_events", description="one row per digital banking event")
    not_empty(suite)
    suite.add(
        blocking(
            "schema_version_known",
            gxe.ExpectColumnValuesToBeInSet(column="schema_version", value_set=[1, 2]),
            "the feed has two documented schema versions",
            catches=("malformed_json",),
        ),
        blocking(
            "event_at_within_data_window",
            gxe.ExpectColumnValuesToBeBetween(
                column="event_at", min_value="1993-01-01 00:00:00", max_value=f"{DATA_END} 23:59:59"
            ),
            "events fall within the data's window",
            catches=("malformed_date", "date_after_end"),
        ),
        blocking(
            "event_date_is_date_of_event_at",
            rows("select event_id, event_at, event_date from {batch} where event_date <> cast(event_at as date)"),
            "daily engagement features group by event_date",
        ),
        warning(
            "payments_have_an_amount",
            rows(
                "select event_id from {batch} where event_type = 'payment_initiated' and (amount is null or amount <= 0)"
            ),
            "a payment event carries a positive amount",
            catches=("impossible_amount",),
        ),
    )
    return [suite]


def skip_reason(suite: TableSuite, facts: WarehouseFacts) -> str | None:
    if not facts.source_present("digital_events"):
        return "no digital events were ingested (optional source, absent from the real Berka data)"
    return None
