"""Month by month: the calendar months of a period, their metrics, the renewals due in each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import case, func, select

from csdesk import clock
from csdesk.metrics.book import _day_numbers, load_book
from csdesk.metrics.movements import compute_periods
from csdesk.metrics.results import PortfolioMetrics
from csdesk.rules.calendar import add_months, month_start
from db import Database
from db.bulk import day_number, fetch_numeric
from db.models import Account


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months overlapping [start, end], clipped to it."""
    periods = []
    cursor = month_start(start)
    while cursor <= end:
        nxt = add_months(cursor, 1)
        periods.append((max(cursor, start), min(nxt - timedelta(days=1), end)))
        cursor = nxt
    return periods


def monthly(db: Database, start: date, end: date, segment: str | None = None) -> list[PortfolioMetrics]:
    """The metrics of each calendar month in [start, end] (NRR/GRR/NPS by month)."""
    return compute_periods(load_book(db, segment), month_periods(start, end))


@dataclass(frozen=True)
class RenewalMonth:
    month: date
    accounts: int
    mrr_cents: int
    at_risk_mrr_cents: int  # of accounts in the yellow or red band
    critical_mrr_cents: int = 0  # the red band's part of it


def renewals_by_month(
    db: Database, start: date, months: int = 12, segment: str | None = None
) -> list[RenewalMonth]:
    """Active accounts renewing in each month from ``start``'s month on."""
    first = month_start(start)
    last = add_months(first, months) - timedelta(days=1)
    with db.session() as session:
        query = select(
            day_number(Account.renewal_date),
            func.coalesce(Account.mrr_cents, 0),
            case((Account.health_band.in_(("yellow", "red")), 1), else_=0),
            case((Account.health_band == "red", 1), else_=0),
        ).where(
            Account.status == "active",
            Account.renewal_date >= first,
            Account.renewal_date <= last,
        )
        if segment:
            query = query.where(Account.segment == segment)
        rows = fetch_numeric(session, query, 4)
    bounds = _day_numbers([add_months(first, i) for i in range(months + 1)])
    month = np.searchsorted(bounds, rows[:, 0].astype(np.int64), side="right") - 1
    counts = np.bincount(month, minlength=months)
    mrr = np.bincount(month, weights=rows[:, 1], minlength=months)
    risky = np.bincount(month, weights=rows[:, 1] * rows[:, 2], minlength=months)
    critical = np.bincount(month, weights=rows[:, 1] * rows[:, 3], minlength=months)
    return [
        RenewalMonth(
            add_months(first, i),
            int(counts[i]),
            int(round(mrr[i])),
            int(round(risky[i])),
            int(round(critical[i])),
        )
        for i in range(months)
    ]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The trailing twelve months up to today."""
    today = today or clock.today()
    return add_months(month_start(today), -11), today
