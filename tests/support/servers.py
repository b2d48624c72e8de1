"""The database server of a test run (``--db-url`` / ``CSDESK_TEST_DB``): one schema per test."""

from __future__ import annotations

import uuid

URL: str | None = None
# Tests taking one of these fixtures run on the server; the others need no database of the run.
USES_DATABASE = frozenset({"db_path", "db", "new_database", "context"})

_admin = None  # autocommit connections to the database the run's schemas live in
_run_database: str | None = None  # a database made for this run (dropped whole at the end)
_created: list[str] = []


def configure(url: str | None) -> None:
    global URL
    URL = url


def _engine():
    """The run's admin engine: in a database of its own when the role may create one (dropped
    whole at the end, however many schemas the tests made), else in the URL's database."""
    global _admin, _run_database
    if _admin is None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import DBAPIError

        base = create_engine(URL, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
        name = f"csdesk_test_{uuid.uuid4().hex[:10]}"
        try:
            with base.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            _run_database = name
        except DBAPIError:
            _run_database = None  # no CREATEDB: schemas in the given database
        base.dispose()
        url = make_url(URL).set(database=_run_database) if _run_database else make_url(URL)
        _admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    return _admin


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


def _run_url():
    from sqlalchemy.engine import make_url

    _engine()
    return make_url(URL).set(database=_run_database) if _run_database else make_url(URL)


def create_schema() -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _engine().connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    _created.append(name)
    return name


def schema_url(schema: str) -> str:
    """The run's URL with ``schema`` as the only schema its connections see."""
    url = _run_url().update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_schemas() -> None:
    """Remove what the run made: its database (connections left open are ended), or else its
    schemas, best effort (a connection left open may hold a lock; its schema then stays)."""
    global _admin, _run_database
    if _admin is None:
        return
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    _admin.dispose()
    _admin = None
    if _run_database is not None:
        base = create_engine(URL, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
        try:
            with base.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_run_database} WITH (FORCE)")
        except DBAPIError:
            pass
        base.dispose()
        _run_database = None
        _created.clear()
        return
    admin = create_engine(URL, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    with admin.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '2s'")
        for schema in _created:
            try:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            except DBAPIError:
                pass
    admin.dispose()
    _created.clear()


class WriteLockHolder:
    """Another program's write transaction on a book, held until released: the book's write
    lock of its engine (SQLite: BEGIN IMMEDIATE on the file; PostgreSQL: its advisory lock)."""

    def __init__(self, location):
        from pathlib import Path

        from db.engine import _create_engine, is_url, writing

        where = str(location)
        self.engine = _create_engine(where, None) if is_url(where) else _create_engine(None, Path(where))
        self.connection = writing(self.engine).execution_options(csdesk_count=False).connect()
        self.transaction = self.connection.begin()

    @property
    def held(self) -> bool:
        return self.transaction.is_active

    def execute(self, sql: str, params: dict | None = None) -> None:
        from sqlalchemy import text

        self.connection.execute(text(sql), params or {})

    def release(self, commit: bool = False) -> None:
        if self.held:
            (self.transaction.commit if commit else self.transaction.rollback)()

    def close(self) -> None:
        self.release()
        self.connection.close()
        self.engine.dispose()
