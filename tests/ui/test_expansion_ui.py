"""Expansion in the GUI: the book's candidates filter and the account page's opportunities."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QThreadPool
from sqlalchemy import select

from csdesk import accounts, expansion
from csdesk.accounts import AccountData
from db.models import Account, RevenueChange
from tests.support.book_data import make_book
from ui.book.model import COLUMNS

NAME = next(i for i, c in enumerate(COLUMNS) if c.key == "name")


def test_the_book_shows_expansion_candidates(qtbot, context, db):
    from ui.book.page import BookPage

    make_book(db)
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    assert page.model.rowCount() == 5
    page.expansion_filter.click()
    assert page.current_filter().expansion
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.index(0, NAME).data() == "Padaria Pitanga Ltda"  # green, NPS 9
    page.clear_filters()
    assert not page.expansion_filter.isChecked() and page.model.rowCount() == 5


@pytest.fixture(autouse=True)
def background_work_done(qtbot):
    """Each test's background jobs end before its widgets and database go."""
    yield
    QThreadPool.globalInstance().waitForDone(10000)


@pytest.fixture
def tab(qtbot, context):
    from ui.account.opportunities import OpportunitiesTab

    account = accounts.create_account(
        context.db,
        AccountData(
            name="Acme", mrr_cents=1000_00, stage="ongoing_adoption", contract_start=date(2025, 1, 1)
        ),
        today=date(2026, 1, 1),
    ).id
    widget = OpportunitiesTab(context)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=5000):
        widget.set_account(account)
    return widget


def test_typing_an_opportunity_then_winning_it(qtbot, context, tab, qtmodeltester):
    qtmodeltester.check(tab.model)
    tab.save_button.click()
    assert "Give the opportunity a title." in tab.error_label.text()
    qtbot.keyClicks(tab.title_edit, "20 more seats")
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData("licences"))
    qtbot.keyClicks(tab.value_edit, "250,00")
    qtbot.keyClicks(tab.executive_edit, "Bruno Reis")
    qtbot.keyClicks(tab.executive_email_edit, "bruno@vendas.com.br")
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.save_button.click()
    assert tab.model.rowCount() == 1 and tab.selected().title == "20 more seats"
    assert tab.model.data(tab.model.index(0, 2)) == "R$250.00"
    assert tab.won_button.isEnabled()
    with qtbot.waitSignal(context.hub.accountsChanged, timeout=5000):
        tab.won_button.click()
    qtbot.waitUntil(lambda: tab.selected() is not None and tab.selected().status == "won", timeout=5000)
    assert not tab.won_button.isEnabled()
    with context.db.session() as s:
        account = s.get(Account, tab.account_id)
        assert account.mrr_cents == 1250_00
        assert s.scalars(select(RevenueChange.kind).order_by(RevenueChange.id)).all() == ["new", "expansion"]


def test_a_wrong_value_is_explained(qtbot, tab):
    qtbot.keyClicks(tab.title_edit, "BI")
    qtbot.keyClicks(tab.value_edit, "abc")
    tab.save_button.click()
    assert tab.error_label.text().startswith("Value:")
    assert tab.model.rowCount() == 0


def test_hand_off_email_dialog(qtbot, context, tab, tmp_path):
    opp = expansion.save_opportunity(
        context.db,
        expansion.OpportunityData(
            account_id=tab.account_id,
            title="BI module",
            kind="cross_sell",
            value_cents=480_00,
            executive="Bruno Reis",
            executive_email="bruno@vendas.com.br",
        ),
    )
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.set_account(tab.account_id, opp.id)
    dialog = tab.handoff_dialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "BI module" in dialog.text.toPlainText(), timeout=5000)
    assert dialog.text.toPlainText().startswith("Subject: Expansion opportunity — Acme: BI module")
    assert dialog.recipient == "bruno@vendas.com.br"
    dialog.save_eml(str(tmp_path / "h.eml"))
    assert (tmp_path / "h.eml").read_bytes().startswith(b"Subject:")
    assert expansion.get_opportunity(context.db, opp.id).handed_off_on is not None
