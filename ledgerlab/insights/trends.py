"""Monthly volumes, balances, inflows/outflows and month-of-year seasonality."""

from __future__ import annotations

import calendar
import datetime as dt
import math

import numpy as np
import plotly.graph_objects as go
import polars as pl

from ledgerlab.insights import stats
from ledgerlab.insights.charts import OKABE_ITO, styled
from ledgerlab.insights.sections import Context, Finding, Section


def monthly_series(ctx: Context) -> pl.DataFrame:
    """One row per calendar month: transactions, inflow, outflow (CZK), active accounts, balances."""
    frame = ctx.warehouse.query(
        """
        with per_account_month as (
            select
                account_id,
                date_trunc('month', trans_date)::date as month,
                count(*) as n_transactions,
                sum(case when signed_amount > 0 then amount else 0 end) as inflow,
                sum(case when signed_amount < 0 then amount else 0 end) as outflow,
                arg_max(balance_after, (trans_date, trans_id)) as end_balance
            from marts.fct_transactions
            group by all
        )
        select
            month,
            sum(n_transactions) as n_transactions,
            sum(inflow) as inflow,
            sum(outflow) as outflow,
            count(*) as active_accounts,
            sum(end_balance) as total_end_balance,
            median(end_balance) as median_end_balance
        from per_account_month
        group by month
        order by month
        """
    )
    return frame


def complete_months(frame: pl.DataFrame, first_day: dt.date, last_day: dt.date) -> pl.DataFrame:
    """Drop a first or last month that the data window covers only in part."""
    keep = frame
    if first_day.day > 1:
        keep = keep.filter(pl.col("month") > first_day.replace(day=1))
    month_end = calendar.monthrange(last_day.year, last_day.month)[1]
    if last_day.day < month_end:
        keep = keep.filter(pl.col("month") < last_day.replace(day=1))
    return keep


def build(ctx: Context) -> Section:
    s = Section("trends", "Trends and seasonality")
    if not ctx.require(s, "marts", "fct_transactions"):
        return s
    bounds = ctx.warehouse.query("select min(trans_date) as a, max(trans_date) as b from marts.fct_transactions")
    if bounds["a"][0] is None:
        s.para("marts.fct_transactions is empty.")
        return s
    monthly = complete_months(monthly_series(ctx), bounds["a"][0], bounds["b"][0])
    if monthly.height < 3:
        s.para(f"Only {monthly.height} complete month(s) of transactions: too few for trends.")
        return s
    months = monthly["month"].to_list()
    src = "marts.fct_transactions, aggregated per calendar month (complete months only)"

    # volumes
    fig = go.Figure()
    fig.add_scatter(
        x=months,
        y=monthly["inflow"] / 1e6,
        name="inflows (credits)",
        mode="lines",
        line=dict(color=OKABE_ITO["blue"], width=2.5),
        hovertemplate="%{x|%b %Y}<br>inflows %{y:,.1f} M CZK<extra></extra>",
    )
    fig.add_scatter(
        x=months,
        y=monthly["outflow"] / 1e6,
        name="outflows (debits)",
        mode="lines",
        line=dict(color=OKABE_ITO["orange"], width=2.5, dash="dot"),
        hovertemplate="%{x|%b %Y}<br>outflows %{y:,.1f} M CZK<extra></extra>",
    )
    styled(fig, title="Money in and out per month", x_title="month", y_title="amount (million CZK)")
    first, last = monthly.row(0, named=True), monthly.row(-1, named=True)
    s.html('<h3 id="trends-volumes">Monthly volumes</h3>')
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-monthly-flows",
            caption=(
                f"Monthly inflows and outflows in million CZK, {months[0]:%b %Y} to {months[-1]:%b %Y}. "
                f"Outflows went from {first['outflow'] / 1e6:,.1f} M to {last['outflow'] / 1e6:,.1f} M CZK "
                f"a month while active accounts went from {first['active_accounts']:,} to "
                f"{last['active_accounts']:,}."
            ),
            source=src,
        )
    )

    per_account = monthly.with_columns(
        (pl.col("outflow") / pl.col("active_accounts")).alias("outflow_per_account"),
        (pl.col("n_transactions") / pl.col("active_accounts")).alias("tx_per_account"),
    )
    fig = go.Figure()
    fig.add_scatter(
        x=months,
        y=monthly["median_end_balance"],
        name="median end-of-month balance",
        mode="lines",
        line=dict(color=OKABE_ITO["green"], width=2.5),
        hovertemplate="%{x|%b %Y}<br>median balance %{y:,.0f} CZK<extra></extra>",
    )
    fig.add_scatter(
        x=months,
        y=per_account["outflow_per_account"],
        name="outflow per active account",
        mode="lines",
        line=dict(color=OKABE_ITO["vermillion"], width=2, dash="dot"),
        hovertemplate="%{x|%b %Y}<br>outflow per account %{y:,.0f} CZK<extra></extra>",
    )
    styled(fig, title="Per account: balance and monthly spending", x_title="month", y_title="CZK per account")
    s.html('<h3 id="trends-balances">Balances and spending per account</h3>')
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-monthly-balances",
            caption=(
                f"Median end-of-month balance of active accounts (from {first['median_end_balance']:,.0f} to "
                f"{last['median_end_balance']:,.0f} CZK) and the average monthly outflow per active account. "
                "Per-account figures remove the growth in the number of accounts."
            ),
            source=src + "; end balance = balance after the month's last transaction",
        )
    )
    ctx.shared["monthly"] = monthly

    if monthly.height >= 24:
        last12, prev12 = per_account.tail(12), per_account.slice(per_account.height - 24, 12)
        total_change = last12["outflow"].sum() / prev12["outflow"].sum() - 1
        per_acc_change = last12["outflow_per_account"].mean() / prev12["outflow_per_account"].mean() - 1
        s.findings.append(
            Finding(
                f"In the last 12 months ({months[-12]:%b %Y}–{months[-1]:%b %Y}) customers paid out "
                f"{last12['outflow'].sum() / 1e6:,.0f} M CZK, {total_change:+.0%} on the 12 months before; "
                f"per active account the change is {per_acc_change:+.0%}, so the rest is growth in accounts.",
                "trends-volumes",
                priority=40,
            )
        )

    # seasonality: log outflow per active account on trend + month dummies
    if per_account.height >= 24:
        y = per_account["outflow_per_account"].to_numpy().astype(float)
        mo = np.array([m.month for m in months])
        eff = stats.month_of_year_effects(mo, y, log=True)
        partial_r2 = (eff.r2_full - eff.r2_trend_only) / (1 - eff.r2_trend_only) if eff.r2_trend_only < 1 else math.nan
        comp = stats.Comparison(
            "Month-of-year effect on outflow per account",
            f"F-test of 11 month dummies (OLS, log scale, linear trend; df {eff.df_num}, {eff.df_den})",
            eff.f_statistic,
            eff.p_value,
            "partial R² of month terms",
            partial_r2,
            math.nan,
            math.nan,
            per_account.height,
        )
        ctx.registry.add("seasonality_outflow", comp)
        labels = [calendar.month_abbr[m] for m in sorted(eff.effects)]
        values = [100 * eff.effects[m] for m in sorted(eff.effects)]
        colours = [OKABE_ITO["vermillion"] if v > 0 else OKABE_ITO["blue"] for v in values]
        fig = go.Figure(
            go.Bar(
                x=labels,
                y=values,
                marker_color=colours,
                hovertemplate="%{x}: %{y:+.1f} % vs the average month<extra></extra>",
            )
        )
        styled(
            fig,
            title="Month-of-year effect on spending per account",
            x_title="calendar month",
            y_title="vs average month (%)",
            height=320,
        )
        top = max(eff.effects, key=eff.effects.get)
        low = min(eff.effects, key=eff.effects.get)
        s.html('<h3 id="trends-seasonality">Seasonality</h3>')
        s.para(
            "Method: ordinary least squares of log(outflow per active account) on a linear time trend "
            "plus month-of-year dummies (effect-coded, so each bar is relative to the average month); "
            "the 11 month terms are tested jointly with a nested-model F-test."
        )
        s.html(
            ctx.figures.block(
                fig,
                div_id="fig-seasonality",
                caption=(
                    f"Estimated month-of-year effects on outflow per active account, trend removed. "
                    f"Highest {calendar.month_name[top]} ({100 * eff.effects[top]:+.1f} %), lowest "
                    f"{calendar.month_name[low]} ({100 * eff.effects[low]:+.1f} %)."
                ),
                source="marts.fct_transactions; OLS with trend + month dummies, F-test",
            )
        )
        s.stat_line("seasonality_outflow")

        def text(reg, top=top, low=low, eff=eff) -> str:
            c = reg["seasonality_outflow"]
            if c.significant:
                return (
                    f"Spending is seasonal: after removing the trend, {calendar.month_name[top]} outflows per "
                    f"account run {100 * eff.effects[top]:+.0f} % and {calendar.month_name[low]} "
                    f"{100 * eff.effects[low]:+.0f} % against an average month (F-test, adjusted p {stats.format_p(c.p_adjusted)})."
                )
            return (
                f"No clear month-of-year pattern in spending per account (F-test, adjusted p "
                f"{stats.format_p(c.p_adjusted)}); the largest estimated effect is "
                f"{calendar.month_name[top]} at {100 * eff.effects[top]:+.0f} %."
            )

        s.findings.append(Finding(text, "trends-seasonality", priority=45))
    else:
        s.note_missing(f"seasonality needs 24 complete months; the data has {per_account.height}")
    return s
