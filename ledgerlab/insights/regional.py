"""Regional view: district unemployment vs loan default, district salary vs balances."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from ledgerlab.insights import stats
from ledgerlab.insights.charts import OKABE_ITO, styled
from ledgerlab.insights.overview import last_balances
from ledgerlab.insights.sections import Context, Finding, Section

MIN_LOANS = 5  # districts with fewer loans have default rates too noisy to plot


def district_defaults(loans: pl.DataFrame) -> pl.DataFrame:
    """Per district: loans, defaults, default rate, and the district's unemployment and salary."""
    return (
        loans.group_by("district_id")
        .agg(
            pl.len().alias("loans"),
            pl.col("is_default").cast(pl.Int64).sum().alias("defaults"),
            pl.col("district_unemployment_rate").first().alias("unemployment_rate"),
            pl.col("district_avg_salary").first().alias("avg_salary"),
        )
        .with_columns((pl.col("defaults") / pl.col("loans")).alias("default_rate"))
        .sort("district_id")
    )


def build(ctx: Context) -> Section:
    s = Section("regional", "Regional view")
    wh = ctx.warehouse
    names: dict[int, str] = {}
    if wh.has("marts", "dim_districts"):
        cols = set(wh.columns("marts", "dim_districts"))
        name_col = next((c for c in ("district_name", "name") if c in cols), None)
        if name_col:
            names = dict(wh.query(f"select district_id, {name_col} from marts.dim_districts").rows())

    per = None
    source = ""
    if wh.has("marts", "district_kpis"):
        per = wh.query(
            "select district_id, n_loans as loans, n_defaulted_loans as defaults, "
            "unemployment_rate_1996 as unemployment_rate, avg_salary, loan_default_rate as default_rate "
            "from marts.district_kpis where n_loans >= ? order by district_id",
            [MIN_LOANS],
        )
        source = "marts.district_kpis (unemployment 1996, loan default rate)"
    elif ctx.require(s, "marts", "loan_features"):
        s.note_missing(
            "marts.district_kpis is not in the warehouse yet — district figures are computed from "
            "marts.loan_features instead"
        )
        loans = wh.table(
            "marts", "loan_features", ["district_id", "is_default", "district_unemployment_rate", "district_avg_salary"]
        )
        assert loans is not None
        per = district_defaults(loans).filter(pl.col("loans") >= MIN_LOANS)
        source = "marts.loan_features (district columns as of each loan)"
    if per is not None:
        if per.height >= 5:
            comp = stats.correlation(
                per["unemployment_rate"].to_numpy(),
                per["default_rate"].to_numpy(),
                method="spearman",
                name="District unemployment vs loan default rate",
            )
            ctx.registry.add("region_unemployment_default", comp)
            labels = [names.get(d, f"district {d}") for d in per["district_id"]]
            fig = go.Figure(
                go.Scatter(
                    x=per["unemployment_rate"],
                    y=100 * per["default_rate"],
                    mode="markers",
                    marker=dict(
                        size=np.sqrt(per["loans"].to_numpy()) * 4,
                        color=OKABE_ITO["blue"],
                        opacity=0.7,
                        line=dict(width=1, color="white"),
                    ),
                    text=labels,
                    customdata=np.column_stack([per["loans"], per["defaults"]]),
                    hovertemplate="%{text}<br>unemployment %{x:.2f} %<br>default rate %{y:.1f} %"
                    "<br>%{customdata[1]} of %{customdata[0]} loans<extra></extra>",
                )
            )
            styled(
                fig,
                title="District unemployment and loan default",
                x_title="district unemployment rate (%)",
                y_title="loan default rate (%)",
            )
            s.html('<h3 id="regional-unemployment">Unemployment and default</h3>')
            s.html(
                ctx.figures.block(
                    fig,
                    div_id="fig-region-unemployment",
                    caption=(
                        f"One dot per district with at least {MIN_LOANS} loans ({per.height} districts); "
                        "dot area grows with the number of loans. Spearman ρ = "
                        f"{comp.effect:.2f} (95 % CI {comp.low:.2f} to {comp.high:.2f})."
                    ),
                    source=f"{source}; Spearman ρ with Fisher-z interval",
                )
            )
            s.stat_line("region_unemployment_default")

            def text(reg) -> str:
                c = reg["region_unemployment_default"]
                if c.significant:
                    direction = "higher" if c.effect > 0 else "lower"
                    return (
                        f"Districts with higher unemployment have {direction} loan default rates "
                        f"(Spearman ρ = {c.effect:.2f}, 95 % CI {c.low:.2f} to {c.high:.2f}, {c.n} districts)."
                    )
                return (
                    f"District unemployment shows no clear link with loan default (Spearman ρ = {c.effect:.2f}, "
                    f"95 % CI {c.low:.2f} to {c.high:.2f}, {c.n} districts)."
                )

            s.findings.append(Finding(text, "regional-unemployment", priority=50))
        else:
            s.para(f"Fewer than 5 districts have {MIN_LOANS}+ loans: no district-level default comparison.")

    per = None
    if wh.has("marts", "district_kpis"):
        per = wh.query(
            "select district_id, n_accounts as accounts, avg_salary, mean_closing_balance as balance "
            "from marts.district_kpis where n_accounts > 0 order by district_id"
        )
        balance_label, balance_source = "mean closing balance", "marts.district_kpis (mean_closing_balance)"
    elif ctx.require(s, "marts", "dim_accounts", "fct_transactions"):
        salary = None
        if wh.has("marts", "dim_districts"):
            salary = wh.query("select district_id, avg_salary from marts.dim_districts")
        balances = last_balances(ctx)
        if salary is not None and balances is not None:
            accounts = wh.query("select account_id, district_id from marts.dim_accounts")
            per = (
                accounts.join(balances.select("account_id", "last_balance"), on="account_id")
                .group_by("district_id")
                .agg(pl.len().alias("accounts"), pl.col("last_balance").median().alias("balance"))
                .join(salary, on="district_id")
                .drop_nulls()
                .sort("district_id")
            )
        balance_label = "median account balance"
        balance_source = "marts.dim_accounts + last balance from marts.fct_transactions; marts.dim_districts"
    if per is not None:
        if per.height >= 5:
            comp = stats.correlation(
                per["avg_salary"].to_numpy(),
                per["balance"].to_numpy(),
                method="spearman",
                name=f"District average salary vs {balance_label}",
            )
            ctx.registry.add("region_salary_balance", comp)
            labels = [names.get(d, f"district {d}") for d in per["district_id"]]
            fig = go.Figure(
                go.Scatter(
                    x=per["avg_salary"],
                    y=per["balance"],
                    mode="markers",
                    text=labels,
                    marker=dict(
                        size=np.sqrt(per["accounts"].to_numpy()) * 2.5,
                        color=OKABE_ITO["green"],
                        opacity=0.7,
                        line=dict(width=1, color="white"),
                    ),
                    customdata=per["accounts"],
                    hovertemplate="%{text}<br>average salary %{x:,.0f} CZK<br>" + balance_label + " %{y:,.0f} CZK"
                    "<br>%{customdata} accounts<extra></extra>",
                )
            )
            styled(
                fig,
                title="District salary and account balances",
                x_title="district average salary (CZK)",
                y_title=f"{balance_label} (CZK)",
            )
            s.html('<h3 id="regional-salary">Salary and balances</h3>')
            s.html(
                ctx.figures.block(
                    fig,
                    div_id="fig-region-salary",
                    caption=(
                        f"One dot per district ({per.height}); dot area grows with the number of accounts. "
                        f"Spearman ρ = {comp.effect:.2f} (95 % CI {comp.low:.2f} to {comp.high:.2f})."
                    ),
                    source=f"{balance_source}; Spearman ρ with Fisher-z interval",
                )
            )
            s.stat_line("region_salary_balance")

            def text2(reg) -> str:
                c = reg["region_salary_balance"]
                if c.significant:
                    word = "higher" if c.effect > 0 else "lower"
                    return (
                        f"Accounts in better-paid districts keep {word} balances (Spearman ρ = {c.effect:.2f}, "
                        f"95 % CI {c.low:.2f} to {c.high:.2f}, {c.n} districts)."
                    )
                return (
                    f"District salary levels barely relate to account balances (Spearman ρ = "
                    f"{c.effect:.2f}, 95 % CI {c.low:.2f} to {c.high:.2f})."
                )

            s.findings.append(Finding(text2, "regional-salary", priority=55))
    return s
