"""The run's reports: ``summary.json`` and the overview page ``index.html``.

``summary.json`` is for machines (CI, the CLI, tests): per suite and
expectation the status, severity, observed value, a sample of unexpected
values and row counts, plus ``defect_coverage``: for every defect kind,
whether quarantine or a failing expectation caught it.

``index.html`` is for people: every suite with its status, the failures
first, links into the GX Data Docs site (``gx/``), which is made to work
offline by :mod:`expectations.offline_docs`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from expectations import offline_docs
from expectations.results import SuiteRow, jsonable
from expectations.spec import DEFECT_KINDS, Skipped, WarehouseFacts

STATUS_LABEL = {
    "passed": "passed",
    "failed_warning": "warnings",
    "failed_blocking": "blocking failure",
    "skipped": "skipped",
}


def defect_coverage(suites: list[SuiteRow], facts: WarehouseFacts) -> dict:
    """Defect kind → how it was caught: quarantine and/or failing expectations."""
    coverage = {}
    for kind in DEFECT_KINDS:
        quarantined = int(facts.quarantine_counts.get(kind, 0))
        failing = [
            f"{s.name}: {e.expectation_id}"
            for s in suites
            for e in s.expectations
            if not e.success and kind in e.catches
        ]
        caught_by = (["quarantine"] if quarantined else []) + failing
        coverage[kind] = {
            "caught": bool(caught_by),
            "caught_by": caught_by,
            "quarantined_rows": quarantined,
            "failing_expectations": failing,
        }
    return coverage


@dataclass(frozen=True)
class ValidationRun:
    """What one validation run reports on, on either engine (summary.json, the index page)."""

    run_id: str
    run_at: datetime
    warehouse_path: Path
    fingerprint: str
    suites: list[SuiteRow]
    skipped: list[Skipped]
    facts: WarehouseFacts


def build_summary(run: ValidationRun) -> dict:
    suites, skipped, facts = run.suites, run.skipped, run.facts
    expectations = [e for s in suites for e in s.expectations]
    n_blocking = sum(not e.success and e.severity == "blocking" for e in expectations)
    return {
        "run_id": run.run_id,
        "run_at": run.run_at.isoformat(timespec="seconds"),
        "warehouse": str(run.warehouse_path),
        "data_fingerprint": run.fingerprint,
        "success": n_blocking == 0,
        "blocking_failed": n_blocking > 0,
        "statistics": {
            "suites": len(suites),
            "suites_skipped": len(skipped),
            "expectations": len(expectations),
            "failed": sum(not e.success for e in expectations),
            "blocking_failed": n_blocking,
            "warnings_failed": sum(not e.success and e.severity != "blocking" for e in expectations),
        },
        "suites": [
            {
                "name": s.name,
                "layer": s.layer,
                "description": s.description,
                "status": s.status,
                "row_count": s.row_count,
                "n_expectations": len(s.expectations),
                "n_failed": s.n_failed,
                "n_blocking_failed": s.n_blocking_failed,
                "report": s.report_path,
                "expectations": [
                    {
                        "id": e.expectation_id,
                        "type": e.expectation_type,
                        "column": e.column,
                        "severity": e.severity,
                        "status": "passed" if e.success else "failed",
                        "observed_value": e.observed_value,
                        "unexpected_count": e.unexpected_count,
                        "unexpected_sample": e.unexpected_sample,
                        "element_count": e.element_count,
                        "catches": e.catches,
                        "why": e.why,
                        **({"error": e.error} if e.error else {}),
                    }
                    for e in s.expectations
                ],
            }
            for s in suites
        ],
        "skipped": [{"name": k.name, "layer": k.layer, "reason": k.reason} for k in skipped],
        "quarantine_counts": dict(sorted(facts.quarantine_counts.items())),
        "defect_coverage": defect_coverage(suites, facts),
        "profile": profile_findings(suites),
    }


def profile_findings(suites: list[SuiteRow]) -> list[dict]:
    """The profiling warnings (expectations/suites/profile.py), one entry per table and check."""
    return [
        {
            "table": f"raw.{s.name.split('.', 1)[1]}",
            "check": e.expectation_id,
            "findings": e.unexpected_count,
            "sample": e.unexpected_sample,
            "why": e.why,
            **({"error": e.error} if e.error else {}),
        }
        for s in suites
        if s.layer == "profile"
        for e in s.expectations
        if not e.success
    ]


_CSS = """
:root { --ok:#1b7f3b; --warn:#a66300; --bad:#b3261e; --mute:#6b7280; --line:#e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: #d1d5db; font-size: 13px; }
main { padding: 20px 28px 40px; max-width: 1200px; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; color: #fff; }
.verdict.ok { background: var(--ok); } .verdict.bad { background: var(--bad); } .verdict.warn { background: var(--warn); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0 24px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 140px; }
.card b { display: block; font-size: 22px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; font-size: 13px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.passed { background: var(--ok); } .badge.failed_warning { background: var(--warn); }
.badge.failed_blocking { background: var(--bad); } .badge.skipped { background: var(--mute); }
.badge.blocking { background: var(--bad); } .badge.warning { background: var(--warn); }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 9em; overflow: auto; }
.why { color: var(--mute); font-size: 12px; }
a { color: #1d4ed8; text-decoration: none; } a:hover { text-decoration: underline; }
"""


def _badge(kind: str, text: str | None = None) -> str:
    return f'<span class="badge {html.escape(kind)}">{html.escape(text or STATUS_LABEL.get(kind, kind))}</span>'


def _short(value, limit: int = 400) -> str:
    text = json.dumps(jsonable(value), ensure_ascii=False, default=str)
    return html.escape(text if len(text) <= limit else text[:limit] + " …")


def render_index(summary: dict) -> str:
    stats = summary["statistics"]
    if summary["blocking_failed"]:
        verdict = '<span class="verdict bad">Blocking failures: modelling is refused</span>'
    elif stats["warnings_failed"]:
        verdict = '<span class="verdict warn">Passed with warnings</span>'
    else:
        verdict = '<span class="verdict ok">All expectations passed</span>'

    suite_rows = []
    for s in summary["suites"]:
        link = (
            f'<a href="{html.escape(s["report"])}">{html.escape(s["name"])}</a>'
            if s["report"]
            else html.escape(s["name"])
        )
        count = "" if s["row_count"] is None else f"{s['row_count']:,}"
        suite_rows.append(
            f"<tr><td>{_badge(s['status'])}</td><td>{html.escape(s['layer'])}</td><td>{link}"
            f"<div class='why'>{html.escape(s['description'] or '')}</div></td>"
            f"<td class='num'>{count}</td>"
            f"<td class='num'>{s['n_expectations'] - s['n_failed']}</td>"
            f"<td class='num'>{s['n_failed']}</td><td class='num'>{s['n_blocking_failed']}</td></tr>"
        )
    for k in summary["skipped"]:
        suite_rows.append(
            f"<tr><td>{_badge('skipped')}</td><td>{html.escape(k['layer'])}</td><td>{html.escape(k['name'])}"
            f"<div class='why'>{html.escape(k['reason'])}</div></td><td></td><td></td><td></td><td></td></tr>"
        )

    failures = []
    for s in summary["suites"]:
        for e in s["expectations"]:
            if e["status"] == "failed":
                failures.append((0 if e["severity"] == "blocking" else 1, s, e))
    failures.sort(key=lambda item: (item[0], item[1]["name"], item[2]["id"]))
    failure_rows = [
        f"<tr><td>{_badge(e['severity'])}</td><td>{html.escape(s['name'])}</td>"
        f"<td><b>{html.escape(e['id'])}</b><div class='why'>{html.escape(e['why'])}</div></td>"
        f"<td><pre>{_short(e.get('error') or e['observed_value'])}</pre></td>"
        f"<td class='num'>{'' if e['unexpected_count'] is None else e['unexpected_count']}</td>"
        f"<td><pre>{_short(e['unexpected_sample'])}</pre></td></tr>"
        for _, s, e in failures
    ]

    coverage_rows = [
        f"<tr><td><code>{html.escape(kind)}</code></td>"
        f"<td>{_badge('passed', 'caught') if c['caught'] else _badge('skipped', 'not seen')}</td>"
        f"<td class='num'>{c['quarantined_rows']:,}</td>"
        f"<td>{'<br>'.join(html.escape(x) for x in c['failing_expectations']) or '—'}</td></tr>"
        for kind, c in summary["defect_coverage"].items()
    ]

    profile_rows = [
        f"<tr><td>{html.escape(p['table'])}</td>"
        f"<td><b>{html.escape(p['check'])}</b><div class='why'>{html.escape(p['why'])}</div></td>"
        f"<td class='num'>{'' if p['findings'] is None else p['findings']}</td>"
        f"<td><pre>{_short(p.get('error') or p['sample'], 800)}</pre></td></tr>"
        for p in summary.get("profile", [])
    ]

    def table(head: list[str], body: list[str], empty: str) -> str:
        if not body:
            return f"<p class='why'>{html.escape(empty)}</p>"
        cols = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        return f"<table><thead><tr>{cols}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ledgerlab data quality — {html.escape(summary["run_id"])}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>ledgerlab data quality</h1>
<div class="meta">run {html.escape(summary["run_id"])} · {html.escape(summary["run_at"])} UTC ·
data fingerprint <code>{html.escape(summary["data_fingerprint"])}</code> · {html.escape(summary["warehouse"])}</div></header>
<main>
{verdict}
<div class="cards">
<div class="card"><b>{stats["suites"]}</b>suites run</div>
<div class="card"><b>{stats["suites_skipped"]}</b>suites skipped</div>
<div class="card"><b>{stats["expectations"]}</b>expectations</div>
<div class="card"><b>{stats["blocking_failed"]}</b>blocking failures</div>
<div class="card"><b>{stats["warnings_failed"]}</b>warnings</div>
</div>
<h2>Suites</h2>
{table(["status", "layer", "suite (GX report)", "rows", "passed", "failed", "blocking"], suite_rows, "No suite ran.")}
<h2>Failed expectations</h2>
{table(["severity", "suite", "expectation", "observed", "unexpected", "sample"], failure_rows, "None: every expectation passed.")}
<h2>Profile of the raw sources</h2>
<p class="why">Found in every source without code per source (warnings): codes such as 999 or &minus;1
used as numbers, "unknown"-like categories, rare categories, near-constant and mostly empty columns,
and duplicate rows where no key is declared. Each row: the flagged columns with their shares.</p>
{table(["table", "check", "columns or rows flagged", "first findings"], profile_rows, "Nothing to flag.")}
<h2>Defect coverage</h2>
<p class="why">Each defect kind the generator can inject, and what made it visible: rows in
<code>marts.quarantine_rows</code> with that reason, and/or failing expectations that catch it.</p>
{table(["defect kind", "status", "quarantined rows", "failing expectations"], coverage_rows, "")}
<h2>Files</h2>
<p><a href="summary.json">summary.json</a> · <a href="gx/index.html">Great Expectations Data Docs</a></p>
</main></body></html>
"""


def write_reports(docs_dir: Path, run: ValidationRun) -> tuple[Path, Path]:
    summary = build_summary(run)
    summary_path = docs_dir / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    index_path = docs_dir / "index.html"
    index_path.write_text(render_index(summary))
    offline_docs.make_offline(docs_dir)
    return summary_path, index_path
