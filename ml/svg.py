"""Static SVG charts for the model cards: a few kilobytes each, no JavaScript, no network.

A model card's figures are read, not explored: curves, bars and a histogram. Plotly
inlined 4.9 MB of plotly.js into every card for that; these charts are plain inline
SVG that any browser (and a printed page) shows as it is. Points carry a ``<title>``,
so hovering still shows the value. Text is escaped; every axis is labelled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 540, 380
MARGIN = {"left": 62, "right": 16, "top": 40, "bottom": 78}
FONT = "font-family:system-ui,sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: str
    dash: str | None = None  # e.g. "5 4"
    markers: bool = False


def _ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out, value = [], first
    while value <= hi + 1e-9 * step:
        out.append(round(value, 10))
        value += step
    return out


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


class _Frame:
    """Maps data to pixels inside the plot area and draws axes, grid and titles."""

    def __init__(
        self,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        width: int = WIDTH,
        height: int = HEIGHT,
        left: int = MARGIN["left"],
    ):
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1
        self.width, self.height, self.left = width, height, left
        self.right = width - MARGIN["right"]
        self.top, self.bottom = MARGIN["top"], height - MARGIN["bottom"]

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def axes(self, title: str, xlabel: str, ylabel: str, *, y_ticks: bool = True) -> list[str]:
        parts = [
            f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="#fff"/>',
            f'<text x="{self.width / 2:.0f}" y="22" text-anchor="middle" font-size="15" '
            f'font-weight="600">{escape(title)}</text>',
        ]
        for t in _ticks(self.y0, self.y1) if y_ticks else []:
            y = self.py(t)
            parts.append(f'<line x1="{self.left}" x2="{self.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            parts.append(
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_label(t)}</text>'
            )
        for t in _ticks(self.x0, self.x1):
            x = self.px(t)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.top}" y2="{self.bottom}" stroke="#f0f0f0"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{self.bottom + 16}" text-anchor="middle" font-size="11">{_label(t)}</text>'
            )
        parts.append(
            f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
            f'height="{self.bottom - self.top}" fill="none" stroke="#888"/>'
        )
        parts.append(
            f'<text x="{(self.left + self.right) / 2:.0f}" y="{self.bottom + 36}" text-anchor="middle" '
            f'font-size="12">{escape(xlabel)}</text>'
        )
        if ylabel:
            parts.append(
                f'<text transform="translate(14,{(self.top + self.bottom) / 2:.0f}) rotate(-90)" '
                f'text-anchor="middle" font-size="12">{escape(ylabel)}</text>'
            )
        return parts

    def legend(self, entries: list[tuple[str, str, str | None, str]]) -> list[str]:
        """entries: (name, colour, dash, kind) with kind 'line' or 'box'; laid out in rows under the axis."""
        parts, x, y = [], self.left, self.bottom + 56
        for name, colour, dash, kind in entries:
            width = 26 + 7 * len(name)
            if x + width > self.right and x > self.left:
                x, y = self.left, y + 16
            if kind == "box":
                parts.append(f'<rect x="{x}" y="{y - 9}" width="14" height="10" fill="{colour}"/>')
            else:
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(
                    f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                    f'stroke-width="2.5"{dash_attr}/>'
                )
            parts.append(f'<text x="{x + 22}" y="{y}" font-size="11">{escape(name)}</text>')
            x += width + 12
        return parts


def _svg(frame: _Frame, parts: list[str], title: str) -> str:
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" aria-label="{escape(title)}" '
        f'style="{FONT}">{body}</svg>'
    )


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def line_chart(
    series: list[Series],
    title: str,
    xlabel: str,
    ylabel: str,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> str:
    xs = [v for s in series for v in _finite(s.x)] or [0.0, 1.0]
    ys = [v for s in series for v in _finite(s.y)] or [0.0, 1.0]
    frame = _Frame(xlim or (min(xs), max(xs)), ylim or (min(ys), max(ys)))
    parts = frame.axes(title, xlabel, ylabel)
    for s in series:
        points = [
            (x, y)
            for x, y in zip(s.x, s.y, strict=True)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        ]
        if not points:
            continue
        path = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in points)
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}/>')
        if s.markers:
            for x, y in points:
                parts.append(
                    f'<circle cx="{frame.px(x):.1f}" cy="{frame.py(y):.1f}" r="3.2" fill="{s.colour}">'
                    f"<title>{escape(s.name)}: ({_label(x)}, {_label(y)})</title></circle>"
                )
    parts += frame.legend([(s.name, s.colour, s.dash, "line") for s in series])
    return _svg(frame, parts, title)


def bar_chart_horizontal(
    labels: list[str], values: list[float], errors: list[float] | None, title: str, xlabel: str, colour: str
) -> str:
    """One bar per label, top to bottom in the given order, with optional +-error whiskers."""
    n = max(len(labels), 1)
    longest = max((len(label) for label in labels), default=4)
    left = min(14 + 6.4 * longest, 240)
    errors = errors or [0.0] * len(values)
    hi = max([v + e for v, e in zip(values, errors, strict=True)] + [0.0])
    lo = min([v - e for v, e in zip(values, errors, strict=True)] + [0.0])
    height = max(HEIGHT, MARGIN["top"] + MARGIN["bottom"] + 22 * n)
    frame = _Frame((lo, hi * 1.05 if hi > 0 else 1.0), (0, n), height=height, left=int(left))
    parts = frame.axes(title, xlabel, "", y_ticks=False)  # the y axis holds names here
    band = (frame.bottom - frame.top) / n
    for i, (label, value, err) in enumerate(zip(labels, values, errors, strict=True)):
        y = frame.top + i * band
        x_zero, x_value = frame.px(0), frame.px(value)
        parts.append(
            f'<rect x="{min(x_zero, x_value):.1f}" y="{y + band * 0.18:.1f}" '
            f'width="{abs(x_value - x_zero):.1f}" height="{band * 0.64:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {value:.4f} ± {err:.4f}</title></rect>"
        )
        if err:
            mid = y + band / 2
            parts.append(
                f'<line x1="{frame.px(value - err):.1f}" x2="{frame.px(value + err):.1f}" '
                f'y1="{mid:.1f}" y2="{mid:.1f}" stroke="#333" stroke-width="1.2"/>'
            )
        parts.append(
            f'<text x="{frame.left - 6}" y="{y + band / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="11">{escape(label)}</text>'
        )
    return _svg(frame, parts, title)


def stacked_histogram(
    edges: list[float],
    stacks: list[tuple[str, list[int], str]],
    title: str,
    xlabel: str,
    ylabel: str,
    marker: tuple[float, str] | None = None,
) -> str:
    """Bars over [edges[i], edges[i+1]) with the stacks on top of each other; an optional vertical marker."""
    totals = [sum(s[1][i] for s in stacks) for i in range(len(edges) - 1)]
    frame = _Frame((edges[0], edges[-1]), (0, max(totals + [1]) * 1.05))
    parts = frame.axes(title, xlabel, ylabel)
    base = [0] * (len(edges) - 1)
    for name, counts, colour in stacks:
        for i, count in enumerate(counts):
            if not count:
                continue
            x0, x1 = frame.px(edges[i]), frame.px(edges[i + 1])
            y_top, y_bottom = frame.py(base[i] + count), frame.py(base[i])
            parts.append(
                f'<rect x="{x0:.1f}" y="{y_top:.1f}" width="{max(x1 - x0 - 0.6, 0.5):.1f}" '
                f'height="{y_bottom - y_top:.1f}" fill="{colour}"><title>{escape(name)}, '
                f"{edges[i]:.3f}-{edges[i + 1]:.3f}: {count:,}</title></rect>"
            )
            base[i] += count
    entries = [(name, colour, None, "box") for name, _, colour in stacks]
    if marker is not None:
        value, name = marker
        x = frame.px(min(max(value, edges[0]), edges[-1]))
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{frame.bottom}" stroke="#000" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
        entries.append((f"{name} ({value:.3f})", "#000", "5 4", "line"))
    parts += frame.legend(entries)
    return _svg(frame, parts, title)
