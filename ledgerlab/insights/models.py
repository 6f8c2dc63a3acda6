"""Model summaries: headline metrics from reports/models/<task>/metrics.json, links to the cards."""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import plotly.graph_objects as go

from ledgerlab.insights.charts import OKABE_ITO, styled
from ledgerlab.insights.sections import Context, Finding, Section

TASKS = ("loan_default", "card_propensity", "card_default")
METRIC_NAMES = ("roc_auc", "gini", "pr_auc", "ks", "brier", "log_loss")


def _walk(obj: object, prefix: str = "") -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(_walk(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.append((prefix, float(obj)))
    return out


def headline_metrics(metrics: dict) -> dict[str, tuple[float, str]]:
    """metric name -> (value, path in metrics.json), preferring test/holdout figures over training ones."""
    found: dict[str, tuple[float, str, int]] = {}
    for path, value in _walk(metrics):
        leaf = path.rsplit(".", 1)[-1].lower()
        if leaf not in METRIC_NAMES or not math.isfinite(value):
            continue
        lower = path.lower()
        rank = (
            0
            if any(w in lower for w in ("test", "holdout", "out_of_time", "oot"))
            else (1 if any(w in lower for w in ("cv", "valid")) else 2)
        )
        if "train" in lower and rank == 2:
            rank = 3
        if any(w in lower for w in ("ci", "interval", "low", "high", "baseline")):
            continue
        if leaf not in found or rank < found[leaf][2]:
            found[leaf] = (value, path, rank)
    return {k: (v, p) for k, (v, p, _) in found.items()}


def _tasks(ctx: Context) -> list[str]:
    models_dir = ctx.reports_dir / "models"
    tasks = list(TASKS)
    if models_dir.is_dir():
        tasks += sorted(p.name for p in models_dir.iterdir() if p.is_dir() and p.name not in tasks)
    return tasks


def build(ctx: Context) -> Section:
    s = Section("models", "Model summaries")
    rows = []
    for task in _tasks(ctx):
        task_dir = ctx.reports_dir / "models" / task
        metrics_path, card_path = task_dir / "metrics.json", task_dir / "model_card.html"
        scores_table = f"scores_{task}"
        has_scores = ctx.warehouse.has("ml", scores_table)
        if not metrics_path.exists():
            s.note_missing(f"no model report for {task} yet — run `ledgerlab train --task {task}`")
            continue
        try:
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            s.note_missing(f"{metrics_path} could not be read: {exc}")
            continue
        head = headline_metrics(metrics)
        link = Path(os.path.relpath(card_path, ctx.out_dir)).as_posix()
        card = f'<a href="{html.escape(link)}">model card</a>' if card_path.exists() else "no card yet"
        n_scored = ctx.warehouse.scalar(f'select count(*) from ml."{scores_table}"') if has_scores else None
        metric_text = ", ".join(f"{k} {v:.3f}" for k, (v, _) in sorted(head.items())) or "no headline metrics found"
        selected = metrics.get("selected_model")
        evaluation = metrics.get("evaluation")
        how = evaluation.get("description") if isinstance(evaluation, dict) else evaluation
        if selected:
            metric_text = f"{selected}" + (f" ({how})" if how else "") + f": {metric_text}"
        rows.append((task, metric_text, f"{n_scored:,}" if n_scored is not None else "not scored yet", card))
        if not has_scores:
            s.note_missing(f"ml.{scores_table} is not in the warehouse yet — run `ledgerlab score --task {task}`")
        if "roc_auc" in head:
            auc = head["roc_auc"][0]
            s.findings.append(
                Finding(
                    f"The {task.replace('_', ' ')} model ranks cases with ROC AUC {auc:.2f} on data it was not "
                    f"trained on ({'0.5 = chance, 1 = perfect'}); details in its model card.",
                    f"model-{task}",
                    priority=38,
                )
            )
    if ctx.warehouse.has("ml", "scores_loan_default") and ctx.warehouse.has("marts", "loan_features"):
        _loan_deciles(ctx, s)
    if rows:
        body = "".join(
            f'<tr id="model-{html.escape(t)}"><td>{html.escape(t)}</td><td>{html.escape(m)}</td>'
            f'<td class="num">{html.escape(n)}</td><td>{c}</td></tr>'
            for t, m, n, c in rows
        )
        s.html(
            '<div class="table-wrap"><table><caption>Trained models</caption><thead><tr>'
            '<th>task</th><th>headline metrics (held-out data)</th><th class="num">rows scored</th>'
            f"<th>card</th></tr></thead><tbody>{body}</tbody></table>"
            '<p class="source">source: reports/models/&lt;task&gt;/metrics.json; ml.scores_&lt;task&gt;</p></div>'
        )
    return s


def _loan_deciles(ctx: Context, s: Section) -> None:
    """Observed default rate per score decile of the loan model, over its scoring population."""
    frame = ctx.warehouse.query(
        "select s.decile, count(*) as loans, avg(s.score) as mean_score, "
        "avg(case when f.is_default then 1.0 else 0.0 end) as observed "
        "from ml.scores_loan_default as s join marts.loan_features as f using (loan_id) group by s.decile order by 1"
    )
    if frame.height < 2:
        return
    fig = go.Figure()
    fig.add_bar(
        x=frame["decile"],
        y=100 * frame["observed"],
        name="observed default rate",
        marker_color=OKABE_ITO["blue"],
        hovertemplate="decile %{x}<br>observed %{y:.1f} %<extra></extra>",
    )
    fig.add_scatter(
        x=frame["decile"],
        y=100 * frame["mean_score"],
        name="mean predicted probability",
        mode="lines+markers",
        line=dict(color=OKABE_ITO["orange"], width=2.5),
        hovertemplate="decile %{x}<br>predicted %{y:.1f} %<extra></extra>",
    )
    styled(
        fig,
        title="Loan default model: predicted vs observed by score decile",
        x_title="score decile (1 = lowest risk)",
        y_title="default rate (%)",
        height=340,
    )
    low, high = frame.row(0, named=True), frame.row(-1, named=True)
    s.html(
        ctx.figures.block(
            fig,
            div_id="fig-model-deciles",
            caption=(
                f"Loans grouped by the model's score decile: {100 * low['observed']:.0f} % of the lowest-risk decile and "
                f"{100 * high['observed']:.0f} % of the highest-risk decile defaulted; the line is the mean predicted "
                f"probability, over the {frame['loans'].sum():,} scored loans: the task's scoring population, which the "
                "model card names (the latest cohort, not fitted on, unless the card says the out-of-time split was "
                "skipped); the card has the cross-validated and out-of-time figures."
            ),
            source="ml.scores_loan_default joined to marts.loan_features.is_default",
        )
    )
