"""Searching timelines by kind, account and period; where a match is in the text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from csdesk import accounts, timeline
from csdesk.accounts import AccountData
from csdesk.rules.names import fold
from db import search as db_search


@pytest.fixture
def book(db):
    acme = accounts.create_account(db, AccountData(name="Acme")).id
    other = accounts.create_account(db, AccountData(name="Padaria")).id
    timeline.add_event(
        db, acme, kind="call", title="Renovação do contrato", occurred_at=datetime(2026, 1, 10, 9)
    )
    timeline.add_event(
        db, acme, kind="note", title="Renovação: proposta", occurred_at=datetime(2026, 3, 31, 23, 59)
    )
    timeline.add_event(
        db, other, kind="meeting", title="QBR e renovação", occurred_at=datetime(2026, 4, 1, 0, 0)
    )
    return {"acme": acme, "other": other}


def titles(hits):
    return [h.event.title for h in hits]


def test_filters_by_kind_account_and_period(db, book):
    assert len(timeline.search(db, "renov")) == 3
    assert titles(timeline.search(db, "renov", kinds=["call", "meeting"])) == [
        "QBR e renovação",
        "Renovação do contrato",
    ]
    assert titles(timeline.search(db, "renov", kinds=[])) == []
    assert titles(timeline.search(db, "renov", account_id=book["other"])) == ["QBR e renovação"]
    # Both days included, to the last minute of the end day.
    assert titles(timeline.search(db, "renov", start=date(2026, 1, 11), end=date(2026, 3, 31))) == [
        "Renovação: proposta"
    ]
    assert titles(timeline.search(db, "renov", start=date(2026, 4, 1))) == ["QBR e renovação"]


def test_portable_fallback_filters_the_same_way(db, book):
    where = db_search.EventFilter(
        kinds=("note", "meeting"), start=datetime(2026, 3, 1), end=datetime(2026, 4, 2)
    )
    with db.session() as session:
        conn = session.connection()
        fts = db_search.search_event_ids(conn, ["renov"], fold=fold, where=where)
        portable = db_search.search_event_ids_portable(conn, ["renov"], fold=fold, where=where)
    assert fts == portable and len(fts) == 2


def test_match_spans_follow_the_search_rule_with_accents():
    text = "Reunião de renovação com a Ânima; reunir"
    spans = timeline.match_spans(text, timeline.words("reuniao anim"))
    assert [text[a:b] for a, b in spans] == ["Reunião", "Ânim"]
    assert [text[a:b] for a, b in timeline.match_spans(text, ["reuni"])] == ["Reuni", "reuni"]
    assert timeline.match_spans(text, []) == []
