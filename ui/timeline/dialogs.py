"""Quick add / edit of a timeline event, and of a task."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, i18n, tasks, timeline, vocab
from csdesk.accounts import ValidationError
from csdesk.i18n import label, tr
from ui.timeline.icons import kind_icon

QUICK_KINDS = ("note", "call", "meeting", "email")


def date_format() -> str:
    return "dd/MM/yyyy" if i18n.current_language() == "pt_BR" else "yyyy-MM-dd"


def to_qdatetime(value: datetime) -> QDateTime:
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute, value.second))


def from_qdatetime(value: QDateTime) -> datetime:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


class _ErrorLabel(QLabel):
    def __init__(self):
        super().__init__()
        self.setStyleSheet("color: #b91c1c;")
        self.setWordWrap(True)
        self.hide()

    def show_errors(self, error: ValidationError) -> None:
        self.setText("\n".join(e.message for e in error.errors))
        self.show()


def _lay_out(dialog: QDialog, form: QFormLayout, errors: QLabel) -> None:
    """The form, the line that explains what to fix, then Save and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(errors)
    layout.addWidget(buttons)


class EventDialog(QDialog):
    """Log a note, call, meeting or e-mail (date defaults to now); also edits any event."""

    def __init__(
        self,
        account_id: int,
        parent: QWidget | None = None,
        event: timeline.EventData | None = None,
        kind: str = "note",
    ):
        super().__init__(parent)
        self.account_id = account_id
        self.original = event
        self.setWindowTitle(tr("Edit event") if event else tr("Log a touchpoint"))
        self.setMinimumWidth(520)

        self.kind = QComboBox()
        kinds = list(QUICK_KINDS)
        if event and event.kind not in kinds:
            kinds.append(event.kind)
        for key in kinds:
            self.kind.addItem(kind_icon(key), label(vocab.EVENT_KIND_LABELS, key), key)
        self.kind.setCurrentIndex(kinds.index(event.kind if event else kind))
        if event and event.kind not in QUICK_KINDS:
            self.kind.setEnabled(False)
        self.meeting_type = QComboBox()
        self.meeting_type.addItem(tr("(not specified)"), None)
        for key in vocab.MEETING_TYPES:
            self.meeting_type.addItem(label(vocab.MEETING_TYPE_LABELS, key), key)
        self.meeting_type_label = QLabel(tr("Meeting type"))
        self.when = QDateTimeEdit(to_qdatetime(event.occurred_at if event else timeline.now()))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(date_format() + " HH:mm")
        self.title = QLineEdit(event.title if event else "")
        self.title.setPlaceholderText(tr("What happened, in a line"))
        self.title.setMaxLength(timeline.TITLE_MAX)
        self.body = QPlainTextEdit(event.body or "" if event else "")
        self.body.setPlaceholderText(
            tr("Details in Markdown: **bold**, *italic*, lists with -, links [text](https://…)")
        )
        self.body.setTabChangesFocus(True)
        self.errors = _ErrorLabel()
        if event and event.subkind:
            self.meeting_type.setCurrentIndex(max(0, self.meeting_type.findData(event.subkind)))

        form = QFormLayout()
        form.addRow(tr("Kind"), self.kind)
        form.addRow(self.meeting_type_label, self.meeting_type)
        form.addRow(tr("When"), self.when)
        form.addRow(tr("Title"), self.title)
        form.addRow(tr("Details"), self.body)
        _lay_out(self, form, self.errors)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self._on_kind()
        self.title.setFocus()
        self.result_event: timeline.EventData | None = None

    def _on_kind(self) -> None:
        is_meeting = self.kind.currentData() == "meeting"
        self.meeting_type.setVisible(is_meeting)
        self.meeting_type_label.setVisible(is_meeting)

    def event_data(self) -> timeline.EventData:
        kind = self.kind.currentData()
        subkind = self.meeting_type.currentData() if kind == "meeting" else None
        values = {
            "kind": kind,
            "subkind": subkind if kind == "meeting" else (self.original.subkind if self.original else None),
            "title": self.title.text(),
            "body": self.body.toPlainText(),
            "occurred_at": from_qdatetime(self.when.dateTime()),
        }
        if self.original:
            return replace(self.original, **values)
        return timeline.EventData(account_id=self.account_id, source="manual", **values)

    def accept(self) -> None:
        data = self.event_data()
        errors = timeline.problems(data)
        if errors:
            self.errors.show_errors(ValidationError(errors))
            return
        self.result_event = data
        super().accept()


class TaskDialog(QDialog):
    """A new task for an account, or an edit of one."""

    def __init__(self, account_id: int, parent: QWidget | None = None, task: tasks.TaskData | None = None):
        super().__init__(parent)
        self.account_id = account_id
        self.original = task
        self.setWindowTitle(tr("Edit task") if task else tr("New task"))
        self.setMinimumWidth(460)
        self.title = QLineEdit(task.title if task else "")
        self.title.setPlaceholderText(tr("What needs doing"))
        self.has_due = QCheckBox(tr("Due on"))
        due = task.due_date if task and task.due_date else clock.today()
        self.due = QDateEdit(QDate(due.year, due.month, due.day))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat(date_format())
        self.has_due.setChecked(task is None or task.due_date is not None)
        self.has_due.toggled.connect(self.due.setEnabled)
        self.due.setEnabled(self.has_due.isChecked())
        due_row = QHBoxLayout()
        due_row.addWidget(self.has_due)
        due_row.addWidget(self.due, 1)
        self.priority = QComboBox()
        for key in vocab.TASK_PRIORITIES:
            self.priority.addItem(label(vocab.TASK_PRIORITY_LABELS, key), key)
        self.priority.setCurrentIndex(vocab.TASK_PRIORITIES.index(task.priority if task else "normal"))
        self.kind = QComboBox()
        for key in vocab.TASK_KINDS:
            self.kind.addItem(label(vocab.TASK_KIND_LABELS, key), key)
        self.kind.setCurrentIndex(vocab.TASK_KINDS.index(task.kind if task else "follow_up"))
        self.notes = QPlainTextEdit(task.notes or "" if task else "")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(90)
        self.errors = _ErrorLabel()
        form = QFormLayout()
        form.addRow(tr("Title"), self.title)
        form.addRow(tr("Due date"), due_row)
        form.addRow(tr("Priority"), self.priority)
        form.addRow(tr("Kind"), self.kind)
        form.addRow(tr("Notes"), self.notes)
        _lay_out(self, form, self.errors)
        self.result_task: tasks.TaskData | None = None
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)

    def task_data(self) -> tasks.TaskData:
        qd = self.due.date()
        values = {
            "title": self.title.text(),
            "due_date": date(qd.year(), qd.month(), qd.day()) if self.has_due.isChecked() else None,
            "priority": self.priority.currentData(),
            "kind": self.kind.currentData(),
            "notes": self.notes.toPlainText(),
        }
        if self.original:
            return replace(self.original, **values)
        return tasks.TaskData(account_id=self.account_id, **values)

    def accept(self) -> None:
        data = self.task_data()
        errors = tasks.validate_task(data)
        if errors:
            self.errors.show_errors(ValidationError(errors))
            return
        self.result_task = data
        super().accept()
