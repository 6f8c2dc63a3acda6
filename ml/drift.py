"""Population stability: does the scored population look like the one the model learnt from?

At training time ``reference_distribution`` stores bin edges (deciles of the
training values; categories for text) and the training proportions; at
scoring time ``psi_against`` bins the new values the same way. PSI below 0.1
is stable, 0.1-0.25 a warning, above 0.25 an alert (the usual bank bands).
Missing values are a bin of their own.
"""

from __future__ import annotations

import numpy as np

from ml.evaluate import population_stability_index

WARN = 0.1
ALERT = 0.25


def level(psi: float) -> str:
    return "alert" if psi > ALERT else ("warn" if psi > WARN else "ok")


def _numeric_counts(values: np.ndarray, edges: list[float]) -> list[float]:
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    # inner edges only: bins (-inf, e1], (e1, e2], ..., (ek, inf)
    idx = np.searchsorted(np.asarray(edges, dtype=float), values[~missing], side="left")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float).tolist()
    return [*counts, float(missing.sum())]


def reference_distribution(values: np.ndarray, *, categorical: bool = False, bins: int = 10) -> dict:
    if categorical:
        labels, counts = np.unique(np.asarray(values).astype(str), return_counts=True)
        total = counts.sum()
        return {"kind": "categorical", "categories": labels.tolist(), "proportions": (counts / total).tolist()}
    numbers = np.asarray(values, dtype=float)
    finite = numbers[~np.isnan(numbers)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])).tolist() if finite.size else []
    counts = np.asarray(_numeric_counts(numbers, edges))
    return {"kind": "numeric", "edges": edges, "proportions": (counts / counts.sum()).tolist()}


def psi_against(reference: dict, values: np.ndarray) -> float:
    if reference["kind"] == "categorical":
        labels = np.asarray(values).astype(str)
        known = reference["categories"]
        counts = [float(np.sum(labels == c)) for c in known]
        counts.append(float(np.sum(~np.isin(labels, known))))  # categories new since training
        expected = [*reference["proportions"], 0.0]
        return population_stability_index(np.asarray(expected), np.asarray(counts))
    counts = _numeric_counts(values, reference["edges"])
    return population_stability_index(np.asarray(reference["proportions"]), np.asarray(counts))
