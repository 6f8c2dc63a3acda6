"""generate(): the driver of the whole generator.

Accounts are cut into units (``units.plan_units``); each unit is simulated,
formatted and written, in this process or in worker processes
(``parallel.py``); the ``Sink`` fixes every piece's place in its file in
unit order and collects the truth rows and defect records.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlab.core import progress
from ledgerlab.core.progress import Progress

from .accounts import CohortShift
from .defects import DefectLog, DefectRates, Injected, defects_truth
from .events import EventTable
from .formatting import HEADERS, table_csv
from .tables import Offsets
from .units import UNIT_TABLES, RunConfig, Unit, UnitOutput, UnitWork, plan_units
from .writer import EVENTS, TABLES, OutputFiles


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: Path
    accounts: int
    seed: int
    rows: dict[str, int]
    default_rate: float
    oracle_roc_auc: float
    card_oracle_roc_auc: float
    card_take_rate: float
    n_loans: int
    n_defects: int
    defects_by_kind: dict[str, int]
    n_anomalous_accounts: int
    n_events: int
    seconds: float
    bytes_written: int
    clean: bool
    file_format: str
    chunk_accounts: int = field(default=5000)
    workers: int = 1  # processes that generated the units (1: this process)
    worker_peak_rss_mib: tuple[int, ...] = ()

    @property
    def transactions_per_second(self) -> float:
        return self.rows.get("trans", 0) / self.seconds if self.seconds > 0 else float("nan")

    def lines(self) -> list[str]:
        rows = ", ".join(f"{t} {n:,}" for t, n in self.rows.items())
        defects = ", ".join(f"{k} {v}" for k, v in sorted(self.defects_by_kind.items())) or "none"
        return [
            f"generated {self.accounts:,} accounts (seed {self.seed}, {self.file_format}{', clean' if self.clean else ''}) into {self.out_dir}",
            f"rows: {rows}",
            f"digital events: {self.n_events:,}",
            f"loans: {self.n_loans:,}, default rate {self.default_rate:.1%}, oracle ROC AUC (true PD) {self.oracle_roc_auc:.3f}",
            f"card propensity: 1998 take-up {self.card_take_rate:.1%}, oracle ROC AUC {self.card_oracle_roc_auc:.3f}",
            f"injected defects: {self.n_defects:,} ({defects})",
            f"anomalous accounts: {self.n_anomalous_accounts}",
            f"time {self.seconds:.1f} s ({self.transactions_per_second:,.0f} transactions/s"
            + (f", {self.workers} worker processes" if self.workers > 1 else "")
            + f"), {self.bytes_written / 1e6:,.1f} MB written",
        ]


def _auc(score: np.ndarray, outcome: np.ndarray) -> float:
    outcome = np.asarray(outcome, dtype=bool)
    if outcome.all() or not outcome.any():
        return float("nan")
    # Mann-Whitney U with mid-ranks for ties (no scikit-learn import: it is slow to load).
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(s.size)
    bounds = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [s.size]])
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    n_pos = int(outcome.sum())
    n_neg = outcome.size - n_pos
    return float((ranks[outcome].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def generate(
    out_dir: Path,
    accounts: int = 4500,
    seed: int = 42,
    clean: bool = False,
    file_format: str = "csv",
    chunk_accounts: int = 5000,
    defect_rates: DefectRates | None = None,
    workers: int | None = None,
    cohort_shift: CohortShift | None = None,
    on_progress: Progress = progress.ignore,
) -> GenerationSummary:
    """Write the synthetic bank into ``out_dir`` (see docs/GENERATOR.md).

    ``cohort_shift``: make the accounts opened from a date on wealthier or poorer (income
    and balances), so that a later cohort differs from the one a model was fitted on; None
    (the default) leaves the bank unchanged.

    ``workers``: processes that simulate and format units in parallel (None:
    one per available CPU when there are several units of work; 1: all in
    this process). The files are the same whatever ``workers`` and
    ``chunk_accounts`` are. ``on_progress(done, total)`` counts the units written.
    """
    started = time.perf_counter()
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    if chunk_accounts < 1:
        raise ValueError("chunk_accounts must be >= 1")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = out_dir / "_truth"
    if truth_dir.exists():
        shutil.rmtree(truth_dir)
    truth_dir.mkdir()
    for stale in [*(out_dir / f"{t}.asc" for t in TABLES), *(out_dir / f"{t}.parquet" for t in TABLES)]:
        stale.unlink(missing_ok=True)

    cfg = RunConfig(
        accounts=accounts,
        seed=seed,
        clean=clean,
        file_format=file_format,
        defect_rates=defect_rates,
        cohort_shift=cohort_shift,
    )
    work = UnitWork(cfg)
    files = OutputFiles(out_dir, file_format)
    sink = Sink(files, work)
    sink.put_district(work.districts)
    units = plan_units(accounts, chunk_accounts)
    n_workers = _n_workers(workers, units, file_format)
    worker_rss: list[int] = []
    try:
        if n_workers > 1:
            from .parallel import run_parallel

            worker_rss = run_parallel(cfg, units, work.anomaly_kinds(), sink, n_workers, on_progress)
        else:
            kinds = work.anomaly_kinds()
            off = Offsets()
            for done, unit in enumerate(units, 1):
                state, counts = work.simulate(unit, kinds[unit.a0 : unit.a1])
                out = work.emit(unit, state, off)
                off = counts.advance(off)
                sink.write(sink.place(unit, out), out)
                on_progress(done, len(units))
    finally:
        bytes_written = sink.close()

    # one contiguous chunk each, so the parquet bytes do not depend on chunk_accounts
    loans_truth = pl.concat(sink.truth_parts["loans"]).rechunk()
    cards_truth = pl.concat(sink.truth_parts["cards"]).rechunk()
    anomalies_truth = pl.concat(sink.truth_parts["anomalies"]).rechunk()
    defects_truth_df = defects_truth(sink.logs, file_format)
    loans_truth.write_parquet(truth_dir / "loans.parquet")
    cards_truth.write_parquet(truth_dir / "cards.parquet")
    anomalies_truth.write_parquet(truth_dir / "anomalies.parquet")
    defects_truth_df.write_parquet(truth_dir / "defects.parquet")

    n_loans = loans_truth.height
    by_kind = dict(defects_truth_df.group_by("kind").len().iter_rows()) if defects_truth_df.height else {}
    summary = GenerationSummary(
        out_dir=out_dir,
        accounts=accounts,
        seed=seed,
        rows={t: files.layout.lines[t] for t in TABLES},
        default_rate=float(loans_truth["is_default"].mean()) if n_loans else float("nan"),
        oracle_roc_auc=_auc(loans_truth["true_pd"].to_numpy(), loans_truth["is_default"].to_numpy())
        if n_loans
        else float("nan"),
        card_oracle_roc_auc=_auc(cards_truth["true_probability"].to_numpy(), cards_truth["took_card"].to_numpy())
        if cards_truth.height
        else float("nan"),
        card_take_rate=float(cards_truth["took_card"].mean()) if cards_truth.height else float("nan"),
        n_loans=n_loans,
        n_defects=defects_truth_df.height,
        defects_by_kind=by_kind,
        n_anomalous_accounts=anomalies_truth.height,
        n_events=files.layout.lines[EVENTS],
        seconds=time.perf_counter() - started,
        bytes_written=bytes_written,
        clean=clean,
        file_format=file_format,
        chunk_accounts=chunk_accounts,
        workers=n_workers,
        worker_peak_rss_mib=tuple(round(k / 1024) for k in worker_rss),
    )
    return summary


def _n_workers(workers: int | None, units: list[Unit], file_format: str) -> int:
    if file_format != "csv":
        return 1  # parquet row groups are written in order by this process
    if workers is None:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        # a worker process costs ~2 CPU-seconds to start (imports): only worth it for several full units
        return max(1, min(cpus, len(units))) if sum(u.a1 - u.a0 for u in units) >= 20_000 else 1
    return max(1, min(int(workers), len(units)))


@dataclass
class Placed:
    """Where a unit's pieces go: (first data line index, byte offset) per table (and EVENTS when it has events).

    ``local_events``: a block of events formatted here, by the sink (from the
    parts of several units), which this process writes itself.
    """

    at: dict[str, tuple[int, int]]
    local_events: Injected | None = None


class Sink:
    """Places unit outputs in file order and collects defect logs and truth rows (runs in the main process)."""

    def __init__(self, files: OutputFiles, work: UnitWork) -> None:
        self.files = files
        self.work = work
        self.logs: list[tuple[DefectLog, int]] = []
        self.truth_parts: dict[str, list[pl.DataFrame]] = {"loans": [], "cards": [], "anomalies": []}
        self._event_parts: list[EventTable] = []
        self._next_unit = 0
        self._chunk_typed: dict[str, list[pl.DataFrame]] = {}

    def put_district(self, districts: pl.DataFrame) -> None:
        if self.files.file_format == "csv":
            data = table_csv("district", districts)
            _, offset = self.files.layout.place("district", districts.height, len(data))
            self.files.write_at("district", [data], offset)
        else:
            self.files.layout.place("district", districts.height, 0)
            self.files.write_typed("district", _parquet_frame("district", districts))

    def _log(self, inj: Injected, table: str, first_index: int) -> None:
        if inj.log is not None:
            # physical line numbers: header = line 1 (events: no header, first event = line 1)
            self.logs.append((inj.log, first_index + (1 if table == EVENTS else 2)))

    def place(self, unit: Unit, out: UnitOutput) -> Placed:
        """Fix the unit's place in every file (units must come in order)."""
        if unit.index != self._next_unit:
            raise RuntimeError(f"unit {unit.index} placed before unit {self._next_unit}")
        self._next_unit += 1
        layout = self.files.layout
        at = {}
        for table in UNIT_TABLES:
            inj = out.tables[table]
            at[table] = layout.place(table, inj.n_lines, inj.n_bytes)
            self._log(inj, table, at[table][0])
        events = out.events
        local_events = None
        if out.event_part is not None:
            self._event_parts.append(out.event_part)
            out.event_part = None
            if unit.last_of_block:
                events = local_events = self.work.format_events(EventTable.concat(self._event_parts))
                self._event_parts = []
        if events is not None:
            at[EVENTS] = layout.place(EVENTS, events.n_lines, events.n_bytes)
            self._log(events, EVENTS, at[EVENTS][0])
        for key in self.truth_parts:
            self.truth_parts[key].append(out.truth[key])
        if self.files.file_format == "parquet":
            for table in UNIT_TABLES:
                self._chunk_typed.setdefault(table, []).append(out.typed.pop(table))
            if unit.last_of_chunk:
                for table in UNIT_TABLES:
                    frames = self._chunk_typed.pop(table)
                    frame = frames[0] if len(frames) == 1 else pl.concat(frames).rechunk()
                    self.files.write_typed(table, _parquet_frame(table, frame))
        return Placed(at, local_events)

    def write(self, placed: Placed, out: UnitOutput) -> None:
        """Write a placed unit's pieces (in this process)."""
        write_unit(self.files.write_at, placed, out, self.files.file_format)
        self.write_local(placed)

    def write_local(self, placed: Placed) -> None:
        if placed.local_events is not None:
            self.files.write_at(EVENTS, placed.local_events.pieces, placed.at[EVENTS][1])

    def close(self) -> int:
        return self.files.close()


def write_unit(write_at, placed: Placed, out: UnitOutput, file_format: str) -> None:
    if file_format == "csv":
        for table in UNIT_TABLES:
            write_at(table, out.tables[table].pieces, placed.at[table][1])
    if out.events is not None:
        write_at(EVENTS, out.events.pieces, placed.at[EVENTS][1])


def _parquet_frame(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Typed parquet columns with the real column names (money in CZK as floats)."""
    exprs = []
    for col in HEADERS[table]:
        if col + "_cents" in df.columns:
            exprs.append((pl.col(col + "_cents") / 100.0).alias(col))
        elif table == "trans" and col == "bank":
            exprs.append(pl.col("bank_code").alias("bank"))
        elif table == "trans" and col == "account":
            exprs.append(pl.col("account_to").alias("account"))
        elif (table == "card" and col == "issued") or col == "date":
            dtype = pl.Datetime if col == "issued" else pl.Date
            exprs.append(pl.col(col).cast(pl.Utf8).str.strptime(dtype, "%y%m%d", strict=False).alias(col))
        else:
            exprs.append(pl.col(col))
    return df.select(exprs)
