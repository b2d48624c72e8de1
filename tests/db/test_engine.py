import sqlite3
import sys

import pytest
from sqlalchemy import text

from db import DatabaseError, open_database
from db.engine import verify_integrity
from db.schema import CURRENT_VERSION


@pytest.mark.sqlite_file(
    "checks the SQLite file itself (WAL, pragmas, permissions, the sqlite3-only start-up)"
)
def test_new_database_is_created_at_current_version_with_wal_and_foreign_keys(db_path):
    db = open_database(db_path)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == CURRENT_VERSION
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.dispose()


def test_missing_file_is_refused_when_not_creating(tmp_path):
    with pytest.raises(DatabaseError, match="no such database"):
        open_database(tmp_path / "nope.sqlite", create=False)


def test_text_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("hello, not a database")
    with pytest.raises(DatabaseError, match="not a CSDesk database"):
        open_database(path)
    assert path.read_text() == "hello, not a database"


def test_corrupt_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "broken.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # wreck a page
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(DatabaseError):
        open_database(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="not a CSDesk database"):
        open_database(path)


@pytest.mark.sqlite_file(
    "checks the SQLite file itself (WAL, pragmas, permissions, the sqlite3-only start-up)"
)
def test_newer_schema_is_refused_and_left_untouched(db_path):
    open_database(db_path).dispose()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE schema_info SET version = ?", (CURRENT_VERSION + 1,))
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer CSDesk"):
        open_database(db_path)
    assert db_path.read_bytes() == before


@pytest.mark.sqlite_file(
    "checks the SQLite file itself (WAL, pragmas, permissions, the sqlite3-only start-up)"
)
def test_read_only_file_is_refused(db_path):
    open_database(db_path).dispose()
    db_path.chmod(0o444)
    try:
        import os

        if os.access(db_path, os.W_OK):  # root ignores permission bits
            pytest.skip("running as a user that can write read-only files")
        with pytest.raises(DatabaseError, match="read-only"):
            open_database(db_path)
    finally:
        db_path.chmod(0o644)


def test_verify_integrity_finds_damage_in_data_pages_of_big_files(tmp_path, monkeypatch):
    """Big files are fully scanned in the background (open reads only the schema)."""
    import db.engine

    path = tmp_path / "big.sqlite"
    open_database(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("CREATE TABLE filler (x)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 400)
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[-8192:-4096] = b"\xff" * 4096  # wreck a data page near the end, not the schema
    path.write_bytes(bytes(data))
    monkeypatch.setattr(db.engine, "FULL_CHECK_MAX_BYTES", 0)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="damaged"):
        verify_integrity(path)
    assert path.read_bytes() == before


@pytest.mark.sqlite_file(
    "checks the SQLite file itself (WAL, pragmas, permissions, the sqlite3-only start-up)"
)
def test_write_transactions_take_the_write_lock_at_their_first_statement(db_path):
    """A read-then-write transaction cannot be overtaken by another writer (SQLite's
    'database is locked' at the first write, which no busy timeout waits for)."""
    db = open_database(db_path)
    other = sqlite3.connect(db_path, timeout=0)
    try:
        with db.session() as session:  # a reader leaves other writers free
            session.execute(text("SELECT count(*) FROM accounts")).scalar()
            other.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            other.commit()
        with db.transaction() as session:
            session.execute(text("SELECT count(*) FROM accounts")).scalar()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO settings (key, value) VALUES ('b', '2')")
            session.execute(text("INSERT INTO settings (key, value) VALUES ('c', '3')"))
        keys = [row[0] for row in other.execute("SELECT key FROM settings ORDER BY key")]
        assert keys == ["a", "c"]
    finally:
        other.close()
        db.dispose()


@pytest.mark.sqlite_file(
    "checks the SQLite file itself (WAL, pragmas, permissions, the sqlite3-only start-up)"
)
def test_an_up_to_date_book_opens_and_reads_without_sqlalchemy(db_path):
    """Start-up reads the book before SQLAlchemy is loaded; the ORM still works after."""
    import subprocess
    import sys
    from pathlib import Path

    db = open_database(db_path)
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO accounts (name, name_key, mrr_cents, currency, stage, status, custom_fields) "
                "VALUES ('Padaria Pitanga', 'padaria pitanga', 100, 'BRL', 'onboarding', 'active', '{}')"
            )
        )
    db.dispose()
    script = """
import sys
from db import open_database
db = open_database(sys.argv[1])
with db.reading() as connection:
    print(connection.execute("SELECT name FROM accounts").fetchall()[0][0])
print("sqlalchemy" in sys.modules)
from sqlalchemy import text
with db.session() as session:
    print(session.execute(text("SELECT count(*) FROM accounts")).scalar())
db.dispose()
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script, str(db_path)], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.split("\n")[:3] == ["Padaria Pitanga", "False", "1"]


ODD_NAMES = [
    "q?mode=ro.sqlite",
    "a%20b.sqlite",
    "c%41.sqlite",
    "h#x.sqlite",
    "file:b.sqlite",
    "sqlite:x.sqlite",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_path_opens_exactly_that_file(tmp_path, name):
    """No URL interpretation of a path: ?, #, % and colons are plain characters of a name."""
    folder = tmp_path / "books"
    folder.mkdir()
    path = folder / name
    db = open_database(path)
    with db.transaction() as session:
        session.execute(text("INSERT INTO settings (key, value) VALUES ('who', :name)"), {"name": name})
    db.dispose()
    reopened = open_database(path, create=False)
    try:
        assert reopened.location == str(path)
        with reopened.session() as session:
            assert session.execute(text("SELECT value FROM settings WHERE key = 'who'")).scalar() == name
    finally:
        reopened.dispose()
    verify_integrity(path)
    assert sorted(p.name for p in folder.iterdir()) == [name]


@pytest.mark.parametrize("name", ["q?mode=ro.sqlite", "a%20b.sqlite", "h#x.sqlite"])
def test_the_cli_opens_odd_names_exactly(tmp_path, monkeypatch, capsys, name):
    from cli.main import main

    monkeypatch.chdir(tmp_path)  # a relative path, as typed
    for _ in range(2):  # creating it, then opening it
        assert main(["--db", name, "accounts", "--format", "json"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == [name]


def test_a_sqlalchemy_url_is_still_a_url(tmp_path):
    path = tmp_path / "by url.sqlite"
    db = open_database(f"sqlite:///{path}")
    try:
        assert db.sqlite_path == path and db.location == str(path)
        with db.session() as session:
            assert session.execute(text("SELECT version FROM schema_info")).scalar() == CURRENT_VERSION
    finally:
        db.dispose()
    assert path.is_file()


def test_a_server_url_without_its_driver_says_what_to_install_and_hides_the_password(monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    url = "postgresql+psycopg://team:s3cret@127.0.0.1:1/csdesk"
    with pytest.raises(DatabaseError) as info:
        open_database(url)
    assert "pip install 'csdesk[postgres]'" in str(info.value) and "s3cret" not in str(info.value)
    assert main(["--db", url, "accounts"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "team:***@127.0.0.1" in err and "s3cret" not in err
