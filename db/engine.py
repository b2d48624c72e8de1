"""Opening a CSDesk database: one engine per database, checked before use.

Problems of the user's world (not a database, locked, read-only, corrupt,
newer schema) raise :class:`DatabaseError` with a message that names the file
and what to do; the file is never modified in those cases.

A file path is opened exactly as given: it never passes through URL parsing,
so ``?``, ``#`` and ``%`` in a name are plain characters. Only text that starts
with ``scheme://`` is taken as a SQLAlchemy URL.

Writers wait their turn; readers never wait. Every write transaction takes the
write lock when it begins (SQLite: ``BEGIN IMMEDIATE``), before its first read,
and waits for another program's write transaction to end, calling a
``waiting`` callback meanwhile (which may raise to give up). Readers see the
last committed state (WAL) while someone writes.

Opening an up-to-date SQLite file needs only the standard ``sqlite3`` module:
SQLAlchemy (a third of a second to import) is loaded when the first session or
engine is asked for, so the window can show the book before that.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024  # files up to this size are fully checked on open
# A writer retries the write lock every slice, calling its ``waiting`` callback in between
# (so a GUI job reports and can be cancelled, and Ctrl+C reaches the CLI).
WRITE_WAIT_SLICE_MS = 100
# A writer nobody can cancel (no ``waiting`` callback) gives up after this long.
WRITE_WAIT_SECONDS = 300.0

Waiting = Callable[[], None]
"""Called while a write transaction waits for another program's; raises to stop waiting."""

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")  # two letters at least: C:// is a Windows path


class DatabaseError(Exception):
    """A database that cannot be used as it is; the message says why and what to do."""


class ReadOnlyError(DatabaseError):
    """A write asked of a database this connection may only read."""


def is_shared(url: str | None, sqlite_path: Path | None) -> bool:
    """Team mode: the book is not a local SQLite file (nor a private in-memory one) but a server's.

    The one test of team mode: the GUI and the CLI ask ``Database.team``.
    """
    if url is None or sqlite_path is not None:
        return False
    return not url.split(":", 1)[0].lower().startswith("sqlite")


class Database:
    """An open, migrated database: its engine and sessions, created on first use."""

    def __init__(
        self, url: str | None, location: str, sqlite_path: Path | None, engine: Engine | None = None
    ):
        self.url = url  # the SQLAlchemy URL given; None for a file given by its path
        self.location = location  # a file path for SQLite, else the URL without password
        self.sqlite_path = sqlite_path  # None for in-memory and server databases
        # What write transactions call while they wait for another program, when their
        # caller gives nothing: the CLI says so on stderr (and waits until Ctrl+C).
        self.waiting: Waiting | None = None
        # Who writes: the CSM's name, recorded as the author of what they log (None: not set).
        self.user: str | None = None
        self.team = is_shared(url, sqlite_path)
        # A role without write grants (PostgreSQL): every write transaction is refused at once.
        self.read_only = False
        # Values of the change counter that this process's own commits reached (see change_count).
        self._own_changes: set[int] = set()
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()  # the GUI and background jobs may ask first at once

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _create_engine(self.url, self.sqlite_path)
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
    def transaction(self, waiting: Waiting | None = None) -> Iterator[Session]:
        """A session inside one write transaction, committed on success.

        It takes the write lock at BEGIN, waiting for another program's write
        transaction to end (``waiting`` is called meanwhile; see :func:`writing`):
        a transaction that reads and then writes must not find, at its first
        write, that another connection committed meanwhile — SQLite would fail
        it at once instead of waiting.
        """
        with self.sessions(bind=self._writer(self.engine, waiting)) as session:
            with session.begin():
                yield session

    @contextmanager
    def connect(self, *, write: bool = False, waiting: Waiting | None = None) -> Iterator[Connection]:
        """A Core connection, closed afterwards; with ``write``, its transactions take
        the write lock when they begin, as :meth:`transaction` does."""
        with self.engine.connect() as conn:
            if write:
                self._writer(conn, waiting)
            yield conn

    def _writer(self, bind, waiting: Waiting | None):
        if self.read_only:
            raise ReadOnlyError(
                f"{self.location}: this connection may only read (its database role has no write "
                "grants); nothing was changed. Ask the book's administrator for write access."
            )
        return writing(bind, waiting or self.waiting).execution_options(
            csdesk_user=self.user, csdesk_changes=self._own_changes
        )

    def change_count(self) -> int:
        """The book's change counter: one cheap query, raised by every write transaction."""
        with self.reading() as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(CHANGES_QUERY)
                row = cursor.fetchone()
            finally:
                cursor.close()
        return int(row[0]) if row and row[0] is not None else 0

    def changed_by_others(self, seen: int, now: int) -> bool:
        """Whether a counter that went from ``seen`` to ``now`` counts another program's commit.

        Each commit raises it by one: the steps this process's own commits took are not news.
        """
        if now == seen:
            return False
        if now < seen:  # the whole file was replaced (a demo book copied in)
            return True
        return any(value not in self._own_changes for value in range(seen + 1, now + 1))

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

    def read_all(self, *queries: str) -> list[list[Any]]:
        """The rows of each plain SQL query (no parameters), as the driver returns them.

        One driver connection and cursor for them all (see :meth:`reading`): no
        per-row Row objects, for the few big reads that need none.
        """
        with self.reading() as connection:
            cursor = connection.cursor()
            try:
                results = []
                for query in queries:
                    cursor.execute(query)
                    results.append(cursor.fetchall())
                return results
            finally:
                cursor.close()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()


def is_url(text: str) -> bool:
    """True for a SQLAlchemy URL (``scheme://...``), False for a file path."""
    return _URL.match(text) is not None


def writing(bind, waiting: Waiting | None = None):
    """``bind`` (an engine or a connection) set so its transactions take the write lock.

    The lock is taken when the transaction begins, waiting for another
    program's write transaction to end. ``waiting`` is called every
    ``WRITE_WAIT_SLICE_MS`` meanwhile and may raise to stop waiting; without it
    the wait ends after ``WRITE_WAIT_SECONDS`` with a :class:`DatabaseError`.
    A connection is changed in place; an engine gives a new one.
    """
    return bind.execution_options(csdesk_write=True, csdesk_waiting=waiting)


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


CHANGES_QUERY = "SELECT counter FROM db_changes WHERE id = 1"
_PENDING_CHANGE = "csdesk_pending_change"


def _count_change(conn) -> None:
    """Raise the change counter as a write transaction begins (rolled back with it).

    The value reached is kept on the connection until the commit, then noted as the
    writer's own (``Database.changed_by_others``). Creating or upgrading the schema
    counts nothing (``csdesk_count=False``): the counter may not exist yet.
    """
    options = conn.get_execution_options()
    if not options.get("csdesk_write", False) or options.get("csdesk_count") is False:
        return
    conn.exec_driver_sql("UPDATE db_changes SET counter = counter + 1 WHERE id = 1")
    value = conn.exec_driver_sql(CHANGES_QUERY).scalar()
    own = options.get("csdesk_changes")
    if own is not None and value is not None:
        conn.info[_PENDING_CHANGE] = (own, int(value))


def _note_own_change(conn) -> None:
    pending = conn.info.pop(_PENDING_CHANGE, None)
    if pending is not None:
        own, value = pending
        own.add(value)


def _forget_change(conn) -> None:
    conn.info.pop(_PENDING_CHANGE, None)


def _create_engine(url: str | None, sqlite_path: Path | None = None) -> Engine:
    """The engine of a URL, or of a SQLite file given by its path (``url`` None)."""
    from sqlalchemy import URL, create_engine, event

    from db import encoding

    # URL.create takes the path as it is: a URL string would be parsed (``?`` starts
    # a query, ``%41`` is decoded), and the driver gets the file name unchanged.
    try:
        engine = create_engine(
            url if url is not None else URL.create("sqlite+pysqlite", database=str(sqlite_path)),
            json_serializer=encoding.encode_json,  # the JSON text every bulk writer writes too
        )
    except ImportError as exc:  # the URL's driver is not installed (or not in this build)
        raise DatabaseError(
            f"{hide_password(url or '')}: needs the database driver {exc.name or exc}, which this "
            "CSDesk lacks. For PostgreSQL install it with: pip install 'csdesk[postgres]'."
        ) from exc
    if engine.dialect.name == "sqlite":
        encoding.use_on(engine.dialect)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _begin_postgresql)
    # Registered last: the counter is raised once the write lock is held.
    event.listen(engine, "begin", _count_change)
    event.listen(engine, "commit", _note_own_change)
    event.listen(engine, "rollback", _forget_change)
    return engine


def hide_password(url: str) -> str:
    """A URL as it may be shown or logged: its password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "the database"


def shown_location(path_or_url: str) -> str:
    """A database as messages and logs name it: a file path as it is, a URL without its password."""
    return hide_password(path_or_url) if is_url(path_or_url) else path_or_url


# The write lock on PostgreSQL: a transaction-scoped advisory lock, one per schema (a team
# may keep several books in one database), released by the commit or rollback.
_PG_WRITE_LOCK = 0x637364  # "csd"
_PG_TRY_LOCK = f"SELECT pg_try_advisory_xact_lock({_PG_WRITE_LOCK}, hashtext(current_schema()))"


def _pg_try_write_lock(conn) -> bool:
    return bool(conn.exec_driver_sql(_PG_TRY_LOCK).scalar())


def _begin_postgresql(conn) -> None:
    """A write transaction first takes the book's advisory lock, waiting as SQLite's does.

    Readers take nothing: PostgreSQL's snapshots give them the last commit. The
    lock is tried in slices so the wait reports (``waiting``) and can be cancelled.
    """
    options = conn.get_execution_options()
    if not options.get("csdesk_write", False):
        return
    waiting = options.get("csdesk_waiting")
    started = time.monotonic()
    while not _pg_try_write_lock(conn):
        if waiting is not None:
            waiting()
        elif time.monotonic() - started >= WRITE_WAIT_SECONDS:
            raise DatabaseError(
                f"{hide_password(str(conn.engine.url))}: another program has been writing to it for "
                f"{round(WRITE_WAIT_SECONDS)} s. Try again when it has finished; nothing was changed."
            )
        time.sleep(WRITE_WAIT_SLICE_MS / 1000)


def _begin_sqlite(conn) -> None:
    options = conn.get_execution_options()
    if not options.get("csdesk_write", False):
        conn.exec_driver_sql("BEGIN")  # readers never wait: WAL gives them the last commit
        return
    _begin_immediate(conn.connection.driver_connection, options.get("csdesk_waiting"))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return "locked" in message or "busy" in message


def _begin_immediate(raw: sqlite3.Connection, waiting: Waiting | None) -> None:
    """BEGIN IMMEDIATE, retried in short slices until the write lock is free.

    The busy timeout alone would wait inside one SQLite call that nothing can
    interrupt, and then fail; here each slice returns to Python, which reports
    (``waiting``), lets the user cancel, and waits as long as it takes.
    """
    started = time.monotonic()
    raw.execute(f"PRAGMA busy_timeout={WRITE_WAIT_SLICE_MS}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
            if waiting is not None:
                waiting()
            elif time.monotonic() - started >= WRITE_WAIT_SECONDS:
                path = next((row[2] for row in raw.execute("PRAGMA database_list") if row[1] == "main"), "")
                raise DatabaseError(
                    f"{path or 'the database'}: another program has been writing to it for "
                    f"{round(WRITE_WAIT_SECONDS)} s. Try again when it has finished; nothing was changed."
                )
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _check_sqlite_file(path: Path, create: bool) -> bool:
    """Refuse, without writing to it, a file that is not a usable CSDesk database.

    Returns True for an up-to-date CSDesk book, which needs no migration and no
    DDL and so opens with ``sqlite3`` alone; False for a new, empty or older
    one (SQLAlchemy's path).
    """
    if not path.exists():
        if not create:
            raise DatabaseError(f"{path}: no such database. Choose an existing file or create a new one.")
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise DatabaseError(f"{path.parent}: folder is read-only; choose a folder you can write to.")
        return False
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a CSDesk database.")
    try:
        with path.open("rb") as handle:
            header = handle.read(HEADER_BYTES)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot be read ({exc.strerror}). Check its permissions.") from exc
    size = path.stat().st_size
    if size == 0:
        return False  # an empty file is a new database
    if header[: len(SQLITE_HEADER)] != SQLITE_HEADER:
        raise DatabaseError(f"{path}: is not a CSDesk database (not an SQLite file). Nothing was changed.")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            f"{path}: is read-only. Copy it to a folder you can write to, or change its permissions."
        )
    _raise_if_truncated(path, header, size)
    with _probe(path) as probe:
        try:
            # Reading the schema catches a damaged first page; a full scan would cost
            # ~5 ms per MB, so big books get it in the background (verify_integrity).
            names = {row[0] for row in probe.execute("SELECT name FROM sqlite_master")}
            if names and "schema_info" not in names:
                # Decided here, read-only: SQLAlchemy's connection would switch the file to WAL.
                raise DatabaseError(
                    f"{path}: is not a CSDesk database (it has tables but no schema version). "
                    "Nothing was changed."
                )
            if size <= FULL_CHECK_MAX_BYTES:
                _raise_if_damaged(path, probe)
            return _is_current_book(probe, names)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise DatabaseError(f"{path}: is locked by another program. Close it and try again.") from exc
            raise DatabaseError(f"{path}: cannot be opened ({exc}). Nothing was changed.") from exc
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(
                f"{path}: is damaged or not a database ({exc}). Nothing was changed."
            ) from exc


HEADER_BYTES = 100


def _raise_if_truncated(path: Path, header: bytes, size: int) -> None:
    """Refuse a file shorter than the page count its header records (a copy cut short).

    Checked from the header alone, so even a big file is refused before SQLite
    opens it. Skipped while a -wal or -journal file may hold the missing pages.
    """
    if len(header) < HEADER_BYTES:
        raise DatabaseError(f"{path}: is damaged (shorter than an SQLite header). Nothing was changed.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid only when written by the same change as the change counter.
    valid = header[24:28] == header[92:96] and pages > 0
    if not valid or size >= pages * page_size:
        return
    if any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal")):
        return
    raise DatabaseError(
        f"{path}: is damaged ({size} bytes where its header records {pages * page_size}: "
        "a copy cut short?). Restore it from a backup; nothing was changed."
    )


@contextmanager
def _probe(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that only reads ``path`` and leaves nothing beside it.

    Opening a WAL-mode file creates its -wal and -shm files. A read-write
    connection removes them when it closes; a read-only one would leave them
    behind. So the probe is read-write but ``query_only``, except when a -wal
    file is already there (another program has the file open, or stopped
    without closing it): then it is read-only, which never copies someone
    else's log into the file.
    """
    if Path(f"{path}-wal").exists():
        connection = sqlite3.connect(
            path.absolute().as_uri() + "?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    else:
        connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute("PRAGMA query_only=1")
        yield connection
    finally:
        connection.close()


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
    with _probe(path) as probe:
        try:
            _raise_if_damaged(path, probe)
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path}: is damaged ({exc}). Restore it from a backup.") from exc


def _is_current_book(connection: sqlite3.Connection, names: set[str]) -> bool:
    """True for a CSDesk file at the current schema with everything installed, in WAL mode.

    It takes no write lock: a book another program is writing to opens (and
    reads) at once; writers wait for their turn when they begin.
    """
    from db import migrations, schema, search

    if "schema_info" not in names or not search.installed_in(names) or migrations.TABLE not in names:
        return False
    row = connection.execute("SELECT version FROM schema_info").fetchone()
    if row is None or row[0] != schema.CURRENT_VERSION:
        return False
    if connection.execute(f"SELECT version_num FROM {migrations.TABLE}").fetchall() != [(migrations.HEAD,)]:
        return False
    return connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


def copy_into(source: str | os.PathLike[str], target: Database) -> None:
    """Replace the whole content of the SQLite database ``target`` by the file ``source``.

    SQLite's backup API writes the destination in one write transaction (it waits
    for another writer first): a process killed during the copy leaves ``target``
    as it was. Both files must have the same page size (CSDesk creates them so).
    """
    if target.sqlite_path is None:
        raise ValueError("copy_into needs a SQLite file")
    source_connection = sqlite3.connect(os.fspath(source), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        destination = sqlite3.connect(target.sqlite_path, timeout=BUSY_TIMEOUT_MS / 1000)
        _set_sqlite_pragmas(destination, None)
        try:
            source_connection.backup(destination)
        finally:
            destination.close()
    finally:
        source_connection.close()


def open_database(
    path_or_url: str | os.PathLike[str],
    *,
    create: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Database:
    """Open (creating if asked) and migrate a database to the current schema.

    A path is taken as it is (no URL decoding); ``scheme://...`` is a SQLAlchemy URL.
    ``progress(done, total)`` is called during the long upgrade steps.
    """
    text = os.fspath(path_or_url)
    if is_url(text):
        url: str | None = text
        path = _sqlite_file(text)
    else:
        url, path = None, Path(text).expanduser().resolve()
    if path is not None and _check_sqlite_file(path, create):
        return Database(url, str(path), path)
    return _open_with_sqlalchemy(url, path, progress)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for in-memory and server databases."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def _open_with_sqlalchemy(
    url: str | None, sqlite_path: Path | None, progress: Callable[[int, int], None] | None = None
) -> Database:
    """Create, upgrade or install what a database lacks (this needs SQLAlchemy)."""
    from sqlalchemy.exc import DBAPIError

    from db import schema, search

    location = str(sqlite_path) if sqlite_path else hide_password(url)
    engine = _create_engine(url, sqlite_path)
    try:
        schema.upgrade(engine, location, progress)
        read_only = not _may_write(engine)
        if not read_only:
            search.install(engine)
    except schema.SchemaError as exc:
        engine.dispose()
        raise DatabaseError(str(exc)) from exc
    except DatabaseError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        message = str(exc.orig) if exc.orig else str(exc)
        if "locked" in message or "busy" in message:
            raise DatabaseError(f"{location}: is locked by another program. Close it and try again.") from exc
        if "readonly" in message.replace(" ", "") or "read-only" in message:
            raise DatabaseError(f"{location}: is read-only; nothing was changed.") from exc
        raise DatabaseError(f"{location}: cannot be used ({message}). Nothing was changed.") from exc
    database = Database(url, location, sqlite_path, engine)
    database.read_only = read_only
    return database


def _may_write(engine: Engine) -> bool:
    """False for a connection whose role may only read the book (PostgreSQL grants)."""
    if engine.dialect.name != "postgresql":
        return True  # a read-only SQLite file is refused before it is opened
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT has_table_privilege(current_user, 'accounts', 'INSERT')").scalar())
