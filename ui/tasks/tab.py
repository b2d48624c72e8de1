"""The Tasks tab of the account page: one-click completion, add, edit, delete with undo."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, formatting, tasks, vocab
from csdesk.i18n import label, plural, tr
from ui.context import AppContext
from ui.errors import show_error
from ui.timeline import undo
from ui.timeline.dialogs import TaskDialog
from ui.workers import run_in_background

TaskRole = Qt.ItemDataRole.UserRole + 1
ORIGIN_LABELS = {"manual": "Typed here", "rule": "Reminder rule", "alert": "Health alert"}


class TasksModel(QAbstractTableModel):
    """Tasks of one account; column 0 is the completion checkbox."""

    completeRequested = Signal(int, bool)  # task id, done

    COLUMNS = ("Done", "Task", "Due", "Priority", "Kind", "From")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._tasks: list[tasks.TaskData] = []
        self.today = clock.today()

    def set_tasks(self, items: list[tasks.TaskData]) -> None:
        self.beginResetModel()
        self._tasks = list(items)
        self.today = clock.today()
        self.endResetModel()

    def task_at(self, row: int) -> tasks.TaskData | None:
        return self._tasks[row] if 0 <= row < len(self._tasks) else None

    def row_of(self, task_id: int) -> int:
        return next((i for i, t in enumerate(self._tasks) if t.id == task_id), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._tasks)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section]) if 0 <= section < len(self.COLUMNS) else None
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._tasks):
            return None
        task = self._tasks[index.row()]
        column = index.column()
        if role == TaskRole:
            return task
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if task.status == "done" else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 1:
                return tasks.display_title(task)
            if column == 2:
                return formatting.day(task.due_date)
            if column == 3:
                return label(vocab.TASK_PRIORITY_LABELS, task.priority)
            if column == 4:
                return label(vocab.TASK_KIND_LABELS, task.kind)
            if column == 5:
                origin = tr(ORIGIN_LABELS.get(task.origin, task.origin))
                return tr("{source} · {author}", source=origin, author=task.author) if task.author else origin
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and task.notes:
            return task.notes
        if role == Qt.ItemDataRole.ForegroundRole:
            if task.status != "open":
                return QColor("#8a8a8a")
            if column == 2 and task.is_overdue(self.today):
                return QColor("#b91c1c")
            if column == 3 and task.priority == "high":
                return QColor("#b45309")
        if role == Qt.ItemDataRole.FontRole and task.status != "open" and column == 1:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        task = self._tasks[index.row()]
        done = Qt.CheckState(value) == Qt.CheckState.Checked
        if (task.status == "done") == done:
            return False
        # The tab performs the change through the service (with undo) and reloads.
        self.completeRequested.emit(task.id, done)
        return True


class TasksTab(QWidget):
    loaded = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self._generation = 0
        self.show_error = show_error
        self.model = TasksModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.show_closed = QCheckBox(tr("Show completed"))
        self.show_closed.setChecked(True)
        self.add_button = QPushButton(tr("New task"))
        self.edit_button = QPushButton(tr("Edit"))
        self.delete_button = QPushButton(tr("Delete"))
        self.summary = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.delete_button)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        bar.addWidget(self.show_closed)
        self.empty = QLabel(tr("No tasks. Add one with “New task”."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(mid); padding: 24px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty, 1)

        new_action = QAction(tr("New task"), self)
        new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new_action.triggered.connect(lambda: self.add_task())
        self.addAction(new_action)
        self.add_button.clicked.connect(lambda: self.add_task())
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.view.doubleClicked.connect(lambda i: self.edit_selected() if i.column() != 0 else None)
        self.show_closed.toggled.connect(self.reload)
        self.model.completeRequested.connect(self.set_done)
        self.model.modelReset.connect(self._on_reset)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        context.hub.tasksChanged.connect(self._on_tasks_changed)
        self._on_reset()

    def set_account(self, account_id: int) -> None:
        if account_id != self.account_id:
            self.model.set_tasks([])
        self.account_id = account_id
        self.reload()

    def reload(self) -> None:
        if self.account_id is None:
            return
        self._generation += 1
        generation, account_id, db = self._generation, self.account_id, self.context.db
        include_closed = self.show_closed.isChecked()
        run_in_background(
            lambda _p: tasks.list_tasks(db, account_id, include_closed=include_closed),
            lambda items: self._on_loaded(generation, account_id, items),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_loaded(self, generation: int, account_id: int, items: list[tasks.TaskData]) -> None:
        if generation != self._generation:
            return
        self.model.set_tasks(items)
        self.loaded.emit(account_id)

    def _on_tasks_changed(self, account_id: int) -> None:
        if account_id in (0, self.account_id):
            self.reload()

    def _on_reset(self) -> None:
        items = [self.model.task_at(r) for r in range(self.model.rowCount())]
        open_count = sum(1 for t in items if t and t.status == "open")
        overdue = sum(1 for t in items if t and t.is_overdue(clock.today()))
        text = plural(open_count, "{n} open", "{n} open")
        if overdue:
            text += " · " + plural(overdue, "{n} overdue", "{n} overdue")
        self.summary.setText(text if items else "")
        self.view.setVisible(bool(items))
        self.empty.setVisible(not items)
        self._update_buttons()

    def current_task(self) -> tasks.TaskData | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.task_at(rows[0].row()) if rows else None

    def _update_buttons(self, *_args) -> None:
        has = self.current_task() is not None
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.add_button.setEnabled(self.account_id is not None)

    def exec_dialog(self, dialog: QDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def set_done(self, task_id: int, done: bool) -> None:
        try:
            undo.complete_task(self.context, task_id, done)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)

    def add_task(self) -> tasks.TaskData | None:
        if self.account_id is None:
            return None
        dialog = TaskDialog(self.account_id, self)
        if not self.exec_dialog(dialog) or dialog.result_task is None:
            return None
        try:
            return undo.add_task(self.context, dialog.result_task)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)
            return None

    def edit_selected(self) -> None:
        task = self.current_task()
        if task is None or self.account_id is None:
            return
        dialog = TaskDialog(self.account_id, self, task=task)
        if not self.exec_dialog(dialog) or dialog.result_task is None:
            return
        try:
            undo.edit_task(self.context, dialog.result_task)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)

    def delete_selected(self) -> None:
        task = self.current_task()
        if task is None:
            return
        try:
            undo.delete_task(self.context, task.id)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)
