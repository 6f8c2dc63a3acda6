"""Hostile input: broken copies of small files, one per reading class, and random corruptions.

Each case says its expected outcome: an error naming the file (and column),
or an accepted load in which nothing is lost. Every accepted load is held
to the invariant: per file, data lines = raw rows + rejected lines, and
every non-blank data line is a raw row or a rejected line under its own
line number, exactly once.
"""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ledgerlab.ingest import IngestError, ingest


def _connect(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "test.duckdb"), read_only=True)


def data_line_numbers(content: bytes, header: bool = True) -> list[int]:
    """Non-blank physical lines of a file, 1-based, after the header."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    start = 2 if header else 1
    return [n for n, line in enumerate(lines, start=1) if n >= start and line.strip(b"\r") != b""]


def assert_nothing_lost(home: Path, table: str, content: bytes) -> None:
    """Rows and rejected lines cover every data line of the file exactly once."""
    with _connect(home) as con:
        kept = [r[0] for r in con.execute(f'select _source_line from raw."{table}"').fetchall()]
        rejected = [
            r[0] for r in con.execute("select line from raw._rejected_lines where source_table = ?", [table]).fetchall()
        ]
        manifest = con.execute(
            "select data_lines, rows_loaded, rejected_lines from raw._ingest_manifest where table_name = ?", [table]
        ).fetchall()[0]
    expected = data_line_numbers(content)
    assert sorted(kept + rejected) == expected
    assert manifest == (len(expected), len(kept), len(rejected))


def test_columns_in_another_order_are_matched_by_name(tiny_raw: Path, isolated_home: Path) -> None:
    (tiny_raw / "loan.asc").write_text(
        '"status";"loan_id";"amount";"account_id";"date";"payments";"duration"\n"B";1;96396;1;930705;8033.00;12\n'
    )
    ingest(tiny_raw)
    with _connect(isolated_home) as con:
        row = con.execute(
            "select loan_id, account_id, date, amount, duration, payments, status from raw.loan"
        ).fetchall()
    assert row == [("1", "1", "930705", "96396", "12", "8033.00", "B")]


def test_an_extra_column_is_kept_and_reported(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "card.asc"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + ';"Branch Code"\n' + lines[1] + ";X7\n")
    result = ingest(tiny_raw)
    assert any("branch_code" in note and "card" in note for note in result.notes)
    with _connect(isolated_home) as con:
        assert con.execute("select card_id, branch_code from raw.card").fetchall() == [("1", "X7")]
        extra = con.execute("select extra_columns from raw._ingest_manifest where table_name = 'card'").fetchall()
    assert extra == [("branch_code",)]


def test_a_missing_column_is_an_error_naming_it(tiny_raw: Path, isolated_home: Path) -> None:
    (tiny_raw / "disp.asc").write_text('"disp_id";"client_id";"type"\n1;1;"OWNER"\n')
    with pytest.raises(IngestError, match=r"disp.asc: line 1 header lacks column\(s\) account_id "):
        ingest(tiny_raw)


def test_a_byte_order_mark_is_dropped(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "account.asc"
    content = b"\xef\xbb\xbf" + path.read_bytes()
    path.write_bytes(content)
    assert ingest(tiny_raw).rows()["account"] == 2
    assert_nothing_lost(isolated_home, "account", content)


def test_a_header_only_file_is_an_empty_table(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "card.asc"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    result = ingest(tiny_raw)
    assert result.rows()["card"] == 0
    assert any("card.asc: header only" in note and "(required)" in note for note in result.notes)


@pytest.mark.parametrize("encoding", ["cp1250", "latin-1"])
def test_legacy_encodings_are_detected_and_decoded(tiny_raw: Path, isolated_home: Path, encoding: str) -> None:
    name = "Benešov Žďár nad Sázavou" if encoding == "cp1250" else "Ålesund España Genève"
    path = tiny_raw / "district.asc"
    text = path.read_text().replace('"Praha"', f'"{name}"')
    path.write_bytes(text.encode(encoding))
    result = ingest(tiny_raw)
    with _connect(isolated_home) as con:
        assert con.execute("select a2 from raw.district").fetchall() == [(name,)]
        assert con.execute("select encoding from raw._ingest_manifest where table_name = 'district'").fetchall() == [
            (encoding,)
        ]
    assert any(f"read as {encoding}" in note for note in result.notes)


def test_an_undecodable_line_is_rejected_with_its_number(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "district.asc"
    lines = path.read_text().splitlines()
    second = lines[1].replace("1;", "2;", 1).replace('"Praha"', '"Kutná Hora"')
    body = (lines[0] + "\n" + lines[1].replace('"Praha"', '"Benešov"') + "\n").encode("cp1250")
    content = body + second.encode("cp1250") + b"\x81\n"  # 0x81 is no character in cp1250
    path.write_bytes(content)
    ingest(tiny_raw)
    with _connect(isolated_home) as con:
        assert con.execute("select a2, _source_line from raw.district").fetchall() == [("Benešov", 2)]
        assert con.execute("select line, error_type from raw._rejected_lines").fetchall() == [(3, "INVALID ENCODING")]
    assert_nothing_lost(isolated_home, "district", content)


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_compressed_files_are_read_by_their_bytes(tiny_raw: Path, isolated_home: Path, codec: str) -> None:
    path = tiny_raw / "trans.asc"
    content = path.read_bytes()
    if codec == "gzip":
        path.write_bytes(gzip.compress(content))
    else:
        with pa.CompressedOutputStream(str(path), "zstd") as out:
            out.write(content)
    result = ingest(tiny_raw)  # the name still says .asc: the magic bytes decide
    assert result.rows()["trans"] == 5
    with _connect(isolated_home) as con:
        assert con.execute("select compression from raw._ingest_manifest where table_name = 'trans'").fetchall() == [
            (codec,)
        ]
    assert_nothing_lost(isolated_home, "trans", content)


def test_blank_lines_keep_every_row_at_its_line(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "trans.asc"
    lines = path.read_text().splitlines()
    content = ("\n".join([lines[0], lines[1], "", lines[2], "\r", lines[3], lines[4], lines[5]]) + "\n").encode()
    path.write_bytes(content)
    ingest(tiny_raw)
    with _connect(isolated_home) as con:
        kept = [r[0] for r in con.execute("select _source_line from raw.trans order by 1").fetchall()]
    assert kept == [2, 4, 6, 7, 8]
    assert_nothing_lost(isolated_home, "trans", content)


def test_a_carriage_return_inside_a_line_rejects_that_line_only(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "trans.asc"
    content = path.read_bytes().replace(b'"VKLAD"', b'"VK\rLAD"', 1)
    path.write_bytes(content)
    result = ingest(tiny_raw)
    assert result.rows()["trans"] == 4
    with _connect(isolated_home) as con:
        assert con.execute("select line, error_type from raw._rejected_lines").fetchall() == [(2, "CARRIAGE RETURN")]
    assert_nothing_lost(isolated_home, "trans", content)


def test_an_unterminated_quote_rejects_each_line_it_runs_over(tiny_raw: Path, isolated_home: Path) -> None:
    path = tiny_raw / "trans.asc"
    content = path.read_bytes()
    lines = content.split(b"\n")
    lines[3] = lines[3].replace(b'"PRIJEM"', b'"PRIJEM', 1)
    content = b"\n".join(lines)
    path.write_bytes(content)
    ingest(tiny_raw)
    assert_nothing_lost(isolated_home, "trans", content)


def test_a_folder_where_a_file_is_expected_is_named(tiny_raw: Path, isolated_home: Path) -> None:
    (tiny_raw / "card.asc").unlink()
    (tiny_raw / "card.asc").mkdir()
    with pytest.raises(IngestError, match=r"card.asc: is a folder where a file is expected \(table card\)"):
        ingest(tiny_raw)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: permissions cannot be tested as root")
def test_an_unreadable_file_is_named(tiny_raw: Path, isolated_home: Path) -> None:
    (tiny_raw / "card.asc").chmod(0)
    with pytest.raises(IngestError, match=r"card.asc: cannot be read \(permission denied\)"):
        ingest(tiny_raw)


# --- random single-byte and single-field corruptions ------------------------------------

_FIELD_JUNK = [b"", b'"', b";", b"\n", b"\r", b"\x00", b"\xff\xfe", b"x" * 5000, b'""', b"\xc3", b" ;; "]


def _corrupt(content: bytes, rng: random.Random) -> bytes:
    """One random change to a data line: a byte replaced, or a field replaced by junk."""
    header_end = content.index(b"\n") + 1
    if rng.random() < 0.5:
        position = rng.randrange(header_end, len(content))
        return content[:position] + bytes([rng.randrange(256)]) + content[position + 1 :]
    lines = content[header_end:].split(b"\n")
    number = rng.randrange(len(lines) - 1)
    fields = lines[number].split(b";")
    fields[rng.randrange(len(fields))] = rng.choice(_FIELD_JUNK)
    lines[number] = b";".join(fields)
    return content[:header_end] + b"\n".join(lines)


def test_random_corruptions_never_crash_or_lose_a_line(tiny_raw: Path, tmp_path: Path, monkeypatch) -> None:
    """50 seeded corruptions of one data line each: every load accounts for every line."""
    pristine = {name: (tiny_raw / name).read_bytes() for name in ("trans.asc", "account.asc", "district.asc")}
    outcomes = {"clean": 0, "with rejected lines": 0}
    for case in range(50):
        rng = random.Random(1300 + case)
        name = rng.choice(sorted(pristine))
        table = name.removesuffix(".asc")
        for other, content in pristine.items():
            (tiny_raw / other).write_bytes(content)
        content = _corrupt(pristine[name], rng)
        (tiny_raw / name).write_bytes(content)
        home = tmp_path / f"case{case}"
        monkeypatch.setenv("LEDGERLAB_WAREHOUSE", str(home / "warehouse" / "test.duckdb"))
        try:
            result = ingest(tiny_raw)
        except IngestError as error:
            pytest.fail(f"case {case}: a corrupted data line refused the whole file: {error}")
        assert_nothing_lost(home, table, content)
        rejected = next(t.rejected_lines for t in result.tables if t.table == table)
        outcomes["with rejected lines" if rejected else "clean"] += 1
    # The corruptions exercise both paths: some lines rejected, some still parse.
    assert outcomes["clean"] >= 5 and outcomes["with rejected lines"] >= 5, outcomes
