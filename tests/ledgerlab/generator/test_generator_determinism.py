"""Same seed -> byte-identical files, whatever the chunking; another seed -> other data."""

from __future__ import annotations

from pathlib import Path

from ledgerlab.generator import generate

N = 300


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_and_other_chunking_give_identical_bytes(tmp_path):
    a = _files_of(generate(tmp_path / "a", accounts=N, seed=5, chunk_accounts=5000).out_dir)
    b = _files_of(generate(tmp_path / "b", accounts=N, seed=5, chunk_accounts=77).out_dir)
    assert set(a) == set(b)
    assert len(a) >= 13
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []


def test_repeat_run_is_identical(tmp_path):
    a = _files_of(generate(tmp_path / "a", accounts=150, seed=9).out_dir)
    b = _files_of(generate(tmp_path / "b", accounts=150, seed=9).out_dir)
    assert a == b


def test_different_seed_gives_different_data(tmp_path):
    a = _files_of(generate(tmp_path / "a", accounts=150, seed=1).out_dir)
    b = _files_of(generate(tmp_path / "b", accounts=150, seed=2).out_dir)
    assert a["trans.asc"] != b["trans.asc"]
    assert a["digital_events.jsonl"] != b["digital_events.jsonl"]


def _files_of(out: Path) -> dict[str, bytes]:
    return _files(out)
