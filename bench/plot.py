"""Time vs size per stage as a small hand-written SVG (log-log); matplotlib is not a dependency."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#000000", "#aec7e8", "#ff9896")
W, H = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 230, 50, 70


def _ticks(lo: float, hi: float) -> list[float]:
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                out.append(v)
    return out


def _label(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:g} M"
    if v >= 1e3:
        return f"{v / 1e3:g} k"
    return f"{v:g}"


def write_svg(summary: dict, path: Path) -> Path:
    series: dict[str, list[tuple[float, float, bool]]] = {}
    for size_key, size in summary["sizes"].items():
        x = size.get("transactions") or float(size_key) * 222  # ≈ transactions per account
        for stage, s in size["stages"].items():
            if s.get("wall_s"):
                series.setdefault(stage, []).append((x, s["wall_s"], True))
            elif s.get("failed_wall_s"):
                series.setdefault(stage, []).append((x, s["failed_wall_s"], False))
    points = [p for pts in series.values() for p in pts]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{LEFT}" y="28" font-size="15" font-weight="bold">ledgerlab: wall time per stage vs '
             f'size (log-log; hollow = failed/capped)</text>']
    if points:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        x_lo, x_hi = min(xs) / 1.5, max(xs) * 1.5
        y_lo, y_hi = max(min(ys) / 1.5, 0.1), max(ys) * 1.5

        def px(x: float) -> float:
            return LEFT + (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) * (W - LEFT - RIGHT)

        def py(y: float) -> float:
            return H - BOTTOM - (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)) * (H - TOP - BOTTOM)

        parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" '
                     'fill="none" stroke="#444"/>')
        for t in _ticks(x_lo, x_hi):
            parts.append(f'<line x1="{px(t):.1f}" y1="{TOP}" x2="{px(t):.1f}" y2="{H - BOTTOM}" stroke="#eee"/>')
            parts.append(f'<text x="{px(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_label(t)}</text>')
        for t in _ticks(y_lo, y_hi):
            parts.append(f'<line x1="{LEFT}" y1="{py(t):.1f}" x2="{W - RIGHT}" y2="{py(t):.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_label(t)}</text>')
        parts.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 25}" text-anchor="middle">transactions '
                     '(generated)</text>')
        parts.append(f'<text x="20" y="{(TOP + H - BOTTOM) / 2}" text-anchor="middle" '
                     f'transform="rotate(-90 20 {(TOP + H - BOTTOM) / 2})">wall time, seconds (median)</text>')
        for i, (stage, pts) in enumerate(sorted(series.items())):
            colour = COLOURS[i % len(COLOURS)]
            pts = sorted(pts)
            ok = [p for p in pts if p[2]]
            if len(ok) > 1:
                d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in ok)
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for x, y, good in pts:
                fill = colour if good else "white"
                parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{fill}" stroke="{colour}" '
                             'stroke-width="2"/>')
            ly = TOP + 10 + i * 18
            parts.append(f'<line x1="{W - RIGHT + 15}" y1="{ly}" x2="{W - RIGHT + 35}" y2="{ly}" stroke="{colour}" '
                         'stroke-width="3"/>')
            parts.append(f'<text x="{W - RIGHT + 40}" y="{ly + 4}">{escape(stage)}</text>')
    else:
        parts.append(f'<text x="{LEFT}" y="{H / 2}">no measurements yet</text>')
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
