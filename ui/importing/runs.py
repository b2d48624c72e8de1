"""The import history: every import with its counts, and Undo that shows its plan first.

Undo asks for confirmation with what it will remove and restore and, above all,
what was done by hand since on what the import made (notes, tasks, plans,
contacts on the accounts it created, fields edited since): keep it (the default)
or discard it too. Nothing made by hand goes without being named first.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, importing
from csdesk.i18n import label, tr
from csdesk.importing import detect
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import Job, run_in_background

RunIdRole = Qt.ItemDataRole.UserRole


class RunsModel(QAbstractTableModel):
    COLUMNS = ("When", "File", "What", "Source", "Created", "Updated", "Unchanged", "Rejected", "Status")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs: list[importing.RunInfo] = []

    def set_runs(self, runs: list[importing.RunInfo]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        if role == RunIdRole:
            return run.id
        if role == Qt.ItemDataRole.TextAlignmentRole and 4 <= index.column() <= 7:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        values = (
            formatting.moment(run.started_at),
            run.file_name.replace("\\", "/").rsplit("/", 1)[-1],
            label(detect.KIND_LABELS, run.kind),
            label(detect.SOURCE_LABELS, run.source),
            formatting.number(run.created),
            formatting.number(run.updated),
            formatting.number(run.unchanged),
            formatting.number(run.rejected),
            tr("Undone") if run.status == "undone" else tr("Done"),
        )
        return values[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(self.COLUMNS[section])
        return None


class UndoConfirmDialog(QDialog):
    """Confirms one undo with its plan; ``choice`` is KEEP, DISCARD or REFUSE (nothing done by
    hand since) once accepted, None when cancelled."""

    SHOWN = 300  # items listed; the rest counted

    def __init__(self, plan: importing.UndoPlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.choice: str | None = None
        self.setWindowTitle(tr("Undo import {id}", id=plan.run.id))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        self.summary = QLabel(plan.summary())
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.work_list = QListWidget()
        self.keep_button = QPushButton(tr("&Keep my later work"))
        self.discard_button = QPushButton(tr("&Discard it too"))
        self.undo_button = QPushButton(tr("&Undo import"))
        self.cancel_button = QPushButton(tr("Cancel"))
        self.keep_button.clicked.connect(lambda: self._choose(importing.KEEP))
        self.discard_button.clicked.connect(lambda: self._choose(importing.DISCARD))
        self.undo_button.clicked.connect(lambda: self._choose(importing.REFUSE))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        if plan.has_later_work:
            intro = QLabel(
                tr(
                    "Work was done by hand since this import on what it made: {work}.\n"
                    "“Keep my later work” keeps it: those {kept} account(s) stay, no longer part of the "
                    "import, and fields edited since keep their value. “Discard it too” removes it "
                    "with the import.",
                    work=plan.later_work_summary(),
                    kept=len(plan.kept_accounts),
                )
            )
            intro.setWordWrap(True)
            layout.addWidget(intro)
            for work in plan.later_work[: self.SHOWN]:
                self.work_list.addItem(work.describe())
            hidden = len(plan.later_work) - self.SHOWN
            if hidden > 0:
                self.work_list.addItem(tr("…and {count} more", count=hidden))
            layout.addWidget(self.work_list, 1)
            buttons.addWidget(self.keep_button)
            buttons.addWidget(self.discard_button)
            default = self.keep_button
        else:
            buttons.addWidget(self.undo_button)
            default = self.undo_button
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        for button in (self.keep_button, self.discard_button, self.undo_button, self.cancel_button):
            button.setAutoDefault(button is default)
        default.setDefault(True)
        default.setFocus()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


class ImportHistoryDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.job: Job | None = None
        self.confirm: UndoConfirmDialog | None = None
        self.setWindowTitle(tr("Import history"))
        self.resize(900, 420)
        self.model = RunsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.note = QLabel(
            tr(
                "Undo removes what an import created and restores what it changed; "
                "it shows first what was done by hand since, to keep it or not."
            )
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5b6475;")
        self.problem = QLabel()  # why the selected import cannot be undone yet
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        self.undo_button = QPushButton(tr("&Undo import"))
        self.undo_button.clicked.connect(self.undo_selected)
        close = QPushButton(tr("&Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.reload()

    def reload(self) -> None:
        self.model.set_runs(importing.list_runs(self.context.db))
        self.view.resizeColumnsToContents()
        if self.model.runs:
            self.view.selectRow(0)
        self._update_buttons()

    def selected_run(self) -> importing.RunInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.runs[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        run = self.selected_run()
        busy = self.job is not None and self.job.running
        self.undo_button.setEnabled(run is not None and run.status == "done" and not busy)

    def undo_selected(self) -> None:
        """Plan the undo of the selected import (in the background), then ask with the plan."""
        run = self.selected_run()
        if run is None:
            return
        db = self.context.db
        self.problem.hide()
        self.job = run_in_background(
            lambda _progress: importing.plan_undo(db, run.id),
            self._on_planned,
            lambda error: self._on_failed(error),
            parent=self,
        )
        self._update_buttons()

    def _on_planned(self, plan: importing.UndoPlan) -> None:
        self._update_buttons()
        if plan.blocked_by:
            self.problem.setText(plan.blocked_message())
            self.problem.show()
            return
        self.confirm = UndoConfirmDialog(plan, self)
        self.confirm.finished.connect(lambda _code, dialog=self.confirm: self._on_confirmed(dialog))
        self.confirm.open()

    def _on_confirmed(self, dialog: UndoConfirmDialog) -> None:
        if dialog.choice is None:
            return  # cancelled: nothing changes
        plan, db = dialog.plan, self.context.db
        self.job = run_in_background(
            lambda progress: importing.undo(
                db, plan.run.id, progress, later_work=dialog.choice, confirmed=plan
            ),
            lambda accounts: self._on_undone(plan.run.id, accounts),
            lambda error: self._on_failed(error),
            parent=self,
        )
        self._update_buttons()

    def _on_failed(self, error: BaseException) -> None:
        self._update_buttons()
        show_error(self, error, tr("Import history"))

    def _on_undone(self, run_id: int, accounts: list[int]) -> None:
        self.reload()
        self.context.hub.importFinished.emit(run_id, accounts)
        self.context.hub.accountsChanged.emit(accounts)
