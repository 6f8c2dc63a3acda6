"""The month-by-month simulation of trans.asc for a chunk of accounts.

Each month every open account has a fixed grid of "slots" (opening deposit,
salary or pension, permanent orders, the loan instalment, cash deposits,
rare withdrawal kinds, card withdrawals, up to eight cash withdrawals and the
month-end interest / fee / penalty). Slot activity, days and amounts are
counter-based draws keyed by (account, month, slot). Cash withdrawals are
budgeted: the owner spends what exceeds a personal buffer balance, so
balances stay realistic; a risk-driven "stress" adds overspending. Balances
are exact running sums in cents, in (day, slot) order within the month.

Loan outcomes and the 1998 card decision are drawn inside the loop, at the
loan month / at 1998-01, from the account's behaviour in complete months
before that point; a defaulting borrower's income then falls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, ndtr

from . import calendar as cal
from . import cards as cards_mod
from . import loans as loans_mod
from . import params
from .accounts import INCOME_CASH, INCOME_PENSION, INCOME_SALARY, AccountChunk
from .orders import MAX_ORDERS, LoanPlan, OrderTable
from .randomness import Streams, gaussian_copula, quantile_function

# (type, operation, k_symbol) of each transaction code.
CODES: tuple[tuple[str, str, str], ...] = (
    ("PRIJEM", "VKLAD", ""),  # 0
    ("PRIJEM", "PREVOD Z UCTU", ""),  # 1
    ("PRIJEM", "PREVOD Z UCTU", "DUCHOD"),  # 2
    ("VYDAJ", "PREVOD NA UCET", "SIPO"),  # 3
    ("VYDAJ", "PREVOD NA UCET", "POJISTNE"),  # 4
    ("VYDAJ", "PREVOD NA UCET", " "),  # 5
    ("VYDAJ", "PREVOD NA UCET", "UVER"),  # 6
    ("VYDAJ", "PREVOD NA UCET", ""),  # 7
    ("VYDAJ", "VYBER", ""),  # 8
    ("VYBER", "VYBER", ""),  # 9
    ("VYDAJ", "VYBER", "SIPO"),  # 10
    ("VYDAJ", "VYBER", " "),  # 11
    ("VYDAJ", "VYBER KARTOU", ""),  # 12
    ("PRIJEM", "", "UROK"),  # 13
    ("VYDAJ", "VYBER", "SLUZBY"),  # 14
    ("VYDAJ", "VYBER", "SANKC. UROK"),  # 15
)
CREDIT_CODES = np.array([c[0] == "PRIJEM" for c in CODES])
ORDER_CODE = np.array([3, 4, 5, 5, 6])  # by order k_symbol index: SIPO, POJISTNE, LEASING, blank, UVER
BANK_NONE, BANK_EMPTY = -1, -2  # bank/account columns: missing, or "" with account "0"

S_OPEN, S_SALARY, S_PENSION = 0, 1, 2
S_ORDER0 = 3  # 3..8: five orders and the loan's UVER order
S_VKLAD0, N_VKLAD = 9, 4
S_VYBER_TYPE, S_VYBER_SIPO, S_VYBER_SPACE, S_TRANSFER = 13, 14, 15, 16
S_CARD0, N_CARD = 17, 3
S_CASH0, N_CASH = 20, 8
N_BASE = 28
MAX_EXTRA = 10
AK_LARGE, AK_BURST, AK_SALARY_STOP, AK_DORMANT = range(4)


@dataclass
class AnomalyPlan:
    kind: np.ndarray  # -1 or kind index per account
    month: np.ndarray  # anomaly month (dormancy: first dormant month)
    length: np.ndarray  # dormancy length in months
    day: np.ndarray  # day number of the event (burst: first day)
    amount_cents: np.ndarray


@dataclass
class SimulationResult:
    acc_index: np.ndarray
    day: np.ndarray
    code: np.ndarray
    amount_cents: np.ndarray
    balance_cents: np.ndarray
    bank: np.ndarray
    cp_account: np.ndarray
    loan_truth: dict[str, np.ndarray] = field(default_factory=dict)
    card_day: np.ndarray | None = None
    card98: dict[str, np.ndarray] = field(default_factory=dict)
    anomaly_end_day: np.ndarray | None = None


def plan_anomalies_detail(streams: Streams, acc: AccountChunk, kind: np.ndarray) -> AnomalyPlan:
    aid = acc.account_id
    n = aid.size
    earliest = acc.open_month + 9
    month = earliest + np.floor(streams.uniform("anom_month", aid) * np.maximum(params.N_MONTHS - 1 - earliest, 1)).astype(np.int64)
    # A salary stop leaves >= 6 months without salary; a dormancy starts early enough to end in time.
    month = np.where(kind == AK_SALARY_STOP, np.minimum(month, params.N_MONTHS - 8), month)
    length = 7 + streams.integers("anom_length", 0, 6, aid)
    dormant_start = acc.open_month + 6 + streams.integers("anom_dormant_start", 0, 12, aid)
    month = np.where(kind == AK_DORMANT, np.minimum(dormant_start, params.N_MONTHS - 2 - length), month)
    month = np.clip(month, 0, params.N_MONTHS - 1)
    event_month = np.where(kind == AK_DORMANT, month + length, month)
    dom = streams.integers("anom_day", 1, 26, aid)
    day = cal.day_of(np.clip(event_month, 0, params.N_MONTHS - 1), dom)
    typical = quantile_function(params.TRANS_AMOUNT_QUANTILES["VYBER_CASH"], gaussian_copula(acc.withdrawal_level, np.zeros(n), 1.0))
    large = np.maximum(60_000.0, 12.0 * typical) * (1.0 + 0.5 * streams.uniform("anom_amount", aid))
    amount = np.round(large / 100.0).astype(np.int64) * 100 * 100
    return AnomalyPlan(kind=kind, month=np.where(kind >= 0, month, -1), length=length, day=day, amount_cents=amount)


def simulate(
    streams: Streams,
    acc: AccountChunk,
    orders: OrderTable,
    loans: LoanPlan,
    early_card_day: np.ndarray,
    anomalies: AnomalyPlan,
    unemployment: np.ndarray,
) -> SimulationResult:
    n = acc.n
    aid_all = acc.account_id
    card_day = early_card_day.copy()
    balance = np.zeros(n, dtype=np.int64)
    # Accumulators over complete months (for loan PDs and card propensity).
    # Integer accumulators: sums do not depend on the slot layout, so results are chunk-independent.
    n_months = np.zeros(n, dtype=np.int64)
    inflow_sum = np.zeros(n, dtype=np.int64)  # cents
    inflow_sq = np.zeros(n, dtype=np.int64)  # whole CZK squared
    bal_n = np.zeros(n, dtype=np.int64)
    bal_sum = np.zeros(n, dtype=np.int64)  # cents
    bal_sq = np.zeros(n, dtype=np.int64)  # whole CZK squared
    neg_count = np.zeros(n, dtype=np.int64)
    default_from = np.full(n, 10_000, dtype=np.int64)
    loan_truth: dict[str, np.ndarray] = {}
    card98: dict[str, np.ndarray] = {}
    out: list[tuple[np.ndarray, ...]] = []

    salary_stop_month = np.where(anomalies.kind == AK_SALARY_STOP, anomalies.month, 10_000)
    dormant_lo = np.where(anomalies.kind == AK_DORMANT, anomalies.month, 10_000)
    dormant_hi = np.where(anomalies.kind == AK_DORMANT, anomalies.month + anomalies.length, -1)
    anomaly_end_day = np.full(n, -1, dtype=np.int64)
    p_stress_base = expit(-5.8 + 1.4 * acc.hidden_risk)
    q = params.TRANS_AMOUNT_QUANTILES

    for m in range(params.N_MONTHS):
        # ---- decisions taken at the start of the month from complete earlier months
        due = np.nonzero(loans.has_loan & (loans.loan_month == m))[0]
        if due.size:
            drivers = loans_mod.risk_drivers(
                inflow_sum[due], inflow_sq[due], n_months[due], bal_n[due], bal_sum[due], bal_sq[due], neg_count[due],
                loans.payments_cents[due], unemployment[due], acc.hidden_risk[due], streams.normal("pd_noise", aid_all[due]),
            )
            pd_ = loans_mod.true_pd(drivers)
            default = streams.uniform("pd_draw", aid_all[due]) < pd_
            span = np.minimum(loans.duration[due], 24)
            onset = m + 2 + np.floor(streams.uniform("default_onset", aid_all[due]) * (span - 1)).astype(np.int64)
            default_from[due] = np.where(default, onset, 10_000)
            for key, value in drivers.items():
                loan_truth.setdefault(key, np.full(n, np.nan))[due] = value
            loan_truth.setdefault("true_pd", np.full(n, np.nan))[due] = pd_
            loan_truth.setdefault("is_default", np.zeros(n, dtype=bool))[due] = default
        if m == params.CARD_REFERENCE_MONTH:
            months = np.maximum(n_months, 1)
            mean_inflow = inflow_sum / months / 100.0
            mean_balance = bal_sum / np.maximum(bal_n, 1) / 100.0
            population = (acc.open_month < m) & (card_day == cards_mod.NO_CARD)
            prob = cards_mod.card_probability_1998(acc, mean_inflow, mean_balance, streams.normal("card98_noise", aid_all))
            took = population & (streams.uniform("card98_draw", aid_all) < prob)
            card_day = np.where(took, cards_mod.issue_day_1998(streams, acc), card_day)
            card98 = {"population": population, "true_probability": prob, "took_card": took,
                      "mean_inflow": mean_inflow, "mean_balance": mean_balance}

        ix = np.nonzero(acc.open_month <= m)[0]
        if ix.size == 0:
            continue
        k = ix.size
        aid = aid_all[ix]
        first = cal.MONTH_FIRST_DAY[m]
        dim = int(cal.MONTH_DAYS[m])
        last = first + dim - 1
        open_day = acc.open_day[ix]
        itype = acc.income_type[ix]
        defaulted = default_from[ix] <= m
        income_factor = np.where(defaulted, 0.3, 1.0)

        # Optional anomaly columns this month.
        akind = anomalies.kind[ix]
        amonth = anomalies.month[ix]
        extra_burst = (akind == AK_BURST) & (amonth == m)
        extra_large = (akind == AK_LARGE) & (amonth == m)
        extra_react = (akind == AK_DORMANT) & (amonth + anomalies.length[ix] == m)
        n_extra = MAX_EXTRA if (extra_burst.any() or extra_large.any() or extra_react.any()) else 0
        S = N_BASE + n_extra + 3
        S_END = N_BASE + n_extra
        D = np.full((k, S), last, dtype=np.int64)
        A = np.zeros((k, S), dtype=np.int64)
        act = np.zeros((k, S), dtype=bool)
        code = np.zeros((k, S), dtype=np.int8)
        bank = np.full((k, S), BANK_NONE, dtype=np.int8)
        cpa = np.zeros((k, S), dtype=np.int64)
        mm = np.full(k, m)

        def uniform_days(stream: str, slots: int) -> np.ndarray:
            u = streams.uniform(stream, aid[:, None], m, np.arange(slots)[None, :])
            return first + np.floor(u * dim).astype(np.int64)

        # opening deposit
        is_open = acc.open_month[ix] == m
        act[:, S_OPEN] = is_open
        D[:, S_OPEN] = open_day
        A[:, S_OPEN] = np.asarray(params.OPENING_DEPOSIT_VALUES)[streams.integers("open_deposit", 0, 10, aid)] * 100
        code[:, S_OPEN] = 0
        # salary
        s_inst = acc.instability[ix]
        miss = streams.uniform("salary_miss", aid, m) < expit(-3.6 + 1.2 * s_inst)
        act[:, S_SALARY] = (itype == INCOME_SALARY) & ~miss & (salary_stop_month[ix] > m)
        D[:, S_SALARY] = cal.day_of(mm, acc.salary_day[ix])
        sal = acc.salary_cents[ix] * income_factor * (1.0 + 0.012 * streams.normal("salary_noise", aid, m))
        A[:, S_SALARY] = np.round(sal / 100.0).astype(np.int64) * 100
        code[:, S_SALARY] = 1
        bank[:, S_SALARY] = acc.income_bank[ix]
        cpa[:, S_SALARY] = acc.income_account[ix]
        # pension
        act[:, S_PENSION] = itype == INCOME_PENSION
        D[:, S_PENSION] = cal.day_of(mm, acc.pension_day[ix])
        A[:, S_PENSION] = acc.pension_cents[ix]
        code[:, S_PENSION] = 2
        bank[:, S_PENSION] = acc.income_bank[ix]
        cpa[:, S_PENSION] = acc.income_account[ix]
        # permanent orders and the loan instalment
        sl = slice(S_ORDER0, S_ORDER0 + MAX_ORDERS + 1)
        act[:, sl] = orders.exists[ix] & (orders.start_month[ix] <= m) & (orders.end_month[ix] >= m)
        D[:, sl] = cal.day_of(mm[:, None], orders.day_in_month[ix])
        A[:, sl] = orders.amount_cents[ix]
        code[:, sl] = ORDER_CODE[orders.ksymbol[ix]]
        bank[:, sl] = orders.bank[ix]
        cpa[:, sl] = orders.account_to[ix]
        # cash deposits: frequent for accounts without a transfer income; instability makes months uneven
        base_p = np.where(itype == INCOME_CASH, 0.36, np.where(itype == INCOME_SALARY, 0.10, 0.05))
        sigma = 0.25 + 0.45 * np.maximum(s_inst, 0.0)
        month_mult = np.exp(sigma * streams.normal("vklad_month", aid, m) - 0.5 * sigma**2)
        p_v = np.clip(base_p * month_mult * income_factor, 0.0, 0.95)
        sl = slice(S_VKLAD0, S_VKLAD0 + N_VKLAD)
        act[:, sl] = streams.uniform("vklad_act", aid[:, None], m, np.arange(N_VKLAD)[None, :]) < p_v[:, None]
        D[:, sl] = uniform_days("vklad_day", N_VKLAD)
        u = gaussian_copula(acc.deposit_level[ix][:, None], streams.normal("vklad_amt", aid[:, None], m, np.arange(N_VKLAD)[None, :]), 0.6)
        A[:, sl] = np.round(quantile_function(q["VKLAD"], u)).astype(np.int64) * 100
        code[:, sl] = 0
        # rare withdrawal kinds and ad-hoc transfers
        for slot, stream, p, qname, c, bk in (
            (S_VYBER_TYPE, "vyber_type", 0.055, "VYBER_TYPE", 9, BANK_NONE),
            (S_VYBER_SIPO, "vyber_sipo", 0.011, "VYBER_SIPO", 10, BANK_EMPTY),
            (S_VYBER_SPACE, "vyber_space", 0.004, "VYBER_SPACE", 11, BANK_EMPTY),
            (S_TRANSFER, "transfer_blank", 0.032, "TRANSFER_OUT_BLANK", 7, BANK_NONE),
        ):
            act[:, slot] = streams.uniform(stream, aid, m, 0) < p
            D[:, slot] = first + np.floor(streams.uniform(stream, aid, m, 1) * dim).astype(np.int64)
            A[:, slot] = np.round(quantile_function(q[qname], streams.uniform(stream, aid, m, 2))).astype(np.int64) * 100
            code[:, slot] = c
            bank[:, slot] = bk
        bank[:, S_TRANSFER] = streams.integers("transfer_bank", 0, len(params.BANK_CODES), aid, m)
        cpa[:, S_TRANSFER] = streams.integers("transfer_account", 1_000_000, 100_000_000, aid, m)
        # card withdrawals
        sl = slice(S_CARD0, S_CARD0 + N_CARD)
        D[:, sl] = uniform_days("card_day", N_CARD)
        cd = card_day[ix][:, None]
        act[:, sl] = (cd >= 0) & (D[:, sl] >= cd) & (streams.uniform("card_act", aid[:, None], m, np.arange(N_CARD)[None, :]) < 0.22)
        A[:, sl] = np.round(quantile_function(q["CARD"], streams.uniform("card_amt", aid[:, None], m, np.arange(N_CARD)[None, :]))).astype(np.int64) * 100
        code[:, sl] = 12
        bank[:, sl] = BANK_EMPTY
        # anomaly rows
        if n_extra:
            ea = np.nonzero(extra_burst | extra_large | extra_react)[0]
            base = anomalies.day[ix][ea]
            sl = slice(N_BASE, N_BASE + MAX_EXTRA)
            j = np.arange(MAX_EXTRA)[None, :]
            eb, el, er = extra_burst[ea][:, None], extra_large[ea][:, None], extra_react[ea][:, None]
            amt_large = anomalies.amount_cents[ix][ea][:, None]
            burst_amt = (40 + np.floor(streams.uniform("burst_amt", aid[ea][:, None], j) * 110)).astype(np.int64) * 100 * 100
            n_burst = 7 + streams.integers("burst_n", 0, 4, aid[ea])[:, None]
            sub_act = (eb & (j < n_burst)) | (el & (j == 0)) | (er & (j < 3))
            sub_day = np.where(eb, base[:, None] + j % 3, np.where(er, base[:, None] + 2 * j, base[:, None]))
            sub_day = np.minimum(sub_day, last)
            sub_amt = np.where(eb, burst_amt, np.where(er, np.where(j == 0, amt_large, amt_large * 2 // 5), amt_large))
            sub_code = np.where(eb, 7, np.where(er & (j == 0), 0, 8))
            sub_bank = np.where(eb, streams.integers("burst_bank", 0, len(params.BANK_CODES), aid[ea][:, None], j), BANK_NONE)
            sub_cpa = np.where(eb, streams.integers("burst_account", 1_000_000, 100_000_000, aid[ea][:, None], j), 0)
            act[ea, sl], D[ea, sl], A[ea, sl] = sub_act, sub_day, sub_amt
            code[ea, sl], bank[ea, sl], cpa[ea, sl] = sub_code, sub_bank, sub_cpa
            ends = np.where(extra_burst[ea], base + 2, base)
            anomaly_end_day[ix[ea]] = np.maximum(anomaly_end_day[ix[ea]], ends)
        # nothing happens before the account opened, or in a dormant month
        act &= D >= open_day[:, None]
        dormant = (dormant_lo[ix] <= m) & (m < dormant_hi[ix])
        act &= ~dormant[:, None]

        # ---- top-up: an owner whose month would end well below the buffer brings cash early
        # in the month (the last deposit slot), unless the loan has gone bad.
        ramp = np.minimum(1.0, (m - acc.open_month[ix]) / 4.0)
        signed = np.where(CREDIT_CODES[code], A, -A) * act
        projected = balance[ix] + signed.sum(axis=1)
        need = 0.6 * acc.buffer_cents[ix] * ramp - projected
        top = (need > 0) & ~defaulted & ~dormant & ~is_open & (streams.uniform("topup", aid, m) < 0.85)
        ts = S_VKLAD0 + N_VKLAD - 1
        topup_amt = (np.ceil(np.maximum(need, 0) / 10_000.0) * 10_000).astype(np.int64) + A[:, ts]
        A[:, ts] = np.where(top, topup_amt, A[:, ts])
        D[:, ts] = np.where(top, first + np.floor(streams.uniform("topup_day", aid, m) * 4).astype(np.int64), D[:, ts])
        act[:, ts] |= top

        # ---- budgeted cash withdrawals: the owner spends what the START balance holds above a
        # personal buffer (after this month's fixed payments), so balances rarely go negative
        # whatever the order of days; "stress" months overspend (more often for risky owners).
        signed = np.where(CREDIT_CODES[code], 0, -A) * act
        pre = balance[ix] + signed.sum(axis=1)
        buffer = np.where(defaulted, -0.4 * acc.buffer_cents[ix], acc.buffer_cents[ix] * ramp)
        excess = np.maximum(pre - buffer, 0) * (0.45 + 0.45 * streams.uniform("budget", aid, m))
        stress = streams.uniform("stress", aid, m) < np.where(defaulted, 0.5, p_stress_base[ix])
        stress_amt = stress * (0.6 + 0.8 * streams.uniform("stress_amt", aid, m)) * acc.buffer_cents[ix]
        budget = excess + stress_amt
        sl = slice(S_CASH0, S_CASH0 + N_CASH)
        jj = np.arange(N_CASH)[None, :]
        # frequent small withdrawers would skew the count-weighted amounts low: tilt u upwards
        u = gaussian_copula(acc.withdrawal_level[ix][:, None], streams.normal("cash_amt", aid[:, None], m, jj), 0.55) ** 0.8
        cash = np.round(quantile_function(q["VYBER_CASH"], u) / 10.0).astype(np.int64) * 1000
        D[:, sl] = uniform_days("cash_day", N_CASH)
        possible = (D[:, sl] >= open_day[:, None]) & ~dormant[:, None]
        # how many withdrawals the budget pays for, at this month's typical amount (no amount bias)
        typical = cash.mean(axis=1)
        want = budget / typical
        n_cash = np.floor(want + streams.uniform("cash_n", aid, m)).astype(np.int64)
        act[:, sl] = possible & (jj < np.minimum(n_cash, N_CASH)[:, None])
        A[:, sl] = cash
        code[:, sl] = 8
        bank[:, sl] = np.where(streams.uniform("cash_bank", aid[:, None], m, jj) < 0.044, BANK_EMPTY, BANK_NONE)

        # ---- order within the month, balances, month-end items
        order = np.argsort(D * 64 + np.arange(S)[None, :], axis=1, kind="stable")
        D, A, act, code, bank, cpa = (np.take_along_axis(x, order, axis=1) for x in (D, A, act, code, bank, cpa))
        # month-end slots are last in the order (highest slot index on the last day)
        signed = np.where(CREDIT_CODES[code], A, -A) * act
        running = balance[ix][:, None] + np.cumsum(signed, axis=1)
        end_pre = running[:, -1]
        min_bal = np.where(act, running, np.iinfo(np.int64).max).min(axis=1)
        alive = ~dormant & (D[:, S_END] >= open_day)
        zb = (np.log(np.maximum(end_pre, 100) / 100.0) - params.UROK_LOG_CENTER) / params.UROK_LOG_SCALE
        zb = zb + 0.15 * streams.normal("rate", aid, m)
        urok = np.round(quantile_function(params.UROK_QUANTILES, ndtr(zb)) * 10).astype(np.int64) * 10
        urok = np.where(end_pre > 0, np.minimum(urok, np.maximum(end_pre // 20, 10)), 0)
        act[:, S_END] = alive & (urok > 0)
        A[:, S_END] = urok
        code[:, S_END] = 13
        fee = np.asarray(params.STATEMENT_FEE)[acc.frequency[ix]]
        act[:, S_END + 1] = alive & ~is_open & (streams.uniform("fee", aid, m) < params.STATEMENT_FEE_PROBABILITY)
        A[:, S_END + 1] = np.round(fee * 100).astype(np.int64)
        code[:, S_END + 1] = 14
        sank = np.maximum(np.round(-np.minimum(min_bal, 0) * params.PENALTY_RATE / 10.0).astype(np.int64) * 10, 10)
        act[:, S_END + 2] = alive & (min_bal < 0)
        A[:, S_END + 2] = sank
        code[:, S_END + 2] = 15
        signed = np.where(CREDIT_CODES[code], A, -A) * act
        running = balance[ix][:, None] + np.cumsum(signed, axis=1)
        balance[ix] = running[:, -1]

        # ---- accumulate complete-month statistics
        inflow = (np.where(CREDIT_CODES[code], A, 0) * act).sum(axis=1)
        n_months[ix] += 1
        inflow_sum[ix] += inflow
        inflow_sq[ix] += (inflow // 100) ** 2
        bal_czk = running // 100
        bal_n[ix] += act.sum(axis=1)
        bal_sum[ix] += (running * act).sum(axis=1)
        bal_sq[ix] += (bal_czk**2 * act).sum(axis=1)
        neg_count[ix] += ((running < 0) & act).sum(axis=1)

        r, c = np.nonzero(act)
        out.append((ix[r].astype(np.int32), D[r, c].astype(np.int32), code[r, c], A[r, c], running[r, c], bank[r, c], cpa[r, c]))

    if out:
        cols = [np.concatenate(x) for x in zip(*out)]
    else:
        cols = [np.zeros(0, dtype=t) for t in (np.int32, np.int32, np.int8, np.int64, np.int64, np.int8, np.int64)]
    order = np.argsort(cols[0], kind="stable")
    cols = [c[order] for c in cols]
    # dormancy ends at the reactivation; a salary stop lasts to the end of the data
    anomaly_end_day = np.where(anomalies.kind == AK_SALARY_STOP, cal.END_DAY, anomaly_end_day)
    return SimulationResult(*cols, loan_truth=loan_truth, card_day=card_day, card98=card98, anomaly_end_day=anomaly_end_day)
