"""One stored form per value: whichever path writes a date-time (the ORM, the bulk writer,
the import, the ledger's SQL, a version-1 book upgraded), it compares equal in SQL."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from csdesk import accounts, importing, ledger
from csdesk.accounts import AccountData
from db import bulk, encoding, open_database
from db.codes import EVENT_KIND_CODES, EVENT_SOURCE_CODES
from db.models import TimelineEvent
from tests.importing.conftest import SAMPLES

FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"
WHOLE = datetime(2026, 1, 5, 0, 0, 0)
FRACTION = datetime(2026, 1, 5, 13, 0, 0, 250000)


def _account(db) -> int:
    return accounts.create_account(db, AccountData(name="Padaria Ipê")).id


@pytest.mark.parametrize("moment", [WHOLE, FRACTION])
def test_orm_and_bulk_writes_of_a_moment_are_equal_in_sql(db, moment):
    account_id = _account(db)
    with db.transaction() as session:
        session.add(TimelineEvent(account_id=account_id, occurred_at=moment, kind="note", title="orm"))
        bulk.insert_rows(
            session,
            TimelineEvent.__table__,
            {
                "account_id": [account_id],
                "occurred_at": [moment],
                # Coded columns are given in their stored form (db.codes positions).
                "kind": [EVENT_KIND_CODES.index("note")],
                "title": ["bulk"],
                "source": [EVENT_SOURCE_CODES.index("import")],
                "data": ["{}"],
            },
            json_columns=("data",),
        )
    with db.session() as session:
        typed = session.scalars(select(TimelineEvent.title).where(TimelineEvent.occurred_at == moment)).all()
        untyped = session.execute(
            text("SELECT count(*) FROM timeline_events WHERE occurred_at = :at"), {"at": moment}
        ).scalar()
        distinct = session.scalar(select(func.count(func.distinct(TimelineEvent.occurred_at))))
        read = session.scalars(select(TimelineEvent.occurred_at)).all()
    assert sorted(typed) == ["bulk", "orm"]
    assert untyped == 2
    assert distinct == 1
    assert read == [moment, moment]


def test_sqlite_stores_a_fraction_only_when_there_is_one(tmp_path):
    db = open_database(tmp_path / "book.sqlite")
    try:
        account_id = _account(db)
        later = datetime(2026, 1, 5, 0, 0, 1)
        with db.transaction() as session:
            for n, moment in enumerate((later, FRACTION, WHOLE)):
                session.add(
                    TimelineEvent(account_id=account_id, occurred_at=moment, kind="note", title=str(n))
                )
        with db.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT occurred_at FROM timeline_events ORDER BY occurred_at"
            ).all()
            created = conn.exec_driver_sql("SELECT created_at FROM accounts").scalar()
    finally:
        db.dispose()
    # Text order is time order, with or without a fraction.
    assert [row[0] for row in stored] == [
        "2026-01-05 00:00:00",
        "2026-01-05 00:00:01",
        "2026-01-05 13:00:00.250000",
    ]
    assert len(created) == 19  # SQLite's CURRENT_TIMESTAMP default: the same form
    assert encoding.encode_datetime(WHOLE) == "2026-01-05 00:00:00"


def test_an_imported_first_movement_is_found_by_its_day(db):
    importing.run_import(
        db, importing.prepare(SAMPLES / "planilha_carteira_pt-BR.csv"), as_of=date(2026, 1, 1)
    )
    with db.session() as session:
        first = session.execute(
            select(TimelineEvent.account_id, TimelineEvent.subkind, TimelineEvent.occurred_at)
            .where(TimelineEvent.kind == "revenue_change")
            .order_by(TimelineEvent.id)
            .limit(1)
        ).one()
        account_id, kind, occurred = first
        found = ledger.event_of(session, ledger.Movement(0, account_id, occurred.date(), kind, 0, 0))
    assert occurred.time() == datetime.min.time()
    assert found is not None and found[2] == occurred


@pytest.mark.sqlite_file("a version-1 SQLite book")
def test_a_version_1_book_keeps_its_moments_without_the_zero_fraction(tmp_path):
    path = tmp_path / "book.sqlite"
    shutil.copy(FIXTURE, path)
    conn = sqlite3.connect(path)
    try:
        before = conn.execute("SELECT id, occurred_at FROM timeline_events ORDER BY id").fetchall()
    finally:
        conn.close()
    assert any(stored.endswith(".000000") for _id, stored in before)
    db = open_database(path)
    try:
        with db.session() as session:
            read = session.execute(
                select(TimelineEvent.id, TimelineEvent.occurred_at).order_by(TimelineEvent.id)
            ).all()
            first_id, first_at = read[0]
            found = session.scalar(
                select(TimelineEvent.id).where(TimelineEvent.occurred_at == first_at).limit(1)
            )
        with db.engine.connect() as conn:
            zero = conn.exec_driver_sql(
                "SELECT count(*) FROM timeline_events WHERE occurred_at LIKE '%.000000'"
            ).scalar()
            accounts_zero = conn.exec_driver_sql(
                "SELECT count(*) FROM accounts WHERE created_at LIKE '%.000000' OR updated_at LIKE '%.000000'"
            ).scalar()
    finally:
        db.dispose()
    assert zero == 0 and accounts_zero == 0
    assert [(i, at) for i, at in read] == [(i, datetime.fromisoformat(s)) for i, s in before]
    assert found is not None
