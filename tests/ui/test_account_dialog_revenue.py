"""The account dialog: a change of MRR or status is a dated, undoable movement of the revenue ledger."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from csdesk import accounts, metrics
from db.models import RevenueChange
from ui.book.dialogs import AccountDialog
from ui.book.page import BookPage

START = date(2025, 1, 15)


@pytest.fixture
def account_id(db):
    return accounts.create_account(
        db, accounts.AccountData(name="Padaria Sol", mrr_cents=1_000_000, contract_start=START)
    ).id


@pytest.fixture
def page(qtbot, context, account_id):
    widget = BookPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.loaded, timeout=5000)
    return widget


def kinds(db, account_id):
    with db.session() as s:
        return s.execute(
            select(RevenueChange.kind, RevenueChange.effective_date)
            .where(RevenueChange.account_id == account_id)
            .order_by(RevenueChange.effective_date, RevenueChange.id)
        ).all()


def typing(monkeypatch, **fields):
    """Make AccountDialog.exec() type ``fields`` (text, or a combo's data) and press Save."""

    def exec_(self):
        for name, value in fields.items():
            widget = getattr(self, name)
            if hasattr(widget, "setText"):
                widget.setText(value)
            else:
                widget.setCurrentIndex(widget.findData(value))
        self.accept()
        return self.result()

    monkeypatch.setattr(AccountDialog, "exec", exec_)


def test_effective_date_is_asked_only_when_mrr_or_status_changes(qtbot, db, account_id):
    summary = accounts.get_account(db, account_id)
    data = accounts.AccountData(**{k: getattr(summary, k) for k in accounts.AccountData.__dataclass_fields__})
    dialog = AccountDialog(data, [], today=date(2026, 3, 10))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.effective_date.isVisible()
    dialog.mrr.setText("15,000.00")
    assert dialog.effective_date.isVisible()
    assert dialog.effective_date.value() == date(2026, 3, 10)
    # A churn takes effect on its churn date, offered as the same day.
    dialog.status.setCurrentIndex(dialog.status.findData("churned"))
    assert not dialog.effective_date.isVisible()
    assert dialog.churn_date.value() == date(2026, 3, 10)
    dialog.status.setCurrentIndex(dialog.status.findData("active"))
    assert dialog.effective_date.isVisible()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_edit().effective == date(2026, 3, 10)


def test_raising_mrr_in_the_dialog_is_an_expansion_undone_as_one_step(
    qtbot, monkeypatch, page, context, db, account_id
):
    typing(monkeypatch, mrr="15,000.00", effective_date="10/03/2026")
    page.edit_account(account_id)
    assert kinds(db, account_id) == [("new", START), ("expansion", date(2026, 3, 10))]
    m = metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31))
    assert m.expansion_mrr == 500_000
    context.undo_stack.undo()
    assert kinds(db, account_id) == [("new", START)]
    assert accounts.get_account(db, account_id).mrr_cents == 1_000_000
    assert metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31)).expansion_mrr == 0
    context.undo_stack.redo()
    assert kinds(db, account_id)[-1] == ("expansion", date(2026, 3, 10))


def test_churn_in_the_dialog_takes_its_reason_and_date(qtbot, monkeypatch, page, context, db, account_id):
    typing(monkeypatch, status="churned", churn_reason="price", churn_date="20/03/2026")
    asked = []  # the churn then asks why (its reason carried over), and may be left unanswered
    monkeypatch.setattr(page, "exec_churn_dialog", lambda dialog: asked.append(dialog.reason.currentData()))
    page.edit_account(account_id)
    assert asked == ["price"]
    assert kinds(db, account_id)[-1] == ("churn", date(2026, 3, 20))
    summary = accounts.get_account(db, account_id)
    assert (summary.status, summary.churn_reason, summary.churn_date, summary.mrr_cents) == (
        "churned",
        "price",
        date(2026, 3, 20),
        1_000_000,
    )
    m = metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (m.churned_accounts, m.churned_mrr) == (1, 1_000_000)
    context.undo_stack.undo()
    assert accounts.get_account(db, account_id).status == "active"
    assert kinds(db, account_id) == [("new", START)]


def test_indicadores_header_adds_up_after_importing_the_samples(qtbot, context, db):
    from csdesk import importing
    from tests.importing.conftest import SAMPLES
    from ui.health.portfolio_page import PortfolioPage

    for name in ("hubspot_companies_pt-BR.csv", "planilha_carteira_pt-BR.csv", "historico_mrr.csv"):
        prepared = importing.prepare(SAMPLES / name)
        importing.run_import(db, prepared, as_of=date(2026, 11, 25), accept_rejects=True)
    page = PortfolioPage(context)
    qtbot.addWidget(page)
    page.resize(1300, 900)  # room for the charts' layout
    page.show()
    qtbot.waitUntil(lambda: page.data is not None, timeout=15_000)
    first = page.data
    page.set_period(date(2025, 12, 1), date(2026, 11, 25))
    qtbot.waitUntil(
        lambda: page.data is not first and page.period() == (date(2025, 12, 1), date(2026, 11, 25)),
        timeout=15_000,
    )
    m = page.data.metrics
    assert m.accounts_start + m.new_accounts + m.reactivated_accounts - m.churned_accounts == m.accounts_end
    assert m.bridge_end == m.mrr_end and m.grr <= 1
    assert m.new_accounts == 0  # every sample customer signed before December 2025
    assert page.cards["accounts"].value.text() == f"{m.accounts_start} → {m.accounts_end}"
    assert page.cards["accounts"].note.text() == f"0 new, {m.churned_accounts} churned"
