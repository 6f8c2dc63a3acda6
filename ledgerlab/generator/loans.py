"""Loan default truth: the latent risk behind every loan's outcome.

At the loan month the generator summarises the account's complete months
before it -- the same quantities a SQL feature layer can compute from
trans.asc before the loan date -- and turns them, with district
unemployment and the hidden risk trait, into a true PD:

    logit(PD) = PD_INTERCEPT + sum_k PD_COEF[k] * driver_k

The outcome is a Bernoulli draw from that PD (the draw is the only
idiosyncratic randomness, so the PD is the best any observer could know); status follows from whether the
loan's term ended by 1998-12-31 (A/B finished, C/D running; bad = B or D).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from . import calendar as cal
from . import params


def risk_drivers(
    inflow_sum: np.ndarray,
    inflow_sq: np.ndarray,
    n_months: np.ndarray,
    bal_n: np.ndarray,
    bal_sum: np.ndarray,
    bal_sq: np.ndarray,
    neg_count: np.ndarray,
    payments_cents: np.ndarray,
    unemployment: np.ndarray,
    hidden_risk: np.ndarray,
) -> dict[str, np.ndarray]:
    months = np.maximum(n_months, 1)
    # inflow_sum / bal_sum in cents; inflow_sq / bal_sq in whole CZK squared
    mean_inflow = inflow_sum / months / 100.0
    var_inflow = np.maximum(inflow_sq / months - mean_inflow**2, 0.0)
    cv = np.sqrt(var_inflow) / np.maximum(mean_inflow, 1.0)
    nb = np.maximum(bal_n, 1)
    bal_mean = bal_sum / nb / 100.0
    bal_std = np.sqrt(np.maximum(bal_sq / nb - bal_mean**2, 0.0))
    return {
        "mean_monthly_inflow": mean_inflow,
        "income_cv": cv,
        "balance_mean": bal_mean,
        "balance_std": bal_std,
        "negative_balance_count": neg_count.astype(np.int64),
        "instalment_ratio": payments_cents / 100.0 / np.maximum(mean_inflow, 1.0),
        "unemployment": unemployment,
        "hidden_risk": hidden_risk,
    }


def true_pd(d: dict[str, np.ndarray]) -> np.ndarray:
    c = params.PD_COEF
    logit = (
        params.PD_INTERCEPT
        + c["log_income"] * (np.log(np.maximum(d["mean_monthly_inflow"], 100.0)) - 9.8)
        + c["income_cv"] * np.clip(d["income_cv"], 0.0, 2.0)
        + c["balance_cv"] * np.clip(d["balance_std"] / np.maximum(np.abs(d["balance_mean"]), 100.0), 0.0, 3.0)
        + c["neg_balance"] * np.log1p(d["negative_balance_count"])
        + c["instalment_ratio"] * np.clip(d["instalment_ratio"], 0.0, 2.0)
        + c["unemployment"] * (d["unemployment"] - 3.0)
        + c["hidden_risk"] * d["hidden_risk"]
    )
    return expit(logit)


def loan_status(
    loan_month: np.ndarray, loan_day: np.ndarray, duration: np.ndarray, is_default: np.ndarray
) -> np.ndarray:
    """'A'/'B' when the term ended by 1998-12-31, else 'C'/'D'."""
    end_month = loan_month + duration
    finished = (end_month < params.N_MONTHS) & (
        cal.day_of(np.minimum(end_month, 95), cal.YYMMDD_OF_DAY[loan_day] % 100) <= cal.END_DAY
    )
    return np.where(finished, np.where(is_default, "B", "A"), np.where(is_default, "D", "C"))
