"""Taiwan credit-card default: ``raw.taiwan_credit_card`` content and ``marts.card_default_features``.

The Taiwan file is optional: on runs without it (the real Berka data alone)
these suites are skipped with a note. Key, target, decoded codes, age bands and the repayment
status range are dbt's data tests on the model, not repeated here (docs/DATA_QUALITY.md,
"Which layer checks what").
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import rows
from expectations.suites.marts_core import not_empty

LAYER = "taiwan"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "card_default_features", description="one row per Taiwan card holder")
    not_empty(suite)
    suite.add(
        blocking(
            "credit_limit_positive",
            gxe.ExpectColumnValuesToBeBetween(column="credit_limit", min_value=0, strict_min=True),
            "every card has a credit limit",
            catches=("impossible_amount",),
        ),
        warning(
            "age_plausible",
            gxe.ExpectColumnValuesToBeBetween(column="age", min_value=18, max_value=100),
            "card holders are adults",
        ),
        warning(
            "default_rate_plausible",
            rows(
                "select avg(cast(is_default as integer)) as default_rate from {batch} "
                "having avg(cast(is_default as integer)) not between 0.1 and 0.4"
            ),
            "the UCI data's default rate is 22%",
        ),
        warning(
            "every_raw_holder_kept",
            rows("""select count(*) as features, (select count(*) from raw.taiwan_credit_card) as raw_rows
                     from {batch} having count(*) < 0.99 * (select count(*) from raw.taiwan_credit_card)"""),
            "the UCI file is clean: almost every holder should reach the mart",
        ),
    )
    return [suite]


def skip_reason(suite: TableSuite, facts: WarehouseFacts) -> str | None:
    if not facts.source_present("taiwan_credit_card"):
        return "Taiwan file not given to ingest (optional source): nothing to validate"
    return None
