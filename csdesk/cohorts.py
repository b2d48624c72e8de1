"""Cohorts (*safras*): retention by contract-start month over the months since the start.

A cohort is the accounts whose contract started in one calendar month (accounts without a
contract start: the day they first became customers, when known). Cell (cohort, k) is the
state at the end of the k-th calendar month after the start month (k = 0: the end of the
start month itself):

- logos: the share of the cohort still a customer;
- revenue: the cohort's MRR then ÷ its MRR on the days its accounts started (expansion
  can take it above 100%).

Early churn: the share of the cohort no longer a customer 90 and 180 days after its start
(counted once those days are over for every account of the cohort, None before).

Everything comes from ``csdesk.metrics.MetricsBook`` (the revenue ledger), in the base currency.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from csdesk import clock, metrics
from csdesk.metrics import EARLY_CHURN_DAYS
from csdesk.rules.calendar import add_months, month_start

BY = ("logos", "revenue")
DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class Cohort:
    month: date
    accounts: int
    mrr_start: int  # cents, base currency
    logos: tuple[float | None, ...]  # by months since start; None: not over yet
    revenue: tuple[float | None, ...]
    churned_early: tuple[int | None, ...]  # by EARLY_CHURN_DAYS; None: too recent
    account_ids: tuple[int, ...] = ()

    def early_churn(self, i: int) -> float | None:
        n = self.churned_early[i]
        return None if n is None or not self.accounts else n / self.accounts


@dataclass(frozen=True)
class CohortTable:
    start: date  # first cohort month
    end: date  # last cohort month; the state is read up to ``as_of``
    as_of: date
    cohorts: tuple[Cohort, ...]
    base_currency: str = "BRL"

    @property
    def months(self) -> int:
        return max((len(c.logos) for c in self.cohorts), default=0)

    def values(self, by: str = "logos") -> list[tuple[float | None, ...]]:
        return [c.logos if by == "logos" else c.revenue for c in self.cohorts]

    def to_json(self, by: str = "logos") -> dict:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 6)

        return {
            "by": by,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "base_currency": self.base_currency,
            "months_since_start": list(range(self.months)),
            "cohorts": [
                {
                    "cohort": c.month.strftime("%Y-%m"),
                    "accounts": c.accounts,
                    "mrr_start": round(c.mrr_start / 100, 2),
                    "retention": [r(v) for v in (c.logos if by == "logos" else c.revenue)],
                    **{
                        f"early_churn_{days}d": r(c.early_churn(i)) for i, days in enumerate(EARLY_CHURN_DAYS)
                    },
                    **{f"churned_{days}d": c.churned_early[i] for i, days in enumerate(EARLY_CHURN_DAYS)},
                }
                for c in self.cohorts
            ],
        }

    def to_csv(self, by: str = "logos") -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["cohort", "accounts", "mrr_start"]
            + [f"early_churn_{d}d" for d in EARLY_CHURN_DAYS]
            + [f"m{k}" for k in range(self.months)]
        )
        for c in self.cohorts:
            values = c.logos if by == "logos" else c.revenue
            writer.writerow(
                [c.month.strftime("%Y-%m"), c.accounts, f"{c.mrr_start / 100:.2f}"]
                + [
                    "" if c.early_churn(i) is None else f"{c.early_churn(i):.6f}"
                    for i in range(len(EARLY_CHURN_DAYS))
                ]
                + ["" if v is None else f"{v:.6f}" for v in values]
            )
        return out.getvalue()


def default_range(today: date | None = None, months: int = DEFAULT_MONTHS) -> tuple[date, date]:
    """The last ``months`` start months up to today's."""
    today = today or clock.today()
    return add_months(month_start(today), -(months - 1)), today


def _month_index(day_numbers: np.ndarray) -> np.ndarray:
    return day_numbers.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def start_days(book: metrics.MetricsBook) -> np.ndarray:
    """Each account's start day (contract start, else first day as a customer); NaN when unknown."""
    first = book._first_active.astype(np.float64)
    first[(book._first_active <= metrics._BEFORE_ALL) | (book._first_active >= metrics._NEVER)] = np.nan
    contract = book.start_day if book.start_day is not None else np.full(len(book.ids), np.nan)
    return np.where(np.isnan(contract), first, contract)


def state_on(book: metrics.MetricsBook, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(active, MRR in cents) of each account at the end of its own day ``days[i]``."""
    n = len(book.ids)
    pos = np.arange(n, dtype=np.int64)
    query = pos * metrics._STRIDE + (days.astype(np.int64) + metrics._OFFSET)

    def last(keys: np.ndarray) -> np.ndarray:
        if not len(keys):
            return np.full(n, -1)
        idx = np.searchsorted(keys, query, side="right") - 1
        ok = (idx >= 0) & (keys[np.maximum(idx, 0)] >= pos * metrics._STRIDE)
        return np.where(ok, idx, -1)

    ev = last(book._ev_key)
    active = (
        np.where(ev >= 0, book._ev_active[np.maximum(ev, 0)], book.default_active)
        if len(book._ev_active)
        else book.default_active.copy()
    )
    rv = last(book._rev_key)
    first = book._rev_first
    if len(book.rev_after):
        mrr = np.where(
            rv >= 0,
            book.rev_after[np.maximum(rv, 0)],
            np.where(first >= 0, book.rev_before[np.maximum(first, 0)], book.mrr_now),
        )
    else:
        mrr = book.mrr_now.copy()
    return active, np.where(active, mrr, 0)


def cohort_table(
    book: metrics.MetricsBook, start: date, end: date, as_of: date | None = None, keep_ids: bool = False
) -> CohortTable:
    """The cohorts starting in the months from ``start``'s to ``end``'s, read up to ``as_of`` (default ``end``)."""
    as_of = as_of or end
    first_m, last_m = month_start(start), month_start(end)
    m0 = first_m.year * 12 + first_m.month - 1 - 1970 * 12
    m1 = last_m.year * 12 + last_m.month - 1 - 1970 * 12
    as_of_n = int(metrics._day_numbers([as_of])[0])
    span = (as_of.year * 12 + as_of.month - 1 - 1970 * 12) - m0 + 1  # months from the first cohort to as_of
    begin = start_days(book)
    known = ~np.isnan(begin)
    cohort_m = np.full(len(book.ids), -1, dtype=np.int64)
    cohort_m[known] = _month_index(begin[known])
    member = known & (cohort_m >= m0) & (cohort_m <= m1)
    if not member.any() or span <= 0:
        return CohortTable(first_m, last_m, as_of, (), book.base_currency)

    # The end of each month from the first cohort's to as_of's: one state column each.
    month_ends = [add_months(first_m, k + 1) - timedelta(days=1) for k in range(span)]
    ends_n = metrics._day_numbers(month_ends)
    active = book.active_on(ends_n)
    mrr = book.mrr_on(ends_n, active)
    *converted, priced = book.in_base(as_of, *mrr.T)
    mrr = np.stack(converted, axis=1)
    member &= priced  # an account without an exchange rate is left out, as in the metrics
    begin_n = np.where(known, begin, 0).astype(np.int64)
    _act0, mrr0 = state_on(book, begin_n)
    mrr0 = book.in_base(as_of, mrr0)[0]
    early = []
    for days in EARLY_CHURN_DAYS:
        act, _m = state_on(book, begin_n + days)
        early.append(~act)

    cohorts = []
    for c in range(m0, m1 + 1):
        rows = np.flatnonzero(member & (cohort_m == c))
        if not len(rows):
            continue
        k0 = c - m0
        n_months = span - k0
        # A month's cell exists once that month is over (its end on or before as_of).
        done = [ends_n[k0 + k] <= as_of_n for k in range(n_months)]
        base = int(mrr0[rows].sum())
        logos = tuple(float(active[rows, k0 + k].mean()) if done[k] else None for k in range(n_months))
        revenue = tuple(
            (float(mrr[rows, k0 + k].sum() / base) if base else None) if done[k] else None
            for k in range(n_months)
        )
        last_begin = int(begin_n[rows].max())
        churned_early = tuple(
            int(flag[rows].sum()) if last_begin + days <= as_of_n else None
            for flag, days in zip(early, EARLY_CHURN_DAYS, strict=True)
        )
        # Trailing months still running are dropped, so a row ends at its last known cell.
        while logos and logos[-1] is None:
            logos, revenue = logos[:-1], revenue[:-1]
        month = date(1970 + c // 12, c % 12 + 1, 1)
        cohorts.append(
            Cohort(
                month,
                len(rows),
                base,
                logos,
                revenue,
                churned_early,
                tuple(book.ids[rows].tolist()) if keep_ids else (),
            )
        )
    return CohortTable(first_m, last_m, as_of, tuple(cohorts), book.base_currency)


def cohorts(
    db,
    start: date | None = None,
    end: date | None = None,
    segment: str | None = None,
    keep_ids: bool = False,
) -> CohortTable:
    """The cohort table of the book (or a segment) for start months in [start, end]."""
    default_start, default_end = default_range()
    start, end = start or default_start, end or default_end
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    as_of = min(end, clock.today())
    return cohort_table(metrics.load_book(db, segment, surveys=False), start, end, as_of, keep_ids)


def accounts_in_cell(
    db, month: date, months_since: int, retained: bool = True, segment: str | None = None
) -> list[int]:
    """The accounts behind one cell: the cohort of ``month``, those still customers (or gone) then."""
    book = metrics.load_book(db, segment)
    begin = start_days(book)
    known = ~np.isnan(begin)
    m = month.year * 12 + month.month - 1 - 1970 * 12
    member = np.zeros(len(book.ids), dtype=bool)
    member[known] = _month_index(begin[known]) == m
    day = add_months(month_start(month), months_since + 1) - timedelta(days=1)
    active = book.active_on(metrics._day_numbers([day]))[:, 0]
    return book.ids[member & (active == retained)].tolist()
