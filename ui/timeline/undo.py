"""Undo commands for timeline events and tasks: each step calls a csdesk service."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from csdesk import tasks, timeline
from csdesk.i18n import tr
from ui.context import AppContext


class DoneCommand(QUndoCommand):
    """A change already made by the caller; redo/undo replay it through services."""

    def __init__(
        self, text: str, redo: Callable[[], None], undo: Callable[[], None], after: Callable[[], None]
    ):
        super().__init__(text)
        self._redo, self._undo, self._after = redo, undo, after
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
        else:
            self._redo()
        self._after()

    def undo(self) -> None:
        self._undo()
        self._after()


def _announce_event(context: AppContext, *events: timeline.EventData) -> Callable[[], None]:
    def after() -> None:
        ids = sorted({e.account_id for e in events})
        for account_id in ids:
            context.hub.timelineChanged.emit(account_id)
        if any(e.is_touch for e in events):
            context.hub.accountsChanged.emit(ids)

    return after


def add_event(context: AppContext, data: timeline.EventData) -> timeline.EventData:
    """Save a new event and push its undo step; raises the service's errors unchanged."""
    created = timeline.save_event(context.db, data)
    context.undo_stack.push(
        DoneCommand(
            tr("Add “{title}”", title=created.title),
            lambda: timeline.restore_event(context.db, created),
            lambda: timeline.delete_event(context.db, created.id),
            _announce_event(context, created),
        )
    )
    return created


def edit_event(context: AppContext, data: timeline.EventData) -> timeline.EventData:
    before = timeline.update_event(context.db, data)
    context.undo_stack.push(
        DoneCommand(
            tr("Edit “{title}”", title=data.title),
            lambda: timeline.update_event(context.db, data),
            lambda: timeline.update_event(context.db, before),
            _announce_event(context, before, data),
        )
    )
    return before


def delete_event(context: AppContext, event_id: int) -> timeline.EventData:
    deleted = timeline.delete_event(context.db, event_id)
    context.undo_stack.push(
        DoneCommand(
            tr("Delete “{title}”", title=deleted.title),
            lambda: timeline.delete_event(context.db, deleted.id),
            lambda: timeline.restore_event(context.db, deleted),
            _announce_event(context, deleted),
        )
    )
    return deleted


def _announce_task(context: AppContext, account_id: int) -> Callable[[], None]:
    return lambda: context.hub.tasksChanged.emit(account_id)


def add_task(context: AppContext, data: tasks.TaskData) -> tasks.TaskData:
    created = tasks.create_task(context.db, data)
    context.undo_stack.push(
        DoneCommand(
            tr("Add task “{title}”", title=created.title),
            lambda: tasks.restore_task(context.db, created),
            lambda: tasks.delete_task(context.db, created.id),
            _announce_task(context, created.account_id),
        )
    )
    return created


def edit_task(context: AppContext, data: tasks.TaskData) -> tasks.TaskData:
    before = tasks.update_task(context.db, data)
    after = tasks.get_task(context.db, data.id)
    context.undo_stack.push(
        DoneCommand(
            tr("Edit task “{title}”", title=data.title),
            lambda: tasks.update_task(context.db, after),
            lambda: tasks.update_task(context.db, before),
            _announce_task(context, data.account_id),
        )
    )
    return before


def complete_task(context: AppContext, task_id: int, done: bool = True) -> tasks.TaskData:
    before = tasks.complete_task(context.db, task_id, done)
    text = (
        tr("Complete “{title}”", title=before.title) if done else tr("Reopen “{title}”", title=before.title)
    )
    context.undo_stack.push(
        DoneCommand(
            text,
            lambda: tasks.complete_task(context.db, task_id, done),
            lambda: tasks.update_task(context.db, before),
            _announce_task(context, before.account_id),
        )
    )
    return before


def delete_task(context: AppContext, task_id: int) -> tasks.TaskData:
    deleted = tasks.delete_task(context.db, task_id)
    context.undo_stack.push(
        DoneCommand(
            tr("Delete task “{title}”", title=deleted.title),
            lambda: tasks.delete_task(context.db, deleted.id),
            lambda: tasks.restore_task(context.db, deleted),
            _announce_task(context, deleted.account_id),
        )
    )
    return deleted
