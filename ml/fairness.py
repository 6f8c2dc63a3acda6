"""Group metrics by protected attributes (sex, age band) at the decision threshold.

For each group: size, outcome rate, selection rate (share flagged at the
threshold), true- and false-positive rates, ROC AUC; and each rate's ratio to
the reference group. The "four-fifths" convention reads a selection-rate
ratio outside 0.8-1.25 as a disparity worth investigating (not proof of
unfairness: groups can differ in their outcome rates).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml.evaluate import roc_auc

FOUR_FIFTHS = (0.8, 1.25)


def _rate(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator else None


def _ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0:
        return None
    return float(value / reference)


def group_metrics(
    y: np.ndarray, p: np.ndarray, groups: Sequence, threshold: float, reference: str | None = None, min_group: int = 10
) -> dict:
    """Metrics per group value (NULL shown as 'unknown'); reference defaults to the largest group."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    labels = np.array(["unknown" if g is None else str(g) for g in groups], dtype=object)
    flagged = p >= threshold
    table: dict[str, dict] = {}
    for value in sorted(set(labels.tolist())):
        mask = labels == value
        yg, fg = y[mask], flagged[mask]
        pos, neg = yg.sum(), (1 - yg).sum()
        table[value] = {
            "n": int(mask.sum()),
            "outcome_rate": _rate(yg.sum(), mask.sum()),
            "selection_rate": _rate(fg.sum(), mask.sum()),
            "tpr": _rate((fg & (yg == 1)).sum(), pos),
            "fpr": _rate((fg & (yg == 0)).sum(), neg),
            "roc_auc": (roc_auc(yg, p[mask]) if pos and neg and mask.sum() >= min_group else None),
            "mean_score": float(p[mask].mean()),
        }
    if reference is None or reference not in table:
        reference = max(table, key=lambda k: table[k]["n"])
    ref = table[reference]
    for row in table.values():
        for metric in ("selection_rate", "tpr", "fpr"):
            row[f"{metric}_ratio"] = _ratio(row[metric], ref[metric])
    return {"reference": reference, "groups": table}


def reading(attribute: str, result: dict) -> str:
    """One plain-language sentence per attribute for the model card."""
    ref = result["reference"]
    flagged = []
    for name, row in result["groups"].items():
        ratio = row.get("selection_rate_ratio")
        if name == ref or ratio is None or row["n"] < 30:
            continue
        if not FOUR_FIFTHS[0] <= ratio <= FOUR_FIFTHS[1]:
            flagged.append(
                f"{name} ({ratio:.2f}x, outcome rate {row['outcome_rate']:.1%} vs "
                f"{result['groups'][ref]['outcome_rate']:.1%})"
            )
    if not flagged:
        return (
            f"By {attribute}: every group of 30 or more is flagged at between 0.8 and 1.25 times the "
            f"rate of the reference group '{ref}'; no disparity by the four-fifths convention."
        )
    return (
        f"By {attribute}: flagged at a rate outside 0.8-1.25 times the reference group '{ref}': "
        + "; ".join(flagged)
        + ". Check whether the difference follows the groups' different outcome rates "
        "(then it is what the model is for) or a proxy effect."
    )


def fairness_report(y, p, attributes: dict[str, Sequence], threshold: float, references: dict[str, str]) -> dict:
    out = {}
    for attribute, groups in attributes.items():
        result = group_metrics(y, p, groups, threshold, references.get(attribute))
        result["reading"] = reading(attribute, result)
        out[attribute] = result
    return out
