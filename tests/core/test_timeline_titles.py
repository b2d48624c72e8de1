"""Titles of the events the app composes (revenue movements): rendered from their data when shown,
in the reader's language; found by search in both shipped languages; v1 books converted."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.main import main
from csdesk import accounts, i18n, ledger, timeline
from csdesk.accounts import AccountData
from db import open_database
from db.models import Account, TimelineEvent

V1 = Path(__file__).resolve().parents[1] / "db" / "fixtures" / "v1.sqlite"


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


@pytest.fixture
def book(db):
    """A book written in Portuguese: an account that starts at R$ 1.000,00, grows to R$ 2.234,56, churns."""
    i18n.set_language("pt_BR")
    data = AccountData(
        name="Padaria Pitanga", segment="high_touch", mrr_cents=100000, contract_start=date(2026, 1, 10)
    )
    account_id = accounts.create_account(db, data).id
    with db.session() as s:
        account = s.get(Account, account_id)
        ledger.record(s, account, on=date(2026, 3, 10), mrr=223456)
        ledger.record(s, account, on=date(2026, 6, 10), status="churned", reason="price")
        s.commit()
    return account_id


def revenue_titles(db, account_id):
    return [e.title for e in timeline.list_events(db, account_id) if e.kind == "revenue_change"]


def test_no_title_is_stored_for_a_revenue_movement(db, book):
    with db.session() as s:
        stored = s.scalars(select(TimelineEvent.title).where(TimelineEvent.kind == "revenue_change")).all()
    assert stored == ["", "", ""]


def test_a_book_written_in_portuguese_reads_in_the_readers_language(db, book):
    i18n.set_language("en")
    assert revenue_titles(db, book) == [
        "Churn: MRR R$2,234.56 lost",
        "Expansion: MRR R$1,000.00 → R$2,234.56 (+R$1,234.56)",
        "New revenue: MRR R$1,000.00",
    ]
    i18n.set_language("pt_BR")
    titles = revenue_titles(db, book)
    assert titles[1] == i18n.tr("Expansion: MRR {before} → {after} (+{delta})").format(
        before="R$ 1.000,00", after="R$ 2.234,56", delta="R$ 1.234,56"
    )
    assert titles[1] != "Expansion: MRR R$1,000.00 → R$2,234.56 (+R$1,234.56)"
    assert "R$ 1.234,56" in titles[1] and "R$ 1.000,00" in titles[2]
    event = timeline.get_event(db, timeline.list_events(db, book)[0].id)
    assert event.title == titles[0]


@pytest.mark.parametrize("language", ["en", "pt_BR"])
@pytest.mark.parametrize(
    "text, subkind",
    [
        ("expansion", "expansion"),
        ("expansão", "expansion"),
        ("EXPANSAO mrr", "expansion"),
        ("churn lost", "churn"),
        ("1.234,56", "expansion"),
        ("2.234,56 lost", "churn"),
        ("2,234.56 churn", "churn"),
    ],
)
def test_search_finds_a_composed_title_by_its_words_in_either_language(db, book, language, text, subkind):
    i18n.set_language(language)
    timeline.add_event(db, book, kind="note", title="Expansão da equipe de vendas")  # typed, found too
    hits = timeline.search(db, text)
    found = [(h.event.kind, h.event.subkind) for h in hits if h.event.kind == "revenue_change"]
    assert found == [("revenue_change", subkind)]
    mine = timeline.search(db, text, account_id=book)
    assert [h.event.subkind for h in mine if h.event.kind == "revenue_change"] == [subkind]
    listed = timeline.list_events(db, book, text=text)
    assert [e.subkind for e in listed if e.kind == "revenue_change"] == [subkind]


def test_search_keeps_typed_titles_and_orders_both_newest_first(db, book):
    timeline.add_event(
        db, book, kind="note", title="Expansão da equipe", occurred_at=timeline.now().replace(2026, 4, 1)
    )
    hits = timeline.search(db, "expans")
    assert [(h.event.kind, h.event.occurred_at.date()) for h in hits] == [
        ("note", date(2026, 4, 1)),
        ("revenue_change", date(2026, 3, 10)),
    ]
    assert timeline.search(db, "expansão", kinds=["note"])[0].event.kind == "note"
    assert timeline.search(db, "nothing like this") == []
    assert timeline.search(db, "expansion", start=date(2026, 4, 1)) == []


def test_the_cli_shows_the_titles_in_the_language_asked(db_path, db, book, capsys):
    assert main(["--db", str(db_path), "--lang", "en", "timeline", "Padaria", "--format", "json"]) == 0
    english = [r["title"] for r in json.loads(capsys.readouterr().out)]
    assert "New revenue: MRR R$1,000.00" in english
    assert main(["--db", str(db_path), "--lang", "pt-BR", "timeline", "Padaria", "--format", "json"]) == 0
    portuguese = [r["title"] for r in json.loads(capsys.readouterr().out)]
    assert i18n.tr("New revenue: MRR {after}", "pt_BR").format(after="R$ 1.000,00") in portuguese
    assert "New revenue: MRR R$1,000.00" not in portuguese


@pytest.mark.sqlite_file("the version-1 fixture is a SQLite file")
def test_upgrading_a_version_1_book_clears_the_titles_its_data_renders(tmp_path):
    path = tmp_path / "v1.sqlite"
    shutil.copyfile(V1, path)
    conn = sqlite3.connect(path)
    account_id = conn.execute("SELECT min(id) FROM accounts").fetchone()[0]
    rows = [
        ("new", "Nova receita: MRR R$ 1.000,00", {"mrr_before_cents": 0, "mrr_after_cents": 100000}),
        ("expansion", "Expansão: MRR …", {"mrr_before_cents": 100000, "mrr_after_cents": 150000}),
        ("churn", "Churn: MRR R$ 1.500,00 perdido", {"mrr_before_cents": 150000, "mrr_after_cents": 0}),
        ("expansion", "Expansão antiga sem dados", {"mrr_after_cents": 150000}),  # no before: kept
        ("contraction", "Contração sem dados", {}),  # kept
    ]
    for n, (subkind, title, data) in enumerate(rows):
        conn.execute(
            "INSERT INTO timeline_events (account_id, occurred_at, kind, subkind, title, source, data) "
            "VALUES (?, ?, 'revenue_change', ?, ?, 'import', ?)",
            (
                account_id,
                f"2026-0{n + 1}-01 00:00:00.000000",
                subkind,
                title,
                None if data is None else json.dumps(data),
            ),
        )
    conn.commit()
    conn.close()
    db = open_database(path)
    try:
        with db.session() as s:
            stored = s.execute(
                select(TimelineEvent.subkind, TimelineEvent.title)
                .where(TimelineEvent.kind == "revenue_change")
                .order_by(TimelineEvent.occurred_at)
            ).all()
        assert [t for _s, t in stored] == ["", "", "", "Expansão antiga sem dados", "Contração sem dados"]
        i18n.set_language("en")
        shown = [e.title for e in timeline.list_events(db, account_id) if e.kind == "revenue_change"]
        assert shown == [
            "Contração sem dados",
            "Expansão antiga sem dados",
            "Churn: MRR R$1,500.00 lost",
            "Expansion: MRR R$1,000.00 → R$1,500.00 (+R$500.00)",
            "New revenue: MRR R$1,000.00",
        ]
        assert [h.event.subkind for h in timeline.search(db, "churn")] == ["churn"]
        assert {h.event.title for h in timeline.search(db, "sem dados")} == {
            "Expansão antiga sem dados",
            "Contração sem dados",
        }
    finally:
        db.dispose()


def test_undoing_the_deletion_of_a_movement_event_stores_no_title(db, book):
    i18n.set_language("en")
    event = timeline.list_events(db, book)[0]
    deleted = timeline.delete_event(db, event.id)
    timeline.restore_event(db, deleted)
    with db.session() as s:
        assert s.get(TimelineEvent, event.id).title == ""
    i18n.set_language("pt_BR")
    assert timeline.get_event(db, event.id).title != event.title  # still follows the language
