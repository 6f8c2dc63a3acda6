"""Counter-based randomness: every draw is a hash of (seed, stream, keys).

A value depends only on the run's seed, a named stream and integer keys such
as (account_id, month, slot) -- never on how many values were drawn before.
That is what makes the output independent of ``chunk_accounts``: the same
account gets the same numbers whichever chunk it lands in. The hash is the
splitmix64 finaliser applied twice, vectorised over numpy uint64 arrays.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtr, ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_K1 = np.uint64(0xBF58476D1CE4E5B9)
_K2 = np.uint64(0x94D049BB133111EB)
_KB = np.uint64(0xD6E8FEB86659FD93)
_KC = np.uint64(0xA0761D6478BD642F)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / float(1 << 53)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _S30)
    x = x * _K1
    x = x ^ (x >> _S27)
    x = x * _K2
    return x ^ (x >> _S31)


def stream_key(seed: int, stream: str) -> np.uint64:
    """A 64-bit key for a named stream of a seed."""
    base = (int(seed) * 0x9E3779B97F4A7C15 + zlib.crc32(stream.encode()) * 0xC2B2AE3D27D4EB4F) % (1 << 64)
    with np.errstate(over="ignore"):
        return _mix(np.array([base], dtype=np.uint64))[0]


class Streams:
    """Hash-based draws for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._keys: dict[str, np.uint64] = {}

    def _key(self, stream: str) -> np.uint64:
        key = self._keys.get(stream)
        if key is None:
            key = self._keys[stream] = stream_key(self.seed, stream)
        return key

    def bits(self, stream: str, a, b=0, c=0) -> np.ndarray:
        """uint64 hashes of (stream, a, b, c), broadcast over the key arrays."""
        a = np.asarray(a).astype(np.uint64)
        b = np.asarray(b).astype(np.uint64)
        c = np.asarray(c).astype(np.uint64)
        with np.errstate(over="ignore"):
            h = _mix(self._key(stream) + a * _GOLDEN)
            return _mix(h + b * _KB + c * _KC)

    def uniform(self, stream: str, a, b=0, c=0) -> np.ndarray:
        """Uniforms in the open interval (0, 1)."""
        h = self.bits(stream, a, b, c)
        return ((h >> _S11).astype(np.float64) + 0.5) * _INV53

    def normal(self, stream: str, a, b=0, c=0) -> np.ndarray:
        return ndtri(self.uniform(stream, a, b, c))

    def integers(self, stream: str, low: int, high, a, b=0, c=0) -> np.ndarray:
        """Integers in [low, high) (high may be an array)."""
        u = self.uniform(stream, a, b, c)
        return (low + np.floor(u * (np.asarray(high) - low))).astype(np.int64)

    def choice(self, stream: str, probabilities, a, b=0, c=0) -> np.ndarray:
        """Index into ``probabilities`` (normalised here)."""
        p = np.asarray(probabilities, dtype=np.float64)
        cdf = np.cumsum(p / p.sum())
        cdf[-1] = 1.0
        return np.searchsorted(cdf, self.uniform(stream, a, b, c), side="right").astype(np.int64)

    def poisson(self, stream: str, lam, a, b=0, c=0, k_max: int = 60) -> np.ndarray:
        """Poisson counts by CDF inversion (vectorised; lam up to ~30)."""
        u = self.uniform(stream, a, b, c)
        lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), u.shape)
        p = np.exp(-lam)
        cdf = p.copy()
        count = np.zeros(u.shape, dtype=np.int64)
        for k in range(1, k_max + 1):
            more = u > cdf
            if not more.any():
                break
            count += more
            p = p * lam / k
            cdf = cdf + p
        return count


def gaussian_copula(z_account: np.ndarray, z_draw: np.ndarray, rho: float) -> np.ndarray:
    """Uniforms that share an account-level factor (marginally exactly uniform)."""
    return ndtr(rho * z_account + np.sqrt(1.0 - rho * rho) * z_draw)


def quantile_function(quantiles, u: np.ndarray) -> np.ndarray:
    """Inverse CDF from a 41-point empirical quantile table, linear in between."""
    q = np.asarray(quantiles, dtype=np.float64)
    grid = np.linspace(0.0, 1.0, q.size)
    return np.interp(u, grid, q)
