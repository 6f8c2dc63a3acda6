"""Portfolio overview (size, balances, data window) and loans / default by segment."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from ledgerlab.insights import stats
from ledgerlab.insights.charts import OKABE_ITO, fmt_czk, fmt_int, fmt_pct, styled
from ledgerlab.insights.sections import Context, Finding, Section


def _kpi(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="sub">{html.escape(sub)}</div>' if sub else ""
    return (
        f'<div class="kpi"><div class="value">{html.escape(value)}</div>'
        f'<div class="label">{html.escape(label)}</div>{sub_html}</div>'
    )


def last_balances(ctx: Context) -> pl.DataFrame | None:
    """Each account's balance after its last transaction (CZK), from marts.fct_transactions."""
    if "last_balances" in ctx.shared:
        return ctx.shared["last_balances"]
    if not ctx.warehouse.has("marts", "fct_transactions"):
        return None
    frame = ctx.warehouse.query(
        """
        select account_id, arg_max(balance_after, (trans_date, trans_id)) as last_balance,
               max(trans_date) as last_date, count(*) as n_transactions
        from marts.fct_transactions group by account_id
        """
    )
    ctx.shared["last_balances"] = frame
    return frame


def build_overview(ctx: Context) -> Section:
    s = Section("overview", "Portfolio overview")
    wh = ctx.warehouse
    kpis: list[str] = []
    sources: list[str] = []

    if ctx.require(s, "marts", "dim_accounts"):
        n_accounts = wh.scalar("select count(*) from marts.dim_accounts")
        kpis.append(_kpi("accounts", fmt_int(n_accounts)))
        sources.append("marts.dim_accounts")
        ctx.shared["n_accounts"] = n_accounts
    if ctx.require(s, "marts", "dim_clients"):
        kpis.append(_kpi("clients", fmt_int(wh.scalar("select count(*) from marts.dim_clients"))))
        sources.append("marts.dim_clients")

    if ctx.require(s, "marts", "loan_features"):
        loans = wh.query(
            "select count(*) as n, sum(case when is_default then 1 else 0 end) as bad, "
            "sum(loan_amount) as amount from marts.loan_features"
        ).row(0, named=True)
        rate = stats.wilson_interval(int(loans["bad"] or 0), int(loans["n"]))
        kpis.append(_kpi("loans", fmt_int(loans["n"]), f"{fmt_czk(loans['amount'])} lent"))
        kpis.append(
            _kpi("default rate", fmt_pct(rate.rate), f"95 % CI {fmt_pct(rate.low)}–{fmt_pct(rate.high)} (Wilson)")
        )
        sources.append("marts.loan_features (default = status B or D)")
        ctx.shared["default_rate"] = rate
        s.findings.append(
            Finding(
                f"{fmt_pct(rate.rate)} of the {fmt_int(rate.n)} loans have defaulted "
                f"(status B or D; 95 % CI {fmt_pct(rate.low)} to {fmt_pct(rate.high)}).",
                "overview",
                priority=10,
            )
        )

    balances = None
    if ctx.require(s, "marts", "fct_transactions"):
        window = wh.query(
            "select min(trans_date) as first, max(trans_date) as last, count(*) as n from marts.fct_transactions"
        ).row(0, named=True)
        if window["n"]:
            ctx.shared["data_window"] = f"{window['first']} to {window['last']}"
            kpis.append(_kpi("transactions", fmt_int(window["n"]), f"{window['first']} – {window['last']}"))
        balances = last_balances(ctx)
        if balances is not None and balances.height:
            total = float(balances["last_balance"].sum())
            median = float(balances["last_balance"].median())
            negative = int((balances["last_balance"] < 0).sum())
            kpis.append(_kpi("deposits held", fmt_czk(total), "sum of last balances"))
            kpis.append(_kpi("median balance", fmt_czk(median), f"{negative:,} accounts overdrawn"))
            sources.append("marts.fct_transactions (balance after each account's last transaction)")
            ctx.shared["median_balance"] = median

    if kpis:
        s.html(f'<div class="kpis">{"".join(kpis)}</div>')
        s.html(f'<p class="source">source: {html.escape("; ".join(sources))}</p>')

    if balances is not None and balances.height:
        values = balances["last_balance"].to_numpy().astype(float)
        lo, hi = (float(v) for v in np.quantile(values, [0.01, 0.99]))
        shown = values[(values >= lo) & (values <= hi)]
        fig = go.Figure(
            go.Histogram(
                x=shown,
                nbinsx=60,
                marker_color=OKABE_ITO["blue"],
                hovertemplate="%{x} CZK<br>%{y} accounts<extra></extra>",
            )
        )
        fig.add_vline(
            x=float(np.median(values)),
            line_dash="dash",
            line_color=OKABE_ITO["vermillion"],
            annotation_text=f"median {np.median(values):,.0f} CZK",
            annotation_position="top right",
        )
        styled(fig, title="Balance per account at its last transaction", x_title="balance (CZK)", y_title="accounts")
        fig.update_layout(bargap=0.05)
        q1, q3 = np.quantile(values, [0.25, 0.75])
        s.html(
            ctx.figures.block(
                fig,
                div_id="fig-balance-distribution",
                caption=(
                    f"Histogram of the last balance of {values.size:,} accounts. Half hold between "
                    f"{q1:,.0f} and {q3:,.0f} CZK; the median is {np.median(values):,.0f} CZK. "
                    f"The lowest and highest 1 % (below {lo:,.0f} or above {hi:,.0f} CZK) are left out of the picture."
                ),
                source="marts.fct_transactions, balance_after of each account's last transaction",
            )
        )
    return s


SEGMENT_COLUMNS = (
    ("owner_age_band", "owner's age band"),
    ("owner_gender", "owner's gender"),
    ("statement_frequency", "statement frequency"),
    ("has_card", "has a card"),
)


def build_loans(ctx: Context) -> Section:
    s = Section("loans", "Loans and default")
    if not ctx.require(s, "marts", "loan_features"):
        return s
    available = set(ctx.warehouse.columns("marts", "loan_features"))
    cols = [c for c, _ in SEGMENT_COLUMNS if c in available]
    loans = ctx.warehouse.table("marts", "loan_features", ["loan_id", "account_id", "is_default", "loan_amount", *cols])
    assert loans is not None
    if loans.height == 0:
        s.para("marts.loan_features is empty: no loans to describe.")
        return s
    ctx.shared["loans"] = loans
    s.para(
        "Default means a loan finished unpaid (status B) or running with the client in debt (D). "
        "Each bar is the share of loans in that group that defaulted, with a 95 % Wilson interval; "
        "each grouping is tested with a chi-square test of independence and its effect size, "
        "Cramér's V (0 = no association, 1 = complete), with a bootstrap interval."
    )
    best: tuple[float, str, str] | None = None
    panels: list[tuple[str, str, pl.DataFrame, list[stats.Rate]]] = []
    for col, label in SEGMENT_COLUMNS:
        if col not in cols:
            continue
        frame = loans.select(
            pl.col(col).cast(pl.String).fill_null("unknown").alias("g"), pl.col("is_default").cast(pl.Int64).alias("y")
        )
        groups = frame.group_by("g").agg(pl.len().alias("n"), pl.col("y").sum().alias("bad")).sort("g")
        if groups.height < 2:
            continue
        key = f"default_by_{col}"
        comp = stats.chi_square_rates(
            frame["g"].to_numpy(), frame["y"].to_numpy(), name=f"Default rate by {label}", seed=ctx.seed
        )
        ctx.registry.add(key, comp)
        rates = [stats.wilson_interval(int(b), int(n)) for b, n in zip(groups["bad"], groups["n"], strict=True)]
        panels.append((col, label, groups, rates))
        if best is None or (np.isfinite(comp.effect) and comp.effect > best[0]):
            best = (comp.effect, col, label)
        ctx.shared.setdefault("default_groups", {})[col] = (groups, rates)

    if panels:
        n_cols = 2 if len(panels) > 1 else 1
        n_rows = (len(panels) + n_cols - 1) // n_cols
        fig = make_subplots(
            rows=n_rows,
            cols=n_cols,
            subplot_titles=[f"by {label}" for _, label, _, _ in panels],
            vertical_spacing=0.16,
            horizontal_spacing=0.08,
        )
        for i, (_column, label, groups, rates) in enumerate(panels):
            fig.add_bar(
                x=groups["g"].to_list(),
                y=[100 * r.rate for r in rates],
                row=i // n_cols + 1,
                col=i % n_cols + 1,
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[100 * (r.high - r.rate) for r in rates],
                    arrayminus=[100 * (r.rate - r.low) for r in rates],
                    color="#52606d",
                    thickness=1.2,
                ),
                marker_color=OKABE_ITO["blue"],
                showlegend=False,
                name=label,
                customdata=np.column_stack([groups["n"], groups["bad"]]),
                hovertemplate=(
                    f"{label}: %{{x}}<br>default rate %{{y:.1f}} %"
                    "<br>%{customdata[1]} of %{customdata[0]} loans<extra></extra>"
                ),
            )
            fig.update_yaxes(
                title_text="default rate (%)" if i % n_cols == 0 else None,
                rangemode="tozero",
                row=i // n_cols + 1,
                col=i % n_cols + 1,
            )
        styled(
            fig, title="Loan default rate by owner and account group", x_title="", y_title="", height=300 * n_rows + 60
        )
        for i in range(len(panels)):
            fig.update_yaxes(
                title_text="default rate (%)" if i % n_cols == 0 else None, row=i // n_cols + 1, col=i % n_cols + 1
            )
        parts = []
        for _column, label, groups, rates in panels:
            hi = int(np.argmax([r.rate for r in rates]))
            parts.append(
                f"by {label}, highest {groups['g'][hi]} ({fmt_pct(rates[hi].rate)} of {int(groups['n'][hi]):,})"
            )
        s.html('<h3 id="loans-groups">Default rate by group</h3>')
        s.html(
            ctx.figures.block(
                fig,
                div_id="fig-default-groups",
                caption=(
                    "Share of defaulted loans in each group, with 95 % Wilson intervals (whiskers): "
                    + "; ".join(parts)
                    + "."
                ),
                source="marts.loan_features; Wilson intervals; chi-square test + Cramér's V per grouping",
            )
        )
        for col, _, _, _ in panels:
            s.stat_line(f"default_by_{col}", anchor=f"loans-{col}")

    if best is not None:
        _, col, label = best
        groups, rates = ctx.shared["default_groups"][col]
        hi, lo = int(np.argmax([r.rate for r in rates])), int(np.argmin([r.rate for r in rates]))
        key = f"default_by_{col}"

        def text(reg, key=key, label=label, groups=groups, rates=rates, hi=hi, lo=lo) -> str:
            c = reg[key]
            verdict = "a real difference" if c.significant else "but the difference could be chance"
            return (
                f"Of the groupings looked at, {label} separates default rates most: "
                f"{groups['g'][hi]} {fmt_pct(rates[hi].rate)} vs {groups['g'][lo]} {fmt_pct(rates[lo].rate)} "
                f"— {verdict} ({c.short()})."
            )

        s.findings.append(Finding(text, f"loans-{col}", priority=20))
    _balance_comparison(ctx, s)
    return s


def _balance_comparison(ctx: Context, s: Section) -> None:
    """Did defaulters look different before the loan? Mann–Whitney on pre-loan balance and inflow."""
    wanted = [
        ("mean_balance", "average balance before the loan"),
        ("mean_monthly_inflow", "average monthly inflow before the loan"),
    ]
    available = set(ctx.warehouse.columns("marts", "loan_features"))
    wanted = [(c, label) for c, label in wanted if c in available]
    if not wanted:
        return
    frame = ctx.warehouse.table("marts", "loan_features", ["is_default", *[c for c, _ in wanted]])
    assert frame is not None
    bad = frame.filter(pl.col("is_default"))
    good = frame.filter(~pl.col("is_default"))
    if bad.height < 5 or good.height < 5:
        return
    fig = make_subplots(
        rows=1, cols=len(wanted), subplot_titles=[label for _, label in wanted], horizontal_spacing=0.12
    )
    for i, (col, label) in enumerate(wanted):
        key = f"loans_{col}_by_default"
        ctx.registry.add(
            key,
            stats.mann_whitney(
                bad[col].drop_nulls().to_numpy(),
                good[col].drop_nulls().to_numpy(),
                name=f"{label.capitalize()}: defaulted vs repaid loans",
                seed=ctx.seed,
            ),
        )
        for part, name, colour in (
            (good, "repaid / on track", OKABE_ITO["blue"]),
            (bad, "defaulted", OKABE_ITO["vermillion"]),
        ):
            fig.add_box(
                y=part[col].drop_nulls().to_numpy(),
                name=name,
                marker_color=colour,
                boxpoints=False,
                showlegend=False,
                row=1,
                col=i + 1,
                hovertemplate=f"{name}<br>%{{y:,.0f}} CZK<extra></extra>",
            )
        fig.update_yaxes(title_text="CZK", row=1, col=i + 1)
    styled(fig, title="Before the loan: defaulters vs the rest", x_title="", y_title="CZK", height=380)
    med = {c: (float(bad[c].median()), float(good[c].median())) for c, _ in wanted}
    s.html('<h3 id="loans-before">What defaulters looked like before the loan</h3>')
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-loans-before",
            caption=(
                "Box plots (median, quartiles, 1.5 IQR whiskers) of pre-loan account behaviour for defaulted "
                "and other loans. "
                + "; ".join(
                    f"{label}: median {med[c][0]:,.0f} CZK for defaulted vs {med[c][1]:,.0f} CZK for the rest"
                    for c, label in wanted
                )
                + "."
            ),
            source="marts.loan_features (history strictly before loan_date); Mann–Whitney U + rank-biserial r",
        )
    )
    for col, _ in wanted:
        s.stat_line(f"loans_{col}_by_default")
    col, label = wanted[0]
    key = f"loans_{col}_by_default"
    label = label.removesuffix(" before the loan")

    def text(reg, key=key, label=label, col=col) -> str:
        c = reg[key]
        bad_m, good_m = med[col]
        if c.significant:
            word = "lower" if c.effect < 0 else "higher"
            return (
                f"Borrowers who later defaulted already had a {word} {label} (median {bad_m:,.0f} vs "
                f"{good_m:,.0f} CZK; {c.short()})."
            )
        return (
            f"Before the loan, defaulters' {label} was not clearly different from other borrowers' "
            f"(median {bad_m:,.0f} vs {good_m:,.0f} CZK; {c.short()})."
        )

    s.findings.append(Finding(text, "loans-before", priority=15))
