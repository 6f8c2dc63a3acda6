"""Customer segments: KMeans on standardised behavioural features, k chosen by silhouette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from ledgerlab.insights import stats
from ledgerlab.insights.charts import OKABE_ITO, fmt_czk, fmt_pct, styled, table_block
from ledgerlab.insights.sections import Context, Finding, Section

K_RANGE = range(2, 7)
SILHOUETTE_SAMPLE = 3_000

# feature -> (label, word when high, word when low); transforms are applied in `feature_matrix`
FEATURES: dict[str, tuple[str, str, str]] = {
    "tx_per_month": ("transactions per month", "busy", "quiet"),
    "mean_inflow": ("monthly inflow", "high income", "low income"),
    "mean_outflow": ("monthly outflow", "big spenders", "small spenders"),
    "mean_balance": ("average balance", "high balance", "low balance"),
    "balance_volatility": ("balance swings", "volatile balance", "steady balance"),
    "cash_share": ("cash share of spending", "cash users", "non-cash payers"),
}


def account_behaviour(ctx: Context) -> pl.DataFrame:
    """One row per account with at least 3 active months: behaviour over its whole history."""
    return ctx.warehouse.query(
        """
        with per_month as (
            select
                account_id,
                date_trunc('month', trans_date) as month,
                count(*) as n,
                sum(case when signed_amount > 0 then amount else 0 end) as inflow,
                sum(case when signed_amount < 0 then amount else 0 end) as outflow,
                sum(case when signed_amount < 0 and operation = 'cash_withdrawal' then amount else 0 end) as cash_out,
                avg(balance_after) as avg_balance
            from marts.fct_transactions
            group by all
        )
        select
            account_id,
            count(*) as active_months,
            avg(n) as tx_per_month,
            avg(inflow) as mean_inflow,
            avg(outflow) as mean_outflow,
            avg(avg_balance) as mean_balance,
            coalesce(stddev_samp(avg_balance), 0) as balance_volatility,
            coalesce(sum(cash_out) / nullif(sum(outflow), 0), 0) as cash_share
        from per_month
        group by account_id
        having count(*) >= 3
        order by account_id
        """
    )


def feature_matrix(frame: pl.DataFrame) -> np.ndarray:
    """Log-transform the skewed money columns (signed log for balances), then stack."""

    def slog(x: np.ndarray) -> np.ndarray:
        return np.sign(x) * np.log1p(np.abs(x))

    cols = []
    for name in FEATURES:
        x = frame[name].to_numpy().astype(float)
        cols.append(x if name in ("tx_per_month", "cash_share") else slog(x))
    return np.column_stack(cols)


@dataclass
class Segmentation:
    labels: np.ndarray
    k: int
    silhouettes: dict[int, float]
    centres_z: np.ndarray  # k x features, in standardised units


def choose_segments(x: np.ndarray, *, seed: int = 42, k_range: range = K_RANGE) -> Segmentation:
    """Standardise, fit KMeans for each k, keep the k with the best silhouette (on a seeded sample)."""
    z = StandardScaler().fit_transform(x)
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(z), size=min(SILHOUETTE_SAMPLE, len(z)), replace=False)
    best: tuple[float, int, KMeans] | None = None
    silhouettes: dict[int, float] = {}
    for k in k_range:
        if k >= len(z):
            break
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
        score = float(silhouette_score(z[sample], model.labels_[sample]))
        silhouettes[k] = score
        if best is None or score > best[0]:
            best = (score, k, model)
    if best is None:
        raise ValueError("too few accounts to segment")
    _, k, model = best
    # order segments by size, largest first, so "segment 1" is the biggest
    sizes = np.bincount(model.labels_, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    centres = np.array([z[model.labels_ == c].mean(axis=0) for c in order])
    return Segmentation(remap[model.labels_], k, silhouettes, centres)


def describe(centre_z: np.ndarray, threshold: float = 0.35) -> str:
    """A few words for a segment from its largest standardised deviations."""
    names = list(FEATURES)
    order = np.argsort(-np.abs(centre_z))
    words = []
    for i in order[:3]:
        if abs(centre_z[i]) < threshold:
            break
        _, high, low = FEATURES[names[i]]
        words.append(high if centre_z[i] > 0 else low)
    return ", ".join(words) if words else "typical on every measure"


def build(ctx: Context) -> Section:
    s = Section("segments", "Customer segments")
    if not ctx.require(s, "marts", "fct_transactions"):
        return s
    frame = account_behaviour(ctx)
    if frame.height < 20:
        s.para(f"Only {frame.height} accounts with 3+ active months: too few to segment.")
        return s
    seg = choose_segments(feature_matrix(frame), seed=ctx.seed)
    frame = frame.with_columns(pl.Series("segment", seg.labels + 1))
    ctx.shared["segments"] = frame.select("account_id", "segment")
    names = {i + 1: describe(seg.centres_z[i]) for i in range(seg.k)}

    s.para(
        f"Method: KMeans (10 seeded starts) on {len(FEATURES)} behavioural features per account "
        f"(log-scaled money amounts, then standardised), for k = {min(seg.silhouettes)}…{max(seg.silhouettes)}; "
        f"k = {seg.k} has the best silhouette ({seg.silhouettes[seg.k]:.2f} on a "
        f"{min(SILHOUETTE_SAMPLE, frame.height):,}-account sample; "
        + ", ".join(f"k={k}: {v:.2f}" for k, v in seg.silhouettes.items())
        + "). "
        "Segments describe each account's whole history, including any time after a loan, so their "
        "default rates show association, not a prediction."
    )

    loans = ctx.shared.get("loans")
    default_by_seg: dict[int, stats.Rate] = {}
    if loans is not None and loans.height:
        joined = loans.select("account_id", pl.col("is_default").cast(pl.Int64)).join(
            frame.select("account_id", "segment"), on="account_id", how="inner"
        )
        for g in range(1, seg.k + 1):
            part = joined.filter(pl.col("segment") == g)
            default_by_seg[g] = stats.wilson_interval(int(part["is_default"].sum()), part.height)
        if joined.height and joined["segment"].n_unique() > 1:
            ctx.registry.add(
                "default_by_segment",
                stats.chi_square_rates(
                    joined["segment"].to_numpy(),
                    joined["is_default"].to_numpy(),
                    name="Default rate by behavioural segment",
                    seed=ctx.seed,
                ),
            )

    summary = (
        frame.group_by("segment")
        .agg(
            pl.len().alias("accounts"),
            *[pl.col(c).median().alias(c) for c in FEATURES],
        )
        .sort("segment")
    )
    rows = []
    for r in summary.iter_rows(named=True):
        g = r["segment"]
        rate = default_by_seg.get(g)
        rows.append(
            [
                f"{g}: {names[g]}",
                f"{r['accounts']:,} ({r['accounts'] / frame.height:.0%})",
                f"{r['tx_per_month']:.1f}",
                fmt_czk(r["mean_inflow"]),
                fmt_czk(r["mean_outflow"]),
                fmt_czk(r["mean_balance"]),
                fmt_pct(r["cash_share"], 0),
                (f"{fmt_pct(rate.rate)} of {rate.n:,}" if rate and rate.n else "–"),
            ]
        )
    s.html('<h3 id="segments-profiles">Who is in each segment</h3>')
    s.html(
        table_block(
            [
                "segment",
                "accounts",
                "tx / month",
                "inflow / month",
                "outflow / month",
                "avg balance",
                "cash share",
                "loan default rate",
            ],
            rows,
            caption="Segment profiles (medians per account)",
            source="marts.fct_transactions per account-month → KMeans; default rate from marts.loan_features",
            numeric=[False, True, True, True, True, True, True, True],
        )
    )

    fig = go.Figure(
        go.Heatmap(
            z=seg.centres_z,
            x=[FEATURES[f][0] for f in FEATURES],
            y=[f"{i + 1}: {names[i + 1]}" for i in range(seg.k)],
            colorscale=[[0, OKABE_ITO["blue"]], [0.5, "#f7f7f7"], [1, OKABE_ITO["orange"]]],
            zmid=0,
            zmin=-2,
            zmax=2,
            colorbar=dict(title="SD from mean"),
            hovertemplate="%{y}<br>%{x}: %{z:+.2f} SD from the average account<extra></extra>",
        )
    )
    styled(
        fig,
        title="Segment profiles relative to the average account",
        x_title="behavioural feature",
        y_title="segment",
        height=120 + 60 * seg.k,
    )
    fig.update_yaxes(autorange="reversed")
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-segment-profiles",
            caption=(
                "Each row is a segment, each column a feature; orange cells are above the average account, "
                "blue below, in standard deviations of the (log-scaled) feature. "
                + " ".join(
                    f"Segment {g} ({names[g]}) holds {int(n):,} accounts."
                    for g, n in zip(summary["segment"], summary["accounts"], strict=True)
                )
            ),
            source="marts.fct_transactions; KMeans cluster centres in standardised units",
        )
    )
    if "default_by_segment" in ctx.registry.keys():
        s.stat_line("default_by_segment")

    biggest = 1
    finding = (
        f"Customers fall into {seg.k} behavioural segments; the largest ({summary['accounts'][0]:,} "
        f"accounts, {summary['accounts'][0] / frame.height:.0%}) is \u201c{names[biggest]}\u201d."
    )
    if default_by_seg and "default_by_segment" in ctx.registry.keys():
        valid = {g: r for g, r in default_by_seg.items() if r.n >= 10}
        if len(valid) >= 2:
            hi = max(valid, key=lambda g: valid[g].rate)
            lo = min(valid, key=lambda g: valid[g].rate)

            def text(reg, hi=hi, lo=lo, valid=valid, finding=finding) -> str:
                c = reg["default_by_segment"]
                verdict = (
                    "Segments use the whole history, after the loan too, so this is association, not prediction."
                    if c.significant
                    else "The difference could be chance."
                )
                return (
                    f"{finding} Loan default rates range from {fmt_pct(valid[lo].rate)} (segment {lo}, "
                    f"{names[lo]}) to {fmt_pct(valid[hi].rate)} (segment {hi}, {names[hi]}; {c.short()}). "
                    f"{verdict}"
                )

            s.findings.append(Finding(text, "segments-profiles", priority=30))
            return s
    s.findings.append(Finding(finding, "segments-profiles", priority=30))
    return s
