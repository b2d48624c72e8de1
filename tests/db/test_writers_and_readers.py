"""Writers wait their turn for the write lock; readers never wait for writers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import db.engine
from db import DatabaseError, open_database
from db.engine import is_url, shown_location
from tests.support.servers import WriteLockHolder

INSERT_ACCOUNT = (
    "INSERT INTO accounts (name, name_key, mrr_cents, currency, stage, status, custom_fields) "
    "VALUES (:n, :k, 100, 'BRL', 'onboarding', 'active', '{}')"
)


class Holder(WriteLockHolder):
    """Another program's write transaction on the same book, with a row not yet committed."""

    def __init__(self, path):
        super().__init__(path)
        self.execute(INSERT_ACCOUNT, {"n": "Uncommitted", "k": "uncommitted"})


@pytest.fixture
def book(db_path):
    from csdesk import health

    database = open_database(db_path)
    with database.transaction() as session:
        session.execute(text(INSERT_ACCOUNT), [{"n": "Padaria Pitanga", "k": "padaria pitanga"}])
    health.list_models(database)  # the default health model is created on first use
    database.dispose()
    return db_path


@pytest.fixture
def holder(book):
    held = Holder(book)
    yield held
    held.close()


def account_names(path) -> list[str]:
    database = open_database(path)
    try:
        with database.session() as session:
            return list(session.execute(text("SELECT name FROM accounts ORDER BY id")).scalars())
    finally:
        database.dispose()


def test_a_write_transaction_waits_for_the_other_writer_and_reports_meanwhile(book, holder):
    database = open_database(book)
    calls = []

    def waiting():
        calls.append(len(calls))
        if len(calls) == 3:
            holder.release(commit=True)  # the other program finishes while this one waits

    try:
        with database.transaction(waiting) as session:
            session.execute(text("UPDATE accounts SET mrr_cents = 200 WHERE name = 'Padaria Pitanga'"))
    finally:
        database.dispose()
    assert len(calls) == 3
    assert account_names(book) == ["Padaria Pitanga", "Uncommitted"]


def test_the_lock_is_taken_before_the_first_read(book, holder):
    """A read-then-write transaction must see what the writer before it committed."""
    database = open_database(book)

    def waiting():
        holder.release(commit=True)

    try:
        with database.transaction(waiting) as session:
            count = session.execute(text("SELECT count(*) FROM accounts")).scalar()
            session.execute(text("UPDATE settings SET value = value"))
    finally:
        database.dispose()
    assert count == 2


def test_a_wait_can_be_cancelled_and_the_database_stays_usable(book, holder):
    class Stop(Exception):
        pass

    database = open_database(book)

    def waiting():
        raise Stop

    try:
        with pytest.raises(Stop):
            with database.transaction(waiting) as session:
                session.execute(text("DELETE FROM accounts"))
        holder.release()
        with database.transaction() as session:
            session.execute(text(INSERT_ACCOUNT), [{"n": "Hotel Ipê", "k": "hotel ipe"}])
    finally:
        database.dispose()
    assert account_names(book) == ["Padaria Pitanga", "Hotel Ipê"]


def test_the_database_default_waiting_applies_when_the_caller_gives_none(book, holder):
    database = open_database(book)
    said = []

    def waiting():
        said.append("waiting")
        holder.release()

    database.waiting = waiting
    try:
        with database.connect(write=True) as conn, conn.begin():
            conn.exec_driver_sql("DELETE FROM accounts")
    finally:
        database.dispose()
    assert said == ["waiting"]
    assert account_names(book) == []


def test_a_writer_nobody_can_cancel_gives_up_with_a_clear_message(book, holder, monkeypatch):
    monkeypatch.setattr(db.engine, "WRITE_WAIT_SECONDS", 0.3)
    database = open_database(book)
    try:
        with pytest.raises(DatabaseError) as info:
            with database.transaction() as session:
                session.execute(text("DELETE FROM accounts"))
    finally:
        database.dispose()
    message = str(info.value)
    assert shown_location(str(book)) in message and "another program has been writing" in message
    assert "\n" not in message and (not is_url(str(book)) or ":***@" in message)
    holder.release()
    assert account_names(book) == ["Padaria Pitanga"]


def test_readers_never_wait_for_a_writer(book, holder, monkeypatch):
    # With no busy timeout at all, any wait for a lock would fail at once.
    monkeypatch.setattr(db.engine, "BUSY_TIMEOUT_MS", 0)
    database = open_database(book)
    try:
        with database.session() as session:
            names = session.execute(text("SELECT name FROM accounts")).scalars().all()
        with database.reading() as connection:
            raw = [row[0] for row in connection.execute("SELECT name FROM accounts")]
        with database.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM accounts").scalar()
    finally:
        database.dispose()
    assert names == raw == ["Padaria Pitanga"] and count == 1  # the last commit, not the writer's row


@pytest.mark.parametrize(
    "command",
    [
        ["accounts", "--format", "json"],
        ["metrics", "--format", "json"],
        ["timeline", "Padaria", "--format", "json"],
        ["health", "--account", "Padaria", "--format", "json"],
    ],
    ids=["accounts", "metrics", "timeline", "health"],
)
def test_read_only_commands_work_while_another_program_writes(book, holder, capsys, monkeypatch, command):
    from cli.main import main

    def no_write_lock(raw, waiting):
        raise AssertionError("a read-only command asked for the write lock")

    monkeypatch.setattr(db.engine, "BUSY_TIMEOUT_MS", 0)
    monkeypatch.setattr(db.engine, "_begin_immediate", no_write_lock)
    monkeypatch.setattr(db.engine, "_pg_try_write_lock", lambda conn: no_write_lock(conn, None))
    assert main(["--db", str(book), *command]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert out and err == ""


def test_the_cli_says_once_that_it_waits_for_another_csdesk(book, holder, capsys, monkeypatch):
    from cli.main import main

    slices = []
    real = db.engine._begin_immediate

    def counting(raw, waiting):
        def counted():
            slices.append(1)
            waiting()
            if len(slices) == 3:
                holder.release()

        return real(raw, counted)

    monkeypatch.setattr(db.engine, "_begin_immediate", counting)
    real_try = db.engine._pg_try_write_lock

    def counting_tries(conn):  # PostgreSQL: each failed try is one slice
        if real_try(conn):
            return True
        slices.append(1)
        if len(slices) == 3:
            holder.release()
        return False

    monkeypatch.setattr(db.engine, "_pg_try_write_lock", counting_tries)
    code = main(["--db", str(book), "log", "Padaria", "--kind", "note", "--title", "Ligação"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(slices) == 3
    assert err == "csdesk: Waiting for another CSDesk…\n"
    assert "Padaria Pitanga" in out
