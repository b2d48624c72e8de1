"""The Playbooks page and editor, driven as a user would; playbooks run after a logged event."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt, QThreadPool
from sqlalchemy import select

from csdesk import accounts, playbooks, timeline
from csdesk.accounts import AccountData
from db.models import Task


@pytest.fixture(autouse=True)
def background_work_done(qtbot):
    """Each test's background jobs end before its widgets and database go."""
    yield
    QThreadPool.globalInstance().waitForDone(10000)


@pytest.fixture
def page(qtbot, context):
    from ui.playbooks.page import PlaybooksPage

    page = PlaybooksPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == len(playbooks.BUILTIN), timeout=5000)
    return page


def row_of(page, key: str) -> int:
    return next(i for i, p in enumerate(page.model.items) if p.builtin_key == key)


def test_page_lists_the_shipped_playbooks_and_turns_one_off(page, context, qtbot, qtmodeltester):
    qtmodeltester.check(page.model)
    names = [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]
    assert "Detractor call-back" in names and "Cancellation request" in names
    row = row_of(page, "detractor")
    index = page.model.index(row, 0)
    assert page.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    detractor = next(p for p in playbooks.list_playbooks(context.db) if p.builtin_key == "detractor")
    assert detractor.enabled is False
    qtbot.waitUntil(
        lambda: (
            page.model.data(page.model.index(row, 0), Qt.ItemDataRole.CheckStateRole)
            == Qt.CheckState.Unchecked
        ),
        timeout=5000,
    )


def test_runs_of_the_selected_playbook_are_shown(page, context, qtbot, qtmodeltester):
    account = accounts.create_account(context.db, AccountData(name="Acme", stage="ongoing_adoption")).id
    timeline.add_event(
        context.db, account, kind="churn_request", title="Cancel", occurred_at=datetime(2026, 11, 24, 9)
    )
    with qtbot.waitSignal(page.loaded, timeout=10000):
        page.run_button.click()
    qtbot.waitUntil(lambda: "created 2 tasks" in page.status.text(), timeout=5000)
    row = row_of(page, "cancellation_request")
    qtbot.waitUntil(lambda: page.model.data(page.model.index(row, 3)) == "1", timeout=5000)
    page.view.selectRow(row_of(page, "cancellation_request"))
    qtbot.waitUntil(lambda: page.runs_model.rowCount() == 1, timeout=5000)
    qtmodeltester.check(page.runs_model)
    assert page.runs_model.data(page.runs_model.index(0, 0)) == "Acme"


def test_editor_creates_a_playbook_typed_in(page, context, qtbot, qtmodeltester):
    from ui.playbooks.editor import PlaybookEditor

    editor = PlaybookEditor(context, None, page)
    qtbot.addWidget(editor)
    qtmodeltester.check(editor.steps_model)
    editor.trigger_combo.setCurrentIndex(editor.trigger_combo.findData("no_touch"))
    assert editor.trigger_text.text() == "No touch for 30 days"
    editor.param_widgets["days"].setValue(21)
    assert editor.trigger_text.text() == "No touch for 21 days"
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert "Give the playbook a name." in editor.error_label.text()
    assert editor.result() == 0

    qtbot.keyClicks(editor.name_edit, "Quiet accounts")
    editor.add_button.click()
    editor.title_edit.clear()
    qtbot.keyClicks(editor.title_edit, "Send a check-in e-mail")
    editor.offset_spin.setValue(3)
    editor.working_check.setChecked(True)
    editor.email_edit.setPlainText("Hi {{ champion.name }}")
    assert editor.steps_model.data(editor.steps_model.index(1, 1)) == "3 working days later"
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert editor.result() == 1
    saved = playbooks.get_playbook(context.db, editor.saved.id)
    assert (saved.name, saved.trigger, saved.params) == ("Quiet accounts", "no_touch", {"days": 21})
    assert [s.title for s in saved.steps] == ["Call the customer back", "Send a check-in e-mail"]
    assert saved.steps[1].working_days and saved.steps[1].email == "Hi {{ champion.name }}"


def test_a_broken_email_template_is_refused_with_its_line(context, qtbot):
    from ui.playbooks.editor import PlaybookEditor

    editor = PlaybookEditor(context, None)
    qtbot.addWidget(editor)
    qtbot.keyClicks(editor.name_edit, "X")
    editor.email_edit.setPlainText("ok\n{% if %}")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert "Task 1: e-mail template: Line 2" in editor.error_label.text()
    assert editor.saved is None


def test_a_logged_cancellation_request_creates_its_tasks_in_the_background(context, qtbot):
    from ui.playbooks.service import PlaybookService

    service = PlaybookService(context)
    account = accounts.create_account(context.db, AccountData(name="Acme", stage="ongoing_adoption")).id
    timeline.add_event(
        context.db, account, kind="churn_request", title="Cancel", occurred_at=datetime(2026, 11, 25, 9)
    )
    with qtbot.waitSignal(context.hub.tasksChanged, timeout=10000):
        context.hub.timelineChanged.emit(account)
    with context.db.session() as s:
        titles = s.scalars(select(Task.title).where(Task.account_id == account).order_by(Task.id)).all()
    assert titles == ["Call the customer about the cancellation request", "Prepare a save plan"]
    with qtbot.waitSignal(service.evaluated, timeout=10000) as blocker:
        context.hub.timelineChanged.emit(account)
    assert blocker.args[0].created == 0


def test_the_main_window_has_a_playbooks_page(context, qtbot):
    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show_page("playbooks")
    assert window.stack.currentWidget() is window.pages["playbooks"]


def test_the_page_names_the_reminder_rules_and_opens_their_settings(page, context, qtbot, monkeypatch):
    from csdesk import tasks
    from ui.today import settings_dialog

    assert "Plan the renewal from month 9 of the contract" in page.rules_label.text()

    def switch_off(dialog):
        tasks.set_rules(context.db, {key: {"enabled": False} for key in tasks.RULES})
        return True

    monkeypatch.setattr(settings_dialog.TodaySettingsDialog, "exec", switch_off)
    with qtbot.waitSignal(context.hub.remindersChanged, timeout=2000):
        page.rules_button.click()
    assert page.rules_label.text() == "The reminder rules are all off."
