"""What a suite is made of: checks with a severity, and facts about the warehouse.

A *check* is one GX expectation plus the project's metadata: a stable,
readable name (the ``expectation_id`` in ``quality.validation_results``),
its severity (``blocking`` stops modelling, ``warning`` is reported), the
defect kinds it catches and why it exists. A *table suite* is the checks of
one table; each module of ``expectations.suites`` returns the table suites
of one layer or mart.

``WarehouseFacts`` is read once, before GX starts, with a plain read-only
DuckDB connection: which tables exist, the ingest manifest (which optional
sources were given: suites of absent ones are skipped with a note) and the
quarantine counts by reason (for ``defect_coverage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ledgerlab.core import warehouse

Severity = Literal["blocking", "warning"]

# The defect kinds the generator injects (docs/ARCHITECTURE.md).
REJECTED_KINDS = (
    "duplicate_row",
    "null_key",
    "malformed_date",
    "orphan_foreign_key",
    "date_after_end",
    "malformed_json",
    "out_of_domain_code",
    "impossible_amount",
)
REPAIRED_KINDS = ("comma_decimal", "untrimmed_code", "wrong_case_code")
DEFECT_KINDS = REJECTED_KINDS + REPAIRED_KINDS


@dataclass(frozen=True)
class Check:
    name: str
    expectation: Any  # a gx.expectations.Expectation
    severity: Severity
    why: str
    catches: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.catches) - set(DEFECT_KINDS) - {"unparseable_line"}
        if unknown:
            raise ValueError(f"check {self.name}: unknown defect kinds {sorted(unknown)}")
        if self.severity not in ("blocking", "warning"):
            raise ValueError(f"check {self.name}: severity must be blocking or warning")

    def meta(self) -> dict:
        return {
            "name": self.name,
            "severity": self.severity,
            "catches": list(self.catches),
            "why": self.why,
        }


def blocking(name: str, expectation: Any, why: str, catches: tuple[str, ...] = ()) -> Check:
    return Check(name, expectation, "blocking", why, tuple(catches))


def warning(name: str, expectation: Any, why: str, catches: tuple[str, ...] = ()) -> Check:
    return Check(name, expectation, "warning", why, tuple(catches))


@dataclass
class TableSuite:
    """The checks of one table; the GX suite is named ``<schema>.<table>``."""

    layer: str
    schema: str
    table: str
    checks: list[Check] = field(default_factory=list)
    description: str = ""
    # The relation the checks read, "schema.table", when not the table itself: a staging
    # view over millions of raw rows is read from its materialised copy (the
    # int_<entity>s_validated table: the same rows, every column of the view plus the
    # verdicts), so that each of the suite's queries does not re-parse the raw text.
    read_from: str | None = None

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def relation(self) -> tuple[str, str]:
        """(schema, table) the checks read."""
        schema, _, table = (self.read_from or self.name).partition(".")
        return schema, table

    def add(self, *checks: Check) -> TableSuite:
        self.checks.extend(checks)
        return self

    def validate_names(self) -> None:
        names = [c.name for c in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"suite {self.name}: duplicate check names {duplicates}")


@dataclass(frozen=True)
class Skipped:
    """A suite not run, with the one-line reason shown in the report."""

    layer: str
    name: str
    reason: str


@dataclass
class WarehouseFacts:
    path: Path
    columns: dict[str, list[str]]  # "schema.table" -> column names
    manifest: list[dict]
    quarantine_counts: dict[str, int] = field(default_factory=dict)  # reason -> rows
    row_estimates: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows (tables, not views)

    @property
    def raw_rows(self) -> int:
        """Rows ingested, over all raw tables (from the ingest manifest)."""
        return sum(int(row.get("rows_loaded") or 0) for row in self.manifest)

    def has(self, qualified: str) -> bool:
        return qualified in self.columns

    def has_columns(self, qualified: str, *names: str) -> bool:
        return qualified in self.columns and all(n in self.columns[qualified] for n in names)

    def source_present(self, table: str) -> bool:
        for row in self.manifest:
            if row["table_name"] == table:
                return bool(row["present"]) and (row["rows_loaded"] or 0) + (row["rejected_lines"] or 0) > 0
        return False


def read_facts(path: Path) -> WarehouseFacts:
    with warehouse.connection(path, read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall()
        columns: dict[str, list[str]] = {}
        for qualified, column in rows:
            columns.setdefault(qualified, []).append(column)
        manifest: list[dict] = []
        if "raw._ingest_manifest" in columns:
            cursor = con.execute(
                "select table_name, source_file, present, file_bytes, rows_loaded, rejected_lines "
                "from raw._ingest_manifest order by table_name"
            )
            names = [d[0] for d in cursor.description]
            manifest = [dict(zip(names, r)) for r in cursor.fetchall()]
        quarantine: dict[str, int] = {}
        if "marts.quarantine_rows" in columns:
            quarantine = dict(
                con.execute("select reason, count(*) from marts.quarantine_rows group by reason").fetchall()
            )
        # DuckDB's row count of each table, from its metadata (no scan)
        row_estimates = {
            f"{schema}.{table}": int(rows or 0)
            for schema, table, rows in con.execute(
                "select schema_name, table_name, estimated_size from duckdb_tables() "
                "where database_name = current_database()"
            ).fetchall()
        }
    return WarehouseFacts(Path(path), columns, manifest, quarantine, row_estimates)
