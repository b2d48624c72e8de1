"""Today on an empty book offers the ways to start; on a quiet day it says all is clear."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import accounts, timeline
from csdesk.accounts import AccountData


@pytest.fixture
def make_page(qtbot, context):
    from ui.today.page import TodayPage

    def make():
        page = TodayPage(context)
        qtbot.addWidget(page)
        page.resize(1024, 700)
        page.show()
        qtbot.waitUntil(lambda: page.today_view is not None, timeout=5000)
        return page

    yield make
    QThreadPool.globalInstance().waitForDone(5000)


def test_empty_book_offers_import_demo_and_a_new_account(qtbot, make_page, context):
    page = make_page()
    assert page.welcome.isVisible() and not page.content.isVisible()
    with qtbot.waitSignal(context.hub.requestImport, timeout=1000) as blocker:
        page.welcome.import_button.click()
    assert blocker.args == [""]
    with qtbot.waitSignal(context.hub.requestDemo, timeout=1000):
        page.welcome.demo_button.click()
    with qtbot.waitSignal(context.hub.requestNewAccount, timeout=1000):
        page.welcome.add_button.click()


def test_a_quiet_day_says_so(make_page, context):
    # Touched today, renewal far away, no task: nothing needs the CSM.
    account = accounts.create_account(
        context.db,
        AccountData(name="Padaria Pitanga Ltda", renewal_date=date(2028, 1, 1), segment="tech_touch"),
    )
    timeline.save_event(
        context.db, timeline.EventData(account.id, "call", "Check-in", datetime(2026, 11, 24, 15, 0))
    )
    page = make_page()
    assert page.content.isVisible() and not page.welcome.isVisible()
    assert page.all_clear.isVisible()


def test_demo_from_today_runs_the_books_demo(qtbot, context, monkeypatch):
    from ui.book.page import BookPage
    from ui.main_window import MainWindow

    started = []
    monkeypatch.setattr(BookPage, "generate_demo", lambda self: started.append(self))
    window = MainWindow(context)
    qtbot.addWidget(window)
    try:
        context.hub.requestDemo.emit()
        assert started == [window.pages["book"]]
        assert window.stack.currentWidget() is window.pages["book"]
    finally:
        window.reminders.stop()
        QThreadPool.globalInstance().waitForDone(5000)
