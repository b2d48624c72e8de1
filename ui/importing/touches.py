"""E-mail and calendar files dropped on CSDesk: onto an account page, or onto the window.

On an account page (:class:`AccountDropLogger`) every message or meeting of the file
is logged on that account at once, in the background; Ctrl+Z undoes it as one step.
On the window (:class:`TouchImportDialog`) a preview first: what goes on which
account, what matched nothing (assign it to an account or leave it), the messages
that could not be read; then the import with progress and Cancel, and Undo.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, importing
from csdesk.accounts import list_accounts
from csdesk.i18n import tr
from csdesk.importing import mail
from csdesk.importing.touches import TouchOptions, TouchResult, import_touches
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import Job, run_in_background

# A whole mailbox is never poured onto one account: dropped on a page, it goes to the window's preview.
ACCOUNT_DROP_SUFFIXES = (".eml", ".msg", ".ics", ".ical")


def touch_files(event: QDragEnterEvent | QDropEvent) -> list[str]:
    """The dropped local files that are single messages or calendar files."""
    data = event.mimeData()
    if not data.hasUrls():
        return []
    return [
        u.toLocalFile()
        for u in data.urls()
        if u.isLocalFile()
        and mail.handles(u.toLocalFile())
        and Path(u.toLocalFile()).suffix.lower() in ACCOUNT_DROP_SUFFIXES
    ]


def _announce(context: AppContext, account_ids: list[int]) -> None:
    for account_id in account_ids[:200]:
        context.hub.timelineChanged.emit(account_id)
    context.hub.accountsChanged.emit(list(account_ids))


def _status(widget: QWidget, text: str) -> None:
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 8000)


def _result_line(result: TouchResult) -> str:
    return tr(
        "{file}: {created} logged, {unchanged} already there, {unmatched} unmatched, {rejected} unreadable",
        file=result.file,
        created=result.created,
        unchanged=result.unchanged,
        unmatched=len(result.unmatched),
        rejected=result.rejected,
    )


class UndoTouchImport(QUndoCommand):
    """Ctrl+Z for a file dropped on an account page: undoes its import run; redo logs it again."""

    def __init__(self, logger: AccountDropLogger, path: str, account_id: int, run_id: int):
        super().__init__(tr("Log {file}", file=Path(path).name))
        self.logger, self.path, self.account_id, self.run_id = logger, path, account_id, run_id
        self._first = True

    def redo(self) -> None:
        if self._first:  # pushed after the import ran
            self._first = False
            return
        result = import_touches(self.logger.context.db, self.path, TouchOptions(account_id=self.account_id))
        self.run_id = result.run_id
        _announce(self.logger.context, result.account_ids)

    def undo(self) -> None:
        if self.run_id is None:
            return
        changed = importing.undo(self.logger.context.db, self.run_id)
        _announce(self.logger.context, sorted({self.account_id, *changed}))


class AccountDropLogger:
    """Logs e-mail and calendar files dropped on an account page onto that account."""

    def __init__(self, context: AppContext, page: QWidget):
        self.context = context
        self.page = page
        self.jobs: list[Job] = []
        self.results: list[TouchResult] = []
        page.setAcceptDrops(True)

    def drag_enter(self, event: QDragEnterEvent) -> bool:
        if touch_files(event):
            event.acceptProposedAction()
            return True
        return False

    def drop(self, event: QDropEvent, account_id: int | None) -> bool:
        files = touch_files(event)
        if not files or account_id is None:
            return False
        event.acceptProposedAction()
        for path in files:
            self.log_file(path, account_id)
        return True

    def log_file(self, path: str, account_id: int) -> Job:
        db = self.context.db
        _status(self.page, tr("Logging {file}…", file=Path(path).name))
        job = run_in_background(
            lambda progress: import_touches(db, path, TouchOptions(account_id=account_id), progress=progress),
            lambda result: self._on_logged(path, account_id, result),
            lambda error: show_error(self.page, error),
            parent=self.page,
        )
        self.jobs.append(job)
        job.done.connect(lambda: self.jobs.remove(job) if job in self.jobs else None)
        return job

    def _on_logged(self, path: str, account_id: int, result: TouchResult) -> None:
        self.results.append(result)
        _status(self.page, _result_line(result))
        if result.run_id is not None:
            self.context.undo_stack.push(UndoTouchImport(self, path, account_id, result.run_id))
            self.context.hub.importFinished.emit(result.run_id, result.account_ids)
            _announce(self.context, result.account_ids)


# The preview dialog -------------------------------------------------------------------------


class _RowsModel(QAbstractTableModel):
    def __init__(self, headers: list[str], parent=None):
        super().__init__(parent)
        self.headers = headers
        self.rows: list[list[str]] = []

    def set_rows(self, rows: list[list[str]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def set_cell(self, row: int, column: int, text: str) -> None:
        self.rows[row][column] = text
        index = self.index(row, column)
        self.dataChanged.emit(index, index)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self.rows[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


def _table(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class TouchImportDialog(QDialog):
    """Preview, import (progress, Cancel) and undo of one e-mail or calendar file."""

    imported = Signal(object)  # TouchResult

    def __init__(self, context: AppContext, path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.path = path
        self.preview: TouchResult | None = None
        self.result: TouchResult | None = None
        self.assign: dict[str, int] = {}
        self.job: Job | None = None
        self.setWindowTitle(tr("Import e-mails and meetings — {file}", file=Path(path).name))
        self.resize(900, 600)

        self.summary = QLabel(tr("Reading {file}…", file=Path(path).name))
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.logged_model = _RowsModel(
            [tr("Date"), tr("Account"), tr("Kind"), tr("Title"), tr("Direction"), tr("Status")]
        )
        self.logged_view = _table(self.logged_model)
        self.unmatched_label = QLabel(tr("Matched no account"))
        self.unmatched_model = _RowsModel([tr("Date"), tr("From"), tr("Title"), tr("Assign to")])
        self.unmatched_view = _table(self.unmatched_model)
        self.account_combo = QComboBox()
        self.account_combo.setMinimumWidth(240)
        self.assign_button = QPushButton(tr("Assign selected"))
        self.assign_button.clicked.connect(self.assign_selected)
        assign_row = QHBoxLayout()
        assign_row.addWidget(QLabel(tr("Log the selected ones on:")))
        assign_row.addWidget(self.account_combo, 1)
        assign_row.addWidget(self.assign_button)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(80)
        self.keep_bodies = QCheckBox(tr("Keep whole message bodies (otherwise only a short excerpt)"))
        self.add_contacts = QCheckBox()
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(tr("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.undo_button = self.buttons.addButton(
            tr("Undo this import"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.cancel)
        self.undo_button.clicked.connect(self.undo_import)
        self.close_button.clicked.connect(self.reject)
        for button in (self.import_button, self.undo_button, self.close_button):
            button.setVisible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.logged_view, 2)
        layout.addWidget(self.unmatched_label)
        layout.addWidget(self.unmatched_view, 1)
        layout.addLayout(assign_row)
        layout.addWidget(self.problems)
        layout.addWidget(self.keep_bodies)
        layout.addWidget(self.add_contacts)
        layout.addWidget(self.buttons)
        self._show_unmatched_tools(False)
        self.problems.setVisible(False)
        self.add_contacts.setVisible(False)
        self.load_preview()

    # Steps ---------------------------------------------------------------------------------

    def _run(self, fn, on_success) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setVisible(True)
        self.job = run_in_background(fn, on_success, self._on_failed, parent=self)
        self.job.progressed.connect(self._on_progress)
        self.job.cancelled.connect(self._on_cancelled)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _options(self) -> TouchOptions:
        return TouchOptions(
            keep_bodies=self.keep_bodies.isChecked(),
            add_contacts=self.add_contacts.isChecked(),
            assign=dict(self.assign),
        )

    def load_preview(self) -> None:
        db, path = self.context.db, self.path
        self._run(
            lambda progress: (import_touches(db, path, dry_run=True, progress=progress), list_accounts(db)),
            self._on_preview,
        )

    def _on_preview(self, found) -> None:
        preview, account_list = found
        self.preview = preview
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setText(tr("Cancel"))
        self.account_combo.clear()
        for account in sorted(account_list, key=lambda a: a.name.casefold()):
            self.account_combo.addItem(account.name, account.id)
        self.summary.setText(
            tr(
                "{file}: {created} to log, {unchanged} already on the timelines, {unmatched} matched no account, "
                "{rejected} could not be read.",
                file=preview.file,
                created=preview.created,
                unchanged=preview.unchanged,
                unmatched=len(preview.unmatched),
                rejected=preview.rejected,
            )
        )
        kinds = {"email": tr("E-mail"), "meeting": tr("Meeting")}
        directions = {"in": tr("Received"), "out": tr("Sent")}
        self.logged_model.set_rows(
            [
                [
                    formatting.moment(item.occurred_at),
                    item.account,
                    kinds.get(item.kind, item.kind),
                    item.title,
                    directions.get(item.direction, "") if item.kind == "email" else "",
                    tr("New") if item.new else tr("Already logged"),
                ]
                for item in preview.logged
            ]
        )
        self.unmatched_model.set_rows(
            [[formatting.moment(u.occurred_at), u.sender, u.title, ""] for u in preview.unmatched]
        )
        self._show_unmatched_tools(bool(preview.unmatched))
        self.problems.setVisible(bool(preview.errors))
        self.problems.setPlainText("\n".join(p.describe() for p in preview.errors))
        if preview.new_contacts:
            self.add_contacts.setText(
                tr(
                    "Add {n} new contact(s) met at the accounts' domains: {names}",
                    n=len(preview.new_contacts),
                    names=", ".join(c.email for c in preview.new_contacts[:5])
                    + ("…" if len(preview.new_contacts) > 5 else ""),
                )
            )
        self.add_contacts.setVisible(bool(preview.new_contacts))
        self.import_button.setVisible(True)
        self.import_button.setEnabled(bool(preview.created or preview.unmatched))
        self.close_button.setVisible(False)

    def _show_unmatched_tools(self, visible: bool) -> None:
        for widget in (self.unmatched_label, self.unmatched_view, self.account_combo, self.assign_button):
            widget.setVisible(visible)
        if visible:
            self.unmatched_label.setText(
                tr(
                    "Matched no account: select rows and choose an account to log them there, or leave them out."
                )
            )

    def assign_selected(self) -> None:
        if self.preview is None or self.account_combo.currentIndex() < 0:
            return
        account_id = self.account_combo.currentData()
        name = self.account_combo.currentText()
        rows = sorted({i.row() for i in self.unmatched_view.selectionModel().selectedRows()})
        for row in rows:
            self.assign[self.preview.unmatched[row].identity] = account_id
            self.unmatched_model.set_cell(row, 3, name)

    def start_import(self) -> None:
        db, path, options = self.context.db, self.path, self._options()
        self.import_button.setEnabled(False)
        self.summary.setText(tr("Importing {file}…", file=Path(path).name))
        self._run(lambda progress: import_touches(db, path, options, progress=progress), self._on_imported)

    def _on_imported(self, result: TouchResult) -> None:
        self.result = result
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.import_button.setVisible(False)
        self.close_button.setVisible(True)
        self.undo_button.setVisible(result.run_id is not None)
        self.summary.setText(_result_line(result))
        if result.run_id is not None:
            self.context.hub.importFinished.emit(result.run_id, result.account_ids)
            _announce(self.context, result.account_ids)
        self.imported.emit(result)

    def undo_import(self) -> None:
        if self.result is None or self.result.run_id is None:
            return
        db, run_id = self.context.db, self.result.run_id
        self.undo_button.setEnabled(False)
        self._run(lambda progress: importing.undo(db, run_id, progress=progress), self._on_undone)

    def _on_undone(self, changed: list[int]) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.undo_button.setVisible(False)
        assert self.result is not None
        self.summary.setText(tr("Import {id} undone.", id=self.result.run_id))
        _announce(self.context, sorted(set(changed) | set(self.result.account_ids)))
        self.result = None

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            return
        self.reject()

    def _on_cancelled(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.summary.setText(tr("Cancelled: nothing was changed."))
        self.import_button.setVisible(False)
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)

    def _on_failed(self, error: BaseException) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.summary.setText(str(error))
        show_error(self, error)

    def reject(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
        super().reject()


def open_touch_import(context: AppContext, path: str, parent: QWidget) -> TouchImportDialog:
    dialog = TouchImportDialog(context, path, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
