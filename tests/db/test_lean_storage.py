"""The book's biggest tables stay lean: measures, the search index, and what a v1 book becomes."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from csdesk import accounts, demo, health, timeline
from csdesk.accounts import AccountData
from db import open_database
from db.models import Measure

TODAY = date(2026, 12, 6)
FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("lean") / "book.sqlite"
    db = open_database(path)
    demo.generate(db, accounts=120, seed=3, today=TODAY)
    health.recompute(db, today=TODAY)
    db.dispose()
    return path


def _bytes(conn: sqlite3.Connection, *names: str) -> int:
    marks = ",".join("?" * len(names))
    return conn.execute(
        f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})", names
    ).fetchone()[0]


def test_a_measure_costs_under_22_bytes_keyed_by_account_metric_and_day(demo_book):
    # As text (metric name, ISO day) a row and its unique-index entry took about 85 bytes;
    # coded, with a row id and that index beside the table, about 40. Keyed by
    # (account, metric, day) without a row id, the table is its own index: about 18.
    conn = sqlite3.connect(demo_book)
    try:
        rows = conn.execute("SELECT count(*) FROM measures").fetchone()[0]
        used = _bytes(
            conn, *(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'measures'"))
        )
        stored = conn.execute(
            "SELECT typeof(metric), typeof(as_of), typeof(source), source FROM measures LIMIT 1"
        ).fetchone()
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'measures'").fetchone()[0]
    finally:
        conn.close()
    assert rows > 5_000
    assert used / rows < 22
    assert stored == ("integer", "integer", "integer", 2)  # "demo", coded
    assert "WITHOUT ROWID" in ddl


def test_the_search_index_costs_under_25_bytes_an_event(demo_book):
    # With positions and sizes (detail=full) it took about 70 bytes an event.
    conn = sqlite3.connect(demo_book)
    try:
        events = conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0]
        names = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'timeline_fts_%'")
        ]
        used = _bytes(conn, *names)
    finally:
        conn.close()
    assert events > 2_000
    assert used / events < 25


def test_an_event_costs_under_40_bytes_in_its_two_time_indexes(demo_book):
    # As ISO text (19 bytes a moment) the two indexes on its time took about 60 bytes an event.
    conn = sqlite3.connect(demo_book)
    try:
        events = conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0]
        used = _bytes(conn, "ix_events_account_time", "ix_timeline_events_occurred_at")
        stored = conn.execute(
            "SELECT DISTINCT typeof(occurred_at), typeof(created_at) FROM timeline_events"
        ).fetchall()
    finally:
        conn.close()
    assert events > 2_000
    assert used / events < 40
    assert stored == [("integer", "integer")]


def test_measures_read_back_as_words_and_dates(demo_book):
    db = open_database(demo_book)
    try:
        with db.session() as s:
            rows = s.execute(
                select(Measure.metric, Measure.as_of).where(
                    Measure.metric == "logins", Measure.as_of >= date(2026, 11, 1)
                )
            ).all()
    finally:
        db.dispose()
    assert rows and {m for m, _ in rows} == {"logins"}
    assert all(isinstance(d, date) and date(2026, 11, 1) <= d <= TODAY for _, d in rows)


def test_search_matches_words_in_title_or_body_ignoring_accents(tmp_path):
    db = open_database(tmp_path / "book.sqlite")
    try:
        account = accounts.create_account(db, AccountData(name="Padaria Pitanga")).id
        first = timeline.add_event(
            db, account, kind="note", title="Reunião de alinhamento", body="Próximos passos: integração"
        )
        second = timeline.add_event(
            db, account, kind="note", title="Ligação", body="pedido_especial de desconto"
        )
        assert [h.event.id for h in timeline.search(db, "reuniao")] == [first.id]
        assert [h.event.id for h in timeline.search(db, "INTEGRAÇÃO próx")] == [first.id]
        # A word the index splits in two tokens still matches (no positions are kept for phrases).
        assert [h.event.id for h in timeline.search(db, "pedido_esp")] == [second.id]
        assert timeline.search(db, "_") == []
    finally:
        db.dispose()


def test_a_v1_book_gets_lean_measures_and_search_index(tmp_path):
    path = tmp_path / "book.sqlite"
    shutil.copyfile(FIXTURE, path)
    db = open_database(path)
    try:
        with db.session() as s:
            assert s.execute(select(Measure.metric, Measure.as_of, Measure.value)).all() == [
                ("logins", date(2026, 1, 4), 120.0)
            ]
        assert [h.event.title for h in timeline.search(db, "exportar")] == ["Erro ao exportar"]
        assert [h.event.title for h in timeline.search(db, "revisao metas")] == ["QBR 1º trimestre"]
    finally:
        db.dispose()
    conn = sqlite3.connect(path)
    try:
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'timeline_fts'").fetchone()[0]
        stored = conn.execute("SELECT typeof(metric), typeof(as_of), source FROM measures").fetchone()
        measures_ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'measures'").fetchone()[0]
        indexes = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'measures'")]
    finally:
        conn.close()
    assert "detail=none" in ddl
    assert stored == ("integer", "integer", 0)  # "manual", coded
    assert "WITHOUT ROWID" in measures_ddl
    assert sorted(indexes) == ["ix_measures_import_run_id", "measures"]


def test_the_vocabulary_loads_the_measure_codes_without_sqlalchemy():
    import subprocess
    import sys

    code = "import sys, csdesk.vocab as v; print(len(v.MEASURES), 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["9", "False"]


def test_an_events_kind_channel_severity_and_source_are_stored_as_codes(demo_book):
    conn = sqlite3.connect(demo_book)
    try:
        kinds = dict(conn.execute("SELECT typeof(kind), count(*) FROM timeline_events GROUP BY 1").fetchall())
        coded = conn.execute(
            "SELECT count(*) FROM timeline_events WHERE typeof(source) = 'integer' "
            "AND typeof(channel) IN ('integer', 'null') AND typeof(severity) IN ('integer', 'null')"
        ).fetchone()[0]
        events = conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0]
        kind_index = _bytes(conn, "ix_timeline_events_kind")
    finally:
        conn.close()
    assert kinds == {"integer": events}
    assert coded == events
    # As text (``revenue_change``, ``meeting``) an entry took about 15 bytes.
    assert kind_index / events < 12
    db = open_database(demo_book)
    try:
        tickets = timeline.list_events(db, 1, kinds=["ticket"]) + timeline.list_events(db, 2, kinds=["ticket"])
    finally:
        db.dispose()
    assert tickets and {e.kind for e in tickets} == {"ticket"}
    assert {e.severity for e in tickets} <= {"low", "medium", "high", "critical"}
    assert {e.source for e in tickets} <= {"manual", "import", "auto"}


def test_a_v1_books_events_get_their_codes_and_stay_searchable(tmp_path):
    path = tmp_path / "book.sqlite"
    shutil.copyfile(FIXTURE, path)
    db = open_database(path)
    try:
        before = {(h.event.kind, h.event.channel, h.event.severity, h.event.source) for h in timeline.search(db, "exportar")}
        account = timeline.search(db, "exportar")[0].event.account_id
        # Events written after the upgrade reach the search index (its triggers were made again).
        added = timeline.add_event(db, account, kind="ticket", title="Falha na integração", severity="high")
        found = [h.event.id for h in timeline.search(db, "integracao")]
        kinds = {e.kind for e in timeline.list_events(db, account)}
    finally:
        db.dispose()
    assert before and all(isinstance(k, str) and not k.isdigit() for k, *_ in before)
    assert found == [added.id]
    assert "ticket" in kinds
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute(
            "SELECT DISTINCT typeof(kind), typeof(source) FROM timeline_events"
        ).fetchall()
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    finally:
        conn.close()
    assert stored == [("integer", "integer")]
    assert {"timeline_fts_ai", "timeline_fts_ad", "timeline_fts_au"} <= triggers


def test_every_event_word_has_a_stored_code():
    from csdesk import vocab
    from db import codes

    assert set(vocab.EVENT_KINDS) == set(codes.EVENT_KIND_CODES)


def test_survey_answers_keep_their_moment_as_seconds_new_and_upgraded(demo_book, tmp_path):
    from datetime import datetime

    from db.models import SurveyResponse

    conn = sqlite3.connect(demo_book)
    try:
        kinds = conn.execute("SELECT DISTINCT typeof(answered_at) FROM survey_responses").fetchall()
    finally:
        conn.close()
    assert kinds == [("integer",)]
    path = tmp_path / "v1.sqlite"
    shutil.copyfile(FIXTURE, path)
    db = open_database(path)
    try:
        with db.session() as s:
            answered = s.scalars(select(SurveyResponse.answered_at)).all()
            since = s.scalars(
                select(SurveyResponse.id).where(SurveyResponse.answered_at >= datetime(2026, 1, 3, 10))
            ).all()
    finally:
        db.dispose()
    assert answered == [datetime(2026, 1, 3, 10)]
    assert len(since) == 1
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute("SELECT typeof(answered_at) FROM survey_responses").fetchall()
    finally:
        conn.close()
    assert stored == [("integer",)]
