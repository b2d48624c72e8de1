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
