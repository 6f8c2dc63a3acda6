"""Assemble one chunk's typed output tables and truth rows from the simulation.

trans is not among them: CSV formats it straight from the simulation arrays
(``formatting.trans_csv``); ``trans_frame`` builds the typed table for parquet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import calendar as cal
from . import params
from .accounts import AccountChunk
from .calendar import birth_number
from .cards import NO_CARD, card_type
from .loans import loan_status
from .orders import ORDER_KSYMBOL_TABLE, LoanPlan, OrderTable
from .randomness import Streams
from .transactions import BANK_EMPTY, BANK_NONE, CODES, AnomalyPlan, SimulationResult

REFERENCE_DATE = np.datetime64("1998-01-01", "D")


@dataclass
class Offsets:
    """First free id of each running-number key (= rows of earlier chunks)."""

    client: int = 1
    order: int = 29401
    loan: int = 4959
    card: int = 1
    trans: int = 1


def _date(day: np.ndarray) -> np.ndarray:
    return (cal.EPOCH + np.asarray(day).astype("timedelta64[D]")).astype("datetime64[D]")


def build_tables(
    streams: Streams,
    acc: AccountChunk,
    orders: OrderTable,
    loans: LoanPlan,
    anomalies: AnomalyPlan,
    sim: SimulationResult,
    off: Offsets,
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    n = acc.n
    aid = acc.account_id
    t: dict[str, pl.DataFrame] = {}
    t["account"] = pl.DataFrame(
        {
            "account_id": aid,
            "district_id": acc.district_id,
            "frequency": np.asarray(params.FREQUENCY_CODES)[acc.frequency],
            "date": cal.yymmdd(acc.open_day),
        }
    )
    # clients and dispositions, interleaved in client_id order
    owner_bn = birth_number(acc.owner_birth[:, 0], acc.owner_birth[:, 1], acc.owner_birth[:, 2], acc.owner_female)
    disp_bn = birth_number(
        acc.disponent_birth[:, 0], acc.disponent_birth[:, 1], acc.disponent_birth[:, 2], acc.disponent_female
    )
    hd = acc.has_disponent
    client_id = np.concatenate([acc.owner_client_id, acc.disponent_client_id[hd]])
    order_ix = np.argsort(client_id, kind="stable")
    clients = pl.DataFrame(
        {
            "client_id": client_id,
            "birth_number": np.concatenate([owner_bn, disp_bn[hd]]),
            "district_id": np.concatenate([acc.owner_district, acc.owner_district[hd]]),
            "account_id": np.concatenate([aid, aid[hd]]),
            "type": np.concatenate([np.full(n, "OWNER"), np.full(int(hd.sum()), "DISPONENT")]),
        }
    )[order_ix]
    t["client"] = clients.select("client_id", "birth_number", "district_id")
    t["disp"] = clients.select(pl.col("client_id").alias("disp_id"), "client_id", "account_id", "type")

    # orders
    r, c = np.nonzero(orders.exists)
    t["order"] = pl.DataFrame(
        {
            "order_id": off.order + np.arange(r.size),
            "account_id": aid[r],
            "bank_to": np.asarray(params.BANK_CODES)[orders.bank[r, c]],
            "account_to": orders.account_to[r, c].astype(str),
            "amount_cents": orders.amount_cents[r, c],
            "k_symbol": np.asarray(ORDER_KSYMBOL_TABLE)[orders.ksymbol[r, c]],
        }
    )

    # loans
    li = np.nonzero(loans.has_loan)[0]
    lt = sim.loan_truth
    is_default = lt["is_default"][li] if li.size else np.zeros(0, dtype=bool)
    status = loan_status(loans.loan_month[li], loans.loan_day[li], loans.duration[li], is_default)
    loan_ids = off.loan + np.arange(li.size)
    t["loan"] = pl.DataFrame(
        {
            "loan_id": loan_ids,
            "account_id": aid[li],
            "date": cal.yymmdd(loans.loan_day[li]),
            "amount_cents": loans.amount_cents[li],
            "duration": loans.duration[li],
            "payments_cents": loans.payments_cents[li],
            "status": status.astype(str),
        },
        schema_overrides={"status": pl.Utf8},
    )
    truth: dict[str, pl.DataFrame] = {}
    loan_truth = {
        "loan_id": loan_ids,
        "account_id": aid[li],
        "loan_date": _date(loans.loan_day[li]),
        "true_pd": lt["true_pd"][li] if li.size else np.zeros(0),
        "is_default": is_default,
        "status": status.astype(str),
        "amount": loans.amount_cents[li] / 100.0,
        "duration": loans.duration[li],
        "payments": loans.payments_cents[li] / 100.0,
    }
    for key in (
        "mean_monthly_inflow",
        "income_cv",
        "balance_mean",
        "balance_std",
        "negative_balance_count",
        "instalment_ratio",
        "unemployment",
        "hidden_risk",
    ):
        loan_truth[key] = lt[key][li] if li.size else np.zeros(0)
    truth["loans"] = pl.DataFrame(loan_truth, schema_overrides={"status": pl.Utf8})

    # cards
    has_card = sim.card_day != NO_CARD
    ci = np.nonzero(has_card)[0]
    ctype = card_type(streams, acc, sim.card_day)
    t["card"] = pl.DataFrame(
        {
            "card_id": off.card + np.arange(ci.size),
            "disp_id": acc.owner_client_id[ci],
            "type": np.asarray(params.CARD_TYPES)[ctype[ci]],
            "issued": cal.yymmdd(sim.card_day[ci]),
        }
    )
    c98 = sim.card98
    pi = np.nonzero(c98["population"])[0] if c98 else np.zeros(0, dtype=np.int64)
    truth["cards"] = pl.DataFrame(
        {
            "disp_id": acc.owner_client_id[pi],
            "client_id": acc.owner_client_id[pi],
            "account_id": aid[pi],
            "reference_date": np.full(pi.size, REFERENCE_DATE),
            "true_probability": c98["true_probability"][pi] if c98 else np.zeros(0),
            "took_card": c98["took_card"][pi] if c98 else np.zeros(0, dtype=bool),
        }
    )

    # anomalies
    ai = np.nonzero(anomalies.kind >= 0)[0]
    kinds = np.asarray(params.ANOMALY_KINDS)[anomalies.kind[ai]] if ai.size else np.zeros(0, dtype=str)
    start_day = np.where(
        anomalies.kind[ai] == 3,
        cal.MONTH_FIRST_DAY[np.maximum(anomalies.month[ai], 0)],
        np.where(
            anomalies.kind[ai] == 2,
            cal.day_of(np.maximum(anomalies.month[ai], 0), acc.salary_day[ai]),
            anomalies.day[ai],
        ),
    )
    descriptions = {
        "large_cash_withdrawal": "one cash withdrawal (VYBER) of {amount:,.0f} CZK, far above the account's usual withdrawals",
        "new_counterparty_burst": "7-10 transfers (PREVOD NA UCET) to new bank/account counterparties within 3 days",
        "salary_stop": "the monthly salary transfer (PREVOD Z UCTU) stops for good",
        "dormant_reactivation": "no movement for {months} months, then a {amount:,.0f} CZK cash deposit and large withdrawals",
    }
    desc = [
        descriptions[k].format(amount=anomalies.amount_cents[i] / 100.0, months=int(anomalies.length[i]))
        for k, i in zip(kinds, ai)
    ]
    truth["anomalies"] = pl.DataFrame(
        {
            "account_id": aid[ai],
            "kind": kinds.astype(str),
            "start_date": _date(start_day),
            "end_date": _date(np.maximum(sim.anomaly_end_day[ai], start_day)),
            "description": desc,
        },
        schema_overrides={"kind": pl.Utf8, "description": pl.Utf8},
    )

    return t, truth


def trans_frame(aid: np.ndarray, sim: SimulationResult, first_trans_id: int) -> pl.DataFrame:
    """The typed trans table (parquet mode; CSV is formatted straight from the arrays)."""
    codes = np.asarray(CODES)
    code = sim.code
    bank = sim.bank
    m = sim.acc_index.size
    return (
        pl.DataFrame(
            {
                "trans_id": first_trans_id + np.arange(m, dtype=np.int64),
                "account_id": aid[sim.acc_index],
                "date": cal.yymmdd(sim.day),
                "code": code,
                "amount_cents": sim.amount_cents,
                "balance_cents": sim.balance_cents,
                "bank_raw": bank,
                "cp": sim.cp_account,
            }
        )
        .with_columns(
            pl.col("code")
            .replace_strict(list(range(len(CODES))), list(codes[:, 0]), return_dtype=pl.Utf8)
            .alias("type"),
            pl.col("code")
            .replace_strict(list(range(len(CODES))), list(codes[:, 1]), return_dtype=pl.Utf8)
            .alias("operation"),
            pl.col("code")
            .replace_strict(list(range(len(CODES))), list(codes[:, 2]), return_dtype=pl.Utf8)
            .alias("k_symbol"),
            pl.when(pl.col("bank_raw") == BANK_NONE)
            .then(None)
            .when(pl.col("bank_raw") == BANK_EMPTY)
            .then(pl.lit(""))
            .otherwise(
                pl.col("bank_raw").replace_strict(
                    list(range(len(params.BANK_CODES))), list(params.BANK_CODES), default=None, return_dtype=pl.Utf8
                )
            )
            .alias("bank_code"),
            pl.when(pl.col("bank_raw") == BANK_NONE)
            .then(None)
            .when(pl.col("bank_raw") == BANK_EMPTY)
            .then(pl.lit("0"))
            .otherwise(pl.col("cp").cast(pl.Utf8))
            .alias("account_to"),
        )
        .drop("code", "bank_raw", "cp")
    )
