"""Rescoring some accounts reads their inputs by account in SQL: the same scores as reading every row."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from csdesk import demo, health
from db.models import HealthBreakdown, HealthSnapshot

TODAY = date(2026, 11, 23)


def _snapshots(db, ids):
    with db.session() as s:
        rows = s.execute(
            select(
                HealthSnapshot.account_id,
                HealthSnapshot.as_of,
                HealthSnapshot.score,
                HealthSnapshot.band,
            )
            .where(HealthSnapshot.account_id.in_(ids))
            .order_by(HealthSnapshot.account_id, HealthSnapshot.as_of)
        ).all()
        # With their breakdowns, byte for byte.
        breakdowns = s.execute(
            select(HealthBreakdown.account_id, HealthBreakdown.data)
            .where(HealthBreakdown.account_id.in_(ids))
            .order_by(HealthBreakdown.account_id)
        ).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in breakdowns]


def test_scoped_and_whole_table_loads_give_the_same_scores(db, monkeypatch):
    demo.generate(db, accounts=60, seed=3, today=TODAY)
    ids = list(range(5, 60, 4))
    health.recompute(db, ids, today=TODAY)
    in_sql = _snapshots(db, ids)
    assert len({r[0] for r in in_sql}) > 5  # scored accounts with history

    monkeypatch.setattr(health.inputs, "SCOPED_LOAD_MAX", 0)  # read every row, keep the wanted ones
    health.recompute(db, ids, today=TODAY)
    assert _snapshots(db, ids) == in_sql
    scoped = health.load_inputs(db, TODAY, ids)
    assert list(scoped.ids) == ids
