"""Byte-level facts about a raw file, before DuckDB parses it.

One streaming pass (chunks, not lines, so it stays cheap on a 10 GB file)
finds what the parser needs and what lineage must account for: compression
(by magic bytes, not by name), the header line, the number of physical
lines, the blank lines (DuckDB's CSV reader skips them, so the line numbers
of the rows after them must be corrected), carriage returns inside a line
(DuckDB stops on them, and on CRLF and LF lines mixed) and a sample to detect the encoding from.

When DuckDB cannot read the file as it is — an encoding it has no codec for
(cp1250), or a lone carriage return — ``transcode`` writes a UTF-8 copy line
by line; a line that cannot be decoded is left blank in the copy (so every
other line keeps its number) and returned as rejected, with its number.
"""

from __future__ import annotations

import codecs
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CHUNK = 8 << 20
SAMPLE = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BOM = codecs.BOM_UTF8
# DuckDB's CSV reader decodes these itself; others are transcoded to UTF-8 first.
NATIVE_ENCODINGS = {"utf-8": "utf-8", "latin-1": "latin-1"}
_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "cp1250": "cp1250",
    "windows-1250": "cp1250",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-2": "iso8859-2",
    "latin2": "iso8859-2",
}
# Telling cp1250 from latin-1 when both decode: letters of Czech (and its neighbours) as
# cp1250 reads the bytes, against letters of western languages at bytes where cp1250 has
# another letter (ñ is ń, å is ĺ ...). Ambiguous text goes to cp1250; declare the
# encoding in the sources file when it is known.
_CP1250_LETTERS = set("ěščřžťďňůĚŠČŘŽŤĎŇŮ")
_LATIN1_LETTERS = set("àåñæêãõûðþÀÅÑÆÊÃÕÛÐÞ")


class RawFileError(Exception):
    """The file cannot be read at all (the caller adds which table it is for)."""


def normalise_encoding(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    if key == "auto":
        return "auto"
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise RawFileError(f"unknown encoding {name!r}") from None


def compression_of(path: Path) -> str | None:
    """``gzip``, ``zstd`` or None, from the file's first bytes."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def open_bytes(path: Path, compression: str | None) -> BinaryIO:
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "zstd":
        import pyarrow as pa  # zstd from Arrow's codecs: no extra dependency

        return io.BufferedReader(pa.input_stream(str(path), compression="zstd"), CHUNK)
    return path.open("rb")


@dataclass
class ScanResult:
    compression: str | None
    first_line: bytes  # without its line ending
    physical_lines: int
    blank_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    lone_cr_lines: int = 0
    crlf_lines: int = 0
    sample: bytes = b""
    bytes_read: int = 0


def scan(path: Path) -> ScanResult:
    """One pass over the (decompressed) bytes, at memory speed: counts, no per-line work."""
    compression = compression_of(path)
    result = ScanResult(compression=compression, first_line=b"", physical_lines=0)
    newlines = 0
    sample = bytearray()
    first: bytearray | None = bytearray()
    last_byte = b""
    carry = b""  # a carriage return that ended the previous chunk
    try:
        with open_bytes(path, compression) as handle:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                result.bytes_read += len(chunk)
                if len(sample) < SAMPLE:
                    sample.extend(chunk[: SAMPLE - len(sample)])
                if first is not None:
                    end = chunk.find(b"\n")
                    first.extend(chunk if end < 0 else chunk[:end])
                    if end >= 0:
                        result.first_line = bytes(first).rstrip(b"\r")
                        first = None
                if carry or b"\r" in chunk:
                    data = carry + chunk
                    carry = b"\r" if data.endswith(b"\r") else b""
                    data = data[:-1] if carry else data
                    crlf = data.count(b"\r\n")
                    result.crlf_lines += crlf
                    result.lone_cr_lines += data.count(b"\r") - crlf
                newlines += chunk.count(b"\n")
                last_byte = chunk[-1:]
    except (OSError, EOFError) as exc:
        raise RawFileError(f"cannot read ({compression or 'plain'} file): {exc}") from None
    if first is not None:  # no newline at all
        result.first_line = bytes(first).rstrip(b"\r")
    result.physical_lines = newlines + (1 if last_byte not in (b"", b"\n") else 0)
    result.sample = bytes(sample)
    return result


def mixed_line_endings(facts: ScanResult) -> bool:
    """Carriage returns DuckDB's reader stops on: inside a line, or CRLF and LF lines mixed."""
    return facts.lone_cr_lines > 0 or 0 < facts.crlf_lines < facts.physical_lines - 1


def blank_lines(path: Path, compression: str | None) -> list[int]:
    """Line numbers of the empty lines (a second pass, run only when the counts say there are some)."""
    found: list[int] = []
    newlines = 0
    tail = b""
    with open_bytes(path, compression) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            joined = tail + chunk
            offset = len(tail)
            if b"\n\n" in joined or b"\n\r\n" in joined or (newlines == 0 and offset == 0):
                _blank_lines(joined, offset, newlines, found)
            newlines += chunk.count(b"\n")
            tail = joined[-2:]
    return found


def _blank_lines(joined: bytes, offset: int, newlines_before: int, out: list[int]) -> None:
    """Line numbers of the empty lines whose ending newline lies in ``joined[offset:]``.

    ``joined`` is the previous chunk's last two bytes (``offset`` of them) and
    this chunk; ``newlines_before`` counts the newlines before this chunk.
    """
    ends: set[int] = set()
    for pattern, width in ((b"\n\n", 1), (b"\n\r\n", 2)):
        position = joined.find(pattern)
        while position >= 0:
            end = position + width
            if end >= offset:
                ends.add(end)
            position = joined.find(pattern, position + 1)
    if newlines_before == 0 and offset == 0:  # the file starts with an empty line
        if joined.startswith(b"\n"):
            ends.add(0)
        elif joined.startswith(b"\r\n"):
            ends.add(1)
    counted, line = offset, newlines_before
    for end in sorted(ends):
        line += joined.count(b"\n", counted, end) + 1
        counted = end + 1
        out.append(line)


def detect_encoding(sample: bytes) -> str:
    """UTF-8 when the sample is (mostly) valid UTF-8, else cp1250 or latin-1."""
    text = sample[3:] if sample.startswith(BOM) else sample
    if text.isascii():
        return "utf-8"
    # A sample cut mid-character at its end is still UTF-8.
    decoded = text.decode("utf-8", errors="replace")
    invalid = decoded.count("\ufffd") - text.decode("utf-8", errors="ignore").count("\ufffd")
    non_ascii = sum(1 for ch in decoded if ord(ch) > 0x7F and ch != "\ufffd")
    if invalid == 0 or (invalid <= 3 and non_ascii > 4 * invalid):
        return "utf-8"  # the few bad bytes are defects of single lines: rejected there
    if any(0x80 <= b <= 0x9F for b in text):
        return "cp1250"  # C1 controls in latin-1, letters (š, ž, ť ...) in cp1250
    cp1250_score = sum(ch in _CP1250_LETTERS for ch in text.decode("cp1250", errors="replace"))
    latin1_score = sum(ch in _LATIN1_LETTERS for ch in text.decode("latin-1"))
    return "latin-1" if latin1_score > cp1250_score else "cp1250"


def iter_lines(path: Path, compression: str | None) -> Iterator[bytes]:
    """Physical lines with their ending stripped (``\\n``, ``\\r\\n``)."""
    with open_bytes(path, compression) as handle:
        for raw in handle:
            yield raw[:-1] if raw.endswith(b"\n") else raw


@dataclass(frozen=True)
class DecodeReject:
    line: int
    error_type: str
    message: str
    text: str


def transcode(path: Path, compression: str | None, encoding: str, target: Path) -> list[DecodeReject]:
    """Write ``path`` as UTF-8 (``\\n`` endings) to ``target``; return the lines left blank."""
    rejects: list[DecodeReject] = []
    decoder = codecs.lookup(encoding).name
    with target.open("wb") as out:
        for number, raw in enumerate(iter_lines(path, compression), start=1):
            body = raw[:-1] if raw.endswith(b"\r") else raw
            if number == 1 and body.startswith(BOM):
                body = body[3:]
            try:
                text = body.decode(decoder)
            except UnicodeDecodeError as exc:
                rejects.append(
                    DecodeReject(
                        number,
                        "INVALID ENCODING",
                        f"not valid {encoding} at byte {exc.start + 1} of the line",
                        body.decode(decoder, errors="backslashreplace"),
                    )
                )
                out.write(b"\n")
                continue
            if "\r" in text:
                rejects.append(
                    DecodeReject(
                        number,
                        "CARRIAGE RETURN",
                        "a carriage return inside the line",
                        text.replace("\r", "\\r"),
                    )
                )
                out.write(b"\n")
                continue
            out.write(text.encode("utf-8") + b"\n")
    return rejects


def line_text(path: Path, compression: str | None, encoding: str, numbers: set[int]) -> dict[int, str]:
    """The text of the given physical lines (undecodable bytes as escapes)."""
    wanted = dict.fromkeys(numbers, "")
    if not numbers:
        return {}
    last = max(numbers)
    for number, raw in enumerate(iter_lines(path, compression), start=1):
        if number in wanted:
            wanted[number] = raw.decode(encoding, errors="backslashreplace")
        if number >= last:
            break
    return wanted
