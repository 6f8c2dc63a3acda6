"""`make docs`: dbt docs as one HTML file that loads nothing from outside."""

from __future__ import annotations

import re

from ledgerlab.dbt import build_static_docs

OUTSIDE_LOAD = re.compile(
    r"""(?:src\s*=\s*["']?|<link[^>]*href\s*=\s*["']?|url\(\s*["']?)(?:https?:)?//""", re.IGNORECASE
)


def test_static_docs_are_one_air_gapped_page(generated_warehouse, monkeypatch, tmp_path) -> None:
    # dbt docs writes into its target folder: a copy, as the shared build is read by other workers
    work = generated_warehouse.copy(tmp_path / "docs")
    monkeypatch.setenv("DBT_TARGET_PATH", str(work.target))
    monkeypatch.setenv("DBT_LOG_PATH", str(work.logs))
    page = build_static_docs(warehouse_path=work.path)
    html = page.read_text(encoding="utf-8")
    assert "loan_features" in html and len(html) > 100_000
    offending = sorted({m.group(0) for m in OUTSIDE_LOAD.finditer(html)})
    assert not offending, f"outside resources referenced: {offending[:5]}"
