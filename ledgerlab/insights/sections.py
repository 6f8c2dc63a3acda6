"""What a report section is made of, shared by every section module.

A section builder gets the :class:`Context` (the warehouse, the page's figure
sink, the stats registry) and returns a :class:`Section`: HTML blocks, the
findings it offers to the executive summary, and what data it missed.
Findings and statistic lines may be callables: they are rendered after every
p-value of the report has been Benjamini–Hochberg adjusted together.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledgerlab.insights import stats
from ledgerlab.insights.charts import FigureSink
from ledgerlab.insights.data import Warehouse, missing_hint


class StatsRegistry:
    """Every comparison of the report, so that all p-values are adjusted as one family."""

    def __init__(self) -> None:
        self._items: dict[str, stats.Comparison] = {}
        self._adjusted: dict[str, stats.Comparison] | None = None

    def add(self, key: str, comparison: stats.Comparison) -> str:
        if key in self._items:
            raise ValueError(f"comparison {key!r} registered twice")
        self._items[key] = comparison
        self._adjusted = None
        return key

    def adjust(self) -> None:
        keys = list(self._items)
        adjusted = stats.adjust_all([self._items[k] for k in keys])
        self._adjusted = dict(zip(keys, adjusted, strict=True))

    def __getitem__(self, key: str) -> stats.Comparison:
        if self._adjusted is None:
            self.adjust()
        assert self._adjusted is not None
        return self._adjusted[key]

    def all(self) -> list[stats.Comparison]:
        if self._adjusted is None:
            self.adjust()
        assert self._adjusted is not None
        return list(self._adjusted.values())

    def keys(self) -> list[str]:
        return list(self._items)


Text = str | Callable[[StatsRegistry], str]


def render_text(text: Text, registry: StatsRegistry) -> str:
    return text(registry) if callable(text) else text


@dataclass
class Finding:
    """One plain-language sentence for the executive summary, linking to its evidence."""

    text: Text
    anchor: str
    priority: int = 50  # lower comes first


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Text] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    def html(self, text: str) -> None:
        self.blocks.append(text)

    def para(self, text: str) -> None:
        self.blocks.append(f"<p>{text}</p>")

    def note_missing(self, message: str) -> None:
        self.missing.append(message)

    def stat_line(self, key: str, *, anchor: str | None = None) -> None:
        """The method line of one registered comparison (rendered after BH adjustment)."""

        def render(registry: StatsRegistry) -> str:
            c = registry[key]
            ident = f' id="{anchor}"' if anchor else ""
            return f'<p class="stat"{ident}><span class="stat-name">{html.escape(c.name)}</span> — {html.escape(c.line())}</p>'

        self.blocks.append(render)


@dataclass
class Context:
    warehouse: Warehouse
    figures: FigureSink
    registry: StatsRegistry
    out_dir: Path
    reports_dir: Path
    seed: int = 42
    shared: dict = field(default_factory=dict)  # results one section hands to another

    def require(self, section: Section, schema: str, *tables: str) -> bool:
        """True when every table exists; otherwise notes each missing one in the section."""
        ok = True
        for table in tables:
            if not self.warehouse.has(schema, table):
                section.note_missing(self.warehouse.problem or missing_hint(schema, table))
                ok = False
        return ok
