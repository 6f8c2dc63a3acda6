"""The fast paths give exactly what the plain formulas give, and worker processes change no byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ledgerlab.generator import calendar as cal
from ledgerlab.generator import generate, params
from ledgerlab.generator.events import (
    APP_VERSIONS,
    EVENT_TYPES,
    MOBILE_OS,
    V2_FROM_DAY,
    WEB_OS,
    event_lines,
    sort_events,
)
from ledgerlab.generator.formatting import join_fields, trans_csv, trans_fields
from ledgerlab.generator.randomness import _GOLDEN, _KB, _KC, Streams, _mix, quantile_function, stream_key
from ledgerlab.generator.tables import Offsets, trans_frame
from ledgerlab.generator.units import RunConfig, UnitWork, plan_units


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------- randomness
def test_bits_match_the_plain_formula():
    s = Streams(7)
    rng = np.random.default_rng(1)
    a = rng.integers(-5, 10**9, 20_000)
    b = rng.integers(0, 100, 20_000)
    with np.errstate(over="ignore"):
        for args in [(a,), (a, 3), (a, b), (a, b, a), (a[:500, None], 4, np.arange(7)[None, :]), (a, -3, -1)]:
            aa, bb, cc = (np.asarray(x).astype(np.uint64) for x in (args + (0, 0))[:3])
            want = _mix(_mix(stream_key(7, "s") + aa * _GOLDEN) + bb * _KB + cc * _KC)
            assert np.array_equal(s.bits("s", *args), want)


def test_below_and_hits_equal_uniform_comparisons():
    s = Streams(3)
    keys = np.arange(1, 30_000, dtype=np.int64) * 7 - 50
    for p in (0.0, 1e-9, 0.0004, 0.055, 0.5, 0.999999, 1.0, 2.0):
        assert np.array_equal(s.below("q", p, keys, 4), s.uniform("q", keys, 4) < p)
    draws = [("d1", 0.0004), ("d2", 0.3), ("d3", 0.0), ("d4", 1.0)]
    for (stream, p), got in zip(draws, s.hits(draws, keys)):
        assert np.array_equal(got, np.flatnonzero(s.uniform(stream, keys) < p))


def test_quantile_function_is_np_interp():
    rng = np.random.default_rng(5)
    grid = np.linspace(0.0, 1.0, 41)
    x = np.concatenate(
        [rng.random(100_000), grid, np.nextafter(grid, 2.0)[:-1], np.nextafter(grid, -1.0)[1:], [0.0, 1.0]]
    )
    for q in [*params.TRANS_AMOUNT_QUANTILES.values(), params.UROK_QUANTILES, params.BIRTH_YEAR_QUANTILES]:
        want = np.interp(x, grid, np.asarray(q, dtype=np.float64))
        assert np.array_equal(quantile_function(q, x), want)
        assert np.array_equal(quantile_function(q, x[:200].reshape(-1, 2)), want[:200].reshape(-1, 2))
    assert np.isnan(quantile_function(params.UROK_QUANTILES, np.array([np.nan, 0.5]))[0])


# ---------------------------------------------------------------------- formatting
@pytest.fixture(scope="module")
def unit_run():
    work = UnitWork(RunConfig(accounts=300, seed=13, clean=True, file_format="csv", defect_rates=None))
    unit = plan_units(300, 300)[0]
    state, _ = work.simulate(unit, work.anomaly_kinds())
    return work, state


def test_trans_csv_equals_the_string_fields(unit_run):
    _, state = unit_run
    sim, aid = state.sim, state.acc.account_id
    want = (
        join_fields(trans_fields(trans_frame(aid, sim, 1001)))
        .to_frame()
        .write_csv(include_header=False, quote_style="never")
    )
    got = trans_csv(
        1001,
        aid[sim.acc_index],
        cal.yymmdd(sim.day),
        sim.code,
        sim.amount_cents,
        sim.balance_cents,
        sim.bank,
        sim.cp_account,
    )
    assert bytes(got).decode() == want
    assert {b for b in sim.bank.tolist()} >= {-2, -1, 0}  # all three bank/account variants are covered


def _reference_event_lines(ev, cities) -> str:
    """The events' JSON, one field at a time (the format of docs/GENERATOR.md)."""
    lines = []
    for i in range(ev.n):
        day, sec = int(ev.day[i]), int(ev.sec[i])
        v2 = day >= V2_FROM_DAY
        dev = int(ev.device[i])
        mobile = dev >= len(WEB_OS)
        parts = [
            f'{{"schema_version": {2 if v2 else 1}, "event_id": "ev-{int(ev.event_id[i])}"',
            f'"client_id": {int(ev.client_id[i])}',
            f'"{"event_time" if v2 else "ts"}": "{cal.ISO_OF_DAY[day]}T{sec // 3600:02d}:{(sec // 60) % 60:02d}:{sec % 60:02d}"',
            f'"event_type": "{EVENT_TYPES[ev.event_type[i]]}"',
            f'"channel": "{"mobile" if mobile else "web"}"',
        ]
        if mobile:
            os_, app = divmod(dev - len(WEB_OS), len(APP_VERSIONS))
            parts.append(f'"device": {{"os": "{MOBILE_OS[os_]}", "app_version": "{APP_VERSIONS[app]}"}}')
        else:
            parts.append(f'"device": {{"os": "{WEB_OS[dev]}"}}')
        if ev.geo[i]:
            parts.append(f'"geo": {{"country": "CZ", "city": "{cities[ev.geo[i] - 1]}"}}')
        if not np.isnan(ev.amount[i]):
            parts.append(f'"amount": {pl.Series([ev.amount[i]]).round(2).cast(pl.Utf8)[0]}')
        if v2:
            parts.append(f'"session_id": "s-{int(ev.session[i])}"')
        lines.append(", ".join(parts) + "}\n")
    return "".join(lines)


def test_event_lines_equal_the_field_by_field_json(unit_run):
    import json

    from ledgerlab.generator.events import generate_events

    work, state = unit_run
    ev = sort_events(generate_events(work.streams, state.acc, state.sim.card_day))
    got = bytes(event_lines(ev, work.cities)).decode()
    assert got == _reference_event_lines(ev, work.cities)
    for line in got.splitlines():
        json.loads(line)
    keys = list(zip(ev.day.tolist(), ev.sec.tolist(), ev.client_id.tolist(), [str(x) for x in ev.event_id.tolist()]))
    assert keys == sorted(keys)


# ---------------------------------------------------------------------- units and workers
def test_units_never_straddle_an_event_block():
    for accounts, chunk in [(12_000, 3000), (12_000, 5000), (12_000, 20_000), (7, 3), (5000, 7000)]:
        units = plan_units(accounts, chunk)
        assert units[0].a0 == 0 and units[-1].a1 == accounts
        assert all(u.a1 - u.a0 <= chunk for u in units)
        assert all(a.a1 == b.a0 for a, b in zip(units, units[1:]))
        assert all(u.a0 // 5000 == (u.a1 - 1) // 5000 for u in units)


def test_worker_processes_give_identical_bytes(tmp_path):
    serial = _files(generate(tmp_path / "serial", accounts=500, seed=21, chunk_accounts=70, workers=1).out_dir)
    s = generate(tmp_path / "parallel", accounts=500, seed=21, chunk_accounts=70, workers=2)
    assert s.workers == 2 and len(s.worker_peak_rss_mib) == 2
    parallel = _files(s.out_dir)
    assert set(serial) == set(parallel)
    assert [name for name in serial if serial[name] != parallel[name]] == []


@pytest.mark.slow
def test_worker_processes_across_event_blocks(tmp_path):
    """Units sharing an event block (chunk 2,600) and a block of its own, in parallel and not."""
    a = _files(generate(tmp_path / "a", accounts=5200, seed=8, chunk_accounts=2600, workers=2).out_dir)
    b = _files(generate(tmp_path / "b", accounts=5200, seed=8, chunk_accounts=5000, workers=1).out_dir)
    assert [name for name in a if a[name] != b.get(name)] == []


def test_offsets_advance_by_the_counts():
    from ledgerlab.generator.units import Counts

    off = Counts(client=3, order=2, loan=1, card=0, trans=50).advance(Offsets())
    assert (off.client, off.order, off.loan, off.card, off.trans) == (4, 29403, 4960, 1, 51)
