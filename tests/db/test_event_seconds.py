"""Timeline moments stored as seconds since 1970 (db.models.EpochSeconds on SQLite): exact, in
time order, and alike whichever path writes them; PostgreSQL keeps native timestamps."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import bindparam, func, select, text

from csdesk import accounts, ledger, timeline
from csdesk.accounts import AccountData
from db import bulk, encoding, open_database
from db import search as db_search
from db.codes import EVENT_KIND_CODES, EVENT_SOURCE_CODES
from db.models import ImportRun, TimelineEvent

FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"
EPOCH_DAY = date(1970, 1, 1)
MOMENTS = [
    datetime(2026, 1, 5),  # midnight
    datetime(2026, 1, 5, 9, 30, 15),
    datetime(2026, 1, 5, 13, 0, 0, 250000),
    datetime(2026, 1, 5, 23, 59, 59, 999999),
    datetime(1970, 1, 1),
    datetime(1969, 12, 31, 23, 59, 59, 500000),  # before 1970: negative seconds
    datetime(1969, 12, 31),
    datetime(1950, 6, 1, 12, 0, 0, 1),
]
moments = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31))


@given(moments)
def test_a_moment_round_trips_exactly_through_its_stored_seconds(moment):
    stored = encoding.encode_epoch_seconds(moment)
    assert encoding.decode_epoch_seconds(stored) == moment
    assert encoding.decode_epoch_seconds_many([stored]) == [moment]
    assert isinstance(stored, int) == (moment.microsecond == 0)


@given(moments, moments)
def test_stored_seconds_are_in_time_order(first, second):
    a, b = encoding.encode_epoch_seconds(first), encoding.encode_epoch_seconds(second)
    assert (a < b) == (first < second) and (a == b) == (first == second)


def test_a_date_is_stored_as_its_midnight_and_text_is_refused():
    assert encoding.encode_epoch_seconds(date(2026, 1, 5)) == encoding.encode_epoch_seconds(
        datetime(2026, 1, 5)
    )
    assert encoding.encode_epoch_seconds(datetime(1970, 1, 2)) == 86_400
    with pytest.raises(TypeError):
        encoding.encode_epoch_seconds("2026-01-05 00:00:00")


def _account(db, name: str = "Padaria Ipê") -> int:
    return accounts.create_account(db, AccountData(name=name)).id


def test_moments_read_back_as_written_and_newest_first(db):
    account_id = _account(db)
    with db.transaction() as session:
        for n, moment in enumerate(MOMENTS):
            session.add(TimelineEvent(account_id=account_id, occurred_at=moment, kind="note", title=str(n)))
    with db.session() as session:
        read = session.execute(
            select(TimelineEvent.title, TimelineEvent.occurred_at).order_by(TimelineEvent.occurred_at)
        ).all()
        newest = session.scalar(select(func.max(TimelineEvent.occurred_at)))
    listed = timeline.list_events(db, account_id)  # the list's own fast reading
    assert [at for _title, at in read] == sorted(MOMENTS)
    assert [MOMENTS[int(title)] for title, _at in read] == sorted(MOMENTS)
    assert newest == max(MOMENTS)
    assert [e.occurred_at for e in listed] == sorted(MOMENTS, reverse=True)


@pytest.mark.parametrize("moment", [datetime(2026, 1, 5), datetime(2026, 1, 5, 13, 0, 0, 250000)])
def test_every_writer_stores_a_moment_alike(db, moment):
    account_id = _account(db)
    table = TimelineEvent.__table__
    row = {"account_id": account_id, "kind": "note", "source": "import", "data": {}}
    with db.transaction() as session:
        session.add(TimelineEvent(account_id=account_id, occurred_at=moment, kind="note", title="orm"))
        bulk.insert_rows(
            session,
            table,
            {
                **{k: [v] for k, v in row.items()},
                # Coded columns are given in their stored form (db.codes positions).
                "kind": [EVENT_KIND_CODES.index("note")],
                "source": [EVENT_SOURCE_CODES.index("import")],
                "data": ["{}"],
                "occurred_at": [moment],
                "title": ["rows"],
            },
            json_columns=("data",),
        )
        conn = session.connection()
        bulk.insert_dicts(conn, table, [{**row, "occurred_at": moment, "title": "import"}])
        if conn.dialect.name == "sqlite" and moment.time() == datetime.min.time():
            # The import's first movements: the event written by SQL from the day's text.
            run = ImportRun(file_name="carteira.csv", kind="accounts", source="csv", as_of=moment.date())
            session.add(run)
            session.flush()
            head, values = ledger.first_movement_sql("new", run.id)["timeline_events"]
            bulk.insert_values(conn, head, values, 3, [(account_id, moment.date().isoformat(), 100)])
    with db.session() as session:
        writers = session.scalar(select(func.count()).where(TimelineEvent.occurred_at == moment))
        distinct = session.scalar(select(func.count(func.distinct(TimelineEvent.occurred_at))))
        after = session.scalar(
            text("SELECT count(*) FROM timeline_events WHERE occurred_at >= :at").bindparams(
                bindparam("at", type_=TimelineEvent.occurred_at.type)
            ),
            {"at": moment},
        )
        created = session.scalars(select(TimelineEvent.created_at)).all()
    total = 4 if db.engine.dialect.name == "sqlite" and moment.time() == datetime.min.time() else 3
    assert writers == after == total
    assert distinct == 1
    assert all(isinstance(at, datetime) for at in created)  # the server default, read back


@pytest.mark.sqlite_file("the stored form of SQLite")
def test_created_at_is_written_as_seconds_by_default(tmp_path):
    db = open_database(tmp_path / "book.sqlite")
    try:
        account_id = _account(db)
        timeline.add_event(db, account_id, kind="note", title="orm", occurred_at=datetime(2026, 1, 5))
        with db.transaction() as session:
            bulk.insert_dicts(
                session.connection(),
                TimelineEvent.__table__,
                [
                    {
                        "account_id": account_id,
                        "occurred_at": datetime(2026, 1, 6),
                        "kind": "note",
                        "title": "bulk",
                        "source": "import",
                        "data": {},
                    }
                ],
            )
        with db.engine.connect() as conn:
            kinds = conn.exec_driver_sql("SELECT DISTINCT typeof(created_at) FROM timeline_events").all()
    finally:
        db.dispose()
    assert [k[0] for k in kinds] == ["integer"]


@pytest.mark.sqlite_file("a version-1 SQLite book")
def test_an_upgraded_book_writes_and_finds_moments_like_a_new_one(tmp_path):
    path = tmp_path / "book.sqlite"
    shutil.copy(FIXTURE, path)
    db = open_database(path)
    try:
        with db.session() as session:
            account_id = session.scalar(text("SELECT min(id) FROM accounts"))
        moment = datetime(2026, 2, 1, 10, 0, 0, 500000)
        with db.transaction() as session:
            orm = TimelineEvent(
                account_id=account_id, occurred_at=moment, kind="note", title="Depois da atualização"
            )
            session.add(orm)
            session.flush()
            event_id = orm.id
        with db.engine.begin() as conn:  # a writer that leaves created_at to the table's default
            conn.exec_driver_sql(
                "INSERT INTO timeline_events (account_id, occurred_at, kind, title, source, data) "
                "VALUES (?, ?, ?, 'sql', ?, '{}')",
                (
                    account_id,
                    encoding.encode_epoch_seconds(datetime(2026, 2, 2)),
                    EVENT_KIND_CODES.index("note"),
                    EVENT_SOURCE_CODES.index("import"),
                ),
            )
            stored = conn.exec_driver_sql(
                "SELECT typeof(occurred_at), typeof(created_at) FROM timeline_events ORDER BY id"
            ).all()
            indexes = {r[1] for r in conn.exec_driver_sql("PRAGMA index_list(timeline_events)")}
        listed = timeline.list_events(db, account_id, start=date(2026, 2, 1), end=date(2026, 2, 1))
        found = timeline.search(db, "atualizacao")
    finally:
        db.dispose()
    assert {tuple(r) for r in stored} <= {("integer", "integer"), ("real", "integer")}
    assert ("real", "integer") in {tuple(r) for r in stored}
    assert {"ix_events_account_time", "ix_timeline_events_occurred_at"} <= indexes
    assert [e.id for e in listed] == [event_id] and listed[0].occurred_at == moment
    assert [h.event.id for h in found] == [event_id]  # the search index's triggers came along


def test_range_filters_keep_their_bounds(db, monkeypatch):
    account_id = _account(db)
    days = [datetime(2026, 3, d, 9) for d in (1, 2, 3, 4)]
    edge = datetime(2026, 3, 3)  # exactly the start of a day
    ids = {}
    for moment in [*days, edge]:
        ids[moment] = timeline.add_event(
            db, account_id, kind="note", title="renovação", occurred_at=moment
        ).id
    listed = timeline.list_events(db, account_id, start=date(2026, 3, 2), end=date(2026, 3, 3))
    assert [e.id for e in listed] == [ids[days[2]], ids[edge], ids[days[1]]]
    upto = timeline.list_events(db, account_id, end=edge)  # a moment: inclusive
    assert [e.id for e in upto] == [ids[edge], ids[days[1]], ids[days[0]]]
    searched = timeline.search(db, "renovacao", start=date(2026, 3, 3), end=date(2026, 3, 4))
    assert [h.event.id for h in searched] == [ids[days[3]], ids[days[2]], ids[edge]]
    # Many matches: walking the time index newest first (SQLite), with the same bounds.
    monkeypatch.setattr(db_search, "_WALK_THRESHOLD", 0)
    walked = timeline.search(db, "renovacao", start=date(2026, 3, 1), end=date(2026, 3, 2))
    assert [h.event.id for h in walked] == [ids[days[1]], ids[days[0]]]


def test_the_day_number_of_a_moment_is_its_calendar_day(db):
    account_id = _account(db)
    moments = [
        *MOMENTS,
        datetime(1969, 12, 30, 23, 59, 59),
        datetime(1969, 12, 30, 0, 0, 0, 1),
        datetime(2026, 1, 4, 23, 59, 59, 999999),
    ]
    with db.transaction() as session:
        for n, moment in enumerate(moments):
            session.add(TimelineEvent(account_id=account_id, occurred_at=moment, kind="note", title=str(n)))
    with db.session() as session:
        rows = session.execute(select(TimelineEvent.title, bulk.day_number(TimelineEvent.occurred_at))).all()
    got = {int(title): day for title, day in rows}
    assert got == {n: (m.date() - EPOCH_DAY).days for n, m in enumerate(moments)}


def test_last_touch_is_recomputed_from_the_stored_seconds(db):
    account_id = _account(db)
    other = _account(db, "Sem Contato")
    with db.transaction() as session:
        for moment in (datetime(2026, 4, 1, 10, 0, 0, 5), datetime(2026, 3, 1)):
            session.add(
                TimelineEvent(
                    account_id=account_id, occurred_at=moment, kind="call", title="x", source="import"
                )
            )
    timeline.recompute_last_touch(db)
    assert accounts.get_account(db, account_id).last_touch_at == datetime(2026, 4, 1, 10, 0, 0, 5)
    assert accounts.get_account(db, other).last_touch_at is None


def test_a_moment_stored_before_1970_is_shown_on_its_day(db):
    account_id = _account(db)
    moment = datetime(1969, 7, 20, 20, 17, 40)
    timeline.add_event(db, account_id, kind="note", title="Alunissagem", occurred_at=moment)
    assert timeline.list_events(db, account_id)[0].occurred_at == moment
    assert timeline.list_events(db, account_id, start=date(1969, 7, 20), end=date(1969, 7, 20))
    assert not timeline.list_events(db, account_id, start=date(1969, 7, 21))
