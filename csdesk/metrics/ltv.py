"""Historic LTV: the revenue each account has received."""

from __future__ import annotations

from datetime import date

import numpy as np

from csdesk.metrics.book import _BEFORE_ALL, MetricsBook, _day_numbers
from csdesk.rules.calendar import months_between_days


def historic_ltv(book: MetricsBook, as_of: date) -> np.ndarray:
    """Revenue received by each account (cents, contract currency) up to the end of ``as_of``.

    Each revenue row's MRR counts from its date to the next row (or ``as_of``), by calendar
    months and the day fraction of 30.4375 days (``rules.calendar.months_between``): R$ 1.000 from 1 January to 1 July is R$ 6.000.
    """
    out = np.zeros(len(book.ids), dtype=np.float64)
    if not len(book.rev_pos):
        return out.astype(np.int64)
    end = int(_day_numbers([as_of])[0]) + 1
    pos, day = book.rev_pos, book.rev_day
    nxt = np.r_[day[1:], end]
    last_of_account = np.r_[pos[1:] != pos[:-1], True]
    nxt = np.where(last_of_account, end, nxt)
    # An opening balance stands for "before any period": the revenue before it is unknown, so it
    # counts from the contract start (or, without one, the day the book's history is complete).
    floor = (
        int(_day_numbers([book.history_complete_from])[0]) if book.history_complete_from is not None else end
    )
    if book.start_day is not None:
        floor = np.where(np.isnan(book.start_day[pos]), floor, book.start_day[pos]).astype(np.int64)
    begin = np.where(day == _BEFORE_ALL, floor, day)
    begin = np.minimum(begin, end)
    stop = np.clip(nxt, begin, end)
    rate = np.where(book.rev_kind == 2, 0, book.rev_after)
    months = months_between_days(begin, stop)
    np.add.at(out, pos, rate * months)
    return np.round(out).astype(np.int64)
