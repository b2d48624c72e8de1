"""The database server of a test run (``--db-url`` / ``CSDESK_TEST_DB``): one schema per test."""

from __future__ import annotations

import uuid

URL: str | None = None
# Tests taking one of these fixtures run on the server; the others need no database of the run.
USES_DATABASE = frozenset({"db_path", "db", "new_database", "context"})

_admin = None
_created: list[str] = []


def configure(url: str | None) -> None:
    global URL
    URL = url


def _engine():
    global _admin
    if _admin is None:
        from sqlalchemy import create_engine

        _admin = create_engine(URL, isolation_level="AUTOCOMMIT", pool_size=1)
    return _admin


def create_schema() -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _engine().connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    _created.append(name)
    return name


def schema_url(schema: str) -> str:
    """The run's URL with ``schema`` as the only schema its connections see."""
    from sqlalchemy.engine import make_url

    url = make_url(URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_schemas() -> None:
    """Drop the run's schemas. Best effort: a connection left open may hold a lock; its schema stays."""
    if _admin is None:
        return
    from sqlalchemy.exc import DBAPIError

    with _admin.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '2s'")
        for schema in _created:
            try:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            except DBAPIError:
                pass
    _created.clear()
    _admin.dispose()


class WriteLockHolder:
    """Another program's write transaction on a book, held until released: the book's write
    lock of its engine (SQLite: BEGIN IMMEDIATE on the file; PostgreSQL: its advisory lock)."""

    def __init__(self, location):
        from pathlib import Path

        from db.engine import _create_engine, is_url, writing

        where = str(location)
        self.engine = _create_engine(where, None) if is_url(where) else _create_engine(None, Path(where))
        self.connection = writing(self.engine).connect()
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
