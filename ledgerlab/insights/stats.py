"""Statistics for the insight report: every comparison with its test, effect size and interval.

Pure functions on numpy arrays / plain numbers, no I/O. Each returns a small
frozen dataclass so the report can print the method, the estimate, the
interval and the (later Benjamini–Hochberg adjusted) p-value in one line.
Checked against scipy and hand-computed values in tests/insights/test_stats.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
N_BOOTSTRAP = 1_000
SEED = 42


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2))


# -- rates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    successes: int
    n: int
    rate: float
    low: float
    high: float
    method: str = "Wilson score interval"


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> Rate:
    """The Wilson score interval for a binomial proportion (good at small n and rates near 0)."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return Rate(successes, n, math.nan, math.nan, math.nan)
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Rate(successes, n, p, max(0.0, centre - half), min(1.0, centre + half))


# -- bootstrap -----------------------------------------------------------------------------------


def bootstrap_ci(
    statistic: Callable[..., float],
    *samples: np.ndarray,
    n_boot: int = N_BOOTSTRAP,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval; each sample is resampled independently (stratified)."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(s) for s in samples]
    values = np.empty(n_boot)
    for b in range(n_boot):
        values[b] = statistic(*(a[rng.integers(0, len(a), len(a))] for a in arrays))
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (math.nan, math.nan)
    alpha = (1 - confidence) / 2
    return (float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha)))


# -- comparisons -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One hypothesis test with its effect size; ``p_adjusted`` is set by :func:`adjust_all`."""

    name: str
    test: str
    statistic: float
    p_value: float
    effect_name: str
    effect: float
    low: float
    high: float
    n: int
    p_adjusted: float = math.nan

    def line(self) -> str:
        p = format_p(self.p_adjusted if not math.isnan(self.p_adjusted) else self.p_value)
        label = "p (BH-adjusted)" if not math.isnan(self.p_adjusted) else "p"
        interval = (
            f" (95% CI {self.low:.3f} to {self.high:.3f})"
            if math.isfinite(self.low) and math.isfinite(self.high)
            else ""
        )
        return (
            f"{self.test}: statistic {self.statistic:,.3g}, {label} {p}; "
            f"{self.effect_name} {self.effect:.3f}{interval}, n = {self.n:,}"
        )

    def short(self) -> str:
        """Effect, interval and adjusted p in a few words, for a sentence."""
        p = self.p_adjusted if not math.isnan(self.p_adjusted) else self.p_value
        interval = (
            f", 95% CI {self.low:.2f} to {self.high:.2f}"
            if math.isfinite(self.low) and math.isfinite(self.high)
            else ""
        )
        return f"{self.effect_name} = {self.effect:.2f}{interval}; adjusted p {format_p(p)}"

    @property
    def significant(self) -> bool:
        p = self.p_adjusted if not math.isnan(self.p_adjusted) else self.p_value
        return bool(p < 0.05)


def format_p(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}"


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table (no bias correction), in [0, 1]."""
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = table.sum()
    r, c = table.shape
    if n == 0 or min(r, c) < 2:
        return math.nan
    # Pearson's chi-square by hand (same as scipy's, without its overhead: this runs per bootstrap draw)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(math.sqrt(chi2 / (n * (min(r, c) - 1))))


def chi_square_rates(
    groups: Sequence[int] | np.ndarray,
    outcomes: Sequence[int] | np.ndarray,
    *,
    name: str = "",
    n_boot: int = N_BOOTSTRAP,
    seed: int = SEED,
) -> Comparison:
    """Chi-square test of independence between a group label and a 0/1 outcome.

    Effect size: Cramér's V with a percentile bootstrap interval (rows resampled).
    No Yates correction, so the statistic equals scipy's ``chi2_contingency(correction=False)``.
    """
    g = np.asarray(groups)
    y = np.asarray(outcomes).astype(int)
    if g.shape != y.shape:
        raise ValueError("groups and outcomes must have the same length")
    _, g_codes = np.unique(g, return_inverse=True)
    n_groups = int(g_codes.max()) + 1 if g_codes.size else 0

    def table_of(codes: np.ndarray, out: np.ndarray) -> np.ndarray:
        # bincount, not np.add.at: the same counts, an order of magnitude faster per bootstrap draw
        return np.bincount(codes * 2 + out, minlength=n_groups * 2).reshape(n_groups, 2).astype(float)

    table = table_of(g_codes, y)
    valid = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(valid.shape) < 2:
        return Comparison(
            name,
            "chi-square test of independence",
            math.nan,
            math.nan,
            "Cramér's V",
            math.nan,
            math.nan,
            math.nan,
            int(y.size),
        )
    chi2, p, dof, _ = sps.chi2_contingency(valid, correction=False)
    v = cramers_v(valid)
    rows = np.arange(y.size)
    low, high = bootstrap_ci(lambda idx: cramers_v(table_of(g_codes[idx], y[idx])), rows, n_boot=n_boot, seed=seed)
    return Comparison(
        name,
        f"chi-square test of independence (df = {dof})",
        float(chi2),
        float(p),
        "Cramér's V",
        v,
        low,
        high,
        int(y.size),
    )


def rank_biserial(x: np.ndarray, y: np.ndarray) -> float:
    """Rank-biserial correlation r = 2·U_x/(n_x·n_y) − 1: P(X > Y) − P(X < Y)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0 or y.size == 0:
        return math.nan
    # U of x from the ranks of the pooled sample (ties get average ranks): the statistic
    # scipy's mannwhitneyu returns, without its per-call overhead (the bootstrap calls
    # this a thousand times)
    ranks = sps.rankdata(np.concatenate([x, y]))
    u = ranks[: x.size].sum() - x.size * (x.size + 1) / 2
    return float(2 * u / (x.size * y.size) - 1)


def mann_whitney(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    name: str = "",
    n_boot: int = N_BOOTSTRAP,
    seed: int = SEED,
) -> Comparison:
    """Two-sided Mann–Whitney U of x vs y; effect = rank-biserial correlation with bootstrap CI."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size == 0 or y.size == 0:
        return Comparison(
            name,
            "Mann–Whitney U",
            math.nan,
            math.nan,
            "rank-biserial r",
            math.nan,
            math.nan,
            math.nan,
            int(x.size + y.size),
        )
    res = sps.mannwhitneyu(x, y, alternative="two-sided")
    r = float(2 * res.statistic / (x.size * y.size) - 1)
    low, high = bootstrap_ci(rank_biserial, x, y, n_boot=n_boot, seed=seed)
    return Comparison(
        name,
        "Mann–Whitney U",
        float(res.statistic),
        float(res.pvalue),
        "rank-biserial r",
        r,
        low,
        high,
        int(x.size + y.size),
    )


def fisher_z_interval(
    r: float, n: int, *, method: str = "pearson", confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Interval for a correlation on Fisher's z scale.

    Pearson: SE = 1/sqrt(n−3). Spearman: Bonett & Wright (2000) SE = sqrt((1 + r²/2)/(n−3)).
    """
    if n <= 3 or not math.isfinite(r):
        return (math.nan, math.nan)
    r = min(max(r, -0.999999), 0.999999)
    se = 1 / math.sqrt(n - 3)
    if method == "spearman":
        se = math.sqrt((1 + r * r / 2) / (n - 3))
    z = math.atanh(r)
    q = _z(confidence)
    return (math.tanh(z - q * se), math.tanh(z + q * se))


def correlation(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    method: str = "spearman",
    name: str = "",
) -> Comparison:
    """Spearman or Pearson correlation, its p-value, and a Fisher-z interval (pairs with NaN dropped)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    label = {"spearman": "Spearman ρ", "pearson": "Pearson r"}[method]
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Comparison(name, f"{label} correlation test", math.nan, math.nan, label, math.nan, math.nan, math.nan, n)
    res = sps.spearmanr(x, y) if method == "spearman" else sps.pearsonr(x, y)
    r = float(res.statistic)
    low, high = fisher_z_interval(r, n, method=method)
    return Comparison(name, f"{label} correlation test", r, float(res.pvalue), label, r, low, high, n)


# -- multiple testing ------------------------------------------------------------------------------


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1).

    NaNs stay NaN and do not count towards the number of tests.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    m = int(finite.sum())
    if m == 0:
        return out
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    values = p[finite]
    order = np.argsort(values)
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[finite] = result
    return out


def adjust_all(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Every comparison of the report with its BH-adjusted p-value, in the same order."""
    adjusted = benjamini_hochberg([c.p_value for c in comparisons])
    return [replace(c, p_adjusted=float(a)) for c, a in zip(comparisons, adjusted, strict=True)]


# -- seasonality -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthEffects:
    """OLS of a monthly series on a linear trend + month-of-year dummies."""

    effects: dict[int, float]  # month (1..12) -> effect relative to the mean month, in series units
    f_statistic: float
    p_value: float
    df_num: int
    df_den: int
    r2_trend_only: float
    r2_full: float
    method: str = "OLS on linear trend + month-of-year dummies; F-test of the 11 month terms"


def month_of_year_effects(
    months: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray, *, log: bool = False
) -> MonthEffects:
    """Month-of-year effects: nested-model F-test (trend vs trend + 11 month dummies).

    ``months`` are the calendar months (1..12) of consecutive observations; with ``log``
    the model is fitted on log values and the effects are percentages.
    """
    m = np.asarray(months, dtype=int)
    y = np.asarray(values, dtype=float)
    if log:
        y = np.log(y)
    n = y.size
    present = np.unique(m)
    if n < present.size + 3 or present.size < 2:
        raise ValueError(f"too few observations ({n}) for month-of-year effects")
    t = np.arange(n, dtype=float)
    base = np.column_stack([np.ones(n), t])
    # sum-to-zero (effect) coding so each effect is relative to the average month
    ref = present[-1]
    dummies = np.column_stack([(m == k).astype(float) - (m == ref).astype(float) for k in present[:-1]])
    full = np.column_stack([base, dummies])

    def rss(design: np.ndarray) -> tuple[float, np.ndarray]:
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ beta
        return float(resid @ resid), beta

    rss0, _ = rss(base)
    rss1, beta = rss(full)
    df_num = present.size - 1
    df_den = n - full.shape[1]
    tss = float(((y - y.mean()) ** 2).sum())
    if df_den <= 0 or rss1 <= 0:
        f, p = math.nan, math.nan
    else:
        f = ((rss0 - rss1) / df_num) / (rss1 / df_den)
        p = float(sps.f.sf(f, df_num, df_den))
    coefs = list(beta[2:])
    coefs.append(-sum(coefs))
    effects = {int(k): float(c) for k, c in zip(present, coefs, strict=True)}
    if log:
        effects = {k: math.expm1(v) for k, v in effects.items()}
    return MonthEffects(
        effects,
        float(f),
        p,
        int(df_num),
        int(df_den),
        1 - rss0 / tss if tss else math.nan,
        1 - rss1 / tss if tss else math.nan,
    )
