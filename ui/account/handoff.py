"""The account page's Hand-off tab: what Sales handed over, and the welcome e-mail from it.

The fields feed the kickoff deck and the success plan (Documents menu); the
welcome e-mail is rendered from them in the background, shown to copy, or saved
as an .eml draft a mail program opens.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, handoffs
from csdesk.handoffs import HandoffData
from csdesk.i18n import tr
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

PLACEHOLDERS = {
    "pains": "What hurts today (one a line)",
    "promised_outcomes": "What the sale promised (one a line): they become the kickoff's desired outcomes",
    "stakeholders": "Who is who: champion, sponsor, decision maker, users",
    "risks": "What could go wrong in the onboarding",
    "deal_notes": "Discounts, special terms, anything agreed",
}


class HandoffTab(QWidget):
    loaded = Signal()  # the fields show the stored hand-off (tests)
    saved = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self._generation = 0
        self.edits: dict[str, QPlainTextEdit] = {}
        form = QFormLayout()
        self.seller_edit = QLineEdit()
        self.seller_edit.setPlaceholderText(tr("Who sold it"))
        form.addRow(tr(handoffs.FIELD_LABELS["seller"]), self.seller_edit)
        for name in handoffs.TEXT_FIELDS:
            edit = QPlainTextEdit()
            edit.setPlaceholderText(tr(PLACEHOLDERS[name]))
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(56)
            self.edits[name] = edit
            form.addRow(tr(handoffs.FIELD_LABELS[name]), edit)
        self.save_button = QPushButton(tr("Save hand-off"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.welcome_button = QPushButton(tr("Welcome e-mail…"))
        self.welcome_button.clicked.connect(self.open_welcome_email)
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(mid)")
        intro = QLabel(
            tr(
                "What Sales learned and promised. It fills the kickoff deck, the success plan and the welcome e-mail."
            )
        )
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.welcome_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form, 1)
        layout.addLayout(buttons)
        self.setEnabled(False)

    def set_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self._generation += 1
        self.setEnabled(False)
        self._fill(HandoffData(account_id or 0))
        if account_id is None:
            return
        generation, db = self._generation, self.context.db
        run_in_background(
            lambda _p: handoffs.get_handoff(db, account_id),
            lambda data: self._on_loaded(generation, data),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _on_loaded(self, generation: int, data: HandoffData) -> None:
        if generation != self._generation:
            return
        self._fill(data)
        self.setEnabled(True)
        self.loaded.emit()

    def _fill(self, data: HandoffData) -> None:
        self.seller_edit.setText(data.seller)
        for name, edit in self.edits.items():
            edit.setPlainText(getattr(data, name))
        self.status.setText(
            tr("Saved on {day}", day=formatting.day(data.updated_at.date())) if data.updated_at else ""
        )

    def data(self) -> HandoffData:
        return HandoffData(
            self.account_id or 0,
            seller=self.seller_edit.text(),
            **{name: edit.toPlainText() for name, edit in self.edits.items()},
        )

    def save(self) -> None:
        if self.account_id is None:
            return
        try:
            handoffs.save_handoff(self.context.db, self.data())
        except Exception as exc:  # noqa: BLE001 (shown, and logged when a bug)
            show_error(self, exc)
            return
        self.status.setText(tr("Hand-off saved."))
        self.saved.emit()

    def welcome_dialog(self) -> WelcomeEmailDialog:
        return WelcomeEmailDialog(self.context, self.account_id or 0, self)

    def open_welcome_email(self) -> None:
        if self.account_id is None:
            return
        self.save()  # the e-mail uses what is on screen
        self.welcome_dialog().exec()


class EmailDialog(QDialog):
    """A rendered e-mail (made in the background by ``produce() -> (text, recipient)``): copy or save as .eml."""

    rendered = Signal()

    def __init__(self, title: str, produce, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.file_name = file_name
        self.setWindowTitle(title)
        self.resize(640, 480)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
        self.copy_button = QPushButton(tr("Copy"))
        self.copy_button.clicked.connect(self.copy)
        self.eml_button = QPushButton(tr("Save as .eml…"))
        self.eml_button.clicked.connect(self.ask_and_save)
        self.status = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.eml_button)
        row.addWidget(self.status, 1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        self.recipient = ""
        run_in_background(
            lambda _p: produce(), self._on_rendered, lambda error: show_error(self, error), parent=self
        )

    def _on_rendered(self, result: tuple[str, str]) -> None:
        self.text.setPlainText(result[0])
        self.recipient = result[1]
        self.rendered.emit()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.status.setText(tr("Copied."))

    def ask_and_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Save the e-mail"), self.file_name, "E-mail (*.eml)")
        if path:
            self.save_eml(path)

    def save_eml(self, path: str) -> None:
        try:
            handoffs.write_eml(path, self.text.toPlainText(), self.recipient)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        self.status.setText(tr("Saved {file}", file=path))


def WelcomeEmailDialog(context: AppContext, account_id: int, parent: QWidget | None = None) -> EmailDialog:  # noqa: N802
    """The welcome e-mail of an account, to copy or save as an .eml draft to its champion."""
    from csdesk import i18n

    db, language = context.db, i18n.current_language()

    def produce() -> tuple[str, str]:
        champion = handoffs.welcome_context(db, account_id)["champion"]
        return handoffs.welcome_email(db, account_id, language), champion.get("email", "")

    return EmailDialog(tr("Welcome e-mail"), produce, "welcome.eml", parent)
