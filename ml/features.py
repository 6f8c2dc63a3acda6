"""Derived features, in Polars: pure ``pl.DataFrame -> pl.DataFrame`` functions.

Each function reads only columns of the same row (ratios, trends, counts), so
a row's features depend on that row of the mart alone; the marts are already
point-in-time (only data dated before the as-of date feeds a row), and these
functions cannot bring later information in. Nothing here is fitted: fitted
preprocessing (imputation, scaling, one-hot) lives in the scikit-learn
pipeline (``ml.models``) so that it is learnt on training folds only.

A task YAML names the steps it uses (``feature_steps``); ``build_features``
applies them in order. Every step checks its input columns and fails with a
``FeatureError`` naming the missing ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ml.errors import FeatureError

MISSING_CATEGORY = "(missing)"
TAIWAN_MONTHS = 6


def require_columns(df: pl.DataFrame, columns: Iterable[str], step: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureError(
            f"feature step {step!r} needs column(s) {', '.join(missing)}, absent from the input "
            f"(has {len(df.columns)} columns)"
        )


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, NULL when the denominator is NULL or not positive."""
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64)).otherwise(None)


# --- Berka: loan terms against the owner's income ------------------------------------------


def installment_to_income(df: pl.DataFrame) -> pl.DataFrame:
    """Monthly instalment over mean monthly inflow (NULL without inflow history)."""
    require_columns(df, ["monthly_payment", "mean_monthly_inflow"], "installment_to_income")
    return df.with_columns(
        _ratio(pl.col("monthly_payment"), pl.col("mean_monthly_inflow")).alias("installment_to_income")
    )


def loan_to_annual_income(df: pl.DataFrame) -> pl.DataFrame:
    """Loan amount over twelve months of mean inflow."""
    require_columns(df, ["loan_amount", "mean_monthly_inflow"], "loan_to_annual_income")
    return df.with_columns(
        _ratio(pl.col("loan_amount"), 12 * pl.col("mean_monthly_inflow")).alias("loan_to_annual_income")
    )


def payment_cover(df: pl.DataFrame) -> pl.DataFrame:
    """Mean and minimum balance measured in monthly instalments."""
    require_columns(df, ["mean_balance", "min_balance", "monthly_payment"], "payment_cover")
    return df.with_columns(
        _ratio(pl.col("mean_balance"), pl.col("monthly_payment")).alias("balance_to_payment"),
        _ratio(pl.col("min_balance"), pl.col("monthly_payment")).alias("min_balance_to_payment"),
    )


# --- Berka: transaction history (owner account) --------------------------------------------


def inflow_stability(df: pl.DataFrame) -> pl.DataFrame:
    """Coefficient of variation of monthly inflow, and net flow as a share of inflow."""
    require_columns(df, ["mean_monthly_inflow", "std_monthly_inflow", "mean_monthly_outflow"], "inflow_stability")
    return df.with_columns(
        _ratio(pl.col("std_monthly_inflow"), pl.col("mean_monthly_inflow")).alias("inflow_cv"),
        _ratio(pl.col("mean_monthly_inflow") - pl.col("mean_monthly_outflow"), pl.col("mean_monthly_inflow")).alias(
            "net_flow_ratio"
        ),
    )


def inflow_trend(df: pl.DataFrame) -> pl.DataFrame:
    """Inflow of the last three months over the mean monthly inflow (a falling income shows here)."""
    require_columns(df, ["inflow_last_3m", "mean_monthly_inflow"], "inflow_trend")
    return df.with_columns(_ratio(pl.col("inflow_last_3m"), pl.col("mean_monthly_inflow")).alias("inflow_trend"))


def balance_volatility(df: pl.DataFrame) -> pl.DataFrame:
    """Balance spread relative to income, and how often the balance went negative."""
    require_columns(
        df, ["std_balance", "mean_monthly_inflow", "n_negative_balance", "n_transactions"], "balance_volatility"
    )
    return df.with_columns(
        _ratio(pl.col("std_balance"), pl.col("mean_monthly_inflow")).alias("balance_volatility"),
        _ratio(pl.col("n_negative_balance"), pl.col("n_transactions")).alias("negative_balance_rate"),
    )


def income_and_balance_shape(df: pl.DataFrame) -> pl.DataFrame:
    """Log income, log balance (floored at 1), balance coefficient of variation (capped at 10) and
    log(1 + negative-balance count): the scales on which risk is usually close to linear, which a
    logistic model needs."""
    require_columns(
        df, ["mean_monthly_inflow", "mean_balance", "std_balance", "n_negative_balance"], "income_and_balance_shape"
    )
    inflow = pl.col("mean_monthly_inflow").cast(pl.Float64)
    return df.with_columns(
        pl.when(inflow > 0).then(inflow.log()).otherwise(None).alias("log_mean_inflow"),
        pl.max_horizontal(pl.col("mean_balance").cast(pl.Float64), pl.lit(1.0)).log().alias("log_mean_balance"),
        _ratio(pl.col("std_balance"), pl.max_horizontal(pl.col("mean_balance").abs(), pl.lit(1.0)))
        .clip(upper_bound=10.0)
        .alias("balance_cv"),
        pl.col("n_negative_balance").cast(pl.Float64).log1p().alias("log_negative_balance"),
    )


def history_recency(df: pl.DataFrame) -> pl.DataFrame:
    """Whether any history exists, and activity per month of history."""
    require_columns(df, ["history_months", "n_transactions"], "history_recency")
    return df.with_columns(
        (pl.col("history_months").fill_null(0) > 0).alias("has_history"),
        _ratio(pl.col("n_transactions"), pl.col("history_months")).alias("transactions_per_month"),
    )


def digital_engagement(df: pl.DataFrame) -> pl.DataFrame:
    """Login trend (last vs previous 90 days), any digital use, share of password resets."""
    require_columns(
        df,
        ["logins_last_90d", "logins_prev_90d", "digital_events_last_180d", "password_resets_last_180d"],
        "digital_engagement",
    )
    last = pl.col("logins_last_90d").fill_null(0).cast(pl.Float64)
    prev = pl.col("logins_prev_90d").fill_null(0).cast(pl.Float64)
    return df.with_columns(
        ((last + 1.0) / (prev + 1.0)).alias("login_trend"),
        (pl.col("digital_events_last_180d").fill_null(0) > 0).alias("is_digitally_active"),
        _ratio(pl.col("password_resets_last_180d"), pl.col("digital_events_last_180d")).alias("password_reset_share"),
    )


# --- Taiwan credit cards ------------------------------------------------------------------


def _months(prefix: str) -> list[str]:
    return [f"{prefix}_m{i}" for i in range(1, TAIWAN_MONTHS + 1)]


def card_utilisation(df: pl.DataFrame) -> pl.DataFrame:
    """Bill over credit limit: latest month, mean and max over six months, and the trend."""
    bills = _months("bill_amount")
    require_columns(df, ["credit_limit", *bills], "card_utilisation")
    ratios = [_ratio(pl.col(b), pl.col("credit_limit")) for b in bills]
    return df.with_columns(
        ratios[0].alias("utilisation"),
        pl.mean_horizontal(ratios).alias("mean_utilisation"),
        pl.max_horizontal(ratios).alias("max_utilisation"),
        _ratio(pl.col("bill_amount_m1") - pl.col("bill_amount_m6"), pl.col("credit_limit")).alias(
            "bill_growth_to_limit"
        ),
    )


def card_pay_ratios(df: pl.DataFrame) -> pl.DataFrame:
    """Amount paid in a month over the previous month's bill (m1 pays the m2 bill), capped at 2.

    A bill of zero or less (nothing to pay) gives NULL; the mean ignores NULLs.
    """
    paid, bills = _months("paid_amount"), _months("bill_amount")
    require_columns(df, [*paid, *bills, "credit_limit"], "card_pay_ratios")
    ratios = [
        _ratio(pl.col(paid[i]), pl.col(bills[i + 1])).clip(upper_bound=2.0).alias(f"pay_ratio_m{i + 1}")
        for i in range(TAIWAN_MONTHS - 1)
    ]
    out = df.with_columns(ratios)
    return out.with_columns(
        pl.mean_horizontal([pl.col(f"pay_ratio_m{i + 1}") for i in range(TAIWAN_MONTHS - 1)]).alias("mean_pay_ratio"),
        _ratio(pl.sum_horizontal([pl.col(p) for p in paid]), pl.col("credit_limit")).alias("paid_to_limit"),
    )


def card_delays(df: pl.DataFrame) -> pl.DataFrame:
    """Months with a payment delay, the worst delay, and months fully paid."""
    status = _months("repay_status")
    require_columns(df, status, "card_delays")
    return df.with_columns(
        pl.sum_horizontal([(pl.col(s) > 0).cast(pl.Int32) for s in status]).alias("months_delayed"),
        pl.max_horizontal([pl.col(s) for s in status]).clip(lower_bound=0).alias("max_delay_months"),
        pl.sum_horizontal([(pl.col(s) <= -1).cast(pl.Int32) for s in status]).alias("months_paid_duly"),
    )


def card_repay_codes(df: pl.DataFrame) -> pl.DataFrame:
    """Repayment status as categories: -2, -1 and 0 are different states, not a scale.

    -2 no consumption, -1 paid duly, 0 revolving credit, 1-2 months of delay, 3+ grouped.
    """
    status = _months("repay_status")
    require_columns(df, status, "card_repay_codes")

    def code(column: str) -> pl.Expr:
        value = pl.col(column)
        return (
            pl.when(value.is_null())
            .then(None)
            .when(value <= -2)
            .then(pl.lit("no_consumption"))
            .when(value == -1)
            .then(pl.lit("paid_duly"))
            .when(value == 0)
            .then(pl.lit("revolving"))
            .when(value <= 2)
            .then(pl.format("delay_{}", value.cast(pl.Int64)))
            .otherwise(pl.lit("delay_3plus"))
        )

    return df.with_columns([code(s).alias(f"repay_code_m{i + 1}") for i, s in enumerate(status)])


@dataclass(frozen=True)
class Step:
    function: Callable[[pl.DataFrame], pl.DataFrame]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


_HISTORY = ("mean_monthly_inflow", "std_monthly_inflow", "mean_monthly_outflow")
_STEPS: dict[str, Step] = {
    "installment_to_income": Step(
        installment_to_income, ("monthly_payment", "mean_monthly_inflow"), ("installment_to_income",)
    ),
    "loan_to_annual_income": Step(
        loan_to_annual_income, ("loan_amount", "mean_monthly_inflow"), ("loan_to_annual_income",)
    ),
    "payment_cover": Step(
        payment_cover,
        ("mean_balance", "min_balance", "monthly_payment"),
        ("balance_to_payment", "min_balance_to_payment"),
    ),
    "inflow_stability": Step(inflow_stability, _HISTORY, ("inflow_cv", "net_flow_ratio")),
    "inflow_trend": Step(inflow_trend, ("inflow_last_3m", "mean_monthly_inflow"), ("inflow_trend",)),
    "balance_volatility": Step(
        balance_volatility,
        ("std_balance", "mean_monthly_inflow", "n_negative_balance", "n_transactions"),
        ("balance_volatility", "negative_balance_rate"),
    ),
    "income_and_balance_shape": Step(
        income_and_balance_shape,
        ("mean_monthly_inflow", "mean_balance", "std_balance", "n_negative_balance"),
        ("log_mean_inflow", "log_mean_balance", "balance_cv", "log_negative_balance"),
    ),
    "history_recency": Step(
        history_recency, ("history_months", "n_transactions"), ("has_history", "transactions_per_month")
    ),
    "digital_engagement": Step(
        digital_engagement,
        ("logins_last_90d", "logins_prev_90d", "digital_events_last_180d", "password_resets_last_180d"),
        ("login_trend", "is_digitally_active", "password_reset_share"),
    ),
    "card_utilisation": Step(
        card_utilisation,
        ("credit_limit", *_months("bill_amount")),
        ("utilisation", "mean_utilisation", "max_utilisation", "bill_growth_to_limit"),
    ),
    "card_pay_ratios": Step(
        card_pay_ratios,
        ("credit_limit", *_months("paid_amount"), *_months("bill_amount")),
        (*(f"pay_ratio_m{i}" for i in range(1, TAIWAN_MONTHS)), "mean_pay_ratio", "paid_to_limit"),
    ),
    "card_repay_codes": Step(
        card_repay_codes, tuple(_months("repay_status")), tuple(f"repay_code_m{i}" for i in range(1, TAIWAN_MONTHS + 1))
    ),
    "card_delays": Step(
        card_delays, tuple(_months("repay_status")), ("months_delayed", "max_delay_months", "months_paid_duly")
    ),
}


def known_steps() -> dict[str, Step]:
    return dict(_STEPS)


def derived_columns(steps: Sequence[str]) -> set[str]:
    return {out for s in steps for out in _STEPS[s].outputs}


def required_inputs(steps: Sequence[str], features: Sequence[str]) -> list[str]:
    """Mart columns a model needs: its features that no step derives, plus every step's inputs."""
    derived = derived_columns(steps)
    needed = [f for f in features if f not in derived]
    for name in steps:
        needed.extend(c for c in _STEPS[name].inputs if c not in needed)
    return list(dict.fromkeys(needed))


def build_features(df: pl.DataFrame, steps: Sequence[str]) -> pl.DataFrame:
    """Apply the named steps in order; the input columns are kept."""
    for name in steps:
        if name not in _STEPS:
            raise FeatureError(f"unknown feature step {name!r}; known: {', '.join(sorted(_STEPS))}")
        df = _STEPS[name].function(df)
    return df


def to_matrix(
    df: pl.DataFrame, numeric: Sequence[str], binary: Sequence[str], categorical: Sequence[str]
) -> np.ndarray:
    """The model's input matrix (object dtype, columns numeric, binary, categorical).

    Numbers and flags become floats (NULL -> NaN, imputed in the pipeline);
    categories become strings with NULL as its own level ``(missing)``.
    This is a stateless conversion, not preprocessing: nothing is learnt.
    """
    columns = [*numeric, *binary, *categorical]
    require_columns(df, columns, "model input")
    out = np.empty((df.height, len(columns)), dtype=object)
    for j, name in enumerate(columns):
        series = df.get_column(name)
        if name in categorical:
            values = series.cast(pl.String).fill_null(MISSING_CATEGORY).to_numpy()
        else:
            try:
                values = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
            except pl.exceptions.PolarsError as exc:
                raise FeatureError(f"column {name!r} ({series.dtype}) cannot be read as a number: {exc}") from exc
        out[:, j] = values
    return out
