"""A shared book on PostgreSQL against a SQLite file, measured in the same run.

- a 100,000-row accounts import into a new book, and the same file again (all unchanged);
- full-text search over 1,000,000 events: a rare word, a prefix without accents, two
  words, a common word (the 200 newest of many).

Each PostgreSQL figure is reported with the SQLite figure of the same step as its
baseline (ratio = PostgreSQL / SQLite). Skipped without a server: run it with
``CSDESK_TEST_DB=postgresql+psycopg://... make bench`` (or ``--db-url``).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csdesk import importing, timeline
from db import encoding, open_database
from db import search as db_search
from db.codes import EVENT_KIND_CODES, EVENT_SOURCE_CODES
from tests.benchmarks.bench_import import ROWS, write_accounts_csv
from tests.support import servers

pytestmark = [pytest.mark.benchmark, pytest.mark.postgresql]

EVENTS = 1_000_000
ACCOUNTS = 1_000
WORDS = (
    "renovação contrato integração reunião treinamento proposta usuários relatório financeiro "
    "suporte chamado faturamento adoção painel metas diretoria expansão módulo acesso senha"
).split()
SEARCHES = (
    ("a rare word", "xerimbabo"),
    ("a rare word without its accents, as a prefix", "XERIMB"),
    ("two words", "diretoria xerimbabo"),
    ("a common word (200 newest of many)", "renovação"),
    ("a common prefix (200 newest of many)", "reun"),
)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def server_book() -> str:
    return servers.schema_url(servers.create_schema())


def import_into(location, path: Path, expect: str) -> float:
    db = open_database(location)
    try:

        def run() -> None:
            result = importing.run_import(db, importing.prepare(path), accept_rejects=True)
            assert getattr(result, expect) == ROWS

        return seconds(run)
    finally:
        db.dispose()


def test_import_100k_accounts_on_postgresql(tmp_path, bench_report):
    path = tmp_path / "carteira_100k.csv"
    write_accounts_csv(path)
    file_book, shared = tmp_path / "import.sqlite", server_book()
    for step, expect in (("new book", "created"), ("same file again, all unchanged", "unchanged")):
        on_file = import_into(file_book, path, expect)
        on_server = import_into(shared, path, expect)
        bench_report.add(
            f"PostgreSQL: import 100k accounts ({step})",
            on_server * 1000,
            baseline_name="the same import into a SQLite file",
            baseline=on_file * 1000,
            goal="report",
        )


def _events(account_ids: list[int]) -> list[tuple]:
    rng = random.Random(7)
    start = datetime(2019, 1, 1, 9)
    kinds = ("note", "call", "meeting", "email", "ticket", "nps")
    return [
        (
            rng.choice(account_ids),
            start + timedelta(minutes=rng.randrange(0, 60 * 24 * 365 * 7)),
            EVENT_KIND_CODES.index(rng.choice(kinds)),  # coded columns take their stored form
            " ".join(rng.sample(WORDS, 4)).capitalize(),
            "**" + " ".join(rng.sample(WORDS, 12)) + "**\n\n- " + " ".join(rng.sample(WORDS, 6)),
            EVENT_SOURCE_CODES.index(rng.choice(("manual", "import", "auto"))),
        )
        for _ in range(EVENTS)
    ]


def _book_with_events(location, tmp_path: Path):
    csv = tmp_path / "contas.csv"
    csv.write_text(
        "Cliente;Mensalidade;Status\n" + "".join(f"Empresa {i};R$ 100,00;Ativo\n" for i in range(ACCOUNTS)),
        encoding="utf-8",
    )
    db = open_database(location)
    importing.run_import(db, importing.prepare(csv))
    with db.engine.connect() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM accounts ORDER BY id")]
    rows = _events(ids)
    if db.sqlite_path is not None:
        with db.engine.begin() as conn, db_search.bulk_insert(conn):
            conn.exec_driver_sql(
                "INSERT INTO timeline_events (account_id, occurred_at, kind, title, body, source, data) "
                "VALUES (?, ?, ?, ?, ?, ?, '{}')",
                [(a, encoding.encode_epoch_seconds(o), k, t, b, s) for a, o, k, t, b, s in rows],
            )
    else:
        # COPY without the search index, built once afterwards (as a restore would).
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX {db_search.PG_INDEX}")
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            columns = "account_id, occurred_at, kind, title, body, source, data"
            with cursor.copy(f"COPY timeline_events ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, "{}"))
            raw.driver_connection.commit()
        finally:
            raw.close()
        db_search.install(db.engine)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE timeline_events")
    rare = timeline.add_event(
        db,
        ids[len(ids) // 2],
        kind="note",
        title="Reunião com a diretoria",
        body="Querem integrar com o **Xerimbabo**.",
        occurred_at=datetime(2021, 5, 4, 10),
    )
    return db, rare.id


def test_search_over_a_million_events_on_postgresql(tmp_path, bench_report):
    file_db, file_rare = _book_with_events(tmp_path / "search.sqlite", tmp_path)
    server_db, server_rare = _book_with_events(server_book(), tmp_path)
    try:
        for db, rare in ((file_db, file_rare), (server_db, server_rare)):
            assert [h.event.id for h in timeline.search(db, "xerimbabo")] == [rare]
            assert len(timeline.search(db, "renovação")) == 200
        for name, words in SEARCHES:
            on_file = min(seconds(lambda w=words: timeline.search(file_db, w)) for _ in range(5))
            on_server = min(seconds(lambda w=words: timeline.search(server_db, w)) for _ in range(5))
            bench_report.add(
                f"PostgreSQL: search 1M events, {name}",
                on_server * 1000,
                baseline_name="the same search on a SQLite file (FTS5)",
                baseline=on_file * 1000,
                goal="report",
            )
    finally:
        file_db.dispose()
        server_db.dispose()
