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
            elif hasattr(module, "skip_reason"):
                reason = module.skip_reason(suite, facts)
            if reason:
                skipped.append(Skipped(layer, suite.name, reason))
            else:
                planned.append(suite)
    unknown = wanted - known_layers - seen_names
    if unknown:
        raise KeyError(
            f"unknown suite(s) {', '.join(sorted(unknown))}; layers: {', '.join(MODULES)}"
        )
    return planned, skipped
