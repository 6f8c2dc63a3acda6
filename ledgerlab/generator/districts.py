"""The 77 synthetic districts (district.asc).

Each district is a draw from a Gaussian copula fitted to the real file: the
normal scores of A4 ... A16 share the real correlation matrix, and each column
is mapped through the real column's empirical quantile function. Names are
synthetic; regions keep the real eight names and sizes. One district has "?"
in A12 and A15 like the real district 69.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.special import ndtr

from . import params
from .randomness import Streams, quantile_function

_SYLLABLES = (
    "Bor",
    "Hra",
    "Lip",
    "Nov",
    "Kol",
    "Bre",
    "Dub",
    "Zab",
    "Trn",
    "Vys",
    "Cer",
    "Hol",
    "Mor",
    "Sla",
    "Kam",
    "Pra",
    "Ost",
    "Jes",
)
_ENDINGS = ("ov", "ice", "any", "nik", "ec", "in", "ava", "ov nad Sazavou", "sko", "ina")
_INTEGER_COLUMNS = {"A4", "A5", "A6", "A7", "A8", "A9", "A11", "A14", "A15", "A16"}


def generate_districts(streams: Streams) -> pl.DataFrame:
    n = params.N_DISTRICTS
    cols = params.DISTRICT_COLUMNS
    corr = np.asarray(params.DISTRICT_NORMAL_SCORE_CORR)
    # Nearest positive-definite correlation, then a Cholesky factor.
    w, v = np.linalg.eigh(corr)
    corr = (v * np.clip(w, 1e-6, None)) @ v.T
    d = np.sqrt(np.diag(corr))
    chol = np.linalg.cholesky(corr / np.outer(d, d))
    ids = np.arange(1, n + 1)
    z = np.stack([streams.normal("district", ids, j) for j in range(len(cols))], axis=1) @ chol.T
    # District 1 is the capital: the largest, most urban, highest-salary one (as the real A1 = Prague).
    high = {"A4", "A8", "A10", "A11", "A15", "A16"}
    low = {"A5", "A6", "A7", "A12", "A13"}
    z[0] = np.array([3.0 if c in high else (-3.0 if c in low else 0.0) for c in cols])
    u = ndtr(z)
    out: dict[str, object] = {"A1": ids}
    regions = list(params.REGION_COUNTS.items())
    region_of = ["Prague"] + [r for r, k in regions if r != "Prague" for _ in range(k)]
    names = []
    for i in ids:
        a = streams.integers("district_name", 0, len(_SYLLABLES), i, 0)[()]
        b = streams.integers("district_name", 0, len(_SYLLABLES), i, 1)[()]
        e = streams.integers("district_name", 0, len(_ENDINGS), i, 2)[()]
        names.append("Capital" if i == 1 else f"{_SYLLABLES[a]}{_SYLLABLES[b].lower()}{_ENDINGS[e]}")
    seen: dict[str, int] = {}
    for k, name in enumerate(names):  # keep names unique
        if name in seen:
            seen[name] += 1
            names[k] = f"{name} {seen[name]}"
        else:
            seen[name] = 1
    out["A2"] = names
    out["A3"] = region_of[:n]
    for j, c in enumerate(cols):
        x = quantile_function(params.DISTRICT_MARGINAL_QUANTILES[c], u[:, j])
        if c in _INTEGER_COLUMNS:
            out[c] = np.round(x).astype(np.int64)
        elif c == "A10":
            out[c] = np.round(x, 1)
        else:
            out[c] = np.round(x, 2)
    df = pl.DataFrame(out)
    df = df.with_columns(
        pl.when(pl.col("A1") == params.DISTRICT_WITH_MISSING).then(None).otherwise(pl.col("A12")).alias("A12"),
        pl.when(pl.col("A1") == params.DISTRICT_WITH_MISSING).then(None).otherwise(pl.col("A15")).alias("A15"),
    )
    return df


def unemployment_a13(districts: pl.DataFrame) -> np.ndarray:
    """A13 indexed by district id (index 0 unused)."""
    a13 = np.zeros(params.N_DISTRICTS + 1)
    a13[districts["A1"].to_numpy()] = districts["A13"].to_numpy()
    return a13


def account_district_weights(districts: pl.DataFrame) -> np.ndarray:
    """Accounts per district follow the population (the capital holds ~12 %)."""
    return districts["A4"].to_numpy().astype(np.float64)
