"""Opening a CSDesk database: one engine per database, checked before use.

Problems of the user's world (not a database, locked, read-only, corrupt,
newer schema) raise :class:`DatabaseError` with a message that names the file
and what to do; the file is never modified in those cases.

Opening an up-to-date SQLite file needs only the standard ``sqlite3`` module:
SQLAlchemy (a third of a second to import) is loaded when the first session or
engine is asked for, so the window can show the book before that.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024  # files up to this size are fully checked on open


class DatabaseError(Exception):
    """A database that cannot be used as it is; the message says why and what to do."""


class Database:
    """An open, migrated database: its engine and sessions, created on first use."""

    def __init__(self, url: str, location: str, sqlite_path: Path | None, engine: Engine | None = None):
        self.url = url
        self.location = location  # a file path for SQLite, else the URL without password
        self.sqlite_path = sqlite_path  # None for in-memory and server databases
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()  # the GUI and background jobs may ask first at once

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _create_engine(self.url)
            return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        engine = self.engine
        with self._lock:
            if self._sessions is None:
                from sqlalchemy.orm import sessionmaker

                self._sessions = sessionmaker(engine, expire_on_commit=False)
            return self._sessions

    def session(self) -> Session:
        """A session for reading (or for a caller that manages its own transaction)."""
        return self.sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one write transaction, committed on success.

        On SQLite it takes the write lock at BEGIN: a transaction that reads and
        then writes must not find, at its first write, that another connection
        (a background job, the GUI) committed meanwhile — SQLite would fail it
        at once instead of waiting.
        """
        with self.sessions(bind=self.engine.execution_options(csdesk_write=True)) as session:
            with session.begin():
                yield session

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A driver-level (DB-API) connection for one bulk read, closed afterwards.

        For a SQLite file it is a plain ``sqlite3`` connection, so reading the
        book at start-up does not wait for SQLAlchemy to be imported.
        """
        if self.sqlite_path is not None:
            connection = sqlite3.connect(self.sqlite_path, timeout=BUSY_TIMEOUT_MS / 1000)
            _set_sqlite_pragmas(connection, None)
        else:
            connection = self.engine.raw_connection()
        try:
            yield connection
        finally:
            connection.close()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()


def to_url(path_or_url: str | os.PathLike[str]) -> str:
    """A plain path becomes a SQLite URL; a SQLAlchemy URL is kept as it is."""
    text = os.fspath(path_or_url)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would break SAVEPOINTs and DDL inside
    # transactions; SQLAlchemy's documented recipe hands control to us.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA journal_mode=WAL")  # a no-op for in-memory databases
    cursor.close()


def _create_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def _begin_sqlite(conn) -> None:
    immediate = conn.get_execution_options().get("csdesk_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _check_sqlite_file(path: Path, create: bool) -> None:
    """Refuse, without touching it, a file that is not a usable SQLite database."""
    if not path.exists():
        if not create:
            raise DatabaseError(f"{path}: no such database. Choose an existing file or create a new one.")
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise DatabaseError(f"{path.parent}: folder is read-only; choose a folder you can write to.")
        return
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a CSDesk database.")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot be read ({exc.strerror}). Check its permissions.") from exc
    if path.stat().st_size == 0:
        return  # an empty file is a new database
    if header != SQLITE_HEADER:
        raise DatabaseError(f"{path}: is not a CSDesk database (not an SQLite file). Nothing was changed.")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            f"{path}: is read-only. Copy it to a folder you can write to, or change its permissions."
        )
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # Reading the schema catches a damaged first page; a full scan would cost
        # ~5 ms per MB, so big books get it in the background (verify_integrity).
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if path.stat().st_size <= FULL_CHECK_MAX_BYTES:
            _raise_if_damaged(path, probe)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(f"{path}: is locked by another program. Close it and try again.") from exc
        raise DatabaseError(f"{path}: cannot be opened ({exc}). Nothing was changed.") from exc
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: is damaged or not a database ({exc}). Nothing was changed.") from exc
    finally:
        probe.close()


def _raise_if_damaged(path: Path, connection: sqlite3.Connection) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()
    if result is None or result[0] != "ok":
        raise DatabaseError(
            f"{path}: is damaged ({result[0] if result else 'unreadable'}). "
            "Restore it from a backup; nothing was changed."
        )


def verify_integrity(path: str | os.PathLike[str]) -> None:
    """Scan a whole SQLite file read-only; raise DatabaseError if it is damaged.

    Slow on a big book (seconds): the GUI runs it in the background after opening.
    """
    path = Path(path)
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        _raise_if_damaged(path, probe)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: is damaged ({exc}). Restore it from a backup.") from exc
    finally:
        probe.close()


def _is_current_sqlite_book(path: Path) -> bool:
    """True for an existing CSDesk file at the current schema with everything installed.

    Such a file needs no migration and no DDL, so it opens with ``sqlite3`` alone.
    Taking and releasing the write lock checks that no other program holds it.
    """
    from db import schema, search

    if not path.is_file() or path.stat().st_size == 0:
        return False
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "schema_info" not in names or not search.installed_in(names):
            return False
        row = connection.execute("SELECT version FROM schema_info").fetchone()
        if row is None or row[0] != schema.CURRENT_VERSION:
            return False
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            return False
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(f"{path}: is locked by another program. Close it and try again.") from exc
        return False  # let the full open explain it
    finally:
        connection.close()


def open_database(path_or_url: str | os.PathLike[str], *, create: bool = True) -> Database:
    """Open (creating if asked) and migrate a database to the current schema."""
    url = to_url(path_or_url)
    path = _sqlite_file(url)
    if path is not None:
        _check_sqlite_file(path, create)
        if _is_current_sqlite_book(path):
            return Database(url, str(path), path)
    return _open_with_sqlalchemy(url, path)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for in-memory and server databases."""
    if url.startswith("sqlite:///") and "?" not in url:  # what to_url makes of a path
        return Path(url.removeprefix("sqlite:///"))
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def _open_with_sqlalchemy(url: str, sqlite_path: Path | None) -> Database:
    """Create, upgrade or install what a database lacks (this needs SQLAlchemy)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from db import schema, search

    location = str(sqlite_path) if sqlite_path else make_url(url).render_as_string(hide_password=True)
    engine = _create_engine(url)
    try:
        schema.upgrade(engine, location)
        search.install(engine)
    except schema.SchemaError as exc:
        engine.dispose()
        raise DatabaseError(str(exc)) from exc
    except DBAPIError as exc:
        engine.dispose()
        message = str(exc.orig) if exc.orig else str(exc)
        if "locked" in message or "busy" in message:
            raise DatabaseError(f"{location}: is locked by another program. Close it and try again.") from exc
        if "readonly" in message.replace(" ", "") or "read-only" in message:
            raise DatabaseError(f"{location}: is read-only; nothing was changed.") from exc
        raise DatabaseError(f"{location}: cannot be used ({message}). Nothing was changed.") from exc
    return Database(url, location, sqlite_path, engine)
