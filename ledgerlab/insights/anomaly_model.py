"""Account anomaly scoring: per-account baselines, SQL rules and an IsolationForest on one evidence scale.

Pure functions on Polars frames (no I/O), so each step is tested on tiny
frames in tests/insights/test_anomalies.py. The report module
(:mod:`ledgerlab.insights.anomalies`) feeds them from the marts: the baseline
signals of ``marts.account_anomaly_signals``, the rule events of
``marts.transaction_anomaly_candidates`` and account-month features for the
forest. Every detector's output becomes *evidence* in log10 units, and an
account's score is its strongest evidence (docs/INSIGHTS_METHODS.md).
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
    required = {"account_id", "month", "n_tx", "max_debit", "usual_debit", "n_income", "n_new_counterparties"}
    missing = required - set(account_months.columns)
    if missing:
        raise ValueError(f"account-month frame lacks columns: {sorted(missing)}")
    end_idx = data_end.year * 12 + data_end.month - 1
    am = account_months.with_columns(_month_index("month").alias("m"))
    first = am.group_by("account_id").agg(pl.col("m").min().alias("first_m"))
    grid = (
        first.with_columns(pl.int_ranges(pl.col("first_m"), end_idx + 1).alias("m"))
        .explode("m")
        .select("account_id", "first_m", pl.col("m").cast(am.schema["m"]))
    )
    full = (
        grid.join(am.drop("month"), on=["account_id", "m"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("n_tx", "n_income", "n_new_counterparties"))
        .sort("account_id", "m")
    )
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
        .then(pl.col("m") - pl.col("prev_active_m") - 1)
        .otherwise(0)
        .cast(pl.Float64)
        .alias("gap_months"),
        (pl.col("max_debit").log() - pl.col("usual_debit").log())
        .clip(lower_bound=0)
        .fill_null(0.0)
        .fill_nan(0.0)
        .alias("debit_jump"),
        pl.when(pl.col("m") - pl.col("first_m") >= 2)
        .then(pl.col("n_new_counterparties"))
        .otherwise(0)
        .cast(pl.Float64)
        .alias("new_counterparties"),
        pl.when((pl.col("income_months_so_far") >= MIN_INCOME_MONTHS) & (pl.col("has_income") == 0))
        .then(pl.col("months_since_income"))
        .otherwise(0)
        .cast(pl.Float64)
        .alias("income_missing_run"),
    )


def month_label(month_index: int) -> str:
    return f"{month_index // 12}-{month_index % 12 + 1:02d}"


def account_profiles(features: pl.DataFrame) -> pl.DataFrame:
    """Per account, each feature's worst (largest) month: the account's behaviour profile."""
    names = list(MODEL_FEATURES)
    return (
        features.group_by("account_id")
        .agg(
            *[pl.col(n).max().alias(n) for n in names],
            *[pl.col("month_index").sort_by(n, descending=True).first().alias(f"{n}__month") for n in names],
        )
        .sort("account_id")
    )


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
    per_feature = np.column_stack(
        [
            -IsolationForest(n_estimators=n_estimators, max_samples=min(1024, len(x)), random_state=seed + j)
            .fit(x[:, [j]])
            .score_samples(x[:, [j]])
            for j in range(x.shape[1])
        ]
    )  # higher = more anomalous
    best = np.argmax(per_feature, axis=1)
    top = np.asarray(names)[best]
    profiles = profiles.with_columns(pl.Series("model_score", per_feature.max(axis=1)), pl.Series("top_feature", top))
    return profiles.with_columns(
        pl.struct(["top_feature", *names]).map_elements(_reason, return_dtype=pl.String).alias("model_reason"),
        pl.struct(["top_feature", *[f"{n}__month" for n in names]])
        .map_elements(lambda r: month_label(r[f"{r['top_feature']}__month"]), return_dtype=pl.String)
        .alias("model_month"),
    ).select("account_id", "model_score", "model_month", "model_reason", *names)


def _reason(row: dict) -> str:
    name = row["top_feature"]
    v = row[name]
    return MODEL_FEATURES[name].format(v=v, x=math.exp(v)).replace("for 1 months", "for 1 month")


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
        by_kind.append(
            {
                "kind": kind,
                "injected": len(members),
                "found_in_top_k": sum(1 for a in top if a in members),
                "recall_at_k": sum(1 for a in top if a in members) / len(members) if members else math.nan,
                "precision_at_k_kind": sum(1 for a in own if a in members) / len(members) if members else math.nan,
            }
        )
    return TruthScore(
        k=k,
        hits=hits,
        precision=hits / k if k else math.nan,
        recall=hits / len(anomalous) if anomalous else math.nan,
        by_kind=by_kind,
    )


RULE_WORDS = {
    "amount_robust_z": "a transaction far from the account's usual amounts",
    "monthly_inflow_robust_z": "an unusual month of inflows",
    "monthly_outflow_robust_z": "an unusual month of outflows",
    "dormancy_then_activity": "activity after a long dormant spell",
    "new_counterparty_burst": "a burst of payments to new counterparties",
}


# ---------------------------------------------------------------------------
# One score: per-account baselines (marts.account_anomaly_signals), the rules and the forest,
# each put on one evidence scale by the tail of its own distribution over the bank's accounts.

SIGNAL_WORDS = {
    "cash_withdrawal_size": "a cash withdrawal of {obs:,.0f} CZK against a usual {base:,.0f} CZK",
    "income_stop": "regular income stopped: none for the last {obs:.0f} months, after {base:.0%} of months with one",
    "new_counterparty_burst": "{obs:.0f} payments to counterparties never paid before within a few days "
    "(usual: {base:.2f} in such a window)",
    "dormancy": "no movement at all for {obs:.0f} days (usually one active day every {base:.1f} days)",
}
REFERENCE_SHARE = 0.001  # each baseline signal is anchored at the bank's 1-in-1,000 account ...
REFERENCE_MIN_ACCOUNTS = 10  # ... or its 10th most extreme account when the bank is small
SCREENING_DISCOUNT = 1.0  # rules and forest: rank-based screening scores count one order of magnitude less


def anchored_evidence(evidence: np.ndarray, reference_share: float = REFERENCE_SHARE) -> np.ndarray:
    """Baseline evidence (-log10 p under the account's own history) calibrated on the bank.

    Per-account null models are never exactly right (real new counterparties cluster, amounts
    have heavier tails than a normal) and each signal looks at many events per account, so a
    signal's -log10 p is off by its own offset and slope. The bank's accounts measure both: with
    s_hi = reference_share (or REFERENCE_MIN_ACCOUNTS / n on a small bank, where a quantile through
    the few planted extremes would measure them, not the bank) and s_lo = 10 x s_hi, the accounts
    at the (1 - s_hi) and (1 - s_lo) quantiles q_hi and q_lo get their rarities -log10 s_hi (3)
    and -log10 s_lo (2). Up to q_hi an account gets its empirical rarity (the share of accounts at
    least as extreme); beyond it the exponential tail through those two points,
    ``-log10 s_hi + (e - q_hi) x slope`` with slope = 1 / (q_hi - q_lo), capped at 1: an event
    never counts more than its own log-probability. Unlike a rank this does not saturate, so an
    account far beyond the bank's ordinary extremes keeps saying so, and signals with different
    scales become comparable.
    """
    e = np.nan_to_num(np.asarray(evidence, dtype=float), nan=0.0)
    n = e.size
    if n == 0:
        return e
    s_hi = min(max(reference_share, REFERENCE_MIN_ACCOUNTS / n), 1.0)
    s_lo = min(10.0 * s_hi, 1.0)
    q_hi = float(np.quantile(e, 1.0 - s_hi))
    q_lo = float(np.quantile(e, 1.0 - s_lo))
    top = -math.log10(s_hi)
    slope = min(math.log10(s_lo / s_hi) / (q_hi - q_lo), 1.0) if q_hi > q_lo else 1.0
    return np.where(e > q_hi, top + (e - q_hi) * slope, np.minimum(rarity(e), top))


def rarity(values: np.ndarray) -> np.ndarray:
    """-log10 of the share of values at least as large as each (ties count as at least as large)."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    if v.size == 0:
        return v
    order = np.sort(v)
    at_least = v.size - np.searchsorted(order, v, side="left")
    return -np.log10(at_least / v.size)


def signal_evidence(signals: pl.DataFrame, accounts: pl.Series) -> pl.DataFrame:
    """Long frame account_id, detector, evidence, event_date, reason from the baseline signals.

    ``signals``: marts.account_anomaly_signals (account_id, signal, event_date, observed_value,
    baseline_value, evidence). Every account of ``accounts`` is scored on every signal (0 where
    the signal has no row), and each signal's evidence is tail-calibrated over all accounts.
    """
    required = {"account_id", "signal", "event_date", "observed_value", "baseline_value", "evidence"}
    missing = required - set(signals.columns)
    if missing:
        raise ValueError(f"signal frame lacks columns: {sorted(missing)}")
    base = pl.DataFrame({"account_id": accounts.cast(pl.Int64).unique().sort()})
    parts = []
    for name in SIGNAL_WORDS:
        one = signals.filter(pl.col("signal") == name).with_columns(pl.col("account_id").cast(pl.Int64))
        full = base.join(one, on="account_id", how="left").with_columns(pl.col("evidence").fill_null(0.0))
        calibrated = anchored_evidence(full["evidence"].to_numpy())
        reasons = [
            SIGNAL_WORDS[name].format(obs=o, base=b).replace("last 1 months", "last month")
            if o is not None and b is not None
            else None
            for o, b in zip(full["observed_value"].to_list(), full["baseline_value"].to_list(), strict=True)
        ]
        parts.append(
            pl.DataFrame(
                {
                    "account_id": full["account_id"],
                    "detector": name,
                    "raw": full["evidence"],
                    "evidence": calibrated,
                    "event_date": full["event_date"].cast(pl.Date),
                    "reason": pl.Series(reasons, dtype=pl.String),
                }
            )
        )
    return pl.concat(parts)


def rule_evidence(candidates: pl.DataFrame, accounts: pl.Series) -> pl.DataFrame:
    """Long frame as :func:`signal_evidence` from the SQL rules: per rule, each account's strongest |score|.

    A rule's evidence is the account's rarity on it (-log10 of the share of accounts at least as
    extreme) less SCREENING_DISCOUNT: the rules' scores are not probabilities, only ranks, and the
    bank's most extreme account on any of them is often a benign oddity.
    """
    base = pl.DataFrame({"account_id": accounts.cast(pl.Int64).unique().sort()})
    parts = []
    for rule in sorted(RULE_WORDS):
        one = (
            candidates.filter(pl.col("rule") == rule)
            .with_columns(pl.col("account_id").cast(pl.Int64), pl.col("score").abs().alias("strength"))
            .sort("strength", descending=True)
            .group_by("account_id", maintain_order=True)
            .agg(pl.col("strength").first(), pl.col("event_date").first())
        )
        full = base.join(one, on="account_id", how="left").with_columns(pl.col("strength").fill_null(0.0))
        fired = full["strength"].to_numpy() > 0
        parts.append(
            pl.DataFrame(
                {
                    "account_id": full["account_id"],
                    "detector": f"rule:{rule}",
                    "raw": full["strength"],
                    "evidence": np.where(
                        fired, np.maximum(rarity(full["strength"].to_numpy()) - SCREENING_DISCOUNT, 0.0), 0.0
                    ),
                    "event_date": full["event_date"].cast(pl.Date),
                    "reason": pl.Series([RULE_WORDS[rule] if f else None for f in fired], dtype=pl.String),
                }
            )
        )
    return pl.concat(parts)


def model_evidence(model: pl.DataFrame) -> pl.DataFrame:
    """Long frame as :func:`signal_evidence` from the IsolationForest scores (:func:`isolation_scores`).

    Rarity of the forest score less SCREENING_DISCOUNT, as for the rules.
    """
    return pl.DataFrame(
        {
            "account_id": model["account_id"].cast(pl.Int64),
            "detector": "isolation_forest",
            "raw": model["model_score"],
            "evidence": np.maximum(rarity(model["model_score"].to_numpy()) - SCREENING_DISCOUNT, 0.0),
            "event_date": pl.Series([None] * model.height, dtype=pl.Date),
            "reason": model["model_reason"] + " (" + model["model_month"] + ")",
        }
    )


def combine(evidence: pl.DataFrame) -> pl.DataFrame:
    """One ranked list: an account's score is its strongest evidence over all detectors.

    ``evidence``: long frame account_id, detector, evidence, event_date, reason (from
    :func:`signal_evidence`, :func:`rule_evidence`, :func:`model_evidence`). Returns one row per
    account: rank (1 = review first), score, the strongest detector with its reason and date, and
    ``also``: the other detectors with evidence >= 3 (rarer than 1 in 1,000 accounts).
    Ties: the larger second-strongest evidence first, then the smaller account_id.
    """
    if evidence.height == 0:
        raise ValueError("no evidence to combine: no accounts were scored")
    ranked = evidence.sort(["account_id", "evidence", "detector"], descending=[False, True, False])
    per_account = ranked.group_by("account_id", maintain_order=True).agg(
        pl.col("evidence").first().alias("score"),
        pl.col("evidence").slice(1, 1).first().fill_null(0.0).alias("second"),
        pl.col("detector").first(),
        pl.col("reason").first(),
        pl.col("event_date").first(),
        pl.col("detector").slice(1).filter(pl.col("evidence").slice(1) >= 3.0).alias("also"),
    )
    per_account = per_account.sort(["score", "second", "account_id"], descending=[True, True, False]).with_row_index(
        "rank", offset=1
    )
    return per_account.select("account_id", "rank", "score", "detector", "reason", "event_date", "also", "second")
