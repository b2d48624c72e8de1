"""Applying a plan: bulk inserts and updates in the import's transaction, recorded for undo."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from csdesk import ledger
from csdesk.i18n import tr
from csdesk.importing.match import ImportBook, NewAccount, Target
from csdesk.importing.plan.base import Planner
from csdesk.progress import Progress
from db import bulk, search
from db.models import (
    Account,
    Contact,
    DayNumber,
    EpochSeconds,
    ImportChange,
    Measure,
    RevenueChange,
    SurveyResponse,
    Task,
    TimelineEvent,
    version_raise,
)

CHUNK = 2000
NEW_ACCOUNTS_CHUNK = 8192  # created accounts per INSERT batch (one progress report each)
TABLES = {
    "accounts": Account.__table__,
    "contacts": Contact.__table__,
    "timeline_events": TimelineEvent.__table__,
    "revenue_changes": RevenueChange.__table__,
    "measures": Measure.__table__,
    "survey_responses": SurveyResponse.__table__,
    "tasks": Task.__table__,
}


# Tables keyed by their natural key instead of an id: a row is named by its key's values,
# the account id first. An import change names such a row by ``row_id`` (its account id) and
# the rest of its key, carried in its ``before`` and ``after`` values (JSON forms, like every
# value there): the import never changes them, so undo finds the row by them and restores
# only the others.
KEYS: dict[str, tuple[str, ...]] = {"measures": ("account_id", "metric", "as_of")}


def key_columns(table_name: str) -> tuple[str, ...]:
    """The columns naming a row of ``table_name``: its key, or its id."""
    return KEYS.get(table_name, ("id",))


def change_key(table_name: str, row_id: int, values: dict[str, Any]) -> tuple:
    """The key of the row an import change names, in JSON forms: ``(id,)`` or
    ``(account id, *rest)`` from the change's before (or after) values."""
    return (row_id, *(values[c] for c in key_columns(table_name)[1:]))


def key_where(table_name: str) -> list[Any]:
    """WHERE terms finding one row by its key, bound as ``b_<column>``."""
    table = TABLES[table_name]
    return [table.c[c] == bindparam(f"b_{c}") for c in key_columns(table_name)]


def key_params(table_name: str, key: tuple) -> dict[str, Any]:
    """The ``b_<column>`` parameters of :func:`key_where` for ``key`` (JSON forms)."""
    return {f"b_{c}": restore_value(table_name, c, v) for c, v in zip(key_columns(table_name), key, strict=True)}


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# The one bulk writer (db.bulk), by the names this module's SQL builders use.
_sql_literal = bulk.sql_literal
_insert_rows = bulk.insert_dicts
_insert_columns = bulk.insert_columns
_insert_values = bulk.insert_values
RowSQL = bulk.RowSQL


def _new_account_columns(book: ImportBook, targets: list[NewAccount], run_id: int) -> dict[str, list[Any]]:
    """Accounts the import creates, column-wise (transposed in C, no copy of each row)."""
    planned = book.new_columns(targets)
    if planned is not None:
        planned.pop("created_at", None)
        planned["import_run_id"] = [run_id] * len(targets)
        return planned
    states = [book.get(target) for target in targets]
    names = [name for name in states[0] if name != "created_at"]
    width = len(states[0])
    if any(len(state) != width for state in states):  # not all alike: each row's own keys, via dicts
        rows = [{k: v for k, v in state.items() if k != "created_at"} for state in states]
        names = list(dict.fromkeys(k for row in rows for k in row))
        columns = {name: [row.get(name) for row in rows] for name in names}
    else:
        picked = map(operator.itemgetter(*names), states)
        columns = dict(zip(names, map(list, zip(*picked, strict=True)), strict=True))
    columns["import_run_id"] = [run_id] * len(states)
    return columns


def _chunks(rows: list[Any], size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def apply_plan(session: Session, planner: Planner, run_id: int, progress: Progress) -> None:
    plan, book = planner.plan, planner.book
    total = max(
        1,
        len(book.new)
        + sum(len(r) for r in plan.inserts.values())
        + 2 * sum(map(len, plan.first_revenue.values()))
        + len(plan.updates)
        + len(book.original),
    )
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress.step(done, total, tr("Writing…"))

    def indexed(count: int, of: int) -> None:
        progress.step(count, of, tr("Indexing for search…"))

    def reindexed(count: int, of: int) -> None:
        progress.step(count, of, tr("Indexing…"))

    accounts = Account.__table__
    conn = session.connection()
    if book.new:
        with bulk.deferred_indexes(conn, "accounts", len(book.new), reindexed):
            for _start, targets in _chunks(book.new, NEW_ACCOUNTS_CHUNK):
                chunk = _new_account_columns(book, targets, run_id)
                _insert_columns(conn, accounts, chunk)
                step(len(chunk["import_run_id"]))
        ids = session.scalars(
            select(Account.id).where(Account.import_run_id == run_id).order_by(Account.id)
        ).all()
        for target, new_id in zip(book.new, ids, strict=True):
            target.id = new_id

    changes_rows: list[dict[str, Any]] = []
    _write_updates(session, "accounts", book.account_updates(), run_id, changes_rows, step)

    # First movements written by SQL made per kind (SQLite); elsewhere the rows as any others, first.
    derived: dict[str, list[tuple[tuple[str, RowSQL], list[tuple[Target, date, int]]]]] = {}
    for kind, entries in plan.first_revenue.items():
        if not entries:
            continue
        sql = ledger.first_movement_sql(kind, run_id) if conn.dialect.name == "sqlite" else None
        if sql is None:
            expanded = [planner.revenue_rows(target, kind, 0, after, on) for target, on, after in entries]
            for position, table_name in enumerate(("revenue_changes", "timeline_events")):
                plan.inserts[table_name][:0] = [pair[position] for pair in expanded]
        else:
            for table_name, table_sql in sql.items():
                derived.setdefault(table_name, []).append((table_sql, entries))
    tables = [*derived, *(name for name in plan.inserts if name not in derived)]
    for table_name in tables:
        table = TABLES[table_name]
        rows = plan.inserts.get(table_name, [])
        for row in rows:
            target = row["account_id"]
            if isinstance(target, NewAccount):
                row["account_id"] = target.id
            row["import_run_id"] = run_id
        if table_name in KEYS:  # account by account: each row lands beside the one written before
            rows.sort(key=operator.itemgetter(*KEYS[table_name]))
        adding = len(rows) + sum(len(entries) for _sql, entries in derived.get(table_name, ()))
        with ExitStack() as stack:
            if table_name == "timeline_events" and adding > 500:
                stack.enter_context(search.bulk_insert(conn, indexed))
            stack.enter_context(bulk.deferred_indexes(conn, table_name, adding, reindexed))
            for table_sql, entries in derived.get(table_name, ()):
                _write_first_revenue(conn, table_sql, entries, step)
            for _start, chunk in _chunks(rows):
                if table_name == "revenue_changes":
                    ledger.insert_movements(conn, chunk, _insert_rows)
                else:
                    _insert_rows(conn, table, chunk)
                step(len(chunk))

    updates_by_table: dict[str, list[tuple[Any, dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for table_name, row_id, changed, before in plan.updates:
        updates_by_table[table_name].append((row_id, changed, before))
    for table_name, updates in updates_by_table.items():
        _write_updates(session, table_name, updates, run_id, changes_rows, step)
    for _start, chunk in _chunks(changes_rows):
        session.execute(insert(ImportChange.__table__), chunk)
    progress.step(total, total, tr("Writing…"), force=True)




def _write_first_revenue(
    conn: Connection,
    sql: tuple[str, RowSQL],
    entries: list[tuple[Target, date, int]],
    step: Callable[[int], None],
) -> None:
    days: dict[date, str] = {}
    params = []
    for target, on, after in entries:
        day = days.get(on)
        if day is None:
            day = days[on] = on.isoformat()
        params.append((target.id if isinstance(target, NewAccount) else target, day, after))
    head, row = sql
    for _start, chunk in _chunks(params, 10_000):
        _insert_values(conn, head, row, 3, chunk)
        step(len(chunk))


def _write_updates(
    session: Session,
    table_name: str,
    updates: Iterable[tuple[Any, dict[str, Any], dict[str, Any]]],
    run_id: int,
    changes_rows: list[dict[str, Any]],
    step: Callable[[int], None],
) -> None:
    """UPDATE rows of one table, grouped by the columns that changed (one executemany
    per group), and note each row's before-values for undo in ``changes_rows``.

    A row is named by its id, or in a keyed table (``KEYS``) by its key's values as a tuple."""
    table = TABLES[table_name]
    names = key_columns(table_name)
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_key, changed, before in updates:
        key = row_key if isinstance(row_key, tuple) else (row_key,)
        rest = {c: _to_json(v) for c, v in zip(names[1:], key[1:], strict=True)}
        grouped[tuple(sorted(changed))].append(
            {**{f"b_{c}": v for c, v in zip(names, key, strict=True)}, **{f"v_{k}": v for k, v in changed.items()}}
        )
        changes_rows.append(
            {
                "run_id": run_id,
                "table_name": table_name,
                "row_id": key[0],
                "action": "updated",
                "before": rest | {k: _to_json(v) for k, v in before.items()},
                "after": rest | {k: _to_json(changed[k]) for k in before if k in changed},
            }
        )
    for columns, rows in grouped.items():
        statement = (
            update(table)
            .where(*key_where(table_name))
            .values({c: bindparam(f"v_{c}") for c in columns} | version_raise(table))
        )
        for _start, chunk in _chunks(rows):
            session.execute(statement, chunk)
            step(len(chunk))


def restore_value(table_name: str, column: str, value: Any) -> Any:
    """A before-value from ImportChange JSON back to its column's Python type."""
    if value is None:
        return None
    column_type = TABLES[table_name].c[column].type
    if isinstance(column_type, (DateTime, EpochSeconds)):
        return datetime.fromisoformat(value)
    if isinstance(column_type, (Date, DayNumber)):
        return date.fromisoformat(value)
    return value


# Running -------------------------------------------------------------------------
