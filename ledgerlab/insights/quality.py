"""Data quality over time (quality.validation_runs/results) and what staging quarantined."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from ledgerlab.insights.charts import OKABE_ITO, fmt_pct, styled, table_block
from ledgerlab.insights.sections import Context, Finding, Section

NO_HISTORY = "no validation history yet — run `ledgerlab validate`"


def run_summary(ctx: Context) -> pl.DataFrame:
    return ctx.warehouse.query(
        """
        select
            r.run_id,
            r.run_at,
            count(v.run_id) as n_expectations,
            count(v.run_id) filter (where v.success) as n_passed,
            count(v.run_id) filter (where not v.success and v.severity = 'blocking') as n_blocking,
            count(v.run_id) filter (where not v.success and v.severity <> 'blocking') as n_warnings
        from quality.validation_runs as r
        left join quality.validation_results as v on v.run_id = r.run_id
        group by all
        order by r.run_at, r.run_id
        """
    )


def build(ctx: Context) -> Section:
    s = Section("quality", "Data quality over time")
    wh = ctx.warehouse
    if not (wh.has("quality", "validation_runs") and wh.has("quality", "validation_results")):
        s.note_missing(wh.problem or NO_HISTORY)
    else:
        runs = run_summary(ctx)
        if runs.height == 0:
            s.note_missing(NO_HISTORY)
        else:
            runs = runs.with_columns((pl.col("n_passed") / pl.col("n_expectations")).alias("pass_rate"))
            x = [str(v) for v in runs["run_at"].to_list()]
            fig = go.Figure()
            fig.add_bar(
                x=x,
                y=runs["n_passed"],
                name="passed",
                marker_color=OKABE_ITO["green"],
                hovertemplate="%{x}<br>%{y} passed<extra></extra>",
            )
            fig.add_bar(
                x=x,
                y=runs["n_warnings"],
                name="failed (warning)",
                marker_color=OKABE_ITO["orange"],
                hovertemplate="%{x}<br>%{y} warnings<extra></extra>",
            )
            fig.add_bar(
                x=x,
                y=runs["n_blocking"],
                name="failed (blocking)",
                marker_color=OKABE_ITO["vermillion"],
                hovertemplate="%{x}<br>%{y} blocking failures<extra></extra>",
            )
            styled(
                fig,
                title="Expectation results per validation run",
                x_title="validation run (time)",
                y_title="expectations",
                height=340,
            )
            fig.update_layout(barmode="stack")
            fig.update_xaxes(type="category")
            last = runs.row(-1, named=True)
            s.html(
                ctx.figures.block(
                    fig,
                    div_id="fig-quality-runs",
                    caption=(
                        f"{runs.height} validation run(s). The latest ({last['run_at']}) checked "
                        f"{last['n_expectations']} expectations: {last['n_passed']} passed, "
                        f"{last['n_warnings']} warning(s), {last['n_blocking']} blocking failure(s)."
                    ),
                    source="quality.validation_runs joined to quality.validation_results",
                )
            )
            failed = wh.query(
                "select suite, expectation_id, severity from quality.validation_results "
                "where run_id = ? and not success order by severity, suite, expectation_id",
                [last["run_id"]],
            )
            if failed.height:
                s.html(
                    table_block(
                        ["suite", "expectation", "severity"],
                        failed.rows(),
                        caption=f"Failed expectations in the latest run ({last['run_id']})",
                        source="quality.validation_results",
                    )
                )
            verdict = (
                "passed every blocking check"
                if last["n_blocking"] == 0
                else f"has {last['n_blocking']} blocking failure(s), so models refuse this data"
            )
            s.findings.append(
                Finding(
                    f"Data quality: the latest validation passed {fmt_pct(last['pass_rate'])} of "
                    f"{last['n_expectations']} expectations and {verdict}.",
                    "quality",
                    priority=36,
                )
            )

    if ctx.require(s, "marts", "quarantine_rows"):
        q = wh.query(
            "select source_table, reason, action, count(*) as n from marts.quarantine_rows group by all order by n desc"
        )
        if q.height == 0:
            s.para("Staging quarantined no rows: every raw row passed its checks.")
        else:
            s.html('<h3 id="quality-quarantine">Rows quarantined by staging</h3>')
            per_table = (
                q.group_by("source_table")
                .agg(
                    pl.col("n").filter(pl.col("action") == "rejected").sum().alias("rejected"),
                    pl.col("n").filter(pl.col("action") == "repaired").sum().alias("repaired"),
                    pl.col("reason").sort_by("n", descending=True).first().alias("top_reason"),
                    pl.col("n").max().alias("top_n"),
                )
                .sort("source_table")
            )
            s.html(
                table_block(
                    ["source table", "rows rejected", "rows repaired", "most common reason"],
                    [
                        [
                            r["source_table"],
                            int(r["rejected"]),
                            int(r["repaired"]),
                            f"{r['top_reason']} ({r['top_n']:,})",
                        ]
                        for r in per_table.iter_rows(named=True)
                    ],
                    caption="Raw rows rejected or repaired by staging, per source table",
                    source="marts.quarantine_rows (one row per rejected or repaired raw row, with its reason)",
                    numeric=[False, True, True, False],
                )
            )
            rejected = int(q.filter(pl.col("action") == "rejected")["n"].sum())
            repaired = int(q.filter(pl.col("action") == "repaired")["n"].sum())
            s.para(f"In total {rejected:,} raw rows were rejected and {repaired:,} repaired in place.")
    return s
