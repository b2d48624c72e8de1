"""The timeline service: writes with undo-friendly results, filters, search, last touch."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from csdesk import accounts, timeline
from csdesk.accounts import AccountData, ValidationError
from csdesk.errors import UserError
from db import search as db_search


@pytest.fixture
def acme(db):
    return accounts.create_account(db, AccountData(name="Acme Ltda", segment="high_touch")).id


def touch(db, account_id):
    return accounts.get_account(db, account_id).last_touch_at


def test_add_event_defaults_to_now_and_updates_last_touch(db, acme):
    before = timeline.now()
    event = timeline.add_event(db, acme, kind="call", title="Falei com a Joana")
    assert event.id is not None
    assert before <= event.occurred_at <= timeline.now()
    assert event.source == "manual"
    assert touch(db, acme) == event.occurred_at


def test_non_touch_and_future_events_leave_last_touch_alone(db, acme):
    timeline.add_event(db, acme, kind="ticket", title="Erro no login", severity="high")
    assert touch(db, acme) is None
    timeline.add_event(
        db, acme, kind="meeting", subkind="qbr", title="QBR", occurred_at=timeline.now() + timedelta(days=7)
    )
    assert touch(db, acme) is None


def test_edit_and_delete_return_the_previous_version_and_keep_last_touch(db, acme):
    old = timeline.add_event(db, acme, kind="note", title="old", occurred_at=datetime(2026, 1, 5, 10))
    new = timeline.add_event(db, acme, kind="email", title="new", occurred_at=datetime(2026, 3, 1, 10))
    assert touch(db, acme) == datetime(2026, 3, 1, 10)

    before = timeline.update_event(db, replace(new, occurred_at=datetime(2025, 12, 1, 9)))
    assert before == new
    assert touch(db, acme) == datetime(2026, 1, 5, 10)

    deleted = timeline.delete_event(db, old.id)
    assert deleted == old
    assert touch(db, acme) == datetime(2025, 12, 1, 9)

    restored = timeline.restore_event(db, deleted)
    assert restored.id == old.id
    assert touch(db, acme) == datetime(2026, 1, 5, 10)

    with pytest.raises(UserError):
        timeline.delete_event(db, 99999)


def test_changing_kind_away_from_a_touch_updates_last_touch(db, acme):
    call = timeline.add_event(db, acme, kind="call", title="ligação", occurred_at=datetime(2026, 2, 1))
    timeline.update_event(db, replace(call, kind="ticket"))
    assert touch(db, acme) is None


def test_validation_names_each_field(db, acme):
    with pytest.raises(ValidationError) as info:
        timeline.add_event(db, acme, kind="party", title="  ")
    assert {e.field for e in info.value.errors} == {"kind", "title"}
    with pytest.raises(ValidationError):
        timeline.add_event(db, acme, kind="meeting", subkind="lunch", title="x")
    with pytest.raises(UserError):
        timeline.add_event(db, 424242, kind="note", title="x")


def test_list_events_newest_first_with_filters(db, acme):
    other = accounts.create_account(db, AccountData(name="Beta")).id
    timeline.add_event(db, other, kind="note", title="not mine")
    for day, kind, title in [
        (date(2026, 1, 10), "note", "Reunião de alinhamento"),
        (date(2026, 2, 10), "call", "Ligação sobre preço"),
        (date(2026, 3, 10), "meeting", "Treinamento da equipe"),
    ]:
        timeline.add_event(db, acme, kind=kind, title=title, occurred_at=day)
    assert [e.title for e in timeline.list_events(db, acme)] == [
        "Treinamento da equipe",
        "Ligação sobre preço",
        "Reunião de alinhamento",
    ]
    assert [e.kind for e in timeline.list_events(db, acme, kinds=["note", "call"])] == ["call", "note"]
    in_feb = timeline.list_events(db, acme, start=date(2026, 2, 1), end=date(2026, 2, 10))
    assert [e.kind for e in in_feb] == ["call"]
    assert [e.title for e in timeline.list_events(db, acme, text="REUNIAO")] == ["Reunião de alinhamento"]
    assert [e.title for e in timeline.list_events(db, acme, text="liga pre")] == ["Ligação sobre preço"]
    assert len(timeline.list_events(db, acme, limit=2)) == 2


def test_search_across_accounts_ignores_case_and_accents(db, acme):
    beta = accounts.create_account(db, AccountData(name="Beta Alimentos")).id
    timeline.add_event(db, acme, kind="note", title="Notas", body="O cliente quer **integração** com SAP")
    timeline.add_event(db, beta, kind="note", title="Integracao pendente", occurred_at=datetime(2020, 1, 1))
    timeline.add_event(db, beta, kind="call", title="Outra coisa")
    hits = timeline.search(db, "Integração")
    assert [(h.account_name, h.event.title) for h in hits] == [
        ("Acme Ltda", "Notas"),
        ("Beta Alimentos", "Integracao pendente"),
    ]
    assert [h.event.title for h in timeline.search(db, "integ sap")] == ["Notas"]
    assert timeline.search(db, "  ") == []
    assert [h.account_name for h in timeline.search(db, "integracao", account_id=beta)] == ["Beta Alimentos"]
    # FTS syntax typed by a user is plain text, not a query.
    assert timeline.search(db, 'NEAR(" OR *') == []


def test_search_index_follows_edits_and_deletes(db, acme):
    event = timeline.add_event(db, acme, kind="note", title="abacaxi")
    timeline.update_event(db, replace(event, title="laranja"))
    assert timeline.search(db, "abacaxi") == []
    assert [h.event.id for h in timeline.search(db, "laranja")] == [event.id]
    timeline.delete_event(db, event.id)
    assert timeline.search(db, "laranja") == []


def test_portable_fallback_gives_the_same_answers(db, acme):
    from csdesk.rules.names import fold

    timeline.add_event(
        db,
        acme,
        kind="note",
        title="Renovação",
        body="conversar com o João",
        occurred_at=datetime(2026, 1, 1),
    )
    timeline.add_event(db, acme, kind="call", title="joão ligou", occurred_at=datetime(2026, 2, 1))
    with db.session() as session:
        conn = session.connection()
        fts = db_search.search_event_ids(conn, ["joao"], fold=fold)
        portable = db_search.search_event_ids_portable(conn, ["joao"], fold=fold)
        assert fts == portable and len(fts) == 2
        assert db_search.search_event_ids_portable(conn, ["renov", "conver"], fold=fold) == fts[1:]


@pytest.mark.sqlite_file("the FTS5 index of a SQLite book")
def test_search_index_is_built_for_a_database_that_had_events_before(db_path):
    from db import open_database

    database = open_database(db_path)
    account = accounts.create_account(database, AccountData(name="Acme")).id
    timeline.add_event(database, account, kind="note", title="girassol")
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE timeline_fts")
    database.dispose()
    database = open_database(db_path)
    try:
        assert [h.event.title for h in timeline.search(database, "girassol")] == ["girassol"]
    finally:
        database.dispose()


def test_recompute_last_touch_for_bulk_writers(db, acme):
    from db.models import TimelineEvent

    with db.session() as s, s.begin():
        s.add(
            TimelineEvent(
                account_id=acme,
                kind="meeting",
                title="kickoff",
                occurred_at=datetime(2026, 4, 1),
                source="import",
            )
        )
    assert touch(db, acme) is None
    timeline.recompute_last_touch(db)
    assert touch(db, acme) == datetime(2026, 4, 1)
    timeline.recompute_last_touch(db, [acme])
    assert touch(db, acme) == datetime(2026, 4, 1)


def test_listed_events_skip_data_and_saving_them_keeps_it(db, acme):
    event = timeline.add_event(
        db, acme, kind="ticket", title="Chamado", data={"crm_id": "T-1"}, source="import"
    )
    listed = timeline.list_events(db, acme)[0]
    assert listed.data is None and listed.occurred_at == event.occurred_at
    timeline.update_event(db, replace(listed, title="Chamado resolvido"))
    assert timeline.get_event(db, event.id).data == {"crm_id": "T-1"}
    assert [e.id for e in timeline.list_events(db, acme, limit=1)] == [event.id]


def test_search_with_many_matches_walks_the_date_index_and_stays_newest_first(db, acme, monkeypatch):
    monkeypatch.setattr(db_search, "_WALK_THRESHOLD", 3)
    for day in (5, 1, 9, 3, 7):
        timeline.add_event(
            db, acme, kind="note", title=f"renovação {day}", occurred_at=datetime(2026, 1, day)
        )
    assert [h.event.title for h in timeline.search(db, "renovacao", limit=3)] == [
        "renovação 9",
        "renovação 7",
        "renovação 5",
    ]
