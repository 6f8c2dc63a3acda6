"""Units of work: a range of accounts simulated, then formatted, as one piece.

A unit holds at most ``chunk_accounts`` accounts and never straddles an event
block (EVENT_BLOCK_ACCOUNTS accounts), so each unit's events belong to one
block. A unit runs in two phases:

1. ``simulate``: accounts, orders, loans, cards and the month loop. Nothing
   here depends on earlier units, so units can be simulated in any order (or
   in parallel); the result reports the unit's row counts.
2. ``emit``: once the running ids of all earlier units are known (client,
   order, loan, card and transaction ids are running numbers), format every
   table to its final bytes, inject defects, and (when the unit is its
   block's only unit) format its events. Line numbers in the defect logs are
   relative to the unit; the caller places the pieces in the files.

The bytes of a unit do not depend on how the accounts were cut into units,
which is why the output does not depend on ``chunk_accounts`` or on the
number of worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import calendar as cal
from .accounts import AccountChunk, CohortShift, generate_accounts, n_clients, plan_anomalies
from .cards import NO_CARD, plan_early_cards
from .defects import SPECS, DefectInjector, DefectRates, Injected, parse_fields, split_lines
from .districts import account_district_weights, generate_districts, unemployment_a13
from .events import EVENT_BLOCK_ACCOUNTS, EventTable, city_table, event_lines, generate_events, sort_events
from .formatting import HEADERS, table_csv, trans_csv
from .orders import LoanPlan, OrderTable, plan_loans, plan_orders
from .randomness import Streams
from .tables import Offsets, build_tables, trans_frame
from .transactions import AK_DORMANT, AnomalyPlan, SimulationResult, plan_anomalies_detail, simulate

SMALL_TABLES = ("account", "client", "disp", "order", "loan", "card")
UNIT_TABLES = SMALL_TABLES + ("trans",)


@dataclass(frozen=True)
class Unit:
    index: int
    a0: int  # accounts a0 + 1 ... a1
    a1: int
    block: int  # event block
    whole_block: bool  # the only unit of its event block: formats its own events
    last_of_block: bool
    last_of_chunk: bool  # parquet writes one row group per chunk, as before


def plan_units(accounts: int, chunk_accounts: int) -> list[Unit]:
    cuts = set(range(0, accounts, chunk_accounts)) | set(range(0, accounts, EVENT_BLOCK_ACCOUNTS)) | {accounts}
    bounds = sorted(cuts)
    units = []
    for i, (a0, a1) in enumerate(zip(bounds[:-1], bounds[1:])):
        block = a0 // EVENT_BLOCK_ACCOUNTS
        block_start = block * EVENT_BLOCK_ACCOUNTS
        block_end = min(accounts, block_start + EVENT_BLOCK_ACCOUNTS)
        units.append(
            Unit(
                index=i,
                a0=a0,
                a1=a1,
                block=block,
                whole_block=a0 == block_start and a1 == block_end,
                last_of_block=a1 == block_end,
                last_of_chunk=a1 % chunk_accounts == 0 or a1 == accounts,
            )
        )
    return units


@dataclass(frozen=True)
class RunConfig:
    """What a process needs to work on units (picklable)."""

    accounts: int
    seed: int
    clean: bool
    file_format: str
    defect_rates: DefectRates | None
    cohort_shift: CohortShift | None = None


@dataclass
class Counts:
    """Rows of a unit that move the running ids of later units."""

    client: int
    order: int
    loan: int
    card: int
    trans: int

    def advance(self, off: Offsets) -> Offsets:
        return Offsets(
            client=off.client + self.client,
            order=off.order + self.order,
            loan=off.loan + self.loan,
            card=off.card + self.card,
            trans=off.trans + self.trans,
        )


@dataclass
class Simulated:
    acc: AccountChunk
    loans: LoanPlan
    orders: OrderTable
    anomalies: AnomalyPlan
    sim: SimulationResult


@dataclass
class UnitOutput:
    tables: dict[str, Injected]  # CSV: formatted pieces per table
    typed: dict[str, pl.DataFrame]  # parquet: typed frames per table
    events: Injected | None  # the block's formatted events (whole-block units)
    event_part: EventTable | None  # this unit's events (units sharing a block)
    truth: dict[str, pl.DataFrame]


class UnitWork:
    """The per-process state (streams, districts, defect injector) and the two phases of a unit."""

    def __init__(self, cfg: RunConfig) -> None:
        self.cfg = cfg
        self.streams = Streams(cfg.seed)
        self.districts = generate_districts(self.streams)
        self.weights = account_district_weights(self.districts)
        self.a13 = unemployment_a13(self.districts)
        self.cities = city_table(dict(zip(self.districts["A1"].to_list(), self.districts["A2"].to_list())))
        self.injector = DefectInjector(
            self.streams, None if cfg.clean else (cfg.defect_rates or DefectRates()), cfg.file_format
        )

    def anomaly_kinds(self) -> np.ndarray:
        """Anomaly kind (or -1) of every account 1..N (index = account_id - 1)."""
        kinds = np.full(self.cfg.accounts, -1, dtype=np.int64)
        for a, k in plan_anomalies(self.streams, self.cfg.accounts).items():
            kinds[a - 1] = k
        return kinds

    # ------------------------------------------------------------------ phase 1
    def simulate(self, unit: Unit, kind: np.ndarray) -> tuple[Simulated, Counts]:
        streams = self.streams
        aid = np.arange(unit.a0 + 1, unit.a1 + 1, dtype=np.int64)
        acc = generate_accounts(
            streams,
            aid,
            1,
            self.weights,
            kind,  # client ids shifted in emit()
            self.cfg.cohort_shift,
        )
        loans = plan_loans(streams, acc)
        loans.has_loan &= kind != AK_DORMANT
        orders = plan_orders(streams, acc, loans)
        early_cards = plan_early_cards(streams, acc)
        anomalies = plan_anomalies_detail(streams, acc, kind)
        sim = simulate(streams, acc, orders, loans, early_cards, anomalies, self.a13[acc.district_id])
        counts = Counts(
            client=n_clients(acc.has_disponent),
            order=int(orders.exists.sum()),
            loan=int(loans.has_loan.sum()),
            card=int((sim.card_day != NO_CARD).sum()),
            trans=int(sim.acc_index.size),
        )
        return Simulated(acc, loans, orders, anomalies, sim), counts

    # ------------------------------------------------------------------ phase 2
    def emit(self, unit: Unit, s: Simulated, off: Offsets) -> UnitOutput:
        acc = s.acc
        shift = off.client - 1
        acc.owner_client_id = acc.owner_client_id + shift
        acc.disponent_client_id = np.where(acc.has_disponent, acc.disponent_client_id + shift, 0)
        typed, truth = build_tables(self.streams, acc, s.orders, s.loans, s.anomalies, s.sim, off)
        out = UnitOutput(tables={}, typed={}, events=None, event_part=None, truth=truth)
        sim = s.sim
        csv = self.cfg.file_format == "csv"
        for name in UNIT_TABLES:
            if name == "trans":
                keys = np.arange(off.trans, off.trans + sim.acc_index.size, dtype=np.int64)
            else:
                keys = typed[name][SPECS[name]["key"]].to_numpy().astype(np.int64)
            inject = self.injector.enabled and keys.size > 0
            data = b""
            if csv or inject:
                if name == "trans":
                    data = trans_csv(
                        off.trans,
                        acc.account_id[sim.acc_index],
                        cal.yymmdd(sim.day),
                        sim.code,
                        sim.amount_cents,
                        sim.balance_cents,
                        sim.bank,
                        sim.cp_account,
                    )
                else:
                    data = table_csv(name, typed[name])
            if csv:
                out.tables[name] = self.injector.inject_csv(name, data, keys, HEADERS[name])
                continue
            # parquet: the same injection on the text, parsed back to typed columns
            if inject:
                inj = self.injector.inject_csv(name, data, keys, HEADERS[name])
                frame = parse_fields(name, split_lines(b"".join(bytes(p) for p in inj.pieces), HEADERS[name]))
                out.tables[name] = Injected([], inj.n_lines, inj.log)
            else:
                frame = typed[name] if name != "trans" else trans_frame(acc.account_id, sim, off.trans)
                out.tables[name] = Injected([], frame.height)
            out.typed[name] = frame
        events = generate_events(self.streams, acc, sim.card_day)
        if unit.whole_block:
            out.events = self.format_events(events)
        else:
            out.event_part = events
        return out

    def format_events(self, events: EventTable) -> Injected:
        """A complete block's events: sorted, formatted, with defects."""
        ev = sort_events(events)
        return self.injector.inject_event_lines(event_lines(ev, self.cities), ev.client_id, ev.day, ev.sec)
