"""Titles the app composes for survey answers (and other app-written events): rendered from their
data when shown, in the reader's language; found by search in both languages; v1 books converted."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.main import main
from csdesk import accounts, i18n, timeline
from csdesk.accounts import AccountData
from csdesk.demo import generate
from db import open_database
from db.models import TimelineEvent

V1 = Path(__file__).resolve().parents[1] / "db" / "fixtures" / "v1.sqlite"


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


def titles(db, account_id, kinds):
    return [e.title for e in timeline.list_events(db, account_id) if e.kind in kinds]


@pytest.fixture
def surveyed(db_path, db, tmp_path, capsys):
    """A book whose survey answers were imported in Portuguese: an NPS 9 and a CSAT 4 with a comment."""
    i18n.set_language("pt_BR")
    account_id = accounts.create_account(
        db, AccountData(name="Padaria Pitanga", mrr_cents=100000, contract_start=date(2026, 1, 10))
    ).id
    answers = tmp_path / "respostas.csv"
    answers.write_text(
        "Data,Empresa,Nota NPS,Nota CSAT,Comentário\n"
        "2026-09-01,Padaria Pitanga,9,,Atendimento ótimo\n"
        "2026-09-02,Padaria Pitanga,,4,\n",
        encoding="utf-8",
    )
    args = ["--db", str(db_path), "--lang", "pt-BR", "import", str(answers), "--kind", "surveys", "--yes"]
    assert main([*args, "--as-of", "2026-09-30"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return account_id


def test_an_imported_survey_answer_stores_its_score_not_a_title(db, surveyed):
    with db.session() as s:
        stored = s.execute(
            select(TimelineEvent.kind, TimelineEvent.title, TimelineEvent.data)
            .where(TimelineEvent.kind.in_(("nps", "csat")))
            .order_by(TimelineEvent.occurred_at)
        ).all()
    assert [(kind, title, data["score"]) for kind, title, data in stored] == [("nps", "", 9), ("csat", "", 4)]


def test_a_portuguese_survey_book_reads_in_the_readers_language(db, surveyed):
    i18n.set_language("en")
    assert titles(db, surveyed, ("nps", "csat")) == ["CSAT answer: 4", "NPS answer: 9"]
    i18n.set_language("pt_BR")
    assert titles(db, surveyed, ("nps", "csat")) == ["Resposta CSAT: 4", "Resposta NPS: 9"]


@pytest.mark.parametrize("language", ["en", "pt_BR"])
@pytest.mark.parametrize(
    "text, kind",
    [("nps answer", "nps"), ("resposta nps", "nps"), ("csat 4", "csat"), ("resposta csat", "csat")],
)
def test_search_finds_a_survey_answer_in_either_language(db, surveyed, language, text, kind):
    i18n.set_language(language)
    hits = timeline.search(db, text)
    assert [h.event.kind for h in hits] == [kind]
    assert [e.kind for e in timeline.list_events(db, surveyed, text=text)] == [kind]
    assert timeline.search(db, text, kinds=["note"]) == []


def test_search_matches_the_score_and_the_comment(db, surveyed):
    assert [h.event.kind for h in timeline.search(db, "nps 9")] == ["nps"]
    assert timeline.search(db, "nps 7") == []
    assert [h.event.kind for h in timeline.search(db, "atendimento")] == ["nps"]


def test_the_demo_writes_survey_answers_without_titles(tmp_path):
    database = open_database(tmp_path / "demo.sqlite")
    try:
        generate(database, accounts=6, seed=3, today=date(2026, 11, 25))
        with database.session() as s:
            rows = s.execute(
                select(
                    TimelineEvent.account_id, TimelineEvent.kind, TimelineEvent.title, TimelineEvent.data
                ).where(TimelineEvent.kind.in_(("nps", "csat")))
            ).all()
        assert rows and all(title == "" for _a, _k, title, _d in rows)
        account_id, kind, _title, data = next(r for r in rows if r[1] == "csat")
        assert data["scale"] == 5
        i18n.set_language("en")
        assert f"CSAT answer: {data['score']}/5" in titles(database, account_id, ("csat",))
        i18n.set_language("pt_BR")
        assert f"Resposta CSAT: {data['score']}/5" in titles(database, account_id, ("csat",))
    finally:
        database.dispose()


@pytest.mark.sqlite_file("the version-1 fixture is a SQLite file")
def test_upgrading_a_version_1_book_clears_the_survey_titles_its_data_renders(tmp_path):
    path = tmp_path / "v1.sqlite"
    shutil.copyfile(V1, path)
    conn = sqlite3.connect(path)
    account_id = conn.execute("SELECT min(id) FROM accounts").fetchone()[0]
    rows = [
        ("nps", "NPS: 9", {"score": 9}),
        ("csat", "CSAT: 4/5", {"score": 4}),  # the demo's: asked on 1-5
        ("csat", "Resposta CSAT: 8", {"score": 8, "respondent": "ana@pitanga.com.br"}),
        ("nps", "NPS antigo sem nota", {}),  # kept
        ("note", "NPS: 3", {"score": 3}),  # typed by the CSM: kept
    ]
    for n, (kind, title, data) in enumerate(rows):
        conn.execute(
            "INSERT INTO timeline_events (account_id, occurred_at, kind, title, source, data) "
            "VALUES (?, ?, ?, ?, 'import', ?)",
            (account_id, f"2030-0{n + 1}-01 00:00:00.000000", kind, title, json.dumps(data)),
        )
    conn.commit()
    conn.close()
    db = open_database(path)
    try:
        with db.session() as s:
            stored = (
                s.execute(
                    select(TimelineEvent.title)
                    .where(TimelineEvent.occurred_at >= datetime(2030, 1, 1))
                    .order_by(TimelineEvent.occurred_at)
                )
                .scalars()
                .all()
            )
        assert stored == ["", "", "", "NPS antigo sem nota", "NPS: 3"]
        i18n.set_language("en")
        shown = [e.title for e in timeline.list_events(db, account_id) if e.occurred_at.year == 2030]
        assert shown == [
            "NPS: 3",
            "NPS antigo sem nota",
            "CSAT answer: 8",
            "CSAT answer: 4/5",
            "NPS answer: 9",
        ]
        assert {h.event.title for h in timeline.search(db, "resposta csat")} == {
            "CSAT answer: 8",
            "CSAT answer: 4/5",
        }
    finally:
        db.dispose()


@pytest.fixture
def renewed(db):
    """A renewal closed in Portuguese: R$ 1.000,00 renewed with upsell to R$ 1.300,00."""
    from csdesk import renewals

    i18n.set_language("pt_BR")
    data = AccountData(
        name="Padaria Pitanga",
        mrr_cents=100000,
        contract_start=date(2025, 12, 1),
        renewal_date=date(2026, 12, 1),
    )
    account_id = accounts.create_account(db, data).id
    renewals.close_renewal(db, account_id, "upsell", mrr_cents=130000, on=date(2026, 11, 20))
    return account_id


def test_a_closed_renewal_stores_its_amounts_not_a_title(db, renewed):
    with db.session() as s:
        title, data = s.execute(
            select(TimelineEvent.title, TimelineEvent.data).where(TimelineEvent.kind == "renewal")
        ).one()
    assert title == ""
    assert (data["mrr_before_cents"], data["mrr_after_cents"], data["currency"]) == (100000, 130000, "BRL")


def test_a_renewal_closed_in_portuguese_reads_in_the_readers_language(db, renewed):
    i18n.set_language("en")
    assert titles(db, renewed, ("renewal",)) == ["Renewed with upsell: MRR R$1,000.00 → R$1,300.00"]
    i18n.set_language("pt_BR")
    assert titles(db, renewed, ("renewal",)) == [
        "Renovado com expansão (upsell): MRR R$ 1.000,00 → R$ 1.300,00"
    ]


@pytest.mark.parametrize("language", ["en", "pt_BR"])
@pytest.mark.parametrize("text", ["renewed upsell", "renovado com expansao", "renovado 1.300,00", "1,300.00"])
def test_search_finds_a_closed_renewal_in_either_language(db, renewed, language, text):
    i18n.set_language(language)
    assert [h.event.kind for h in timeline.search(db, text, kinds=["renewal"])] == ["renewal"]
    assert [e.kind for e in timeline.list_events(db, renewed, text=text, kinds=["renewal"])] == ["renewal"]
    assert timeline.search(db, "renewed downsell", kinds=["renewal"]) == []
