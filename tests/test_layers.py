"""The packages point one way: orchestration → domain packages → the shared base.

- ``ledgerlab.core`` (settings, warehouse connection, errors, source catalog,
  quality gate) imports nothing else of the project;
- the domain packages (``ml``, ``expectations``, ``ledgerlab.generator``,
  ``ledgerlab.insights``, ``ledgerlab.ingest``) import only the base and themselves;
- only the orchestration (``ledgerlab.cli``, ``ledgerlab.pipeline``,
  ``ledgerlab.dbt``) imports the domain packages.

Read from the source with ``ast``: lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("ledgerlab", "ml", "expectations")
BASE = "ledgerlab.core"
ORCHESTRATION = ("ledgerlab.cli", "ledgerlab.pipeline", "ledgerlab.dbt", "ledgerlab.__main__")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PROJECT_PACKAGES}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _layer(module: str) -> str:
    if _within(module, BASE):
        return "base"
    if any(_within(module, o) for o in ORCHESTRATION):
        return "orchestration"
    if module == "ledgerlab":
        return "package"
    return "domain"


def _domain_root(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "ledgerlab" else parts[0]


MODULES = sorted(path for package in PROJECT_PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_layers_cover_the_code() -> None:
    layers = {_layer(_module_name(p)) for p in MODULES}
    assert {"base", "domain", "orchestration"} <= layers


def violations(module: str, imported_names: set[str]) -> list[str]:
    """The imports of ``module`` that point the wrong way."""
    layer = _layer(module)
    wrong = []
    for imported in imported_names:
        target = _layer(imported)
        if target == "package":
            continue
        if layer == "base" and target != "base":
            wrong.append(imported)
        elif layer in ("domain", "package") and target == "orchestration":
            wrong.append(imported)
        elif layer == "domain" and target == "domain" and _domain_root(imported) != _domain_root(module):
            wrong.append(imported)
    return sorted(wrong)


def test_the_rule_sees_each_wrong_direction() -> None:
    assert violations("ledgerlab.core.config", {"ml.tasks"}) == ["ml.tasks"]
    assert violations("ml.train", {"ledgerlab.pipeline", "ledgerlab.core.config"}) == ["ledgerlab.pipeline"]
    assert violations("ml.train", {"expectations.runner"}) == ["expectations.runner"]
    assert violations("expectations.runner", {"ledgerlab.generator.tables"}) == ["ledgerlab.generator.tables"]
    assert violations("ledgerlab.pipeline", {"ml.train", "expectations.runner"}) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_one_way(path: Path) -> None:
    module = _module_name(path)
    wrong = violations(module, _imports(path))
    assert not wrong, f"{module} ({_layer(module)}) must not import {wrong}"
