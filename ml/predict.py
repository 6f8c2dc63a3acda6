"""Score a CSV or Parquet file of mart rows with a task's latest model.

Writes the scores, deciles and reason codes beside the input
(``<name>.scores.<ext>``) or to ``output_path``; same checks as scoring the
warehouse (model hash, feature contract).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ml import artifacts, data
from ml.score import score_frame
from ml.tasks import load_task


def predict_file(task: str, input_path: Path, output_path: Path | None = None) -> Path:
    spec = load_task(task)
    input_path = Path(input_path)
    model, metadata = artifacts.load_model(spec.name)
    frame = data.read_frame_file(input_path)
    scored, _, _ = score_frame(model, metadata, frame, str(input_path))
    if output_path is None:
        output_path = input_path.with_name(f"{input_path.stem}.scores{input_path.suffix.lower()}")
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if output_path.suffix.lower() == ".parquet":
        scored.write_parquet(output_path)
    else:
        scored.write_csv(output_path)
    return output_path


app = typer.Typer(add_completion=False, help="Score a file of mart rows (python -m ml.predict).")


@app.command()
def main(
    task: str = typer.Option("loan_default", help="Task name (a YAML file in ml/tasks/)."),
    input_path: Path = typer.Option(..., "--input", "-i", help="CSV or Parquet of mart rows."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write the scores."),
) -> None:
    from ml.cli import run_command

    run_command(lambda: [f"scores written to {predict_file(task, input_path, output)}"])


if __name__ == "__main__":
    app()
