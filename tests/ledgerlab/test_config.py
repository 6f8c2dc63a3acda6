"""The warehouse path and DuckDB settings are defined once (ledgerlab.core.config); profiles.yml agrees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledgerlab.core import config

PROFILE = (config.REPO_ROOT / "profiles.yml").read_text(encoding="utf-8")
PYTHON_PACKAGES = ("ledgerlab", "ml", "expectations", "bench")


def _profile_defaults() -> dict[str, str]:
    """`env_var('NAME', 'default')` pairs of profiles.yml."""
    return dict(re.findall(r"env_var\('(LEDGERLAB_\w+)', '([^']*)'\)", PROFILE))


def test_profile_duckdb_settings_read_the_same_variables_with_the_same_defaults() -> None:
    defaults = _profile_defaults()
    for name, default in config.DUCKDB_SETTING_DEFAULTS.items():
        assert defaults.get(name) == default, f"profiles.yml: {name} default differs from ledgerlab/core/config.py"
    settings = {
        "memory_limit": "LEDGERLAB_DUCKDB_MEMORY_LIMIT",
        "threads": "LEDGERLAB_DUCKDB_THREADS",
        "max_temp_directory_size": "LEDGERLAB_DUCKDB_MAX_TEMP_SIZE",
    }
    for setting, name in settings.items():
        assert re.search(rf"^\s+{setting}: \"{{{{ env_var\('{name}'", PROFILE, flags=re.MULTILINE), setting


def test_profile_warehouse_default_is_the_config_default() -> None:
    line = next(ln for ln in PROFILE.splitlines() if ln.strip().startswith("path:"))
    assert "env_var('LEDGERLAB_WAREHOUSE'," in line
    assert "env_var('LEDGERLAB_HOME', '.')" in line
    assert f"'/{config.WAREHOUSE_IN_HOME.as_posix()}'" in line


def test_warehouse_follows_home_then_its_own_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LEDGERLAB_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEDGERLAB_HOME", str(tmp_path))
    assert config.paths().warehouse == tmp_path / "warehouse" / "ledgerlab.duckdb"
    monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    assert config.paths().warehouse == tmp_path / "elsewhere.duckdb"


def test_no_other_module_resolves_the_warehouse_or_duckdb_settings_again() -> None:
    offenders = []
    for package in PYTHON_PACKAGES:
        for path in sorted((config.REPO_ROOT / package).rglob("*.py")):
            if path == config.REPO_ROOT / "ledgerlab" / "core" / "config.py":
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in (
                r"ledgerlab\.duckdb\b(?!_)",
                r"(?:environ\.get|getenv)\(\s*[\"']LEDGERLAB_(?:WAREHOUSE|HOME|DUCKDB_)",
                r"[\"']\d+GB[\"']",
            ):
                for match in re.finditer(pattern, text):
                    line = text.count("\n", 0, match.start()) + 1
                    offenders.append(f"{path.relative_to(config.REPO_ROOT)}:{line}: {match.group(0)}")
    assert not offenders, "use ledgerlab.core.config instead:\n" + "\n".join(offenders)
