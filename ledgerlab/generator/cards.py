"""Credit cards (card.asc) and the card-propensity truth.

Cards go to account owners. Before 1998 a monthly hazard (a logistic in the
owner's wealth, age and digital affinity, with a yearly intercept calibrated
to the real issue counts) issues cards. On the reference date 1998-01-01 each
owner without a card gets a true probability of taking one during 1998 from
behaviour visible before that date (mean monthly inflow, mean balance, age,
digital affinity); the 1998 issue is a Bernoulli draw from it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from . import calendar as cal
from . import params
from .accounts import AccountChunk
from .randomness import Streams

NO_CARD = -1


def _trait_predictor(acc: AccountChunk, year: int) -> np.ndarray:
    c = params.CARD_COEF
    return c["log_income"] * acc.wealth + c["age"] * (acc.owner_age(year) - 40) + c["digital"] * acc.digital


def plan_early_cards(streams: Streams, acc: AccountChunk) -> np.ndarray:
    """Issue day of a card issued before 1998 (or NO_CARD)."""
    aid = acc.account_id
    issued = np.full(aid.size, NO_CARD, dtype=np.int64)
    for m in range(params.CARD_REFERENCE_MONTH):
        year = 1993 + m // 12
        eligible = (issued == NO_CARD) & (acc.open_month < m)
        if not eligible.any():
            continue
        logit = params.CARD_HAZARD_INTERCEPT[m // 12] + _trait_predictor(acc, year)
        hit = eligible & (streams.uniform("card_hazard", aid, m) < expit(logit))
        dom = 1 + np.floor(streams.uniform("card_day", aid, m) * cal.MONTH_DAYS[m]).astype(np.int64)
        issued = np.where(hit, cal.day_of(np.full(aid.size, m), dom), issued)
    return issued


def card_probability_1998(acc: AccountChunk, mean_inflow: np.ndarray, mean_balance: np.ndarray) -> np.ndarray:
    c = params.CARD_COEF
    logit = (
        params.CARD_1998_INTERCEPT
        + c["log_income"] * (np.log(np.maximum(mean_inflow, 100.0)) - 9.8)
        + c["log_balance"] * (np.log(np.maximum(mean_balance, 100.0)) - 10.0)
        + c["age"] * (acc.owner_age(1998) - 40)
        + c["digital"] * acc.digital
    )
    return expit(logit)


def issue_day_1998(streams: Streams, acc: AccountChunk) -> np.ndarray:
    aid = acc.account_id
    month = params.CARD_REFERENCE_MONTH + streams.integers("card98_month", 0, 12, aid)
    dom = 1 + np.floor(streams.uniform("card98_day", aid) * cal.MONTH_DAYS[month]).astype(np.int64)
    return cal.day_of(month, dom)


def card_type(streams: Streams, acc: AccountChunk, issue_day: np.ndarray) -> np.ndarray:
    """junior for young owners, gold for the wealthiest, classic otherwise."""
    aid = acc.account_id
    year = 1900 + cal.YYMMDD_OF_DAY[np.maximum(issue_day, 0)] // 10000
    age = year - acc.owner_birth[:, 0]
    u = streams.uniform("card_type", aid)
    junior = (age < 21) & (u < 0.95)
    gold = ~junior & (acc.wealth + 0.5 * streams.normal("card_gold", aid) > 1.55)
    return np.where(junior, 0, np.where(gold, 2, 1))
