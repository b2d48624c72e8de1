"""Team mode in the window, driven through the real widgets: two CSDesks on one SQLite file."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from csdesk import accounts, team, timeline
from db import open_database
from ui.book.dialogs import AccountDialog
from ui.book.model import COLUMNS
from ui.book.page import BookPage
from ui.main_window import MainWindow
from ui.team import ConflictDialog, read_only_reason
from ui.timeline.model import EventRole
from ui.timeline.tab import TimelineTab

NAME = next(i for i, c in enumerate(COLUMNS) if c.key == "name")


def shown_names(page: BookPage) -> list[str]:
    return [page.model.index(r, NAME).data() for r in range(page.model.rowCount())]


@pytest.fixture
def other(db_path, db):
    """Bruno's CSDesk, on the same book."""
    database = team.sign_in(open_database(db_path), "Bruno Lima")
    yield database
    database.dispose()


@pytest.fixture
def book_ids(db):
    ids = {}
    for name, owner, mrr in (
        ("Padaria Pitanga", "Ana Souza", 100_000),
        ("Açougue São João", "ana souza", 50_000),
        ("Mercado Boa Vista", "Bruno Lima", 80_000),
        ("Clínica Sorriso", None, 30_000),
    ):
        ids[name] = accounts.create_account(
            db, accounts.AccountData(name=name, owner=owner, mrr_cents=mrr)
        ).id
    return ids


def make_window(qtbot, context) -> MainWindow:
    window = MainWindow(context)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.pages["book"].loaded, timeout=5000)
    return window


# My book ---------------------------------------------------------------------------------------


def test_in_team_mode_the_book_opens_on_my_book_and_the_whole_book_is_one_click_away(
    qtbot, context, book_ids
):
    context.db.team = True  # as for a PostgreSQL URL (db.engine.is_shared)
    team.sign_in(context.db, "Ana Souza")
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    assert page.scope.isVisibleTo(page) and page.mine_button.isChecked()
    assert sorted(shown_names(page)) == ["Açougue São João", "Padaria Pitanga"]
    qtbot.mouseClick(page.all_button, Qt.MouseButton.LeftButton)
    assert len(shown_names(page)) == 4
    qtbot.mouseClick(page.mine_button, Qt.MouseButton.LeftButton)
    assert len(shown_names(page)) == 2


@pytest.mark.sqlite_file("outside team mode means a book file; a server book is always in team mode")
def test_outside_team_mode_the_book_is_whole_and_has_no_scope_switch(qtbot, context, book_ids):
    team.sign_in(context.db, "Ana Souza")
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    assert not page.scope.isVisibleTo(page)
    assert len(shown_names(page)) == 4


def test_setting_my_name_picks_my_accounts(qtbot, context, book_ids, monkeypatch):
    monkeypatch.delenv(team.ENVIRONMENT, raising=False)
    context.db.team = True
    window = make_window(qtbot, context)
    qtbot.waitUntil(lambda: getattr(window, "name_dialog", None) is not None, timeout=3000)
    dialog = window.name_dialog  # the first start on a shared book asks who this is
    page = window.pages["book"]
    assert not page.mine_button.isEnabled()
    dialog.name.setText("Bruno Lima")
    dialog.accept()
    assert team.saved_name() == "Bruno Lima" and context.db.user == "Bruno Lima"
    assert page.mine_button.isChecked() and shown_names(page) == ["Mercado Boa Vista"]


# Authors on the timeline ----------------------------------------------------------------------


def test_the_timeline_shows_who_logged_each_entry(qtbot, context, other, book_ids):
    account_id = book_ids["Padaria Pitanga"]
    team.sign_in(context.db, "Ana Souza")
    timeline.add_event(context.db, account_id, kind="note", title="Kickoff combinado")
    timeline.add_event(other, account_id, kind="call", title="Ligação sobre a fatura")
    tab = TimelineTab(context)
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.set_account(account_id)
    shown = {}
    for row in range(tab.model.rowCount()):
        index = tab.model.index(row, 0)
        event = index.data(EventRole)
        if event is not None:
            shown[event.title] = index.data(Qt.ItemDataRole.ToolTipRole)
    assert shown["Kickoff combinado"].endswith("Typed here · Ana Souza")
    assert shown["Ligação sobre a fatura"].endswith("Typed here · Bruno Lima")


# Edit conflicts ---------------------------------------------------------------------------------


def edit_while_bruno_saves(monkeypatch, other, account_id, their_change: dict, my_typing: dict):
    """The account dialog is open; Bruno saves his change; then I type mine and press Save."""

    def exec_(dialog):
        current = accounts.get_account(other, account_id)
        accounts.edit_account(other, replace(current.data(), **their_change))
        for name, value in my_typing.items():
            getattr(dialog, name).setText(value)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(AccountDialog, "exec", exec_)


def answering(monkeypatch, button: str) -> list[dict]:
    """The conflict dialog: note what it shows, then click ``button``."""
    seen: list[dict] = []

    def exec_(dialog):
        rows = {}
        for row in range(dialog.table.rowCount()):
            cells = [dialog.table.item(row, c).text() for c in range(4)]
            rows[cells[0]] = (cells[1:], dialog.table.item(row, 0).font().bold())
        seen.append(rows)
        getattr(dialog, button).click()
        return dialog.result()

    monkeypatch.setattr(ConflictDialog, "exec", exec_)
    return seen


@pytest.fixture
def page(qtbot, context, book_ids):
    widget = BookPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.loaded, timeout=5000)
    return widget


def test_keep_mine_saves_my_change_and_keeps_what_only_they_changed(
    qtbot, monkeypatch, page, context, other, book_ids
):
    account_id = book_ids["Padaria Pitanga"]
    edit_while_bruno_saves(
        monkeypatch,
        other,
        account_id,
        {"mrr_cents": 120_000, "industry": "Varejo"},
        {"mrr": "1,500.00", "tier": "Gold"},
    )
    seen = answering(monkeypatch, "keep_mine")
    page.edit_account(account_id)
    assert seen, "the conflict dialog was not shown"
    rows = seen[0]
    assert rows["MRR"] == (["R$1,000.00", "R$1,500.00", "R$1,200.00"], True)  # both changed it: bold
    assert rows["Industry"] == (["—", "", "Varejo"], False)
    assert rows["Tier"] == (["—", "Gold", ""], False)
    now = accounts.get_account(context.db, account_id)
    assert (now.mrr_cents, now.tier, now.industry) == (150_000, "Gold", "Varejo")
    # One undo step, back to Bruno's version.
    context.undo_stack.undo()
    now = accounts.get_account(context.db, account_id)
    assert (now.mrr_cents, now.tier, now.industry) == (120_000, None, "Varejo")


def test_take_theirs_keeps_their_value_where_both_changed(qtbot, monkeypatch, page, context, other, book_ids):
    account_id = book_ids["Padaria Pitanga"]
    edit_while_bruno_saves(
        monkeypatch, other, account_id, {"mrr_cents": 120_000}, {"mrr": "1,500.00", "tier": "Gold"}
    )
    answering(monkeypatch, "take_theirs")
    page.edit_account(account_id)
    now = accounts.get_account(context.db, account_id)
    assert (now.mrr_cents, now.tier) == (120_000, "Gold")


def test_cancel_saves_nothing_of_mine(qtbot, monkeypatch, page, context, other, book_ids):
    account_id = book_ids["Padaria Pitanga"]
    edit_while_bruno_saves(monkeypatch, other, account_id, {"mrr_cents": 120_000}, {"tier": "Gold"})
    answering(monkeypatch, "cancel")
    page.edit_account(account_id)
    now = accounts.get_account(context.db, account_id)
    assert (now.mrr_cents, now.tier, now.version) == (120_000, None, 1)
    assert context.undo_stack.count() == 0


def test_an_edit_nobody_else_touched_saves_without_asking(qtbot, monkeypatch, page, context, book_ids):
    account_id = book_ids["Padaria Pitanga"]

    def exec_(dialog):
        dialog.tier.setText("Gold")
        dialog.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AccountDialog, "exec", exec_)
    monkeypatch.setattr(ConflictDialog, "exec", lambda dialog: pytest.fail("no conflict to resolve"))
    page.edit_account(account_id)
    assert accounts.get_account(context.db, account_id).tier == "Gold"


# Other CSMs' changes ----------------------------------------------------------------------------


def test_another_csms_change_appears_without_a_restart(qtbot, context, other, book_ids):
    window = make_window(qtbot, context)
    page = window.pages["book"]
    watcher = window.change_watcher
    watcher.stop()  # the test polls by hand, no timing involved
    qtbot.waitUntil(lambda: watcher._seen is not None, timeout=5000)  # noqa: SLF001 - the baseline
    accounts.create_account(other, accounts.AccountData(name="Farmácia Nova Era", owner="Bruno Lima"))
    with qtbot.waitSignal(watcher.changed, timeout=5000), qtbot.waitSignal(page.bookLoaded, timeout=5000):
        watcher.poll()
    assert "Farmácia Nova Era" in shown_names(page)


def test_ones_own_changes_are_not_news(qtbot, context, book_ids):
    window = make_window(qtbot, context)
    watcher = window.change_watcher
    watcher.stop()
    qtbot.waitUntil(lambda: watcher._seen is not None, timeout=5000)  # noqa: SLF001
    timeline.add_event(context.db, book_ids["Padaria Pitanga"], kind="note", title="minha nota")
    news = []
    watcher.changed.connect(lambda: news.append(1))
    watcher.poll()
    qtbot.waitUntil(lambda: not watcher._job.running, timeout=5000)  # noqa: SLF001
    assert watcher._seen == context.db.change_count() and news == []  # noqa: SLF001


# Read-only books --------------------------------------------------------------------------------


def test_a_read_only_book_shows_a_banner_and_every_write_action_says_why(qtbot, context, book_ids):
    context.db.read_only = True  # as for a PostgreSQL role without write grants
    window = make_window(qtbot, context)
    window.show()
    assert window.read_only_banner.isVisible()
    assert "may only read" in window.read_only_banner.text()
    page = window.pages["book"]
    for action in (page.new_account_action, page.edit_action, page.delete_action, window.import_action):
        assert not action.isEnabled() and action.toolTip() == read_only_reason(), action.text()
    assert not page.new_button.isEnabled() and page.new_button.toolTip() == read_only_reason()
    page.select_account(book_ids["Padaria Pitanga"])  # selecting a row enables editing elsewhere
    qtbot.wait(10)
    assert not page.edit_action.isEnabled() and not page.delete_action.isEnabled()
    # The account page's write buttons too.
    window.open_account(book_ids["Padaria Pitanga"])
    tab = window.account_page.timeline_tab
    assert not tab.add_button.isEnabled() and tab.add_button.toolTip() == read_only_reason()
    # And if a write is asked anyway (a shortcut, a drop), nothing is written.
    with pytest.raises(Exception, match="may only read"):
        timeline.add_event(context.db, book_ids["Padaria Pitanga"], kind="note", title="não")


def test_another_csms_note_appears_on_the_open_account_page(qtbot, context, other, book_ids):
    window = make_window(qtbot, context)
    watcher = window.change_watcher
    watcher.stop()
    qtbot.waitUntil(lambda: watcher._seen is not None, timeout=5000)  # noqa: SLF001
    account_id = book_ids["Mercado Boa Vista"]
    window.open_account(account_id)
    tab = window.account_page.timeline_tab
    qtbot.waitUntil(lambda: tab.complete and tab.account_id == account_id, timeout=5000)
    timeline.add_event(other, account_id, kind="call", title="Ligação do Bruno")
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        watcher.poll()
    titles = {
        tab.model.index(r, 0).data(EventRole).title
        for r in range(tab.model.rowCount())
        if tab.model.index(r, 0).data(EventRole) is not None
    }
    assert "Ligação do Bruno" in titles


def test_opening_a_writable_book_after_a_read_only_one_releases_the_actions(
    qtbot, context, book_ids, tmp_path
):
    context.db.read_only = True
    window = make_window(qtbot, context)
    window.show()
    page = window.pages["book"]
    tooltip_before = window.import_action.toolTip()
    assert not page.new_account_action.isEnabled() and tooltip_before == read_only_reason()
    with qtbot.waitSignal(page.bookLoaded, timeout=5000):
        window._swap_database(open_database(tmp_path / "local.sqlite"))  # noqa: SLF001 - as File > Open does
    assert not window.read_only_banner.isVisible()
    assert page.new_account_action.isEnabled() and page.new_button.isEnabled()
    assert window.import_action.isEnabled() and window.import_action.toolTip() != read_only_reason()
    assert not page.edit_action.isEnabled()  # nothing selected: the page decides again
