"""Ingestion: every raw row lands verbatim with lineage; bad files give one-line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ledgerlab.core.sources import tables_of
from ledgerlab.ingest import IngestError, ingest


def test_loads_every_row_with_lineage(tiny_raw: Path, isolated_home: Path) -> None:
    result = ingest(tiny_raw)
    assert result.rows()["trans"] == 5
    assert result.rows()["digital_events"] == 0
    con = duckdb.connect(str(isolated_home / "warehouse" / "test.duckdb"), read_only=True)
    lines = [r[0] for r in con.execute("select _source_line from raw.trans order by _source_line").fetchall()]
    assert lines == [2, 3, 4, 5, 6]
    # quoted "" stays an empty string; an unquoted empty field is NULL
    k_symbol, bank = con.execute("select k_symbol, bank from raw.trans limit 1").fetchall()[0]
    assert (k_symbol, bank) == ("", None)
    manifest = dict(con.execute("select table_name, rows_loaded from raw._ingest_manifest").fetchall())
    assert manifest["account"] == 2 and manifest["taiwan_credit_card"] == 0


def test_unparseable_lines_are_kept_with_their_line_numbers(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "trans.asc"
    lines = path.read_text().splitlines()
    lines.insert(2, '999;1;930101;"PRIJEM"')  # becomes line 3: too few columns
    path.write_text("\n".join(lines) + "\n")
    result = ingest(tiny_raw)
    trans = next(t for t in result.tables if t.table == "trans")
    assert (trans.rows, trans.rejected_lines) == (5, 1)
    con = duckdb.connect(str(isolated_home / "warehouse" / "test.duckdb"), read_only=True)
    assert con.execute("select line from raw._rejected_lines").fetchall() == [(3,)]
    kept = [r[0] for r in con.execute("select _source_line from raw.trans order by 1").fetchall()]
    assert kept == [2, 4, 5, 6, 7]  # raw lines = parsed + rejected, each at its true line


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda raw: (raw / "loan.asc").unlink(), "required file loan.asc is missing"),
        (lambda raw: (raw / "card.asc").write_text(""), "card.asc: file is empty"),
        (
            lambda raw: (raw / "client.asc").write_text('"id";"birth"\n1;2\n'),
            "client.asc: line 1 header lacks column(s) client_id, birth_number, district_id",
        ),
        (
            lambda raw: (raw / "loan.asc").unlink() or (raw / "loan.asc").mkdir(),
            "loan.asc: is a folder where a file is expected (table loan)",
        ),
    ],
    ids=["missing", "empty", "wrong-header", "folder"],
)
def test_bad_files_fail_with_one_line_naming_the_file(tiny_raw: Path, isolated_home: Path, mutate, expected) -> None:
    mutate(tiny_raw)
    with pytest.raises(IngestError) as excinfo:
        ingest(tiny_raw)
    message = str(excinfo.value)
    assert expected in message
    assert "\n" not in message


def test_cli_prints_one_line_without_traceback(tiny_raw: Path, isolated_home: Path) -> None:
    (tiny_raw / "order.asc").unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "ledgerlab", "ingest", "--raw", str(tiny_raw)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "order.asc is missing" in proc.stderr


def test_trans_file_name_is_configurable(tiny_raw: Path, isolated_home: Path) -> None:
    shutil.move(tiny_raw / "trans.asc", tiny_raw / "transactions_2024.asc")
    result = ingest(tiny_raw, sources={"trans": tiny_raw / "transactions_2024.asc"})
    assert result.rows()["trans"] == 5


def test_real_berka_files_load_completely(real_berka_dir: Path, isolated_home: Path) -> None:
    rows = ingest(real_berka_dir).rows()
    berka = {t.table for t in tables_of("berka")}
    assert {t: rows[t] for t in berka} == {
        "account": 4500,
        "client": 5369,
        "disp": 5369,
        "order": 6471,
        "loan": 682,
        "card": 892,
        "district": 77,
        "trans": 49102,
    }
    assert all(n == 0 for t, n in rows.items() if t not in berka)  # other sources: not given, empty


def test_real_taiwan_file_loads_with_scientific_notation_intact(
    real_berka_dir: Path, real_taiwan_csv: Path, isolated_home: Path
) -> None:
    ingest(real_berka_dir, sources={"taiwan": real_taiwan_csv})
    con = duckdb.connect(str(isolated_home / "warehouse" / "test.duckdb"), read_only=True)
    total, scientific = con.execute(
        "select count(*), count(*) filter (where x1 ilike '%e+%' or x12 ilike '%e+%') from raw.taiwan_credit_card"
    ).fetchall()[0]
    assert total == 30000 and scientific > 0
