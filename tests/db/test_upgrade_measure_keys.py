"""A version-1 book's import changes that named measures by id name them by key after the upgrade."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy import select

from csdesk import importing
from db import open_database
from db.models import ImportChange, Measure

FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"


def v1_book_with_a_usage_import(tmp_path: Path) -> Path:
    """The v1 fixture plus a usage import (run 2) that changed a measure (id 7, on account 2)
    from 5 to 3 tickets, and a change of a measure (id 8) deleted since."""
    path = tmp_path / "book.sqlite"
    shutil.copyfile(FIXTURE, path)
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "INSERT INTO import_runs (id, started_at, file_name, kind, source, as_of, created, updated, "
            "unchanged, rejected, status) VALUES (2, '2026-01-12 10:00:00', 'uso.csv', 'usage', 'generic', "
            "'2026-01-12', 0, 1, 0, 0, 'done')"
        )
        conn.execute(
            "INSERT INTO measures (id, account_id, metric, as_of, value, source, import_run_id) "
            "VALUES (7, 2, 'tickets', '2026-01-11', 3.0, 'import', NULL)"
        )
        conn.executemany(
            "INSERT INTO import_changes (run_id, table_name, row_id, action, before) VALUES (2, 'measures', ?, "
            "'updated', ?)",
            [(7, '{"value": 5.0}'), (8, '{"value": 1.0}')],
        )
        conn.commit()
    finally:
        conn.close()
    return path


def test_a_v1_usage_import_is_still_undone_exactly_after_the_upgrade(tmp_path):
    db = open_database(v1_book_with_a_usage_import(tmp_path))
    try:
        with db.session() as s:
            changes = s.execute(
                select(ImportChange.row_id, ImportChange.before, ImportChange.after).where(
                    ImportChange.table_name == "measures"
                )
            ).all()
            assert s.execute(select(Measure.account_id, Measure.metric, Measure.source)).all() == [
                (1, "logins", "manual"),
                (2, "tickets", "import"),
            ]
        # Named by (account, metric, day); the change of the measure gone since is gone.
        assert changes == [(2, {"value": 5.0, "metric": "tickets", "as_of": "2026-01-11"}, None)]

        importing.undo(db, 2)

        with db.session() as s:
            assert s.execute(
                select(Measure.account_id, Measure.metric, Measure.as_of, Measure.value)
            ).all() == [
                (1, "logins", date(2026, 1, 4), 120.0),
                (2, "tickets", date(2026, 1, 11), 5.0),
            ]
    finally:
        db.dispose()
    conn = sqlite3.connect(tmp_path / "book.sqlite")
    try:
        stored = conn.execute("SELECT metric, as_of, source FROM measures ORDER BY account_id").fetchall()
    finally:
        conn.close()
    assert stored == [(0, 20457, 0), (4, 20464, 1)]  # codes and day numbers
