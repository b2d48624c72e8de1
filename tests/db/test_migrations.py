"""Schema versions: every stored old database upgrades, safely.

``fixtures/vN.sqlite`` are databases written by earlier CSDesk versions (see
``make_fixture.py``). The migration machinery itself is proven with fake
steps: backup first, one transaction per step, a failing step changes nothing.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from db import DatabaseError, open_database, schema
from db.models import Account, Contact, RevenueChange, SurveyResponse, TimelineEvent

FIXTURES = sorted(
    (Path(__file__).parent / "fixtures").glob("v*.sqlite"), key=lambda p: int(re.findall(r"\d+", p.stem)[0])
)


def version_of(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version FROM schema_info").fetchone()[0]
    finally:
        conn.close()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


def schema_shape(engine) -> dict:
    """Tables, columns and index names: what a migrated database must share with a new one."""
    with engine.connect() as conn:
        insp = inspect(conn)
        return {
            t: (
                sorted(c["name"] for c in insp.get_columns(t)),
                sorted(i["name"] for i in insp.get_indexes(t) if i["name"]),
            )
            for t in insp.get_table_names()
            if not t.startswith("timeline_fts")
        }


def test_there_is_a_fixture_for_every_version_up_to_the_current_one():
    assert [version_of(p) for p in FIXTURES] == list(range(1, schema.CURRENT_VERSION + 1))
    assert schema.RELEASED_VERSION <= schema.CURRENT_VERSION


def stored_or_redrawn(fixture: Path, tmp_path: Path) -> Path:
    """A working copy of ``fixture``.

    A released version's fixture is frozen. An unreleased version's one is
    redrawn from today's models when they have changed since it was stored
    (db/models.py may change freely until the version ships).
    """
    path = tmp_path / "old.sqlite"
    shutil.copyfile(fixture, path)
    if version_of(path) <= schema.RELEASED_VERSION:
        return path
    fresh = open_database(tmp_path / "shape.sqlite")
    stored = sqlite3.connect(path)
    try:
        stored_shape = {
            t: sorted(r[1] for r in stored.execute(f'PRAGMA table_info("{t}")'))
            for (t,) in stored.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not t.startswith("timeline_fts")
        }
    finally:
        stored.close()
    fresh_shape = {t: cols for t, (cols, _) in schema_shape(fresh.engine).items()}
    fresh.dispose()
    if stored_shape != fresh_shape:
        from tests.db.make_fixture import make

        make(path)
    return path


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_stored_database_upgrades_with_its_data(fixture, tmp_path):
    path = stored_or_redrawn(fixture, tmp_path)
    old_version = version_of(path)
    db = open_database(path)
    try:
        with db.session() as s:
            assert s.scalar(text("SELECT version FROM schema_info")) == schema.CURRENT_VERSION
            pitanga = s.scalars(select(Account).where(Account.external_id == "HS-1")).one()
            assert pitanga.name == "Padaria Pitanga S/A" and pitanga.mrr_cents == 123456
            assert pitanga.renewal_date == date(2027, 3, 1) and pitanga.custom_fields == {"região": "Sul"}
            ipe = s.scalars(select(Account).where(Account.status == "churned")).one()
            assert ipe.churn_reason == "price"
            assert s.scalars(select(Contact.email)).all() == ["maria@pitanga.com.br"]
            assert {e.title for e in s.scalars(select(TimelineEvent))} == {
                "QBR 1º trimestre",
                "Erro ao exportar",
            }
            assert sorted(r.mrr_after_cents for r in s.scalars(select(RevenueChange))) == [0, 123456]
            assert s.scalars(select(SurveyResponse.comment)).all() == ["Ótimo suporte"]
        # A migrated database has exactly the shape of a new one.
        fresh = open_database(tmp_path / "fresh.sqlite")
        assert schema_shape(db.engine) == schema_shape(fresh.engine)
        fresh.dispose()
    finally:
        db.dispose()
    made = backups(tmp_path)
    if old_version < schema.CURRENT_VERSION:
        assert len(made) == 1 and version_of(made[0]) == old_version
    else:
        assert made == []  # nothing to migrate, nothing copied


# The machinery, with fake future versions ------------------------------------


@pytest.fixture
def v1_copy(tmp_path):
    path = stored_or_redrawn(FIXTURES[0], tmp_path)
    # Bring it to the current version first, so the fake steps start from here.
    open_database(path).dispose()
    for leftover in backups(tmp_path):
        leftover.unlink()
    (tmp_path / "shape.sqlite").unlink(missing_ok=True)
    return path


def dump(path: Path) -> tuple[int, list]:
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("SELECT version FROM schema_info").fetchone()[0]
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        rows = [(t, conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables if "fts" not in t]
        ddl = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
        return version, [rows, ddl]
    finally:
        conn.close()


def fake_versions(monkeypatch, steps: dict) -> None:
    monkeypatch.setattr(schema, "CURRENT_VERSION", schema.CURRENT_VERSION + len(steps))
    monkeypatch.setattr(schema, "MIGRATIONS", {**schema.MIGRATIONS, **steps})


def test_backup_comes_first_then_one_transaction_per_step(v1_copy, monkeypatch):
    base = schema.CURRENT_VERSION
    seen = []

    def add_column(conn):
        seen.append(("step", base + 1, [p.name for p in backups(v1_copy.parent)]))
        conn.execute(text("ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50)"))
        conn.execute(text("UPDATE accounts SET nickname = 'Pitanga' WHERE external_id = 'HS-1'"))

    def fill_column(conn):
        # A step runs in its own transaction: the previous one is already committed.
        other = sqlite3.connect(v1_copy)
        seen.append(("step", base + 2, other.execute("SELECT version FROM schema_info").fetchone()[0]))
        other.close()
        conn.execute(text("UPDATE accounts SET nickname = 'Ipê' WHERE status = 'churned'"))

    fake_versions(monkeypatch, {base + 1: add_column, base + 2: fill_column})
    db = open_database(v1_copy)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == base + 2
        assert sorted(conn.execute(text("SELECT nickname FROM accounts")).scalars()) == ["Ipê", "Pitanga"]
    db.dispose()
    made = backups(v1_copy.parent)
    assert len(made) == 1 and version_of(made[0]) == base
    assert seen[0] == ("step", base + 1, [made[0].name])  # the backup existed before the first step
    assert seen[1] == ("step", base + 2, base + 1)


def test_a_failing_step_leaves_the_database_exactly_as_before(v1_copy, monkeypatch):
    base = schema.CURRENT_VERSION
    before = dump(v1_copy)

    def half_done(conn):
        conn.execute(text("ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50)"))
        conn.execute(text("DELETE FROM contacts"))
        raise RuntimeError("disk full, say")

    fake_versions(monkeypatch, {base + 1: half_done})
    with pytest.raises(DatabaseError) as info:
        open_database(v1_copy)
    message = str(info.value)
    assert str(v1_copy) in message and f"schema {base + 1}" in message and "disk full" in message
    assert f"stays at schema {base}" in message and ".bak" in message
    assert dump(v1_copy) == before


def test_a_failing_later_step_keeps_the_earlier_ones(v1_copy, monkeypatch):
    base = schema.CURRENT_VERSION

    def good(conn):
        conn.execute(text("CREATE TABLE extra (id INTEGER PRIMARY KEY)"))

    def bad(conn):
        conn.execute(text("INSERT INTO extra VALUES (1)"))
        raise ValueError("bad data")

    fake_versions(monkeypatch, {base + 1: good, base + 2: bad})
    with pytest.raises(DatabaseError, match=f"stays at schema {base + 1}"):
        open_database(v1_copy)
    conn = sqlite3.connect(v1_copy)
    assert conn.execute("SELECT version FROM schema_info").fetchone()[0] == base + 1
    assert conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
    conn.close()


def test_a_newer_schema_is_refused_untouched_and_without_backup(v1_copy):
    conn = sqlite3.connect(v1_copy)
    conn.execute("UPDATE schema_info SET version = ?", (schema.CURRENT_VERSION + 1,))
    conn.commit()
    conn.close()
    before = v1_copy.read_bytes()
    with pytest.raises(DatabaseError, match="newer CSDesk") as info:
        open_database(v1_copy)
    assert str(v1_copy) in str(info.value)
    assert v1_copy.read_bytes() == before
    assert backups(v1_copy.parent) == []
