"""Opening a CSDesk database: one engine per database, checked before use.

Problems of the user's world (not a database, locked, read-only, corrupt,
newer schema) raise :class:`DatabaseError` with a message that names the file
and what to do; the file is never modified in those cases.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db import schema, search

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024  # files up to this size are fully checked on open


class DatabaseError(Exception):
    """A database that cannot be used as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Database:
    """An open, migrated database: the engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]
    location: str  # a file path for SQLite, else the URL without password

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

    def dispose(self) -> None:
        self.engine.dispose()


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


def open_database(path_or_url: str | os.PathLike[str], *, create: bool = True) -> Database:
    """Open (creating if asked) and migrate a database to the current schema."""
    url = make_url(to_url(path_or_url))
    is_sqlite = url.get_backend_name() == "sqlite"
    location = url.render_as_string(hide_password=True)
    if is_sqlite and url.database and url.database != ":memory:":
        path = Path(url.database)
        _check_sqlite_file(path, create)
        location = str(path)
    engine = create_engine(url)
    if is_sqlite:
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
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
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False), location=location)
