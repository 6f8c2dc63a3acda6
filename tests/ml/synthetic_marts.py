"""Small hand-made marts with known true probabilities, so that ml tests need no dbt.

The columns follow docs/ARCHITECTURE.md; the outcome is drawn from a known
logistic model, which gives each row its true probability (the "oracle").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

AGE_BANDS = [
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 200, "65+"),
]


def age_band(age: np.ndarray) -> list[str]:
    out = []
    for a in age:
        out.append(next(label for lo, hi, label in AGE_BANDS if lo <= a <= hi))
    return out


def loan_features(
    n: int = 600, seed: int = 0, start: dt.date = dt.date(1994, 1, 1), income_factor: float = 1.0
) -> pl.DataFrame:
    """A ``marts.loan_features``-shaped frame with ``true_pd`` (dropped before writing the mart).

    ``income_factor`` scales every owner's inflow (a population unlike the default one).
    """
    rng = np.random.default_rng(seed)
    amount = rng.integers(5_000, 500_000, n).astype(float)
    duration = rng.choice([12, 24, 36, 48, 60], n)
    payment = np.round(amount / duration, 2)
    inflow = rng.lognormal(10.0, 0.4, n) * income_factor
    has_history = rng.random(n) < 0.8
    age = rng.integers(19, 80, n)
    ratio = payment / inflow
    spread = ratio.std() if n > 1 else 1.0
    negative = rng.poisson(0.5, n)
    logit = -2.6 + 2.5 * (ratio - ratio.mean()) / spread * 0.6 + 0.5 * negative - 0.01 * (age - 45)
    true_pd = 1 / (1 + np.exp(-logit))
    is_default = rng.random(n) < true_pd
    loan_date = [start + dt.timedelta(days=int(d)) for d in np.sort(rng.integers(0, 5 * 365, n))]

    def hist(values):
        return [float(v) if h else None for v, h in zip(values, has_history, strict=True)]

    frame = pl.DataFrame(
        {
            "loan_id": np.arange(1, n + 1) * 7 + 1000,
            "account_id": rng.integers(1, 5000, n),
            "loan_date": loan_date,
            "loan_amount": amount,
            "loan_duration_months": duration,
            "monthly_payment": payment,
            "loan_status": np.where(is_default, "D", "C"),
            "is_default": is_default,
            "owner_client_key": [f"{i:064x}" for i in range(n)],
            "owner_gender": rng.choice(["M", "F"], n),
            "owner_age_at_loan": age,
            "owner_age_band": age_band(age),
            "district_id": rng.integers(1, 78, n),
            "district_unemployment_rate": rng.uniform(0.5, 9.0, n),
            "district_avg_salary": rng.integers(8000, 13000, n).astype(float),
            "district_urban_ratio": rng.uniform(30, 100, n),
            "statement_frequency": rng.choice(["monthly", "weekly", "after_transaction"], n, p=[0.85, 0.1, 0.05]),
            "account_age_days": rng.integers(30, 2000, n),
            "n_dispositions": rng.choice([1, 2], n),
            "has_card": rng.random(n) < 0.2,
            "history_months": np.where(has_history, rng.integers(1, 24, n), 0),
            "n_transactions": np.where(has_history, rng.integers(5, 300, n), 0),
            "mean_monthly_inflow": hist(inflow),
            "std_monthly_inflow": hist(inflow * rng.uniform(0.05, 0.5, n)),
            "mean_monthly_outflow": hist(inflow * rng.uniform(0.6, 1.1, n)),
            "inflow_last_3m": hist(inflow * rng.uniform(2.0, 4.0, n)),
            "mean_balance": hist(rng.normal(40_000, 15_000, n)),
            "std_balance": hist(rng.uniform(1000, 20_000, n)),
            "min_balance": hist(rng.normal(5_000, 8_000, n)),
            "last_balance": hist(rng.normal(40_000, 15_000, n)),
            "n_negative_balance": negative,
            "n_penalty_interest": rng.poisson(0.2, n),
            "days_since_last_transaction": hist(rng.integers(0, 60, n)),
            "logins_last_90d": rng.poisson(5, n),
            "logins_prev_90d": rng.poisson(5, n),
            "digital_events_last_180d": rng.poisson(15, n),
            "password_resets_last_180d": rng.poisson(0.3, n),
            "days_since_last_login": [None if rng.random() < 0.2 else int(rng.integers(0, 90)) for _ in range(n)],
            "true_pd": true_pd,
        }
    )
    # what the mart would hold without history: NULL inflow leaves the ratios NULL
    return frame.with_columns(pl.col("monthly_payment").cast(pl.Float64))


def card_default_features(n: int = 1500, seed: int = 0) -> pl.DataFrame:
    """A ``marts.card_default_features``-shaped frame (Taiwan layout) with ``true_pd``."""
    rng = np.random.default_rng(seed)
    limit = rng.choice([20_000, 50_000, 100_000, 200_000, 500_000], n).astype(float)
    status = np.clip(rng.normal(0, 1.2, (n, 6)).round(), -2, 8).astype(int)
    bills = limit[:, None] * rng.uniform(0, 1.0, (n, 6))
    paid = bills * rng.uniform(0, 0.3, (n, 6))
    age = rng.integers(21, 75, n)
    logit = -1.6 + 0.7 * np.clip(status[:, 0], 0, None) - 0.000002 * limit
    true_pd = 1 / (1 + np.exp(-logit))
    columns = {
        "card_client_id": np.arange(1, n + 1),
        "is_default": rng.random(n) < true_pd,
        "credit_limit": limit,
        "sex": rng.choice(["M", "F"], n),
        "education": rng.choice(["graduate school", "university", "high school", "others"], n),
        "education_is_undocumented": rng.random(n) < 0.01,
        "marital_status": rng.choice(["married", "single", "others"], n),
        "marital_is_undocumented": rng.random(n) < 0.01,
        "age": age,
        "age_band": age_band(age),
    }
    for i in range(6):
        columns[f"repay_status_m{i + 1}"] = status[:, i]
    for i in range(6):
        columns[f"bill_amount_m{i + 1}"] = bills[:, i].round(0)
    for i in range(6):
        columns[f"paid_amount_m{i + 1}"] = paid[:, i].round(0)
    columns["true_pd"] = true_pd
    return pl.DataFrame(columns)


def write_warehouse(
    warehouse_path: Path,
    marts: dict[str, pl.DataFrame],
    raw_dir: Path | None = None,
    truths: dict[str, pl.DataFrame] | None = None,
) -> None:
    """Create a DuckDB file holding the given ``marts.*`` tables and, optionally, an ingest
    manifest whose ``loan`` / ``disp`` source files sit in ``raw_dir`` beside ``_truth/``."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema if not exists marts")
        for name, frame in marts.items():
            arrow = frame.drop([c for c in ("true_pd",) if c in frame.columns]).to_arrow()
            con.register("frame", arrow)
            con.execute(f"create or replace table marts.{name} as select * from frame")
            con.unregister("frame")
        if raw_dir is not None:
            (raw_dir / "_truth").mkdir(parents=True, exist_ok=True)
            for table in ("loan", "disp"):
                (raw_dir / f"{table}.asc").write_text("placeholder\n")
            for file_name, truth in (truths or {}).items():
                truth.write_parquet(raw_dir / "_truth" / file_name)
            con.execute("create schema if not exists raw")
            con.execute(
                "create or replace table raw._ingest_manifest (table_name varchar, source_file varchar, "
                "source_path varchar, present boolean, file_bytes bigint, rows_loaded bigint, "
                "rejected_lines bigint, loaded_at timestamp)"
            )
            for table in ("loan", "disp"):
                con.execute(
                    "insert into raw._ingest_manifest values (?, ?, ?, true, 0, 0, 0, current_timestamp)",
                    [table, f"{table}.asc", str(raw_dir / f"{table}.asc")],
                )
    finally:
        con.close()


def loan_truth(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("loan_id", "true_pd", "is_default")
