"""Anomalies: own-history baselines, SQL rules and IsolationForest as one ranked list, scored against truth."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
from threadpoolctl import threadpool_limits

from ledgerlab.insights import anomaly_model as am
from ledgerlab.insights.charts import OKABE_ITO, styled, table_block
from ledgerlab.insights.sections import Context, Finding, Section

TOP_SHOWN = 20

ACCOUNT_MONTH_SQL = """
with tx as (
    select
        account_id, trans_month, direction, operation, amount, counterparty_bank, counterparty_account,
        direction = 'debit' and coalesce(payment_purpose, '') not in ('statement_fee', 'penalty_interest')
            as is_payment
    from marts.fct_transactions
),
usual as (
    select account_id, exp(median(ln(amount))) as usual_debit
    from tx where is_payment and amount > 0 group by account_id
),
first_payment as (
    select account_id, counterparty_bank, counterparty_account, min(trans_month) as first_month
    from tx
    where direction = 'debit' and counterparty_account is not null and counterparty_account <> '0'
    group by all
),
new_counterparties as (
    select account_id, first_month as trans_month, count(*) as n_new_counterparties
    from first_payment group by all
),
per_month as (
    select
        account_id,
        trans_month as month,
        count(*) as n_tx,
        max(amount) filter (where is_payment) as max_debit,
        count(*) filter (where direction = 'credit' and operation = 'collection_from_other_bank') as n_income
    from tx group by all
)
select
    per_month.*,
    coalesce(new_counterparties.n_new_counterparties, 0) as n_new_counterparties,
    usual.usual_debit
from per_month
left join new_counterparties
    on new_counterparties.account_id = per_month.account_id and new_counterparties.trans_month = per_month.month
left join usual on usual.account_id = per_month.account_id
"""


def truth_path(ctx: Context) -> Path | None:
    """_truth/anomalies.parquet beside the raw files this warehouse was loaded from, if any."""
    wh = ctx.warehouse
    if not wh.has("raw", "_ingest_manifest"):
        return None
    rows = wh.query("select source_path from raw._ingest_manifest where source_path is not null")
    for value in rows["source_path"].to_list():
        candidate = Path(value)
        folder = candidate if candidate.is_dir() else candidate.parent
        path = folder / "_truth" / "anomalies.parquet"
        if path.exists():
            return path
    return None


def build(ctx: Context) -> Section:
    s = Section("anomalies", "Anomalies")
    if not ctx.require(s, "marts", "fct_transactions"):
        return s
    wh = ctx.warehouse
    account_months = wh.query(ACCOUNT_MONTH_SQL)
    if account_months.height == 0:
        s.para("No transactions: nothing to score.")
        return s
    data_end = wh.scalar("select max(trans_date) from marts.fct_transactions")
    features = am.behaviour_features(account_months, data_end)
    with threadpool_limits(limits=1):
        model = am.isolation_scores(features, seed=ctx.seed)
    accounts = model["account_id"]
    parts = {"forest": am.model_evidence(model)}
    rule_counts = None
    if ctx.require(s, "marts", "transaction_anomaly_candidates"):
        candidates = wh.query("select account_id, rule, score, event_date from marts.transaction_anomaly_candidates")
        parts["rules"] = am.rule_evidence(candidates, accounts)
        rule_counts = candidates.group_by("rule").agg(
            pl.len().alias("events"), pl.col("account_id").n_unique().alias("accounts")
        )
    if ctx.require(s, "marts", "account_anomaly_signals"):
        signals = wh.query(
            "select account_id, signal, event_date, observed_value, baseline_value, evidence "
            "from marts.account_anomaly_signals"
        )
        parts["baselines"] = am.signal_evidence(signals, accounts)
    evidence = pl.concat(list(parts.values()))
    ranked = am.combine(evidence)
    n_accounts = ranked.height
    detectors_used = [name for name in ("baselines", "rules", "forest") if name in parts]

    s.para(
        "Method: one score from three kinds of detector. <b>Baselines</b> (SQL, "
        "<code>marts.account_anomaly_signals</code>): each account against its own history — a cash "
        "withdrawal's robust z-score against the account's usual withdrawals (and its rarity in the bank), a "
        "change point where regular income stops for good, first-seen counterparties crowded into a few days "
        "against the account's own rate of new ones, days without any movement against its usual activity; "
        "each says how improbable the event is for that account (−log10 p) and is anchored on the bank's "
        "1-in-1,000 account. <b>Rules</b> (SQL, <code>marts.transaction_anomaly_candidates</code>) and an "
        "<b>IsolationForest</b> (one per account-month behaviour feature, seeded) add their rarity among "
        "the accounts (−log10 of the share at least as extreme). An account's score is its strongest "
        "evidence (5 ≈ rarer than 1 in 100,000), and the table names that detector, the event and its date."
        + (
            ""
            if len(detectors_used) == 3
            else f" Only {', '.join(detectors_used)} could be used here: the other marts are missing."
        )
    )

    truth_file = truth_path(ctx)
    truth = pl.read_parquet(truth_file) if truth_file is not None else None
    payload: dict = {
        "available": True,
        "method": "max_anchored_evidence",
        "detectors": detectors_used,
        "n_accounts_scored": n_accounts,
        "rules_available": "rules" in parts,
        "baselines_available": "baselines" in parts,
        "truth_source": str(truth_file) if truth_file else None,
    }

    ids = ranked["account_id"].to_list()
    if truth is not None and truth.height:
        truth = truth.with_columns(pl.col("account_id").cast(pl.Int64))
        score = am.score_against_truth(ids, truth)
        variants = {"combined": score}
        for name in detectors_used:
            alone = am.combine(parts[name])
            variants[f"{name} only"] = am.score_against_truth(alone["account_id"].to_list(), truth)
        s.html('<h3 id="anomalies-truth">How well it finds the injected anomalies</h3>')
        s.para(
            f"This data is generated, with {score.k} accounts given an anomaly on purpose "
            f"(<code>{html.escape(truth_file.name)}</code>). With k = {score.k} (the number injected), "
            f"precision@k is the share of the top k that are truly anomalous and recall@k the share of the "
            f"injected accounts that reach the top k."
        )
        s.html(
            table_block(
                ["ranking", "k", "found in top k", "precision@k", "recall@k"],
                [[name, v.k, v.hits, f"{v.precision:.2f}", f"{v.recall:.2f}"] for name, v in variants.items()],
                caption="precision@k and recall@k against the generator's truth",
                source="_truth/anomalies.parquet vs the ranked accounts",
                numeric=[False, True, True, True, True],
                table_id="anomaly-scores",
            )
        )
        s.html(
            table_block(
                ["anomaly kind", "injected", "found in top k", "recall@k", "precision@k (own k)"],
                [
                    [
                        b["kind"],
                        b["injected"],
                        b["found_in_top_k"],
                        f"{b['recall_at_k']:.2f}",
                        f"{b['precision_at_k_kind']:.2f}",
                    ]
                    for b in score.by_kind
                ],
                caption="By anomaly kind (combined ranking)",
                source="_truth/anomalies.parquet; precision (own k): the kind's first k_kind accounts, other kinds' "
                "anomalous accounts removed",
                numeric=[False, True, True, True, True],
                table_id="anomaly-kinds",
            )
        )
        payload.update(
            {
                "k": score.k,
                "precision_at_k": score.precision,
                "recall_at_k": score.recall,
                "hits": score.hits,
                "by_kind": score.by_kind,
                "variants": {
                    n: {"precision_at_k": v.precision, "recall_at_k": v.recall, "hits": v.hits}
                    for n, v in variants.items()
                },
            }
        )
        missed = [b["kind"] for b in score.by_kind if b["found_in_top_k"] < b["injected"]]
        s.findings.append(
            Finding(
                f"The anomaly detector's top {score.k} accounts hold {score.hits} of the {score.k} anomalies "
                f"planted in this generated data (precision@k {score.precision:.2f}, recall@k {score.recall:.2f})"
                + (f"; it misses some of kind {', '.join(missed)}." if missed else "."),
                "anomalies-truth",
                priority=35,
            )
        )
        kinds = dict(truth.select("account_id", "kind").unique(subset="account_id").rows())
    else:
        kinds = {}
        s.para(
            "No ground truth for this data (real data, or generated without <code>_truth/</code>): the list "
            "below is a review queue, not a verdict."
        )
        payload.update({"k": None, "precision_at_k": None, "recall_at_k": None, "by_kind": None})
        top = ranked.head(5)
        s.findings.append(
            Finding(
                f"{ranked.height:,} accounts were scored for unusual behaviour; the five to review first are "
                + ", ".join(str(a) for a in top["account_id"].to_list())
                + ".",
                "anomalies-top",
                priority=35,
            )
        )

    k_show = payload.get("k") or 10
    _detector_map(ctx, s, evidence, set(ids[:k_show]), kinds, k_show)
    _top_table(s, ranked, kinds, k_show, rule_counts, payload)
    ctx.shared["anomalies_json"] = payload
    return s


# The map shows at most this many accounts: every highlighted one (top of the ranking, injected)
# and a seeded sample of the others. A reader sees no more in 450,000 points than in 5,000, and
# each point costs the report (111 M transactions: seconds of plotly and tens of MB of HTML).
MAP_MAX_POINTS = 5_000


def _map_points(per_account: pl.DataFrame, highlighted: set, seed: int) -> pl.DataFrame:
    """The accounts the map draws: every highlighted one, then a seeded sample of the rest."""
    if per_account.height <= MAP_MAX_POINTS:
        return per_account
    marked = pl.col("account_id").is_in(list(highlighted))
    shown = per_account.filter(marked)
    rest = per_account.filter(~marked)
    sample = rest.sample(n=min(rest.height, max(MAP_MAX_POINTS - shown.height, 0)), seed=seed)
    return pl.concat([shown, sample]).sort("account_id")


def _detector_map(ctx: Context, s: Section, evidence: pl.DataFrame, top_ids: set, kinds: dict, k_show: int) -> None:
    """Accounts by their strongest baseline evidence and their strongest rule / forest evidence."""
    per_account = (
        evidence.with_columns(
            pl.when(pl.col("detector").str.starts_with("rule:") | (pl.col("detector") == "isolation_forest"))
            .then(pl.lit("other"))  # the SQL rules and the forest
            .otherwise(pl.lit("baselines"))
            .alias("g")
        )
        .group_by("account_id", "g")
        .agg(pl.col("evidence").max())
        .pivot(on="g", index="account_id", values="evidence")
        .sort("account_id")
    )
    for col in ("baselines", "other"):
        if col not in per_account.columns:
            per_account = per_account.with_columns(pl.lit(0.0).alias(col))
    per_account = per_account.fill_null(0.0)
    accounts = per_account.height
    highlighted = set(top_ids) | set(kinds)
    per_account = _map_points(per_account, highlighted, ctx.seed)
    shown_note = (
        ""
        if per_account.height == accounts
        else f" Shown: all {len(highlighted):,} highlighted accounts and a random sample (seed "
        f"{ctx.seed}) of the others, {per_account.height:,} of {accounts:,} accounts."
    )
    ids = per_account["account_id"].to_list()
    colour = [OKABE_ITO["vermillion"] if a in top_ids else "#b8c2cc" for a in ids]
    symbol = ["diamond" if a in kinds else "circle" for a in ids]
    size = [11 if (a in kinds or a in top_ids) else 5 for a in ids]
    hover = [f"account {a}" + (f" — injected: {kinds[a]}" if a in kinds else "") for a in ids]
    fig = go.Figure(
        go.Scattergl(
            # plain rounded lists: numpy arrays would be embedded as base64 blobs, unreadable and larger
            x=[round(v, 3) for v in per_account["baselines"].to_list()],
            y=[round(v, 3) for v in per_account["other"].to_list()],
            mode="markers",
            marker=dict(color=colour, symbol=symbol, size=size, line=dict(width=0.5, color="white")),
            text=hover,
            hovertemplate="%{text}<br>baselines %{x:.1f}<br>rules / forest %{y:.1f}<extra></extra>",
        )
    )
    styled(
        fig,
        title="Evidence per account: own-history baselines vs rules and forest",
        x_title="strongest baseline evidence (−log10 p, anchored)",
        y_title="strongest rule / forest rarity (−log10 share)",
        height=420,
    )
    s.html('<h3 id="anomalies-map">Where the flagged accounts sit</h3>')
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-anomaly-map",
            caption=(
                f"Accounts by their strongest evidence from their own-history baselines (x) and from the SQL "
                f"rules and the IsolationForest (y). The top {k_show} of the combined ranking are in vermillion"
                + (", injected anomalies are diamonds." if kinds else ".")
                + shown_note
            ),
            source="marts.account_anomaly_signals, marts.transaction_anomaly_candidates, IsolationForest on "
            "marts.fct_transactions account-months",
        )
    )


def _top_table(
    s: Section, ranked: pl.DataFrame, kinds: dict, k_show: int, rule_counts: pl.DataFrame | None, payload: dict
) -> None:
    shown = ranked.head(max(TOP_SHOWN, k_show))
    rows = []
    for r in shown.iter_rows(named=True):
        when = f" ({r['event_date']})" if r["event_date"] is not None else ""
        also = ", ".join(d.removeprefix("rule:") for d in r["also"]) or "–"
        row = [
            r["rank"],
            str(r["account_id"]),
            f"{r['score']:.1f}",
            r["detector"].removeprefix("rule:"),
            f"{r['reason']}{when}",
            also,
        ]
        if kinds:
            row.append(kinds.get(r["account_id"], "–"))
        rows.append(row)
    columns = ["rank", "account", "evidence", "strongest detector", "why (when)", "also rare on"]
    if kinds:
        columns.append("injected kind")
    s.html('<h3 id="anomalies-top">Accounts to review first</h3>')
    s.html(
        table_block(
            columns,
            rows,
            caption=f"Top {len(rows)} accounts of the combined ranking",
            source="marts.account_anomaly_signals; marts.transaction_anomaly_candidates; "
            "IsolationForest on marts.fct_transactions",
            numeric=[True, True, True, False, False, False] + ([False] if kinds else []),
            table_id="anomaly-top",
        )
    )
    if rule_counts is not None:
        s.html(
            table_block(
                ["rule", "events flagged", "accounts"],
                rule_counts.sort("rule").rows(),
                caption="What the SQL rules flagged",
                source="marts.transaction_anomaly_candidates",
                numeric=[False, True, True],
            )
        )

    payload["top_accounts"] = [
        {
            "rank": r["rank"],
            "account_id": r["account_id"],
            "score": r["score"],
            "detector": r["detector"],
            "reason": r["reason"],
            "event_date": str(r["event_date"]) if r["event_date"] is not None else None,
            "also": list(r["also"]),
            "injected_kind": kinds.get(r["account_id"]),
        }
        for r in shown.iter_rows(named=True)
    ]
