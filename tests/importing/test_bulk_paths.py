"""The big-file paths of an import: deferred indexes, chunked search fill, tail progress, PRAGMAs."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import importing
from csdesk.importing import match, write
from csdesk.importing.plan import accounts as plan_accounts
from csdesk.progress import Progress
from db import bulk, search
from db.models import Account
from tests.importing.test_undo_and_safety import snapshot

pytestmark = pytest.mark.sqlite_file(
    "the SQLite bulk-write paths (driver executemany, dropped indexes, WAL checkpoint)"
)


def indexes(db) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        return sorted(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type='index'").all())


def pragma(db, name: str):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_deferred_indexes_and_chunked_search_fill_give_the_same_book(db, samples, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 1)
    monkeypatch.setattr(search, "FILL_CHUNK", 2)
    before = indexes(db)
    cache = pragma(db, "cache_size")
    messages: list[str] = []
    progress = Progress(lambda done, total, message: messages.append(message), min_interval=0)
    result = importing.run_import(
        db,
        importing.prepare(samples / "planilha_carteira_pt-BR.csv"),
        as_of=date(2026, 1, 1),
        progress=progress,
    )
    assert result.created > 0
    assert indexes(db) == before
    assert pragma(db, "integrity_check") == "ok"
    assert pragma(db, "cache_size") == cache  # the import's PRAGMAs were its own
    assert "Indexing…" in messages
    # The tail reports: before the commit, after it, before and during the checkpoint.
    tail = [m for i, m in enumerate(messages) if i == 0 or m != messages[i - 1]]
    assert tail[-3:] == ["Saving…", "Saved.", "Finishing…"]
    with db.engine.connect() as conn:
        # the index matches the events it was filled from (FTS5 checks it against its content)
        conn.exec_driver_sql(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
        count = conn.exec_driver_sql("SELECT count(*) FROM timeline_events").scalar()
        indexed = conn.exec_driver_sql(f"SELECT count(*) FROM {search.FTS_TABLE}").scalar()
    assert indexed == count


def test_a_failure_with_indexes_dropped_restores_them(db, samples, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 1)
    before_indexes, before = indexes(db), snapshot(db)
    real = write._chunks
    calls = {"n": 0}

    def failing(rows, size=write.CHUNK):
        calls["n"] += 1
        if calls["n"] > 1:  # after the accounts went in with their indexes dropped
            raise OSError(28, "No space left on device")
        yield from real(rows, size)

    monkeypatch.setattr(write, "_chunks", failing)
    with pytest.raises(OSError):
        importing.run_import(db, importing.prepare(samples / "planilha_carteira_pt-BR.csv"))
    assert indexes(db) == before_indexes
    assert snapshot(db) == before


class _Clock:
    """A monotonic clock that starts at zero, as on a machine just booted."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_heartbeat_repeats_the_last_report_only_after_the_interval():
    seen: list[tuple[int, int, str]] = []
    clock = _Clock()
    progress = Progress(lambda *report: seen.append(report), min_interval=3600, clock=clock)
    progress.heartbeat()  # nothing reported yet: nothing to repeat
    progress.step(1, 10, "Indexing…")  # the first report goes out, though the clock reads 0
    progress.step(2, 10, "Indexing…")  # too soon
    progress.heartbeat()  # too soon
    assert seen == [(1, 10, "Indexing…")]
    clock.now = 3600.0
    progress.heartbeat()
    assert seen == [(1, 10, "Indexing…"), (2, 10, "Indexing…")]
    progress.step(10, 10, "Indexing…")  # the last step always goes out
    assert seen[-1] == (10, 10, "Indexing…")


def test_the_import_is_checkpointed_into_the_database_file_while_reporting(db, samples, db_path):
    messages: list[str] = []
    progress = Progress(lambda done, total, message: messages.append(message), min_interval=0)
    result = importing.run_import(
        db,
        importing.prepare(samples / "planilha_carteira_pt-BR.csv"),
        as_of=date(2026, 1, 1),
        progress=progress,
    )
    assert messages[-1] == "Finishing…"
    # Read the database file alone (immutable: SQLite ignores the WAL): the import is in it.
    import sqlite3

    plain = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        assert plain.execute("SELECT count(*) FROM accounts").fetchone()[0] == result.created
    finally:
        plain.close()


def test_constant_columns_are_written_as_literals_with_the_same_values(db):
    from db.models import Account

    rows = {
        "name": ["O'Brien Ltda", "O'Brien Ltda", "O'Brien Ltda"],
        "name_key": ["a", "b", "c"],
        "mrr_cents": [100, 100, 100],
        "licensed_users": [1, True, 1],  # equal, not the same type: bound
        "health_score": [0.5, 0.5, 0.5],  # floats are always bound
        "currency": ["BRL", "BRL", "BRL"],
        "stage": ["onboarding"] * 3,
        "status": ["active"] * 3,
        "custom_fields": [{}, {}, {}],
        "contract_start": [date(2026, 1, 2)] * 3,
        "owner": [None, None, None],
    }
    with db.transaction() as session:
        write._insert_columns(session.connection(), Account.__table__, rows)
    with db.engine.connect() as conn:
        got = conn.exec_driver_sql(
            "SELECT name, name_key, mrr_cents, licensed_users, typeof(health_score), currency, "
            "custom_fields, contract_start, owner FROM accounts ORDER BY id"
        ).all()
    assert [tuple(r) for r in got] == [
        ("O'Brien Ltda", key, 100, 1, "real", "BRL", "{}", "2026-01-02", None) for key in "abc"
    ]


def written_revenue(db) -> tuple[list[tuple], list[tuple]]:
    with db.engine.connect() as conn:
        changes = conn.exec_driver_sql(
            "SELECT account_id, effective_date, kind, mrr_before_cents, mrr_after_cents, reason, source, "
            "import_run_id, import_key FROM revenue_changes ORDER BY account_id, effective_date, kind"
        ).all()
        events = conn.exec_driver_sql(
            "SELECT account_id, occurred_at, kind, subkind, title, body, channel, severity, source, contact_id, "
            "import_run_id, data, import_key FROM timeline_events ORDER BY account_id, occurred_at, subkind"
        ).all()
    return [tuple(r) for r in changes], [tuple(r) for r in events]


@pytest.mark.parametrize("language", ["en", "pt_BR"])
def test_new_revenue_written_in_bulk_is_what_the_row_by_row_path_writes(
    tmp_path, samples, monkeypatch, language
):
    from csdesk import i18n
    from db import open_database

    i18n.set_language(language)
    written = []
    used: list[object] = []
    from csdesk import ledger

    real = ledger.first_movement_sql

    def recorded(*args):
        used.append(real(*args))
        return used[-1]

    for name, bulk_sql in (("bulk", recorded), ("rows", lambda *args: None)):
        monkeypatch.setattr(ledger, "first_movement_sql", bulk_sql)
        db = open_database(tmp_path / f"{name}.sqlite")
        try:
            importing.run_import(
                db, importing.prepare(samples / "planilha_carteira_pt-BR.csv"), as_of=date(2026, 1, 1)
            )
            written.append(written_revenue(db))
        finally:
            db.dispose()
    assert used and used[0] is not None  # the bulk path was taken
    (bulk_changes, bulk_events), (row_changes, row_events) = written
    assert bulk_changes == row_changes and len(bulk_changes) > 30
    assert bulk_events == row_events
    assert any(e[3] == "churn" for e in row_events)  # the other kinds keep their own path


def test_unchanged_accounts_recognised_on_stored_values_as_the_full_comparison_would(
    tmp_path, samples, monkeypatch
):
    """A newer export touching each field in turn plans the same with and without the quick check."""
    from db import open_database

    def snapshot(db):
        with db.engine.connect() as conn:
            accounts = conn.exec_driver_sql("SELECT * FROM accounts ORDER BY id").mappings().all()
            changes = conn.exec_driver_sql(
                "SELECT table_name, row_id, action, before FROM import_changes ORDER BY id"
            ).all()
        drop = ("created_at", "updated_at")
        rows = [{k: v for k, v in a.items() if k not in drop} for a in accounts]
        return rows, [tuple(c) for c in changes], written_revenue(db)

    source = samples / "planilha_carteira_pt-BR.csv"
    lines = source.read_text(encoding="cp1252").splitlines()
    header, rows = lines[0], [line.split(";") for line in lines[1:]]
    edits = [
        lambda r: r.__setitem__(4, "R$ 9.999,99"),  # MRR
        lambda r: r.__setitem__(8, "Cancelado"),  # churned
        lambda r: r.__setitem__(3, "Onboarding"),  # stage
        lambda r: r.__setitem__(0, r[0].upper()),  # the same name, written differently
        lambda r: r.__setitem__(7, "Carla Dias"),  # owner
        lambda r: r.__setitem__(9, "Preço"),  # a churn reason
        lambda r: r.__setitem__(9, "Mudou de ramo"),  # a reason outside the vocabulary (custom field)
        lambda r: r.__setitem__(5, ""),  # an empty cell changes nothing
    ]
    for number, row in enumerate(rows):
        edits[number % len(edits)](row)
    newer = tmp_path / "newer.csv"
    newer.write_text("\n".join([header, *(";".join(r) for r in rows)]), encoding="cp1252")

    outcomes = []
    for name in ("quick", "full"):
        if name == "full":
            monkeypatch.setattr(match.ImportBook, "unread", lambda self, target: None)
        db = open_database(tmp_path / f"{name}.sqlite")
        try:
            importing.run_import(db, importing.prepare(source), as_of=date(2026, 1, 1))
            result = importing.run_import(
                db, importing.prepare(newer), as_of=date(2026, 2, 1), accept_rejects=True
            )
            outcomes.append(
                ((result.created, result.updated, result.unchanged, result.rejected), snapshot(db))
            )
        finally:
            db.dispose()
    assert outcomes[0] == outcomes[1]
    (created, updated, unchanged, _rejected), _ = outcomes[0]
    assert created == 0 and updated > 10 and unchanged > 3


def everything_written(db) -> tuple:
    with db.engine.connect() as conn:
        accounts = conn.exec_driver_sql("SELECT * FROM accounts ORDER BY id").mappings().all()
        changes = conn.exec_driver_sql("SELECT table_name, row_id, action, before FROM import_changes").all()
    drop = ("created_at", "updated_at")
    return (
        [{k: v for k, v in a.items() if k not in drop} for a in accounts],
        sorted(tuple(c) for c in changes),
        written_revenue(db),
    )


TRICKY_ACCOUNTS = "\n".join(
    [
        "Cliente;ID;CNPJ;Site;Fase;Receita recorrente anual;Início do contrato;Renovação;Status;Motivo;Moeda",
        "Padaria Um Ltda;A1;11.222.333/0001-81;padariaum.com.br;Expansão;R$ 12.000,00;01/02/2024;01/02/2027;Ativo;;BRL",
        ";A2;;;;R$ 1.200,00;;;Ativo;;",  # no name: rejected
        "Hotel Dois;A3;;hoteldois.com;;-R$ 1.200,00;;;Ativo;;",  # negative: rejected
        "Rede Três;A4;;;;R$ 2.400,00;10/10/2025;01/01/2025;Ativo;;",  # renewal before start: rejected
        "Escola Quatro;;;;Onboarding;R$ 3.600,00;05/05/2025;;Cancelado;;USD",  # churned, no churn date
        "Farmácia Cinco;A6;;;Adoção contínua;R$ 4.800,00;01/01/2030;;Cancelado;Mudou de ramo;",  # future start
        "Editora Seis;A7;;;;;;;;;",  # no MRR at all
        "Açougue Sete ME;A8;;;Renovação;R$ 0,00;;;Ativo;Preço;",
        "Laboratório Oito;A9;;;;R$ 6.000,00;31/12/2025;;cancelado;Concorrência;",
    ]
)


@pytest.mark.parametrize(
    "name",
    [
        "planilha_carteira_pt-BR.csv",
        "hubspot_companies_pt-BR.csv",
        "salesforce_accounts_report.csv",
        "tricky",
    ],
)
def test_a_file_of_new_accounts_plans_the_same_column_wise_and_row_by_row(
    tmp_path, samples, monkeypatch, name
):
    from db import open_database

    path = samples / name
    if name == "tricky":
        path = tmp_path / "tricky.csv"
        path.write_text(TRICKY_ACCOUNTS, encoding="utf-8")
    outcomes = []
    for mode in ("columns", "rows"):
        taken: list[bool] = []
        real = plan_accounts._only_new

        def only_new(*args, real=real, taken=taken, mode=mode):
            taken.append(real(*args))
            return taken[-1] and mode == "columns"

        monkeypatch.setattr(plan_accounts, "_only_new", only_new)
        db = open_database(tmp_path / f"{mode}.sqlite")
        try:
            # A book with another account first: the file's rows still all create.
            with db.transaction() as session:
                write._insert_columns(
                    session.connection(),
                    Account.__table__,
                    {
                        "name": ["Outra Empresa"],
                        "name_key": ["outra empresa"],
                        "mrr_cents": [100],
                        "currency": ["BRL"],
                        "stage": ["onboarding"],
                        "status": ["active"],
                        "custom_fields": [{}],
                    },
                )
            prepared = importing.prepare(path)
            prepared.date_order = prepared.date_order or "dmy"
            prepared.refresh()
            result = importing.run_import(db, prepared, as_of=date(2026, 6, 30), accept_rejects=True)
            outcomes.append(
                (
                    result.created,
                    result.updated,
                    result.unchanged,
                    result.rejected,
                    [e.as_dict() for e in result.errors],
                    result.account_ids,
                    everything_written(db),
                )
            )
        finally:
            db.dispose()
        assert taken == [True]  # the file qualifies for the column-wise plan
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] > 0


def test_values_without_an_exact_literal_are_bound(db):
    from db.models import Account

    long_name = "Empresa " + "x" * 400
    rows = {
        "name": [long_name] * 3,  # too long for a literal: bound
        "name_key": ["a", "b", "c"],
        "mrr_cents": [2**62] * 3,
        "currency": ["BRL"] * 3,
        "stage": ["onboarding"] * 3,
        "status": ["active"] * 3,
        "custom_fields": [{"nota": "ação"}] * 3,  # not empty: encoded per row
    }
    assert write._sql_literal(long_name) is None and write._sql_literal(2**63) is None
    assert write._sql_literal("a\x00b") is None and write._sql_literal(0.5) is None
    with db.transaction() as session:
        write._insert_columns(session.connection(), Account.__table__, rows)
    with db.engine.connect() as conn:
        got = conn.exec_driver_sql("SELECT name, mrr_cents, custom_fields FROM accounts").all()
    assert [tuple(r) for r in got] == [(long_name, 2**62, '{"nota": "ação"}')] * 3
