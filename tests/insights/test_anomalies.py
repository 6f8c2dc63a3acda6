import datetime as dt

import polars as pl
import pytest

from ledgerlab.insights import anomaly_model as am

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
    ranked = am.fuse(a, None)["account_id"].to_list()
    s = am.score_against_truth(ranked, truth())
    assert s.precision >= 0.75
    reasons = dict(a.select("account_id", "model_reason").rows())
    assert "months" in reasons[104]


def test_rule_scores_put_rules_on_one_scale():
    cands = pl.DataFrame({
        "account_id": [1, 1, 2, 3, 3],
        "rule": ["amount_robust_z", "dormancy_then_activity", "amount_robust_z", "amount_robust_z",
                 "amount_robust_z"],
        "score": [12.0, 200.0, -40.0, 11.0, 10.5],
        "event_date": [dt.date(1997, 1, 1)] * 5,
    })
    r = am.rule_scores(cands, n_accounts=100).sort("account_id")
    scores = dict(zip(r["account_id"], r["rule_score"], strict=True))
    # account 2 has the most extreme amount z (|−40|): rarest on that rule -> -log10(1/100) = 2
    assert scores[2] == pytest.approx(2.0)
    # account 1's dormancy is the only one -> also 2; its amount z is 2nd of 3
    assert scores[1] == pytest.approx(2.0)
    assert scores[3] == pytest.approx(-__import__("math").log10(3 / 100))
    assert r.filter(pl.col("account_id") == 1)["rules_fired"][0] == 2


def test_fuse_max_rank_lets_either_detector_lift_an_account():
    model = pl.DataFrame({"account_id": [1, 2, 3, 4], "model_score": [0.9, 0.1, 0.2, 0.3]})
    rules = pl.DataFrame({"account_id": [2], "rule_score": [3.0]})
    ranked = am.fuse(model, rules, method="max_rank")
    assert ranked["account_id"].to_list()[:2] == [2, 1] or ranked["account_id"].to_list()[:2] == [1, 2]
    mean = am.fuse(model, rules, method="mean_rank")
    assert set(mean["account_id"].to_list()) == {1, 2, 3, 4}
    with pytest.raises(ValueError):
        am.fuse(model, rules, method="nope")


def test_planted_kinds_cover_all_generator_kinds():
    assert set(PLANTED.values()) == {"large_cash_withdrawal", "new_counterparty_burst", "salary_stop",
                                     "dormant_reactivation"}
