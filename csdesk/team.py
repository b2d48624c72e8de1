"""Team mode: who is writing, and whose accounts are "mine".

Each CSM sets their name once: it is kept in a small file in the data folder
(``user.json``), read by the window and the commands alike (``csdesk --as NAME``
names someone else for one command). Opening a book hands the name to the
database (``Database.user``), which records it as the author of every event,
task and import that the CSM's writes create.

Team mode itself (a book that is not a local SQLite file) is decided by the
database layer, in one place: ``Database.team``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.paths import data_dir
from csdesk.rules.names import fold

if TYPE_CHECKING:  # the book's start-up path imports this module: no SQLAlchemy here
    from db import Database

USER_FILE = "user.json"
ENVIRONMENT = "CSDESK_USER"  # for scripts and CI: a name without touching the saved one


def clean_name(name: str | None) -> str | None:
    """A CSM's name as stored: inner spaces collapsed, None when blank; a UserError when too long."""
    from db.models import AUTHOR_LENGTH

    cleaned = " ".join((name or "").split())
    if len(cleaned) > AUTHOR_LENGTH:
        raise UserError(tr("A name has at most {n} characters.", n=AUTHOR_LENGTH))
    return cleaned or None


def saved_name() -> str | None:
    """The name this computer's CSM set (None before they did)."""
    path = data_dir() / USER_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    try:
        return clean_name(value) if isinstance(value, str) else None
    except UserError:
        return None


def save_name(name: str | None) -> str | None:
    """Remember the CSM's name for the window and the commands; returns it as stored."""
    cleaned = clean_name(name)
    path = data_dir() / USER_FILE
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps({"name": cleaned}, ensure_ascii=False), encoding="utf-8")
    os.replace(part, path)
    return cleaned


def current_name(explicit: str | None = None) -> str | None:
    """``--as NAME``, else ``CSDESK_USER``, else the saved name."""
    if explicit is not None:
        return clean_name(explicit)
    from_environment = os.environ.get(ENVIRONMENT)
    if from_environment:
        return clean_name(from_environment)
    return saved_name()


def sign_in(db: Database, name: str | None) -> Database:
    """Make ``name`` the author of what is written through ``db`` from now on."""
    db.user = name
    return db


def person_key(name: str | None) -> str:
    """How two spellings of one person compare: case, accents and spacing ignored."""
    return " ".join(fold(name or "").split())


def is_mine(owner: str | None, me: str | None) -> bool:
    """Whether an account's owner (its CSM) is ``me``."""
    return bool(me) and person_key(owner) == person_key(me)
