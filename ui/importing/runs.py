"""The import history: every import with its counts, and Undo for the latest ones."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout

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


class ImportHistoryDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.job: Job | None = None
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
            tr("Undo removes what an import created and restores what it changed. Undo later imports first.")
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5b6475;")
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
        run = self.selected_run()
        if run is None:
            return
        db = self.context.db
        self.job = run_in_background(
            lambda progress: importing.undo(db, run.id, progress),
            lambda accounts: self._on_undone(run.id, accounts),
            lambda error: show_error(self, error, tr("Import history")),
            parent=self,
        )
        self._update_buttons()

    def _on_undone(self, run_id: int, accounts: list[int]) -> None:
        self.reload()
        self.context.hub.importFinished.emit(run_id)
        self.context.hub.accountsChanged.emit(accounts)
