"""The quarantine mart: every rejected or repaired raw row, with its reason.

Blocking checks keep the quarantine trustworthy (actions that fit their
reasons, one rejection per raw line, every unparseable line accounted for,
a bounded share); known reasons and lineage present are dbt's data tests on
the model (docs/DATA_QUALITY.md, "Which layer checks what"). One warning per defect kind makes each kind *visible*
when rows of that kind were quarantined: that is how ``defect_coverage``
credits the quarantine in summary.json.
"""

from __future__ import annotations

from expectations._gx import gxe
from expectations.spec import DEFECT_KINDS, REPAIRED_KINDS, TableSuite, WarehouseFacts, blocking, warning
from expectations.suites._common import rows, sql_list

LAYER = "quarantine"
WARN_SHARE = 0.05
BLOCK_SHARE = 0.25


def suites(facts: WarehouseFacts) -> list[TableSuite]:
    suite = TableSuite(
        LAYER, "marts", "quarantine_rows", description="one row per raw row that staging rejected or repaired"
    )
    suite.add(
        blocking(
            "columns_match_contract",
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[
                    "source_table",
                    "source_file",
                    "source_line",
                    "reason",
                    "action",
                    "raw_record",
                    "parent_key",
                    "parent_reason",
                ],
                exact_match=True,
            ),
            "the quarantine's columns are documented in ARCHITECTURE.md and read by the insight report",
        ),
        blocking(
            "action_fits_reason",
            rows(
                f"""select source_table, source_line, reason, action from {{batch}}
                where action not in ('rejected', 'repaired')
                or (action = 'repaired') <> (reason in ({sql_list(REPAIRED_KINDS)}))"""
            ),
            "repairs are made in place (the row stays); every other reason rejects the row",
        ),
        blocking(
            "one_rejection_per_raw_line",
            rows(
                """select source_table, source_file, source_line, count(*) as n from {batch}
                where action = 'rejected' group by source_table, source_file, source_line having count(*) > 1"""
            ),
            "a raw row is rejected once, with its decisive reason: otherwise raw = clean + rejected breaks",
        ),
        blocking(
            "unparseable_lines_quarantined",
            rows(
                """select r.source_table, r.source_file, r.line from raw._rejected_lines as r
                left join {batch} as q on q.source_table = r.source_table and q.source_file = r.source_file
                and q.source_line = r.line and q.reason = 'unparseable_line'
                where q.source_line is null"""
            ),
            "lines ingestion could not parse are kept in raw._rejected_lines and must reach the quarantine",
            catches=("unparseable_line",),
        ),
        warning(
            f"rejected_share_below_{int(WARN_SHARE * 100)}pct",
            rows(
                f"""select q.source_table, count(*) as rejected, m.rows_loaded + m.rejected_lines as raw_lines
                from {{batch}} as q join raw._ingest_manifest as m on m.table_name = q.source_table
                where q.action = 'rejected' group by q.source_table, m.rows_loaded, m.rejected_lines
                having count(*) > {WARN_SHARE} * (m.rows_loaded + m.rejected_lines)"""
            ),
            "more than 5% of a table quarantined deserves a look at its source",
        ),
        blocking(
            f"rejected_share_below_{int(BLOCK_SHARE * 100)}pct",
            rows(
                f"""select q.source_table, count(*) as rejected, m.rows_loaded + m.rejected_lines as raw_lines
                from {{batch}} as q join raw._ingest_manifest as m on m.table_name = q.source_table
                where q.action = 'rejected' group by q.source_table, m.rows_loaded, m.rejected_lines
                having count(*) > {BLOCK_SHARE} * (m.rows_loaded + m.rejected_lines)"""
            ),
            "a quarter of a table quarantined: the marts would describe a fraction of the bank",
        ),
    )
    for kind in DEFECT_KINDS:
        suite.add(
            warning(
                f"quarantined_{kind}",
                rows(
                    f"""select source_table, action, count(*) as n_rows from {{batch}}
                where reason = '{kind}' group by source_table, action"""
                ),
                f"makes {kind} rows visible: they were {'repaired' if kind in REPAIRED_KINDS else 'rejected'} "
                "by staging and listed in the quarantine",
                catches=(kind,),
            )
        )
    return [suite]
