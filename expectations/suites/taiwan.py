"""Taiwan credit-card default: ``raw.taiwan_credit_card`` content and ``marts.card_default_features``.

The Taiwan file is optional: on runs without it (the real Berka data alone)
these suites are skipped with a note.
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import rows
from expectations.suites.marts_core import AGE_BANDS, key_checks

LAYER = "taiwan"


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(LAYER, "marts", "card_default_features", description="one row per Taiwan card holder")
    key_checks(suite, "card_client_id")
    suite.add(
        blocking(
            "target_present", gxe.ExpectColumnValuesToNotBeNull(column="is_default"), "is_default is the model's target"
        ),
        blocking(
            "credit_limit_positive",
            gxe.ExpectColumnValuesToBeBetween(column="credit_limit", min_value=0, strict_min=True),
            "every card has a credit limit",
            catches=("impossible_amount",),
        ),
        blocking(
            "sex_decoded",
            gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["M", "F"]),
            "sex is decoded to M or F",
            catches=("out_of_domain_code",),
        ),
        blocking(
            "education_decoded",
            gxe.ExpectColumnValuesToBeInSet(
                column="education", value_set=["graduate_school", "university", "high_school", "other"]
            ),
            "undocumented education codes are mapped to other (and flagged)",
            catches=("out_of_domain_code",),
        ),
        blocking(
            "marital_status_decoded",
            gxe.ExpectColumnValuesToBeInSet(column="marital_status", value_set=["married", "single", "other"]),
            "undocumented marital codes are mapped to other (and flagged)",
            catches=("out_of_domain_code",),
        ),
        blocking(
            "age_band_known",
            gxe.ExpectColumnValuesToBeInSet(column="age_band", value_set=list(AGE_BANDS)),
            "age bands follow the project's convention",
        ),
        warning(
            "age_plausible",
            gxe.ExpectColumnValuesToBeBetween(column="age", min_value=18, max_value=100),
            "card holders are adults",
        ),
        blocking(
            "repay_status_in_documented_range",
            rows("""select card_client_id from {batch} where
                      repay_status_m1 not between -2 and 9 or repay_status_m2 not between -2 and 9
                      or repay_status_m3 not between -2 and 9 or repay_status_m4 not between -2 and 9
                      or repay_status_m5 not between -2 and 9 or repay_status_m6 not between -2 and 9"""),
            "repayment status is -2..9 (months of delay)",
            catches=("out_of_domain_code",),
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
