"""Dates of the simulated period 1993-01-01 ... 1998-12-31 as day numbers.

Day numbers count from 1993-01-01 (day 0); months are indexed 0 = 1993-01 ...
71 = 1998-12. Files use the real encoding ``YYMMDD`` (1900s).
"""

from __future__ import annotations

import numpy as np

EPOCH = np.datetime64("1993-01-01", "D")
END = np.datetime64("1998-12-31", "D")
N_MONTHS = 72

_month_starts = np.arange(np.datetime64("1993-01", "M"), np.datetime64("2001-01", "M")).astype("datetime64[D]")
MONTH_FIRST_DAY = (_month_starts - EPOCH).astype(np.int64)  # 96 months, to 2000-12
MONTH_DAYS = np.diff(np.append(MONTH_FIRST_DAY, MONTH_FIRST_DAY[-1] + 31))
END_DAY = int((END - EPOCH).astype(np.int64))

_all_days = EPOCH + np.arange(0, int(MONTH_FIRST_DAY[-1]) + 31)
_ymd = _all_days.astype(object)
YYMMDD_OF_DAY = np.array([(d.year - 1900) * 10000 + d.month * 100 + d.day for d in _ymd], dtype=np.int32)
MONTH_OF_DAY = np.searchsorted(MONTH_FIRST_DAY, np.arange(_all_days.size), side="right") - 1
ISO_OF_DAY = np.datetime_as_string(_all_days, unit="D")


def day_of(month: np.ndarray, day_in_month: np.ndarray) -> np.ndarray:
    """Day number of (month index, 1-based day), the day clipped to the month's length."""
    month = np.asarray(month)
    return MONTH_FIRST_DAY[month] + np.minimum(np.asarray(day_in_month), MONTH_DAYS[month]) - 1


def yymmdd(day: np.ndarray) -> np.ndarray:
    return YYMMDD_OF_DAY[np.asarray(day)]


def day_from_iso(text: str) -> int:
    return int((np.datetime64(text, "D") - EPOCH).astype(np.int64))


def birth_number(year: np.ndarray, month: np.ndarray, day: np.ndarray, female: np.ndarray) -> np.ndarray:
    """The real encoding: YYMMDD with 50 added to the month for women, as 6-char strings."""
    value = (np.asarray(year) - 1900) * 10000 + (np.asarray(month) + 50 * np.asarray(female)) * 100 + np.asarray(day)
    return np.char.zfill(value.astype(str), 6)
