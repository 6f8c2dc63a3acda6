import datetime as dt

import numpy as np
import polars as pl
import pytest

from ledgerlab.insights import anomaly_model as am
from ledgerlab.insights.anomalies import MAP_MAX_POINTS, _map_points

from .anomaly_fixtures import DATA_END, PLANTED, account_months, truth


def test_precision_recall_at_k_on_toy_truth():
    t = pl.DataFrame({"account_id": [1, 2, 3, 4], "kind": ["a", "a", "b", "c"]})
    ranked = [1, 9, 3, 8, 2, 4, 7]
    s = am.score_against_truth(ranked, t)
    assert s.k == 4
    assert s.hits == 2  # 1 and 3 are in the top 4
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)
    kinds = {b["kind"]: b for b in s.by_kind}
    assert kinds["a"]["found_in_top_k"] == 1 and kinds["a"]["recall_at_k"] == pytest.approx(0.5)
    # kind a with the other kinds' accounts removed: ranking 1, 9, 8, 2 -> first 2 are 1, 9 -> 1 of 2
    assert kinds["a"]["precision_at_k_kind"] == pytest.approx(0.5)
    assert kinds["c"]["found_in_top_k"] == 0


def test_precision_at_explicit_k_and_duplicate_truth_rows():
    t = pl.DataFrame({"account_id": [5, 5, 6], "kind": ["x", "x", "y"]})
    s = am.score_against_truth([5, 6, 1], t, k=3)
    assert s.k == 3 and s.hits == 2 and s.recall == 1.0 and s.precision == pytest.approx(2 / 3)


def test_features_make_dormancy_and_missing_income_visible():
    f = am.behaviour_features(account_months(), DATA_END)
    dormant = f.filter(pl.col("account_id") == 104)
    assert dormant["gap_months"].max() == 9
    stopped = f.filter(pl.col("account_id") == 103)
    assert stopped["income_missing_run"].max() >= 8
    burst = f.filter(pl.col("account_id") == 102)
    assert burst["new_counterparties"].max() == 8
    big = f.filter(pl.col("account_id") == 101)
    assert big["debit_jump"].max() > 2


def test_features_fail_clearly_on_missing_columns():
    with pytest.raises(ValueError, match="max_debit"):
        am.behaviour_features(account_months().drop("max_debit"), DATA_END)


def test_isolation_forest_finds_planted_anomalies_and_is_seeded():
    f = am.behaviour_features(account_months(), DATA_END)
    a = am.isolation_scores(f, seed=3)
    b = am.isolation_scores(f, seed=3)
    assert a["model_score"].to_list() == b["model_score"].to_list()
    ranked = am.combine(am.model_evidence(a))["account_id"].to_list()
    s = am.score_against_truth(ranked, truth())
    assert s.precision >= 0.75
    reasons = dict(a.select("account_id", "model_reason").rows())
    assert "months" in reasons[104]


def test_anchored_evidence_follows_the_banks_tail_beyond_its_1_in_1000_account():
    rng = np.random.default_rng(0)
    e = np.concatenate([rng.exponential(1.0, 9_996), [20.0, 30.0, 40.0, 41.0]])
    out = am.anchored_evidence(e)  # 10,000 accounts: the 1-in-1,000 and 1-in-100 accounts set the tail
    q_hi, q_lo = np.quantile(e, 0.999), np.quantile(e, 0.99)
    slope = 1.0 / (q_hi - q_lo)
    assert slope < 1.0
    assert out[-4] == pytest.approx(3.0 + (20.0 - q_hi) * slope)
    # does not saturate: distances beyond the bank's extremes are kept, on the tail's slope
    assert out[-1] - out[-2] == pytest.approx(slope)
    assert out[-1] > out[-2] > out[-3] > out[-4] > 3.0
    # up to the reference account: the empirical rarity
    assert out[np.argmin(e)] == pytest.approx(0.0)
    assert (out >= 0).all() and out[np.argsort(e, kind="stable")].tolist() == sorted(out.tolist())


def test_anchored_evidence_slope_is_capped_and_small_banks_anchor_on_the_tenth_account():
    e = np.arange(100, dtype=float) / 100.0  # a tail steeper than its own log-probabilities
    out = am.anchored_evidence(np.append(e, 50.0))
    q_hi = np.quantile(np.append(e, 50.0), 1 - 10 / 101)
    assert out[-1] == pytest.approx(-np.log10(10 / 101) + (50.0 - q_hi) * 1.0)  # slope capped at 1
    assert am.anchored_evidence(np.array([])).size == 0
    assert am.anchored_evidence(np.zeros(50)).tolist() == [0.0] * 50


def test_rarity_counts_ties_as_at_least_as_extreme():
    r = am.rarity(np.array([0.0, 0.0, 1.0, 5.0]))
    assert r.tolist() == pytest.approx([0.0, 0.0, -np.log10(2 / 4), -np.log10(1 / 4)])


def _evidence_rows(rows):
    return pl.DataFrame(
        rows,
        schema={
            "account_id": pl.Int64,
            "detector": pl.String,
            "evidence": pl.Float64,
            "event_date": pl.Date,
            "reason": pl.String,
        },
        orient="row",
    )


def test_combine_ranks_by_the_strongest_evidence_and_names_it():
    d = dt.date(1997, 3, 1)
    ev = _evidence_rows(
        [
            (1, "dormancy", 2.0, d, "quiet"),
            (1, "rule:amount_robust_z", 4.0, d, "odd amount"),
            (2, "income_stop", 9.5, d, "income stopped"),
            (2, "isolation_forest", 3.2, None, "forest"),
            (3, "dormancy", 4.0, d, "quiet"),
            (3, "income_stop", 0.5, d, "x"),
            (4, "dormancy", 0.1, d, "quiet"),
        ]
    )
    ranked = am.combine(ev)
    assert ranked["account_id"].to_list() == [2, 1, 3, 4]  # 1 and 3 tie at 4.0: 1 has the stronger second
    top = ranked.row(0, named=True)
    assert top["detector"] == "income_stop" and top["reason"] == "income stopped" and top["score"] == 9.5
    assert top["also"] == ["isolation_forest"]
    assert ranked.filter(pl.col("account_id") == 3)["also"][0].to_list() == []
    with pytest.raises(ValueError, match="no evidence"):
        am.combine(ev.head(0))


def test_signal_evidence_scores_every_account_on_every_signal():
    signals = pl.DataFrame(
        {
            "account_id": [1, 2],
            "signal": ["income_stop", "dormancy"],
            "event_date": [dt.date(1998, 1, 1), dt.date(1996, 5, 2)],
            "observed_value": [11.0, 250.0],
            "baseline_value": [0.95, 4.0],
            "evidence": [12.0, 30.0],
        }
    )
    accounts = pl.Series("account_id", list(range(1, 41)))
    ev = am.signal_evidence(signals, accounts)
    assert ev.height == 40 * len(am.SIGNAL_WORDS)
    best = am.combine(ev)
    assert best["account_id"].to_list()[:2] == [2, 1]
    assert "250 days" in best.row(0, named=True)["reason"]
    assert "last 11 months" in best.row(1, named=True)["reason"]
    with pytest.raises(ValueError, match="evidence"):
        am.signal_evidence(signals.drop("evidence"), accounts)


def test_rule_evidence_uses_each_rules_strongest_event_and_zero_when_silent():
    cands = pl.DataFrame(
        {
            "account_id": [1, 1, 2, 3],
            "rule": ["amount_robust_z", "amount_robust_z", "amount_robust_z", "dormancy_then_activity"],
            "score": [12.0, -40.0, 11.0, 200.0],
            "event_date": [dt.date(1997, 1, 1), dt.date(1997, 2, 1), dt.date(1997, 3, 1), dt.date(1997, 4, 1)],
        }
    )
    ev = am.rule_evidence(cands, pl.Series("account_id", list(range(1, 101))))
    amount = ev.filter(pl.col("detector") == "rule:amount_robust_z").sort("account_id")
    # |-40| is the most extreme of 100 accounts: rarity 2, less the screening discount
    assert amount["evidence"][0] == pytest.approx(2.0 - am.SCREENING_DISCOUNT)
    assert amount["event_date"][0] == dt.date(1997, 2, 1)
    assert amount["evidence"][1] == pytest.approx(-np.log10(2 / 100) - am.SCREENING_DISCOUNT)
    assert amount["evidence"][2] == 0.0 and amount["reason"][2] is None


def test_planted_kinds_cover_all_generator_kinds():
    assert set(PLANTED.values()) == {
        "large_cash_withdrawal",
        "new_counterparty_burst",
        "salary_stop",
        "dormant_reactivation",
    }


def test_the_map_keeps_every_highlighted_account_and_samples_the_rest():
    accounts = pl.DataFrame({"account_id": range(3 * MAP_MAX_POINTS), "baselines": 0.0, "other": 0.0})
    highlighted = {7, 12_345, 3 * MAP_MAX_POINTS - 1}
    shown = _map_points(accounts, highlighted, seed=42)
    assert shown.height == MAP_MAX_POINTS
    assert highlighted <= set(shown["account_id"])
    assert shown["account_id"].is_sorted() and shown["account_id"].n_unique() == MAP_MAX_POINTS
    assert shown.equals(_map_points(accounts, highlighted, seed=42)), "seeded: the same report twice"
    small = accounts.head(100)
    assert _map_points(small, highlighted, seed=42).equals(small), "a small bank is drawn whole"
