"""Hand-off of trained models: versioned folders, hashes, feature contracts, the inventory.

``models/<task>/<version>/`` holds ``model.joblib`` (the whole pipeline),
``metadata.json`` (its SHA-256, feature contract, training-data fingerprint,
library versions, git commit, quality-gate status, metrics summary, the
reference distributions for drift) and ``metrics.json``.
``models/<task>/latest`` is a small JSON file naming the current version.
``models/inventory.json`` lists every version of every task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import joblib
import polars as pl

from ledgerlab.core import config
from ledgerlab.core.config import REPO_ROOT
from ml.errors import FeatureError, ModelIntegrityError, NoTrainedModel

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
LATEST_FILE = "latest"
INVENTORY_FILE = "inventory.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def library_versions() -> dict[str, str]:
    import duckdb
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "polars": pl.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "duckdb": duckdb.__version__,
        "joblib": joblib.__version__,
    }


def new_version(fingerprint: str, now: dt.datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSS-<first 8 hex of the training-data fingerprint>`` (UTC)."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{fingerprint[:8]}"


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "string"
    if dtype.is_temporal():
        return "temporal"
    return str(dtype)


def feature_contract(mart: pl.DataFrame, inputs: list[str], categorical: list[str]) -> dict:
    """Names, dtypes and (for categories) allowed values of the mart columns the model reads."""
    columns = []
    for name in inputs:
        dtype = mart.schema[name]
        entry = {"name": name, "dtype": str(dtype), "kind": _kind(dtype)}
        if name in categorical:
            entry["allowed_values"] = sorted(str(v) for v in mart.get_column(name).drop_nulls().unique())
        columns.append(entry)
    return {"columns": columns}


def _compatible(trained: str, given: str) -> bool:
    numeric_like = {"numeric", "boolean"}
    if trained in numeric_like and given in numeric_like:
        return True
    return trained == given


def check_contract(contract: dict, frame: pl.DataFrame, source: str) -> list[str]:
    """Refuse (FeatureError) a frame missing a column or with an incompatible type; return warnings
    for categories the model never saw (they are scored as 'no category')."""
    missing = [c["name"] for c in contract["columns"] if c["name"] not in frame.columns]
    if missing:
        raise FeatureError(
            f"{source} does not match the model's feature contract: missing column(s) {', '.join(missing)}"
        )
    wrong = []
    warnings = []
    for column in contract["columns"]:
        given = _kind(frame.schema[column["name"]])
        if frame.get_column(column["name"]).null_count() == frame.height:
            continue  # an all-NULL column has no type to check; imputation handles it
        if not _compatible(column["kind"], given):
            wrong.append(f"{column['name']} is {frame.schema[column['name']]} (trained on {column['dtype']})")
        if "allowed_values" in column:
            seen = {str(v) for v in frame.get_column(column["name"]).drop_nulls().unique()}
            unseen = sorted(seen - set(column["allowed_values"]))
            if unseen:
                warnings.append(f"{column['name']}: values unseen in training {unseen[:5]}")
    if wrong:
        raise FeatureError(f"{source} does not match the model's feature contract: {'; '.join(wrong)}")
    return warnings


@dataclass(frozen=True)
class SavedModel:
    task: str
    version: str
    folder: Path
    model_path: Path
    sha256: str


def save_model(task: str, version: str, model, metadata: dict, models_dir: Path | None = None) -> SavedModel:
    models_dir = models_dir or config.paths().models
    folder = models_dir / task / version
    suffix = 1
    while folder.exists():  # two runs in the same second on the same data
        suffix += 1
        folder = models_dir / task / f"{version}.{suffix}"
    version = folder.name
    folder.mkdir(parents=True)
    model_path = folder / MODEL_FILE
    joblib.dump(model, model_path, compress=3)
    digest = sha256_file(model_path)
    metadata = {**metadata, "version": version, "model_file": MODEL_FILE, "model_sha256": digest}
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str), encoding="utf-8")
    (models_dir / task / LATEST_FILE).write_text(
        json.dumps({"task": task, "version": version, "path": str(folder), "model_sha256": digest}, indent=2),
        encoding="utf-8",
    )
    write_inventory(models_dir)
    return SavedModel(task, version, folder, model_path, digest)


def write_metrics(metrics: dict, model_folder: Path, report_dir: Path) -> Path:
    """metrics.json, the same bytes in the model's folder and in its report folder; returns the latter."""
    text = json.dumps(metrics, indent=2, default=str)
    report_dir.mkdir(parents=True, exist_ok=True)
    for folder in (model_folder, report_dir):
        (folder / "metrics.json").write_text(text, encoding="utf-8")
    return report_dir / "metrics.json"


def latest_version(task: str, models_dir: Path | None = None) -> dict:
    models_dir = models_dir or config.paths().models
    pointer = models_dir / task / LATEST_FILE
    if not pointer.is_file():
        raise NoTrainedModel(
            f"no trained model for task {task!r} in {models_dir} (run `ledgerlab train --task {task}`)"
        )
    return json.loads(pointer.read_text(encoding="utf-8"))


def load_model(task: str, models_dir: Path | None = None) -> tuple[object, dict]:
    """The latest model and its metadata, after checking the file's SHA-256 against both records."""
    models_dir = models_dir or config.paths().models
    pointer = latest_version(task, models_dir)
    folder = models_dir / task / pointer["version"]
    metadata_path = folder / METADATA_FILE
    if not metadata_path.is_file():
        raise ModelIntegrityError(f"{metadata_path} is missing: the model folder is incomplete")
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    model_path = folder / metadata.get("model_file", MODEL_FILE)
    if not model_path.is_file():
        raise ModelIntegrityError(f"{model_path} is missing")
    actual = sha256_file(model_path)
    expected = {metadata.get("model_sha256"), pointer.get("model_sha256")}
    if expected != {actual}:
        raise ModelIntegrityError(
            f"refusing to load {model_path}: its SHA-256 {actual[:12]}… does not match the recorded "
            f"{metadata.get('model_sha256', '?')[:12]}… (file changed after training; retrain or restore it)"
        )
    return joblib.load(model_path), metadata


def write_inventory(models_dir: Path | None = None) -> Path:
    """Rebuild ``inventory.json`` from every ``metadata.json`` under ``models_dir``."""
    models_dir = models_dir or config.paths().models
    entries = []
    for metadata_path in sorted(models_dir.glob(f"*/*/{METADATA_FILE}")):
        try:
            meta = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        entries.append(
            {
                "task": meta.get("task"),
                "version": meta.get("version"),
                "created": meta.get("created_at"),
                "selected_model": meta.get("selected_model"),
                "metrics": meta.get("metrics_summary", {}),
                "path": str(metadata_path.parent),
                "sha256": meta.get("model_sha256"),
                "data_fingerprint": meta.get("training_data", {}).get("fingerprint"),
                "git_commit": meta.get("git_commit"),
            }
        )
    latest = {}
    for task_dir in sorted(p for p in models_dir.glob("*") if (p / LATEST_FILE).is_file()):
        latest[task_dir.name] = json.loads((task_dir / LATEST_FILE).read_text(encoding="utf-8"))["version"]
    path = models_dir / INVENTORY_FILE
    path.write_text(json.dumps({"latest": latest, "models": entries}, indent=2), encoding="utf-8")
    return path
