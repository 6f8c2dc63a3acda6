"""One look for every chart: Okabe–Ito colours, labelled axes with units, captions and alt text.

``figure_block`` turns a plotly figure into an accessible ``<figure>``: the
chart, a caption that says in words what it shows (also its ``aria-label``),
and a source line. plotly.js is inlined once per page by :class:`FigureSink`
(the first figure carries it; the rest reference it), so the page works offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORWAY = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]
GREY = "#6b7280"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        colorway=COLORWAY,
        font=dict(family=FONT, size=13, color="#1f2933"),
        title=dict(font=dict(size=15), x=0, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=64, r=24, t=48, b=56),
        hoverlabel=dict(font=dict(family=FONT, size=12)),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="right", x=1, title_text=""),
        xaxis=dict(
            showgrid=False,
            linecolor="#9aa5b1",
            ticks="outside",
            tickcolor="#9aa5b1",
            automargin=True,
            title=dict(standoff=10),
        ),
        yaxis=dict(gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1", automargin=True, title=dict(standoff=10)),
        colorscale=dict(sequential=[[0, "#f7fbff"], [1, OKABE_ITO["blue"]]]),
    )
)
pio.templates["ledgerlab"] = TEMPLATE

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "displayModeBar": "hover",
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png"},
}


def styled(fig: go.Figure, *, title: str, x_title: str, y_title: str, height: int = 380) -> go.Figure:
    """Apply the house template, a title and axis titles (with units)."""
    fig.update_layout(template=TEMPLATE, title=title, height=height)
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


@dataclass
class FigureSink:
    """Renders figures for one page; only the first one carries plotly.js."""

    count: int = 0

    def block(self, fig: go.Figure, *, div_id: str, caption: str, source: str) -> str:
        first = self.count == 0
        self.count += 1
        chart = fig.to_html(
            full_html=False,
            include_plotlyjs=first,
            div_id=div_id,
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{fig.layout.height or 380}px",
        )
        label = html.escape(caption, quote=True)
        return (
            f'<figure class="chart" id="{div_id}-figure">'
            f'<div class="chart-body" role="img" aria-label="{label}">{chart}</div>'
            f"<figcaption>{html.escape(caption)}"
            f'<span class="source">source: {html.escape(source)}</span></figcaption></figure>'
        )


def table_block(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    caption: str,
    source: str,
    numeric: Sequence[bool] | None = None,
    table_id: str | None = None,
) -> str:
    """A plain HTML table with caption and source line; numbers right-aligned."""
    numeric = list(numeric) if numeric is not None else [False] * len(columns)
    head = "".join(
        f'<th class="{"num" if n else ""}" scope="col">{html.escape(str(c))}</th>'
        for c, n in zip(columns, numeric, strict=True)
    )

    def cell(v: object) -> str:
        return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)

    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if n else ""}">{html.escape(cell(v))}</td>' for v, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="table-wrap"><table{ident}><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f'<p class="source">source: {html.escape(source)}</p></div>'
    )


def fmt_int(v: float | int | None) -> str:
    return "–" if v is None else f"{int(round(v)):,}"


def fmt_czk(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f} CZK"


def fmt_pct(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{100 * v:.{digits}f} %"
