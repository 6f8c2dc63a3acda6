"""Permanent orders (order.asc) and the loan plan that fixes the UVER orders.

Each account holds 0-5 orders (real count mix). Household payments (SIPO),
insurance (POJISTNE), leasing and blank orders become monthly PREVOD NA UCET
transactions from the order's start month on; a loan's UVER order pays its
instalment every month of the loan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from . import params
from .accounts import AccountChunk
from .randomness import Streams, gaussian_copula, quantile_function

MAX_ORDERS = 5
ORDER_KSYMBOL_TABLE = ("SIPO", "POJISTNE", "LEASING", " ", "UVER")
KS_UVER = 4


@dataclass
class LoanPlan:
    has_loan: np.ndarray
    loan_month: np.ndarray
    loan_day: np.ndarray  # day number
    duration: np.ndarray
    payments_cents: np.ndarray

    @property
    def amount_cents(self) -> np.ndarray:
        return self.payments_cents * self.duration


@dataclass
class OrderTable:
    exists: np.ndarray  # (n, MAX_ORDERS + 1); last column is the loan's UVER order
    ksymbol: np.ndarray
    amount_cents: np.ndarray
    bank: np.ndarray
    account_to: np.ndarray
    day_in_month: np.ndarray
    start_month: np.ndarray
    end_month: np.ndarray  # inclusive


def plan_loans(streams: Streams, acc: AccountChunk) -> LoanPlan:
    aid = acc.account_id
    room = (
        params.N_MONTHS - 1 - params.LOAN_MIN_MONTHS_AFTER_OPENING - acc.open_month
    )  # months available after the minimum gap
    span = np.minimum(params.LOAN_MAX_MONTHS_AFTER_OPENING - params.LOAN_MIN_MONTHS_AFTER_OPENING + 1, room + 1)
    has_loan = (streams.uniform("loan_has", aid) < params.LOAN_SHARE) & (span >= 1)
    offset = params.LOAN_MIN_MONTHS_AFTER_OPENING + np.floor(
        streams.uniform("loan_offset", aid) * np.maximum(span, 1)
    ).astype(np.int64)
    loan_month = np.where(has_loan, acc.open_month + offset, -1)
    dom = 1 + np.floor(streams.uniform("loan_dom", aid) * 28).astype(np.int64)
    loan_day = np.where(has_loan, cal.day_of(np.maximum(loan_month, 0), dom), -1)
    loan_day = np.where(has_loan, np.minimum(loan_day, cal.day_from_iso("1998-12-08")), -1)
    duration = np.asarray(params.LOAN_DURATIONS)[streams.choice("loan_duration", [1] * 5, aid)]
    u_pay = gaussian_copula(acc.wealth, streams.normal("loan_payments", aid), 0.6)
    payments = np.round(quantile_function(params.LOAN_PAYMENTS_QUANTILES, u_pay)).astype(np.int64) * 100
    return LoanPlan(
        has_loan=has_loan, loan_month=loan_month, loan_day=loan_day, duration=duration, payments_cents=payments
    )


def plan_orders(streams: Streams, acc: AccountChunk, loans: LoanPlan) -> OrderTable:
    aid = acc.account_id
    n = aid.size
    k = MAX_ORDERS + 1
    count = streams.choice("order_count", params.ORDER_COUNT_SHARES, aid)
    # The loan's UVER order is one of the account's orders.
    count = np.where(loans.has_loan, np.maximum(count - 1, 0), count)
    slot = np.arange(k)[None, :]
    exists = np.zeros((n, k), dtype=bool)
    exists[:, :MAX_ORDERS] = slot[:, :MAX_ORDERS] < count[:, None]
    exists[:, MAX_ORDERS] = loans.has_loan
    ks = streams.choice("order_ksymbol", params.ORDER_KSYMBOL_SHARES, aid[:, None], slot)
    extra_uver = (slot == 0) & (
        streams.uniform("order_extra_uver", aid)[:, None] < params.EXTRA_UVER_ORDER_SHARE / 0.83
    )
    ks = np.where(extra_uver, KS_UVER, ks)
    ks[:, MAX_ORDERS] = KS_UVER
    amount = np.zeros((n, k), dtype=np.int64)
    z_acc = acc.wealth[:, None]
    for i, name in enumerate(ORDER_KSYMBOL_TABLE):
        q = params.ORDER_AMOUNT_QUANTILES["" if name == " " else name]
        u = gaussian_copula(z_acc, streams.normal("order_amount", aid[:, None], slot, i), 0.4)
        value = np.round(quantile_function(q, u) * 10).astype(np.int64) * 10  # 0.1 CZK steps, in cents
        amount = np.where(ks == i, np.maximum(value, 100), amount)
    amount[:, MAX_ORDERS] = loans.payments_cents
    bank = streams.integers("order_bank", 0, len(params.BANK_CODES), aid[:, None], slot)
    digits = streams.choice("order_account_digits", [0.01, 0.08, 0.91], aid[:, None], slot)  # 6, 7, 8 digits
    low = np.asarray([100_000, 1_000_000, 10_000_000])[digits]
    account_to = low + np.floor(streams.uniform("order_account", aid[:, None], slot) * 9 * low).astype(np.int64)
    day_in_month = streams.integers("order_day", 5, 15, aid[:, None], slot)
    # order.asc is a 1999 snapshot: orders were set up over the account's life, not all at opening
    life = (params.N_MONTHS - acc.open_month)[:, None]
    start = acc.open_month[:, None] + np.floor(streams.uniform("order_start", aid[:, None], slot) * 0.2 * life).astype(
        np.int64
    )
    end = np.full((n, k), params.N_MONTHS - 1)
    start[:, MAX_ORDERS] = loans.loan_month + 1
    end[:, MAX_ORDERS] = np.minimum(loans.loan_month + loans.duration, params.N_MONTHS - 1)
    day_in_month[:, MAX_ORDERS] = 12  # instalments are collected on the 12th (as in the real file)
    return OrderTable(exists, ks, amount, bank, account_to, day_in_month, start, end)
