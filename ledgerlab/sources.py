"""The raw files ledgerlab reads: names, expected columns, required or not.

This is the catalog of the raw layer (Kedro's catalog, in spirit): ingestion
reads it, the GX raw suite checks against it, docs are written from it.
File names per table are configurable: the real Berka transactions file is
``trans_head.asc`` where the generator writes ``trans.asc``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawSource:
    table: str
    files: tuple[str, ...]
    columns: tuple[str, ...]
    reader: str = "berka_csv"  # berka_csv | jsonl | taiwan_csv
    required: bool = True
    description: str = ""

    @property
    def default_file(self) -> str:
        return self.files[0]


BERKA_SOURCES: tuple[RawSource, ...] = (
    RawSource("account", ("account.asc",), ("account_id", "district_id", "frequency", "date"),
              description="one row per account: home branch district, statement frequency, opening date"),
    RawSource("client", ("client.asc",), ("client_id", "birth_number", "district_id"),
              description="one row per client: birth number (personal data) and home district"),
    RawSource("disp", ("disp.asc",), ("disp_id", "client_id", "account_id", "type"),
              description="dispositions: which client may operate which account, as owner or user"),
    RawSource("order", ("order.asc",),
              ("order_id", "account_id", "bank_to", "account_to", "amount", "k_symbol"),
              description="standing payment orders"),
    RawSource("loan", ("loan.asc",),
              ("loan_id", "account_id", "date", "amount", "duration", "payments", "status"),
              description="one row per loan granted, with its repayment status at the data's end"),
    RawSource("card", ("card.asc",), ("card_id", "disp_id", "type", "issued"),
              description="credit cards issued to a disposition"),
    RawSource("district", ("district.asc",), tuple(f"a{i}" for i in range(1, 17)),
              description="demographics of the 77 districts (columns A1..A16)"),
    RawSource("trans", ("trans.asc", "trans_head.asc"),
              ("trans_id", "account_id", "date", "type", "operation", "amount", "balance",
               "k_symbol", "bank", "account"),
              description="one row per transaction on an account, with the balance after it"),
)

DIGITAL_EVENTS = RawSource(
    "digital_events", ("digital_events.jsonl",), ("raw_line",), reader="jsonl", required=False,
    description="online and mobile banking events, one JSON object per line (schema v1 and v2)",
)

TAIWAN = RawSource(
    "taiwan_credit_card", ("UCI_Credit_Card.csv",),
    ("id", *(f"x{i}" for i in range(1, 24)), "y"), reader="taiwan_csv", required=False,
    description="UCI default of credit card clients (Taiwan, 2005), 30,000 card holders",
)

ALL_SOURCES: tuple[RawSource, ...] = (*BERKA_SOURCES, DIGITAL_EVENTS, TAIWAN)
LINEAGE_COLUMNS = ("_source_file", "_source_line", "_loaded_at")


def source(table: str) -> RawSource:
    for candidate in ALL_SOURCES:
        if candidate.table == table:
            return candidate
    raise KeyError(f"unknown raw table {table!r}; known: {', '.join(s.table for s in ALL_SOURCES)}")
