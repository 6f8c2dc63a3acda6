"""generate(): the chunked, streaming driver of the whole generator."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from . import params
from .accounts import generate_accounts, n_clients, plan_anomalies
from .cards import plan_early_cards
from .defects import DefectInjector, DefectRates
from .districts import account_district_weights, generate_districts, unemployment_a13
from .events import EventBuffer, generate_events
from .formatting import HEADERS, to_fields, trans_fields
from .orders import plan_loans, plan_orders
from .randomness import Streams
from .tables import Offsets, build_tables
from .transactions import AK_DORMANT, plan_anomalies_detail, simulate
from .writer import TABLES, TableWriter


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
            f"time {self.seconds:.1f} s ({self.transactions_per_second:,.0f} transactions/s), {self.bytes_written / 1e6:,.1f} MB written",
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
) -> GenerationSummary:
    """Write the synthetic bank into ``out_dir`` (see docs/GENERATOR.md)."""
    started = time.perf_counter()
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    if chunk_accounts < 1:
        raise ValueError("chunk_accounts must be >= 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = out_dir / "_truth"
    if truth_dir.exists():
        shutil.rmtree(truth_dir)
    truth_dir.mkdir()
    for stale in [*(out_dir / f"{t}.asc" for t in TABLES), *(out_dir / f"{t}.parquet" for t in TABLES)]:
        stale.unlink(missing_ok=True)

    streams = Streams(seed)
    writer = TableWriter(out_dir, file_format)
    injector = DefectInjector(streams, None if clean else (defect_rates or DefectRates()), file_format)
    districts = generate_districts(streams)
    weights = account_district_weights(districts)
    a13 = unemployment_a13(districts)
    anomaly_plan = plan_anomalies(streams, accounts)
    events = EventBuffer(writer, injector, dict(zip(districts["A1"].to_list(), districts["A2"].to_list())))

    _emit(writer, injector, "district", districts, to_fields("district", districts))
    off = Offsets()
    truth_parts: dict[str, list[pl.DataFrame]] = {"loans": [], "cards": [], "anomalies": []}
    for a0 in range(0, accounts, chunk_accounts):
        a1 = min(accounts, a0 + chunk_accounts)
        aid = np.arange(a0 + 1, a1 + 1, dtype=np.int64)
        kind = np.array([anomaly_plan.get(int(a), -1) for a in aid], dtype=np.int64) if anomaly_plan else np.full(aid.size, -1)
        acc = generate_accounts(streams, aid, off.client, weights, kind)
        loans = plan_loans(streams, acc)
        loans.has_loan &= kind != AK_DORMANT
        orders = plan_orders(streams, acc, loans)
        early_cards = plan_early_cards(streams, acc)
        anomalies = plan_anomalies_detail(streams, acc, kind)
        sim = simulate(streams, acc, orders, loans, early_cards, anomalies, a13[acc.district_id])
        tables, truth = build_tables(streams, acc, orders, loans, anomalies, sim, off)
        for name in ("account", "client", "disp", "order", "loan", "card"):
            _emit(writer, injector, name, tables[name], to_fields(name, tables[name]))
        _emit(writer, injector, "trans", tables["trans"], trans_fields(tables["trans"]))
        events.add(generate_events(streams, acc, sim, truth["loans"]), a0, a1)
        for key in truth_parts:
            truth_parts[key].append(truth[key])
        off = Offsets(
            client=off.client + n_clients(acc.has_disponent),
            order=off.order + tables["order"].height,
            loan=off.loan + tables["loan"].height,
            card=off.card + tables["card"].height,
            trans=off.trans + tables["trans"].height,
        )
    events.flush_all()
    writer.close()

    # one contiguous chunk each, so the parquet bytes do not depend on chunk_accounts
    loans_truth = pl.concat(truth_parts["loans"]).rechunk()
    cards_truth = pl.concat(truth_parts["cards"]).rechunk()
    anomalies_truth = pl.concat(truth_parts["anomalies"]).rechunk()
    defects_truth = injector.truth()
    loans_truth.write_parquet(truth_dir / "loans.parquet")
    cards_truth.write_parquet(truth_dir / "cards.parquet")
    anomalies_truth.write_parquet(truth_dir / "anomalies.parquet")
    defects_truth.write_parquet(truth_dir / "defects.parquet")

    n_loans = loans_truth.height
    by_kind = dict(defects_truth.group_by("kind").len().iter_rows()) if defects_truth.height else {}
    summary = GenerationSummary(
        out_dir=out_dir,
        accounts=accounts,
        seed=seed,
        rows={t: writer.lines[t] for t in TABLES},
        default_rate=float(loans_truth["is_default"].mean()) if n_loans else float("nan"),
        oracle_roc_auc=_auc(loans_truth["true_pd"].to_numpy(), loans_truth["is_default"].to_numpy()) if n_loans else float("nan"),
        card_oracle_roc_auc=_auc(cards_truth["true_probability"].to_numpy(), cards_truth["took_card"].to_numpy())
        if cards_truth.height
        else float("nan"),
        card_take_rate=float(cards_truth["took_card"].mean()) if cards_truth.height else float("nan"),
        n_loans=n_loans,
        n_defects=defects_truth.height,
        defects_by_kind=by_kind,
        n_anomalous_accounts=anomalies_truth.height,
        n_events=writer.events_lines,
        seconds=time.perf_counter() - started,
        bytes_written=writer.bytes_written,
        clean=clean,
        file_format=file_format,
        chunk_accounts=chunk_accounts,
    )
    return summary


def _emit(writer: TableWriter, injector: DefectInjector, table: str, typed: pl.DataFrame, fields: pl.DataFrame) -> None:
    if writer.file_format == "csv":
        fields = injector.inject(table, fields, writer.file_name(table), writer.first_line(table))
        writer.write_fields(table, fields)
    else:
        typed = injector.inject_typed(table, typed, writer.file_name(table), writer.first_line(table))
        writer.write_typed(table, _parquet_frame(table, typed))


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
