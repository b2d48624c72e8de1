"""Bulk writes of many rows given column-wise (health snapshots: millions of rows).

On SQLite the rows go straight to the driver's ``executemany`` with values
already in the form SQLAlchemy would store (ISO dates, JSON text, 0/1), which
is several times faster than Core's per-row processing. Other databases take
the portable Core ``insert()`` path.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Integer, Table, insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

BATCH = 50_000


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def insert_rows(
    session: Session,
    table: Table,
    columns: dict[str, Sequence[Any]],
    json_columns: Sequence[str] = (),
) -> int:
    """Insert rows given as {column: values}; ``json_columns`` hold JSON text already."""
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
                values = [_sqlite_value(v) for v in values]
            converted.append(values)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        rows = list(zip(*converted, strict=True))
        for lo in range(0, count, BATCH):
            conn.exec_driver_sql(sql, rows[lo : lo + BATCH])
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


def day_number(column) -> _DayNumber:
    """SQL expression: a DATE / DATETIME column as whole days since 1970-01-01 (integer)."""
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
