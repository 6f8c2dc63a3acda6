"""Time vs size per stage as a small hand-written SVG (log-log); matplotlib is not a dependency.

Two panels: median wall time (what a user waits) and median CPU time (user +
sys of the stage's processes: less sensitive to the other work on a shared
machine). Hollow markers are failed or capped runs, at the time they stopped.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#000000",
    "#aec7e8",
    "#ff9896",
    "#98df8a",
)
PANEL_W, H = 520, 560
LEFT, GAP, RIGHT, TOP, BOTTOM = 80, 90, 200, 60, 70


def _ticks(lo: float, hi: float) -> list[float]:
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10**e
            if lo <= v <= hi:
                out.append(v)
    return out


def _label(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:g} M"
    if v >= 1e3:
        return f"{v / 1e3:g} k"
    return f"{v:g}"


def _series(summary: dict, key: str, failed_key: str) -> dict[str, list[tuple[float, float, bool]]]:
    series: dict[str, list[tuple[float, float, bool]]] = {}
    for size_key, size in summary["sizes"].items():
        x = size.get("transactions") or float(size_key) * 246  # ≈ transactions per account
        for stage, s in size["stages"].items():
            if s.get(key):
                series.setdefault(stage, []).append((x, s[key], True))
            elif s.get(failed_key):
                series.setdefault(stage, []).append((x, s[failed_key], False))
    return series


def _panel(parts: list[str], x0: float, title: str, series: dict, colours: dict[str, str]) -> None:
    points = [p for pts in series.values() for p in pts]
    parts.append(f'<text x="{x0}" y="{TOP - 12}" font-size="13" font-weight="bold">{escape(title)}</text>')
    if not points:
        parts.append(f'<text x="{x0}" y="{H / 2}">no measurements yet</text>')
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi = min(xs) / 1.5, max(xs) * 1.5
    y_lo, y_hi = max(min(ys) / 1.5, 0.1), max(ys) * 1.5

    def px(x: float) -> float:
        return x0 + (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) * PANEL_W

    def py(y: float) -> float:
        return (
            H - BOTTOM - (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)) * (H - TOP - BOTTOM)
        )

    parts.append(f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{H - TOP - BOTTOM}" fill="none" stroke="#444"/>')
    for t in _ticks(x_lo, x_hi):
        parts.append(f'<line x1="{px(t):.1f}" y1="{TOP}" x2="{px(t):.1f}" y2="{H - BOTTOM}" stroke="#eee"/>')
        parts.append(f'<text x="{px(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_label(t)}</text>')
    for t in _ticks(y_lo, y_hi):
        parts.append(f'<line x1="{x0}" y1="{py(t):.1f}" x2="{x0 + PANEL_W}" y2="{py(t):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{x0 - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    parts.append(f'<text x="{x0 + PANEL_W / 2}" y="{H - 25}" text-anchor="middle">transactions (generated)</text>')
    parts.append(
        f'<text x="{x0 - 55}" y="{(TOP + H - BOTTOM) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 {x0 - 55} {(TOP + H - BOTTOM) / 2})">seconds (median of repeats)</text>'
    )
    for stage, pts in sorted(series.items()):
        colour = colours[stage]
        pts = sorted(pts)
        ok = [p for p in pts if p[2]]
        if len(ok) > 1:
            d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in ok)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, good in pts:
            fill = colour if good else "white"
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
            )


def write_svg(summary: dict, path: Path) -> Path:
    wall = _series(summary, "wall_s", "failed_wall_s")
    cpu = _series(summary, "cpu_s", "failed_cpu_s")
    stages = sorted(set(wall) | set(cpu))
    colours = {stage: COLOURS[i % len(COLOURS)] for i, stage in enumerate(stages)}
    width = LEFT + PANEL_W + GAP + PANEL_W + RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" font-family="sans-serif" '
        'font-size="12"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">ledgerlab benchmarks: time per stage vs '
        "size (log-log; hollow = failed or capped)</text>",
    ]
    _panel(parts, LEFT, "wall time", wall, colours)
    _panel(parts, LEFT + PANEL_W + GAP, "CPU time (user + sys)", cpu, colours)
    lx = LEFT + 2 * PANEL_W + GAP + 15
    for i, stage in enumerate(stages):
        ly = TOP + 10 + i * 18
        parts.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 20}" y2="{ly}" stroke="{colours[stage]}" stroke-width="3"/>')
        parts.append(f'<text x="{lx + 25}" y="{ly + 4}">{escape(stage)}</text>')
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
