"""The Help menu: a short user guide, the keyboard shortcuts, where the data lives, About.

Everything is local (a bundled HTML page per language, read by a QTextBrowser);
the shortcuts are read off the window's real QActions when the dialog opens,
so the list can never drift from the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from csdesk.i18n import tr

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    """Fill the main window's Help menu."""
    from ui.help.dialog import HelpDialog

    def open_at(tab: str):
        def show() -> None:
            dialog = HelpDialog(window, tab)
            window.help_dialog = dialog  # the tests (and a second click) find the one shown
            dialog.show()

        return show

    menu = window.help_menu
    window.guide_action = QAction(tr("&User guide"), window)
    window.guide_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))  # F1
    window.shortcuts_action = QAction(tr("&Keyboard shortcuts"), window)
    window.shortcuts_action.setShortcut(QKeySequence("Ctrl+/"))
    window.data_location_action = QAction(tr("&Where is my data"), window)
    window.about_action = QAction(tr("&About CSDesk"), window)
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    for action, tab in (
        (window.guide_action, "guide"),
        (window.shortcuts_action, "shortcuts"),
        (window.data_location_action, "data"),
        (window.about_action, "about"),
    ):
        action.triggered.connect(open_at(tab))
        if action is window.about_action:
            menu.addSeparator()
        menu.addAction(action)
        window.addAction(action)  # the shortcut works whatever page has the focus
