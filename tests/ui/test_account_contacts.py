"""The account page's Contacts tab: add, edit and delete contacts there, each one undoable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QDialog, QMessageBox

from csdesk import accounts
from csdesk.accounts import AccountData, ContactData
from ui.book.dialogs import ContactDialog


@pytest.fixture
def account_id(db):
    account = accounts.create_account(db, AccountData(name="Padaria Pitanga Ltda", mrr_cents=150000))
    accounts.save_contact(
        db, ContactData(account_id=account.id, name="Ana Souza", role="champion", is_primary=True)
    )
    return account.id


@pytest.fixture
def page(qtbot, context, account_id):
    from ui.account.page import AccountPage

    widget = AccountPage(context)
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    with qtbot.waitSignal(widget.overviewLoaded, timeout=5000):
        widget.set_account(account_id)
    widget.tabs.setCurrentWidget(widget.contacts_tab)
    yield widget
    QThreadPool.globalInstance().waitForDone(5000)


def names(tab) -> list[str]:
    return [tab.model.index(r, 0).data() for r in range(tab.model.rowCount())]


def fill(monkeypatch, **fields):
    """ContactDialog.exec() types ``fields`` into the form and presses OK."""

    def exec_(self):
        if "name" in fields:
            self.name.setText(fields["name"])
        if "role" in fields:
            self.role.setCurrentIndex(self.role.findData(fields["role"]))
        if "email" in fields:
            self.email.setText(fields["email"])
        if "primary" in fields:
            self.primary.setChecked(fields["primary"])
        self.accept()
        return self.result()

    monkeypatch.setattr(ContactDialog, "exec", exec_)


def reloaded(qtbot, page, action):
    with qtbot.waitSignal(page.overviewLoaded, timeout=5000):
        action()


def test_add_edit_delete_each_undoable(qtbot, monkeypatch, page, context, db, account_id):
    tab = page.contacts_tab
    assert names(tab) == ["Ana Souza ★"]
    # Add, with a role from the vocabulary; the header's decision maker follows.
    fill(monkeypatch, name="Bruno Lima", role="decision_maker", email="bruno@pitanga.com.br")
    reloaded(qtbot, page, tab.add_button.click)
    assert names(tab) == ["Ana Souza ★", "Bruno Lima"]
    assert tab.model.index(1, 1).data() == "Decision maker"
    assert page.header.facts["decision"].value.text() == "Bruno Lima"
    assert page.tabs.tabText(page.tabs.indexOf(tab)) == "Contacts (2)"

    # Edit: Bruno becomes the primary contact, which takes the star off Ana.
    tab.select(next(c.id for c in tab.model.contacts() if c.name == "Bruno Lima"))
    fill(monkeypatch, name="Bruno Lima Filho", primary=True)
    reloaded(qtbot, page, tab.edit_button.click)
    stored = {c.name: c.is_primary for c in accounts.list_contacts(db, account_id)}
    assert stored == {"Ana Souza": False, "Bruno Lima Filho": True}

    # Delete asks first; No changes nothing.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    tab.select(next(c.id for c in tab.model.contacts() if c.name == "Ana Souza"))
    tab.delete_button.click()
    assert len(accounts.list_contacts(db, account_id)) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    reloaded(qtbot, page, tab.delete_button.click)
    assert [c.name for c in accounts.list_contacts(db, account_id)] == ["Bruno Lima Filho"]

    stack = context.undo_stack
    assert stack.count() == 3
    reloaded(qtbot, page, stack.undo)  # the delete
    restored = {c.name: c.is_primary for c in accounts.list_contacts(db, account_id)}
    assert restored == {"Ana Souza": False, "Bruno Lima Filho": True}
    reloaded(qtbot, page, stack.undo)  # the edit: Ana primary again, Bruno's old name
    assert {c.name: c.is_primary for c in accounts.list_contacts(db, account_id)} == {
        "Ana Souza": True,
        "Bruno Lima": False,
    }
    reloaded(qtbot, page, stack.undo)  # the add
    assert names(tab) == ["Ana Souza ★"]
    reloaded(qtbot, page, stack.redo)
    bruno = [c for c in accounts.list_contacts(db, account_id) if c.name == "Bruno Lima"]
    assert bruno and bruno[0].role == "decision_maker"
    reloaded(qtbot, page, stack.redo)
    reloaded(qtbot, page, stack.redo)
    assert [c.name for c in accounts.list_contacts(db, account_id)] == ["Bruno Lima Filho"]


def test_invalid_email_is_refused_in_the_form_and_nothing_is_written(qtbot, page, db, account_id):
    dialog = ContactDialog(ContactData(account_id=account_id, name=""), page)
    qtbot.addWidget(dialog)
    dialog.name.setText("Carla")
    dialog.email.setText("carla@")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.boxes["email"].error.isHidden()
    assert len(accounts.list_contacts(db, account_id)) == 1


def test_cancel_adds_nothing(qtbot, monkeypatch, page, context, db, account_id):
    monkeypatch.setattr(ContactDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    page.contacts_tab.add_button.click()
    assert context.undo_stack.count() == 0
    assert len(accounts.list_contacts(db, account_id)) == 1


def test_edit_and_delete_need_a_selection(page):
    tab = page.contacts_tab
    tab.view.clearSelection()
    assert tab.add_button.isEnabled()
    assert not tab.edit_button.isEnabled() and not tab.delete_button.isEnabled()
    tab.view.selectRow(0)
    assert tab.edit_button.isEnabled() and tab.delete_button.isEnabled()


def test_model_passes_the_model_tester(qtmodeltester, page):
    qtmodeltester.check(page.contacts_tab.model)


def test_delete_key_in_the_main_window_deletes_the_contact_not_the_account(
    qtbot, monkeypatch, context, account_id
):
    from PySide6.QtCore import Qt

    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    try:
        page = window.account_page
        with qtbot.waitSignal(page.overviewLoaded, timeout=5000):
            window.open_account(account_id)
        tab = page.contacts_tab
        page.tabs.setCurrentWidget(tab)
        tab.view.selectRow(0)
        tab.view.setFocus()
        asked = []
        monkeypatch.setattr(
            QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
        )
        qtbot.keyClick(tab.view, Qt.Key.Key_Delete)
        assert asked and "Ana Souza" in asked[0]
    finally:
        window.reminders.stop()
        QThreadPool.globalInstance().waitForDone(5000)
