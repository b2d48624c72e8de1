"""Onboarding figures: time to first value, onboarding completion, time to first green."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from csdesk.metrics.book import MetricsBook, _day_numbers
from csdesk.metrics.results import ONBOARDING_DAYS
from db import Database
from db.bulk import day_number, fetch_numeric
from db.models import HealthSnapshot


@dataclass(frozen=True)
class Onboarding:
    """Per account of a Book (same order): the days onboarding is measured by (NaN: none)."""

    kickoff: np.ndarray  # first kickoff meeting
    first_value: np.ndarray  # first "first value" event, or first quick win completed
    first_green: np.ndarray  # first green health score


def _first_day_by_account(session, book: MetricsBook, statement) -> np.ndarray:
    rows = fetch_numeric(session, statement, 2)
    out = np.full(len(book.ids), np.nan)
    if len(rows) and len(book.ids):
        pos = np.searchsorted(book.ids, rows[:, 0].astype(np.int64))
        pos = np.minimum(pos, len(book.ids) - 1)
        ok = book.ids[pos] == rows[:, 0]
        np.fmin.at(out, pos[ok], rows[ok, 1])
    return out


def load_onboarding(db: Database, book: MetricsBook) -> Onboarding:
    """Kickoff, first value and first green days of the book's accounts (three grouped queries)."""
    from db.models import Milestone, SuccessPlan, TimelineEvent

    def first(day_column, account_column, *where, joins=()):
        q = select(account_column, func.min(day_number(day_column)))
        for target, on in joins:
            q = q.join(target, on)
        return q.where(*where).group_by(account_column)

    with db.session() as session:
        kickoff = _first_day_by_account(
            session,
            book,
            first(
                TimelineEvent.occurred_at,
                TimelineEvent.account_id,
                TimelineEvent.kind == "meeting",
                TimelineEvent.subkind == "kickoff",
            ),
        )
        value = _first_day_by_account(
            session,
            book,
            first(TimelineEvent.occurred_at, TimelineEvent.account_id, TimelineEvent.kind == "first_value"),
        )
        quick_win = _first_day_by_account(
            session,
            book,
            first(
                Milestone.completed_on,
                SuccessPlan.account_id,
                Milestone.is_quick_win.is_(True),
                Milestone.completed_on.is_not(None),
                joins=((SuccessPlan, SuccessPlan.id == Milestone.plan_id),),
            ),
        )
        # The health history through its column types (its storage is the health module's).
        epoch = date(1970, 1, 1)
        green_rows = session.execute(
            select(HealthSnapshot.account_id, func.min(HealthSnapshot.as_of))
            .where(HealthSnapshot.band == "green")
            .group_by(HealthSnapshot.account_id)
        ).all()
        green = np.full(len(book.ids), np.nan)
        if green_rows and len(book.ids):
            acc = np.array([r[0] for r in green_rows], dtype=np.int64)
            days = np.array([(r[1] - epoch).days for r in green_rows], dtype=np.float64)
            pos = np.minimum(np.searchsorted(book.ids, acc), len(book.ids) - 1)
            ok = book.ids[pos] == acc
            green[pos[ok]] = days[ok]
    return Onboarding(kickoff, np.fmin(value, quick_win), green)


def _median(values: np.ndarray) -> float | None:
    return None if len(values) == 0 else round(float(np.median(values)), 1)


def onboarding_metrics(book: MetricsBook, ob: Onboarding, start: date, end: date) -> dict:
    """TTFV, onboarding completion and time to first green of [start, end] (PortfolioMetrics fields).

    TTFV: onboardings that reached first value in the period, days from the kickoff (or, without
    one, the contract start). Completion: onboardings begun in the period at least
    ONBOARDING_DAYS before its end, and how many reached first value within ONBOARDING_DAYS.
    Time to first green: accounts whose contract started in the period and turned green by its end.
    """
    s_n, e_n = (int(d) for d in _day_numbers([start, end]))
    contract = book.start_day if book.start_day is not None else np.full(len(book.ids), np.nan)
    anchor = np.where(np.isnan(ob.kickoff), contract, ob.kickoff)
    with np.errstate(invalid="ignore"):
        reached = (ob.first_value >= s_n) & (ob.first_value <= e_n) & (ob.first_value >= anchor)
        ttfv = ob.first_value - anchor
        segments = pd.Series(book.segment_of[reached], dtype=object).fillna("")
        by_segment = tuple(
            (seg or None, _median(days.to_numpy()), len(days))
            for seg, days in pd.Series(ttfv[reached]).groupby(segments.to_numpy(), sort=True)
        )
        begun = (anchor >= s_n) & (anchor <= e_n - ONBOARDING_DAYS)
        completed = begun & (ob.first_value <= anchor + ONBOARDING_DAYS)
        new = (contract >= s_n) & (contract <= e_n) & (ob.first_green >= contract) & (ob.first_green <= e_n)
    return {
        "ttfv_days_median": _median(ttfv[reached]),
        "ttfv_accounts": int(reached.sum()),
        "ttfv_by_segment": by_segment,
        "onboarding_started": int(begun.sum()),
        "onboarding_completed": int(completed.sum()),
        "first_green_days_median": _median((ob.first_green - contract)[new]),
        "first_green_accounts": int(new.sum()),
    }
