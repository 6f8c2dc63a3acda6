"""``generate(cohort_shift=...)``: a later cohort that differs, off by default.

The population stability index (``ml.drift``, the monitoring statistic) of the accounts
opened from the shift date on against those opened before it rises above the warning
level 0.1 under a shift and stays below it without one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ledgerlab.generator import CohortShift, generate
from ml import drift

SHIFT_DATE = "1996-01-01"  # about half of the accounts open from then on


def cohort_psi(out) -> dict[str, float]:
    """PSI of mean monthly inflow and mean balance per account: later cohort vs earlier."""
    accounts = pl.read_parquet(out / "account.parquet")
    trans = pl.read_parquet(out / "trans.parquet")
    inflow = (
        trans.filter(pl.col("type") == "PRIJEM")
        .group_by("account_id", pl.col("date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("amount").sum())
        .group_by("account_id")
        .agg(pl.col("amount").mean().alias("inflow"))
    )
    balance = trans.group_by("account_id").agg(pl.col("balance").mean().alias("balance"))
    rows = accounts.join(inflow, on="account_id", how="left").join(balance, on="account_id", how="left")
    later = pl.col("date") >= dt.date.fromisoformat(SHIFT_DATE)
    out_psi = {}
    for column in ("inflow", "balance"):
        reference = drift.reference_distribution(rows.filter(~later).get_column(column).to_numpy())
        out_psi[column] = drift.psi_against(reference, rows.filter(later).get_column(column).to_numpy())
    return out_psi


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    """3,000 accounts (about 1,500 per cohort: PSI noise about 0.01-0.05), with and without a shift."""
    out = {}
    for name, shift in (("plain", None), ("shifted", CohortShift(SHIFT_DATE, wealth=1.0))):
        folder = tmp_path_factory.mktemp(f"cohort_{name}")
        generate(folder, accounts=3000, seed=7, clean=True, file_format="parquet", workers=1, cohort_shift=shift)
        out[name] = folder
    return out


def test_psi_stays_below_warning_without_a_shift(banks):
    psi = cohort_psi(banks["plain"])
    assert max(psi.values()) < drift.WARN, psi


def test_psi_rises_above_warning_under_a_shift(banks):
    psi = cohort_psi(banks["shifted"])
    assert min(psi.values()) > drift.WARN, psi
    # the shift moves income up, not only apart
    plain = pl.read_parquet(banks["plain"] / "trans.parquet").filter(pl.col("type") == "PRIJEM")
    shifted = pl.read_parquet(banks["shifted"] / "trans.parquet").filter(pl.col("type") == "PRIJEM")
    assert shifted["amount"].sum() > plain["amount"].sum()


def test_a_zero_shift_leaves_the_bank_unchanged(tmp_path):
    """The shift draws no random numbers: with wealth 0 every file is the default bank's."""
    generate(tmp_path / "default", accounts=300, seed=3, workers=1)
    generate(tmp_path / "zero", accounts=300, seed=3, workers=1, cohort_shift=CohortShift(SHIFT_DATE, wealth=0.0))
    for path in sorted((tmp_path / "default").glob("*.asc")):
        assert path.read_bytes() == (tmp_path / "zero" / path.name).read_bytes(), path.name
    assert np.array_equal(
        pl.read_parquet(tmp_path / "default/_truth/loans.parquet")["true_pd"].to_numpy(),
        pl.read_parquet(tmp_path / "zero/_truth/loans.parquet")["true_pd"].to_numpy(),
    )
