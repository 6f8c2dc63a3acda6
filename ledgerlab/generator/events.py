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
"""

from __future__ import annotations

import numpy as np
import polars as pl
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


def generate_events(streams: Streams, acc: AccountChunk, sim, loans_truth: pl.DataFrame, city_names=None) -> pl.DataFrame:
    """One chunk's events (unsorted) with the account index for block sorting."""
    n = acc.n
    hd = acc.has_disponent
    acc_ix = np.concatenate([np.arange(n), np.nonzero(hd)[0]])
    client = np.concatenate([acc.owner_client_id, acc.disponent_client_id[hd]])
    owner = np.concatenate([np.ones(n, bool), np.zeros(int(hd.sum()), bool)])
    digital = acc.digital[acc_ix]
    risk = acc.hidden_risk[acc_ix]
    adopt = streams.uniform("dig_adopt", client) < expit(params.DIGITAL_ADOPTION_INTERCEPT + 1.0 * digital - 0.6 * ~owner)
    adopt_month = np.maximum(params.EVENTS_START_MONTH + np.floor(streams.uniform("dig_adopt_month", client) * 30).astype(np.int64),
                             acc.open_month[acc_ix] + 1)
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
    card_day = sim.card_day[acc_ix[cc]]
    has_card = (card_day >= 0) & (card_day <= cal.MONTH_FIRST_DAY[mm])
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
    counts = streams.poisson("dig_count", np.minimum(rates, 40.0), client[cc][:, None], mm[:, None], np.arange(len(EVENT_TYPES))[None, :])
    rep_row = np.repeat(np.repeat(np.arange(cc.size), len(EVENT_TYPES)), counts.ravel())
    rep_type = np.repeat(np.tile(np.arange(len(EVENT_TYPES)), cc.size), counts.ravel())
    # event number within (client, month, type)
    flat = counts.ravel()
    starts = np.repeat(np.cumsum(flat) - flat, flat)
    seq = np.arange(rep_row.size) - starts
    cl = client[cc][rep_row]
    em = mm[rep_row]
    key_b = em * 8 + rep_type
    u_day = streams.uniform("dig_day", cl, key_b, seq)
    u_sec = streams.uniform("dig_sec", cl, key_b, seq)
    day = cal.MONTH_FIRST_DAY[em] + np.floor(u_day * cal.MONTH_DAYS[em]).astype(np.int64)
    sec = (6 * 3600 + np.floor(u_sec * 18 * 3600)).astype(np.int64)
    h = streams.bits("dig_id", cl, key_b, seq)
    dg = digital[cc][rep_row]
    mobile = streams.uniform("dig_channel", cl, key_b, seq) < expit(-1.8 + 0.09 * (em - 36) + 0.6 * dg)
    os_web = streams.integers("dig_os", 0, len(WEB_OS), cl)
    os_mob = streams.integers("dig_os_m", 0, len(MOBILE_OS), cl)
    app = np.minimum((em - 36) // 10 + streams.integers("dig_app", 0, 2, cl, em), len(APP_VERSIONS) - 1)
    geo = streams.uniform("dig_geo", cl, key_b, seq) > 0.12
    amount = np.where(
        rep_type == 1,
        np.round(np.exp(7.4 + 0.9 * streams.normal("dig_amount", cl, key_b, seq)), 2),
        np.where(rep_type == 3, 1000.0 * (5 + np.floor(45 * streams.uniform("dig_amount", cl, key_b, seq))), np.nan),
    )
    session = streams.bits("dig_session", cl, day, np.floor(sec / 1800).astype(np.int64))
    district = np.concatenate([acc.owner_district, acc.owner_district[hd]])[cc][rep_row]
    ts = pl.Series(cal.ISO_OF_DAY[day])
    hh, mi, ss = sec // 3600, (sec // 60) % 60, sec % 60
    df = pl.DataFrame(
        {
            "acc_index": acc_ix[cc][rep_row].astype(np.int64) + int(acc.account_id[0]) - 1,
            "day": day,
            "sec": sec,
            "event_id": h,
            "client_id": cl,
            "event_type": np.asarray(EVENT_TYPES)[rep_type],
            "channel": np.where(mobile, "mobile", "web"),
            "os": np.where(mobile, np.asarray(MOBILE_OS)[os_mob], np.asarray(WEB_OS)[os_web]),
            "app_version": np.where(mobile, np.asarray(APP_VERSIONS)[app], ""),
            "district": district,
            "has_geo": geo,
            "amount": amount,
            "session": session,
        }
    )
    df = df.with_columns(
        pl.concat_str(
            [ts, pl.lit("T"), pl.Series(hh).cast(pl.Utf8).str.zfill(2), pl.lit(":"), pl.Series(mi).cast(pl.Utf8).str.zfill(2),
             pl.lit(":"), pl.Series(ss).cast(pl.Utf8).str.zfill(2)]
        ).alias("ts"),
        pl.format("ev-{}", pl.col("event_id").cast(pl.Utf8)).alias("event_id"),
        pl.format("s-{}", pl.col("session").cast(pl.Utf8)).alias("session_id"),
        pl.when(pl.col("app_version") == "").then(None).otherwise(pl.col("app_version")).alias("app_version"),
    ).drop("session")
    return df


def event_lines(df: pl.DataFrame, city_of_district: dict[int, str]) -> pl.Series:
    """Serialise events to schema v1 / v2 JSON lines (optional fields left out)."""
    q = lambda e: pl.concat_str([pl.lit('"'), e, pl.lit('"')])  # noqa: E731
    v2 = pl.col("day") >= V2_FROM_DAY
    client = pl.when(pl.col("client_id").is_null()).then(pl.lit("null")).otherwise(pl.col("client_id").cast(pl.Utf8))
    device = pl.concat_str(
        [pl.lit('{"os": '), q(pl.col("os")),
         pl.when(pl.col("app_version").is_not_null()).then(pl.concat_str([pl.lit(', "app_version": '), q(pl.col("app_version"))])).otherwise(pl.lit("")),
         pl.lit("}")]
    )
    city = pl.col("district").replace_strict(list(city_of_district), list(city_of_district.values()), default="Praha", return_dtype=pl.Utf8)
    geo = pl.when(pl.col("has_geo")).then(pl.concat_str([pl.lit(', "geo": {"country": "CZ", "city": '), q(city), pl.lit("}")])).otherwise(pl.lit(""))
    amount = pl.when(pl.col("amount").is_not_nan() & pl.col("amount").is_not_null()).then(
        pl.concat_str([pl.lit(', "amount": '), pl.col("amount").round(2).cast(pl.Utf8)])
    ).otherwise(pl.lit(""))
    line = pl.concat_str(
        [
            pl.when(v2).then(pl.lit('{"schema_version": 2, "event_id": ')).otherwise(pl.lit('{"schema_version": 1, "event_id": ')),
            q(pl.col("event_id")),
            pl.lit(', "client_id": '),
            client,
            pl.when(v2).then(pl.lit(', "event_time": ')).otherwise(pl.lit(', "ts": ')),
            q(pl.col("ts")),
            pl.lit(', "event_type": '),
            q(pl.col("event_type")),
            pl.lit(', "channel": '),
            q(pl.col("channel")),
            pl.lit(', "device": '),
            device,
            geo,
            amount,
            pl.when(v2).then(pl.concat_str([pl.lit(', "session_id": '), q(pl.col("session_id"))])).otherwise(pl.lit("")),
            pl.lit("}"),
        ]
    )
    return df.select(line.alias("line"))["line"]


class EventBuffer:
    """Holds events until their block of accounts is complete, then sorts and writes them."""

    def __init__(self, writer, injector, city_of_district: dict[int, str] | None = None) -> None:
        self.writer = writer
        self.injector = injector
        self.city_of_district = city_of_district or {}
        self.parts: list[pl.DataFrame] = []

    def add(self, df: pl.DataFrame, a0: int, a1: int) -> None:
        self.parts.append(df)
        done_blocks = a1 // EVENT_BLOCK_ACCOUNTS  # blocks < this are complete
        self._flush(lambda b: b < done_blocks)

    def flush_all(self) -> None:
        self._flush(lambda b: True)

    def _flush(self, complete) -> None:
        if not self.parts:
            return
        df = pl.concat(self.parts)
        block = df["acc_index"] // EVENT_BLOCK_ACCOUNTS
        ready_blocks = sorted({b for b in block.unique().to_list() if complete(b)})
        ready_mask = block.is_in(ready_blocks) if ready_blocks else pl.Series([False] * df.height)
        ready = df.filter(ready_mask)
        rest = df.filter(~ready_mask)
        self.parts = [rest] if rest.height else []
        if ready.height == 0:
            return
        ready = ready.with_columns((pl.col("acc_index") // EVENT_BLOCK_ACCOUNTS).alias("block")).sort(
            ["block", "day", "sec", "client_id", "event_id"]
        )
        ready = self.injector.inject_events(ready, self.writer.events_lines + 1)
        self.writer.write_event_lines(self.injector.finish_event_lines(event_lines(ready, self.city_of_district), ready))
