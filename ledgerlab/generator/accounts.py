"""Accounts, their clients and dispositions, and each account's latent traits.

Everything here is drawn per account from the counter-based streams, keyed by
account_id, so a chunk of accounts is the same whichever chunking produced it.
Client and disposition ids are running numbers; the caller passes the first
free id of the chunk (the count of clients in all earlier accounts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from . import params
from .randomness import Streams, gaussian_copula, quantile_function

INCOME_CASH, INCOME_SALARY, INCOME_PENSION = 0, 1, 2


@dataclass
class AccountChunk:
    account_id: np.ndarray
    district_id: np.ndarray
    frequency: np.ndarray  # index into params.FREQUENCY_CODES
    open_day: np.ndarray
    open_month: np.ndarray
    # clients
    owner_client_id: np.ndarray
    owner_birth: np.ndarray  # (n, 3) year, month, day
    owner_female: np.ndarray
    owner_district: np.ndarray
    has_disponent: np.ndarray
    disponent_client_id: np.ndarray
    disponent_birth: np.ndarray
    disponent_female: np.ndarray
    # latent traits
    wealth: np.ndarray
    hidden_risk: np.ndarray
    instability: np.ndarray
    digital: np.ndarray
    income_type: np.ndarray
    salary_cents: np.ndarray
    salary_day: np.ndarray
    pension_cents: np.ndarray
    pension_day: np.ndarray
    income_bank: np.ndarray
    income_account: np.ndarray
    buffer_cents: np.ndarray
    withdrawal_level: np.ndarray  # normal score of the cash-withdrawal amounts
    deposit_level: np.ndarray

    @property
    def n(self) -> int:
        return self.account_id.size

    def owner_age(self, year: int) -> np.ndarray:
        return year - self.owner_birth[:, 0]


def n_clients(has_disponent: np.ndarray) -> int:
    return int(has_disponent.size + has_disponent.sum())


def _birth(streams: Streams, stream: str, account_id: np.ndarray, year_u: np.ndarray) -> np.ndarray:
    year = np.round(quantile_function(params.BIRTH_YEAR_QUANTILES, year_u)).astype(np.int64)
    year = np.clip(year, 1911, 1987)
    month = streams.integers(stream, 1, 13, account_id, 1)
    day = streams.integers(stream, 1, 29, account_id, 2)
    return np.stack([year, month, day], axis=1)


def open_month_cdf() -> np.ndarray:
    counts = np.asarray(params.ACCOUNT_OPEN_MONTH_COUNTS, dtype=np.float64)
    return counts / counts.sum()


@dataclass(frozen=True)
class CohortShift:
    """A later cohort unlike the earlier one (off by default; see docs/GENERATOR.md).

    Accounts opened on or after ``from_date`` (ISO) get ``wealth`` added to their latent
    wealth trait (in standard deviations). Wealth sets the salary and pension level, the
    cash deposits and withdrawals, the balance buffer and part of digital engagement, so
    income and balances move together, and the loan PD and card propensity follow through
    the unchanged generative model. It uses no random draws: every other value of the bank
    stays as it is without the shift.
    """

    from_date: str = "1996-01-01"
    wealth: float = 1.0

    def offset(self, open_day: np.ndarray) -> np.ndarray:
        return np.where(open_day >= cal.day_from_iso(self.from_date), self.wealth, 0.0)


def generate_accounts(
    streams: Streams,
    account_id: np.ndarray,
    first_client_id: int,
    district_weights: np.ndarray,
    anomaly_kind: np.ndarray,
    cohort_shift: CohortShift | None = None,
) -> AccountChunk:
    """``anomaly_kind`` is -1 or an index into params.ANOMALY_KINDS per account."""
    aid = account_id
    district_id = 1 + streams.choice("acc_district", district_weights, aid)
    frequency = streams.choice("acc_frequency", params.FREQUENCY_SHARES, aid)
    open_month = streams.choice("acc_open_month", open_month_cdf(), aid)
    # A dormancy anomaly needs a long history: such accounts open in 1993-1994.
    dormant = anomaly_kind == params.ANOMALY_KINDS.index("dormant_reactivation")
    open_month = np.where(dormant, streams.integers("acc_open_month_dormant", 0, 24, aid), open_month)
    dim = cal.MONTH_DAYS[open_month]
    last_day = np.where(open_month == 59, 29, dim)  # real account dates end on 1997-12-29
    open_dom = 1 + np.floor(streams.uniform("acc_open_day", aid) * last_day).astype(np.int64)
    open_day = cal.day_of(open_month, open_dom)

    owner_birth = _birth(streams, "owner_birth", aid, streams.uniform("owner_birth_year", aid))
    owner_female = streams.uniform("owner_female", aid) < params.FEMALE_SHARE
    same = streams.uniform("owner_district_same", aid) < params.OWNER_IN_ACCOUNT_DISTRICT
    owner_district = np.where(same, district_id, 1 + streams.choice("owner_district", district_weights, aid))
    has_disp = streams.uniform("has_disponent", aid) < params.DISPONENT_SHARE
    # A disponent is usually the owner's partner: similar age, the other sex.
    d_year = np.clip(
        owner_birth[:, 0] + np.round(3.0 * streams.normal("disp_birth_year", aid)).astype(np.int64), 1911, 1987
    )
    disponent_birth = np.stack(
        [d_year, streams.integers("disp_birth", 1, 13, aid, 1), streams.integers("disp_birth", 1, 29, aid, 2)], axis=1
    )
    disponent_female = np.where(streams.uniform("disp_female", aid) < 0.9, ~owner_female, owner_female)
    per_account = 1 + has_disp.astype(np.int64)
    owner_client_id = first_client_id + np.concatenate([[0], np.cumsum(per_account)[:-1]])
    disponent_client_id = np.where(has_disp, owner_client_id + 1, 0)

    # Latent traits.
    age95 = 1995 - owner_birth[:, 0]
    wealth = streams.normal("trait_wealth", aid) + 0.004 * (age95 - 45)
    if cohort_shift is not None:
        wealth = wealth + cohort_shift.offset(open_day)
    hidden_risk = streams.normal("trait_risk", aid)
    instability = 0.6 * hidden_risk + 0.8 * streams.normal("trait_instability", aid)
    digital = -0.04 * (age95 - 45) + 0.3 * wealth + 0.9 * streams.normal("trait_digital", aid)

    pension = (age95 >= params.PENSION_AGE) & (streams.uniform("income_pension", aid) < params.PENSION_PROBABILITY)
    salary = ~pension & (streams.uniform("income_salary", aid) < params.SALARY_PROBABILITY)
    salary |= anomaly_kind == params.ANOMALY_KINDS.index("salary_stop")
    pension &= ~salary
    income_type = np.where(pension, INCOME_PENSION, np.where(salary, INCOME_SALARY, INCOME_CASH))
    u_sal = gaussian_copula(wealth, streams.normal("salary_level", aid), 0.8)
    # A salary-stop anomaly needs a salary that clearly matters.
    u_sal = np.where(anomaly_kind == params.ANOMALY_KINDS.index("salary_stop"), 0.6 + 0.4 * u_sal, u_sal)
    salary_cents = np.round(quantile_function(params.TRANS_AMOUNT_QUANTILES["SALARY"], u_sal)) * 100
    pension_cents = (
        np.round(
            quantile_function(
                params.TRANS_AMOUNT_QUANTILES["DUCHOD"],
                gaussian_copula(wealth, streams.normal("pension_level", aid), 0.5),
            )
        )
        * 100
    )
    salary_day = streams.integers("salary_day", 5, 15, aid)
    pension_day = streams.integers("pension_day", 5, 15, aid)
    income_bank = streams.integers("income_bank", 0, len(params.BANK_CODES), aid)
    income_account = streams.integers("income_account", 1_000_000, 100_000_000, aid)

    monthly_income_scale = np.where(
        income_type == INCOME_SALARY, salary_cents, np.where(income_type == INCOME_PENSION, pension_cents, 0)
    )
    buffer = (
        np.exp(
            params.BUFFER_LOG_MEAN
            + params.BUFFER_WEALTH * wealth
            + params.BUFFER_RISK * hidden_risk
            + params.BUFFER_NOISE * streams.normal("buffer", aid)
        )
        * 100
    )
    buffer = np.maximum(buffer, 0.8 * monthly_income_scale)
    withdrawal_level = 0.75 * wealth + 0.66 * streams.normal("withdrawal_level", aid)
    deposit_level = 0.75 * wealth + 0.66 * streams.normal("deposit_level", aid)

    return AccountChunk(
        account_id=aid,
        district_id=district_id,
        frequency=frequency,
        open_day=open_day,
        open_month=open_month,
        owner_client_id=owner_client_id,
        owner_birth=owner_birth,
        owner_female=owner_female,
        owner_district=owner_district,
        has_disponent=has_disp,
        disponent_client_id=disponent_client_id,
        disponent_birth=disponent_birth,
        disponent_female=disponent_female,
        wealth=wealth,
        hidden_risk=hidden_risk,
        instability=instability,
        digital=digital,
        income_type=income_type,
        salary_cents=salary_cents.astype(np.int64),
        salary_day=salary_day,
        pension_cents=pension_cents.astype(np.int64),
        pension_day=pension_day,
        income_bank=income_bank,
        income_account=income_account,
        buffer_cents=buffer.astype(np.int64),
        withdrawal_level=withdrawal_level,
        deposit_level=deposit_level,
    )


def plan_anomalies(streams: Streams, n_accounts: int) -> dict[int, int]:
    """account_id -> anomaly kind index; ~0.15 % of accounts, at least 4 (one per kind)."""
    n_anomalous = min(n_accounts, max(len(params.ANOMALY_KINDS), int(round(params.ANOMALY_SHARE * n_accounts))))
    ids = np.arange(1, n_accounts + 1)
    order = np.argsort(streams.uniform("anomaly_pick", ids), kind="stable")[:n_anomalous]
    return {int(ids[i]): k % len(params.ANOMALY_KINDS) for k, i in enumerate(order)}
