"""The account page's Hand-off tab: typed in, saved, and its welcome e-mail copied or saved."""

from __future__ import annotations

import email
import email.policy

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QGuiApplication

from csdesk import accounts, handoffs
from csdesk.accounts import AccountData, ContactData


@pytest.fixture(autouse=True)
def background_work_done(qtbot):
    """Each test's background jobs end before its widgets and database go."""
    yield
    QThreadPool.globalInstance().waitForDone(10000)


@pytest.fixture
def account(context):
    account = accounts.create_account(context.db, AccountData(name="Acme", owner="Ana Souza")).id
    accounts.save_contact(
        context.db,
        ContactData(account_id=account, name="Carla Dias", role="champion", email="carla@acme.com.br"),
    )
    return account


def test_typing_the_hand_off_and_saving_it(qtbot, context, account):
    from ui.account.handoff import HandoffTab

    tab = HandoffTab(context)
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.set_account(account)
    qtbot.keyClicks(tab.seller_edit, "Marcos")
    qtbot.keyClicks(tab.edits["promised_outcomes"], "Reports in 30 days")
    qtbot.keyClicks(tab.edits["risks"], "Small team")
    tab.save_button.click()
    saved = handoffs.get_handoff(context.db, account)
    assert (saved.seller, saved.promised_outcomes, saved.risks) == (
        "Marcos",
        "Reports in 30 days",
        "Small team",
    )
    assert tab.status.text() == "Hand-off saved."

    again = HandoffTab(context)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.loaded, timeout=5000):
        again.set_account(account)
    assert again.edits["promised_outcomes"].toPlainText() == "Reports in 30 days"
    assert again.status.text().startswith("Saved on ")


def test_welcome_email_is_rendered_copied_and_saved(qtbot, context, account, tmp_path):
    from ui.account.handoff import WelcomeEmailDialog

    handoffs.save_handoff(context.db, handoffs.HandoffData(account, promised_outcomes="Reports in 30 days"))
    dialog = WelcomeEmailDialog(context, account)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "Reports in 30 days" in dialog.text.toPlainText(), timeout=5000)
    assert dialog.text.toPlainText().startswith("Subject: Welcome to our Customer Success team — Acme")
    dialog.copy_button.click()
    assert "Hi Carla," in QGuiApplication.clipboard().text()
    path = tmp_path / "welcome.eml"
    dialog.save_eml(str(path))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "carla@acme.com.br" and "Reports in 30 days" in message.get_content()


def test_the_account_page_has_the_hand_off_tab(qtbot, context, account):
    from ui.account.page import AccountPage

    page = AccountPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.handoff_tab.loaded, timeout=5000):
        page.set_account(account)
    assert page.tabs.tabText(page.tabs.indexOf(page.handoff_tab)) == "Hand-off"
    assert page.handoff_tab.isEnabled()
