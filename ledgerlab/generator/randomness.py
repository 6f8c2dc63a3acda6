"""Counter-based randomness: every draw is a hash of (seed, stream, keys).

A value depends only on the run's seed, a named stream and integer keys such
as (account_id, month, slot) -- never on how many values were drawn before.
That is what makes the output independent of ``chunk_accounts``: the same
account gets the same numbers whichever chunk it lands in. The hash is the
splitmix64 finaliser applied twice, vectorised over numpy uint64 arrays.

Speed: the hash runs in place, block by block (``_BLOCK`` elements stay in the
CPU cache), and ``uniform`` turns the bits into floats in the same buffers.
The values are exactly those of the plain formula (see ``_mix``).
"""

from __future__ import annotations

import zlib
from functools import cache

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
_BLOCK = 8192  # elements per in-place block (64 KiB of uint64, below malloc's mmap threshold)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (reference form; ``_mix_inplace`` is the fast one)."""
    x = x ^ (x >> _S30)
    x = x * _K1
    x = x ^ (x >> _S27)
    x = x * _K2
    return x ^ (x >> _S31)


def _mix_inplace(x: np.ndarray, tmp: np.ndarray) -> None:
    np.right_shift(x, _S30, out=tmp)
    x ^= tmp
    x *= _K1
    np.right_shift(x, _S27, out=tmp)
    x ^= tmp
    x *= _K2
    np.right_shift(x, _S31, out=tmp)
    x ^= tmp


def _mix_all(x: np.ndarray) -> None:
    """_mix over a contiguous uint64 array, in place, block by block."""
    flat = x.reshape(-1)
    n = flat.size
    if n <= _BLOCK:
        _mix_inplace(flat, np.empty(n, dtype=np.uint64))
        return
    tmp = np.empty(_BLOCK, dtype=np.uint64)
    for i in range(0, n, _BLOCK):
        blk = flat[i : i + _BLOCK]
        _mix_inplace(blk, tmp[: blk.size])


def stream_key(seed: int, stream: str) -> np.uint64:
    """A 64-bit key for a named stream of a seed."""
    base = (int(seed) * 0x9E3779B97F4A7C15 + zlib.crc32(stream.encode()) * 0xC2B2AE3D27D4EB4F) % (1 << 64)
    with np.errstate(over="ignore"):
        return _mix(np.array([base], dtype=np.uint64))[0]


_MASK = (1 << 64) - 1
_KB_INT = int(_KB)
_KC_INT = int(_KC)


def _term(x, k: np.uint64, k_int: int):
    """x * k (mod 2**64): a Python int for scalar x, else a uint64 array."""
    if isinstance(x, (int, np.integer)):
        return (int(x) * k_int) & _MASK
    x = np.asarray(x)
    if x.ndim == 0:
        return (int(x) * k_int) & _MASK
    t = x.astype(np.uint64)
    t *= k
    return t


def _plus(x, y):
    if isinstance(x, int) and isinstance(y, int):
        return (x + y) & _MASK
    if isinstance(x, int):
        x, y = y, x
    if isinstance(y, int):
        if y:
            x += np.uint64(y)
        return x
    return x + y


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
        """uint64 hashes of (stream, a, b, c), broadcast over the key arrays.

        = _mix(_mix(key + a * GOLDEN) + b * KB + c * KC), computed in place
        (uint64 array arithmetic wraps silently, as the formula wants).
        """
        a = np.asarray(a)
        scalar = a.ndim == 0
        h = a.reshape(1).astype(np.uint64) if scalar else a.astype(np.uint64)
        h *= _GOLDEN
        h += self._key(stream)
        _mix_all(h)
        add = _plus(_term(b, _KB, _KB_INT), _term(c, _KC, _KC_INT))
        if isinstance(add, int):
            if add:
                h += np.uint64(add)
        elif add.shape == h.shape:
            h += add
        else:
            h = h + add  # broadcast to the full shape: a fresh array
        _mix_all(h)
        return h[0] if scalar else h

    def uniform(self, stream: str, a, b=0, c=0) -> np.ndarray:
        """Uniforms in the open interval (0, 1)."""
        h = self.bits(stream, a, b, c)
        if np.ndim(h) == 0:
            return (float(h >> _S11) + 0.5) * _INV53
        h >>= _S11
        u = h.astype(np.float64)
        u += 0.5
        u *= _INV53
        return u

    def below(self, stream: str, p: float, a, b=0, c=0) -> np.ndarray:
        """``uniform(stream, a, b, c) < p`` for a scalar p, without the floats."""
        t = _uniform_threshold(float(p))
        h = self.bits(stream, a, b, c)
        return h < t if t is not None else np.ones(np.shape(h), dtype=bool)

    def hits(self, draws: list[tuple[str, float]], keys: np.ndarray) -> list[np.ndarray]:
        """For each (stream, p): the indices i with ``uniform(stream, keys[i]) < p``.

        One pass over the keys, block by block (keys * GOLDEN shared by all
        streams): the same draws as ``below`` at a fraction of the memory traffic.
        """
        keys = np.asarray(keys)
        n = keys.size
        out: list[list[np.ndarray]] = [[] for _ in draws]
        targets = [(self._key(stream), _uniform_threshold(float(p))) for stream, p in draws]
        kg = np.empty(min(n, _BLOCK), dtype=np.uint64)
        x = np.empty_like(kg)
        tmp = np.empty_like(kg)
        for start in range(0, n, _BLOCK):
            blk = keys[start : start + _BLOCK]
            m = blk.size
            g, xb, tb = kg[:m], x[:m], tmp[:m]
            g[...] = blk  # to uint64 (wrapping)
            g *= _GOLDEN
            for i, (key, threshold) in enumerate(targets):
                np.add(g, key, out=xb)
                _mix_inplace(xb, tb)
                _mix_inplace(xb, tb)
                if threshold is None:
                    out[i].append(np.arange(start, start + m))
                else:
                    hit = np.flatnonzero(xb < threshold)
                    if hit.size:
                        out[i].append(hit + start)
        return [np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64) for parts in out]

    def normal(self, stream: str, a, b=0, c=0) -> np.ndarray:
        u = self.uniform(stream, a, b, c)
        return ndtri(u, out=u) if isinstance(u, np.ndarray) else ndtri(u)

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


def _uniform_threshold(p: float) -> np.uint64 | None:
    """The bits h with ((h >> 11) + 0.5) * 2**-53 < p are exactly h < threshold (None: all)."""
    if p > 1.0:
        return None
    # smallest t (53-bit) with (t + 0.5) * 2**-53 >= p; the map is monotone in t
    lo, hi = 0, 1 << 53
    while lo < hi:
        mid = (lo + hi) // 2
        if (float(mid) + 0.5) * _INV53 >= p:
            hi = mid
        else:
            lo = mid + 1
    if lo >= 1 << 53:
        return None
    return np.uint64(lo << 11)


def gaussian_copula(z_account: np.ndarray, z_draw: np.ndarray, rho: float) -> np.ndarray:
    """Uniforms that share an account-level factor (marginally exactly uniform)."""
    return ndtr(rho * z_account + np.sqrt(1.0 - rho * rho) * z_draw)


def gaussian_copula_inplace(z_account: np.ndarray, z_draw: np.ndarray, rho: float) -> np.ndarray:
    """``gaussian_copula`` computed in the (float64) buffer of ``z_draw``, same values."""
    z_draw *= np.sqrt(1.0 - rho * rho)
    z_draw += rho * z_account
    return ndtr(z_draw, out=z_draw)


def quantile_function(quantiles, u: np.ndarray) -> np.ndarray:
    """Inverse CDF from a 41-point empirical quantile table, linear in between.

    Exactly ``np.interp(u, np.linspace(0, 1, len(q)), q)`` for u in [0, 1]:
    the same interval, the same slope formula (``slope * (u - x_j) + q_j``);
    at a grid point that gives q_j itself, as np.interp's special case does,
    because the table is non-decreasing (finite slopes). The interval is
    found arithmetically instead of by a binary search.
    """
    grid, fp, slope, steps = _quantile_table(tuple(quantiles))
    x = np.asarray(u, dtype=np.float64)
    if x.ndim == 0 or x.size == 0 or not (x.min() >= 0.0 and x.max() <= 1.0):  # NaN fails the test too
        return np.interp(x, grid[:-1], fp)
    j = (x * float(steps)).astype(np.int64)
    np.minimum(j, steps - 1, out=j)
    j -= x < grid[j]
    j += x >= grid[j + 1]  # now grid[j] <= x < grid[j + 1], or j = steps at x = 1
    r = x - grid[j]
    r *= slope[j]
    r += fp[j]
    return r


@cache
def _quantile_table(quantiles: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    fp = np.asarray(quantiles, dtype=np.float64)
    grid = np.linspace(0.0, 1.0, fp.size)
    slope = np.append((fp[1:] - fp[:-1]) / (grid[1:] - grid[:-1]), 0.0)  # np.interp's slopes
    if not (np.all(slope >= 0.0) and np.all(np.isfinite(slope))):
        raise ValueError("quantile tables must be non-decreasing")
    grid = np.append(grid, 2.0)  # grid[j + 1] exists for j = steps
    return grid, fp, slope, fp.size - 1
