"""Record a renewal's outcome: renewed, downsell, upsell or lost, with the new MRR and term."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk import accounts, clock, formatting, renewals, vocab
from csdesk.errors import UserError
from csdesk.forms import InputError, format_money_input, parse_money
from csdesk.i18n import label, tr
from ui.context import AppContext
from ui.timeline.dialogs import date_format
from ui.timeline.undo import DoneCommand


class RenewalDialog(QDialog):
    """The outcome of one account's renewal; Save writes it through ``csdesk.renewals``."""

    def __init__(self, context: AppContext, account_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account = accounts.get_account(context.db, account_id)
        self.setWindowTitle(tr("Record renewal — {name}", name=self.account.name))
        self.setMinimumWidth(480)
        a = self.account
        due = a.renewal_date
        self.summary = QLabel(
            tr(
                "Renewal due {date} · MRR {mrr}",
                date=formatting.day(due) if due else tr("(no date)"),
                mrr=formatting.money(a.mrr_cents, a.currency),
            )
        )
        self.outcome = QComboBox()
        for key in vocab.RENEWAL_OUTCOMES:
            self.outcome.addItem(label(vocab.RENEWAL_OUTCOME_LABELS, key), key)
        self.mrr = QLineEdit(format_money_input(a.mrr_cents))
        self.mrr_label = QLabel(tr("New MRR"))
        self.term = QSpinBox()
        self.term.setRange(1, renewals.MAX_TERM_MONTHS)
        self.term.setValue(renewals.DEFAULT_TERM_MONTHS)
        self.term.setSuffix(" " + tr("months"))
        self.term_label = QLabel(tr("New term"))
        self.next_label = QLabel()
        today = clock.today()
        self.closed_on = QDateEdit(QDate(today.year, today.month, today.day))
        self.closed_on.setCalendarPopup(True)
        self.closed_on.setDisplayFormat(date_format())
        self.reason = QComboBox()
        self.reason.addItem(tr("(not given)"), None)
        for key in vocab.CHURN_REASONS:
            self.reason.addItem(label(vocab.CHURN_REASON_LABELS, key), key)
        self.reason_label = QLabel(tr("Churn reason"))
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(70)
        self.notes.setTabChangesFocus(True)
        self.errors = QLabel()
        self.errors.setStyleSheet("color: #b91c1c;")
        self.errors.setWordWrap(True)
        self.errors.hide()

        form = QFormLayout()
        form.addRow(self.summary)
        form.addRow(tr("Outcome"), self.outcome)
        form.addRow(self.mrr_label, self.mrr)
        form.addRow(self.term_label, self.term)
        form.addRow("", self.next_label)
        form.addRow(tr("Closed on"), self.closed_on)
        form.addRow(self.reason_label, self.reason)
        form.addRow(tr("Notes"), self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.outcome.currentIndexChanged.connect(self._on_outcome)
        self.term.valueChanged.connect(self._on_outcome)
        self._on_outcome()
        self.closed: renewals.Closed | None = None

    def _on_outcome(self, *_args) -> None:
        outcome = self.outcome.currentData()
        lost = outcome == "lost"
        changes_mrr = outcome in ("downsell", "upsell")
        for widget in (self.mrr, self.mrr_label):
            widget.setVisible(changes_mrr)
        for widget in (self.term, self.term_label, self.next_label):
            widget.setVisible(not lost)
        for widget in (self.reason, self.reason_label):
            widget.setVisible(lost)
        due = self.account.renewal_date or clock.today()
        from csdesk.rules.calendar import add_months

        self.next_label.setText(
            tr("Next renewal: {date}.", date=formatting.day(add_months(due, self.term.value())))
        )

    def closed_day(self) -> date:
        d = self.closed_on.date()
        return date(d.year(), d.month(), d.day())

    def accept(self) -> None:
        outcome = self.outcome.currentData()
        mrr = None
        if outcome in ("downsell", "upsell"):
            try:
                mrr = parse_money(self.mrr.text())
            except InputError as exc:
                self._show(str(exc))
                return
        try:
            self.closed = record_renewal(
                self.context,
                self.account.id,
                outcome,
                mrr_cents=mrr,
                term_months=None if outcome == "lost" else self.term.value(),
                on=self.closed_day(),
                reason=self.reason.currentData() if outcome == "lost" else None,
                notes=self.notes.toPlainText(),
            )
        except UserError as exc:
            self._show(str(exc))
            return
        super().accept()

    def _show(self, message: str) -> None:
        self.errors.setText(message)
        self.errors.show()


def record_renewal(context: AppContext, account_id: int, outcome: str, **options) -> renewals.Closed:
    """Close a renewal and push its undo step (Ctrl+Z reopens it)."""
    state = {"closed": renewals.close_renewal(context.db, account_id, outcome, **options)}

    def redo() -> None:
        state["closed"] = renewals.close_renewal(context.db, account_id, outcome, **options)

    def after() -> None:
        context.hub.accountsChanged.emit([account_id])
        context.hub.timelineChanged.emit(account_id)

    context.undo_stack.push(
        DoneCommand(
            tr("Record renewal ({outcome})", outcome=renewals.outcome_label(outcome)),
            redo,
            lambda: renewals.reopen(context.db, state["closed"]),
            after,
        )
    )
    return state["closed"]
