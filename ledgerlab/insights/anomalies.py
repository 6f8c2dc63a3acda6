"""Anomalies: SQL rules + IsolationForest fused into one ranked list, scored against truth when known."""

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
FUSION = "max_rank"

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
    n_accounts = model.height

    rules = None
    if ctx.require(s, "marts", "transaction_anomaly_candidates"):
        candidates = wh.query("select account_id, rule, score, event_date from marts.transaction_anomaly_candidates")
        rules = am.rule_scores(candidates, n_accounts)
        rule_counts = candidates.group_by("rule").agg(pl.len().alias("events"),
                                                      pl.col("account_id").n_unique().alias("accounts"))
    ranked = am.fuse(model, rules, method=FUSION)

    s.para("Method: two detectors, one list. <b>Rules</b> (SQL, <code>marts.transaction_anomaly_candidates</code>): "
           "per-account robust z-scores (median / MAD) of amounts and monthly flows, dormancy followed by "
           "activity, bursts of new counterparties; each account's strongest rule is turned into a rarity "
           "(−log10 of the share of accounts at least as extreme on that rule). <b>Model</b>: "
           "IsolationForests (200 trees each, seeded) on account-month behaviour features — months since the "
           "previous activity, the largest payment against the account's typical payment, payments to "
           "never-paid counterparties, months without the account's regular income — each taken at the "
           "account's most extreme month, one forest per feature; an account scores its most isolated "
           "feature. <b>Fusion</b>: accounts are ranked by the larger of their two "
           "percentile ranks (the more confident detector), ties broken by the mean rank."
           if rules is not None else
           "Method: IsolationForests (one per behaviour feature, seeded) on account-month behaviour "
           "features, each at the account's most extreme month. The SQL rules are missing, so the ranking is the model's alone.")

    truth_file = truth_path(ctx)
    truth = pl.read_parquet(truth_file) if truth_file is not None else None
    payload: dict = {"available": True, "fusion": FUSION if rules is not None else "model_only",
                     "n_accounts_scored": n_accounts, "rules_available": rules is not None,
                     "truth_source": str(truth_file) if truth_file else None}

    ids = ranked["account_id"].to_list()
    if truth is not None and truth.height:
        truth = truth.with_columns(pl.col("account_id").cast(pl.Int64))
        score = am.score_against_truth(ids, truth)
        variants = {"combined": score}
        variants["model only"] = am.score_against_truth(
            model.sort(["model_score", "account_id"], descending=[True, False])["account_id"].to_list(), truth)
        if rules is not None:
            rule_only = am.fuse(model.with_columns(pl.lit(0.0).alias("model_score")), rules, method="max_rank")
            rule_only = (rule_only.sort(["rule_score", "account_id"], descending=[True, False]))
            variants["rules only"] = am.score_against_truth(rule_only["account_id"].to_list(), truth)
        s.html('<h3 id="anomalies-truth">How well it finds the injected anomalies</h3>')
        s.para(f"This data is generated, with {score.k} accounts given an anomaly on purpose "
               f"(<code>{html.escape(truth_file.name)}</code>). With k = {score.k} (the number injected), "
               f"precision@k is the share of the top k that are truly anomalous and recall@k the share of the "
               f"injected accounts that reach the top k.")
        s.html(table_block(
            ["ranking", "k", "found in top k", "precision@k", "recall@k"],
            [[name, v.k, v.hits, f"{v.precision:.2f}", f"{v.recall:.2f}"] for name, v in variants.items()],
            caption="precision@k and recall@k against the generator's truth",
            source="_truth/anomalies.parquet vs the ranked accounts", numeric=[False, True, True, True, True],
            table_id="anomaly-scores"))
        s.html(table_block(
            ["anomaly kind", "injected", "found in top k", "recall@k", "precision@k (own k)"],
            [[b["kind"], b["injected"], b["found_in_top_k"], f"{b['recall_at_k']:.2f}",
              f"{b['precision_at_k_kind']:.2f}"] for b in score.by_kind],
            caption="By anomaly kind (combined ranking)",
            source="_truth/anomalies.parquet; precision (own k): the kind's first k_kind accounts, other kinds' "
                   "anomalous accounts removed", numeric=[False, True, True, True, True],
            table_id="anomaly-kinds"))
        payload.update({"k": score.k, "precision_at_k": score.precision, "recall_at_k": score.recall,
                        "hits": score.hits, "by_kind": score.by_kind,
                        "variants": {n: {"precision_at_k": v.precision, "recall_at_k": v.recall, "hits": v.hits}
                                     for n, v in variants.items()}})
        missed = [b["kind"] for b in score.by_kind if b["found_in_top_k"] < b["injected"]]
        s.findings.append(Finding(
            f"The anomaly detector's top {score.k} accounts hold {score.hits} of the {score.k} anomalies "
            f"planted in this generated data (precision@k {score.precision:.2f}, recall@k {score.recall:.2f})"
            + (f"; it misses some of kind {', '.join(missed)}." if missed else "."),
            "anomalies-truth", priority=35))
        kinds = dict(truth.select("account_id", "kind").unique(subset="account_id").rows())
    else:
        kinds = {}
        s.para("No ground truth for this data (real data, or generated without <code>_truth/</code>): the list "
               "below is a review queue, not a verdict.")
        payload.update({"k": None, "precision_at_k": None, "recall_at_k": None, "by_kind": None})
        top = ranked.head(5)
        s.findings.append(Finding(
            f"{ranked.height:,} accounts were scored for unusual behaviour; the five to review first are "
            + ", ".join(str(a) for a in top["account_id"].to_list()) + ".", "anomalies-top", priority=35))

    k_show = payload.get("k") or 10
    if rules is not None:
        _detector_map(ctx, s, ranked, set(ids[:k_show]), kinds, k_show)
    _top_table(ctx, s, ranked, kinds, k_show, rule_counts if rules is not None else None, payload)
    ctx.shared["anomalies_json"] = payload
    return s


def _detector_map(ctx: Context, s: Section, ranked: pl.DataFrame, top_ids: set, kinds: dict, k_show: int) -> None:
    """Every account by its percentile rank on the model and on the rules."""
    colour = [OKABE_ITO["vermillion"] if a in top_ids else "#b8c2cc" for a in ranked["account_id"]]
    symbol = ["diamond" if a in kinds else "circle" for a in ranked["account_id"]]
    size = [11 if (a in kinds or a in top_ids) else 5 for a in ranked["account_id"]]
    hover = [f"account {a}" + (f" — injected: {kinds[a]}" if a in kinds else "") for a in ranked["account_id"]]
    fig = go.Figure(go.Scattergl(
        x=100 * ranked["model_rank_pct"], y=100 * ranked["rule_rank_pct"], mode="markers",
        marker=dict(color=colour, symbol=symbol, size=size, line=dict(width=0.5, color="white")),
        text=hover, hovertemplate="%{text}<br>model percentile %{x:.1f}<br>rule percentile %{y:.1f}<extra></extra>"))
    styled(fig, title="Two detectors: model vs rules", x_title="IsolationForest percentile rank (%)",
           y_title="SQL rule percentile rank (%)", height=420)
    s.html('<h3 id="anomalies-map">Where the flagged accounts sit</h3>')
    s.html(ctx.figures.block(
        fig, div_id="fig-anomaly-map",
        caption=(f"Every account by its percentile rank on the model (x) and on the rules (y). The top {k_show} "
                 "of the combined ranking are in vermillion" + (", injected anomalies are diamonds." if kinds
                                                                 else ".")
                 + " Accounts in the top-right corner look unusual to both detectors."),
        source="marts.transaction_anomaly_candidates + IsolationForest on marts.fct_transactions account-months"))


def _top_table(ctx: Context, s: Section, ranked: pl.DataFrame, kinds: dict, k_show: int,
               rule_counts: pl.DataFrame | None, payload: dict) -> None:
    shown = ranked.head(max(TOP_SHOWN, k_show))
    rows = []
    for r in shown.iter_rows(named=True):
        rule_text = (f"{am.RULE_WORDS.get(r['rule'], r['rule'])} ({r['rule_date']})"
                     if r.get("rule") else "no rule fired")
        model_text = (f"{r['model_reason']} ({r['model_month']})" if r["model_rank_pct"] >= 0.99
                      else "nothing unusual")
        row = [r["rank"], str(r["account_id"]), f"{100 * r['model_rank_pct']:.1f} / {100 * r['rule_rank_pct']:.1f}",
               model_text, rule_text]
        if kinds:
            row.append(kinds.get(r["account_id"], "–"))
        rows.append(row)
    columns = ["rank", "account", "percentile: model / rules", "model: strongest signal (month)",
               "rules: strongest signal"]
    if kinds:
        columns.append("injected kind")
    s.html('<h3 id="anomalies-top">Accounts to review first</h3>')
    s.html(table_block(columns, rows, caption=f"Top {len(rows)} accounts of the combined ranking",
                       source="marts.transaction_anomaly_candidates; IsolationForest on marts.fct_transactions",
                       numeric=[True, True, True, False, False] + ([False] if kinds else [])))
    if rule_counts is not None:
        s.html(table_block(["rule", "events flagged", "accounts"], rule_counts.sort("rule").rows(),
                           caption="What the SQL rules flagged", source="marts.transaction_anomaly_candidates",
                           numeric=[False, True, True]))

    payload["top_accounts"] = [
        {"rank": r["rank"], "account_id": r["account_id"], "combined": r["combined"],
         "model_score": r["model_score"], "model_reason": r["model_reason"], "model_month": r["model_month"],
         "rule": r.get("rule"), "rule_date": r.get("rule_date"), "rule_score": r.get("rule_score"),
         "injected_kind": kinds.get(r["account_id"])}
        for r in shown.iter_rows(named=True)]
