"""Schema versions and the migrations between them.

A new database is created at ``CURRENT_VERSION`` from the models. An older
one is first backed up with the SQLite backup API, then moved up one version
per transaction by the steps in ``MIGRATIONS``. A database written by a newer
CSDesk is refused and left untouched.

Version 2 is also Alembic's baseline revision (``db/migrations``): a book at
version 2 is stamped with it, and every schema change after version 2 ships is
an Alembic revision there (run under the same write lock, backup first on
SQLite). Until then (``RELEASED_VERSION``), a change to version 2 goes into
``db/models.py`` and the v2 step below.
"""

from __future__ import annotations

import glob
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: reading CURRENT_VERSION needs no SQLAlchemy
    from sqlalchemy import Connection, Engine
    from sqlalchemy.exc import DBAPIError

CURRENT_VERSION = 2
# The newest version shipped to users. Until a version ships, db/models.py may
# still change under it without a migration step; when it ships, set this to
# CURRENT_VERSION and store its fixture (tests/db/make_fixture.py), which is
# then frozen: every later change needs a step in MIGRATIONS.
RELEASED_VERSION = 1

# A step may return True when it freed much of the file (rewrote a big table): the
# file is then VACUUMed once the step is committed, so it actually shrinks.
MigrationStep = Callable[["Connection"], "bool | None"]
# ``progress(done, total)`` during a long step (the GUI shows it while the database opens).
UpgradeProgress = Callable[[int, int], None]
_PROGRESS = "csdesk_upgrade_progress"  # where a step finds the upgrade's progress (connection info)


def _report(conn: Connection, done: int, total: int) -> None:
    progress = conn.info.get(_PROGRESS)
    if progress is not None:
        progress(done, total)


def _import_changes_after(conn: Connection) -> None:
    """v2: what an import wrote over each row it updated, so its undo can tell later hand edits."""
    from sqlalchemy import text

    conn.execute(text("ALTER TABLE import_changes ADD COLUMN after JSON"))


def _v2_compact_health_history(conn: Connection) -> int:
    """Health snapshots become compact rows instead of ~1 KB of JSON each.

    The table is rebuilt keyed by (account, day) without a row id (SQLite WITHOUT
    ROWID), the day as days since 1970, the score in tenths and the band as 0-2.
    The breakdowns go to ``health_breakdowns``, one compressed row per account, as a
    recompute writes them: the component names (key, measure, weight) once per distinct
    layout in ``health_layouts``; per day a layout id, the points in hundredths (uint16,
    0xFFFF = missing) and the input values (float32, NaN = missing). Effective weights are
    derived on reading.
    """
    import json
    import struct
    import zlib
    from datetime import date

    import numpy as np
    from sqlalchemy import (
        JSON,
        Boolean,
        Column,
        ForeignKey,
        Integer,
        LargeBinary,
        MetaData,
        PrimaryKeyConstraint,
        Table,
        text,
    )

    # Frozen here (not read from db.models, which may change later).
    meta = MetaData()
    Table("accounts", meta, Column("id", Integer, primary_key=True))
    Table("health_models", meta, Column("id", Integer, primary_key=True))
    layouts = Table(
        "health_layouts",
        meta,
        Column("id", Integer, primary_key=True),
        Column("components", JSON, nullable=False),
    )
    compact = Table(
        "health_snapshots_v2",
        meta,
        Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        Column("as_of", Integer, nullable=False),
        Column("score", Integer, nullable=False),
        Column("band", Integer, nullable=False),
        Column("complete", Boolean, nullable=False),
        Column("model_id", Integer, ForeignKey("health_models.id", ondelete="SET NULL")),
        PrimaryKeyConstraint("account_id", "as_of", name="pk_health_snapshots"),
        sqlite_with_rowid=False,
    )
    breakdowns = Table(
        "health_breakdowns",
        meta,
        Column(
            "account_id",
            Integer,
            ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("first_day", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
    )
    layouts.create(conn)
    compact.create(conn)
    breakdowns.create(conn)

    def pack(days: list[int], layout_of_day: list[int], cells: list[tuple[list, list]]) -> bytes:
        """One account's breakdowns as csdesk.health.breakdowns packs them (frozen copy): the
        day count and width, the days as differences, the layout ids, then the points and the
        values component by component, zlib level 6."""
        n, k = len(days), max((len(p) for p, _v in cells), default=0)
        points = np.full((k, n), 0xFFFF, dtype="<u2")
        values = np.full((k, n), np.nan, dtype="<f4")
        for j, (p, v) in enumerate(cells):
            for i, (point, value) in enumerate(zip(p, v, strict=True)):
                if point is not None:
                    points[i, j] = round(float(point) * 100)
                    values[i, j] = np.nan if value is None else float(value)
        body = b"".join(
            (
                struct.pack("<II", n, k),
                np.diff(np.array(days, dtype=np.int64), prepend=0).astype("<i4").tobytes(),
                np.array(layout_of_day, dtype="<i4").tobytes(),
                points.tobytes(),
                values.tobytes(),
            )
        )
        return zlib.compress(body, 6)

    epoch = date(1970, 1, 1).toordinal()
    bands = {"green": 0, "yellow": 1, "red": 2}
    layout_ids: dict[str, int] = {}
    counts = conn.execute(
        text("SELECT account_id, count(*) FROM health_snapshots GROUP BY account_id ORDER BY account_id")
    ).all()
    total = sum(n for _a, n in counts)
    # Whole accounts (their breakdowns are packed together), about 5,000 rows at a time.
    parts: list[list[int]] = [[]]
    size = 0
    for account_id, n in counts:
        if size and size + n > 5000:
            parts.append([])
            size = 0
        parts[-1].append(account_id)
        size += n
    done = 0
    _report(conn, 0, total)
    for part in parts if total else []:
        rows = conn.execute(
            text(
                "SELECT account_id, as_of, score, band, complete, model_id, components FROM health_snapshots "
                f"WHERE account_id IN ({', '.join(str(int(a)) for a in part)}) ORDER BY account_id, as_of"
            )
        ).all()
        converted: list[dict] = []
        history: dict[int, tuple[list[int], list[int], list[tuple[list, list]]]] = {}
        for account_id, as_of, score, band, complete, model_id, stored in rows:
            day = date.fromisoformat(str(as_of)[:10]).toordinal() - epoch
            days, layout_of_day, cells = history.setdefault(account_id, ([], [], []))
            comps = json.loads(stored) if isinstance(stored, str) else (stored or [])
            layout = [
                {"key": c.get("key", ""), "measure": c.get("measure", ""), "weight": c.get("weight") or 0}
                for c in comps
            ]
            key = json.dumps(layout, sort_keys=True)
            if key not in layout_ids:
                layout_ids[key] = conn.execute(
                    layouts.insert().values(components=layout)
                ).inserted_primary_key[0]
            points = [None if c.get("missing") else c.get("points") for c in comps]
            values = [None if p is None else c.get("value") for c, p in zip(comps, points, strict=True)]
            days.append(day)
            layout_of_day.append(layout_ids[key])
            cells.append((points, values))
            converted.append(
                {
                    "account_id": account_id,
                    "as_of": day,
                    "score": round(float(score) * 10),
                    "band": bands.get(band, 2),
                    "complete": bool(complete),
                    "model_id": model_id,
                }
            )
        if converted:
            conn.execute(compact.insert(), converted)
            conn.execute(
                breakdowns.insert(),
                [
                    {"account_id": a, "first_day": days[0], "data": pack(days, layout_of_day, cells)}
                    for a, (days, layout_of_day, cells) in history.items()
                ],
            )
        done += len(rows)
        _report(conn, done, total)
    conn.execute(text("DROP TABLE health_snapshots"))
    conn.execute(text("ALTER TABLE health_snapshots_v2 RENAME TO health_snapshots"))
    conn.execute(text("CREATE INDEX ix_health_snapshots_as_of_score ON health_snapshots (as_of, score)"))
    return total


def _v2_playbooks(conn: Connection) -> None:
    """v2: playbooks and their runs, sales hand-offs, expansion opportunities; tasks name their playbook."""
    from sqlalchemy import (
        JSON,
        BigInteger,
        Boolean,
        Column,
        Date,
        DateTime,
        ForeignKey,
        Integer,
        MetaData,
        String,
        Table,
        Text,
        UniqueConstraint,
        func,
    )

    # Frozen here (not read from db.models, which may change later).
    meta = MetaData()
    Table("accounts", meta, Column("id", Integer, primary_key=True))
    Table(
        "playbooks",
        meta,
        Column("id", Integer, primary_key=True),
        Column("builtin_key", String(40), unique=True),
        Column("name", String(150), nullable=False),
        Column("trigger", String(30), nullable=False),
        Column("params", JSON, nullable=False),
        Column("steps", JSON, nullable=False),
        Column("enabled", Boolean, nullable=False),
        Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    )
    Table(
        "playbook_runs",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "playbook_id", Integer, ForeignKey("playbooks.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column(
            "account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("occurrence_key", String(60), nullable=False),
        Column("occurred_on", Date, nullable=False),
        Column("ran_at", DateTime, nullable=False),
        Column("tasks_created", Integer, nullable=False),
        UniqueConstraint("playbook_id", "account_id", "occurrence_key", name="uq_playbook_run"),
    )
    Table(
        "handoffs",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        Column("pains", Text),
        Column("promised_outcomes", Text),
        Column("stakeholders", Text),
        Column("risks", Text),
        Column("deal_notes", Text),
        Column("seller", String(150)),
        Column("updated_at", DateTime),
    )
    Table(
        "opportunities",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("kind", String(15), nullable=False),
        Column("title", String(200), nullable=False),
        Column("value_cents", BigInteger, nullable=False),
        Column("status", String(10), nullable=False),
        Column("executive", String(150)),
        Column("executive_email", String(254)),
        Column("notes", Text),
        Column("opened_on", Date, nullable=False),
        Column("closed_on", Date),
        Column("handed_off_on", Date),
    )
    for name in ("playbooks", "playbook_runs", "handoffs", "opportunities"):
        meta.tables[name].create(conn)
    # tasks.playbook_id: added with the renewals (_v2_rhythm), which runs first


# Indexes on import_run_id hold only the rows an import wrote (undo finds them): a demo
# book or a hand-kept one has none, and the index stays near empty instead of one entry a row.
_PARTIAL_IMPORT_INDEXES = (
    ("ix_measures_import_run_id", "measures"),
    ("ix_timeline_events_import_run_id", "timeline_events"),
    ("ix_survey_responses_import_run_id", "survey_responses"),
    ("ix_revenue_changes_import_run_id", "revenue_changes"),
)


def _v2_narrower_indexes(conn: Connection) -> None:
    """Indexes that cost more than they serve: one entry per row for nothing."""
    from sqlalchemy import text

    # Every reader of measures by metric reads most of the table (or goes by account).
    conn.execute(text("DROP INDEX IF EXISTS ix_measures_metric"))
    for name, table in _PARTIAL_IMPORT_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        conn.execute(text(f"CREATE INDEX {name} ON {table} (import_run_id) WHERE import_run_id IS NOT NULL"))


# The on-disk code of each measure (frozen copy of db.models.MEASURE_CODES at version 2).
_V2_MEASURE_CODES = (
    "logins",
    "active_users",
    "licensed_users",
    "key_feature_use",
    "tickets",
    "critical_tickets",
    "payment_delay_days",
    "qbr_attendance",
    "csm_pulse",
)


# Where a measure came from, by its on-disk code (frozen copy of db.codes.MEASURE_SOURCE_CODES).
_V2_MEASURE_SOURCE_CODES = ("manual", "import", "demo", "auto")


def _v2_narrow_measures(conn: Connection) -> int:
    """Measures are keyed by (account, metric, day) without a row id (SQLite WITHOUT ROWID:
    the table is its own index), the metric and the source as small codes and the day as
    days since 1970.

    A metric or source outside the lists keeps its text. The import changes that named a
    measure by its id name it by its key: ``row_id`` the account, the metric and the day
    carried in their ``before``/``after`` values (a change of a measure deleted since goes:
    there is nothing left to restore).
    """
    from sqlalchemy import text

    def coded(column: str, words: tuple[str, ...]) -> str:
        cases = " ".join(f"WHEN '{word}' THEN {code}" for code, word in enumerate(words))
        return f"CASE {column} {cases} ELSE {column} END"

    conn.execute(
        text(
            "DELETE FROM import_changes WHERE table_name = 'measures' "
            "AND row_id NOT IN (SELECT id FROM measures)"
        )
    )
    key = (
        "'$.metric', (SELECT metric FROM measures m WHERE m.id = import_changes.row_id), "
        "'$.as_of', (SELECT date(as_of) FROM measures m WHERE m.id = import_changes.row_id)"
    )
    conn.execute(
        text(
            f"UPDATE import_changes SET before = json_set(coalesce(before, '{{}}'), {key}), "
            f"after = CASE WHEN after IS NULL THEN NULL ELSE json_set(after, {key}) END, "
            "row_id = (SELECT account_id FROM measures m WHERE m.id = import_changes.row_id) "
            "WHERE table_name = 'measures'"
        )
    )
    total = conn.execute(text("SELECT count(*) FROM measures")).scalar() or 0
    conn.execute(
        text(
            "CREATE TABLE measures_v2 (account_id INTEGER NOT NULL, metric INTEGER NOT NULL, "
            "as_of INTEGER NOT NULL, value FLOAT NOT NULL, source INTEGER NOT NULL, import_run_id INTEGER, "
            "CONSTRAINT pk_measures PRIMARY KEY (account_id, metric, as_of), "
            "FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE, "
            "FOREIGN KEY(import_run_id) REFERENCES import_runs (id) ON DELETE SET NULL) WITHOUT ROWID"
        )
    )
    # In key order (the table's order): each row goes at the end, pages written full.
    conn.execute(
        text(
            "INSERT INTO measures_v2 (account_id, metric, as_of, value, source, import_run_id) "
            f"SELECT * FROM (SELECT account_id, {coded('metric', _V2_MEASURE_CODES)} AS metric, "
            "CAST(julianday(as_of) - 2440587.5 AS INTEGER) AS as_of, value, "
            f"{coded('source', _V2_MEASURE_SOURCE_CODES)}, import_run_id FROM measures) "
            "ORDER BY account_id, metric, as_of"
        )
    )
    conn.execute(text("DROP TABLE measures"))
    conn.execute(text("ALTER TABLE measures_v2 RENAME TO measures"))
    conn.execute(
        text(
            "CREATE INDEX ix_measures_import_run_id ON measures (import_run_id) "
            "WHERE import_run_id IS NOT NULL"
        )
    )
    return total


def _v2_lean_search_index(conn: Connection) -> bool:
    """The timeline's search index keeps only which events hold each token, no positions nor
    sizes (a fifth of the file space): rebuilt so from the events, with its triggers."""
    from sqlalchemy import text

    if not conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'timeline_fts'")).first():
        return False
    for trigger in ("timeline_fts_ai", "timeline_fts_ad", "timeline_fts_au"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
    conn.execute(text("DROP TABLE timeline_fts"))
    # Frozen here (db.search.install creates the same on new books).
    for statement in (
        "CREATE VIRTUAL TABLE timeline_fts USING fts5("
        "title, body, content='timeline_events', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2', detail=none, columnsize=0)",
        "CREATE TRIGGER timeline_fts_ai AFTER INSERT ON timeline_events BEGIN "
        "INSERT INTO timeline_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
        "CREATE TRIGGER timeline_fts_ad AFTER DELETE ON timeline_events BEGIN "
        "INSERT INTO timeline_fts(timeline_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END",
        "CREATE TRIGGER timeline_fts_au AFTER UPDATE OF title, body ON timeline_events BEGIN "
        "INSERT INTO timeline_fts(timeline_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO timeline_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
        "INSERT INTO timeline_fts(timeline_fts) VALUES ('rebuild')",
    ):
        conn.execute(text(statement))
    return True


def _v2_composed_titles(conn: Connection) -> int:
    """v2: revenue movements' and survey answers' timeline titles are rendered from their data
    when shown, in the reader's language: the titles version 1 stored are cleared where the data
    has the MRR or the score they name (an event whose data lacks it keeps its stored title).
    Closed renewals, whose titles version 2 also renders, came with version 2: version 1 stored
    none. Frozen rule, as version 2 writes."""
    from sqlalchemy import text

    after = "json_type(data, '$.mrr_after_cents') = 'integer'"
    before = "json_type(data, '$.mrr_before_cents') = 'integer'"
    result = conn.execute(
        text(
            "UPDATE timeline_events SET title = '' WHERE kind = 'revenue_change' AND title <> '' "
            "AND data IS NOT NULL AND json_valid(data) AND ("
            f"(subkind IN ('new', 'opening', 'reactivation') AND {after}) "
            f"OR (subkind = 'churn' AND {before}) "
            f"OR (subkind IN ('expansion', 'contraction') AND {after} AND {before}))"
        )
    )
    # Survey answers: the title is the score's; a CSAT the demo asked on a 1-5 scale keeps it.
    conn.execute(
        text(
            "UPDATE timeline_events SET data = json_set(data, '$.scale', 5) WHERE kind = 'csat' "
            "AND data IS NOT NULL AND json_valid(data) AND json_type(data, '$.score') = 'integer' "
            "AND title = 'CSAT: ' || json_extract(data, '$.score') || '/5'"
        )
    )
    surveys = conn.execute(
        text(
            "UPDATE timeline_events SET title = '' WHERE kind IN ('nps', 'csat', 'ces') AND title <> '' "
            "AND data IS NOT NULL AND json_valid(data) AND json_type(data, '$.score') IN ('integer', 'real')"
        )
    )
    return (result.rowcount or 0) + (surveys.rowcount or 0)


def _v2_rhythm(conn: Connection) -> None:
    """v2: renewals with outcomes, churn records, and the playbook a task came from."""
    from sqlalchemy import (
        BigInteger,
        Column,
        Date,
        DateTime,
        ForeignKey,
        Integer,
        MetaData,
        String,
        Table,
        Text,
        func,
        text,
    )

    # Frozen here (not read from db.models, which may change later); ``accounts`` is only
    # named so the foreign keys resolve, and is not created.
    meta = MetaData()
    Table("accounts", meta, Column("id", Integer, primary_key=True))
    renewals = Table(
        "renewals",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("due_date", Date, index=True),
        Column("outcome", String(10), nullable=False),
        Column("mrr_before_cents", BigInteger, nullable=False),
        Column("mrr_after_cents", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("term_months", Integer),
        Column("closed_on", Date, nullable=False),
        Column("next_renewal_date", Date),
        Column("notes", Text),
        Column("created_at", DateTime, server_default=func.current_timestamp(), nullable=False),
    )
    churn_records = Table(
        "churn_records",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("churn_date", Date, nullable=False),
        Column("reason", String(30)),
        Column("churn_type", String(12)),
        Column("root_cause", Text),
        Column("save_attempts", Text),
        Column("mrr_lost_cents", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("created_at", DateTime, server_default=func.current_timestamp(), nullable=False),
    )
    renewals.create(conn)
    churn_records.create(conn)
    conn.execute(text("ALTER TABLE tasks ADD COLUMN playbook_id INTEGER"))


def _v2_team(conn: Connection) -> None:
    """v2: a shared book: each account's edit version, who logged each event, task and import,
    and the change counter other CSDesks poll."""
    from sqlalchemy import Column, Integer, MetaData, Table, text

    for table in ("timeline_events", "tasks", "import_runs"):
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN author VARCHAR(150)"))
    conn.execute(text("ALTER TABLE accounts ADD COLUMN version INTEGER DEFAULT 0 NOT NULL"))
    # Frozen here (not read from db.models, which may change later).
    changes = Table(
        "db_changes",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("counter", Integer),
    )
    changes.create(conn)
    conn.execute(changes.insert().values(id=1, counter=0))


# The on-disk codes of the timeline's closed lists at version 2 (frozen copies of db.codes).
_V2_EVENT_CODES = {
    "kind": (
        "email",
        "meeting",
        "ticket",
        "call",
        "note",
        "nps",
        "csat",
        "ces",
        "revenue_change",
        "escalation",
        "churn_request",
        "save_attempt",
        "first_value",
        "advocacy",
        "pulse",
        "health_change",
        "renewal",
        "milestone",
        "expansion_opportunity",
        "document",
    ),
    "channel": ("email", "phone", "video", "in_person", "in_app", "chat"),
    "severity": ("low", "medium", "high", "critical"),
    "source": ("manual", "import", "auto"),
}


def _v2_seconds(column: str) -> str:
    """SQL: a version-1 date-time (ISO text ``YYYY-MM-DD HH:MM:SS[.ffffff]``) as seconds since 1970
    of its wall time, as db.encoding.encode_epoch_seconds writes them: whole seconds, plus
    micro / 1e6 when not zero (the same float Python makes, so equal to a newly written moment).
    Text SQLite cannot read stays as it is. Frozen rule."""
    whole = f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
    micro = f"CAST(substr({column} || '000000', 21, 6) AS INTEGER)"
    return (
        f"CASE WHEN typeof({column}) <> 'text' THEN {column} "
        f"WHEN {whole} IS NULL THEN {column} "
        f"WHEN substr({column}, 20, 1) = '.' AND {micro} <> 0 THEN {whole} + {micro} / 1000000.0 "
        f"ELSE {whole} END"
    )


def _v2_event_codes(conn: Connection) -> int:
    """Timeline events keep their kind, channel, severity and source as small codes (a word
    outside the lists keeps its text), in the row and in the kind index; and their moments
    (occurred_at, created_at) as seconds since 1970 (``_v2_seconds``): 4 bytes instead of 19-26
    of text in the row and in both indexes on the time, created_at's default writing seconds too.

    The table is rebuilt (same ids, so the search index stays valid) with integer columns:
    codes in version 1's text columns would be stored as text (and SQLite cannot otherwise
    change a column's default). Its search triggers go with
    it and are made again by ``_v2_lean_search_index``, which runs next.
    """
    from sqlalchemy import text

    total = conn.execute(text("SELECT count(*) FROM timeline_events")).scalar() or 0
    conn.execute(
        text(
            "CREATE TABLE timeline_events_v2 (id INTEGER NOT NULL, account_id INTEGER NOT NULL, "
            "occurred_at INTEGER NOT NULL, kind INTEGER NOT NULL, subkind VARCHAR(30), "
            "title VARCHAR(300) NOT NULL, body TEXT, channel INTEGER, severity INTEGER, "
            "source INTEGER NOT NULL, contact_id INTEGER, import_run_id INTEGER, data JSON NOT NULL, "
            "import_key VARCHAR(64), "
            "created_at INTEGER DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)) NOT NULL, "
            "author VARCHAR(150), PRIMARY KEY (id), "
            "FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE, "
            "FOREIGN KEY(contact_id) REFERENCES contacts (id) ON DELETE SET NULL, "
            "FOREIGN KEY(import_run_id) REFERENCES import_runs (id) ON DELETE SET NULL)"
        )
    )
    coded = {}
    for column, words in _V2_EVENT_CODES.items():
        cases = " ".join(f"WHEN '{word}' THEN {code}" for code, word in enumerate(words))
        coded[column] = f"CASE {column} {cases} ELSE {column} END"
    for column in ("occurred_at", "created_at"):
        coded[column] = _v2_seconds(column)
    columns = (
        "id, account_id, occurred_at, kind, subkind, title, body, channel, severity, source, "
        "contact_id, import_run_id, data, import_key, created_at, author"
    )
    selected = ", ".join(coded.get(name, name) for name in columns.split(", "))
    conn.execute(text(f"INSERT INTO timeline_events_v2 ({columns}) SELECT {selected} FROM timeline_events ORDER BY id"))
    conn.execute(text("DROP TABLE timeline_events"))
    conn.execute(text("ALTER TABLE timeline_events_v2 RENAME TO timeline_events"))
    for statement in (
        "CREATE INDEX ix_timeline_events_occurred_at ON timeline_events (occurred_at)",
        "CREATE INDEX ix_events_account_time ON timeline_events (account_id, occurred_at)",
        "CREATE INDEX ix_timeline_events_kind ON timeline_events (kind)",
        "CREATE INDEX ix_timeline_events_import_run_id ON timeline_events (import_run_id) "
        "WHERE import_run_id IS NOT NULL",
    ):
        conn.execute(text(statement))
    return total


# The date-time columns of a version-1 book (frozen; SQLite stored them as text). The timeline's
# become seconds when its table is rebuilt (_v2_event_codes).
_V1_DATETIME_COLUMNS = (
    ("accounts", "last_touch_at"),
    ("accounts", "created_at"),
    ("accounts", "updated_at"),
    ("tasks", "created_at"),
    ("tasks", "completed_at"),
    ("success_plans", "created_at"),
    ("success_plans", "updated_at"),
    ("health_models", "updated_at"),
    ("templates", "updated_at"),
    ("import_runs", "started_at"),
    ("import_runs", "undone_at"),
)


def _v2_survey_seconds(conn: Connection) -> int:
    """Survey answers keep their moment as seconds since 1970, like the timeline's (``_v2_seconds``):
    in the row and in both indexes on it. The column's numeric affinity keeps the numbers."""
    from sqlalchemy import text

    return conn.execute(text(f"UPDATE survey_responses SET answered_at = {_v2_seconds('answered_at')}")).rowcount or 0


def _v2_compact_datetimes(conn: Connection) -> int:
    """Date-times are stored without a zero fraction (``2026-01-05 00:00:00``, as
    db.encoding writes them): version 1 wrote ``.000000`` after every whole second.
    Eight bytes less in each row and index entry, and equal in SQL to the new rows'."""
    from sqlalchemy import text

    present = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    rewritten = 0
    for table, column in _V1_DATETIME_COLUMNS:
        if table in present:
            rewritten += conn.execute(
                text(f"UPDATE {table} SET {column} = substr({column}, 1, 19) WHERE {column} LIKE '%.000000'")
            ).rowcount
    return rewritten


def _v2(conn: Connection) -> bool:
    """Version 2: undo that tells hand edits apart, team mode, the CSM's rhythm, playbooks, narrower indexes, compact health history.

    Version 1 books are SQLite files (a shared book on a server starts at version 2), so
    the step is written for SQLite alone.
    """
    if conn.dialect.name != "sqlite":
        raise SchemaError("schema 1 exists only as a SQLite file; a shared book cannot be at schema 1")
    _import_changes_after(conn)
    _v2_team(conn)
    _v2_rhythm(conn)
    _v2_playbooks(conn)
    _v2_narrower_indexes(conn)
    _v2_composed_titles(conn)
    events = _v2_event_codes(conn)  # after the steps above, which read the kinds as words
    _v2_lean_search_index(conn)  # after the events' rebuild: makes their search triggers again
    measures = _v2_narrow_measures(conn)
    datetimes = _v2_compact_datetimes(conn) + _v2_survey_seconds(conn)
    # The JSON breakdowns freed most of the table; many measures rewritten free half theirs.
    return (
        _v2_compact_health_history(conn) > 0
        or measures >= 100_000
        or datetimes >= 100_000
        or events >= 100_000
    )


# version reached -> step from the version before it
MIGRATIONS: dict[int, MigrationStep] = {2: _v2}


class SchemaError(Exception):
    """The database's schema cannot be used by this CSDesk."""


def read_version(conn: Connection) -> int | None:
    """The stored schema version; None for an empty database."""
    from sqlalchemy import inspect, select

    from db.models import SchemaInfo

    tables = set(inspect(conn).get_table_names())
    if not tables:
        return None
    if SchemaInfo.__tablename__ not in tables:
        raise SchemaError("not a CSDesk database (it has tables but no schema version)")
    version = conn.execute(select(SchemaInfo.version)).scalar()
    if version is None:
        raise SchemaError("its schema version is missing")
    return int(version)


def backup_sqlite(path: Path, version: int) -> Path:
    """Copy a live SQLite database with the backup API, next to the original.

    The copy is written under a ``.part`` name and renamed when complete, so a
    ``.bak`` file is always a whole copy, even if CSDesk is killed meanwhile (a
    ``.part`` left by a killed one is removed by the next backup).
    """
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.v*.bak.part*"):
        leftover.unlink(missing_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    part = target.with_name(f"{target.name}.part")
    source = sqlite3.connect(str(path))
    try:
        dest = sqlite3.connect(str(part))
        try:
            source.backup(dest)
        finally:
            dest.close()
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target


def _is_lock_error(exc: DBAPIError) -> bool:
    message = str(exc.orig or exc).lower()
    return "locked" in message or "busy" in message


def _step_failed(location: str, target: int, exc: Exception, backup: Path | None) -> SchemaError:
    kept = f" A copy from before the upgrade is in {backup}." if backup else ""
    return SchemaError(
        f"{location}: could not be upgraded to schema {target} ({exc}). "
        f"It stays at schema {target - 1}; nothing of that step was applied.{kept}"
    )


def vacuum_sqlite(engine: Engine) -> None:
    """Rebuild a SQLite file without its free pages (after a step rewrote a big table).

    Best effort: the upgrade is already committed, so a VACUUM that cannot run now
    (another program reading, a full disk) only leaves the file larger.
    """
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, ":memory:"):
        return
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        driver.execute("VACUUM")
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass
    finally:
        raw.close()


def upgrade(engine: Engine, location: str, progress: UpgradeProgress | None = None) -> int:
    """Bring the database to CURRENT_VERSION; return the version it had (0 = new).

    ``progress(done, total)`` is called during the long steps.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from db import migrations
    from db.engine import DatabaseError, writing
    from db.models import Base, ChangeCounter, SchemaInfo

    with engine.connect() as conn:
        try:
            version = read_version(conn)
        except SchemaError as exc:
            raise SchemaError(f"{location}: {exc}. Nothing was changed.") from exc
    # Creating and upgrading wait for any other writer, then hold it off; they count no change
    # (the counter is made by them; nobody has the book open on the schema they change).
    writer = writing(engine).execution_options(csdesk_count=False)
    if version is None:
        with writer.begin() as conn:
            # Another CSDesk may have created it while this one waited for the write lock.
            version = read_version(conn)
            if version is None:
                Base.metadata.create_all(conn)
                conn.execute(SchemaInfo.__table__.insert().values(id=1, version=CURRENT_VERSION))
                conn.execute(ChangeCounter.__table__.insert().values(id=1, counter=0))
                migrations.stamp(conn, "head")
                return 0
    if version > CURRENT_VERSION:
        raise SchemaError(
            f"{location}: was saved by a newer CSDesk (schema {version}, this one knows up to "
            f"{CURRENT_VERSION}). Update CSDesk to open it; nothing was changed."
        )
    if version < CURRENT_VERSION:
        backup = None
        if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, ":memory:"):
            try:
                backup = backup_sqlite(Path(engine.url.database), version)
            except (sqlite3.Error, OSError) as exc:
                raise SchemaError(
                    f"{location}: could not be backed up before upgrading its schema ({exc}). Nothing was changed."
                ) from exc
        for target in range(version + 1, CURRENT_VERSION + 1):
            shrink = False
            try:
                with writer.begin() as conn:
                    if read_version(conn) >= target:
                        continue  # another CSDesk took this step while this one waited
                    conn.info[_PROGRESS] = progress
                    try:
                        shrink = bool(MIGRATIONS[target](conn))
                    finally:
                        conn.info.pop(_PROGRESS, None)
                    conn.execute(text("UPDATE schema_info SET version = :v"), {"v": target})
                    if target == CURRENT_VERSION:  # Alembic's baseline, in the same commit
                        migrations.stamp(conn, migrations.BASELINE)
            except DatabaseError:
                raise  # waited too long for another writer: the engine's own message
            except DBAPIError as exc:
                if _is_lock_error(exc):
                    raise  # the engine turns it into "locked by another program"
                raise _step_failed(location, target, exc, backup) from exc
            except Exception as exc:
                raise _step_failed(location, target, exc, backup) from exc
            if shrink:
                vacuum_sqlite(engine)
    _upgrade_revisions(engine, location, version)
    return version


def _upgrade_revisions(engine: Engine, location: str, version: int) -> None:
    """Stamp a book at schema ``CURRENT_VERSION`` with Alembic's baseline if it has no revision
    yet, then run the revisions after it (backup first on SQLite), under the write lock.

    A revision this CSDesk does not know was written by a newer one: refused, untouched.
    """
    from db import migrations
    from db.engine import writing

    with engine.connect() as conn:
        revision = migrations.current(conn)
    if revision == migrations.HEAD:
        return
    if revision is not None and not migrations.is_known(revision):
        raise SchemaError(
            f"{location}: was saved by a newer CSDesk (schema revision {revision}, this one knows up to "
            f"{migrations.HEAD}). Update CSDesk to open it; nothing was changed."
        )
    backup = None
    if (revision or migrations.BASELINE) != migrations.HEAD and _is_sqlite_file(engine):
        try:
            backup = backup_sqlite(Path(engine.url.database), version)
        except (sqlite3.Error, OSError) as exc:
            raise SchemaError(
                f"{location}: could not be backed up before upgrading its schema ({exc}). Nothing was changed."
            ) from exc
    try:
        with writing(engine).execution_options(csdesk_count=False).begin() as conn:
            if migrations.current(conn) is None:  # read again: another CSDesk may have done it meanwhile
                migrations.stamp(conn, migrations.BASELINE)
            if migrations.current(conn) != migrations.HEAD:
                migrations.upgrade(conn)
    except Exception as exc:
        kept = f" A copy from before the upgrade is in {backup}." if backup else ""
        raise SchemaError(
            f"{location}: could not be upgraded to schema revision {migrations.HEAD} ({exc}). "
            f"Nothing of that upgrade was applied.{kept}"
        ) from exc


def _is_sqlite_file(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, ":memory:")
