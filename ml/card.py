"""Model cards: one self-contained HTML page and one Markdown page per trained model.

The HTML's figures are static inline SVG (``ml.svg``): no script and no network, so
it opens on an air-gapped machine and stays small (tens of kB, where an inlined
plotly.js made each card 4.9 MB). Colours are the Okabe-Ito palette (safe for
colour-blind readers); every axis is labelled.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup

from ml import svg
from ml.tasks import Task

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
MODEL_COLOUR, ORACLE_COLOUR, REFERENCE_COLOUR = OKABE_ITO["blue"], OKABE_ITO["orange"], "#888888"
OOT_COLOUR = OKABE_ITO["vermillion"]

NO_HISTORY_NOTE_SHARE = 0.5


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(interval, digits: int = 3) -> str:
    if not interval or interval[0] is None:
        return "n/a"
    return f"{interval[0]:.{digits}f}–{interval[1]:.{digits}f}"


def _curve_pair(
    model: dict, oracle: dict | None, key: str, xs: str, ys: str, label: str, oracle_label: str
) -> list[svg.Series]:
    out = [svg.Series(label, model[key][xs], model[key][ys], MODEL_COLOUR)]
    if oracle:
        out.append(svg.Series(oracle_label, oracle[key][xs], oracle[key][ys], ORACLE_COLOUR, dash="6 4"))
    return out


def figures(metrics: dict, plots: dict) -> list[str]:
    """The card's charts as inline SVG strings (``ml.svg``): no script, a few kB each."""
    model, oracle = plots["model"], plots.get("oracle")
    out = []
    chance = svg.Series("chance", [0, 1], [0, 1], REFERENCE_COLOUR, dash="2 4")
    roc = _curve_pair(
        model,
        oracle,
        "roc",
        "fpr",
        "tpr",
        f"model (AUC {metrics['roc_auc']:.3f})",
        f"oracle (AUC {_fmt(metrics['oracle_roc_auc'])})",
    )
    out.append(svg.line_chart([chance, *roc], "ROC curve", "False positive rate", "True positive rate", (0, 1), (0, 1)))

    pr = _curve_pair(model, oracle, "pr", "recall", "precision", f"model (PR AUC {metrics['pr_auc']:.3f})", "oracle")
    prevalence = svg.Series(
        f"prevalence ({metrics['prevalence']:.3f})", [0, 1], [metrics["prevalence"]] * 2, REFERENCE_COLOUR, dash="2 4"
    )
    out.append(svg.line_chart([*pr, prevalence], "Precision-recall curve", "Recall", "Precision", (0, 1), (0, 1)))

    curve = metrics["calibration_curve"]
    series = [
        svg.Series(
            f"model, cross-validated (slope {_fmt(metrics['calibration_slope'], 2)})",
            curve["mean_predicted"],
            curve["observed_rate"],
            MODEL_COLOUR,
            markers=True,
        )
    ]
    tops = [*curve["mean_predicted"], *curve["observed_rate"], 0.05]
    oot = metrics.get("out_of_time") or {}
    if oot.get("calibration_curve"):
        oc = oot["calibration_curve"]
        series.append(
            svg.Series(
                f"model, out of time (slope {_fmt(oot['calibration_slope'], 2)})",
                oc["mean_predicted"],
                oc["observed_rate"],
                OOT_COLOUR,
                dash="6 3",
                markers=True,
            )
        )
        tops += [*oc["mean_predicted"], *oc["observed_rate"]]
    if metrics.get("oracle"):
        oc = metrics["oracle"]["calibration_curve"]
        series.append(
            svg.Series("oracle", oc["mean_predicted"], oc["observed_rate"], ORACLE_COLOUR, dash="6 4", markers=True)
        )
        tops += [*oc["mean_predicted"], *oc["observed_rate"]]
    top = min(max(v for v in tops if v is not None) * 1.05, 1.0)
    series.insert(0, svg.Series("perfect calibration", [0, top], [0, top], REFERENCE_COLOUR, dash="2 4"))
    out.append(
        svg.line_chart(
            series,
            "Calibration (deciles of the score)",
            "Mean predicted probability",
            "Observed rate",
            (0, top),
            (0, top),
        )
    )

    importance = metrics["explanations"]["permutation_importance"][:12]
    out.append(
        svg.bar_chart_horizontal(
            [r["feature"] for r in importance],
            [r["auc_drop"] for r in importance],
            [r["sd_across_folds"] or 0.0 for r in importance],
            "Permutation importance (out of sample)",
            "Drop in ROC AUC when shuffled (± sd across folds)",
            OKABE_ITO["green"],
        )
    )

    hist = model["score_hist"]
    out.append(
        svg.stacked_histogram(
            hist["edges"],
            [
                ("outcome 0", hist["negatives"], OKABE_ITO["sky_blue"]),
                ("outcome 1", hist["positives"], OKABE_ITO["vermillion"]),
            ],
            "Score distribution (evaluation rows)",
            "Predicted probability",
            "Rows",
            marker=(metrics["threshold"], "cost threshold"),
        )
    )

    colours = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["purple"]]
    for i, pd_ in enumerate(metrics["explanations"]["partial_dependence"]):
        out.append(
            svg.line_chart(
                [svg.Series(pd_["feature"], pd_["grid"], pd_["average_prediction"], colours[i % 3], markers=True)],
                f"Partial dependence: {pd_['feature']}",
                pd_["feature"],
                "Average predicted probability",
            )
        )
    return out


def context(task: Task, metrics: dict) -> dict:
    data = metrics["data"]
    notes = list(task.notes)
    no_history = data.get("rows_without_history")
    if no_history is not None and data["rows"] and no_history / data["rows"] > NO_HISTORY_NOTE_SHARE:
        notes.insert(
            0,
            f"Most rows ({no_history:,} of {data['rows']:,}, {no_history / data['rows']:.0%}) have "
            "no transaction history before their as-of date: their history features are "
            "missing and imputed, so the model leans on loan terms, district and account "
            "attributes. (The real Berka transactions provided end in March 1994.)",
        )
    return {
        "task": task,
        "m": metrics,
        "fmt": _fmt,
        "ci": _ci,
        "notes": notes,
        "span": _span,
        "population_text": _population_text(metrics["deployed_model"]["scoring_population"]),
        "deployment_limitation": _deployment_limitation(metrics),
        "no_history_share": (no_history / data["rows"]) if no_history is not None and data["rows"] else None,
    }


def _span(dates) -> str:
    if not dates:
        return "n/a"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} … {dates[-1]}"


def _population_text(population: dict) -> str:
    kind = population.get("population", "all")
    if kind == "out_of_time":
        return (
            f"the later cohort ({population['column']} from {population['cutoff']} on), which the "
            "deployed model was not fitted on"
        )
    if kind == "unlabelled":
        return "the rows whose outcome is not known yet, in the latest snapshot"
    return "every row of the mart" + (f" ({population['note']})" if population.get("note") else "")


def _deployment_limitation(metrics: dict) -> str:
    oot = metrics.get("out_of_time") or {}
    if metrics["deployed_model"]["scoring_population"].get("population") == "out_of_time":
        return (
            "The deployed model is the one fitted before the out-of-time cut-off: the out-of-time figures "
            "are its own performance on the cohort it scores; it has not learnt from that cohort."
        )
    if oot and "skipped" not in oot:
        return (
            "The deployed model is refitted on every development row; the out-of-time figures measure the "
            "same recipe fitted on an earlier period, not the deployed model itself."
        )
    if metrics["evaluation"]["strategy"] == "time_holdout":
        return (
            "Measured on the latest quarter of the data, then refitted on all rows: the deployed model has "
            "not itself been tested on unseen data."
        )
    return (
        "Cross-validated on one period: performance over time is not measured; the deployed model is "
        "refitted on all rows."
    )


HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Model card: {{ task.name }} {{ m.model_version }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1180px; margin: 2em auto; color: #111; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #bbb; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eee; text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; }
.note { background: #fff6dd; border-left: 4px solid #E69F00; padding: 6px 10px; }
.warn { background: #fde8e0; border-left: 4px solid #D55E00; padding: 6px 10px; }
.ok { background: #e6f4ee; border-left: 4px solid #009E73; padding: 6px 10px; }
table.kv td { text-align: left; }
.grid > div { border: 1px solid #ddd; border-radius: 4px; }
.grid svg { display: block; max-width: 100%; height: auto; }
code { background: #f3f3f3; padding: 0 3px; }
</style></head><body>
<h1>Model card — {{ task.name }}</h1>
<p>Version <code>{{ m.model_version }}</code>, trained {{ m.created_at }}; selected model
<b>{{ m.selected_model }}</b>{% if m.calibration.used %} (recalibrated: {{ m.calibration.method }}){% endif %}.
Model file SHA-256 <code>{{ m.model_sha256 }}</code>.</p>

<h2>Purpose and intended use</h2>
<p>{{ task.description }}</p>
<p>The score is the {{ task.score_meaning }}. Intended use: ranking and decision support by trained
staff, with the reason codes shown beside each score and a human able to override. Not intended for
fully automated refusals, for populations unlike the training data (see Data), or for pricing.</p>
{% for n in notes %}<p class="note">{{ n }}</p>{% endfor %}

<h2>Data</h2>
<table class="kv">
<tr><th>item</th><th>value</th></tr>
<tr><td>Source</td><td><code>{{ m.data.mart }}</code></td></tr>
<tr><td>Labelled rows / positives</td><td>{{ "{:,}".format(m.data.rows) }} / {{ "{:,}".format(m.data.positives) }} ({{ fmt(m.prevalence * 100, 1) }} % in evaluation rows)</td></tr>
<tr><td>Date range</td><td>{{ m.data.date_range | join(" … ") if m.data.date_range else "one snapshot (no date column)" }}</td></tr>
{% if no_history_share is not none %}<tr><td>Rows without transaction history</td><td>{{ "{:,}".format(m.data.rows_without_history) }} ({{ fmt(no_history_share * 100, 0) }} %)</td></tr>{% endif %}
<tr><td>Evaluation</td><td>{{ m.evaluation.description }}; train {{ "{:,}".format(m.n_train) }}, evaluated {{ "{:,}".format(m.n_test) }}</td></tr>
{% if m.data.snapshot %}<tr><td>Snapshot (as-of date) of these rows</td><td>{{ m.data.snapshot }}</td></tr>{% endif %}
<tr><td>Deployed model fitted on</td><td>{{ m.deployed_model.fitted_on }}</td></tr>
<tr><td>Scoring population</td><td>{{ population_text }}</td></tr>
<tr><td>Generated data with known truth</td><td>{{ "yes" if m.data.has_truth else "no (real data)" }}</td></tr>
<tr><td>Quality gate</td><td>{{ m.quality_gate.status }}{% if m.quality_gate.allow_failed_quality %} (failures explicitly allowed){% endif %}</td></tr>
<tr><td>Training-data fingerprint</td><td><code>{{ m.data.fingerprint[:16] }}…</code></td></tr>
</table>

<h2>Assumptions</h2>
<ul>
<li>Each row is as of its decision date: the mart uses only data dated before it (point in time), and the
derived features use only columns of the same row.</li>
<li>Error costs: a missed positive costs {{ m.costs.cost_fn }}, a false alarm {{ m.costs.cost_fp }}; the decision
threshold {{ fmt(m.threshold, 4) }} minimises expected cost on the evaluation rows (with calibrated scores the
optimum would be {{ fmt(m.costs.bayes_threshold_if_calibrated, 3) }}).</li>
<li>Future applicants resemble the training population (monitored by the population stability index at scoring).</li>
</ul>

<h2>Features</h2>
<p><b>Numeric</b>: {{ task.numeric | join(", ") }}.<br><b>Binary</b>: {{ task.binary | join(", ") or "none" }}.<br>
<b>Categorical</b>: {{ task.categorical | join(", ") or "none" }}.<br>Derived in Polars by:
{{ task.feature_steps | join(", ") }}. Fairness attributes ({{ task.fairness_attributes | join(", ") }}) are
reported on, not used as inputs{% if "age" in task.numeric or "owner_age_at_loan" in task.numeric %} (age in years is an input){% endif %}.</p>

<h2>Performance (selected model, {{ m.evaluation.description }})</h2>
<table>
<tr><th>metric</th><th>value</th><th>95 % bootstrap interval</th>{% if m.oracle %}<th>oracle (true probabilities)</th>{% endif %}</tr>
{% for key, label in [("roc_auc","ROC AUC"),("gini","Gini"),("ks","KS"),("pr_auc","PR AUC"),("brier","Brier score")] %}
<tr><td>{{ label }}</td><td>{{ fmt(m[key]) }}</td><td>{{ ci(m[key ~ "_ci"]) }}</td>{% if m.oracle %}<td>{{ fmt(m.oracle[key]) }}</td>{% endif %}</tr>
{% endfor %}
<tr><td>Log loss</td><td>{{ fmt(m.log_loss) }}</td><td></td>{% if m.oracle %}<td>{{ fmt(m.oracle.log_loss) }}</td>{% endif %}</tr>
<tr><td>Calibration slope (ideal 1)</td><td>{{ fmt(m.calibration_slope) }}</td><td></td>{% if m.oracle %}<td>{{ fmt(m.oracle.calibration_slope) }}</td>{% endif %}</tr>
<tr><td>Calibration intercept (ideal 0)</td><td>{{ fmt(m.calibration_intercept) }}</td><td></td>{% if m.oracle %}<td>{{ fmt(m.oracle.calibration_intercept) }}</td>{% endif %}</tr>
<tr><td>Accuracy at 0.5</td><td>{{ fmt(m.accuracy_at_0_5) }}</td><td></td>{% if m.oracle %}<td>{{ fmt(m.oracle.accuracy_at_0_5) }}</td>{% endif %}</tr>
</table>
{% if m.auc_to_oracle %}<p>Model ROC AUC is <b>{{ fmt(m.auc_to_oracle.ratio) }}</b> × the oracle's on the same
{{ "{:,}".format(m.auc_to_oracle.n) }} rows (95 % paired-bootstrap interval {{ ci(m.auc_to_oracle.ci) }}).</p>{% endif %}
<p>Fold ROC AUC: mean {{ fmt(m.fold_roc_auc.mean) }}, sd {{ fmt(m.fold_roc_auc.sd) }} over {{ m.fold_roc_auc["values"] | length }} fold(s).
Confusion matrix at the cost threshold {{ fmt(m.threshold, 4) }}: TP {{ m.confusion_matrix.tp }}, FP {{ m.confusion_matrix.fp }},
FN {{ m.confusion_matrix.fn }}, TN {{ m.confusion_matrix.tn }}.
{% if m.calibration.checked %}Calibration check ({{ m.calibration.method }} CalibratedClassifierCV): Brier {{ fmt(m.calibration.brier_uncalibrated, 4) }}
uncalibrated vs {{ fmt(m.calibration.brier_calibrated, 4) }} calibrated — {{ "recalibrated model used" if m.calibration.used else "kept uncalibrated (no clear gain)" }}.{% endif %}</p>


{% if m.out_of_time %}{% set o = m.out_of_time %}
<h2>Out-of-time validation</h2>
{% if o.skipped is defined %}<p class="note">No out-of-time figure: {{ o.skipped }}.</p>
{% else %}
<p>The selected recipe ({{ m.selected_model }}{% if m.calibration.used %}, recalibrated{% endif %}), tuned again on the
earlier cohort only, was fitted on the {{ "{:,}".format(o.n_train) }} rows with <code>{{ o.column }}</code> before
{{ o.cutoff }} ({{ span(o.train_range) }}) and evaluated on the {{ "{:,}".format(o.n) }} later rows
({{ span(o.evaluate_range) }}). This is how the model would have done had it been deployed at the
cut-off; cross-validation mixes the periods.</p>
<table>
<tr><th>metric</th><th>cross-validation</th><th>out of time</th><th>95 % interval (out of time)</th></tr>
{% for key, label, d in [("roc_auc","ROC AUC",3),("pr_auc","PR AUC",3),("brier","Brier score",4)] %}
<tr><td>{{ label }}</td><td>{{ fmt(m[key], d) }}</td><td>{{ fmt(o[key], d) }}</td><td>{{ ci(o[key ~ "_ci"], d) }}</td></tr>
{% endfor %}
<tr><td>Calibration slope (ideal 1)</td><td>{{ fmt(m.calibration_slope) }}</td><td>{{ fmt(o.calibration_slope) }}</td><td></td></tr>
<tr><td>Calibration intercept (ideal 0)</td><td>{{ fmt(m.calibration_intercept) }}</td><td>{{ fmt(o.calibration_intercept) }}</td><td></td></tr>
<tr><td>Evaluated rows / positive rate</td><td>{{ "{:,}".format(m.n_test) }} / {{ fmt(m.prevalence * 100, 1) }} %</td><td>{{ "{:,}".format(o.n) }} / {{ fmt(o.prevalence * 100, 1) }} %</td><td></td></tr>
<tr><td>Fitted on rows / positive rate</td><td>{{ "{:,}".format(m.n_train) }} (cross-validation)</td><td>{{ "{:,}".format(o.n_train) }} / {{ fmt(o.positives_train / o.n_train * 100, 1) }} %</td><td></td></tr>
</table>
{% for w in o.warnings %}<p class="warn"><b>Warning:</b> {{ w }}.</p>{% endfor %}
{% if not o.warnings %}<p class="ok">The out-of-time ROC AUC is within {{ o.auc_gap_warn }} of the cross-validated
one and the calibration slope stays near 1: no sign that the later cohort behaves differently.</p>{% endif %}
{% endif %}{% endif %}

<h3>All candidates</h3>
<table><tr><th>candidate</th><th>ROC AUC</th><th>95 % interval</th><th>PR AUC</th><th>Brier</th><th>KS</th><th>calibration slope</th><th>seconds</th></tr>
{% for name, c in m.candidates.items() %}<tr><td>{{ name }}{% if name == m.selected_model %} (selected){% endif %}</td><td>{{ fmt(c.roc_auc) }}</td><td>{{ ci(c.roc_auc_ci) }}</td>
<td>{{ fmt(c.pr_auc) }}</td><td>{{ fmt(c.brier, 4) }}</td><td>{{ fmt(c.ks) }}</td><td>{{ fmt(c.calibration_slope) }}</td><td>{{ c.seconds }}</td></tr>{% endfor %}
</table>
<p>Selection rule: {{ m.evaluation.selection_rule }}.</p>

<h2>Plots</h2>
<div class="grid">{% for f in figure_html %}<div>{{ f }}</div>{% endfor %}</div>

<h2>Explanations</h2>
<p>Per decision, each scored row gets up to three reason codes: the inputs whose replacement by their
typical (training median or most common) value would lower the score most, in log-odds.</p>
{% if m.explanations.odds_ratios %}<h3>Logistic model: odds ratios (per standard deviation for numbers)</h3>
<table><tr><th>feature</th><th>coefficient</th><th>odds ratio</th></tr>
{% for r in m.explanations.odds_ratios[:12] %}<tr><td>{{ r.feature }}</td><td>{{ fmt(r.coefficient) }}</td><td>{{ fmt(r.odds_ratio) }}</td></tr>{% endfor %}
</table>{% endif %}

<h2>Fairness</h2>
{% for attribute, f in m.fairness.items() %}
<h3>By {{ attribute }} (reference group: {{ f.reference }})</h3>
<p>{{ f.reading }}</p>
<table><tr><th>group</th><th>n</th><th>outcome rate</th><th>selection rate</th><th>ratio</th><th>TPR</th><th>TPR ratio</th><th>FPR</th><th>FPR ratio</th><th>ROC AUC</th></tr>
{% for g, r in f.groups.items() %}<tr><td>{{ g }}</td><td>{{ r.n }}</td><td>{{ fmt(r.outcome_rate) }}</td><td>{{ fmt(r.selection_rate) }}</td><td>{{ fmt(r.selection_rate_ratio, 2) }}</td>
<td>{{ fmt(r.tpr) }}</td><td>{{ fmt(r.tpr_ratio, 2) }}</td><td>{{ fmt(r.fpr) }}</td><td>{{ fmt(r.fpr_ratio, 2) }}</td><td>{{ fmt(r.roc_auc) }}</td></tr>{% endfor %}
</table>{% endfor %}

<h2>Limitations</h2>
<ul>
<li>Intervals are bootstrap percentiles over evaluation rows; they do not cover a change of population.</li>
<li>{{ deployment_limitation }}</li>
<li>Group metrics for small groups (n &lt; 30) are noisy; groups absent from the data cannot be assessed.</li>
<li>Reason codes describe the model, not causes; correlated inputs share credit unevenly.</li>
</ul>
</body></html>
"""

MD_TEMPLATE = """# Model card — {{ task.name }}

Version `{{ m.model_version }}`, trained {{ m.created_at }}; selected model **{{ m.selected_model }}**{% if m.calibration.used %} (recalibrated: {{ m.calibration.method }}){% endif %}. SHA-256 `{{ m.model_sha256 }}`. Plots are in `model_card.html`.

## Purpose and intended use

{{ task.description }}

Score: {{ task.score_meaning }}. Decision support with reason codes and human override; not for fully automated refusals, pricing, or populations unlike the training data.
{% for n in notes %}
> {{ n }}
{% endfor %}
## Data

| item | value |
|---|---|
| Source | `{{ m.data.mart }}` |
| Labelled rows / positives | {{ m.data.rows }} / {{ m.data.positives }} |
| Date range | {{ m.data.date_range | join(" … ") if m.data.date_range else "one snapshot" }} |
{% if no_history_share is not none %}| Rows without transaction history | {{ m.data.rows_without_history }} ({{ fmt(no_history_share * 100, 0) }} %) |
{% endif %}| Evaluation | {{ m.evaluation.description }}; train {{ m.n_train }}, evaluated {{ m.n_test }} |
| Quality gate | {{ m.quality_gate.status }} |

## Performance

| metric | value | 95 % interval |{% if m.oracle %} oracle |{% endif %}
|---|---|---|{% if m.oracle %}---|{% endif %}
{% for key, label in [("roc_auc","ROC AUC"),("gini","Gini"),("ks","KS"),("pr_auc","PR AUC"),("brier","Brier")] %}| {{ label }} | {{ fmt(m[key]) }} | {{ ci(m[key ~ "_ci"]) }} |{% if m.oracle %} {{ fmt(m.oracle[key]) }} |{% endif %}
{% endfor %}| Log loss | {{ fmt(m.log_loss) }} | |{% if m.oracle %} {{ fmt(m.oracle.log_loss) }} |{% endif %}
| Calibration slope / intercept | {{ fmt(m.calibration_slope) }} / {{ fmt(m.calibration_intercept) }} | |{% if m.oracle %} {{ fmt(m.oracle.calibration_slope) }} / {{ fmt(m.oracle.calibration_intercept) }} |{% endif %}
| Accuracy at 0.5 | {{ fmt(m.accuracy_at_0_5) }} | |{% if m.oracle %} {{ fmt(m.oracle.accuracy_at_0_5) }} |{% endif %}
{% if m.auc_to_oracle %}
Model/oracle ROC AUC on the same {{ m.auc_to_oracle.n }} rows: **{{ fmt(m.auc_to_oracle.ratio) }}** (95 % {{ ci(m.auc_to_oracle.ci) }}).
{% endif %}
Threshold (minimum expected cost, FN cost {{ m.costs.cost_fn }}, FP cost {{ m.costs.cost_fp }}): {{ fmt(m.threshold, 4) }} — TP {{ m.confusion_matrix.tp }}, FP {{ m.confusion_matrix.fp }}, FN {{ m.confusion_matrix.fn }}, TN {{ m.confusion_matrix.tn }}.

{% if m.out_of_time %}{% set o = m.out_of_time %}## Out-of-time validation

{% if o.skipped is defined %}No out-of-time figure: {{ o.skipped }}.
{% else %}Fitted on the {{ o.n_train }} rows with `{{ o.column }}` before {{ o.cutoff }}, evaluated on the {{ o.n }} later rows.

| metric | cross-validation | out of time | 95 % interval |
|---|---|---|---|
{% for key, label, d in [("roc_auc","ROC AUC",3),("pr_auc","PR AUC",3),("brier","Brier",4)] %}| {{ label }} | {{ fmt(m[key], d) }} | {{ fmt(o[key], d) }} | {{ ci(o[key ~ "_ci"], d) }} |
{% endfor %}| Calibration slope / intercept | {{ fmt(m.calibration_slope) }} / {{ fmt(m.calibration_intercept) }} | {{ fmt(o.calibration_slope) }} / {{ fmt(o.calibration_intercept) }} | |
{% for w in o.warnings %}
**Warning:** {{ w }}.
{% endfor %}{% endif %}
{% endif %}Deployed model fitted on {{ m.deployed_model.fitted_on }}; scoring population: {{ population_text }}.

| candidate | ROC AUC | 95 % interval | PR AUC | Brier | calibration slope |
|---|---|---|---|---|---|
{% for name, c in m.candidates.items() %}| {{ name }}{% if name == m.selected_model %} (selected){% endif %} | {{ fmt(c.roc_auc) }} | {{ ci(c.roc_auc_ci) }} | {{ fmt(c.pr_auc) }} | {{ fmt(c.brier, 4) }} | {{ fmt(c.calibration_slope) }} |
{% endfor %}
Selection rule: {{ m.evaluation.selection_rule }}.

## Features

Numeric: {{ task.numeric | join(", ") }}. Binary: {{ task.binary | join(", ") or "none" }}. Categorical: {{ task.categorical | join(", ") or "none" }}. Fairness attributes are not inputs.

Top features (permutation importance, out of sample): {% for r in m.explanations.permutation_importance[:5] %}{{ r.feature }} ({{ fmt(r.auc_drop) }}){% if not loop.last %}, {% endif %}{% endfor %}.

## Fairness
{% for attribute, f in m.fairness.items() %}
**{{ attribute }}** (reference {{ f.reference }}): {{ f.reading }}

| group | n | outcome rate | selection rate | ratio | TPR | FPR | ROC AUC |
|---|---|---|---|---|---|---|---|
{% for g, r in f.groups.items() %}| {{ g }} | {{ r.n }} | {{ fmt(r.outcome_rate) }} | {{ fmt(r.selection_rate) }} | {{ fmt(r.selection_rate_ratio, 2) }} | {{ fmt(r.tpr) }} | {{ fmt(r.fpr) }} | {{ fmt(r.roc_auc) }} |
{% endfor %}{% endfor %}
## Limitations

- Bootstrap intervals cover sampling noise, not a change of population.
- {{ deployment_limitation }}
- Reason codes describe the model, not causes.
"""


def write_model_card(task: Task, metrics: dict, plots: dict, out_dir: Path) -> tuple[Path, Path]:
    env = jinja2.Environment(autoescape=jinja2.select_autoescape(default=True), undefined=jinja2.StrictUndefined)
    ctx = context(task, metrics)
    html = env.from_string(HTML_TEMPLATE).render(**ctx, figure_html=[Markup(h) for h in figures(metrics, plots)])
    md_env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    markdown = md_env.from_string(MD_TEMPLATE).render(**ctx)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out_dir / "model_card.html", out_dir / "model_card.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path
