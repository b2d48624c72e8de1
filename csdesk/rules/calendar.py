"""Month and quarter arithmetic: one meaning each, on dateutil's relativedelta.

``add_months`` keeps the day of the month, clamped to the month's last day
(31 January + 1 month = 28 or 29 February), as relativedelta does; the first of
a month stays the first. Quarters are calendar quarters (January-March is Q1).
``months_between`` is the one way a length of time is counted in months (churn rates
per month, revenue received, tenure): whole calendar months count exactly, the days
left over as days ÷ 30.4375 (365.25 ÷ 12).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from dateutil.relativedelta import relativedelta

DAYS_PER_MONTH = 365.25 / 12


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later (earlier if negative), the day clamped to the month's end."""
    return day + relativedelta(months=months)


def months_between(start: date, end: date) -> float:
    """Months from ``start`` to ``end`` (``end`` itself not counted).

    The calendar months from ``start``'s month to ``end``'s, plus the difference of their
    days of the month ÷ 30.4375: 10 January to 10 April is 3, 1 January to 16 January is
    15 ÷ 30.4375, 31 January to 1 March is 2 − 30 ÷ 30.4375. Back-to-back spans add up to
    the whole.
    """
    span = relativedelta(month_start(end), month_start(start))
    return span.years * 12 + span.months + (end.day - start.day) / DAYS_PER_MONTH


def months_between_days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """:func:`months_between`, vectorised over day numbers (days since 1970-01-01)."""
    s, e = np.asarray(start).astype("datetime64[D]"), np.asarray(end).astype("datetime64[D]")
    ms, me = s.astype("datetime64[M]"), e.astype("datetime64[M]")
    day_s = (s - ms.astype("datetime64[D]")).astype(np.int64)
    day_e = (e - me.astype("datetime64[D]")).astype(np.int64)
    return (me - ms).astype(np.int64) + (day_e - day_s) / DAYS_PER_MONTH


def whole_months_between(start: date, end: date) -> int:
    """The whole months completed from ``start`` to ``end`` (0 when ``end`` comes first)."""
    return max(0, int(np.floor(months_between(start, end))))


def quarter_number(day: date) -> int:
    """1 to 4."""
    return (day.month - 1) // 3 + 1


def quarter_start(day: date) -> date:
    return date(day.year, 3 * (quarter_number(day) - 1) + 1, 1)


def quarter_of(day: date) -> tuple[date, date, str]:
    """First day, last day and key ('2026Q4') of the quarter holding ``day``."""
    first = quarter_start(day)
    return first, add_months(first, 3) - timedelta(days=1), f"{day.year}Q{quarter_number(day)}"


def last_full_quarter(today: date) -> tuple[date, date]:
    """First and last day of the last quarter that ended before ``today``."""
    end = quarter_start(today) - timedelta(days=1)
    return quarter_start(end), end
