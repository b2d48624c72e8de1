"""The import runs: listing them and undoing one as a unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update

from csdesk import clock
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing.engine import TABLES, restore_value
from csdesk.progress import SILENT, Progress
from db import Database
from db.models import (
    Account,
    Contact,
    ImportChange,
    ImportRun,
    Measure,
    RevenueChange,
    SurveyResponse,
    Task,
    TimelineEvent,
)


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    file_name: str
    kind: str
    source: str
    preset: str | None
    as_of: date
    created: int
    updated: int
    unchanged: int
    rejected: int
    status: str
    undone_at: datetime | None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _info(run: ImportRun) -> RunInfo:
    return RunInfo(**{k: getattr(run, k) for k in RunInfo.__dataclass_fields__})


def list_runs(db: Database) -> list[RunInfo]:
    """Every import, newest first."""
    with db.session() as session:
        return [_info(r) for r in session.scalars(select(ImportRun).order_by(ImportRun.id.desc()))]


def undo(db: Database, run_id: int, progress: Progress = SILENT) -> list[int]:
    """Undo import ``run_id``: delete what it created, restore what it updated (one transaction).

    Later imports that are still in place must be undone first, since they
    may build on this one. Returns the ids of the accounts that changed.
    """
    with db.transaction() as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise UserError(tr("There is no import {id}.", id=run_id))
        if run.status == "undone":
            raise UserError(tr("Import {id} was already undone.", id=run_id))
        later = session.scalars(
            select(ImportRun.id)
            .where(ImportRun.id > run_id, ImportRun.status == "done")
            .order_by(ImportRun.id)
        ).all()
        if later:
            raise UserError(
                tr("Undo the later imports first: {ids}.", ids=", ".join(str(i) for i in reversed(later)))
            )
        progress.step(0, 3, tr("Undoing the import…"), force=True)
        touched: set[int] = set()
        changes = session.scalars(select(ImportChange).where(ImportChange.run_id == run_id)).all()
        for change in changes:
            table = TABLES[change.table_name]
            values = {k: restore_value(change.table_name, k, v) for k, v in (change.before or {}).items()}
            if values:
                session.execute(update(table).where(table.c.id == change.row_id).values(values))
            if change.table_name == "accounts":
                touched.add(change.row_id)
        progress.step(1, 3, tr("Undoing the import…"))
        for model in (TimelineEvent, RevenueChange, Measure, SurveyResponse, Task, Contact):
            touched.update(session.scalars(select(model.account_id).where(model.import_run_id == run_id)))
            session.execute(delete(model).where(model.import_run_id == run_id))
        created = session.scalars(select(Account.id).where(Account.import_run_id == run_id)).all()
        touched.difference_update(created)
        session.execute(delete(Account).where(Account.import_run_id == run_id))
        session.execute(delete(ImportChange).where(ImportChange.run_id == run_id))
        run.status = "undone"
        run.undone_at = clock.now()
        progress.step(3, 3, tr("Undoing the import…"), force=True)
        return sorted(touched)
