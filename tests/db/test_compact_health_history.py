"""Schema 2: health snapshots keep their breakdown as compact columns; a schema-1 book upgrades with it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from csdesk import health
from db import open_database
from db.models import HealthSnapshot

V1 = Path(__file__).parent / "fixtures" / "v1.sqlite"

BREAKDOWN = [
    {
        "key": "usage",
        "measure": "logins",
        "weight": 60,
        "points": 7.0,
        "value": 2.5,
        "effective_weight": 0.75,
        "missing": False,
    },
    {
        "key": "nps",
        "measure": "nps",
        "weight": 20,
        "points": 10.0,
        "value": 9.33,
        "effective_weight": 0.25,
        "missing": False,
    },
    {
        "key": "support",
        "measure": "tickets",
        "weight": 20,
        "points": None,
        "value": None,
        "effective_weight": 0.0,
        "missing": True,
    },
]


def test_a_schema_1_breakdown_upgrades_to_compact_columns(tmp_path):
    path = tmp_path / "v1.sqlite"
    shutil.copyfile(V1, path)
    conn = sqlite3.connect(path)
    account_id = conn.execute("SELECT id FROM accounts WHERE external_id = 'HS-1'").fetchone()[0]
    for day in ("2026-01-11", "2026-01-18"):
        conn.execute(
            "INSERT INTO health_snapshots (account_id, as_of, score, band, complete, components) "
            "VALUES (?, ?, 77.5, 'yellow', 0, ?)",
            (account_id, day, json.dumps(BREAKDOWN)),
        )
    conn.commit()
    conn.close()

    db = open_database(path)
    try:
        history = health.history(db, account_id, start=date(2026, 1, 10))
        assert [s.as_of for s in history] == [date(2026, 1, 11), date(2026, 1, 18)]
        assert (history[-1].score, history[-1].band, history[-1].complete) == (77.5, "yellow", False)
        comps = {c.key: c for c in history[-1].components}
        assert (comps["usage"].points, comps["usage"].value, comps["usage"].weight) == (7.0, 2.5, 60)
        assert comps["nps"].value == pytest.approx(9.33)
        assert comps["usage"].effective_weight == pytest.approx(0.75)
        assert comps["support"].missing and comps["support"].points is None
        assert history[-1].missing == ("support",)
    finally:
        db.dispose()
    conn = sqlite3.connect(path)
    try:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(health_snapshots)")}
        layouts = conn.execute("SELECT COUNT(*) FROM health_layouts").fetchone()[0]
        breakdown_columns = {r[1] for r in conn.execute("PRAGMA table_info(health_breakdowns)")}
    finally:
        conn.close()
    # The breakdowns are kept one row per account, as a recompute keeps them.
    assert breakdown_columns == {"account_id", "first_day", "data"}
    assert columns == {"account_id", "as_of", "score", "band", "complete", "model_id"}
    assert "id" not in columns  # keyed by (account, day): no row id of its own
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute(
            "SELECT as_of, score, band FROM health_snapshots WHERE account_id = ? ORDER BY as_of",
            (account_id,),
        ).fetchall()
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'health_snapshots'").fetchone()[0]
    finally:
        conn.close()
    # Day numbers, tenths of a point and band positions, in a table without row ids.
    assert stored[-2:] == [(20464, 775, 1), (20471, 775, 1)]
    assert "WITHOUT ROWID" in ddl
    assert layouts == 2  # the fixture's empty breakdown and this one: names stored once, not per row


def test_a_recomputed_history_reads_back_its_breakdown(db):
    from db.models import Account, Measure

    with db.session() as s, s.begin():
        account = Account(
            name="A", name_key="a", status="active", contract_start=date(2025, 1, 1), licensed_users=10
        )
        s.add(account)
        s.flush()
        s.add_all(
            Measure(account_id=account.id, metric=m, as_of=date(2026, 11, 20), value=v)
            for m, v in (("logins", 25.0), ("active_users", 7.0), ("key_feature_use", 55.0))
        )
        account_id = account.id
    health.recompute(db, today=date(2026, 11, 25), alerts=False)
    assert len(health.stored_breakdowns(db, account_id).days) == len(health.history(db, account_id)) == 2
    stored = health.explain(db, account_id).current
    now = health.score_now(db, account_id, today=date(2026, 11, 25))
    assert stored.score == now.score
    for a, b in zip(stored.components, now.components, strict=True):
        assert (a.key, a.missing) == (b.key, b.missing)
        assert a.points == pytest.approx(b.points, abs=0.01) if b.points is not None else a.points is None
        assert a.value == pytest.approx(b.value, abs=0.01) if b.value is not None else a.value is None
        assert a.effective_weight == pytest.approx(b.effective_weight, abs=1e-4)


def test_a_weekly_snapshot_takes_under_44_bytes_on_disk_index_and_breakdown_included(tmp_path):
    """Two years of weekly history for 50,000 accounts is ~4.5 million snapshots: each must stay small.

    (Schema 1 took ~1 KB of JSON each; the first compact form, with a row id, an ISO day
    and a (account, day) index beside the table, ~150 bytes; with each row's breakdown
    beside its score, ~66; the breakdowns per account, compressed, ~46. With no breakdown
    columns left in the rows and a tighter compression: ~41 here.)
    """
    from csdesk.demo import generate

    path = tmp_path / "book.sqlite"
    db = open_database(path)
    try:
        generate(db, accounts=70, seed=1, today=date(2026, 11, 25))
        health.recompute(db, today=date(2026, 11, 25))
    finally:
        db.dispose()
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT count(*) FROM health_snapshots").fetchone()[0]
        size = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master "
            "WHERE tbl_name IN ('health_snapshots', 'health_breakdowns'))"
        ).fetchone()[0]
        kinds = conn.execute(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'health_snapshots' AND type = 'index'"
        ).fetchall()
    finally:
        conn.close()
    assert rows > 5000
    assert size / rows < 44
    assert kinds == [("ix_health_snapshots_as_of_score",)]  # no second copy of the (account, day) key


def test_scores_stored_in_tenths_read_back_as_points_also_averaged(db):
    from db.models import Account

    with db.session() as s, s.begin():
        ids = []
        for n in range(2):
            account = Account(name=f"A{n}", name_key=f"a{n}", status="active", segment="smb")
            s.add(account)
            s.flush()
            ids.append(account.id)
        s.add(
            HealthSnapshot(
                account_id=ids[0], as_of=date(2026, 11, 23), score=72.5, band="yellow"
            )
        )
        s.add(
            HealthSnapshot(
                account_id=ids[1], as_of=date(2026, 11, 23), score=81.0, band="green"
            )
        )
    assert health.average_series(db) == [(date(2026, 11, 23), pytest.approx(76.75), 2)]
    assert health.score_series(db, ids[0]) == ([date(2026, 11, 23)], [72.5], ["yellow"])
