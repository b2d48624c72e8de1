"""How values are stored as SQLite text: the one encoder every writer uses.

SQLAlchemy's column types (``db.models.DateTime``), the bulk writers (``db.bulk``,
the import writer, the demo book) and raw SQL that builds or compares stored
date-times all go through here, so a value written by any path compares equal in
SQL to the same value written by the ORM.

Date-times are ISO text with a space, to the second, with a fraction only when
there is one: ``2026-01-05 00:00:00`` (what SQLite's own ``CURRENT_TIMESTAMP``
server defaults write), ``2026-01-05 13:00:00.250000``. Text order is time order
with or without the fraction, and no precision is lost. PostgreSQL stores native
timestamps: none of this applies there.

The timeline's moments (``db.models.EpochSeconds``: a million events and two indexes
on their time) are stored more compactly, as seconds since 1970-01-01 of the naive
wall time (no time-zone conversion): an integer (4 bytes instead of 19), or a REAL
``seconds.micro`` when the moment has a fraction. SQLite compares INTEGER and REAL
numerically, so number order is time order.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Date, DateTime, TypeDecorator
from sqlalchemy.dialects import sqlite

# Midnight of a day, as stored: ``day_text || MIDNIGHT`` is that day's first moment.
MIDNIGHT = " 00:00:00"

_JSON = json.JSONEncoder(ensure_ascii=False).encode


def encode_datetime(value: datetime | None) -> str | None:
    """A date-time's stored text: ``YYYY-MM-DD HH:MM:SS``, plus ``.ffffff`` only when non-zero."""
    if value is None:
        return None
    if value.tzinfo is not None:  # stored as given, like SQLAlchemy's (which ignores the zone)
        value = value.replace(tzinfo=None)
    return value.isoformat(" ")


EPOCH = datetime(1970, 1, 1)
SECONDS_PER_DAY = 86_400
_MICROS = 1_000_000


def encode_epoch_seconds(value: datetime | date | None) -> int | float | None:
    """A moment as stored by ``EpochSeconds``: whole seconds since 1970 (int), or a float with
    the microseconds when it has some (exact: it reads back as the same moment).

    A ``date`` is its midnight; an aware date-time is stored as given (its zone ignored),
    like :func:`encode_datetime`.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError(f"a moment must be a datetime or a date, not {value!r}")
        value = datetime(value.year, value.month, value.day)
    elif value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    delta = value - EPOCH
    seconds = delta.days * SECONDS_PER_DAY + delta.seconds
    return seconds + delta.microseconds / _MICROS if delta.microseconds else seconds


def decode_epoch_seconds(value: int | float | str | datetime | None) -> datetime | None:
    """A stored ``EpochSeconds`` value back as the naive moment (see :func:`encode_epoch_seconds`).

    Text (what SQLite's CURRENT_TIMESTAMP or an older writer left) is read as ISO text.
    """
    if value is None or value.__class__ is datetime:
        return value
    if value.__class__ is int:
        return EPOCH + timedelta(0, value)
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    whole = math.floor(value)  # the fraction apart: exact for years 1697-2242 (|seconds| < 2**33)
    return EPOCH + timedelta(0, whole, round((value - whole) * _MICROS))


def decode_epoch_seconds_many(values: Sequence[Any]) -> list[datetime | None]:
    """:func:`decode_epoch_seconds` of many stored values at once (vectorised: a long list)."""
    if all(v.__class__ is int for v in values):
        import numpy as np

        # datetime64[s] -> datetime.datetime, in C (3x faster than fromisoformat of the text)
        return np.array(values, dtype=np.int64).astype("datetime64[s]").tolist()
    return [decode_epoch_seconds(v) for v in values]


def encode_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def encode_json(value: Any) -> str | None:
    """JSON text as SQLAlchemy's JSON type stores it (None is JSON ``null``, as there)."""
    return "{}" if value.__class__ is dict and not value else _JSON(value)


def sql_day_start_seconds(day_sql: str) -> str:
    """SQL (SQLite): the stored ``EpochSeconds`` of midnight of the day whose ISO text is ``day_sql``
    (what :func:`encode_epoch_seconds` gives that midnight)."""
    return f"CAST(strftime('%s', {day_sql}) AS INTEGER)"


# SQL (SQLite): the current moment as ``EpochSeconds`` stores it, to the second. UTC, as SQLite's
# CURRENT_TIMESTAMP (the default of the text date-times) is.
SQL_NOW_SECONDS = "CAST(strftime('%s', 'now') AS INTEGER)"


def encode(value: Any) -> Any:
    """Any Python value as the SQLite driver should receive it (datetimes, dates, booleans)."""
    if isinstance(value, datetime):
        return encode_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def column_encoder(kind) -> Callable[[Any], Any] | None:
    """How a value of a column type is stored on SQLite; None: as it is."""
    if isinstance(kind, TypeDecorator):  # compact stored forms (day numbers, word codes)
        return functools.partial(kind.process_bind_param, dialect=None)
    if isinstance(kind, DateTime):
        return encode_datetime
    if isinstance(kind, Date):
        return encode_date
    if isinstance(kind, JSON):
        return encode_json
    return None


# Column types -------------------------------------------------------------------------------


class SQLiteDateTime(sqlite.DATETIME):
    """SQLite DATETIME written with :func:`encode_datetime` (read back by SQLAlchemy's own parser,
    which takes text with or without the fraction)."""

    def bind_processor(self, dialect):
        def process(value):
            if value is None:
                return None
            if isinstance(value, datetime):
                return encode_datetime(value)
            if isinstance(value, date):  # as SQLAlchemy's: a date is its midnight
                return value.isoformat() + MIDNIGHT
            raise TypeError(
                f"SQLite DateTime type only accepts Python datetime objects as input, not {value!r}"
            )

        return process


def use_on(dialect) -> None:
    """Make every DateTime a SQLite ``dialect`` binds (typed columns, untyped datetime
    parameters of ``text()``, frozen migration tables) write :func:`encode_datetime`'s text."""
    from sqlalchemy import types

    dialect.colspecs = {**dialect.colspecs, types.DateTime: SQLiteDateTime}
