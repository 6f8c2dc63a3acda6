"""Build the insight report: run every section, adjust all p-values together, render one HTML file.

Each section degrades on its own: a missing table becomes a visible note
("… is not in the warehouse yet — run …"); an unexpected error in one
section is shown in that section and logged, and the rest of the report is
still written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup
from threadpoolctl import threadpool_limits

from ledgerlab.core import config
from ledgerlab.insights import anomalies, charts, models, overview, quality, regional, segments, trends
from ledgerlab.insights.data import Warehouse
from ledgerlab.insights.sections import Context, Finding, Section, StatsRegistry, render_text
from ledgerlab.insights.stats import format_p

log = logging.getLogger(__name__)

MAX_FINDINGS = 8

SectionBuilder = Callable[[Context], Section]

SECTIONS: tuple[tuple[str, str, SectionBuilder], ...] = (
    ("overview", "Portfolio overview", overview.build_overview),
    ("loans", "Loans and default", overview.build_loans),
    ("trends", "Trends and seasonality", trends.build),
    ("segments", "Customer segments", segments.build),
    ("regional", "Regional view", regional.build),
    ("anomalies", "Anomalies", anomalies.build),
    ("quality", "Data quality over time", quality.build),
    ("models", "Model summaries", models.build),
)


@dataclass
class ReportResult:
    index_path: Path
    anomalies_path: Path | None
    findings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    section_errors: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"insight report: {self.index_path}"]
        if self.anomalies_path is not None:
            out.append(f"anomaly scores: {self.anomalies_path}")
        out.extend(f"finding: {f}" for f in self.findings)
        out.extend(f"missing: {m}" for m in self.missing)
        out.extend(f"section failed: {k}: {v}" for k, v in self.section_errors.items())
        return out


def _run_section(ident: str, title: str, builder: SectionBuilder, ctx: Context) -> Section:
    try:
        section = builder(ctx)
    except Exception as exc:  # one broken section must not cost the reader the whole report
        log.error("insight section %s failed:\n%s", ident, traceback.format_exc())
        section = Section(ident, title, error=f"{type(exc).__name__}: {exc}")
    section.id, section.title = ident, title
    return section


def _stats_table(registry: StatsRegistry) -> str:
    rows = []
    for key in registry.keys():
        c = registry[key]
        ci = f"{c.low:.3f} to {c.high:.3f}" if math.isfinite(c.low) and math.isfinite(c.high) else "–"
        rows.append(
            [
                c.name,
                c.test,
                f"{c.effect_name} {c.effect:.3f}" if math.isfinite(c.effect) else "–",
                ci,
                f"{c.n:,}",
                format_p(c.p_value),
                format_p(c.p_adjusted),
                "yes" if c.significant else "no",
            ]
        )
    if not rows:
        return "<p>No statistical tests could be run on the data available.</p>"
    return charts.table_block(
        ["question", "test", "effect size", "95 % CI", "n", "p", "p (BH)", "significant"],
        rows,
        caption="Every hypothesis test in this report",
        source="this report; Benjamini–Hochberg over all tests listed",
        numeric=[False, False, True, False, True, True, True, False],
        table_id="all-tests",
    )


def build_report(*, warehouse_path: Path | None = None, out_dir: Path | None = None) -> ReportResult:
    """Write reports/insights/index.html (and anomalies.json) from whatever the warehouse holds."""
    paths = config.paths()
    out_dir = Path(out_dir) if out_dir is not None else paths.insight_reports
    out_dir.mkdir(parents=True, exist_ok=True)
    # One OpenMP/BLAS thread: on the 2-core target, scikit-learn's default threading spin-waits
    # against DuckDB and runs KMeans ~30x slower than single-threaded.
    with threadpool_limits(limits=1), Warehouse(warehouse_path) as wh:
        ctx = Context(
            warehouse=wh,
            figures=charts.FigureSink(),
            registry=StatsRegistry(),
            out_dir=out_dir,
            reports_dir=paths.reports,
        )
        sections = [_run_section(i, t, b, ctx) for i, t, b in SECTIONS]
        data_window = ctx.shared.get("data_window")
    registry = ctx.registry
    registry.adjust()

    findings: list[tuple[Finding, str]] = []
    for s in sections:
        for f in s.findings:
            findings.append((f, render_text(f.text, registry)))
    findings.sort(key=lambda pair: pair[0].priority)
    findings = findings[:MAX_FINDINGS]

    missing: list[str] = []
    for s in sections:
        for m in s.missing:
            if m not in missing:
                missing.append(m)

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ledgerlab.insights", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    page = env.get_template("report.html.j2").render(
        title="ledgerlab — insight report",
        generated_at=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        warehouse=str(wh.path),
        data_window=data_window,
        findings=[{"text": text, "anchor": f.anchor} for f, text in findings],
        missing=missing,
        sections=[
            {
                "id": s.id,
                "title": s.title,
                "missing": s.missing,
                "error": s.error,
                "blocks": [Markup(render_text(b, registry)) for b in s.blocks],
            }
            for s in sections
        ],
        stats_table=Markup(_stats_table(registry)),
    )
    index_path = out_dir / "index.html"
    index_path.write_text(page, encoding="utf-8")

    anomalies_path = out_dir / "anomalies.json"
    payload = ctx.shared.get("anomalies_json")
    if payload is None:
        payload = {
            "available": False,
            "reason": "; ".join(next((s.missing for s in sections if s.id == "anomalies"), [])) or "not computed",
        }
    anomalies_path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")

    return ReportResult(
        index_path=index_path,
        anomalies_path=anomalies_path,
        findings=[text for _, text in findings],
        missing=missing,
        section_errors={s.id: s.error for s in sections if s.error},
    )
