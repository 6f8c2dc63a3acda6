"""Suites as code: one module per layer or mart.

Each module has ``LAYER``, ``suites(facts) -> list[TableSuite]`` and may have
``skip_reason(suite, facts) -> str | None``. A suite whose table does not
exist (a mart not built yet) is skipped with a one-line note, never failed.
"""

from __future__ import annotations

import importlib

from expectations.spec import Skipped, TableSuite, WarehouseFacts

MODULES = (
    "raw",
    "staging",
    "quarantine",
    "marts_core",
    "marts_transactions",
    "marts_loans",
    "marts_cards",
    "taiwan",
    "digital_events",
)


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
            if not facts.has(suite.name):
                reason = f"{suite.name} does not exist in the warehouse (not built yet)"
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
