"""Render the report in headless Chromium: every chart drew, the screenshot is not blank."""

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from ledgerlab.insights import build_report

from .report_checks import resource_attributes, strip_plotly_library

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        pytest.skip("no Chromium found (install Debian's `chromium`; CI does): skipping the browser test")
    return found


@pytest.fixture(scope="module")
def report(small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    return build_report(warehouse_path=small_warehouse, out_dir=tmp_path_factory.mktemp("report_browser"))


def run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=240
    )


def png_pixels_vary(path: Path) -> tuple[int, float]:
    """(distinct byte values, share of non-zero bytes) of the PNG's decompressed scanlines."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw[::97])), sum(1 for b in raw[::97] if b) / len(raw[::97])


def test_every_chart_draws_in_chromium(browser: str, report, tmp_path: Path):
    page = report.index_path.read_text(encoding="utf-8")
    chart_ids = re.findall(r'<div id="(fig-[^"]+)" class="plotly-graph-div"', page)
    assert len(chart_ids) >= 6
    done = run_browser(
        browser, tmp_path / "profile", "--virtual-time-budget=30000", "--dump-dom", report.index_path.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    starts = []
    for chart in chart_ids:
        start = dom.find(f'<div id="{chart}"')
        assert start >= 0, f"{chart} missing from the rendered DOM"
        starts.append(start)
    bounds = sorted(starts) + [len(dom)]
    for chart, start in zip(chart_ids, starts, strict=True):
        body = dom[start : bounds[bounds.index(start) + 1]]
        assert 'class="main-svg"' in body, f"chart {chart} did not draw (no svg.main-svg)"
    # after plotly.js ran, nothing in the document points outside the file
    assert resource_attributes(strip_plotly_library(dom)[0]) == []


def test_screenshot_is_not_blank(browser: str, report, tmp_path: Path):
    shot = tmp_path / "report.png"
    done = run_browser(
        browser,
        tmp_path / "profile",
        "--window-size=1366,2400",
        "--virtual-time-budget=30000",
        f"--screenshot={shot}",
        report.index_path.as_uri(),
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    distinct, nonzero = png_pixels_vary(shot)
    assert distinct > 20 and nonzero > 0.02, (distinct, nonzero)
