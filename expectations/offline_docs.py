"""Make the Data Docs work air-gapped: every asset local, nothing fetched from outside.

GX's page templates load Bootstrap, jQuery, Popper, bootstrap-table,
bootstrap-datepicker, Font Awesome and Vega from public CDNs, and the GX
logo from S3 (with the context id in the query string). After GX has built
the site, every HTML page under ``reports/quality`` is rewritten:

- assets that a Python package in the environment ships are copied to
  ``reports/quality/static/vendor/`` and referenced by a relative path:
  jQuery (XStatic-jQuery), Bootstrap 4 with Popper bundled
  (XStatic-Bootstrap), Font Awesome 6 (XStatic-Font-Awesome),
  bootstrap-datepicker (XStatic-Bootstrap-Datepicker), Vega, Vega-Lite and
  Vega-Embed (django-js-lib-vega-embed, plain JS files, no Django needed);
- bootstrap-table, which no PyPI package ships, is replaced by a small
  stand-in of ours (``expectations/static/bootstrap-table-lite.js``) that
  renders GX's index tables;
- logos come from GX's own ``static/images``;
- anything else external (the optional dark theme, a package that is not
  installed) is removed, leaving an HTML comment: a page may look plainer,
  but it never reaches out.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

VENDOR_DIR = Path("static") / "vendor"
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Asset:
    """One local file that replaces CDN URLs matching ``pattern``."""

    pattern: str  # regex on the URL
    target: str  # path under static/vendor
    distribution: str | None  # the package that ships it (None: ours)
    source: str  # path inside the distribution (or under expectations/static)
    extra: tuple[tuple[str, str], ...] = ()  # more (source, target) files, e.g. fonts


ASSETS: tuple[Asset, ...] = (
    Asset(
        r"jquery[-.0-9]*(\.min)?\.js", "jquery/jquery.min.js", "XStatic-jQuery", "xstatic/pkg/jquery/data/jquery.min.js"
    ),
    Asset(
        r"bootstrap/[0-9.]+/css/bootstrap(\.min)?\.css",
        "bootstrap/css/bootstrap.min.css",
        "XStatic-Bootstrap",
        "xstatic/pkg/bootstrap/data/css/bootstrap.min.css",
    ),
    # The bundle carries Popper 1.x, which Bootstrap 4 needs: the separate Popper tag is dropped.
    Asset(
        r"bootstrap/[0-9.]+/js/bootstrap(\.bundle)?(\.min)?\.js",
        "bootstrap/js/bootstrap.bundle.min.js",
        "XStatic-Bootstrap",
        "xstatic/pkg/bootstrap/data/js/bootstrap.bundle.min.js",
    ),
    Asset(r"popper(\.js)?[/@][^\"']*popper(\.min)?\.js", "", None, ""),
    Asset(
        r"font-awesome/[0-9.]+/css/all(\.min)?\.css",
        "fontawesome/css/all.min.css",
        "XStatic-Font-Awesome",
        "xstatic/pkg/font_awesome/data/css/all.min.css",
        extra=tuple(
            (f"xstatic/pkg/font_awesome/data/webfonts/{name}", f"fontawesome/webfonts/{name}")
            for name in (
                "fa-brands-400.ttf",
                "fa-brands-400.woff2",
                "fa-regular-400.ttf",
                "fa-regular-400.woff2",
                "fa-solid-900.ttf",
                "fa-solid-900.woff2",
                "fa-v4compatibility.ttf",
                "fa-v4compatibility.woff2",
            )
        ),
    ),
    Asset(
        r"bootstrap-datepicker[^\"']*\.css",
        "datepicker/bootstrap-datepicker3.standalone.css",
        "XStatic-Bootstrap-Datepicker",
        "xstatic/pkg/bootstrap_datepicker/data/bootstrap-datepicker3.standalone.css",
    ),
    Asset(
        r"bootstrap-datepicker[^\"']*\.js",
        "datepicker/bootstrap-datepicker.js",
        "XStatic-Bootstrap-Datepicker",
        "xstatic/pkg/bootstrap_datepicker/data/bootstrap-datepicker.js",
    ),
    Asset(
        r"npm/vega@5",
        "vega/vega5.js",
        "django-js-lib-vega-embed",
        "js_lib_vega_embed/static/js_lib_vega_embed/vega5.js",
    ),
    Asset(
        r"npm/vega-lite@5",
        "vega/vega-lite5.js",
        "django-js-lib-vega-embed",
        "js_lib_vega_embed/static/js_lib_vega_embed/vega-lite5.js",
    ),
    Asset(
        r"npm/vega-embed@6",
        "vega/vega-embed6.js",
        "django-js-lib-vega-embed",
        "js_lib_vega_embed/static/js_lib_vega_embed/vega-embed6.js",
    ),
    Asset(
        r"bootstrap-table@[0-9.]+/dist/bootstrap-table(\.min)?\.js",
        "ledgerlab/bootstrap-table-lite.js",
        None,
        "bootstrap-table-lite.js",
    ),
)

# Images GX loads from its S3 bucket, served from the copy of GX's static dir in the site.
_GX_IMAGES = {
    "full_logo_dark.png": "gx/static/images/logo-long.png",
    "logo-long.png": "gx/static/images/logo-long.png",
}

_EXTERNAL = r"(?:https?:)?//"
_TAG = re.compile(r"<(script|link|img|source|iframe)\b[^>]*>(?:\s*</script>)?", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(["']?)((?:https?:)?//[^"')]+)\1\s*\)""", re.IGNORECASE)
_INTEGRITY = re.compile(r"""\s+(integrity|crossorigin)\s*=\s*(["']).*?\2""", re.IGNORECASE | re.DOTALL)


def _source_path(asset_distribution: str | None, source: str) -> Path | None:
    if asset_distribution is None:
        path = _HERE / "static" / source
        return path if path.is_file() else None
    try:
        dist = metadata.distribution(asset_distribution)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(source)))
    return path if path.is_file() else None


def install_vendor_assets(docs_dir: Path) -> dict[str, Path]:
    """Copy the available assets under docs_dir/static/vendor; return pattern → local file."""
    available: dict[str, Path] = {}
    for asset in ASSETS:
        if not asset.target:
            continue
        source = _source_path(asset.distribution, asset.source)
        if source is None:
            continue
        target = docs_dir / VENDOR_DIR / asset.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        for extra_source, extra_target in asset.extra:
            path = _source_path(asset.distribution, extra_source)
            if path is not None:
                (docs_dir / VENDOR_DIR / extra_target).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, docs_dir / VENDOR_DIR / extra_target)
        available[asset.pattern] = target
    return available


def _is_external(url: str) -> bool:
    return re.match(_EXTERNAL, url.strip()) is not None


def _local_for(url: str, page: Path, docs_dir: Path, available: dict[str, Path]) -> str | None:
    """The relative URL replacing ``url`` on ``page``, or None when it must go."""
    for name, local in _GX_IMAGES.items():
        if name in url and (docs_dir / local).exists():
            return os.path.relpath(docs_dir / local, page.parent)
    for asset in ASSETS:
        if re.search(asset.pattern, url) and asset.pattern in available:
            return os.path.relpath(available[asset.pattern], page.parent)
    return None


def rewrite_page(text: str, page: Path, docs_dir: Path, available: dict[str, Path]) -> str:
    def tag(match: re.Match) -> str:
        whole = match.group(0)
        attr = _ATTR.search(whole)
        if attr is None:
            return whole
        if not _is_external(attr.group(3)):
            fixed = _repair_static_link(attr.group(3), page, docs_dir)
            return whole if fixed is None else whole[: attr.start(3)] + fixed + whole[attr.end(3) :]
        if match.group(1).lower() == "link" and not re.search(
            r"""rel\s*=\s*["']?(stylesheet|icon|preload|shortcut icon|apple-touch-icon)""", whole, re.IGNORECASE
        ):
            return whole
        local = _local_for(attr.group(3), page, docs_dir, available)
        if local is None:
            return f"<!-- offline: removed {html_comment_safe(attr.group(3))} -->"
        replaced = whole[: attr.start(3)] + local + whole[attr.end(3) :]
        return _INTEGRITY.sub("", replaced)

    def css_url(match: re.Match) -> str:
        local = _local_for(match.group(2), page, docs_dir, available)
        return f"url('{local}')" if local else "none"

    text = _TAG.sub(tag, text)
    return _CSS_URL.sub(css_url, text)


def _repair_static_link(url: str, page: Path, docs_dir: Path) -> str | None:
    """GX counts one directory per suite, but a dotted suite name (``raw.loan``) nests two:
    its pages' links to the site's ``static/`` miss by a level. Point them at the real file."""
    clean = url.split("?")[0].split("#")[0]
    if "static/" not in clean or (page.parent / clean).exists():
        return None
    target = docs_dir / "gx" / "static" / clean.split("static/", 1)[1]
    return os.path.relpath(target, page.parent) if target.exists() else None


def html_comment_safe(url: str) -> str:
    return url.split("?")[0].replace("--", "- -")


def make_offline(docs_dir: Path) -> list[Path]:
    """Rewrite every page (and GX's stylesheets) under docs_dir to local assets; return those rewritten."""
    available = install_vendor_assets(docs_dir)
    rewritten = []
    pages = [
        p
        for p in sorted(docs_dir.rglob("*"))
        if p.suffix in (".html", ".css") and VENDOR_DIR.parts[0] not in p.relative_to(docs_dir).parts[:1]
    ]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        new = rewrite_page(text, page, docs_dir, available)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten.append(page)
    return rewritten


def external_references(docs_dir: Path) -> list[tuple[Path, str]]:
    """Every script, stylesheet, font or image under docs_dir that would load from outside."""
    found: list[tuple[Path, str]] = []
    for path in sorted(docs_dir.rglob("*")):
        if path.suffix not in (".html", ".css"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            for match in _TAG.finditer(text):
                whole = match.group(0)
                if match.group(1).lower() == "link" and not re.search(
                    r"""rel\s*=\s*["']?(stylesheet|icon|preload|shortcut icon|apple-touch-icon)""", whole, re.IGNORECASE
                ):
                    continue
                for attr in _ATTR.finditer(whole):
                    if _is_external(attr.group(3)):
                        found.append((path, attr.group(3)))
        for match in _CSS_URL.finditer(text):
            found.append((path, match.group(2)))
        for match in re.finditer(r"""@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"')\s;]+)""", text):
            found.append((path, match.group(1)))
    return found
