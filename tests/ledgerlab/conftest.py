"""Fixtures of the ledgerlab package's tests: a tiny, valid Berka folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlab.core.sources import tables_of

HEADERS = {s.table: s.columns for s in tables_of("berka")}


def _write_table(folder: Path, name: str, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    header = ";".join(f'"{c}"' if not c.startswith("a") or name != "district.asc" else c.upper() for c in columns)
    body = "\n".join(";".join(r) for r in rows)
    (folder / name).write_text(header + "\n" + body + ("\n" if rows else ""))


@pytest.fixture
def tiny_raw(tmp_path: Path) -> Path:
    """A minimal valid Berka folder: two accounts, one client, a few transactions."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_table(
        raw,
        "account.asc",
        HEADERS["account"],
        [["1", "1", '"POPLATEK MESICNE"', "930101"], ["2", "1", '"POPLATEK TYDNE"', "930102"]],
    )
    _write_table(raw, "client.asc", HEADERS["client"], [["1", '"706213"', "1"]])
    _write_table(raw, "disp.asc", HEADERS["disp"], [["1", "1", "1", '"OWNER"']])
    _write_table(raw, "order.asc", HEADERS["order"], [["1", "1", '"YZ"', '"87144583"', "2452.00", '"SIPO"']])
    _write_table(raw, "loan.asc", HEADERS["loan"], [["1", "1", "930705", "96396", "12", "8033.00", '"B"']])
    _write_table(raw, "card.asc", HEADERS["card"], [["1", "1", '"classic"', "931107 00:00:00"]])
    _write_table(
        raw,
        "district.asc",
        HEADERS["district"],
        [
            [
                "1",
                '"Praha"',
                '"Prague"',
                "1204953",
                "0",
                "0",
                "0",
                "1",
                "1",
                "100.0",
                "12541",
                "0.29",
                "0.43",
                "167",
                "85677",
                "99107",
            ]
        ],
    )
    trans = [[str(100 + i), "1", "930101", '"PRIJEM"', '"VKLAD"', "700.00", "700.00", '""', "", ""] for i in range(5)]
    _write_table(raw, "trans.asc", HEADERS["trans"], trans)
    return raw
