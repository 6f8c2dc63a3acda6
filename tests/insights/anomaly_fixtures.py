"""A tiny synthetic account-month history with four planted anomalies (one per kind)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

DATA_END = dt.date(1998, 12, 31)
PLANTED = {101: "large_cash_withdrawal", 102: "new_counterparty_burst", 103: "salary_stop", 104: "dormant_reactivation"}


def account_months(n_normal: int = 60, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    months = [dt.date(1996 + i // 12, i % 12 + 1, 1) for i in range(36)]
    for acc in list(range(1, n_normal + 1)) + list(PLANTED):
        usual = rng.uniform(2_000, 20_000)
        for i, month in enumerate(months):
            row = {
                "account_id": acc,
                "month": month,
                "n_tx": int(rng.integers(4, 12)),
                "max_debit": usual * rng.uniform(0.7, 1.4),
                "usual_debit": usual,
                "n_income": int(rng.uniform() > 0.05),
                "n_new_counterparties": int(rng.uniform() < 0.05),
            }
            if acc == 101 and i == 20:
                row["max_debit"] = usual * 15
            if acc == 102 and i == 25:
                row["n_new_counterparties"] = 8
            if acc == 103 and i >= 27:
                row["n_income"] = 0
            if acc == 104 and 10 <= i < 19:
                continue  # dormant: no rows at all
            if acc == 104 and i == 19:
                row["n_tx"] = 3
            rows.append(row)
    return pl.DataFrame(rows)


def truth() -> pl.DataFrame:
    return pl.DataFrame({"account_id": list(PLANTED), "kind": list(PLANTED.values())})
