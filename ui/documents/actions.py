"""One-click documents for an account: QBR deck, kickoff, success plan, follow-up email.

Each action asks where to save (a good file name is proposed), generates the
file in the background and then offers to open it. The save dialog and the
result box are attributes, so tests replace them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from csdesk import clock, documents, i18n
from csdesk.accounts import get_account
from csdesk.document_kinds import DOCUMENT_KINDS
from csdesk.documents.context import Period
from csdesk.i18n import tr
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

FILTERS = {
    "pptx": "PowerPoint (*.pptx)",
    "docx": "Word (*.docx)",
    "pdf": "PDF (*.pdf)",
    "md": "Markdown (*.md)",
}


def ask_save_path(parent: QWidget | None, title: str, suggested: str, formats: tuple[str, ...]) -> str:
    """The standard save dialog; '' when cancelled."""
    filters = ";;".join(FILTERS[f] for f in formats)
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


_warmed = False


def _warm_up(_progress) -> None:
    """Import the document libraries ahead of the first click (they take seconds cold)."""
    import docx  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import pptx  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401

    from csdesk import templates

    for language in i18n.LANGUAGES:
        templates.compiled(language, templates.builtin_template("qbr", language).body)


def warm_up() -> None:
    global _warmed
    if not _warmed:
        _warmed = True
        run_in_background(_warm_up)


class DocumentActions(QObject):
    """The document actions for whichever account ``account_id()`` returns (None = no account)."""

    generated = Signal(object)  # GeneratedDocument
    emailCopied = Signal(str)

    ask_save_path: Callable[[QWidget | None, str, str, tuple[str, ...]], str] = staticmethod(ask_save_path)

    def __init__(self, context: AppContext, account_id: Callable[[], int | None], parent: QWidget):
        super().__init__(parent)
        self.context = context
        self.account_id = account_id
        self.parent_widget = parent
        self.job = None
        self.last_box: QMessageBox | None = None
        # One entry per document kind, from the core's one list (csdesk.document_kinds).
        self.kind_actions: dict[str, QAction] = {}
        for kind in DOCUMENT_KINDS:
            action = QAction(tr(kind.menu_label), parent)
            if kind.key == "follow_up_email":  # copied to the clipboard, not saved
                action.triggered.connect(self.copy_follow_up)
            else:
                action.triggered.connect(lambda _=False, k=kind: self.start(k.name, k.formats))
            self.kind_actions[kind.key] = action
        self.qbr_action = self.kind_actions["qbr"]
        self.email_action = self.kind_actions["follow_up_email"]
        # The health score is the CSM's internal number: customer documents leave it out unless asked.
        self.health_action = QAction(tr("Show the health score in documents"), parent)
        self.health_action.setCheckable(True)
        self.health_action.setChecked(context.settings.value("documents/show_health", False, bool))
        self.health_action.toggled.connect(self._on_show_health)
        DocumentActions._instances.add(self)
        warm_up()

    _instances: weakref.WeakSet[DocumentActions] = weakref.WeakSet()

    def _on_show_health(self, on: bool) -> None:
        """One setting for every page's documents menu."""
        self.context.settings.setValue("documents/show_health", on)
        for other in DocumentActions._instances:
            if other is not self and other.health_action.isChecked() != on:
                other.health_action.blockSignals(True)
                other.health_action.setChecked(on)
                other.health_action.blockSignals(False)

    def actions(self) -> list[QAction]:
        return [*self.kind_actions.values(), self.health_action]

    def set_enabled(self, enabled: bool) -> None:
        for action in self.actions():
            action.setEnabled(enabled)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def _folder(self) -> Path:
        saved = self.context.settings.value("documents/folder", "", str)
        if saved and Path(saved).is_dir():
            return Path(saved)
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(docs or Path.home())

    def start(self, kind: str, formats: tuple[str, ...]) -> None:
        self.start_for(self.account_id(), kind, formats)

    def start_for(self, account_id: int | None, kind: str, formats: tuple[str, ...]) -> None:
        """Ask where to save, then write ``kind`` for ``account_id`` in the background."""
        if account_id is None or self.running:
            return
        language = i18n.current_language()
        try:
            account = get_account(self.context.db, account_id)
        except Exception as exc:  # the account was deleted meanwhile
            show_error(self.parent_widget, exc)
            return
        period = Period.quarter_to(clock.today())
        name = documents.default_file_name(kind, account.name, period, language, formats[0])
        path = self.ask_save_path(
            self.parent_widget, tr("Save document"), str(self._folder() / name), formats
        )
        if not path:
            return
        if not Path(path).suffix:
            path += "." + formats[0]
        self.context.settings.setValue("documents/folder", str(Path(path).parent))
        db, show_health = self.context.db, self.health_action.isChecked()

        def work(progress):
            return documents.generate(
                db, kind, account_id, path, language, period, progress=progress, show_health=show_health
            )

        self.job = run_in_background(
            work, lambda result: self._on_done(kind, account_id, result), self._on_failed, parent=self
        )

    def _on_failed(self, error: BaseException) -> None:
        show_error(self.parent_widget, error, tr("The document could not be written"))

    def _on_done(self, kind: str, account_id: int, result) -> None:
        if result.event_id is not None:
            self.context.hub.timelineChanged.emit(account_id)
        self.generated.emit(result)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            tr("Document ready"),
            tr("{file} is ready.", file=result.path.name),
            parent=self.parent_widget,
        )
        open_button = box.addButton(tr("Open file"), QMessageBox.ButtonRole.AcceptRole)
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.path))))
        if kind == "kickoff":
            held: QPushButton = box.addButton(tr("Record kickoff as held"), QMessageBox.ButtonRole.ActionRole)
            held.clicked.connect(lambda: self.record_kickoff(account_id))
        box.addButton(QMessageBox.StandardButton.Close)
        box.setModal(False)
        self.last_box = box
        box.open()

    def record_kickoff(self, account_id: int) -> None:
        try:
            documents.record_kickoff_held(self.context.db, account_id, language=i18n.current_language())
        except Exception as exc:
            show_error(self.parent_widget, exc)
            return
        self.context.hub.timelineChanged.emit(account_id)

    def copy_follow_up(self) -> None:
        account_id = self.account_id()
        if account_id is None or self.running:
            return
        db, language, show_health = self.context.db, i18n.current_language(), self.health_action.isChecked()
        self.job = run_in_background(
            lambda _progress: documents.follow_up_email(db, account_id, language, show_health=show_health),
            self._on_email,
            self._on_failed,
            parent=self,
        )

    def _on_email(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.emailCopied.emit(text)
        window = self.parent_widget.window()
        bar = getattr(window, "statusBar", None)
        if callable(bar):
            bar().showMessage(tr("Follow-up email copied to the clipboard."), 5000)
