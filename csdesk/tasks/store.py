"""A task as data: validating, saving, completing, deleting and listing tasks."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime

from sqlalchemy import delete, select

from csdesk import clock, vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.errors import UserError
from csdesk.i18n import tr
from db import Database
from db.models import Account, Task


@dataclass(frozen=True)
class TaskData:
    account_id: int
    title: str
    id: int | None = None
    due_date: date | None = None
    priority: str = "normal"
    kind: str = "follow_up"
    status: str = "open"
    notes: str | None = None
    owner_side: str = "ours"
    origin: str = "manual"
    rule_key: str | None = None
    plan_id: int | None = None
    milestone_id: int | None = None
    completed_at: datetime | None = None
    author: str | None = None  # who created it (set by the database from the writer's name)
    playbook_id: int | None = None  # the playbook whose run made it

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_date is not None and self.due_date < today


_COLUMNS = [f.name for f in fields(TaskData)]
_WRITABLE = [n for n in _COLUMNS if n not in ("id", "author")]
_SELECT = [getattr(Task, n) for n in _COLUMNS]


def _task(orm: Task) -> TaskData:
    return TaskData(**{n: getattr(orm, n) for n in _COLUMNS})


def _row(row) -> TaskData:
    return TaskData(**dict(zip(_COLUMNS, row, strict=True)))


def validate_task(data: TaskData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not (data.title or "").strip():
        errors.append(FieldError("title", tr("Give the task a title.")))
    if data.priority not in vocab.TASK_PRIORITIES:
        errors.append(FieldError("priority", tr("Unknown priority.")))
    if data.kind not in vocab.TASK_KINDS:
        errors.append(FieldError("kind", tr("Unknown task kind.")))
    if data.status not in vocab.TASK_STATUSES:
        errors.append(FieldError("status", tr("Unknown task status.")))
    return errors


def _check(data: TaskData) -> TaskData:
    data = replace(data, title=(data.title or "").strip(), notes=(data.notes or "").strip() or None)
    errors = validate_task(data)
    if errors:
        raise ValidationError(errors)
    return data


def save_task(db: Database, data: TaskData) -> TaskData:
    """Insert a task (an id, when given, is kept: that is how undo restores it)."""
    data = _check(data)
    with db.transaction() as session:
        if session.get(Account, data.account_id) is None:
            raise UserError(tr("Account {id} does not exist.", id=data.account_id))
        orm = Task(**{n: getattr(data, n) for n in _WRITABLE})
        if data.id is not None:
            orm.id = data.id
        if data.author is not None:  # an undo puts it back as its author made it
            orm.author = data.author
        session.add(orm)
        session.flush()
        return _task(orm)


create_task = save_task
restore_task = save_task


def get_task(db: Database, task_id: int) -> TaskData:
    with db.session() as session:
        orm = session.get(Task, task_id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=task_id))
        return _task(orm)


def update_task(db: Database, data: TaskData) -> TaskData:
    """Save an edited task; return the version before (for undo)."""
    if data.id is None:
        raise ValueError("update_task needs an id")
    data = _check(data)
    with db.transaction() as session:
        orm = session.get(Task, data.id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=data.id))
        before = _task(orm)
        if data.status == "done" and before.status != "done" and data.completed_at is None:
            data = replace(data, completed_at=clock.now())
        if data.status != "done":
            data = replace(data, completed_at=None)
        for name in _WRITABLE:
            setattr(orm, name, getattr(data, name))
        return before


def complete_task(db: Database, task_id: int, done: bool = True) -> TaskData:
    """Mark a task done (or open again); return the version before."""
    before = get_task(db, task_id)
    update_task(db, replace(before, status="done" if done else "open", completed_at=None))
    return before


def delete_task(db: Database, task_id: int) -> TaskData:
    """Delete a task; return it (``restore_task`` puts it back)."""
    with db.transaction() as session:
        orm = session.get(Task, task_id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=task_id))
        before = _task(orm)
        session.execute(delete(Task).where(Task.id == task_id))
        return before


def list_tasks(db: Database, account_id: int, *, include_closed: bool = True) -> list[TaskData]:
    """An account's tasks: open ones first by due date (undated last), then closed ones."""
    query = select(*_SELECT).where(Task.account_id == account_id)
    if not include_closed:
        query = query.where(Task.status == "open")
    with db.session() as session:
        tasks = [_row(r) for r in session.execute(query)]
    return sorted(
        tasks,
        key=lambda t: (
            t.status != "open",
            t.due_date is None,
            t.due_date or date.max,
            vocab.TASK_PRIORITIES.index(t.priority) * -1,
            t.id or 0,
        ),
    )


def all_tasks(db: Database, *, open_only: bool = False, account_id: int | None = None) -> list[TaskData]:
    """Tasks of every account (or one), in the order of :func:`list_tasks` then by account."""
    query = select(*_SELECT)
    if account_id is not None:
        query = query.where(Task.account_id == account_id)
    if open_only:
        query = query.where(Task.status == "open")
    query = query.order_by(
        Task.status != "open", Task.due_date.is_(None), Task.due_date, Task.account_id, Task.id
    )
    with db.session() as session:
        return [_row(r) for r in session.execute(query)]
