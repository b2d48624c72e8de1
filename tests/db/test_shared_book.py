"""A team's shared book on PostgreSQL: the user's steps give what a SQLite file gives, and two
clients starting on a new book at once create its schema once.

These run in ``make test-postgres`` (a server URL in CSDESK_TEST_DB); ``make test`` skips them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from db import open_database
from db.engine import _create_engine, writing
from tests.support import servers

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent.parent / "shared" / "samples"
AS_OF = "2026-11-20"
# Accounts first, so deals, activities, answers and usage find their companies by name.
ORDER = (
    "salesforce_accounts_report.csv",
    "hubspot_companies_pt-BR.csv",
    "planilha_carteira_pt-BR.csv",
    "pipedrive_negocios_pt-BR.csv",
    "historico_mrr.csv",
    "nps_respostas.csv",
    "pipedrive_atividades_pt-BR.csv",
    "uso_semanal.csv",
)


def run(location, capsys, *args: str) -> str:
    capsys.readouterr()
    code = main(["--lang", "en", "--db", str(location), *args])
    out, err = capsys.readouterr()
    assert code == 0, f"{args}: {err}"
    return out


def steps(location, capsys, tmp_path: Path) -> dict[str, object]:
    """The done-means walk of a shared book; each step's JSON output, by step."""
    seen: dict[str, object] = {}
    run(location, capsys, "demo", "--accounts", "60", "--seed", "3")
    for name in ORDER:
        out = run(
            location, capsys, "import", str(SAMPLES / name), "--as-of", AS_OF, "--yes", "--format", "json"
        )
        report = json.loads(out)
        seen[f"import {name}"] = {k: report[k] for k in ("created", "updated", "unchanged", "rejected")}
    runs = json.loads(run(location, capsys, "imports", "--format", "json"))
    last = max(r["id"] for r in runs)
    run(location, capsys, "import", "--undo", str(last))
    run(
        location,
        capsys,
        "log",
        "1",
        "--kind",
        "note",
        "--title",
        "Reunião de alinhamento: integração ERP",
        "--date",
        "2026-11-20T09:30",
    )
    for words in (["integracao"], ["INTEGRAÇÃO", "erp"], ["reuniao"], ["nps"]):
        hits = json.loads(run(location, capsys, "search", *words, "--format", "json"))
        seen[f"search {words}"] = [(h["account"], h["title"]) for h in hits]
    seen["today"] = json.loads(run(location, capsys, "today", "--format", "json"))
    run(location, capsys, "health", "--recompute")
    seen["health"] = json.loads(run(location, capsys, "health", "--format", "json"))
    seen["metrics"] = json.loads(run(location, capsys, "metrics", "--format", "json"))
    seen["metrics 2026"] = json.loads(
        run(location, capsys, "metrics", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "json")
    )
    seen["accounts"] = json.loads(run(location, capsys, "accounts", "--format", "json"))
    deck = tmp_path / f"qbr-{len(str(location))}.pptx"
    run(location, capsys, "doc", "qbr", "1", "--out", str(deck))
    assert deck.stat().st_size > 10_000
    return seen


def test_a_shared_book_gives_what_a_file_gives(new_database, tmp_path, capsys):
    server = new_database()
    assert "://" in str(server)
    on_server = steps(server, capsys, tmp_path)
    on_file = steps(tmp_path / "reference.sqlite", capsys, tmp_path)
    assert set(on_server) == set(on_file)
    for step in on_file:
        assert on_server[step] == on_file[step], step
    assert on_server["search ['integracao']"], "the search found nothing to compare"


def _waiting_for_the_lock(holder_pid: int) -> int:
    """How many other connections are trying the write lock (pg_stat_activity)."""
    engine = _create_engine(servers.URL, None)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid <> :holder AND pid <> pg_backend_pid() "
                    "AND query LIKE 'SELECT pg_try_advisory_xact_lock%'"
                ),
                {"holder": holder_pid},
            ).scalar()
    finally:
        engine.dispose()


def test_clients_opening_a_new_shared_book_at_once_create_its_schema_once(db_path):
    engine = _create_engine(str(db_path), None)
    holder = writing(engine).execution_options(csdesk_count=False).connect()
    holder.begin()  # the book's write lock, held while the clients start
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    clients = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "csdesk",
                "--lang",
                "en",
                "--db",
                str(db_path),
                "accounts",
                "--format",
                "json",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        deadline = time.monotonic() + 100
        while _waiting_for_the_lock(pid) < len(clients):
            assert time.monotonic() < deadline, "the clients never waited for the lock"
            assert all(c.poll() is None for c in clients), [c.communicate() for c in clients]
            time.sleep(0.2)
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    for client in clients:
        out, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
        assert json.loads(out) == []
    database = open_database(str(db_path))
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schema_info")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    database.dispose()


TEXTS = (
    ("Reunião com ação", "Próximos passos: **integração** com o ERP"),
    ("E-mail de ana@empresa.com.br", "Assunto: AÇÃO_URGENTE — renovação"),
    ("Ótica São João", "1º contato; R$ 1.234,56 por mês"),
    ("naïve café", "ﬁm do piloto… “ótimo”"),
    ("CAIXA ALTA", "Écrã, Übung, Ørsted, Łódź"),
)
QUERIES = (
    "acao",
    "AÇÃO",
    "reun",
    "integ erp",
    "ana",
    "empresa br",
    "urgente",
    "otica sao",
    "1",
    "1234",
    "cafe",
    "naive",
    "fim",
    "otimo",
    "caixa",
    "ecra",
    "ubung",
    "lodz",
    "º",
    "com",
    "x",
)


def test_search_finds_on_a_server_what_it_finds_in_a_file(new_database, tmp_path):
    from csdesk import accounts, timeline

    found = []
    for location in (new_database(), tmp_path / "reference.sqlite"):
        database = open_database(location)
        try:
            account = accounts.create_account(database, accounts.AccountData(name="Padaria Pitanga"))
            for day, (title, body) in enumerate(TEXTS, start=1):
                timeline.add_event(
                    database,
                    account.id,
                    kind="note",
                    title=title,
                    body=body,
                    occurred_at=datetime(2026, 5, day),
                )
            found.append({q: [h.event.title for h in timeline.search(database, q)] for q in QUERIES})
        finally:
            database.dispose()
    on_server, on_file = found
    assert on_server == on_file
    assert on_file["acao"] == ["E-mail de ana@empresa.com.br", "Reunião com ação"]
