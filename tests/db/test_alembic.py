"""Alembic revisions after the baseline (schema version 2), on SQLite files and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from db import DatabaseError, migrations, open_database
from db.schema import CURRENT_VERSION

V1 = Path(__file__).parent / "fixtures" / "v1.sqlite"


def stamped(location) -> list[str]:
    database = open_database(location)
    try:
        with database.engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        database.dispose()


def execute(location, sql: str) -> None:
    database = open_database(location)
    try:
        with database.engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        database.dispose()


def test_the_head_revision_read_at_start_up_is_the_scripts_head():
    assert migrations.HEAD == migrations.script_head()


def test_a_new_book_is_created_at_the_head_revision(db_path):
    assert stamped(db_path) == [migrations.HEAD]


def test_a_book_without_a_revision_is_stamped_with_the_baseline(db_path):
    execute(db_path, "DROP TABLE alembic_version")
    assert stamped(db_path) == [migrations.HEAD]


@pytest.mark.sqlite_file("the stored version-1 book is a SQLite file")
def test_a_version_1_file_is_backed_up_upgraded_and_stamped(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(V1, path)
    assert stamped(path) == [migrations.HEAD]
    assert len(list(tmp_path.glob("old.sqlite.v1-*.bak"))) == 1
    database = open_database(path)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == CURRENT_VERSION
    database.dispose()


def test_a_revision_this_csdesk_does_not_know_is_refused_untouched(db_path):
    open_database(db_path).dispose()
    execute(db_path, "UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(DatabaseError, match="newer CSDesk"):
        open_database(db_path)
    assert raw_scalar(db_path, "SELECT version_num FROM alembic_version") == "9999_future"


def raw_scalar(location, sql: str):
    """Read without opening the book (which would refuse it)."""
    from sqlalchemy import URL, create_engine

    if isinstance(location, Path):
        engine = create_engine(URL.create("sqlite+pysqlite", database=str(location)))
    else:
        engine = create_engine(location)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


FUTURE = """
from alembic import op
import sqlalchemy as sa

revision = "0002_future"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("future_things", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("future_flag", sa.Boolean, nullable=True))


def downgrade():
    raise NotImplementedError
"""


def test_a_later_revision_runs_when_the_book_opens(db_path, tmp_path, monkeypatch):
    open_database(db_path).dispose()  # a book at today's head
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(migrations.__file__).parent, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0002_future.py").write_text(FUTURE.format(head=migrations.HEAD))
    original = migrations.config

    def config(conn=None):
        cfg = original(conn)
        cfg.set_main_option("script_location", str(scripts))
        return cfg

    monkeypatch.setattr(migrations, "config", config)
    monkeypatch.setattr(migrations, "HEAD", "0002_future")
    assert stamped(db_path) == ["0002_future"]
    database = open_database(db_path)
    with database.engine.connect() as conn:
        insp = inspect(conn)
        assert "future_things" in insp.get_table_names()
        assert "future_flag" in {c["name"] for c in insp.get_columns("accounts")}
    database.dispose()
    if isinstance(db_path, Path):  # a SQLite file is copied before any revision runs
        assert len(list(db_path.parent.glob(f"{db_path.name}.v{CURRENT_VERSION}-*.bak"))) == 1


@pytest.mark.postgresql
def test_a_shared_book_claiming_schema_1_is_refused_untouched(db_path):
    # Schema 1 was only ever a SQLite file: its upgrade step is written for SQLite alone.
    open_database(db_path).dispose()
    execute(db_path, "UPDATE schema_info SET version = 1")
    with pytest.raises(DatabaseError, match="schema 1 exists only as a SQLite file"):
        open_database(db_path)
    assert raw_scalar(db_path, "SELECT version FROM schema_info") == 1
