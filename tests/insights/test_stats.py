import math

import numpy as np
import pytest
from scipy import stats as sps

from ledgerlab.insights import stats


def test_wilson_matches_hand_value():
    # 8 of 20 at 95 %: the Wilson interval is (0.2188, 0.6134) (Newcombe 1998, table I style)
    r = stats.wilson_interval(8, 20)
    assert r.rate == pytest.approx(0.4)
    assert r.low == pytest.approx(0.2188, abs=1e-4)
    assert r.high == pytest.approx(0.6134, abs=1e-4)


def test_wilson_matches_scipy_binomtest():
    ci = sps.binomtest(37, 412).proportion_ci(confidence_level=0.95, method="wilson")
    r = stats.wilson_interval(37, 412)
    assert (r.low, r.high) == pytest.approx((ci.low, ci.high), abs=1e-10)


def test_wilson_edges():
    assert stats.wilson_interval(0, 10).low == 0.0
    assert stats.wilson_interval(10, 10).high == pytest.approx(1.0)
    assert math.isnan(stats.wilson_interval(0, 0).rate)
    with pytest.raises(ValueError):
        stats.wilson_interval(5, 3)


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 0.01, size=10)])
    assert stats.benjamini_hochberg(p) == pytest.approx(sps.false_discovery_control(p, method="bh"))


def test_benjamini_hochberg_hand_values_and_nan():
    # p = .01, .04, .03 -> sorted .01,.03,.04 -> .03, .045, .04 -> monotone: .03, .04, .04
    out = stats.benjamini_hochberg([0.01, 0.04, np.nan, 0.03])
    assert out[[0, 1, 3]] == pytest.approx([0.03, 0.04, 0.04])
    assert math.isnan(out[2])
    with pytest.raises(ValueError):
        stats.benjamini_hochberg([1.5])


def test_chi_square_matches_scipy_and_cramers_v_by_hand():
    groups = np.array(["a"] * 100 + ["b"] * 100)
    outcomes = np.array([1] * 30 + [0] * 70 + [1] * 10 + [0] * 90)
    res = stats.chi_square_rates(groups, outcomes, n_boot=200)
    table = np.array([[70, 30], [90, 10]])
    chi2, p, dof, _ = sps.chi2_contingency(table, correction=False)
    assert res.statistic == pytest.approx(chi2)
    assert res.p_value == pytest.approx(p)
    assert res.effect == pytest.approx(math.sqrt(chi2 / 200))
    # scipy's own Cramér's V agrees
    assert res.effect == pytest.approx(sps.contingency.association(table, method="cramer"))
    assert res.low <= res.effect <= res.high


def test_chi_square_degenerate_outcome_is_nan_not_crash():
    res = stats.chi_square_rates(["a", "b", "a"], [0, 0, 0], n_boot=10)
    assert math.isnan(res.p_value)


def test_mann_whitney_matches_scipy_and_rank_biserial():
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    y = np.array([0.5, 0.7, 1.5, 2.5])
    res = stats.mann_whitney(x, y, n_boot=200)
    ref = sps.mannwhitneyu(x, y, alternative="two-sided")
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    # by hand: P(X > Y) − P(X < Y) over all pairs
    greater = sum((a > b) for a in x for b in y)
    less = sum((a < b) for a in x for b in y)
    assert res.effect == pytest.approx((greater - less) / (x.size * y.size))


def test_correlation_matches_scipy_and_fisher_interval():
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = 0.5 * x + rng.normal(size=60)
    res = stats.correlation(x, y, method="pearson")
    ref = sps.pearsonr(x, y)
    assert res.effect == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)  # scipy uses the Fisher z transform too
    assert (res.low, res.high) == pytest.approx((ci.low, ci.high), abs=1e-9)
    s = stats.correlation(x, y, method="spearman")
    assert s.effect == pytest.approx(sps.spearmanr(x, y).statistic)
    z = math.atanh(s.effect)
    se = math.sqrt((1 + s.effect**2 / 2) / 57)
    assert s.low == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-6)


def test_correlation_drops_nan_pairs_and_handles_constant():
    res = stats.correlation([1, 2, 3, np.nan, 5, 6], [2, 4, 5, 1, np.nan, 7])
    assert res.n == 4
    assert math.isnan(stats.correlation([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]).effect)


def test_adjust_all_sets_adjusted_p():
    comps = [
        stats.correlation(np.arange(10), np.arange(10) ** 2, name="a"),
        stats.correlation(np.arange(10), np.sin(np.arange(10)), name="b"),
    ]
    adjusted = stats.adjust_all(comps)
    ref = sps.false_discovery_control([c.p_value for c in comps])
    assert [c.p_adjusted for c in adjusted] == pytest.approx(list(ref))
    assert "BH-adjusted" in adjusted[0].line()


def test_month_effects_recovers_a_december_peak():
    months = np.tile(np.arange(1, 13), 5)
    rng = np.random.default_rng(3)
    values = 100 + 0.5 * np.arange(60) + np.where(months == 12, 30.0, 0.0) + rng.normal(0, 1, 60)
    res = stats.month_of_year_effects(months, values)
    assert max(res.effects, key=res.effects.get) == 12
    assert res.effects[12] == pytest.approx(30 * 11 / 12, abs=2)
    assert res.p_value < 1e-6
    assert sum(res.effects.values()) == pytest.approx(0, abs=1e-9)


def test_month_effects_no_seasonality_not_significant():
    months = np.tile(np.arange(1, 13), 6)
    values = np.random.default_rng(4).normal(100, 5, 72)
    assert stats.month_of_year_effects(months, values).p_value > 0.01


def test_month_effects_too_short_raises():
    with pytest.raises(ValueError):
        stats.month_of_year_effects([1, 2, 3], [1.0, 2.0, 3.0])
