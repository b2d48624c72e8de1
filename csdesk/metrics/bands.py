"""Health bands and scores at a day, and the MRR in each band."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from csdesk import clock
from csdesk.metrics.book import MetricsBook, _day_numbers
from db import Database
from db.models import Account, HealthSnapshot


def bands_at(db: Database, day: date, account_ids: pd.Index | None = None) -> pd.Series:
    """Each account's health band at the end of ``day`` (latest snapshot on or before it).

    Snapshots are weekly: an account without one in the week to ``day`` had no score
    then (No data), whatever band it had before.
    """
    with db.session() as session:
        if day >= clock.today():
            rows = session.execute(select(Account.id, Account.health_band)).all()
        else:
            latest = (
                select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
                .where(HealthSnapshot.as_of <= day, HealthSnapshot.as_of > day - timedelta(days=7))
                .group_by(HealthSnapshot.account_id)
                .subquery()
            )
            rows = session.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.band).join(
                    latest,
                    (latest.c.account_id == HealthSnapshot.account_id)
                    & (latest.c.as_of == HealthSnapshot.as_of),
                )
            ).all()
    bands = pd.Series(dict(rows), dtype="object")
    if account_ids is not None:
        bands = bands.reindex(account_ids)
    return bands


def scores_at(db: Database, day: date, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score, band code) of the accounts ``ids`` at the end of ``day``: NaN and -1 without a score.

    The latest snapshot in the week to ``day`` (snapshots are weekly), as ``bands_at``;
    band codes index ``BAND_KEYS`` (0 green, 1 yellow, 2 red). Read through the model's
    column types, so the way the history is stored stays the health module's business.
    """
    with db.session() as session:
        rows = session.execute(
            select(
                HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score, HealthSnapshot.band
            ).where(HealthSnapshot.as_of <= day, HealthSnapshot.as_of > day - timedelta(days=7))
        ).all()
    score = np.full(len(ids), np.nan)
    band = np.full(len(ids), -1, dtype=np.int64)
    if rows and len(ids):
        codes = {key: i for i, key in enumerate(BAND_KEYS)}
        data = np.array([(a, d.toordinal(), s, codes.get(b, -1)) for a, d, s, b in rows], dtype=np.float64)
        data = data[np.lexsort((data[:, 1], data[:, 0]))]
        data = data[np.r_[data[1:, 0] != data[:-1, 0], True]]  # each account's latest
        pos = np.minimum(np.searchsorted(ids, data[:, 0].astype(np.int64)), len(ids) - 1)
        ok = ids[pos] == data[:, 0]
        score[pos[ok]] = data[ok, 2]
        band[pos[ok]] = data[ok, 3].astype(np.int64)
    return score, band


BAND_KEYS = ("green", "yellow", "red")


def mrr_by_band(book: MetricsBook, db: Database, day: date) -> tuple[tuple[str | None, int, int], ...]:
    """(band, accounts, MRR) of the accounts active at ``day``: green, yellow, red, then unscored."""
    days = _day_numbers([day])
    active = book.active_on(days)
    mrr, priced = book.in_base(day, book.mrr_on(days, active)[:, 0])
    active = active[:, 0] & priced
    bands = bands_at(db, day, pd.Index(book.ids[active])).to_numpy(dtype=object)
    mrr = mrr[active]
    result = []
    for band in ("green", "yellow", "red", None):
        mask = pd.isna(bands) if band is None else bands == band
        result.append((band, int(mask.sum()), int(mrr[mask].sum())))
    return tuple(result)
