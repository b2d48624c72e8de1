"""The demo's bulk step: generate the accounts a chunk at a time and write them in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from csdesk import clock, ledger
from csdesk.demo.accounts import _Generator
from csdesk.demo.rows import MEASURE_COLUMNS, SOURCE, _Rows
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database, bulk, search
from db.codes import MEASURE_SOURCE_CODES
from db.models import (
    Account,
    Contact,
    Measure,
    RevenueChange,
    SurveyResponse,
    Task,
    TimelineEvent,
)
from db.schema import vacuum_sqlite

CHUNK = 500  # accounts per bulk write
SOURCE_CODE = MEASURE_SOURCE_CODES.index(SOURCE)  # measures store their source as its code


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    contacts: int
    events: int
    revenue_changes: int
    measures: int
    surveys: int
    tasks: int
    churned: int
    mrr_cents: int  # active accounts only


_TABLES = (
    ("accounts", Account),
    ("contacts", Contact),
    ("revenue", RevenueChange),
    ("events", TimelineEvent),
    ("surveys", SurveyResponse),
    ("tasks", Task),
)


def _write(conn: Connection, model: type, batch: list[dict[str, Any]]) -> None:
    """Bulk insert through the one bulk writer (on SQLite straight to the driver)."""
    bulk.insert_dicts(conn, model.__table__, batch)


def _write_measures(conn: Connection, batch: list[tuple[int, int, int, float]]) -> None:
    if batch:  # already stored codes and day numbers
        # In key order (account, metric, day): the table is kept in it (WITHOUT ROWID), so
        # each row goes at its end instead of into a page in the middle.
        batch.sort()
        bulk.insert_stored_rows(conn, Measure.__table__, MEASURE_COLUMNS, batch, {"source": SOURCE_CODE})


def generate(
    db: Database,
    accounts: int = 200,
    seed: int = 1,
    progress: Progress = SILENT,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo book of ``accounts`` accounts; all or nothing."""
    if accounts < 1:
        raise UserError(tr("The number of demo accounts must be at least 1."))
    today = today or clock.today()
    gen = _Generator(seed, today)
    counts = dict.fromkeys([name for name, _ in _TABLES] + ["measures"], 0)
    churned = 0
    mrr_total = 0
    with (
        db.connect(write=True, waiting=write_waiting(progress)) as conn,
        conn.begin(),
        search.bulk_insert(conn),
    ):
        if conn.execute(select(func.count()).select_from(Account)).scalar():
            raise _has_accounts()
        next_contact = (conn.execute(select(func.max(Contact.id))).scalar() or 0) + 1
        done = 0
        progress.step(0, accounts, tr("Creating demo accounts…"), force=True)
        while done < accounts:
            rows = _Rows()
            for account_id in range(done + 1, min(accounts, done + CHUNK) + 1):
                next_contact += gen.account(account_id, next_contact, rows)
            for name, model in _TABLES:
                batch = getattr(rows, name)
                if batch:
                    if model is RevenueChange:  # the ledger is written by its one service
                        ledger.insert_movements(
                            conn, batch, lambda c, _table, rows, m=model: _write(c, m, rows)
                        )
                    else:
                        _write(conn, model, batch)
                    counts[name] += len(batch)
            _write_measures(conn, rows.measures)
            counts["measures"] += len(rows.measures)
            churned += sum(1 for a in rows.accounts if a["status"] == "churned")
            mrr_total += sum(a["mrr_cents"] for a in rows.accounts)
            done += len(rows.accounts)
            progress.step(done, accounts, tr("Creating demo accounts…"))
        bulk.continue_ids(conn)  # the generator chose the accounts' and contacts' ids
    vacuum_sqlite(db.engine)  # written in bulk: repacked, its pages full
    return DemoSummary(
        accounts=counts["accounts"],
        contacts=counts["contacts"],
        events=counts["events"],
        revenue_changes=counts["revenue"],
        measures=counts["measures"],
        surveys=counts["surveys"],
        tasks=counts["tasks"],
        churned=churned,
        mrr_cents=mrr_total,
    )


def _has_accounts() -> UserError:
    return UserError(tr("The database already has accounts; create the demo book in a new database."))
