"""Suites as code: one module per layer or mart.

Each module has ``LAYER``, ``suites(facts) -> list[TableSuite]`` and may have
``skip_reason(suite, facts) -> str | None``. A suite whose table does not
exist (a mart not built yet) is skipped with a one-line note, never failed.

Every module of this package whose name does not start with ``_`` is a
suite module: adding a file adds its suites. They run (and are reported)
layer by layer, in the order of the name prefixes below, then by name.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from pathlib import Path

from expectations.spec import Skipped, TableSuite, WarehouseFacts

# Report order of the layers, by module-name prefix; other modules come last.
_LAYER_ORDER = ("raw", "profile", "staging", "quarantine", "marts")


def _discover() -> tuple[str, ...]:
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")]

    def rank(name: str) -> tuple[int, str]:
        for position, prefix in enumerate(_LAYER_ORDER):
            if name == prefix or name.startswith(prefix + "_"):
                return position, name
        return len(_LAYER_ORDER), name

    return tuple(sorted(names, key=rank))


MODULES = _discover()


def _dbt_manifest() -> dict | None:
    from ledgerlab.core import config

    path = Path(os.environ.get("DBT_TARGET_PATH") or config.paths().home / "target") / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def absent_sources(facts: WarehouseFacts) -> set[str]:
    """Declared sources none of whose files the last ingest got."""
    from ledgerlab.core.sources import catalog

    given = {row["table_name"] for row in facts.manifest if row.get("present")}
    tables = catalog()
    return {t.source for t in tables} - {t.source for t in tables if t.table in given}


def built_on_absent_sources(facts: WarehouseFacts) -> dict[str, str]:
    """Relation → skip reason, for models whose every upstream source was not ingested (dbt lineage)."""
    absent = absent_sources(facts) if facts.manifest else set()
    manifest = _dbt_manifest() if absent else None
    if not manifest:
        return {}
    nodes, parents = manifest.get("nodes", {}), manifest.get("parent_map", {})
    sources = manifest.get("sources", {})
    upstream_of: dict[str, set[str]] = {}

    def upstream(uid: str) -> set[str]:
        if uid not in upstream_of:
            upstream_of[uid] = set()  # guards against cycles
            found: set[str] = set()
            for parent in parents.get(uid, []):
                if parent in sources:
                    found.add(sources[parent]["source_name"])
                elif parent in nodes:
                    found |= upstream(parent)
            upstream_of[uid] = found
        return upstream_of[uid]

    skips = {}
    for uid, node in nodes.items():
        if node.get("resource_type") != "model":
            continue
        names = upstream(uid)
        if names and names <= absent:
            relation = f"{node.get('schema')}.{node.get('alias') or node.get('name')}"
            skips[relation] = f"built only on source {', '.join(sorted(names))}, which was not ingested"
    return skips


def _module(name: str):
    return importlib.import_module(f"expectations.suites.{name}")


def plan(facts: WarehouseFacts, selection: list[str] | None = None) -> tuple[list[TableSuite], list[Skipped]]:
    """The table suites to run and the ones skipped, in report order.

    ``selection`` holds layer names (``raw``, ``marts_loans``) or suite
    names (``marts.loan_features``); none means everything.
    """
    wanted = set(selection or [])
    known_layers = set(MODULES)
    planned: list[TableSuite] = []
    skipped: list[Skipped] = []
    seen_names: set[str] = set()
    lineage_skips = built_on_absent_sources(facts)
    for layer in MODULES:
        module = _module(layer)
        for suite in module.suites(facts):
            suite.validate_names()
            seen_names.add(suite.name)
            if wanted and layer not in wanted and suite.name not in wanted:
                continue
            reason = None
            reads = ".".join(suite.relation)  # the table itself, or what it is read from
            if not facts.has(reads):
                reason = f"{reads} does not exist in the warehouse (not built yet)"
            elif suite.name in lineage_skips or reads in lineage_skips:
                reason = f"{suite.name}: {lineage_skips.get(suite.name) or lineage_skips[reads]}"
            elif hasattr(module, "skip_reason"):
                reason = module.skip_reason(suite, facts)
            if reason:
                skipped.append(Skipped(layer, suite.name, reason))
            else:
                planned.append(suite)
    unknown = wanted - known_layers - seen_names
    if unknown:
        raise KeyError(f"unknown suite(s) {', '.join(sorted(unknown))}; layers: {', '.join(MODULES)}")
    return planned, skipped
