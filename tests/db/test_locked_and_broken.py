"""Files CSDesk must refuse with a clear message and never modify."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import db.engine
from db import DatabaseError, open_database


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch):
    # Waiting 5 s for a lock is right for users, too slow for tests.
    monkeypatch.setattr(db.engine, "BUSY_TIMEOUT_MS", 200)


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def make_book(path: Path, journal: str) -> None:
    database = open_database(path)
    with database.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (name, name_key, mrr_cents, currency, stage, status, custom_fields) "
            "VALUES ('Padaria Pitanga', 'padaria pitanga', 100, 'BRL', 'onboarding', 'active', '{}')"
        )
    database.dispose()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.close()


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_database_locked_by_another_program_is_refused_and_untouched(tmp_path, journal):
    path = tmp_path / "book.sqlite"
    make_book(path, journal)
    holder = sqlite3.connect(path, isolation_level=None)
    # What another program holding the file does: an exclusive lock it keeps.
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE accounts SET mrr_cents = mrr_cents")
    before = files(path)
    try:
        with pytest.raises(DatabaseError) as info:
            open_database(path)
        message = str(info.value)
        assert str(path) in message and "locked by another program" in message
        assert "\n" not in message
        assert files(path) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    open_database(path).dispose()  # once released, it opens


def test_read_only_file_is_refused_even_for_root(tmp_path, monkeypatch):
    path = tmp_path / "book.sqlite"
    make_book(path, "DELETE")
    before = files(path)
    real_access = os.access
    monkeypatch.setattr(
        db.engine.os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    with pytest.raises(DatabaseError, match="read-only") as info:
        open_database(path)
    assert str(path) in str(info.value)
    assert files(path) == before


def test_read_only_folder_is_refused_for_a_new_database(tmp_path, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(
        db.engine.os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    with pytest.raises(DatabaseError, match="read-only"):
        open_database(tmp_path / "new.sqlite")
    assert not (tmp_path / "new.sqlite").exists()


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
@pytest.mark.parametrize("header_count", ["kept", "stale"])
def test_truncated_database_is_refused_and_untouched(tmp_path, journal, header_count):
    """Refused from the page count in its header, or (when that count is stale) by SQLite's own
    reading; either way no -wal or -shm file is left beside it."""
    path = tmp_path / "book.sqlite"
    make_book(path, journal)
    data = bytearray(path.read_bytes()[: len(path.read_bytes()) // 3])
    if header_count == "stale":
        data[92:96] = (int.from_bytes(data[92:96], "big") + 1).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    before = files(path)
    with pytest.raises(DatabaseError) as info:
        open_database(path)
    assert str(path) in str(info.value) and "nothing was changed" in str(info.value).lower()
    assert files(path) == before


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_another_applications_sqlite_file_is_refused_byte_for_byte_untouched(tmp_path, journal):
    path = tmp_path / "invoices.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
    conn.executemany("INSERT INTO invoices (total) VALUES (?)", [(i,) for i in range(100)])
    conn.commit()
    conn.close()
    before = files(path)
    assert list(before) == ["invoices.db"]
    with pytest.raises(DatabaseError, match="not a CSDesk database") as info:
        open_database(path)
    assert "nothing was changed" in str(info.value).lower()
    assert files(path) == before  # the header too: not switched to WAL


def test_a_foreign_file_with_a_log_left_beside_it_keeps_both(tmp_path):
    """A -wal file left by a program that stopped without closing is not copied into the file."""
    import shutil

    running = tmp_path / "running.db"
    owner = sqlite3.connect(running, isolation_level=None)
    owner.execute("PRAGMA journal_mode=WAL")
    owner.execute("PRAGMA wal_autocheckpoint=0")
    owner.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    owner.execute("INSERT INTO invoices DEFAULT VALUES")
    path = tmp_path / "invoices.db"
    try:
        for suffix in ("", "-wal", "-shm"):  # what a crash leaves behind
            shutil.copyfile(f"{running}{suffix}", f"{path}{suffix}")
    finally:
        owner.close()
    main_file, log = path.read_bytes(), Path(f"{path}-wal").read_bytes()
    assert log  # the table and its row are only in the log
    with pytest.raises(DatabaseError, match="not a CSDesk database"):
        open_database(path)
    assert path.read_bytes() == main_file
    assert Path(f"{path}-wal").read_bytes() == log


def test_garbage_after_a_sqlite_header_is_refused_and_untouched(tmp_path):
    path = tmp_path / "fake.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    before = files(path)
    with pytest.raises(DatabaseError) as info:
        open_database(path)
    assert str(path) in str(info.value)
    assert files(path) == before


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 a zip file, maybe an xlsx", b"Conta;MRR\nPadaria;100\n", b"\x00" * 100],
    ids=["zip", "csv", "zeros"],
)
def test_other_files_are_refused_and_untouched(tmp_path, content):
    path = tmp_path / "carteira.sqlite"
    path.write_bytes(content)
    with pytest.raises(DatabaseError, match="not a CSDesk database"):
        open_database(path)
    assert path.read_bytes() == content


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DatabaseError, match="folder"):
        open_database(tmp_path)


def test_an_empty_file_becomes_a_new_database(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    open_database(path).dispose()
    assert path.stat().st_size > 0


def test_the_cli_reports_a_locked_database_in_one_line(tmp_path, capsys):
    from cli.main import main

    path = tmp_path / "book.sqlite"
    make_book(path, "WAL")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE accounts SET mrr_cents = mrr_cents")
    try:
        assert main(["--db", str(path), "accounts"]) == 2
        err = capsys.readouterr().err
        assert "locked by another program" in err and err.count("\n") == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
