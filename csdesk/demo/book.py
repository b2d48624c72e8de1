"""The demo book as the user first sees it (the CLI and the welcome screen): accounts, health, plans."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from csdesk.demo.rows import SOURCE
from csdesk.demo.write import DemoSummary, _has_accounts, generate
from csdesk.progress import SILENT, Progress
from db import Database
from db.models import Account
from db.schema import vacuum_sqlite


def create_book(
    db: Database,
    accounts: int = 200,
    seed: int = 1,
    progress: Progress = SILENT,
    today: date | None = None,
) -> DemoSummary:
    """The demo book as the user first sees it: accounts, then their health history, then plans.

    Scores are computed before this returns (the book never shows a demo without
    its health), and the success plans come last because get-well plans follow
    the red accounts. The CLI and the welcome screen both call this.
    """
    if db.sqlite_path is None:  # in memory or a server: step by step in the database itself
        try:
            return _fill(db, accounts, seed, progress, today)
        except BaseException:
            # Cancelled or failed after the accounts were committed: take them back out (with
            # everything that hangs off them), so the book never keeps a demo without its health.
            with db.transaction() as session:
                session.execute(delete(Account).where(Account.source == SOURCE))
            raise
    # A SQLite book is built in a scratch file beside it, then copied in as one transaction, so a
    # CSDesk killed (or cancelled) between the steps never leaves demo accounts without their health.
    from db.engine import copy_into, open_database

    _refuse_a_book_with_accounts(db)
    scratch = db.sqlite_path.with_name(f"{db.sqlite_path.name}.demo")
    _remove_sqlite_file(scratch)  # what a killed run may have left
    try:
        built = open_database(scratch)
        try:
            summary = _fill(built, accounts, seed, progress, today)
            vacuum_sqlite(built.engine)  # the health history written, repacked before it is copied in
        finally:
            built.dispose()
        _refuse_a_book_with_accounts(db)  # another CSDesk may have written to it meanwhile
        copy_into(scratch, db)
    finally:
        _remove_sqlite_file(scratch)
    return summary


def _fill(db: Database, accounts: int, seed: int, progress: Progress, today: date | None) -> DemoSummary:
    from csdesk import health
    from csdesk.demo.plans import add_demo_plans

    summary = generate(db, accounts=accounts, seed=seed, progress=progress, today=today)
    health.recompute(db, today=today, progress=progress)
    add_demo_plans(db, seed=seed, today=today)
    return summary


def _refuse_a_book_with_accounts(db: Database) -> None:
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Account)):
            raise _has_accounts()


def _remove_sqlite_file(path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
