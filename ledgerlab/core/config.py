"""Every path and default of the project, in one place.

Each part of ledgerlab (CLI, ingestion, dbt profile, Great Expectations, the
modelling layer, reports, benchmarks) takes its locations from here, so a
single environment variable moves a whole run:

- ``LEDGERLAB_WAREHOUSE``  the DuckDB file (default ``warehouse/ledgerlab.duckdb``)
- ``LEDGERLAB_HOME``       the root for build outputs (default: the repo root)
- ``LEDGERLAB_TAIWAN_CSV`` the UCI Taiwan credit-card default file (optional)
- ``LEDGERLAB_PSEUDONYM_KEY`` the HMAC key that pseudonymises client ids
- ``LEDGERLAB_DUCKDB_MEMORY_LIMIT`` / ``_THREADS`` / ``_MAX_TEMP_SIZE`` DuckDB's resources
- ``LEDGERLAB_ENGINE``     ``duckdb`` (default) or ``spark``: where ingest, build,
  validation and the scores run (the CLI's ``--engine`` sets it; see ``engine()``)

This module is the one definition of the warehouse path and the DuckDB
settings. dbt cannot import Python, so the committed ``profiles.yml`` reads
the same variables with the same defaults; ``tests/ledgerlab/test_config.py``
checks that the two agree and that no other module resolves them again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ledgerlab.core.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_ACCOUNTS = 4_500
DEFAULT_SEED = 42

# A development default so that a fresh clone runs; it is printed as a warning
# whenever it is used. Production runs set LEDGERLAB_PSEUDONYM_KEY.
DEV_PSEUDONYM_KEY = "ledgerlab-DEVELOPMENT-ONLY-key-not-for-production"

# The real data the team shares beside the checkout (never committed).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SHARED_BERKA = SHARED_DATA / "berka"
SHARED_TAIWAN_CSV = SHARED_DATA / "taiwan_default" / "UCI_Credit_Card.csv"


# The warehouse file under the home folder, unless LEDGERLAB_WAREHOUSE names another.
WAREHOUSE_IN_HOME = Path("warehouse") / "ledgerlab.duckdb"


def default_warehouse(home: Path) -> Path:
    """The warehouse a run with ``home`` as LEDGERLAB_HOME uses when LEDGERLAB_WAREHOUSE is unset."""
    return Path(home) / WAREHOUSE_IN_HOME


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Paths:
    """Where a run reads and writes. Build outputs all live under ``home``."""

    home: Path = field(default_factory=lambda: _env_path("LEDGERLAB_HOME", REPO_ROOT))
    warehouse: Path | None = None

    def __post_init__(self) -> None:
        if self.warehouse is None:
            default = default_warehouse(self.home)
            object.__setattr__(self, "warehouse", _env_path("LEDGERLAB_WAREHOUSE", default))

    @property
    def generated_data(self) -> Path:
        return self.home / "data" / "generated"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def quality_reports(self) -> Path:
        return self.reports / "quality"

    @property
    def insight_reports(self) -> Path:
        return self.reports / "insights"

    def model_reports(self, task: str) -> Path:
        return self.reports / "models" / task

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def build(self) -> Path:
        """Scratch state of tools (GX context, dbt target, temp spill files)."""
        return self.home / "build"

    @property
    def gx_context(self) -> Path:
        return self.build / "gx"


def paths() -> Paths:
    """The paths of this process, read from the environment at call time."""
    return Paths()


ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


class UnknownEngine(UserError):
    """LEDGERLAB_ENGINE (or --engine) names no engine ledgerlab has."""


def engine() -> str:
    """The engine of this process: ``LEDGERLAB_ENGINE``, else DuckDB.

    The one place the setting is resolved; the CLI's ``--engine`` only sets
    the variable, so that every layer (and a child process) reads the same.
    """
    value = (os.environ.get("LEDGERLAB_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if value not in ENGINES:
        raise UnknownEngine(f"unknown engine {value!r} (LEDGERLAB_ENGINE or --engine): use {' or '.join(ENGINES)}")
    return value


def taiwan_csv() -> Path | None:
    """The Taiwan file named by ``LEDGERLAB_TAIWAN_CSV``, or none.

    The file is optional and never looked for implicitly: a run uses it only
    when told to (this variable or the CLI's ``--taiwan-csv``).
    """
    value = os.environ.get("LEDGERLAB_TAIWAN_CSV")
    return Path(value).expanduser().resolve() if value else None


def pseudonym_key() -> tuple[str, bool]:
    """The HMAC key and whether it is the development default."""
    value = os.environ.get("LEDGERLAB_PSEUDONYM_KEY")
    return (value, False) if value else (DEV_PSEUDONYM_KEY, True)


# DuckDB settings sized for the 2-core, 24 GB machine the project targets;
# overridable so a laptop or a bigger box can change them without code.
# The max temp size caps DuckDB's spill folder, so that a query larger than
# memory fails with DuckDB's own "out of temp space" error instead of filling the
# disk (DuckDB's default is 90 % of the free space, which leaves nothing for the
# warehouse). Environment variable -> default; profiles.yml repeats these defaults.
DUCKDB_SETTING_DEFAULTS = {
    "LEDGERLAB_DUCKDB_MEMORY_LIMIT": "10GB",
    "LEDGERLAB_DUCKDB_THREADS": "2",
    "LEDGERLAB_DUCKDB_MAX_TEMP_SIZE": "40GB",
}


def _duckdb_setting(name: str) -> str:
    return os.environ.get(name) or DUCKDB_SETTING_DEFAULTS[name]


DUCKDB_MEMORY_LIMIT = _duckdb_setting("LEDGERLAB_DUCKDB_MEMORY_LIMIT")
DUCKDB_THREADS = int(_duckdb_setting("LEDGERLAB_DUCKDB_THREADS"))
DUCKDB_MAX_TEMP_SIZE = _duckdb_setting("LEDGERLAB_DUCKDB_MAX_TEMP_SIZE")
# GX evaluates expectations in single-threaded Python: validation runs its
# suites in several processes, which share DuckDB's memory limit. Unset means
# "by size" (see validation_jobs).
VALIDATE_JOBS = int(os.environ["LEDGERLAB_VALIDATE_JOBS"]) if os.environ.get("LEDGERLAB_VALIDATE_JOBS") else None
# Above this many raw rows (ingested, all tables), one validation process is faster:
# DuckDB's queries, which use every core already, outweigh GX's Python
# (measured: 2 processes 13 s vs 17 s at 1 M transactions, 32 vs 35 s at 10 M,
# 234 vs 218 s at 100 M; docs/BENCHMARKS.md).
PARALLEL_VALIDATION_MAX_ROWS = 50_000_000


# dbt's threads (models built side by side) for a build over this many raw rows and more: one.
# At 111 M transactions two window-heavy marts built side by side (account_anomaly_signals,
# transaction_anomaly_candidates) shared DuckDB's memory and spilled 28 GB between them, past
# the spill cap; each query uses every core already, so one at a time costs little there.
# Below it, the profile's threads (profiles.yml): at 1 M transactions dbt's Python per node is
# half the build, and four threads hide it.
SERIAL_BUILD_MIN_ROWS = 50_000_000


def dbt_threads(raw_rows: int) -> int | None:
    """dbt threads for a build over ``raw_rows`` ingested rows (None: the profile's own)."""
    return 1 if raw_rows >= SERIAL_BUILD_MIN_ROWS else None


def validation_jobs(raw_rows: int) -> int:
    """Processes for validating a warehouse into which ``raw_rows`` rows were ingested."""
    if VALIDATE_JOBS is not None:
        return max(1, VALIDATE_JOBS)
    return DUCKDB_THREADS if raw_rows <= PARALLEL_VALIDATION_MAX_ROWS else 1
