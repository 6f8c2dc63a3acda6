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

Implementation: the grid is sparse. Accounts are processed in order of their
opening month, so the accounts open in month m are a prefix of the arrays;
each month first draws only what decides whether a slot is active, then the
day and amount of the active slots alone (a draw is a hash of its keys, so
skipping inactive slots changes no value). The month's transactions are one
flat list sorted by (account, day, slot); balances are a segmented cumulative
sum. Sums that feed decisions are exact integers.
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
from .orders import LoanPlan, OrderTable
from .randomness import Streams, gaussian_copula, gaussian_copula_inplace, quantile_function

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
    month = earliest + np.floor(
        streams.uniform("anom_month", aid) * np.maximum(params.N_MONTHS - 1 - earliest, 1)
    ).astype(np.int64)
    # A salary stop leaves >= 6 months without salary; a dormancy starts early enough to end in time.
    month = np.where(kind == AK_SALARY_STOP, np.minimum(month, params.N_MONTHS - 8), month)
    length = 7 + streams.integers("anom_length", 0, 6, aid)
    dormant_start = acc.open_month + 6 + streams.integers("anom_dormant_start", 0, 12, aid)
    month = np.where(kind == AK_DORMANT, np.minimum(dormant_start, params.N_MONTHS - 2 - length), month)
    month = np.clip(month, 0, params.N_MONTHS - 1)
    event_month = np.where(kind == AK_DORMANT, month + length, month)
    dom = streams.integers("anom_day", 1, 26, aid)
    day = cal.day_of(np.clip(event_month, 0, params.N_MONTHS - 1), dom)
    typical = quantile_function(
        params.TRANS_AMOUNT_QUANTILES["VYBER_CASH"], gaussian_copula(acc.withdrawal_level, np.zeros(n), 1.0)
    )
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
    # Accounts in order of opening month: the accounts open in month m are rows [0, k_m).
    perm = np.argsort(acc.open_month, kind="stable")
    open_rows = np.searchsorted(acc.open_month[perm], np.arange(params.N_MONTHS), side="right")
    aid_all = acc.account_id[perm]
    open_month = acc.open_month[perm]
    open_day = acc.open_day[perm]
    itype = acc.income_type[perm]
    instability = acc.instability[perm]
    hidden_risk = acc.hidden_risk[perm]
    salary_cents = acc.salary_cents[perm]
    salary_day = acc.salary_day[perm]
    pension_cents = acc.pension_cents[perm]
    pension_day = acc.pension_day[perm]
    income_bank = acc.income_bank[perm]
    income_account = acc.income_account[perm]
    buffer_cents = acc.buffer_cents[perm]
    withdrawal_level = acc.withdrawal_level[perm]
    deposit_level = acc.deposit_level[perm]
    fee_cents = np.round(np.asarray(params.STATEMENT_FEE)[acc.frequency[perm]] * 100).astype(np.int64)
    o_exists, o_start, o_end = orders.exists[perm], orders.start_month[perm], orders.end_month[perm]
    o_day, o_amount, o_bank, o_account = (
        orders.day_in_month[perm],
        orders.amount_cents[perm],
        orders.bank[perm],
        orders.account_to[perm],
    )
    o_code = ORDER_CODE[orders.ksymbol[perm]]
    has_loan, loan_month = loans.has_loan[perm], loans.loan_month[perm]
    loan_payments, loan_duration = loans.payments_cents[perm], loans.duration[perm]
    unemployment = unemployment[perm]
    a_kind, a_month, a_length = anomalies.kind[perm], anomalies.month[perm], anomalies.length[perm]
    a_day, a_amount = anomalies.day[perm], anomalies.amount_cents[perm]

    card_day = early_card_day[perm].copy()
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
    filled = np.zeros(n, dtype=np.int64)  # items so far per account

    salary_stop_month = np.where(a_kind == AK_SALARY_STOP, a_month, 10_000)
    dormant_lo = np.where(a_kind == AK_DORMANT, a_month, 10_000)
    dormant_hi = np.where(a_kind == AK_DORMANT, a_month + a_length, -1)
    anomaly_end_day = np.full(n, -1, dtype=np.int64)
    p_stress_base = expit(-5.8 + 1.4 * hidden_risk)
    q = params.TRANS_AMOUNT_QUANTILES
    opening_values = np.asarray(params.OPENING_DEPOSIT_VALUES)
    n_banks = len(params.BANK_CODES)

    for m in range(params.N_MONTHS):
        # ---- decisions taken at the start of the month from complete earlier months
        due = np.nonzero(has_loan & (loan_month == m))[0]
        if due.size:
            drivers = loans_mod.risk_drivers(
                inflow_sum[due],
                inflow_sq[due],
                n_months[due],
                bal_n[due],
                bal_sum[due],
                bal_sq[due],
                neg_count[due],
                loan_payments[due],
                unemployment[due],
                hidden_risk[due],
            )
            pd_ = loans_mod.true_pd(drivers)
            default = streams.uniform("pd_draw", aid_all[due]) < pd_
            span = np.minimum(loan_duration[due], 24)
            onset = m + 2 + np.floor(streams.uniform("default_onset", aid_all[due]) * (span - 1)).astype(np.int64)
            default_from[due] = np.where(default, onset, 10_000)
            for key, value in drivers.items():
                loan_truth.setdefault(key, np.full(n, np.nan))[due] = value
            loan_truth.setdefault("true_pd", np.full(n, np.nan))[due] = pd_
            loan_truth.setdefault("is_default", np.zeros(n, dtype=bool))[due] = default
        if m == params.CARD_REFERENCE_MONTH:  # in account order, as the card functions take the chunk
            card98, card_day_acc = _card_decision_1998(
                streams,
                acc,
                m,
                _unpermute(perm, n_months),
                _unpermute(perm, inflow_sum),
                _unpermute(perm, bal_sum),
                _unpermute(perm, bal_n),
                _unpermute(perm, card_day),
            )
            card_day = card_day_acc[perm]

        k = int(open_rows[m])
        if k == 0:
            continue
        k_new = int(open_rows[m - 1]) if m else 0  # rows [k_new, k) open this month
        aid = aid_all[:k]
        first = int(cal.MONTH_FIRST_DAY[m])
        dim = int(cal.MONTH_DAYS[m])
        last = first + dim - 1
        od = open_day[:k]
        it = itype[:k]
        defaulted = default_from[:k] <= m
        income_factor = np.where(defaulted, 0.3, 1.0)
        dormant = (dormant_lo[:k] <= m) & (m < dormant_hi[:k])
        items = _Items()

        # opening deposit
        rows = np.arange(k_new, k)
        items.add(
            rows,
            S_OPEN,
            od[rows],
            opening_values[streams.integers("open_deposit", 0, 10, aid[rows])].astype(np.int64) * 100,
            0,
        )
        # salary
        rows = np.nonzero((it == INCOME_SALARY) & (salary_stop_month[:k] > m))[0]
        miss = streams.uniform("salary_miss", aid[rows], m) < expit(-3.6 + 1.2 * instability[rows])
        rows = rows[~miss]
        sal = salary_cents[rows] * income_factor[rows] * (1.0 + 0.012 * streams.normal("salary_noise", aid[rows], m))
        items.add(
            rows,
            S_SALARY,
            cal.day_of(m, salary_day[rows]),
            np.round(sal / 100.0).astype(np.int64) * 100,
            1,
            income_bank[rows],
            income_account[rows],
        )
        # pension
        rows = np.nonzero(it == INCOME_PENSION)[0]
        items.add(
            rows,
            S_PENSION,
            cal.day_of(m, pension_day[rows]),
            pension_cents[rows],
            2,
            income_bank[rows],
            income_account[rows],
        )
        # permanent orders and the loan instalment
        r, j = np.nonzero(o_exists[:k] & (o_start[:k] <= m) & (o_end[:k] >= m))
        items.add(
            r, S_ORDER0 + j, cal.day_of(m, o_day[r, j]), o_amount[r, j], o_code[r, j], o_bank[r, j], o_account[r, j]
        )
        # cash deposits: frequent for accounts without a transfer income; instability makes months uneven
        base_p = np.where(it == INCOME_CASH, 0.36, np.where(it == INCOME_SALARY, 0.10, 0.05))
        sigma = 0.25 + 0.45 * np.maximum(instability[:k], 0.0)
        month_mult = np.exp(sigma * streams.normal("vklad_month", aid, m) - 0.5 * sigma**2)
        p_v = np.clip(base_p * month_mult * income_factor, 0.0, 0.95)
        r, j = np.nonzero(streams.uniform("vklad_act", aid[:, None], m, _SLOTS[None, :N_VKLAD]) < p_v[:, None])
        items.add(
            r,
            S_VKLAD0 + j,
            first + np.floor(streams.uniform("vklad_day", aid[r], m, j) * dim).astype(np.int64),
            _vklad_amount(streams, deposit_level[r], aid[r], m, j),
            0,
        )
        # rare withdrawal kinds and ad-hoc transfers
        for slot, stream, p, qname, c, bk in _RARE:
            rows = np.nonzero(streams.below(stream, p, aid, m, 0))[0]
            if not rows.size:
                continue
            day = first + np.floor(streams.uniform(stream, aid[rows], m, 1) * dim).astype(np.int64)
            amount = (
                np.round(quantile_function(q[qname], streams.uniform(stream, aid[rows], m, 2))).astype(np.int64) * 100
            )
            if slot == S_TRANSFER:
                items.add(
                    rows,
                    slot,
                    day,
                    amount,
                    c,
                    streams.integers("transfer_bank", 0, n_banks, aid[rows], m),
                    streams.integers("transfer_account", 1_000_000, 100_000_000, aid[rows], m),
                )
            else:
                items.add(rows, slot, day, amount, c, bk)
        # card withdrawals
        cd = card_day[:k]
        rows = np.nonzero((cd >= 0) & (cd <= last))[0]
        if rows.size:
            day = first + np.floor(
                streams.uniform("card_day", aid[rows][:, None], m, _SLOTS[None, :N_CARD]) * dim
            ).astype(np.int64)
            act = (day >= cd[rows][:, None]) & streams.below(
                "card_act", 0.22, aid[rows][:, None], m, _SLOTS[None, :N_CARD]
            )
            r, j = np.nonzero(act)
            amount = (
                np.round(quantile_function(q["CARD"], streams.uniform("card_amt", aid[rows[r]], m, j))).astype(np.int64)
                * 100
            )
            items.add(rows[r], S_CARD0 + j, day[r, j], amount, 12, BANK_EMPTY)
        # anomaly rows
        akind = a_kind[:k]
        amonth = a_month[:k]
        extra_burst = (akind == AK_BURST) & (amonth == m)
        extra_large = (akind == AK_LARGE) & (amonth == m)
        extra_react = (akind == AK_DORMANT) & (amonth + a_length[:k] == m)
        ea = np.nonzero(extra_burst | extra_large | extra_react)[0]
        if ea.size:
            base = a_day[ea]
            j = np.arange(MAX_EXTRA)[None, :]
            eb, el, er = extra_burst[ea][:, None], extra_large[ea][:, None], extra_react[ea][:, None]
            amt_large = a_amount[ea][:, None]
            burst_amt = (
                (40 + np.floor(streams.uniform("burst_amt", aid[ea][:, None], j) * 110)).astype(np.int64) * 100 * 100
            )
            n_burst = 7 + streams.integers("burst_n", 0, 4, aid[ea])[:, None]
            sub_act = (eb & (j < n_burst)) | (el & (j == 0)) | (er & (j < 3))
            sub_day = np.where(eb, base[:, None] + j % 3, np.where(er, base[:, None] + 2 * j, base[:, None]))
            sub_day = np.minimum(sub_day, last)
            sub_amt = np.where(eb, burst_amt, np.where(er, np.where(j == 0, amt_large, amt_large * 2 // 5), amt_large))
            sub_code = np.where(eb, 7, np.where(er & (j == 0), 0, 8))
            sub_bank = np.where(eb, streams.integers("burst_bank", 0, n_banks, aid[ea][:, None], j), BANK_NONE)
            sub_cpa = np.where(eb, streams.integers("burst_account", 1_000_000, 100_000_000, aid[ea][:, None], j), 0)
            r, jj = np.nonzero(sub_act)
            items.add(
                ea[r], N_BASE + jj, sub_day[r, jj], sub_amt[r, jj], sub_code[r, jj], sub_bank[r, jj], sub_cpa[r, jj]
            )
            ends = np.where(extra_burst[ea], base + 2, base)
            anomaly_end_day[ea] = np.maximum(anomaly_end_day[ea], ends)
        # nothing happens before the account opened, or in a dormant month
        items.finish()
        keep = (items.day >= od[items.row]) & ~dormant[items.row]
        if not keep.all():
            items.select(keep)

        # ---- top-up: an owner whose month would end well below the buffer brings cash early
        # in the month (the last deposit slot), unless the loan has gone bad.
        ramp = np.minimum(1.0, (m - open_month[:k]) / 4.0)
        credit = CREDIT_CODES[items.code]
        signed = np.where(credit, items.amount, -items.amount)
        projected = balance[:k] + _row_sums(items.row, signed, k)
        need = 0.6 * buffer_cents[:k] * ramp - projected
        cand = np.nonzero((need > 0) & ~defaulted & ~dormant)[0]
        cand = cand[cand < k_new]  # not in the opening month
        top = cand[streams.uniform("topup", aid[cand], m) < 0.85]
        if top.size:
            ts = S_VKLAD0 + N_VKLAD - 1
            topup_amt = (np.ceil(np.maximum(need[top], 0) / 10_000.0) * 10_000).astype(np.int64) + _vklad_amount(
                streams, deposit_level[top], aid[top], m, N_VKLAD - 1
            )
            topup_day = first + np.floor(streams.uniform("topup_day", aid[top], m) * 4).astype(np.int64)
            is_top = np.zeros(k, dtype=bool)
            is_top[top] = True
            hit = np.nonzero((items.slot == ts) & is_top[items.row])[0]  # the slot was active: it becomes the top-up
            where_top = np.full(k, -1, dtype=np.int64)
            where_top[top] = np.arange(top.size)
            items.amount[hit] = topup_amt[where_top[items.row[hit]]]
            items.day[hit] = topup_day[where_top[items.row[hit]]]
            fresh = np.ones(top.size, dtype=bool)
            fresh[where_top[items.row[hit]]] = False
            items.add(top[fresh], ts, topup_day[fresh], topup_amt[fresh], 0)
            items.finish()
            credit = CREDIT_CODES[items.code]

        # ---- budgeted cash withdrawals: the owner spends what the START balance holds above a
        # personal buffer (after this month's fixed payments), so balances rarely go negative
        # whatever the order of days; "stress" months overspend (more often for risky owners).
        pre = balance[:k] + _row_sums(items.row, np.where(credit, 0, -items.amount), k)
        buffer = np.where(defaulted, -0.4 * buffer_cents[:k], buffer_cents[:k] * ramp)
        excess = np.maximum(pre - buffer, 0)
        rows = np.nonzero(excess > 0)[0]
        excess = excess.astype(np.float64)
        excess[rows] *= 0.45 + 0.45 * streams.uniform("budget", aid[rows], m)
        stress = streams.uniform("stress", aid, m) < np.where(defaulted, 0.5, p_stress_base[:k])
        rows = np.nonzero(stress)[0]
        budget = excess
        budget[rows] += (0.6 + 0.8 * streams.uniform("stress_amt", aid[rows], m)) * buffer_cents[rows]
        rows = np.nonzero(budget > 0)[0]
        if rows.size:
            # frequent small withdrawers would skew the count-weighted amounts low: tilt u upwards
            u = gaussian_copula_inplace(
                withdrawal_level[rows][:, None],
                streams.normal("cash_amt", aid[rows][:, None], m, _SLOTS[None, :N_CASH]),
                0.55,
            )
            np.power(u, 0.8, out=u)
            cash = quantile_function(q["VYBER_CASH"], u)
            cash /= 10.0
            cash = np.round(cash, out=cash).astype(np.int64)
            cash *= 1000
            # how many withdrawals the budget pays for, at this month's typical amount (no amount bias)
            typical = cash.sum(axis=1) / float(N_CASH)  # exact: a sum of few multiples of 1,000
            want = budget[rows] / typical
            n_cash = np.minimum(np.floor(want + streams.uniform("cash_n", aid[rows], m)).astype(np.int64), N_CASH)
            r, j = np.nonzero(_SLOTS[None, :N_CASH] < n_cash[:, None])
            day = first + np.floor(streams.uniform("cash_day", aid[rows[r]], m, j) * dim).astype(np.int64)
            ok = (day >= od[rows[r]]) & ~dormant[rows[r]]
            r, j, day = r[ok], j[ok], day[ok]
            bank = np.where(streams.below("cash_bank", 0.044, aid[rows[r]], m, j), BANK_EMPTY, BANK_NONE)
            items.add(rows[r], S_CASH0 + j, day, cash[r, j], 8, bank)
            items.finish()

        # ---- order within the month, balances, month-end items
        order = np.argsort((items.row * 32 + (items.day - first)) * 64 + items.slot)
        items.take(order)
        row, amount = items.row, items.amount
        credit = CREDIT_CODES[items.code]
        signed = np.where(credit, amount, -amount)
        counts = np.bincount(row, minlength=k)
        ends = np.cumsum(counts)
        starts = ends - counts
        cs = np.concatenate([[0], np.cumsum(signed)])
        running = balance[:k][row] + (cs[1:] - cs[starts][row])
        end_pre = balance[:k] + (cs[ends] - cs[starts])
        nonempty = counts > 0
        min_bal = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        if row.size:
            min_bal[nonempty] = np.minimum.reduceat(running, starts[nonempty])
        # month-end slots come last: interest, statement fee, penalty
        alive = ~dormant
        urok = np.zeros(k, dtype=np.int64)
        rows = np.nonzero(alive & (end_pre > 0))[0]
        zb = (np.log(np.maximum(end_pre[rows], 100) / 100.0) - params.UROK_LOG_CENTER) / params.UROK_LOG_SCALE
        zb = zb + 0.15 * streams.normal("rate", aid[rows], m)
        u_rok = np.round(quantile_function(params.UROK_QUANTILES, ndtr(zb)) * 10).astype(np.int64) * 10
        urok[rows] = np.minimum(u_rok, np.maximum(end_pre[rows] // 20, 10))
        fee = np.zeros(k, dtype=np.int64)
        rows = np.nonzero(alive)[0]
        rows = rows[rows < k_new]  # no fee in the opening month
        rows = rows[streams.below("fee", params.STATEMENT_FEE_PROBABILITY, aid[rows], m)]
        fee[rows] = fee_cents[rows]
        sank = np.zeros(k, dtype=np.int64)
        rows = np.nonzero(alive & (min_bal < 0))[0]
        sank[rows] = np.maximum(np.round(-min_bal[rows] * params.PENALTY_RATE / 10.0).astype(np.int64) * 10, 10)
        bal_urok = end_pre + urok
        bal_fee = bal_urok - fee
        bal_end = bal_fee - sank
        balance[:k] = bal_end

        # ---- all of the month's items in order: per account its items, then the month-end ones
        n_end = (urok > 0).astype(np.int64) + (fee > 0) + (sank > 0)
        total = counts + n_end
        new_ends = np.cumsum(total)
        new_starts = new_ends - total
        size = int(new_ends[-1]) if k else 0
        pos = new_starts[row] + (np.arange(row.size) - starts[row])
        t_row = np.empty(size, dtype=np.int64)
        t_day = np.empty(size, dtype=np.int64)
        t_code = np.empty(size, dtype=np.int8)
        t_amt = np.empty(size, dtype=np.int64)
        t_bal = np.empty(size, dtype=np.int64)
        t_bank = np.empty(size, dtype=np.int8)
        t_cpa = np.empty(size, dtype=np.int64)
        t_row[pos], t_day[pos], t_code[pos], t_amt[pos] = row, items.day, items.code, amount
        t_bal[pos], t_bank[pos], t_cpa[pos] = running, items.bank, items.cpa
        at = new_starts + counts
        for value, bal, code in ((urok, bal_urok, 13), (fee, bal_fee, 14), (sank, bal_end, 15)):
            rows = np.nonzero(value > 0)[0]
            p_ = at[rows]
            t_row[p_], t_day[p_], t_code[p_], t_amt[p_], t_bal[p_], t_bank[p_], t_cpa[p_] = (
                rows,
                last,
                code,
                value[rows],
                bal[rows],
                BANK_NONE,
                0,
            )
            at[rows] += 1

        # ---- accumulate complete-month statistics
        inflow = _row_sums(row, np.where(credit, amount, 0), k) + urok
        n_months[:k] += 1
        inflow_sum[:k] += inflow
        inflow_sq[:k] += (inflow // 100) ** 2
        bal_n[:k] += total
        nz = np.nonzero(total)[0]
        if nz.size:
            bal_czk = t_bal // 100
            bal_sum[nz] += np.add.reduceat(t_bal, new_starts[nz])
            bal_sq[nz] += np.add.reduceat(bal_czk * bal_czk, new_starts[nz])
            neg_count[nz] += np.add.reduceat((t_bal < 0).astype(np.int64), new_starts[nz])

        # where the items go in the chunk's output (ordered by account, then month): account's item number
        within = filled[t_row] + (np.arange(size) - new_starts[t_row])
        filled[:k] += total
        out.append((perm[t_row], within, t_day, t_code, t_amt, t_bal, t_bank, t_cpa))

    per_account = _unpermute(perm, filled)
    acc_start = np.cumsum(per_account) - per_account
    size = int(per_account.sum())
    cols = [np.repeat(np.arange(n, dtype=np.int32), per_account)] + [
        np.empty(size, dtype=t) for t in (np.int32, np.int8, np.int64, np.int64, np.int8, np.int64)
    ]
    for orig, within, *values in out:
        pos = acc_start[orig] + within
        for col, value in zip(cols[1:], values):
            col[pos] = value
    loan_truth = {key: _unpermute(perm, value) for key, value in loan_truth.items()}
    card_day = _unpermute(perm, card_day)
    anomaly_end_day = _unpermute(perm, anomaly_end_day)
    # dormancy ends at the reactivation; a salary stop lasts to the end of the data
    anomaly_end_day = np.where(anomalies.kind == AK_SALARY_STOP, cal.END_DAY, anomaly_end_day)
    return SimulationResult(
        *cols, loan_truth=loan_truth, card_day=card_day, card98=card98, anomaly_end_day=anomaly_end_day
    )


_SLOTS = np.arange(64)
_RARE = (
    (S_VYBER_TYPE, "vyber_type", 0.055, "VYBER_TYPE", 9, BANK_NONE),
    (S_VYBER_SIPO, "vyber_sipo", 0.011, "VYBER_SIPO", 10, BANK_EMPTY),
    (S_VYBER_SPACE, "vyber_space", 0.004, "VYBER_SPACE", 11, BANK_EMPTY),
    (S_TRANSFER, "transfer_blank", 0.032, "TRANSFER_OUT_BLANK", 7, BANK_NONE),
)


class _Items:
    """A month's active slots as flat arrays (row, slot, day, amount, code, bank, counterparty account)."""

    _FIELDS = ("row", "slot", "day", "amount", "code", "bank", "cpa")
    _DTYPES = (np.int64, np.int64, np.int64, np.int64, np.int8, np.int8, np.int64)

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, ...]] = []
        for f, t in zip(self._FIELDS, self._DTYPES):
            setattr(self, f, np.zeros(0, dtype=t))

    def add(self, rows, slot, day, amount, code, bank=BANK_NONE, cpa=0) -> None:
        m = len(rows)
        if m == 0:
            return
        values = (rows, slot, day, amount, code, bank, cpa)
        self._parts.append(tuple(_column(v, t, m) for v, t in zip(values, self._DTYPES)))

    def finish(self) -> None:
        """Concatenate what was added (after the current arrays)."""
        if not self._parts:
            return
        current = tuple(getattr(self, f) for f in self._FIELDS)
        parts = [current] + self._parts if current[0].size else self._parts
        for i, f in enumerate(self._FIELDS):
            setattr(self, f, np.concatenate([p[i] for p in parts]))
        self._parts = []

    def select(self, mask: np.ndarray) -> None:
        for f in self._FIELDS:
            setattr(self, f, getattr(self, f)[mask])

    take = select


def _column(v, dtype, m: int) -> np.ndarray:
    if isinstance(v, np.ndarray) and v.ndim == 1:
        return v if v.dtype == dtype else v.astype(dtype)
    return np.full(m, v, dtype=dtype)


def _vklad_amount(streams: Streams, deposit_level: np.ndarray, aid: np.ndarray, m: int, slot) -> np.ndarray:
    u = gaussian_copula_inplace(deposit_level, streams.normal("vklad_amt", aid, m, slot), 0.6)
    return np.round(quantile_function(params.TRANS_AMOUNT_QUANTILES["VKLAD"], u)).astype(np.int64) * 100


def _row_sums(row: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Integer sums of ``values`` per row (0..k-1); exact, as all partial sums stay far below 2**53."""
    return np.bincount(row, weights=values, minlength=k).astype(np.int64)


def _unpermute(perm: np.ndarray, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    out[perm] = x
    return out


def _card_decision_1998(streams, acc, m, n_months, inflow_sum, bal_sum, bal_n, card_day):
    """The 1998 card decision (account order): (card98 truth, new card_day)."""
    aid_all = acc.account_id
    months = np.maximum(n_months, 1)
    mean_inflow = inflow_sum / months / 100.0
    mean_balance = bal_sum / np.maximum(bal_n, 1) / 100.0
    population = (acc.open_month < m) & (card_day == cards_mod.NO_CARD)
    prob = cards_mod.card_probability_1998(acc, mean_inflow, mean_balance)
    took = population & (streams.uniform("card98_draw", aid_all) < prob)
    card_day = np.where(took, cards_mod.issue_day_1998(streams, acc), card_day)
    card98 = {
        "population": population,
        "true_probability": prob,
        "took_card": took,
        "mean_inflow": mean_inflow,
        "mean_balance": mean_balance,
    }
    return card98, card_day
