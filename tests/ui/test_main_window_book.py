"""The main window's File and View menus around the book."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.support.book_data import make_book
from ui.main_window import MAX_RECENT, MainWindow


def make_window(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.pages["book"].loaded, timeout=5000)
    return window


def test_opening_a_file_that_is_not_a_database_keeps_the_current_one(qtbot, monkeypatch, context, tmp_path):
    window = make_window(qtbot, context)
    current = context.db
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database at all", encoding="utf-8")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kw: shown.append(args[2]))
    window.open_database_file(str(bogus))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "not a CSDesk database" in shown[0] and str(bogus) in shown[0]
    assert context.db is current
    assert bogus.read_text(encoding="utf-8") == "not a database at all"


def test_opening_another_database_swaps_and_reloads(qtbot, context, tmp_path):
    from db import open_database

    other_path = tmp_path / "other.sqlite"
    other = open_database(other_path)
    make_book(other)
    other.dispose()
    window = make_window(qtbot, context)
    page = window.pages["book"]
    assert page.stack.currentWidget() is page.welcome
    with qtbot.waitSignal(context.hub.databaseChanged, timeout=5000):
        window.open_database_file(str(other_path))
    qtbot.waitUntil(lambda: page.loaded and page.model.rowCount() == 5, timeout=5000)
    assert context.db.location == str(other_path)
    assert window.recent_databases()[0] == str(other_path)
    assert "other.sqlite" in window.windowTitle()


def test_recent_databases_keep_eight(qtbot, context):
    window = make_window(qtbot, context)
    for i in range(12):
        window.remember_database(f"/tmp/db{i}.sqlite")
    recent = window.recent_databases()
    assert len(recent) == MAX_RECENT and recent[0] == "/tmp/db11.sqlite"


def test_language_choice_is_saved_for_the_next_start(qtbot, monkeypatch, context):
    window = make_window(qtbot, context)
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kw: told.append(args[2]))
    window.language_actions["pt_BR"].trigger()
    assert context.settings.value("ui/language") == "pt_BR"
    assert told and "Português (Brasil)" in told[0]


def test_menus_hold_the_book_actions(qtbot, context):
    window = make_window(qtbot, context)
    page = window.pages["book"]
    assert page.new_account_action in window.edit_menu.actions()
    assert page.export_action in window.file_menu.actions()
    assert page.new_account_action.shortcut().toString() == "Ctrl+Shift+N"
    assert page.find_action.shortcut().toString() == "Ctrl+F"


def test_the_window_opens_on_the_book_then_on_the_page_left_open(qtbot, context):
    window = make_window(qtbot, context)
    assert window.stack.currentWidget() is window.pages["book"]
    window.sidebar.setCurrentRow(list(window.pages).index("today"))
    window.close()
    again = make_window(qtbot, context)
    assert again.stack.currentWidget() is again.pages["today"]


@pytest.mark.sqlite_file("the start-up snapshot is kept for a book file")
def test_the_next_start_shows_the_last_sessions_book_until_the_database_has_loaded(qtbot, context):
    from csdesk.accounts import AccountData, create_account

    make_book(context.db)
    first = make_window(qtbot, context)
    kept = first.pages["book"].model.rowCount()
    first.close()  # keeps the book for the next start
    create_account(context.db, AccountData(name="Cafeteria Aurora Ltda", mrr_cents=50000))

    second = MainWindow(context)
    qtbot.addWidget(second)
    page = second.pages["book"]
    with qtbot.waitSignal(page.snapshotShown, timeout=5000):
        pass
    assert page.model.rowCount() == kept and not page.loaded
    assert page.count_label.text().endswith("updating…")
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    assert page.model.rowCount() == kept + 1  # the account added since is there
    assert "updating" not in page.count_label.text()
