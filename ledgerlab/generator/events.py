"""digital_events.jsonl: online/mobile banking events of clients, 1996-1998.

A client adopts digital banking with a probability rising with the account's
digital affinity (owners more than disponents) in a month of 1996-1998.
Monthly event counts are Poisson: logins and statement views at a rate set by
affinity that DECLINES over time with the account's hidden risk (the same
trait that raises loan PDs), so future defaulters log in less and less before
their loan; password resets and limit changes rise with hidden risk.
Events before 1997-07-01 use schema v1 (``ts``), later ones schema v2
(``event_time`` and ``session_id``). Lines are sorted by time within blocks
of EVENT_BLOCK_ACCOUNTS accounts (the whole file when N <= 5,000).

Events are kept as numeric arrays (an ``EventTable``) until a block is
complete; the block is then sorted and turned into JSON lines by one Polars
``concat_str`` over lookup tables (schema prefix and date part per day, time
per second, the event_type/channel/device/geo part per combination).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa
from scipy.special import expit

from . import calendar as cal
from . import params
from .accounts import AccountChunk
from .randomness import Streams

EVENT_BLOCK_ACCOUNTS = 5000
EVENT_TYPES = ("login", "payment_initiated", "card_block", "limit_change", "password_reset", "statement_view")
WEB_OS = ("Windows 95", "Windows NT 4.0", "Windows 98", "Mac OS 8", "Linux")
MOBILE_OS = ("Symbian", "Palm OS", "Windows CE")
APP_VERSIONS = ("1.0", "1.1", "1.2", "2.0")
V2_FROM_DAY = cal.day_from_iso(params.EVENTS_V2_FROM)
# device code: 0..4 a web OS; 5 + 4 * mobile OS + app version for mobile
N_DEVICES = len(WEB_OS) + len(MOBILE_OS) * len(APP_VERSIONS)
N_GEO = 78  # 0 = no geo, else the district id (1..77)


@dataclass
class EventTable:
    """Events of some accounts (one row per event), unsorted or sorted."""

    day: np.ndarray  # int64 day number
    sec: np.ndarray  # int64 second of the day
    client_id: np.ndarray  # int64
    event_id: np.ndarray  # uint64 (written as "ev-<n>")
    event_type: np.ndarray  # int8 index into EVENT_TYPES
    device: np.ndarray  # int16 device code (see above)
    geo: np.ndarray  # int16: 0 or the district id
    amount: np.ndarray  # float64, NaN when the event has none
    session: np.ndarray  # uint64 (written as "s-<n>" from V2_FROM_DAY on)

    @property
    def n(self) -> int:
        return int(self.day.size)

    def take(self, ix: np.ndarray) -> EventTable:
        return EventTable(*(getattr(self, f.name)[ix] for f in fields(self)))

    @staticmethod
    def concat(parts: list[EventTable]) -> EventTable:
        return EventTable(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(EventTable)))


def generate_events(streams: Streams, acc: AccountChunk, card_day: np.ndarray) -> EventTable:
    """One chunk's events (unsorted); client ids are the final ones."""
    n = acc.n
    hd = acc.has_disponent
    acc_ix = np.concatenate([np.arange(n), np.nonzero(hd)[0]])
    client = np.concatenate([acc.owner_client_id, acc.disponent_client_id[hd]])
    owner = np.concatenate([np.ones(n, bool), np.zeros(int(hd.sum()), bool)])
    digital = acc.digital[acc_ix]
    risk = acc.hidden_risk[acc_ix]
    adopt = streams.uniform("dig_adopt", client) < expit(
        params.DIGITAL_ADOPTION_INTERCEPT + 1.0 * digital - 0.6 * ~owner
    )
    adopt_month = np.maximum(
        params.EVENTS_START_MONTH + np.floor(streams.uniform("dig_adopt_month", client) * 30).astype(np.int64),
        acc.open_month[acc_ix] + 1,
    )
    adopt &= adopt_month < params.N_MONTHS
    ci = np.nonzero(adopt)[0]
    months = np.arange(params.EVENTS_START_MONTH, params.N_MONTHS)
    cc, mm = np.meshgrid(ci, months, indexing="ij")
    cc, mm = cc.ravel(), mm.ravel()
    keep = mm >= adopt_month[cc]
    cc, mm = cc[keep], mm[keep]
    years_in = (mm - adopt_month[cc]) / 12.0
    d, r = digital[cc], risk[cc]
    login = np.exp(params.LOGIN_LOG_RATE + 0.5 * d - params.LOGIN_DECLINE_PER_YEAR * np.maximum(r, 0.0) * years_in)
    cd = card_day[acc_ix[cc]]
    has_card = (cd >= 0) & (cd <= cal.MONTH_FIRST_DAY[mm])
    rates = np.stack(
        [
            login,
            0.35 * login,
            np.where(has_card, 0.015, 0.0),
            np.exp(params.LIMIT_LOG_RATE + 0.6 * r),
            np.exp(params.RESET_LOG_RATE + 0.7 * r),
            0.4 * login,
        ],
        axis=1,
    )
    n_types = len(EVENT_TYPES)
    counts = _poisson(
        streams.uniform("dig_count", client[cc][:, None], mm[:, None], np.arange(n_types)[None, :]),
        np.minimum(rates, 40.0),
    )
    flat = counts.ravel()
    rep_row = np.repeat(np.repeat(np.arange(cc.size), n_types), flat)
    rep_type = np.repeat(np.tile(np.arange(n_types), cc.size), flat)
    # event number within (client, month, type)
    starts = np.repeat(np.cumsum(flat) - flat, flat)
    seq = np.arange(rep_row.size) - starts
    cl = client[cc][rep_row]
    em = mm[rep_row]
    key_b = em * 8 + rep_type
    day = cal.MONTH_FIRST_DAY[em] + np.floor(streams.uniform("dig_day", cl, key_b, seq) * cal.MONTH_DAYS[em]).astype(
        np.int64
    )
    sec = (6 * 3600 + np.floor(streams.uniform("dig_sec", cl, key_b, seq) * 18 * 3600)).astype(np.int64)
    event_id = streams.bits("dig_id", cl, key_b, seq)
    dg = digital[cc][rep_row]
    mobile = streams.uniform("dig_channel", cl, key_b, seq) < expit(-1.8 + 0.09 * (em - 36) + 0.6 * dg)
    device = np.empty(cl.size, dtype=np.int16)
    web = ~mobile
    device[web] = streams.integers("dig_os", 0, len(WEB_OS), cl[web])
    mi = np.nonzero(mobile)[0]
    os_mob = streams.integers("dig_os_m", 0, len(MOBILE_OS), cl[mi])
    app = np.minimum((em[mi] - 36) // 10 + streams.integers("dig_app", 0, 2, cl[mi], em[mi]), len(APP_VERSIONS) - 1)
    device[mi] = len(WEB_OS) + os_mob * len(APP_VERSIONS) + app
    has_geo = streams.uniform("dig_geo", cl, key_b, seq) > 0.12
    district = np.concatenate([acc.owner_district, acc.owner_district[hd]])[cc][rep_row]
    geo = np.where(has_geo, district, 0).astype(np.int16)
    amount = np.full(cl.size, np.nan)
    pay = np.nonzero(rep_type == 1)[0]
    amount[pay] = np.round(np.exp(7.4 + 0.9 * streams.normal("dig_amount", cl[pay], key_b[pay], seq[pay])), 2)
    lim = np.nonzero(rep_type == 3)[0]
    amount[lim] = 1000.0 * (5 + np.floor(45 * streams.uniform("dig_amount", cl[lim], key_b[lim], seq[lim])))
    session = np.zeros(cl.size, dtype=np.uint64)
    v2 = np.nonzero(day >= V2_FROM_DAY)[0]
    session[v2] = streams.bits("dig_session", cl[v2], day[v2], np.floor(sec[v2] / 1800).astype(np.int64))
    return EventTable(
        day=day,
        sec=sec,
        client_id=cl.astype(np.int64),
        event_id=event_id,
        event_type=rep_type.astype(np.int8),
        device=device,
        geo=geo,
        amount=amount,
        session=session,
    )


def _poisson(u: np.ndarray, lam: np.ndarray, k_max: int = 60) -> np.ndarray:
    """Poisson counts by CDF inversion; = Streams.poisson, iterating only over the undecided draws."""
    shape = u.shape
    u = u.ravel()
    lam = np.ascontiguousarray(np.broadcast_to(lam, shape), dtype=np.float64).ravel()
    p = np.exp(-lam)
    cdf = p.copy()
    count = np.zeros(u.size, dtype=np.int64)
    idx = np.arange(u.size)
    for k in range(1, k_max + 1):
        more = u > cdf
        if not more.any():
            break
        idx, u, lam, p, cdf = idx[more], u[more], lam[more], p[more], cdf[more]
        count[idx] += 1
        p = p * lam / k
        cdf = cdf + p
    return count.reshape(shape)


def sort_events(ev: EventTable) -> EventTable:
    """Order by (day, sec, client_id, event_id as text) -- the file's order within a block."""
    key = (ev.day * 86_400 + ev.sec) * (1 << 30) + ev.client_id
    order = np.argsort(key, kind="stable")
    ks = key[order]
    if ks.size > 1 and (ks[1:] == ks[:-1]).any():  # same second and client: the event id's text decides
        order = order.copy()
        run_start = np.flatnonzero(np.concatenate([[True], ks[1:] != ks[:-1]]))
        run_end = np.append(run_start[1:], ks.size)
        multi = run_end - run_start > 1
        for a, b in zip(run_start[multi].tolist(), run_end[multi].tolist()):
            seg = order[a:b]
            text = [str(x) for x in ev.event_id[seg].tolist()]
            order[a:b] = seg[sorted(range(len(seg)), key=text.__getitem__)]
    return ev.take(order)


@lru_cache(maxsize=8)
def _lookups(cities: tuple[str, ...]) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
    """String tables: prefix and date part per day, time per second, the middle part per combination."""
    days = np.arange(cal.ISO_OF_DAY.size)
    v2 = days >= V2_FROM_DAY
    prefix = pl.Series(
        np.where(v2, '{"schema_version": 2, "event_id": "ev-', '{"schema_version": 1, "event_id": "ev-').tolist(),
        dtype=pl.Utf8,
    )
    datepart = pl.Series(
        [
            (', "event_time": "' if w else ', "ts": "') + iso + "T"
            for w, iso in zip(v2.tolist(), cal.ISO_OF_DAY.tolist())
        ],
        dtype=pl.Utf8,
    )
    two = [f"{i:02d}" for i in range(60)]
    time = pl.Series(
        [f'{h}:{m}:{s}"' for h in two[:24] for m in two for s in two], dtype=pl.Utf8
    )  # index = second of the day
    devices = [f', "channel": "web", "device": {{"os": "{os}"}}' for os in WEB_OS] + [
        f', "channel": "mobile", "device": {{"os": "{os}", "app_version": "{app}"}}'
        for os in MOBILE_OS
        for app in APP_VERSIONS
    ]
    geos = [""] + [f', "geo": {{"country": "CZ", "city": "{c}"}}' for c in cities]
    middle = pl.Series(
        [f', "event_type": "{t}"{dev}{g}' for t in EVENT_TYPES for dev in devices for g in geos], dtype=pl.Utf8
    )
    return prefix, datepart, time, middle


def city_table(city_of_district: dict[int, str]) -> tuple[str, ...]:
    """City name of district ids 1..77 ("Praha" when unknown, as the old replace_strict default)."""
    return tuple(city_of_district.get(d, "Praha") for d in range(1, N_GEO))


def event_lines(ev: EventTable, cities: tuple[str, ...]) -> bytes:
    """JSON lines (schema v1 / v2, optional fields left out) of sorted events, LF-terminated."""
    if ev.n == 0:
        return b""
    prefix, datepart, time, middle = _lookups(cities)
    day = pl.Series(ev.day.astype(np.uint32))
    combo = (ev.event_type.astype(np.int64) * N_DEVICES + ev.device) * N_GEO + ev.geo
    has_amount = ~np.isnan(ev.amount)
    amount = pl.Series(np.where(has_amount, ev.amount, 0.0)).round(2).cast(pl.Utf8)
    v2 = pl.Series(ev.day >= V2_FROM_DAY)
    df = pl.DataFrame(
        [
            prefix.gather(day).alias("prefix"),
            pl.Series("event_id", ev.event_id),
            pl.Series("client_id", ev.client_id),
            datepart.gather(day).alias("datepart"),
            time.gather(pl.Series(ev.sec.astype(np.uint32))).alias("time"),
            middle.gather(pl.Series(combo.astype(np.uint32))).alias("middle"),
            amount.alias("amount"),
            pl.Series("has_amount", has_amount),
            pl.Series("session", ev.session),
            v2.alias("v2"),
        ]
    )
    line = pl.concat_str(
        [
            pl.col("prefix"),
            pl.col("event_id").cast(pl.Utf8),
            pl.lit('", "client_id": '),
            pl.col("client_id").cast(pl.Utf8),
            pl.col("datepart"),
            pl.col("time"),
            pl.col("middle"),
            pl.when(pl.col("has_amount")).then(pl.lit(', "amount": ') + pl.col("amount")),
            pl.when(pl.col("v2")).then(pl.lit(', "session_id": "s-') + pl.col("session").cast(pl.Utf8) + pl.lit('"')),
            pl.lit("}\n"),
        ],
        ignore_nulls=True,
    )
    return string_data(df.select(line.alias("line")).to_series())


def string_data(s: pl.Series) -> memoryview:
    """The concatenated bytes of a string series (its Arrow data buffer: no copy beyond the export)."""
    arr = s.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type not in (pa.large_string(), pa.string()):
        arr = arr.cast(pa.large_string())
    width = 8 if arr.type == pa.large_string() else 4
    _, offsets, data = arr.buffers()
    off = np.frombuffer(
        offsets, dtype=np.int64 if width == 8 else np.int32, count=len(arr) + 1, offset=arr.offset * width
    )
    return memoryview(data)[int(off[0]) : int(off[-1])]
