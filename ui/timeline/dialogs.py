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

QUICK_KINDS = vocab.LOG_KINDS  # the one table of kinds says which the CSM logs by hand


def date_format() -> str:
    return "dd/MM/yyyy" if i18n.current_language() == "pt_BR" else "yyyy-MM-dd"


def to_qdatetime(value: datetime) -> QDateTime:
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute, value.second))


def from_qdatetime(value: QDateTime) -> datetime:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


# The pulse scale as the CSM reads it.
PULSE_TEXTS = {
    1: "1 — Very worried",
    2: "2 — Worried",
    3: "3 — Neutral",
    4: "4 — Confident",
    5: "5 — Very confident",
}


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
    """Log any CS event the CSM logs by hand (date defaults to now); also edits any event."""

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
        self.severity = QComboBox()
        for key in vocab.TICKET_SEVERITIES:
            self.severity.addItem(label(vocab.TICKET_SEVERITY_LABELS, key), key)
        self.severity.setCurrentIndex(
            vocab.TICKET_SEVERITIES.index(event.severity if event and event.severity else "medium")
        )
        self.severity_label = QLabel(tr("Severity"))
        self.score = QComboBox()
        for value in vocab.PULSE_SCORES:
            self.score.addItem(tr(PULSE_TEXTS[value]), value)
        current = timeline.pulse_score(event) if event else None
        self.score.setCurrentIndex(vocab.PULSE_SCORES.index(current or 3))
        self.score_label = QLabel(tr("Your feeling"))
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
        form.addRow(self.severity_label, self.severity)
        form.addRow(self.score_label, self.score)
        form.addRow(tr("When"), self.when)
        form.addRow(tr("Title"), self.title)
        form.addRow(tr("Details"), self.body)
        _lay_out(self, form, self.errors)
        self._default_titles = {label(vocab.EVENT_KIND_LABELS, k) for k in vocab.EVENT_KINDS}
        if event:
            self._default_titles = set()
        self.kind.currentIndexChanged.connect(self._on_kind)
        self._on_kind()
        self.title.setFocus()
        self.result_event: timeline.EventData | None = None

    def _on_kind(self) -> None:
        kind = self.kind.currentData()
        for widgets, shown in (
            ((self.meeting_type, self.meeting_type_label), kind == "meeting"),
            ((self.severity, self.severity_label), kind == "ticket"),
            ((self.score, self.score_label), kind == "pulse"),
        ):
            for widget in widgets:
                widget.setVisible(shown)
        if not self.title.text().strip() or self.title.text() in self._default_titles:
            # A pulse or a ticket often needs no words: its kind is a fine title, still editable.
            self.title.setText(label(vocab.EVENT_KIND_LABELS, kind) if kind in ("pulse",) else "")

    def event_data(self) -> timeline.EventData:
        kind = self.kind.currentData()
        subkind = self.meeting_type.currentData() if kind == "meeting" else None
        data = None if self.original is None else self.original.data
        if kind == "pulse":
            data = {**(data or {}), "score": self.score.currentData()}
        values = {
            "kind": kind,
            "severity": self.severity.currentData() if kind == "ticket" else None,
            "data": data if data is not None or self.original else {},
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
