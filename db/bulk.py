"""Bulk writes of many rows given column-wise (health snapshots: millions of rows).

On SQLite the rows go straight to the driver's ``executemany`` with values
already in the form SQLAlchemy would store (ISO dates, JSON text, 0/1), which
is several times faster than Core's per-row processing. Other databases take
the portable Core ``insert()`` path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

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
