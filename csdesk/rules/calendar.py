"""Month and quarter arithmetic: one meaning each, on dateutil's relativedelta.

``add_months`` keeps the day of the month, clamped to the month's last day
(31 January + 1 month = 28 or 29 February), as relativedelta does; the first of
a month stays the first. Quarters are calendar quarters (January-March is Q1).
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later (earlier if negative), the day clamped to the month's end."""
    return day + relativedelta(months=months)


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
