"""Account anomaly scoring: account-month behaviour features, IsolationForest, rank fusion, scoring.

Pure functions on Polars frames (no I/O), so each step is tested on tiny
frames in tests/insights/test_anomalies.py. The report module
(:mod:`ledgerlab.insights.anomalies`) feeds them from the marts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

# Account-month feature -> how a reader says it when it is the account's worst feature.
MODEL_FEATURES: dict[str, str] = {
    "gap_months": "no activity for {v:.0f} months before this one",
    "debit_jump": "a single payment {x:.0f}× the account's typical payment",
    "new_counterparties": "{v:.0f} payments to counterparties never paid before",
    "income_missing_run": "regular income missing for {v:.0f} months in a row",
}
MIN_INCOME_MONTHS = 6  # an income is "regular" after this many months with one


def _month_index(col: str) -> pl.Expr:
    return pl.col(col).dt.year() * 12 + pl.col(col).dt.month() - 1


def behaviour_features(account_months: pl.DataFrame, data_end: dt.date) -> pl.DataFrame:
    """Account-month features relative to each account's own history.

    Input: one row per account and active month with ``account_id``, ``month`` (date, first of
    month), ``n_tx``, ``max_debit`` (largest debit other than fees, CZK; null if none),
    ``usual_debit`` (the account's typical such debit over its history — geometric median, CZK),
    ``n_income`` (income credits: salary or pension transfers) and ``n_new_counterparties``
    (accounts paid for the first time this month). Months without transactions between an account's first month and
    ``data_end`` are added with zeros, so that dormancy and missing income are visible.
    """
    required = {"account_id", "month", "n_tx", "max_debit", "usual_debit", "n_income",
                "n_new_counterparties"}
    missing = required - set(account_months.columns)
    if missing:
        raise ValueError(f"account-month frame lacks columns: {sorted(missing)}")
    end_idx = data_end.year * 12 + data_end.month - 1
    am = account_months.with_columns(_month_index("month").alias("m"))
    first = am.group_by("account_id").agg(pl.col("m").min().alias("first_m"))
    grid = (first.with_columns(pl.int_ranges(pl.col("first_m"), end_idx + 1).alias("m"))
            .explode("m").select("account_id", "first_m", pl.col("m").cast(am.schema["m"])))
    full = (grid.join(am.drop("month"), on=["account_id", "m"], how="left")
            .with_columns(pl.col(c).fill_null(0) for c in ("n_tx", "n_income", "n_new_counterparties"))
            .sort("account_id", "m"))
    active = pl.col("n_tx") > 0
    full = full.with_columns(
        pl.when(active).then(pl.col("m")).otherwise(None).alias("active_m"),
        (pl.col("n_income") > 0).cast(pl.Int64).alias("has_income"),
    )
    full = full.with_columns(
        pl.col("active_m").shift(1).forward_fill().over("account_id").alias("prev_active_m"),
        pl.col("has_income").cum_sum().over("account_id").alias("income_months_so_far"),
    )
    full = full.with_columns(
        # a run of months without income, counted from the last income month
        pl.col("income_months_so_far").alias("income_run_id"),
    ).with_columns(
        (pl.col("m") - pl.col("m").min().over(["account_id", "income_run_id"])).alias("months_since_income"),
    )
    return full.select(
        "account_id",
        pl.col("m").alias("month_index"),
        pl.when(active & pl.col("prev_active_m").is_not_null())
          .then(pl.col("m") - pl.col("prev_active_m") - 1).otherwise(0).cast(pl.Float64).alias("gap_months"),
        (pl.col("max_debit").log() - pl.col("usual_debit").log()).clip(lower_bound=0)
          .fill_null(0.0).fill_nan(0.0).alias("debit_jump"),
        pl.when(pl.col("m") - pl.col("first_m") >= 2).then(pl.col("n_new_counterparties")).otherwise(0)
          .cast(pl.Float64).alias("new_counterparties"),
        pl.when((pl.col("income_months_so_far") >= MIN_INCOME_MONTHS) & (pl.col("has_income") == 0))
          .then(pl.col("months_since_income")).otherwise(0).cast(pl.Float64).alias("income_missing_run"),
    )


def month_label(month_index: int) -> str:
    return f"{month_index // 12}-{month_index % 12 + 1:02d}"


def account_profiles(features: pl.DataFrame) -> pl.DataFrame:
    """Per account, each feature's worst (largest) month: the account's behaviour profile."""
    names = list(MODEL_FEATURES)
    return (features.group_by("account_id").agg(
        *[pl.col(n).max().alias(n) for n in names],
        *[pl.col("month_index").sort_by(n, descending=True).first().alias(f"{n}__month") for n in names],
    ).sort("account_id"))


def isolation_scores(features: pl.DataFrame, *, seed: int = 42, n_estimators: int = 200) -> pl.DataFrame:
    """Per account: IsolationForest anomaly score, the month it refers to, and the reason.

    One forest per behaviour feature, fitted on the account profiles (each feature at the
    account's most extreme month); the account's score is its highest score over the features.
    A single multivariate forest averages an extreme value on one feature with ordinary values on
    the others — and every injected anomaly kind shows on one feature only — so it ranked the
    planted anomalies far lower (see docs/INSIGHTS_METHODS.md).
    """
    names = list(MODEL_FEATURES)
    profiles = account_profiles(features)
    x = profiles.select(names).to_numpy().astype(float)
    per_feature = np.column_stack([
        -IsolationForest(n_estimators=n_estimators, max_samples=min(1024, len(x)), random_state=seed + j)
        .fit(x[:, [j]]).score_samples(x[:, [j]])
        for j in range(x.shape[1])
    ])  # higher = more anomalous
    best = np.argmax(per_feature, axis=1)
    top = np.asarray(names)[best]
    profiles = profiles.with_columns(pl.Series("model_score", per_feature.max(axis=1)), pl.Series("top_feature", top))
    return profiles.with_columns(
        pl.struct(["top_feature", *names]).map_elements(_reason, return_dtype=pl.String).alias("model_reason"),
        pl.struct(["top_feature", *[f"{n}__month" for n in names]]).map_elements(
            lambda r: month_label(r[f"{r['top_feature']}__month"]), return_dtype=pl.String).alias("model_month"),
    ).select("account_id", "model_score", "model_month", "model_reason", *names)


def _reason(row: dict) -> str:
    name = row["top_feature"]
    v = row[name]
    return MODEL_FEATURES[name].format(v=v, x=math.exp(v)).replace("for 1 months", "for 1 month")


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Average-rank percentile in (0, 1]; higher value = higher rank."""
    from scipy.stats import rankdata

    return rankdata(values, method="average") / len(values)


def fuse(model: pl.DataFrame, rules: pl.DataFrame | None, *, method: str = "max_rank") -> pl.DataFrame:
    """One ranked list of accounts from the model score and (when present) the rule score.

    ``model``: account_id, model_score; ``rules``: account_id, rule_score (accounts without a
    fired rule score 0). ``max_rank``: an account ranks by the more confident of the two detectors
    (the larger percentile rank), ties broken by the mean rank; ``mean_rank``: plain rank average.
    """
    frame = model
    if rules is not None and rules.height:
        frame = frame.join(rules, on="account_id", how="full", coalesce=True)
    else:
        frame = frame.with_columns(pl.lit(0.0).alias("rule_score"))
    frame = frame.with_columns(pl.col("model_score").fill_null(frame["model_score"].min()),
                               pl.col("rule_score").fill_null(0.0))
    r_model = percentile_rank(frame["model_score"].to_numpy())
    r_rule = percentile_rank(frame["rule_score"].to_numpy())
    has_rules = rules is not None and rules.height > 0
    if not has_rules:
        combined, tie = r_model, r_model
    elif method == "mean_rank":
        combined, tie = (r_model + r_rule) / 2, r_model
    elif method == "max_rank":
        combined, tie = np.maximum(r_model, r_rule), (r_model + r_rule) / 2
    else:
        raise ValueError(f"unknown fusion method {method!r}")
    frame = frame.with_columns(pl.Series("model_rank_pct", r_model), pl.Series("rule_rank_pct", r_rule),
                               pl.Series("combined", combined), pl.Series("_tie", tie))
    frame = frame.sort(["combined", "_tie", "account_id"], descending=[True, True, False]).drop("_tie")
    return frame.with_row_index("rank", offset=1)


@dataclass(frozen=True)
class TruthScore:
    k: int
    hits: int
    precision: float
    recall: float
    by_kind: list[dict]


def score_against_truth(ranked_accounts: list[int], truth: pl.DataFrame, k: int | None = None) -> TruthScore:
    """precision@k and recall@k, k = number of truly anomalous accounts unless given.

    By kind: ``found_in_top_k`` / ``injected`` is that kind's recall@k; ``precision_at_k_kind``
    is the precision of the first k_kind accounts of the ranking with the *other* kinds' anomalous
    accounts removed (k_kind = injected accounts of that kind).
    """
    truth_accounts = truth.select("account_id", "kind").unique(subset="account_id", keep="first")
    anomalous = set(truth_accounts["account_id"].to_list())
    k = len(anomalous) if k is None else k
    top = ranked_accounts[:k]
    hits = sum(1 for a in top if a in anomalous)
    by_kind = []
    for kind in sorted(truth_accounts["kind"].unique().to_list()):
        members = set(truth_accounts.filter(pl.col("kind") == kind)["account_id"].to_list())
        others = anomalous - members
        own = [a for a in ranked_accounts if a not in others][: len(members)]
        by_kind.append({
            "kind": kind,
            "injected": len(members),
            "found_in_top_k": sum(1 for a in top if a in members),
            "recall_at_k": sum(1 for a in top if a in members) / len(members) if members else math.nan,
            "precision_at_k_kind": sum(1 for a in own if a in members) / len(members) if members else math.nan,
        })
    return TruthScore(k=k, hits=hits, precision=hits / k if k else math.nan,
                      recall=hits / len(anomalous) if anomalous else math.nan, by_kind=by_kind)


RULE_WORDS = {
    "amount_robust_z": "a transaction far from the account's usual amounts",
    "monthly_inflow_robust_z": "an unusual month of inflows",
    "monthly_outflow_robust_z": "an unusual month of outflows",
    "dormancy_then_activity": "activity after a long dormant spell",
    "new_counterparty_burst": "a burst of payments to new counterparties",
}


def rule_scores(candidates: pl.DataFrame, n_accounts: int) -> pl.DataFrame:
    """One rule score per account from the SQL candidates (account_id, rule, score, event_date).

    The rules' scores live on different scales (robust z, days, counts), so each account's
    strongest |score| per rule becomes a rarity: −log10 of the share of all accounts at least that
    extreme on that rule (accounts the rule never flagged count as below). The account's rule score
    is its rarest rule; ``rules_fired`` and the rule and date of that strongest signal explain it.
    """
    if candidates.height == 0:
        return pl.DataFrame(schema={"account_id": pl.Int64, "rule_score": pl.Float64, "rules_fired": pl.UInt32,
                                    "rule": pl.String, "rule_date": pl.Date})
    per_rule = (candidates.with_columns(pl.col("score").abs().alias("strength"))
                .sort("strength", descending=True)
                .group_by(["account_id", "rule"]).agg(pl.col("strength").first(), pl.col("event_date").first(),
                                                      pl.len().alias("n_events")))
    per_rule = per_rule.with_columns(
        # accounts on this rule at least as extreme as this one
        pl.col("strength").rank(method="max", descending=True).over("rule").alias("as_extreme"))
    per_rule = per_rule.with_columns(
        (-(pl.col("as_extreme") / max(n_accounts, 1)).log10()).alias("rarity"))
    best = (per_rule.sort(["account_id", "rarity", "strength"], descending=[False, True, True])
            .group_by("account_id", maintain_order=True)
            .agg(pl.col("rarity").first().alias("rule_score"), pl.col("rule").n_unique().alias("rules_fired"),
                 pl.col("rule").first().alias("rule"), pl.col("event_date").first().alias("rule_date")))
    return best.with_columns(pl.col("account_id").cast(pl.Int64))
