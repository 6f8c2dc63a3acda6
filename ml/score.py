"""Score a task's scoring population with its latest model into ``ml.scores_<task>``, with drift checks.

The scoring population is the one the model's metadata records (``ml.population``):
the cohort after the out-of-time cut-off for loan_default (the deployed model was fitted
before it), the owners without a card at the data's end for card_propensity, or every
row. Drift therefore compares two different populations: the one the model was fitted
on and the one it is used on.

Before anything is scored the model file's SHA-256 is checked against its
metadata and the mart against the model's feature contract; either mismatch
is a one-line refusal. Deciles use the training population's score cut-offs
(decile 10 = highest scores), so a shift of the population shows as uneven
deciles, and the population stability index (PSI) of the score and the top
features is written to ``reports/models/<task>/drift.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import typer
from threadpoolctl import threadpool_limits

from ledgerlab.core import config
from ledgerlab.core.quality_gate import enforce_quality_gate
from ml import artifacts, data, drift, explain, population
from ml.errors import TaskSkipped
from ml.models import matrix_model
from ml.tasks import load_task


@dataclass
class ScoreResult:
    task: str
    model_version: str
    table: str
    rows: int
    drift: dict
    drift_path: Path
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        score = self.drift["score"]
        out = [
            f"{self.task}: scored {self.rows:,} rows ({self.drift['population']['description']}) "
            f"with {self.model_version} into {self.table}",
            f"score PSI vs training {score['psi']:.3f} ({score['level']}); features: "
            + ", ".join(f"{f['feature']} {f['psi']:.3f} ({f['level']})" for f in self.drift["features"]),
        ]
        alerts = [f["feature"] for f in self.drift["features"] if f["level"] != "ok"]
        if score["level"] != "ok" or alerts:
            out.append(
                f"drift {'alert' if 'alert' in (score['level'], *[f['level'] for f in self.drift['features']]) else 'warning'}: "
                f"check {', '.join((['score'] if score['level'] != 'ok' else []) + alerts)} "
                f"(PSI > {drift.WARN} warn, > {drift.ALERT} alert)"
            )
        out.extend(f"warning: {w}" for w in self.warnings)
        out.append(f"drift report {self.drift_path} ({self.seconds:.1f} s)")
        return out


def score_frame(model, metadata: dict, frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, np.ndarray, list[str]]:
    """Scores, deciles and reasons for mart rows; checks the feature contract first."""
    warnings = artifacts.check_contract(metadata["feature_contract"], frame, source)
    x = model.named_steps["features"].transform(frame)
    inner = matrix_model(model)
    with threadpool_limits(1):
        scores = np.asarray(inner.predict_proba(x)[:, 1], dtype=float)
        reasons = explain.reason_codes(inner, x, metadata["model_inputs"], metadata["reason_baselines"])
    decile = np.searchsorted(np.asarray(metadata["decile_edges"]), scores, side="right") + 1
    key = metadata["key"]
    out = pl.DataFrame({"score": scores, "decile": decile.astype(np.int32)})
    if key in frame.columns:
        out = out.insert_column(0, frame.get_column(key))
    out = pl.concat([out, explain.reasons_frame(reasons)], how="horizontal").with_columns(
        pl.lit(metadata["version"]).alias("model_version"),
        pl.lit(dt.datetime.now(dt.UTC).replace(tzinfo=None)).alias("scored_at"),
    )
    return out, x, warnings


def describe_population(chosen: dict, metadata: dict) -> str:
    kind = chosen.get("population", "all")
    if kind == "out_of_time":
        return f"the cohort from {chosen['cutoff']} on by {chosen['column']}, not used to fit the model"
    if kind == "unlabelled":
        return "rows whose outcome is not known yet, in the latest snapshot"
    return "every row of the mart"


def drift_report(metadata: dict, x: np.ndarray, scores: np.ndarray) -> dict:
    columns = metadata["model_inputs"]
    reference = metadata["reference_distributions"]
    score_psi = drift.psi_against(reference["score"], scores)
    features = []
    for name in metadata["top_features"]:
        psi = drift.psi_against(reference[name], x[:, columns.index(name)])
        features.append({"feature": name, "psi": psi, "level": drift.level(psi)})
    return {
        "score": {"psi": score_psi, "level": drift.level(score_psi)},
        "features": features,
        "thresholds": {"warn": drift.WARN, "alert": drift.ALERT},
    }


def score_task(task: str, *, allow_failed_quality: bool = False, warehouse_path: Path | None = None) -> ScoreResult:
    started = time.perf_counter()
    spec = load_task(task)
    status = enforce_quality_gate(warehouse_path, allow_failed_quality=allow_failed_quality)
    model, metadata = artifacts.load_model(spec.name)
    mart = data.read_mart(spec, warehouse_path)
    chosen = metadata.get("scoring_population") or {"population": "all"}
    rows = population.scoring_rows(spec, mart, chosen)
    described = describe_population(chosen, metadata)
    if rows.height == 0:
        raise TaskSkipped(f"{spec.name}: the scoring population ({described}) has no rows in {spec.mart}")
    scored, x, warnings = score_frame(model, metadata, rows, spec.mart)
    report = drift_report(metadata, x, scored.get_column("score").to_numpy())
    report.update(
        {
            "task": spec.name,
            "model_version": metadata["version"],
            "rows": scored.height,
            "population": {**chosen, "description": described, "rows": scored.height},
            "training_population": {"description": metadata.get("fitted_on", "all rows")},
            "scored_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quality_gate": status.as_metadata(allow_failed_quality),
            "decile_counts": scored.group_by("decile").len().sort("decile").to_dicts(),
        }
    )
    table = data.write_scores(spec, scored, warehouse_path)
    out_dir = config.paths().model_reports(spec.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    drift_path = out_dir / "drift.json"
    drift_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return ScoreResult(
        spec.name,
        metadata["version"],
        table,
        scored.height,
        report,
        drift_path,
        time.perf_counter() - started,
        warnings,
    )


app = typer.Typer(add_completion=False, help="Score a task's mart (python -m ml.score --task NAME).")


@app.command()
def main(
    task: str = typer.Option("loan_default", help="Task name (a YAML file in ml/tasks/)."),
    allow_failed_quality: bool = typer.Option(False, help="Score despite blocking quality failures."),
) -> None:
    from ml.cli import run_command

    run_command(lambda: score_task(task, allow_failed_quality=allow_failed_quality).lines())


if __name__ == "__main__":
    app()
