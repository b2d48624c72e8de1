"""The Playbooks page: every playbook with its trigger and runs; edit, enable, run now."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, playbooks
from csdesk.i18n import tr
from csdesk.playbooks import PlaybookData, RunData
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

_INDEX = QModelIndex()


class PlaybooksModel(QAbstractTableModel):
    """The playbooks; the first column's check box turns one on or off."""

    enabledToggled = Signal(int, bool)  # playbook id, enabled

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[PlaybookData] = []
        self.headers = [tr("Playbook"), tr("Trigger"), tr("Tasks"), tr("Runs"), tr("Tasks created")]

    def set_items(self, items: list[PlaybookData]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item, column = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [item.name, item.trigger_text, str(len(item.steps)), str(item.runs), str(item.tasks)][
                column
            ]
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if item.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return tr("On: creates its tasks when the trigger happens") if item.enabled else tr("Off")
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        enabled = Qt.CheckState(value) == Qt.CheckState.Checked
        self.enabledToggled.emit(self.items[index.row()].id, enabled)
        return True


class RunsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[RunData] = []
        self.headers = [tr("Account"), tr("Occurrence"), tr("Day"), tr("Ran at"), tr("Tasks")]

    def set_items(self, items: list[RunData]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        run = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                run.account_name,
                playbooks.occurrence_label(run.occurrence_key),
                formatting.day(run.occurred_on),
                f"{formatting.day(run.ran_at.date())} {run.ran_at:%H:%M}",
                str(run.tasks_created),
            ][index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return run.account_id
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return run.occurrence_key
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class PlaybooksPage(QWidget):
    loaded = Signal()  # the list (and the selected playbook's runs) show the database (tests)

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self._runs_generation = 0
        self.model = PlaybooksModel(self)
        self.model.enabledToggled.connect(self._on_enabled_toggled)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (2, 3, 4):
            self.view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.doubleClicked.connect(lambda _index: self.edit_selected())
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._load_runs())

        self.runs_model = RunsModel(self)
        self.runs_view = QTableView()
        self.runs_view.setModel(self.runs_model)
        self.runs_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_view.verticalHeader().hide()
        self.runs_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.runs_view.doubleClicked.connect(self._open_account)
        self.runs_title = QLabel(tr("Runs"))
        self.runs_title.setStyleSheet("font-weight: 600")

        self.new_button = QPushButton(tr("New playbook…"))
        self.edit_button = QPushButton(tr("Edit…"))
        self.delete_button = QPushButton(tr("Delete"))
        self.run_button = QPushButton(tr("Run now"))
        self.run_button.setToolTip(tr("Check every account now and create the tasks of new occurrences"))
        self.new_button.clicked.connect(self.new_playbook)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.run_button.clicked.connect(self.run_now)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # The fixed reminder rules run beside the playbooks; one click to their settings.
        self.rules_label = QLabel()
        self.rules_label.setWordWrap(True)
        self.rules_button = QPushButton(tr("Cadences and reminders…"))
        self.rules_button.clicked.connect(self.open_reminder_rules)

        intro = QLabel(
            tr(
                "A playbook creates its tasks once per occurrence of its trigger: an NPS answer, "
                "a band change, a renewal date… Tick a playbook to turn it on or off."
            )
        )
        intro.setWordWrap(True)
        title = QLabel(tr("Playbooks"))
        title.setStyleSheet("font-size: 16pt; font-weight: 600")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.view)
        top_layout.addLayout(buttons)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.runs_title)
        bottom_layout.addWidget(self.runs_view)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        rules_row = QHBoxLayout()
        rules_row.addWidget(self.rules_label, 1)
        rules_row.addWidget(self.rules_button)
        layout.addLayout(rules_row)

        context.hub.tasksChanged.connect(lambda _id: self.reload())
        context.hub.databaseChanged.connect(self.reload)
        self.reload()

    # Loading ----------------------------------------------------------------------

    def selected(self) -> PlaybookData | None:
        row = self.view.currentIndex().row()
        return self.model.items[row] if 0 <= row < len(self.model.items) else None

    def reload(self, select_id: int | None = None) -> None:
        from csdesk import playbooks, tasks

        db = self.context.db
        run_in_background(
            lambda _p: (playbooks.list_playbooks(db), tasks.get_rules(db)),
            lambda result: (self._show_rules(result[1]), self._on_loaded(result[0], select_id)),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _show_rules(self, rules: dict) -> None:
        from csdesk import tasks

        on = [tasks.rule_label(key, rule) for key, rule in rules.items() if rule.get("enabled")]
        self.rules_label.setText(
            tr("Reminder rules also create tasks: {rules}.", rules="; ".join(on))
            if on
            else tr("The reminder rules are all off.")
        )

    def open_reminder_rules(self) -> None:
        from csdesk import tasks
        from ui.today.settings_dialog import TodaySettingsDialog

        if TodaySettingsDialog(self.context, self).exec():
            self.context.hub.remindersChanged.emit()
        self._show_rules(tasks.get_rules(self.context.db))

    def _on_loaded(self, items: list[PlaybookData], select_id: int | None) -> None:
        # The selection when the list arrives (the user may have clicked meanwhile), unless asked.
        current = self.selected()
        keep = select_id if select_id is not None else (current.id if current else None)
        self.model.set_items(items)
        row = next((i for i, p in enumerate(items) if p.id == keep), 0 if items else -1)
        if row >= 0:
            self.view.selectRow(row)
        self._update_buttons()
        self._load_runs()

    def _load_runs(self) -> None:
        from csdesk import playbooks

        chosen = self.selected()
        self._update_buttons()
        if chosen is None:
            self.runs_model.set_items([])
            self.loaded.emit()
            return
        self.runs_title.setText(tr("Runs of “{name}”", name=chosen.name))
        db = self.context.db
        self._runs_generation += 1
        generation = self._runs_generation
        run_in_background(
            lambda _p: playbooks.list_runs(db, chosen.id),
            lambda runs: self._on_runs(generation, runs),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _on_runs(self, generation: int, runs: list[RunData]) -> None:
        if generation != self._runs_generation:
            return  # another playbook was selected meanwhile
        self.runs_model.set_items(runs)
        for column in range(1, self.runs_model.columnCount()):
            self.runs_view.resizeColumnToContents(column)
        self.loaded.emit()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.edit_button.setEnabled(chosen is not None)
        self.delete_button.setEnabled(chosen is not None)

    # Actions ----------------------------------------------------------------------

    def _on_enabled_toggled(self, playbook_id: int, enabled: bool) -> None:
        from csdesk import playbooks

        try:
            playbooks.set_enabled(self.context.db, playbook_id, enabled)
        except Exception as exc:  # noqa: BLE001 (shown, and logged when a bug)
            show_error(self, exc)
        self.reload(playbook_id)

    def editor(self, data: PlaybookData | None = None):
        from ui.playbooks.editor import PlaybookEditor

        return PlaybookEditor(self.context, data, self)

    def new_playbook(self) -> None:
        dialog = self.editor()
        if dialog.exec():
            self.reload(dialog.saved.id if dialog.saved else None)

    def edit_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        dialog = self.editor(chosen)
        if dialog.exec():
            self.reload(chosen.id)

    def delete_selected(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from csdesk import playbooks

        chosen = self.selected()
        if chosen is None:
            return
        answer = QMessageBox.question(
            self,
            tr("Delete playbook"),
            tr("Delete “{name}”? The tasks it created stay.", name=chosen.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            playbooks.delete_playbook(self.context.db, chosen.id)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
        self.reload()

    def run_now(self) -> None:
        from csdesk import i18n, playbooks

        db, language = self.context.db, i18n.current_language()
        self.run_button.setEnabled(False)
        self.status.setText(tr("Checking playbooks"))
        run_in_background(
            lambda progress: playbooks.evaluate(db, progress=progress, language=language),
            self._on_ran,
            self._on_run_failed,
            parent=self,
        )

    def _on_ran(self, result) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(
            tr(
                "Playbooks ran {runs} times and created {tasks} tasks.",
                runs=result.runs,
                tasks=result.created,
            )
        )
        if result.created:
            self.context.hub.tasksChanged.emit(0)
        else:
            self.reload()

    def _on_run_failed(self, error: BaseException) -> None:
        self.run_button.setEnabled(True)
        self.status.setText("")
        show_error(self, error)

    def _open_account(self, index) -> None:
        account_id = self.runs_model.data(index, Qt.ItemDataRole.UserRole)
        if account_id:
            self.context.hub.requestAccount.emit(int(account_id))
