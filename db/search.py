"""Full-text search over timeline events, kept behind this module.

On SQLite an FTS5 index (``timeline_fts``, external content over
``timeline_events``) is maintained by triggers, so every writer (services,
bulk imports, the demo generator) keeps it right without knowing about it.
Its ``unicode61 remove_diacritics 2`` tokenizer folds case and accents the way
``csdesk.rules.names.fold`` does. The index keeps only which events hold each token
(``detail=none``, no sizes: a fifth of the full index): a search needs nothing
more, as it matches every word as a token prefix, in title or body, and orders by date.

On PostgreSQL a GIN index over ``csdesk_search_vector(title, body)``: the
words of the text as a ``tsvector``, folded as FTS5's ``remove_diacritics``
folds (``normalize(NFD)``, combining marks dropped, ``lower()``; no compatibility
forms: a ligature stays one) and split as its tokenizer splits (at every character that is not a letter, digit or mark), so
both engines find the same events. It needs no extension (``unaccent`` is not
creatable by every role, and its rules differ from FTS5's); the index is kept
by PostgreSQL itself. The database must be UTF-8 (``normalize``).

Other backends (or a role that may not create the function) get a portable
fallback: a scan in newest-first order that folds each row in Python and
stops at ``limit``.

Callers pass already-folded words; this module never imports the core.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the start-up checks below need no SQLAlchemy
    from sqlalchemy import Connection, Engine

FTS_TABLE = "timeline_fts"

_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, content='timeline_events', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', detail=none, columnsize=0)",
    f"CREATE TRIGGER IF NOT EXISTS timeline_fts_ai AFTER INSERT ON timeline_events BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS timeline_fts_ad AFTER DELETE ON timeline_events BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    f"CREATE TRIGGER IF NOT EXISTS timeline_fts_au AFTER UPDATE OF title, body ON timeline_events BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)

TRIGGERS = ("timeline_fts_ai", "timeline_fts_ad", "timeline_fts_au")


def installed_in(names: set[str]) -> bool:
    """True when a database with these sqlite_master names has the index and its triggers."""
    return FTS_TABLE in names and all(trigger in names for trigger in TRIGGERS)


_WORD = re.compile(r"\w+", re.UNICODE)


def has_fts(conn: Connection) -> bool:
    """True when this database searches with FTS5."""
    return conn.dialect.name == "sqlite" and _fts5_available(conn)


def _fts5_available(conn: Connection) -> bool:
    try:
        options = {row[0] for row in conn.exec_driver_sql("PRAGMA compile_options")}
    except Exception:  # pragma: no cover - exotic builds
        return False
    return "ENABLE_FTS5" in options or _probe_fts5(conn)


def _probe_fts5(conn: Connection) -> bool:
    try:
        conn.exec_driver_sql("SELECT fts5(NULL)")
    except Exception:
        return False
    return True  # pragma: no cover


def install(engine: Engine) -> None:
    """Create the search index and its triggers if missing (idempotent), under the write lock.

    An index created on a database that already has events is filled from them.
    """
    if engine.dialect.name == "postgresql":
        _install_postgresql(engine)
        return
    if engine.dialect.name != "sqlite":
        return
    from db.engine import writing

    with writing(engine).begin() as conn:
        if not has_fts(conn):
            return
        existed = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (FTS_TABLE,)
        ).first()
        for statement in _DDL:
            conn.exec_driver_sql(statement)
        if not existed:
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


PG_FUNCTION = "csdesk_search_vector"
PG_INDEX = "ix_timeline_events_search"


# The combining marks, dropped after the NFD decomposition (accents, cedillas, tildes…).
_PG_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"


def _pg_separators() -> str:
    """The regular-expression class of the characters that split words: every one that is not a
    letter, a digit, a mark or private use, as FTS5's ``unicode61`` tokenizer splits."""
    import unicodedata

    separators = [
        cp
        for cp in range(0x80, 0x10000)
        if not 0xD800 <= cp < 0xE000
        and unicodedata.category(chr(cp))[0] not in "LNM"
        and unicodedata.category(chr(cp)) != "Co"
    ]
    ranges, start, previous = [], separators[0], separators[0]
    for cp in [*separators[1:], -1]:
        if cp != previous + 1:
            ranges.append(chr(start) if start == previous else f"{chr(start)}-{chr(previous)}")
            start = cp
        previous = cp
    # Inside [...]: ASCII other than letters and digits, then the Unicode separators.
    ascii_separators = r"\x01-/:-@\[-`{-\x7f"
    return "[" + ascii_separators + "".join(ranges) + "]+"


def _pg_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pg_ddl() -> tuple[str, str]:
    # Folded as FTS5 folds: NFD, combining marks dropped, lower case.
    folded = (
        "lower(regexp_replace(normalize(coalesce(title, '') || ' ' || coalesce(body, ''), NFD), "
        f"{_pg_literal(_PG_MARKS)}, '', 'g'))"
    )
    function = (
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}(title text, body text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ "
        "SELECT coalesce(array_to_tsvector(array_agg(word)), ''::tsvector) "
        f"FROM regexp_split_to_table({folded}, {_pg_literal(_pg_separators())}) AS word "
        # tsvector lexemes stop at 2 KB (a base64 blob in an e-mail body is not a word anyway)
        "WHERE word <> '' AND octet_length(word) < 2000 $fn$"
    )
    index = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON timeline_events USING gin ({PG_FUNCTION}(title, body))"
    return function, index


def _pg_indexed(conn: Connection) -> bool:
    return (
        conn.exec_driver_sql(
            "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %(name)s",
            {"name": PG_INDEX},
        ).first()
        is not None
    )


def _install_postgresql(engine: Engine) -> None:
    import logging

    from sqlalchemy.exc import DBAPIError

    from db.engine import writing

    with engine.connect() as conn:
        if _pg_indexed(conn):
            return  # the usual case: no need to wait for the write lock
    with writing(engine).begin() as conn:
        if _pg_indexed(conn):
            return  # created by another CSDesk while this one waited
        try:
            with conn.begin_nested():
                for statement in _pg_ddl():
                    conn.exec_driver_sql(statement)
        except DBAPIError as exc:  # e.g. a role that may not create functions: search still works
            logging.getLogger(__name__).warning(
                "full-text index not created (%s); searching without it", exc.orig or exc
            )


def has_index(conn: Connection) -> bool:
    """True when searching uses an index (FTS5 on SQLite, GIN on PostgreSQL), not a scan."""
    if conn.dialect.name == "postgresql":
        return _pg_indexed(conn)
    return (
        has_fts(conn)
        and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (FTS_TABLE,)
        ).first()
        is not None
    )


FILL_CHUNK = 10_000


@contextmanager
def bulk_insert(conn: Connection, progress: Callable[[int, int], None] | None = None) -> Iterator[None]:
    """Add many events at once, indexing them in a few statements at the end.

    The per-row trigger is dropped for the duration (inside the caller's
    transaction, so a failure restores it with everything else): 4x faster
    for the demo generator's hundreds of thousands of events. The index is
    filled in chunks of ``FILL_CHUNK`` events, calling ``progress(done, total)``
    after each, so a long fill can report (and be cancelled) as it goes.
    """
    indexed = (
        conn.dialect.name == "sqlite"
        and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='trigger' AND name='timeline_fts_ai'"
        ).first()
    )
    if not indexed:
        yield
        return
    last_id = conn.exec_driver_sql("SELECT max(id) FROM timeline_events").scalar() or 0
    conn.exec_driver_sql("DROP TRIGGER timeline_fts_ai")
    yield
    top = conn.exec_driver_sql("SELECT max(id) FROM timeline_events").scalar() or 0
    sql = (
        f"INSERT INTO {FTS_TABLE}(rowid, title, body) "
        "SELECT id, title, body FROM timeline_events WHERE id > ? AND id <= ?"
    )
    total = max(top - last_id, 0)
    for lo in range(last_id, top, FILL_CHUNK):
        conn.exec_driver_sql(sql, (lo, min(lo + FILL_CHUNK, top)))
        if progress is not None:
            progress(min(lo + FILL_CHUNK, top) - last_id, total)
    conn.exec_driver_sql(_DDL[1])


# What the unicode61 tokenizer splits tokens at (as \\w, but "_" is a separator too).
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)


def _fts_query(words: Sequence[str]) -> str:
    """Each word quoted (so FTS syntax in user text is inert) and matched as a prefix.

    A word the tokenizer splits ("a_b") becomes its tokens, the last one a prefix (the
    index keeps no positions for a phrase)."""
    terms = []
    for word in words:
        tokens = [t for t in _SEPARATORS.split(word) if t]
        terms += ['"' + t.replace('"', '""') + '"' for t in tokens[:-1]]
        terms += ['"' + t.replace('"', '""') + '"*' for t in tokens[-1:]]
    return " AND ".join(terms)


@dataclass(frozen=True)
class EventFilter:
    """Which events a search looks at: kinds (None = all), ``start <= occurred_at < end``."""

    kinds: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None


NO_FILTER = EventFilter()


def search_event_ids(
    conn: Connection,
    words: Sequence[str],
    *,
    account_id: int | None = None,
    limit: int = 200,
    fold: Callable[[str], str] = str.lower,
    where: EventFilter = NO_FILTER,
) -> list[int]:
    """Ids of events whose title or body holds every word (as a word prefix), newest first.

    ``words`` are already folded (lower case, no accents). ``fold`` is used by
    the portable fallback to fold stored text the same way. ``where`` narrows
    the events by kind and period.
    """
    words = [w for w in words if w]
    if not words:
        return []
    if conn.dialect.name == "postgresql" and _pg_indexed(conn):
        return _search_postgresql(conn, words, account_id, limit, where)
    if conn.dialect.name == "sqlite" and has_index(conn):
        return _search_fts(conn, words, account_id, limit, where)
    return search_event_ids_portable(conn, words, account_id=account_id, limit=limit, fold=fold, where=where)


def _filter_sql(where: EventFilter, params: dict[str, object]) -> tuple[str, list]:
    """SQL conditions on ``e`` (timeline_events) for ``where``, and their typed bind parameters."""
    from sqlalchemy import bindparam

    from db.models import DateTime, TimelineEvent

    clauses, binds = [], []
    if where.kinds is not None:
        clauses.append("AND e.kind IN :kinds")
        params["kinds"] = list(where.kinds) or [None]  # no kind chosen: nothing matches
        binds.append(bindparam("kinds", expanding=True, type_=TimelineEvent.kind.type))  # stored as codes
    for name, op in (("start", ">="), ("end", "<")):
        value = getattr(where, name)
        if value is not None:
            clauses.append(f"AND e.occurred_at {op} :{name}")
            params[name] = value
            binds.append(bindparam(name, type_=DateTime))  # stored as the models' date-times
    return " ".join(clauses), binds


# Above this many matches, walking the date index newest-first (stopping at ``limit``) beats
# sorting every match: a common word over 1M events goes from ~250 ms to ~20 ms.
_WALK_THRESHOLD = 2000


def _search_fts(
    conn: Connection, words: Sequence[str], account_id: int | None, limit: int, where: EventFilter = NO_FILTER
) -> list[int]:
    from sqlalchemy import text

    query = _fts_query(words)
    if not query:
        return []  # nothing the index holds a token of
    params: dict[str, object] = {"q": query, "limit": limit}
    conditions, binds = _filter_sql(where, params)
    if account_id is not None:
        conditions += " AND e.account_id = :account"
        params["account"] = account_id
    many = (
        account_id is None
        and conn.execute(
            text(
                f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT :cap)"
            ),
            {"q": params["q"], "cap": _WALK_THRESHOLD + 1},
        ).scalar()
        > _WALK_THRESHOLD
    )
    if many:
        sql = text(
            "SELECT e.id FROM timeline_events e INDEXED BY ix_timeline_events_occurred_at "
            f"WHERE e.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q) {conditions} "
            "ORDER BY e.occurred_at DESC, e.id DESC LIMIT :limit"
        )
    else:
        sql = text(
            f"SELECT e.id FROM {FTS_TABLE} f JOIN timeline_events e ON e.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH :q {conditions} ORDER BY e.occurred_at DESC, e.id DESC LIMIT :limit"
        )
    return [row[0] for row in conn.execute(sql.bindparams(*binds), params)]


def _tsquery(words: Sequence[str]) -> str:
    # Lexemes quoted as they are (already folded), each a prefix: 'acao':* & 'erp':*
    return " & ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "':*" for w in words)


def _search_postgresql(
    conn: Connection, words: Sequence[str], account_id: int | None, limit: int, where: EventFilter = NO_FILTER
) -> list[int]:
    from sqlalchemy import text

    params: dict[str, object] = {"q": _tsquery(words), "limit": limit}
    conditions, binds = _filter_sql(where, params)
    if account_id is not None:
        conditions += " AND e.account_id = :account"
        params["account"] = account_id
    sql = text(
        f"SELECT e.id FROM timeline_events e WHERE {PG_FUNCTION}(e.title, e.body) @@ CAST(:q AS tsquery) "
        f"{conditions} ORDER BY e.occurred_at DESC, e.id DESC LIMIT :limit"
    )
    return [row[0] for row in conn.execute(sql.bindparams(*binds), params)]


def search_event_ids_portable(
    conn: Connection,
    words: Sequence[str],
    *,
    account_id: int | None = None,
    limit: int = 200,
    fold: Callable[[str], str] = str.lower,
    where: EventFilter = NO_FILTER,
) -> list[int]:
    """Any-backend search: newest-first scan, folding text in Python, word-prefix match."""
    from sqlalchemy import select

    from db.models import TimelineEvent

    query = select(TimelineEvent.id, TimelineEvent.title, TimelineEvent.body).order_by(
        TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc()
    )
    if account_id is not None:
        query = query.where(TimelineEvent.account_id == account_id)
    if where.kinds is not None:
        query = query.where(TimelineEvent.kind.in_(where.kinds))
    if where.start is not None:
        query = query.where(TimelineEvent.occurred_at >= where.start)
    if where.end is not None:
        query = query.where(TimelineEvent.occurred_at < where.end)
    found: list[int] = []
    result = conn.execution_options(yield_per=2000).execute(query)
    for event_id, title, body in result:
        tokens = _WORD.findall(fold(f"{title or ''} {body or ''}"))
        if all(any(t.startswith(w) for t in tokens) for w in words):
            found.append(event_id)
            if len(found) >= limit:
                break
    result.close()
    return found
