"""Upgrading a v1 book to compact health history: progress while it converts, and a file that shrinks."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from csdesk import health
from db import open_database, schema
from db.models import HealthSnapshot

FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"
EXTRA = 12_000  # snapshots added to the v1 fixture: a book with a real history


def _v1_with_history(target: Path) -> int:
    """The v1 fixture plus ``EXTRA`` weekly snapshots with v1's JSON breakdowns; returns the snapshot count."""
    shutil.copyfile(FIXTURE, target)
    conn = sqlite3.connect(target)
    account_ids = [r[0] for r in conn.execute("SELECT id FROM accounts ORDER BY id")]
    components = json.dumps(
        [
            {
                "key": f"c{i}",
                "measure": "logins",
                "weight": 0.2,
                "points": 7.0,
                "value": 2.5,
                "missing": False,
            }
            for i in range(5)
        ]
    )
    start = date(1990, 1, 1)  # before the fixture's own snapshot
    rows = [
        (
            account_ids[n % len(account_ids)],
            (start + timedelta(days=n // len(account_ids))).isoformat(),
            components,
        )
        for n in range(EXTRA)
    ]
    with conn:
        conn.executemany(
            "INSERT INTO health_snapshots (account_id, as_of, score, band, complete, components, model_id) "
            "VALUES (?, ?, 70.0, 'yellow', 1, ?, NULL)",
            rows,
        )
    total = conn.execute("SELECT count(*) FROM health_snapshots").fetchone()[0]
    conn.close()
    return total


def test_the_health_history_upgrade_reports_progress_and_shrinks_the_file(tmp_path):
    path = tmp_path / "book.sqlite"
    total = _v1_with_history(path)
    size_before = path.stat().st_size
    seen: list[tuple[int, int]] = []

    db = open_database(path, progress=lambda done, of: seen.append((done, of)))
    with db.session() as s:
        rows = s.execute(select(HealthSnapshot.account_id, HealthSnapshot.as_of)).all()
    assert len(rows) == total
    # Each breakdown converted, kept with its account's (as a recompute keeps them).
    first = health.history(db, rows[0][0])[0]
    db.dispose()
    assert first.as_of == date(1990, 1, 1)
    assert [(c.key, c.points, c.value, c.missing) for c in first.components] == [
        (f"c{i}", 7.0, 2.5, False) for i in range(5)
    ]

    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert len(seen) > 2  # reported as it went, not only at both ends
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # VACUUMed
    finally:
        conn.close()
    # The JSON breakdowns were most of the file: without them it is far smaller.
    assert path.stat().st_size < size_before / 2


def test_an_upgrade_with_no_history_to_convert_does_not_vacuum(tmp_path, monkeypatch):
    path = tmp_path / "book.sqlite"
    shutil.copyfile(FIXTURE, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM health_snapshots")
    conn.close()
    vacuums: list = []
    monkeypatch.setattr(schema, "vacuum_sqlite", lambda engine: vacuums.append(engine))
    seen: list[tuple[int, int]] = []
    open_database(path, progress=lambda done, of: seen.append((done, of))).dispose()
    assert vacuums == []
    assert seen == [(0, 0)]
