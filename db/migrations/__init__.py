"""Alembic revisions of the schema, run by ``db.schema`` (no alembic.ini: nothing for users to set).

The baseline revision is schema version 2, exactly ``Base.metadata.create_all``
of ``db/models.py``: a new book is created from the models and stamped; a
version-1 file goes through ``db.schema``'s v1→v2 step (backup first) and is
then stamped. Every later change of the schema is a revision here (batch
mode on SQLite), written with ``alembic revision`` against a scratch book
and listed in ``HEAD``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

BASELINE = "0001_baseline"
# The newest revision; read without importing Alembic (a SQLite book at HEAD opens with sqlite3
# alone). A test keeps it equal to the scripts' head.
HEAD = BASELINE
TABLE = "alembic_version"


def config(conn: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.attributes["connection"] = conn
    return cfg


def script_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The revision stamped in the database; None before it was ever stamped."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def is_known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(config()).get_revision(revision) is not None
    except CommandError:
        return False


def stamp(conn: Connection, revision: str) -> None:
    from alembic import command

    command.stamp(config(conn), revision)


def upgrade(conn: Connection) -> None:
    from alembic import command

    command.upgrade(config(conn), "head")
