"""Bulk writes and reads of many rows: the one bulk writer of the import, the demo book and
health snapshots (millions of rows).

On SQLite the rows go straight to the driver with values already in their stored
form (db.encoding: ISO dates, compact date-times, JSON text, 0/1), which is several
times faster than Core's per-row processing. Other databases take the portable
Core ``insert()`` path.
"""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import JSON, Connection, Date, DateTime, Integer, Table, TypeDecorator, insert, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from db import encoding

BATCH = 50_000


def insert_rows(
    session: Session,
    table: Table,
    columns: dict[str, Sequence[Any]],
    json_columns: Sequence[str] = (),
) -> int:
    """Insert rows given as {column: values}; ``json_columns`` hold JSON text already.

    Columns of a custom type (``db.models.DayNumber``, ``Tenths``, ``BandCode``) take
    their stored form (day numbers, tenths, band positions): no per-value conversion.
    """
    names = list(columns)
    if not names:
        return 0
    count = len(columns[names[0]])
    if count == 0:
        return 0
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        converted = []
        for name in names:
            values = columns[name]
            if values and isinstance(values[0], (date, bool)):
                values = [encoding.encode(v) for v in values]
            converted.append(values)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        rows = list(zip(*converted, strict=True))
        for lo in range(0, count, BATCH):
            conn.exec_driver_sql(sql, rows[lo : lo + BATCH])
        return count
    stored = [name for name in names if isinstance(table.c[name].type, TypeDecorator)]
    if stored:  # already in their stored form: bind them as plain values, not through the type
        target = sql_table(table.name, *(sql_column(name) for name in names))
        records = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
        for lo in range(0, count, BATCH):
            session.execute(insert(target), records[lo : lo + BATCH])
        return count
    records = []
    for i in range(count):
        record = {name: columns[name][i] for name in names}
        for name in json_columns:
            record[name] = json.loads(record[name])
        records.append(record)
    for lo in range(0, count, BATCH):
        session.execute(insert(table), records[lo : lo + BATCH])
    return count


def insert_stored_rows(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple], same: dict[str, Any] | None = None
) -> None:
    """INSERT rows (tuples in ``names`` order) already in their stored form (day numbers, word
    codes...), with the ``same`` values in every row: bound as they are, on every engine."""
    same = same or {}
    if conn.dialect.name == "sqlite":
        literals = [sql_literal(value) for value in same.values()]
        if None in literals:
            raise ValueError(f"not a literal: {same}")
        values = ", ".join(["?"] * len(names) + literals)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join([*names, *same])}) VALUES ({values})", rows)
        return
    target = sql_table(table.name, *(sql_column(name) for name in [*names, *same]))
    conn.execute(insert(target), [{**dict(zip(names, row, strict=True)), **same} for row in rows])


# Writing rows given as dicts or columns (the import, the demo book) -------------------------------


def sql_literal(value: Any) -> str | None:
    """``value`` as an SQL literal SQLite reads back exactly, or None if it has none."""
    if value is None:
        return "NULL"
    if value.__class__ is int and -(2**63) <= value < 2**63:  # wider ones would be read as REAL
        return str(value)
    if value.__class__ is str and len(value) <= 200 and "\x00" not in value:  # long texts: bound
        return "'" + value.replace("'", "''") + "'"
    return None  # floats (decimal text may round), bytes, anything else: bound


def stored_literal(column: Any, value: Any) -> str:
    """``value`` of a model column as the SQL literal of its stored form (a word's code...)."""
    convert = encoding.column_encoder(column.type)
    literal = sql_literal(value if convert is None else convert(value))
    if literal is None:
        raise ValueError(f"not a literal: {value!r}")
    return literal


def insert_dicts(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert; on SQLite straight through the driver's executemany, values converted by column."""
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    # Transposed in C (itemgetter + zip) rather than a Python loop per column.
    if len(columns) == 1:
        values_by_column = [[row[columns[0]] for row in rows]]
    else:
        values_by_column = list(zip(*map(operator.itemgetter(*columns), rows), strict=True))
    insert_columns(conn, table, dict(zip(columns, values_by_column, strict=True)))


def insert_columns(conn: Connection, table: Table, columns: dict[str, Sequence[Any]]) -> None:
    """INSERT rows given column-wise; on SQLite through the driver, values stored by db.encoding.

    A column holding one value in every row (NULL, the run id, ``{}``, the
    currency...) is written into the statement as a literal rather than bound
    per row: binding is most of executemany's cost, and an account row has
    many such columns. Other databases take Core's ``insert()``.
    """
    if conn.dialect.name != "sqlite":
        rows = zip(*columns.values(), strict=True)
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    names: list[str] = []
    placeholders: list[str] = []
    bound: list[Sequence[Any]] = []
    for name, values in columns.items():
        convert = encoding.column_encoder(table.c[name].type)
        if convert is encoding.encode_json:  # dicts and lists are not hashable: convert each (but empty ones)
            values = ["{}" if value.__class__ is dict and not value else convert(value) for value in values]
        elif convert is not None:  # dates repeat: convert each distinct one once
            converted = {value: convert(value) for value in set(values)}
            values = list(map(converted.__getitem__, values))
        first = values[0]
        literal = sql_literal(first) if values.count(first) == len(values) else None
        if literal is not None and first.__class__ is int and set(map(type, values)) != {int}:
            literal = None  # 1 == 1.0 == True: the same value only if the same type
        names.append(name)
        if literal is not None:
            placeholders.append(literal)
        else:
            placeholders.append("?")
            bound.append(values)
    count = len(next(iter(columns.values())))
    values_sql = f"({', '.join(placeholders)})"
    rows = list(zip(*bound, strict=True)) if bound else [()] * count
    insert_values(
        conn, f"INSERT INTO {table.name} ({', '.join(names)})", lambda _before: values_sql, len(bound), rows
    )


RowSQL = Callable[[int], str]  # the VALUES tuple of the row whose parameters start after the given one


ROWS_PER_STATEMENT = 500
MAX_PARAMETERS = 30_000  # under SQLite's smallest default limit (32,766)
MAX_STATEMENT_CHARS = 250_000  # well under SQLite's statement length limit


def insert_values(conn: Connection, head: str, row: RowSQL, width: int, params: Sequence[tuple]) -> None:
    """``head VALUES row, row, ...`` for rows of ``width`` parameters each (SQLite).

    Several hundred rows per statement: executemany's per-row work (reset, clear,
    step) was a third of inserting a narrow row. The remainder goes by executemany.
    """
    per = min(ROWS_PER_STATEMENT, MAX_PARAMETERS // max(width, 1), MAX_STATEMENT_CHARS // len(row(0)))
    per = max(per, 1)
    full = len(params) - len(params) % per
    if full:
        sql = f"{head} VALUES {', '.join(row(k * width) for k in range(per))}"
        for start in range(0, full, per):
            conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(params[start : start + per])))
    if full < len(params):
        conn.exec_driver_sql(f"{head} VALUES {row(0)}", list(params[full:]))


class _DayNumber(FunctionElement):
    type = Integer()
    inherit_cache = True


@compiles(_DayNumber, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(_DayNumber, "postgresql")
def _day_number_postgres(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '1970-01-01')"


@compiles(_DayNumber)
def _day_number_default(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400 AS INTEGER)"


def day_number(column):
    """SQL expression: a DATE / DATETIME column as whole days since 1970-01-01 (integer).

    A column already stored as a day number (``db.models.DayNumber``) is read as it is."""
    from sqlalchemy import type_coerce

    from db.models import DayNumber

    if isinstance(getattr(column, "type", None), DayNumber):
        return type_coerce(column, Integer())
    return _DayNumber(column)


def fetch_numeric(session: Session, statement, columns: int) -> np.ndarray:
    """Run a SELECT of non-null numeric columns; the rows as a float64 array (rows x columns).

    On SQLite the driver's rows go straight into NumPy without building a Row
    object per row (millions of measures).
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(str(compiled))
            flat = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.float64)
        finally:
            cursor.close()
        return flat.reshape(-1, columns)
    rows = session.execute(statement).all()
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def _decoder(kind) -> Callable[[Any], Any] | None:
    """How a raw SQLite value of a column type becomes what SQLAlchemy would return."""
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, JSON):
        return json.loads
    return None


def read_columns(
    session: Session, table: Table, columns: Sequence[str], batch: int = 4096
) -> Iterator[Sequence[Sequence[Any]]]:
    """The ``columns`` of every row of ``table``, in batches of rows, valued as SQLAlchemy returns them.

    On SQLite straight from the driver, converting only the date and JSON columns
    (each distinct date once): SQLAlchemy's per-value result processing took
    most of the time of reading a 100k-account book. A JSON value is a new object in
    each row (the caller may change it).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        cols = [table.c[c] for c in columns]
        yield from session.execute(select(*cols).execution_options(yield_per=batch)).partitions()
        return
    converters = [(i, _decoder(table.c[c].type)) for i, c in enumerate(columns)]
    converters = [(i, f) for i, f in converters if f is not None]
    caches: list[dict[Any, Any]] = [{} for _ in converters]
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
        while part := cursor.fetchmany(batch):
            if converters:
                rows = [list(values) for values in part]
                for (i, convert), cache in zip(converters, caches, strict=True):
                    if convert is json.loads:  # each row its own dict: the caller may change it
                        for row in rows:
                            raw = row[i]
                            if raw is not None:
                                row[i] = {} if raw == "{}" else convert(raw)
                        continue
                    for row in rows:
                        raw = row[i]
                        if raw is not None:
                            value = cache.get(raw)
                            if value is None:
                                value = cache[raw] = convert(raw)
                            row[i] = value
                part = rows
            yield part
    finally:
        cursor.close()


# Below this many new rows, or when a table already holds more rows than are being added,
# keeping its indexes up to date row by row is cheaper than rebuilding them.
DEFER_INDEXES_MIN_ROWS = 20_000


@contextmanager
def deferred_indexes(
    conn: Connection, table: str, adding: int, progress: Callable[[int, int], None] | None = None
) -> Iterator[None]:
    """Insert ``adding`` rows into ``table`` with its plain indexes rebuilt once at the end.

    A 100k-row import into an empty book paid for every row in each of the
    accounts table's nine indexes; building an index from the finished table
    sorts once and is several times faster. Only on SQLite, only non-unique
    indexes (unique ones keep checking row by row), and only when the rows
    added outnumber the rows there. The drop and re-create run in the caller's
    transaction, so a failure or a kill leaves the indexes exactly as they were.
    ``progress(done, total)`` is called after each index is rebuilt.
    """
    if conn.dialect.name != "sqlite" or adding < DEFER_INDEXES_MIN_ROWS:
        yield
        return
    present = conn.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (adding,)
    ).scalar()
    if present >= adding:
        yield
        return
    indexes = [
        (name, sql)
        for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
            (table,),
        )
        if not sql.lstrip().upper().startswith("CREATE UNIQUE")
    ]
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for done, (_name, sql) in enumerate(indexes, 1):
        conn.exec_driver_sql(sql)
        if progress is not None:
            progress(done, len(indexes))


# A bulk write's connection settings, restored after it (SQLite only). A bigger page
# cache keeps the indexes of a big book in memory while rows go in (the default 2 MB
# made every insert of a 100k-row file re-read index pages); temporary b-trees stay in
# memory. Durability is untouched: synchronous and the journal mode are the database's own.
BULK_CACHE_KIB = 128 * 1024
HEARTBEAT_STEPS = 20_000
_TUNED = ("cache_size", "temp_store", "wal_autocheckpoint")


@contextmanager
def bigger_page_cache(conn: Connection) -> Iterator[None]:
    """``BULK_CACHE_KIB`` of page cache on ``conn`` for one bulk write, restored after it (SQLite only).

    Unlike :func:`tuned_for_bulk_writes`, usable inside a transaction already begun.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    saved = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(saved)}")


class BulkWrite:
    """What :func:`tuned_for_bulk_writes` yields: the way to checkpoint once committed."""

    def __init__(self, raw: Any = None, autocheckpoint: bool = False) -> None:
        self._raw = raw
        self._autocheckpoint = autocheckpoint

    def start_checkpoint(self) -> Callable[[Callable[[], None], float], BaseException | None] | None:
        """Start copying the committed pages from the WAL into the file; returns the wait.

        Not left to SQLite's automatic checkpoint (held back during the bulk write):
        that would run inside the next commit of whoever writes next, often the
        window (a half-second freeze after a big import). The checkpoint is one call
        that cannot report from inside, so it runs on a helper thread's own
        connection while the caller keeps reporting: ``wait(heartbeat, interval)``
        calls ``heartbeat`` every ``interval`` seconds until it is done and returns
        the error, if any. PASSIVE: it never waits for readers. A checkpoint that
        fails loses nothing (the data is committed in the WAL). None when there is
        nothing to do: no SQLite file, or a database that does not checkpoint by itself.
        """
        if self._raw is None or not self._autocheckpoint:
            return None
        path = next((row[2] for row in self._raw.execute("PRAGMA database_list") if row[1] == "main"), "")
        if not path:  # an in-memory database has no WAL
            return None
        failure: list[BaseException] = []

        def work() -> None:
            try:
                helper = sqlite3.connect(path, timeout=5, isolation_level=None)
                try:
                    helper.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    helper.close()
            except sqlite3.Error as exc:
                failure.append(exc)

        thread = threading.Thread(target=work, name="bulk-checkpoint", daemon=True)
        thread.start()

        def wait(heartbeat: Callable[[], None], interval: float) -> BaseException | None:
            while thread.is_alive():
                thread.join(interval)
                heartbeat()
            return failure[0] if failure else None

        return wait


@contextmanager
def tuned_for_bulk_writes(conn: Connection, heartbeat: Callable[[], None]) -> Iterator[BulkWrite]:
    """Scope a bulk write's settings to ``conn``, restored on leaving.

    SQLite's automatic checkpoint is held back (it would run inside the commit, one
    long silent call): start it yourself after the commit with
    ``BulkWrite.start_checkpoint``. Long single statements (an index build, the
    search-index fill) keep calling ``heartbeat`` every few thousand VM steps.
    Other databases keep their settings.
    """
    if conn.dialect.name != "sqlite":
        yield BulkWrite()
        return
    raw = conn.connection.driver_connection
    saved = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in _TUNED}
    raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    raw.execute("PRAGMA temp_store=MEMORY")
    raw.execute("PRAGMA wal_autocheckpoint=0")
    # It never interrupts (returns 0).
    raw.set_progress_handler(lambda: heartbeat(), HEARTBEAT_STEPS)
    try:
        yield BulkWrite(raw, autocheckpoint=saved["wal_autocheckpoint"] > 0)
    finally:
        raw.set_progress_handler(None, 0)
        for name, value in saved.items():
            raw.execute(f"PRAGMA {name}={value}")


def continue_ids(conn: Connection) -> None:
    """After rows were written with ids chosen by the writer (the demo book), make the
    database's own ids continue after them.

    SQLite gives the next row max(id) + 1 by itself; PostgreSQL draws ids from a
    sequence per table, which explicit ids do not move: without this, the next
    import's first new account would collide with account 1. Never moves a
    sequence back.
    """
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import inspect

    from db.models import Base

    present = set(inspect(conn).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in present or "id" not in table.c or not table.c.id.primary_key:
            continue
        sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table.name}', 'id')").scalar()
        if sequence is None:
            continue
        top = conn.exec_driver_sql(f"SELECT max(id) FROM {table.name}").scalar()
        last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
        next_id = last + 1 if called else last
        if top is not None and next_id <= top:
            conn.exec_driver_sql(f"SELECT setval('{sequence}', {int(top)}, true)")
