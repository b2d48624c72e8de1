"""Edit → Exchange rates… and the book header's line about accounts without a rate."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt

from csdesk import currency
from csdesk.accounts import AccountData, create_account
from ui.book.page import BookPage
from ui.currency.rates_dialog import RatesDialog

TODAY = date(2026, 11, 25)


@pytest.fixture
def mixed(db):
    for name, cents, code in [
        ("Padaria", 100_000, "BRL"),
        ("Acme", 10_000, "USD"),
        ("Beta", 20_000, "USD"),
        ("Gamma", 30_000, "USD"),
        ("Brio", 40_000, "EUR"),
    ]:
        create_account(db, AccountData(name=name, mrr_cents=cents, currency=code))
    currency.set_rate(db, "EUR", "6", date(2026, 1, 1))
    return db


def shown(dialog: RatesDialog) -> list[tuple[str, str, str]]:
    model = dialog.model
    return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]


@pytest.fixture
def dialog(qtbot, context, mixed):
    widget = RatesDialog(context, today=TODAY)
    qtbot.addWidget(widget)
    return widget


def test_the_dialog_lists_the_rates_and_the_currencies_without_one(qtmodeltester, dialog):
    qtmodeltester.check(dialog.model)
    assert dialog.base.currentText() == "BRL"
    assert shown(dialog) == [("EUR", "Jan 1, 2026", "6")]
    assert dialog.model.headerData(2, Qt.Orientation.Horizontal) == "1 unit = … BRL"
    assert not dialog.missing.isHidden() and "USD (3)" in dialog.missing.text()
    assert dialog.new_currency.currentText() == "USD"  # the one missing comes first


def test_adding_a_rate_then_saving_stores_it_and_reloads_the_book(qtbot, context, dialog):
    dialog.new_day.setDate(QDate(2026, 11, 1))
    qtbot.keyClicks(dialog.new_rate, "5,43")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert shown(dialog) == [("EUR", "Jan 1, 2026", "6"), ("USD", "Nov 1, 2026", "5.43")]
    assert dialog.missing.isHidden() and dialog.errors.isHidden()
    assert currency.load_rates(context.db).table.get("USD") is None  # nothing written before Save
    with qtbot.waitSignal(context.hub.accountsChanged, timeout=2000):
        dialog.accept()
    assert dialog.result() == RatesDialog.DialogCode.Accepted
    assert currency.load_rates(context.db).to_base(100, "USD", TODAY) == 543


def test_enter_adds_the_typed_rate_and_keeps_the_dialog_open(qtbot, context, dialog):
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.new_day.setDate(QDate(2026, 11, 1))
    qtbot.keyClicks(dialog.new_rate, "5.5")
    qtbot.keyClick(dialog.new_rate, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.errors.isHidden()
    assert ("USD", "Nov 1, 2026", "5.5") in shown(dialog)
    assert currency.load_rates(context.db).table.get("USD") is None  # saved only by Save


def test_a_bad_rate_is_explained_and_not_added(qtbot, context, dialog):
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.new_rate, "cinco")
    qtbot.keyClick(dialog.new_rate, Qt.Key.Key_Return)
    assert not dialog.errors.isHidden() and "cinco" in dialog.errors.text()
    assert shown(dialog) == [("EUR", "Jan 1, 2026", "6")]
    dialog.new_currency.setCurrentText("BRL")
    dialog.new_rate.setText("1")
    dialog.add_rate()
    assert "base currency" in dialog.errors.text()
    dialog.accept()  # the typed rate is refused again: the dialog stays open, nothing saved
    assert dialog.result() != RatesDialog.DialogCode.Accepted
    assert [r.currency for r in currency.load_rates(context.db).entries()] == ["EUR"]


def test_removing_the_selected_rate(qtbot, context, dialog):
    dialog.remove_rate()
    assert "Select" in dialog.errors.text()
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert shown(dialog) == [] and "EUR (1)" in dialog.missing.text()
    dialog.accept()
    assert currency.load_rates(context.db).entries() == []


def test_another_base_shows_the_rates_entered_into_it(qtbot, context, dialog):
    dialog.base.setCurrentText("USD")
    assert shown(dialog) == [] and "BRL (1)" in dialog.missing.text()
    dialog.new_currency.setCurrentText("BRL")
    dialog.new_rate.setText("0.2")
    dialog.add_rate()
    dialog.accept()
    rates = currency.load_rates(context.db)
    assert rates.base == "USD" and rates.to_base(500, "BRL", TODAY) == 100
    assert currency.load_rates(context.db, "BRL").to_base(100, "EUR", TODAY) == 600  # kept


def test_the_book_header_says_which_accounts_are_left_out(qtbot, context, mixed, monkeypatch):
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    line = page.kpis.unconverted
    assert not line.isHidden()
    assert "3 accounts in USD without an exchange rate, left out of the totals" in line.text()
    assert page.kpis.cards["mrr"].value.text() == "R$3,400"  # 1,000 + €400 x 6, no US$
    with qtbot.waitSignal(page.kpis.ratesRequested, timeout=1000):
        line.linkActivated.emit("rates")
    currency.set_rate(context.db, "USD", "5", date(2020, 1, 1))  # dated in the past: valid today
    with qtbot.waitSignal(page.bookLoaded, timeout=5000):
        context.hub.accountsChanged.emit([])
    assert line.isHidden()
    assert page.kpis.cards["mrr"].value.text() == "R$6,400"


def test_the_edit_menu_and_the_header_link_open_the_dialog(qtbot, context, mixed, monkeypatch):
    from ui.main_window import MainWindow

    opened = []
    monkeypatch.setattr(RatesDialog, "exec", lambda self: opened.append(self) or 0)
    window = MainWindow(context)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.pages["book"].loaded, timeout=5000)
    assert window.rates_action in window.edit_menu.actions()
    window.rates_action.trigger()
    window.pages["book"].kpis.unconverted.linkActivated.emit("rates")
    assert len(opened) == 2 and all(isinstance(d, RatesDialog) for d in opened)


@pytest.mark.parametrize(("typed", "stored"), [("usd", "USD"), ("U$", "USD"), ("€", "EUR"), ("R$", "BRL")])
def test_the_account_dialog_takes_a_currency_code_or_symbol(qtbot, typed, stored):
    from ui.book.dialogs import AccountDialog

    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("Acme")
    dialog.currency.setText(typed)
    dialog.accept()
    assert dialog.result() == AccountDialog.DialogCode.Accepted
    assert dialog.result_edit().data.currency == stored


def test_the_account_dialog_refuses_an_unknown_currency(qtbot):
    from ui.book.dialogs import AccountDialog

    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("Acme")
    dialog.currency.setText("XYZ")
    dialog.accept()
    assert dialog.result() != AccountDialog.DialogCode.Accepted
    assert not dialog.boxes["currency"].error.isHidden()
