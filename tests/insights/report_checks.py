"""Checks on a rendered report shared by the report and browser tests."""

from __future__ import annotations

import re

PLOTLY_LIB = re.compile(r"<script[^>]*>\s*/\*\*\s*\*?\s*plotly\.js v.*?</script>", re.S)
URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.I)
# XML namespace identifiers are names, not locations: the browser never fetches them.
NAMESPACES = ("//www.w3.org/",)


def strip_plotly_library(page: str) -> tuple[str, int]:
    """The page without the inlined plotly.js bundle, and how many bundles there were."""
    stripped, n = PLOTLY_LIB.subn("<script>/* plotly.js */</script>", page)
    return stripped, n


def outside_urls(page: str) -> list[str]:
    """Every outside URL referenced by the report's own markup, CSS and figure JSON."""
    own, _ = strip_plotly_library(page)
    return [u for u in URL.findall(own) if not any(ns in u for ns in NAMESPACES)]


def resource_attributes(page: str) -> list[str]:
    """src / href / url() / @import values in the markup that leave the file.

    Run it on the report without the plotly.js bundle (whose code holds map-tile and logo URLs
    that a bar chart never uses), or on the DOM a browser rendered: that one shows what the
    library actually inserted.
    """
    found = re.findall(r"""(?:src|href)\s*=\s*["']([^"'#][^"']*)["']""", page, re.I)
    found += re.findall(r"""url\(\s*["']?([^"')]+)""", page, re.I)
    found += re.findall(r"""@import\s+["']([^"']+)""", page, re.I)
    return [v for v in found if re.match(r"^(?:[a-z]+:)?//", v, re.I) and not v.startswith("data:")]
