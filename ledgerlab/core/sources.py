"""The raw files ledgerlab reads, as declared in dbt's own source files.

There is one declaration per source and it lives where dbt expects it: the
``sources:`` of ``models_sql/**/_*__sources.yml``. dbt reads those files for
lineage and docs; this module parses the same files (it does not run dbt)
and hands ingestion, the raw and profiling quality suites and the quarantine
union what they need. A table is a raw file source when its ``config.meta``
names ``files``; the source's ``config.meta`` gives the defaults of its
tables. The keys (docs/ADDING_A_SOURCE.md has a worked example):

source or table ``config.meta``
    ``format``     ``delimited`` (default), ``jsonl`` or ``parquet``
    ``delimiter``, ``quote``, ``header``  for delimited files (``,``, ``"``, true)
    ``encoding``   ``auto`` (detect UTF-8, cp1250 or latin-1; the default),
                   ``utf-8``, ``cp1250``, ``latin-1`` …
    ``required``   on a source: it must be given to every ingest (default false);
                   on a table: once its source is given, this file must be too
                   (default true)
table ``config.meta``
    ``files``      file names or glob patterns, tried in order
    ``key``        key columns (for JSON lines: fields of each object)
    ``quarantine_model``  the model with ``is_clean``/``quarantine_action``
                   verdicts on this table's rows; ``quarantine_rows`` unions them
column ``config.meta``
    ``type`` (``integer``, ``decimal``, ``yymmdd``, ``json``), ``not_null``,
    ``positive``, ``accepted_values``, ``references`` (``table.column``):
    content checks of the raw suite, all warnings; ``known_codes`` (values
    that are codes by design) and ``sparse`` (empty by design): what the
    profile (expectations/suites/profile.py) should not flag.

Columns are the table's ``columns`` less the lineage columns ingestion adds.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ledgerlab.core import config
from ledgerlab.core.errors import UserError

LINEAGE_COLUMNS = ("_source_file", "_source_line", "_loaded_at")
FORMATS = ("delimited", "jsonl", "parquet")
SOURCES_GLOB = "_*__sources.yml"


class CatalogError(UserError):
    """A source declaration is malformed."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str | None:
        return self.meta.get("type")


@dataclass(frozen=True)
class RawSource:
    """One raw table: where its file is, how to read it, what it must hold."""

    source: str  # the dbt source name (``berka``)
    table: str  # the raw table (``raw.<table>``)
    files: tuple[str, ...]
    column_specs: tuple[ColumnSpec, ...]
    format: str = "delimited"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    encoding: str = "auto"
    required: bool = True  # once the source is given
    source_required: bool = False
    key: tuple[str, ...] = ()
    quarantine_model: str | None = None
    description: str = ""
    declared_in: Path | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.column_specs)

    @property
    def default_file(self) -> str:
        return self.files[0]

    def column(self, name: str) -> ColumnSpec:
        for spec in self.column_specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def matches(self, file_name: str) -> bool:
        return any(fnmatch.fnmatch(file_name, pattern) for pattern in self.files)


def _meta(node: dict) -> dict:
    """``config.meta`` (dbt ≥ 1.10), or a plain ``meta`` as older projects write it."""
    meta = dict(node.get("meta") or {})
    meta.update((node.get("config") or {}).get("meta") or {})
    return meta


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _parse_file(path: Path) -> list[RawSource]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise CatalogError(f"{path}: not valid YAML ({first})") from None
    out: list[RawSource] = []
    for src in doc.get("sources") or []:
        src_meta = _meta(src)
        for table in src.get("tables") or []:
            meta = {**src_meta, **_meta(table)}
            meta.pop("required", None)
            table_meta = _meta(table)
            files = _as_tuple(table_meta.get("files"))
            if not files:
                continue  # a table ingestion writes itself (manifest, rejected lines), or loaded by others
            where = f"{path}: source {src['name']}, table {table['name']}"
            fmt = str(meta.get("format", "delimited"))
            if fmt not in FORMATS:
                raise CatalogError(f"{where}: format {fmt!r} is not one of {', '.join(FORMATS)}")
            columns = tuple(
                ColumnSpec(str(c["name"]).lower(), _meta(c))
                for c in table.get("columns") or []
                if str(c["name"]).lower() not in LINEAGE_COLUMNS
            )
            if not columns:
                raise CatalogError(f"{where}: no columns declared")
            names = [c.name for c in columns]
            key = _as_tuple(meta.get("key"))
            if fmt != "jsonl":
                missing = [k for k in key if k.lower() not in names]
                if missing:
                    raise CatalogError(f"{where}: key column(s) {', '.join(missing)} are not declared columns")
            out.append(
                RawSource(
                    source=str(src["name"]),
                    table=str(table["name"]),
                    files=files,
                    column_specs=columns,
                    format=fmt,
                    delimiter=str(meta.get("delimiter", ",")),
                    quote=str(meta.get("quote", '"')),
                    header=bool(meta.get("header", True)),
                    encoding=str(meta.get("encoding", "auto")).lower(),
                    required=bool(table_meta.get("required", True)),
                    source_required=bool(src_meta.get("required", False)),
                    key=tuple(k.lower() for k in key) if fmt != "jsonl" else key,
                    quarantine_model=table_meta.get("quarantine_model"),
                    description=" ".join(str(table.get("description") or "").split()),
                    declared_in=path,
                )
            )
    return out


def sources_files(root: Path | None = None) -> list[Path]:
    """Every dbt sources file of the project, in a stable order."""
    base = (root or config.REPO_ROOT) / "models_sql"
    return sorted(base.rglob(SOURCES_GLOB))


@functools.lru_cache(maxsize=8)
def _load(root: Path) -> tuple[RawSource, ...]:
    catalog: list[RawSource] = []
    seen: dict[str, Path] = {}
    for path in sources_files(root):
        for raw in _parse_file(path):
            if raw.table in seen:
                raise CatalogError(f"{path}: raw table {raw.table!r} is also declared in {seen[raw.table]}")
            seen[raw.table] = path
            catalog.append(raw)
    return tuple(catalog)


def catalog(root: Path | None = None) -> tuple[RawSource, ...]:
    """Every raw table declared in the project's dbt sources files."""
    return _load((root or config.REPO_ROOT).resolve())


def source(table: str, root: Path | None = None) -> RawSource:
    for candidate in catalog(root):
        if candidate.table == table:
            return candidate
    known = ", ".join(s.table for s in catalog(root))
    raise KeyError(f"unknown raw table {table!r}; known: {known}")


def source_names(root: Path | None = None) -> list[str]:
    """The declared dbt source names, in declaration order."""
    names: list[str] = []
    for raw in catalog(root):
        if raw.source not in names:
            names.append(raw.source)
    return names


def tables_of(source_name: str, root: Path | None = None) -> tuple[RawSource, ...]:
    return tuple(s for s in catalog(root) if s.source == source_name)


def quarantine_models(root: Path | None = None) -> list[tuple[str, str]]:
    """(raw table, validated model) of every table that declares its quarantine."""
    return [(s.table, s.quarantine_model) for s in catalog(root) if s.quarantine_model]


GENERATED_MACRO = Path("dbt_project") / "macros" / "_generated_sources.sql"


def render_macros(root: Path | None = None) -> str:
    """The dbt macros derived from the catalog (dbt needs its refs before it has a graph).

    ``quarantine_rows`` must ``ref()`` every validated model while dbt parses,
    when the graph (and every ``meta``) is not known yet; so the list is
    written from the sources files into a macro, by ``ledgerlab build`` before
    each dbt run, and a test keeps the committed copy current.
    """
    pairs = quarantine_models(root)
    tables = [s.table for s in catalog(root)]
    pair_text = "".join(f"\n        ['{t}', '{m}']," for t, m in pairs)
    triple_text = "".join(
        f"\n        ['{s.source}', '{s.table}', '{s.quarantine_model}']," for s in catalog(root) if s.quarantine_model
    )
    table_text = "".join(f"\n        '{t}'," for t in tables)
    return (
        "{#- Generated by `ledgerlab build` from the dbt sources files (models_sql/**/_*__sources.yml,\n"
        "    read by ledgerlab/core/sources.py). Do not edit: declare a table's files and its\n"
        "    quarantine_model in its sources file. -#}\n\n"
        "{% macro ledgerlab_quarantine_models() -%}\n"
        f"    {{{{ return([{pair_text}\n    ]) }}}}\n"
        "{%- endmacro %}\n\n"
        "{% macro ledgerlab_quarantine_sources() -%}\n"
        f"    {{{{ return([{triple_text}\n    ]) }}}}\n"
        "{%- endmacro %}\n\n"
        "{% macro ledgerlab_raw_tables() -%}\n"
        f"    {{{{ return([{table_text}\n    ]) }}}}\n"
        "{%- endmacro %}\n"
    )


def write_macros(root: Path | None = None) -> bool:
    """Bring the generated macro file up to date; True when it changed."""
    base = (root or config.REPO_ROOT).resolve()
    _load.cache_clear()  # the sources files may have changed since this process read them
    text = render_macros(base)
    path = base / GENERATED_MACRO
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
