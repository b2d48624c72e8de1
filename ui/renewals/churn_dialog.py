"""Why an account churned: reason, voluntary or involuntary, root cause, save attempts; and
the offer of a post-mortem document."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from csdesk import accounts, churn, formatting, vocab
from csdesk.document_kinds import BY_KEY
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from ui.context import AppContext


class ChurnDialog(QDialog):
    """Asked when an account is marked churned; Save keeps the details (``csdesk.churn``)."""

    def __init__(
        self, context: AppContext, account_id: int, reason: str | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.context = context
        self.account = accounts.get_account(context.db, account_id)
        self.setWindowTitle(tr("Churn — {name}", name=self.account.name))
        self.setMinimumWidth(500)
        a = self.account
        self.summary = QLabel(
            tr(
                "Churned on {date}. Why did the customer leave?",
                date=formatting.day(a.churn_date) if a.churn_date else "—",
            )
        )
        self.summary.setWordWrap(True)
        self.reason = QComboBox()
        self.reason.addItem(tr("(not given)"), None)
        for key in vocab.CHURN_REASONS:
            self.reason.addItem(label(vocab.CHURN_REASON_LABELS, key), key)
        self.reason.setCurrentIndex(max(0, self.reason.findData(reason or a.churn_reason)))
        self.churn_type = QComboBox()
        for key in vocab.CHURN_TYPES:
            self.churn_type.addItem(label(vocab.CHURN_TYPE_LABELS, key), key)
        self.root_cause = QPlainTextEdit()
        self.root_cause.setPlaceholderText(tr("What really made the customer leave"))
        self.root_cause.setFixedHeight(70)
        self.root_cause.setTabChangesFocus(True)
        self.save_attempts = QPlainTextEdit()
        self.save_attempts.setPlaceholderText(tr("What we tried to keep the customer, and when"))
        self.save_attempts.setFixedHeight(70)
        self.save_attempts.setTabChangesFocus(True)
        self.postmortem = QCheckBox(tr("Write the post-mortem document next"))
        self.postmortem.setChecked(True)
        self.errors = QLabel()
        self.errors.setStyleSheet("color: #b91c1c;")
        self.errors.hide()
        form = QFormLayout()
        form.addRow(self.summary)
        form.addRow(tr("Churn reason"), self.reason)
        form.addRow(tr("Churn type"), self.churn_type)
        form.addRow(tr("Root cause"), self.root_cause)
        form.addRow(tr("Save attempts"), self.save_attempts)
        form.addRow("", self.postmortem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.reason.currentIndexChanged.connect(self._on_reason)
        self._on_reason()
        self.record_id: int | None = None

    def _on_reason(self, *_args) -> None:
        """Non-payment is involuntary churn, any other reason voluntary (the CSM may say otherwise)."""
        kind = churn.default_type(self.reason.currentData())
        if kind is not None:
            self.churn_type.setCurrentIndex(self.churn_type.findData(kind))

    def details(self) -> churn.ChurnDetails:
        return churn.ChurnDetails(
            reason=self.reason.currentData(),
            churn_type=self.churn_type.currentData(),
            root_cause=self.root_cause.toPlainText(),
            save_attempts=self.save_attempts.toPlainText(),
        )

    def accept(self) -> None:
        try:
            self.record_id = churn.record_details(self.context.db, self.account.id, self.details())
        except UserError as exc:
            self.errors.setText(str(exc))
            self.errors.show()
            return
        self.context.hub.accountsChanged.emit([self.account.id])
        super().accept()


def ask_churn_details(
    context: AppContext, account_id: int, parent: QWidget, exec_dialog, documents=None
) -> bool:
    """The churn dialog after an account was marked churned; then the post-mortem when asked.

    ``exec_dialog`` runs the dialog (tests fill it in); ``documents`` is a DocumentActions
    that writes the post-mortem (its own file dialog, in the background).
    """
    dialog = ChurnDialog(context, account_id, parent=parent)
    if not exec_dialog(dialog) or dialog.record_id is None:
        return False
    if dialog.postmortem.isChecked() and documents is not None:
        documents.start_for(account_id, "postmortem", BY_KEY["postmortem"].formats)
    return True
