"""Navigation a CSM can trust: tabs never change page, back/forward, database switches."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import accounts
from csdesk.accounts import AccountData


@pytest.fixture
def window(qtbot, context):
    from ui.main_window import PAGE_KEY, MainWindow

    ids = [accounts.create_account(context.db, AccountData(name=f"Conta {i}")).id for i in range(3)]
    context.settings.setValue(PAGE_KEY, "book")
    win = MainWindow(context)
    win.account_ids = ids
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)


def test_clicking_account_tabs_never_changes_page(qtbot, window):
    from PySide6.QtCore import Qt

    page = window.account_page
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        window.open_account(window.account_ids[0])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    bar = page.tabs.tabBar()
    for round_ in range(5):
        for i in range(bar.count()):
            focus = page.tabs.currentWidget().focusWidget() or page.tabs.currentWidget()
            focus.setFocus()  # the CSM was working in the tab: its list or editor has focus
            qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
            qtbot.wait(10)
            assert window.stack.currentWidget() is page, (round_, i)
            assert page.tabs.currentIndex() == i


def test_alt_left_and_right_and_mouse_buttons_go_back_and_forward(qtbot, window):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QKeySequence, QMouseEvent
    from PySide6.QtWidgets import QApplication

    for action in (window.back_action, window.forward_action):
        keys = [k.toString() for k in action.shortcuts()]
        assert len(keys) == len(set(keys)), keys  # a key bound twice is ambiguous: Qt runs neither
    assert QKeySequence("Alt+Left") in window.back_action.shortcuts()
    assert QKeySequence("Alt+Right") in window.forward_action.shortcuts()
    assert QKeySequence("Backspace") not in window.back_action.shortcuts()  # would leave any table
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    page = window.account_page
    first, second = window.account_ids[:2]
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        window.open_account(first)
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        window.open_account(second)
    page.tabs.currentWidget().setFocus()

    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert page.account_id == first and window.stack.currentWidget() is page
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.stack.currentWidget() is window.pages["book"]
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        qtbot.keyClick(
            QApplication.focusWidget() or window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier
        )
    assert window.stack.currentWidget() is page and page.account_id == first

    def mouse(button):
        event = QMouseEvent(
            QEvent.Type.MouseButtonPress,
            QPointF(5, 5),
            QPointF(5, 5),
            button,
            button,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(page.header, event)

    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        mouse(Qt.MouseButton.ForwardButton)
    assert page.account_id == second
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        mouse(Qt.MouseButton.BackButton)
    assert page.account_id == first


def test_the_sidebar_still_navigates_by_click_and_arrow_keys(qtbot, window):
    from PySide6.QtCore import Qt

    window.activateWindow()
    sidebar = window.sidebar
    rect = sidebar.visualItemRect(sidebar.item(0))
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.stack.currentWidget() is window.pages["today"]
    sidebar.setFocus()
    qtbot.keyClick(sidebar, Qt.Key.Key_Down)
    assert window.stack.currentWidget() is window.pages["book"]
    window.open_account(window.account_ids[0])
    assert sidebar.currentRow() == -1
    sidebar.setFocus(Qt.FocusReason.TabFocusReason)  # focus alone never opens a page
    assert window.stack.currentWidget() is window.account_page
    rect = sidebar.visualItemRect(sidebar.item(1))
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.stack.currentWidget() is window.pages["book"]


def _settle(qtbot):
    """Let every background read finish and its callback run."""
    for _ in range(3):
        QThreadPool.globalInstance().waitForDone(5000)
        qtbot.wait(20)


def test_switching_database_resets_search_and_selection_and_raises_nothing(
    qtbot, window, context, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    from db import open_database

    shown: list[str] = []
    for name in ("warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, **kw: shown.append(str(args[2:3])))
    other_path = tmp_path / "other.sqlite"
    other = open_database(other_path)
    accounts.create_account(other, AccountData(name="Única conta"))
    other.dispose()

    book = window.pages["book"]
    qtbot.waitUntil(lambda: book.loaded, timeout=5000)
    book.search.setText("Conta 2")
    assert book.model.rowCount() == 1
    book.select_account(window.account_ids[2])
    page = window.account_page
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        window.open_account(window.account_ids[2])  # an id the other database does not have
    assert accounts.list_accounts(context.db)  # sanity: the first database has it

    from csdesk import timeline

    timeline.add_event(context.db, window.account_ids[2], kind="note", title="Reunião de alinhamento")
    search = window.pages["search"]
    with qtbot.waitSignal(search.searched, timeout=5000) as found:
        search.query.setText("alinhamento")
        search.run_search()
    assert found.args[1] == 1

    with qtbot.waitSignal(window.databaseOpened, timeout=5000):
        window.open_database_file(str(other_path))
    qtbot.waitUntil(lambda: book.loaded and len(book.model.book) == 1, timeout=5000)
    assert book.search.text() == "" and book.model.rowCount() == 1
    assert book.selected_account_ids() == []
    assert window.stack.currentWidget() is not page and page.account_id is None
    assert not window.back_action.isEnabled()
    assert search.query.text() == "" and search.model.rowCount() == 0

    # What an import and an undo announce: every view reloads, none asks for the old account.
    hub = context.hub
    hub.importFinished.emit(1, [])
    hub.accountsChanged.emit([])
    hub.tasksChanged.emit(0)
    hub.healthChanged.emit([])
    hub.timelineChanged.emit(window.account_ids[2])
    hub.plansChanged.emit(window.account_ids[2])
    for i in range(page.tabs.count()):
        page.tabs.setCurrentIndex(i)
    _settle(qtbot)
    assert shown == []


def test_a_search_does_not_survive_a_restart(qtbot, context):
    from ui.book.page import BookPage

    first = BookPage(context)
    qtbot.addWidget(first)
    first.search.setText("Padaria")
    first.segment_filter.setCurrentIndex(first.segment_filter.findData("high_touch"))
    first.save_state()
    _settle(qtbot)
    again = BookPage(context)
    qtbot.addWidget(again)
    assert again.search.text() == ""
    assert again.segment_filter.currentData() == "high_touch"  # filters and columns do come back
    _settle(qtbot)
