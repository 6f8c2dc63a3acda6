"""``marts.card_propensity_features``: one row per owner disposition without a card at the reference date.

Key, account, target present and age bands are dbt's data tests on the model, not repeated here
(docs/DATA_QUALITY.md, "Which layer checks what").
"""

from __future__ import annotations

from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import rows
from expectations.suites.marts_core import not_empty

LAYER = "marts_cards"
REFERENCE_DATE = "1998-01-01"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(
        LAYER,
        "marts",
        "card_propensity_features",
        description="one row per owner disposition without a card, as of the reference date",
    )
    not_empty(suite)
    suite.add(
        blocking(
            "single_reference_date",
            rows(f"select disp_id, reference_date from {{batch}} where reference_date <> date '{REFERENCE_DATE}'"),
            "features are measured as of one reference date (var card_reference_date)",
        ),
        blocking(
            "no_card_at_reference_date",
            rows("select disp_id from {batch} where has_card"),
            "the population is dispositions without a card; a card holder would leak the target",
        ),
        blocking(
            "no_history_from_the_future",
            rows("""select disp_id from {batch} where days_since_last_transaction <= 0
                      or days_since_last_login <= 0 or account_age_days < 0"""),
            "leakage guard: only data dated strictly before the reference date feeds the features",
        ),
        warning(
            "take_up_plausible",
            rows(
                "select avg(cast(took_card as integer)) as take_up from {batch} "
                "having avg(cast(took_card as integer)) not between 0.01 and 0.5"
            ),
            "about one in ten eligible owners takes a card within a year",
        ),
    )
    return [suite]
