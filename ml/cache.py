"""Reuse a task's fitted results when nothing that decides them has changed.

Training (nested repeated CV with a search per candidate, calibration, the
out-of-time refit, explanations) is deterministic: the same mart rows, the
same task configuration and the same code give the same models and figures.
So ``ml.train`` stores what it computed under a key made of

- the mart's rows (sorted by key) and the generator truth's, when there is one:
  every column that is not a float exactly (a hash of its text), and the float
  columns as numbers, equal within ``FLOAT_RTOL``. DuckDB's parallel sums are
  not bit-identical between two builds of the same raw files (the last digits
  of a mean or a standard deviation move: measured up to 1e-9 relative), so a
  hash of the floats would miss on every rebuild of unchanged data; a float
  that moved further than that is another mart, and a miss;
- the task as loaded (``repr`` of the frozen ``Task``: features, folds,
  search spaces, seeds, costs, ``extends`` already merged);
- the code: every ``ml/**/*.py`` file's bytes and the versions of the
  libraries that fit and score (scikit-learn, NumPy, SciPy, Polars, Python).

and, on the next run with an equal key, reuses it instead of fitting again.
Whatever differs gives another key, and a miss. One entry per task (the
latest) is kept in ``<home>/build/ml_cache/<task>.pkl``; an unreadable entry
is a miss. ``LEDGERLAB_ML_CACHE=0`` turns the cache off. The quality gate is
not part of the cached results: it is read on every run.

The entry is a pickle in the build folder, written by this project: it is
trusted like the build folder's other state (dbt's partial parse file is a
pickle-like msgpack of the same standing).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlab.core import config

CACHE_ENV = "LEDGERLAB_ML_CACHE"
ML_ROOT = Path(__file__).resolve().parent
LIBRARIES = ("scikit-learn", "numpy", "scipy", "polars")


def enabled() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def code_version(root: Path = ML_ROOT) -> str:
    """A hash of the ML code and of the library versions that fit and score."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}={metadata.version(library)};".encode())
    digest.update(f"python={platform.python_version()}".encode())
    return digest.hexdigest()


# Two float values of the same data agree within this relative difference (see the docstring).
FLOAT_RTOL = 1e-9


@dataclass(frozen=True)
class FrameContent:
    """A frame as the cache compares it: a hash of its exact part and its float columns."""

    exact: str  # sha256 of the column names and types, and of the text of the non-float columns
    floats: np.ndarray  # (rows, float columns), float64, rows in key order

    def same_floats(self, other: FrameContent) -> bool:
        return self.floats.shape == other.floats.shape and bool(
            np.allclose(self.floats, other.floats, rtol=FLOAT_RTOL, atol=0.0, equal_nan=True)
        )


def frame_content(df: pl.DataFrame, key: str | list[str]) -> FrameContent:
    """The frame sorted by ``key``, split into its exact part (hashed) and its float columns."""
    ordered = df.select(sorted(df.columns)).sort(key)
    float_columns = [c for c, t in ordered.schema.items() if t.is_float()]
    digest = hashlib.sha256(str(list(ordered.schema.items())).encode())
    digest.update(ordered.drop(float_columns).write_csv().encode("utf-8"))
    floats = (
        ordered.select(float_columns).to_numpy().astype(np.float64)
        if float_columns
        else np.empty((ordered.height, 0), dtype=np.float64)
    )
    return FrameContent(digest.hexdigest(), floats)


def cache_key(task_repr: str, mart: FrameContent, truth: FrameContent | None, code: str | None = None) -> str:
    """The key of one training: data (its exact part), task configuration and code."""
    parts = [mart.exact, truth.exact if truth else "no truth", task_repr, code or code_version()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def entry_path(task_name: str) -> Path:
    return config.paths().build / "ml_cache" / f"{task_name}.pkl"


def load(task_name: str, key: str, floats: tuple[FrameContent | None, ...] = ()) -> object | None:
    """The results stored under ``key`` for the task, or None (no entry, another key, floats that
    differ beyond ``FLOAT_RTOL``, unreadable)."""
    if not enabled():
        return None
    path = entry_path(task_name)
    try:
        with path.open("rb") as handle:
            entry = pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing, truncated or from incompatible code: fit again
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    stored = entry.get("floats", ())
    if len(stored) != len(floats):
        return None
    for then, now in zip(stored, floats, strict=True):
        if (then is None) != (now is None) or (now is not None and not now.same_floats(then)):
            return None
    return entry.get("payload")


def store(task_name: str, key: str, payload: object, floats: tuple[FrameContent | None, ...] = ()) -> Path | None:
    """Keep ``payload`` as the task's one entry (written to a temporary file, then renamed)."""
    if not enabled():
        return None
    path = entry_path(task_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with partial.open("wb") as handle:
        pickle.dump({"key": key, "floats": floats, "payload": payload}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return path
