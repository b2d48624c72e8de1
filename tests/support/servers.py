"""The database server of a test run (``--db-url`` / ``CSDESK_TEST_DB``): one schema per test."""

from __future__ import annotations

import uuid

URL: str | None = None
# Tests taking one of these fixtures run on the server; the others need no database of the run.
USES_DATABASE = frozenset({"db_path", "db", "new_database", "context"})

_admin = None


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
    return name


def schema_url(schema: str) -> str:
    """The run's URL with ``schema`` as the only schema its connections see."""
    from sqlalchemy.engine import make_url

    url = make_url(URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_schema(schema: str) -> None:
    """Best effort: a connection a test left open may hold a lock; the schema then stays."""
    from sqlalchemy.exc import DBAPIError

    try:
        with _engine().connect() as conn:
            conn.exec_driver_sql("SET lock_timeout = '3s'")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    except DBAPIError:
        pass
