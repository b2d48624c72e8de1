"""Named reporting periods (the Indicadores page's presets), both days included.

Each preset is a different question, so no two give the same period for the
same day (except "this month" and "this year" in January, which are the same
days by definition): "last 12 months" is the twelve *full* months before the
current one, so it never equals "this year" in December.
"""

from __future__ import annotations

from datetime import date, timedelta

from csdesk.rules.calendar import add_months, last_full_quarter, month_start

PRESETS = ("last_12_months", "this_month", "last_month", "last_quarter", "this_year", "custom")


def preset_period(key: str, today: date) -> tuple[date, date] | None:
    """The first and last day of a preset on ``today``; None for "custom" (or an unknown key)."""
    first = month_start(today)
    if key == "last_12_months":
        return add_months(first, -12), first - timedelta(days=1)
    if key == "this_month":
        return first, today
    if key == "last_month":
        end = first - timedelta(days=1)
        return month_start(end), end
    if key == "last_quarter":
        return last_full_quarter(today)
    if key == "this_year":
        return date(today.year, 1, 1), today
    return None
