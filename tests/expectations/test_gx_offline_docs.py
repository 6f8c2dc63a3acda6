"""The Data Docs are air-gapped: no page loads a script, stylesheet, font or image from outside."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from expectations import offline_docs


def _docs_dir(run) -> Path:
    return Path(run.docs_index).parent


def test_no_page_references_an_outside_url(tiny_clean_run) -> None:
    docs = _docs_dir(tiny_clean_run)
    pages = list(docs.rglob("*.html"))
    assert len(pages) > 10, "the GX site was not built"
    assert offline_docs.external_references(docs) == []


def test_the_checker_itself_finds_outside_urls(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<script src="//cdn.example/x.js"></script><img src="http://cdn.example/x.png">'
        '<style>.a { background: url("https://cdn.example/y.png") }</style>'
        '<a href="https://greatexpectations.io">a link is not a resource</a>'
    )
    found = sorted(url for _, url in offline_docs.external_references(tmp_path))
    assert found == [
        "//cdn.example/x.js",
        "http://cdn.example/x.png",
        "https://cdn.example/x.css",
        "https://cdn.example/y.png",
    ]


def test_rewritten_references_point_at_files_that_exist(tiny_clean_run) -> None:
    docs = _docs_dir(tiny_clean_run)
    for page in docs.rglob("*.html"):
        text = page.read_text()
        for url in re.findall(r'(?:src|href)="([^"#?]+\.(?:js|css|png|ico|svg))"', text):
            if url.startswith(("http:", "https:", "//")):
                continue
            assert (page.parent / url).resolve().exists(), f"{page.relative_to(docs)} -> {url}"


def test_vendor_assets_come_from_installed_packages(tiny_clean_run) -> None:
    try:
        metadata.distribution("XStatic-jQuery")
    except metadata.PackageNotFoundError:
        pytest.skip("XStatic packages not installed: pages are offline but unstyled")
    vendor = _docs_dir(tiny_clean_run) / "static" / "vendor"
    for relative in (
        "jquery/jquery.min.js",
        "bootstrap/css/bootstrap.min.css",
        "bootstrap/js/bootstrap.bundle.min.js",
        "fontawesome/css/all.min.css",
        "fontawesome/webfonts/fa-solid-900.woff2",
        "ledgerlab/bootstrap-table-lite.js",
    ):
        assert (vendor / relative).stat().st_size > 1000, relative


def test_the_index_shows_every_suite_with_its_status(tiny_clean_run) -> None:
    index = Path(tiny_clean_run.docs_index).read_text()
    for suite in tiny_clean_run.suites:
        assert suite.name in index
        assert suite.report_path and suite.report_path in index
    for skipped in tiny_clean_run.skipped:
        assert skipped.name in index and "skipped" in index
    assert "All expectations passed" in index
