"""The daily cockpit as a CSM uses it: Today -> account -> history -> log a call ->
add and close a task -> find an old note by a word. Plus models, safe notes, undo, navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool, QUrl
from PySide6.QtGui import QKeySequence

from csdesk import accounts, clock, tasks, timeline
from csdesk.accounts import AccountData, ContactData
from ui.timeline.model import IsHeaderRole

TODAY = clock.today()


@pytest.fixture
def book(db):
    acme = accounts.create_account(
        db,
        AccountData(
            name="Padaria Pitanga Ltda",
            segment="high_touch",
            mrr_cents=150000,
            renewal_date=TODAY + timedelta(days=60),
            contract_start=TODAY - timedelta(days=300),
            owner="Fernanda",
        ),
    ).id
    other = accounts.create_account(db, AccountData(name="Beta Alimentos", segment="low_touch")).id
    accounts.save_contact(
        db, ContactData(account_id=acme, name="Joana Prado", role="champion", is_primary=True)
    )
    accounts.save_contact(db, ContactData(account_id=acme, name="Carlos Lima", role="decision_maker"))
    now = clock.now()
    timeline.add_event(
        db,
        acme,
        kind="note",
        title="Notas do kickoff",
        body="Cliente quer integração com o **ERP Protheus**.",
        occurred_at=now - timedelta(days=400),
    )
    timeline.add_event(
        db,
        acme,
        kind="ticket",
        title="Erro na emissão de nota",
        severity="high",
        source="import",
        occurred_at=now - timedelta(days=40),
    )
    timeline.add_event(
        db, acme, kind="email", title="Convite para a QBR", occurred_at=now - timedelta(days=20)
    )
    timeline.add_event(
        db, other, kind="call", title="Ligação de boas-vindas", occurred_at=now - timedelta(days=3)
    )
    tasks.create_task(
        db,
        tasks.TaskData(
            account_id=acme,
            title="Enviar proposta de renovação",
            due_date=TODAY - timedelta(days=1),
            priority="high",
            kind="renewal",
        ),
    )
    return {"acme": acme, "other": other}


@pytest.fixture
def window(qtbot, context, book):
    from ui.main_window import PAGE_KEY, MainWindow

    context.settings.setValue(PAGE_KEY, "today")  # the CSM left CSDesk on Today
    win = MainWindow(context)
    qtbot.addWidget(win)
    win.show()
    today = win.pages["today"]
    qtbot.waitUntil(lambda: today.today_view is not None, timeout=5000)
    yield win
    win.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)


def section_rows(model, key):
    from ui.today.page import SectionRole

    for r in range(model.rowCount()):
        head = model.item(r)
        if head.data(SectionRole) == key:
            return [[head.child(i, c).text() for c in range(4)] for i in range(head.rowCount())], head
    raise AssertionError(key)


def test_csm_flow_from_today_to_a_found_note(qtbot, window, context, book, monkeypatch):
    today = window.pages["today"]
    assert window.stack.currentWidget() is today
    rows, head = section_rows(today.model, "tasks")
    assert rows[0][:2] == ["Enviar proposta de renovação", "Padaria Pitanga Ltda"]
    renewals, _ = section_rows(today.model, "renewals")
    assert renewals[0][1] == "Padaria Pitanga Ltda"
    untouched, _ = section_rows(today.model, "untouched")
    assert [r[1] for r in untouched] == ["Padaria Pitanga Ltda"]  # high touch, 20 days > 14

    # Open the account from Today.
    page = window.account_page
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        today.open_index(head.child(0, 1).index())
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.overview is not None, timeout=5000)
    header = page.header
    assert header.name.text() == "Padaria Pitanga Ltda"
    assert header.facts["champion"].value.text() == "Joana Prado"
    assert header.facts["decision"].value.text() == "Carlos Lima"
    assert "in 60 days" in header.facts["renewal"].value.text()
    assert "R$1,500.00" in header.facts["mrr"].value.text()

    # Read its history: newest first, grouped by month.
    model = page.timeline_tab.model
    titles = [model.data(model.index(r)) for r in range(model.rowCount())]
    headers = [t for r, t in enumerate(titles) if model.data(model.index(r), IsHeaderRole)]
    events = [t for r, t in enumerate(titles) if not model.data(model.index(r), IsHeaderRole)]
    # The account's creation with MRR is its first revenue movement, dated at the contract start.
    assert events == [
        "Convite para a QBR",
        "Erro na emissão de nota",
        "New revenue: MRR R$1,500.00",
        "Notas do kickoff",
    ]
    assert len(headers) >= 2 and model.data(model.index(0), IsHeaderRole)

    # Log a call with Ctrl+N; the dialog's date defaults to now.
    tab = page.timeline_tab

    def fill(dialog):
        assert abs((timeline.now() - dialog.event_data().occurred_at).total_seconds()) < 120
        dialog.kind.setCurrentIndex(dialog.kind.findData("call"))
        dialog.title.setText("Ligação com a Joana")
        dialog.body.setPlainText("Confirmou a **renovação**.")
        dialog.accept()
        return True

    monkeypatch.setattr(tab, "exec_dialog", fill)
    with qtbot.waitSignal(context.hub.accountsChanged, timeout=5000) as touched:
        tab.setFocus()
        tab.new_action.trigger()  # Ctrl+N
    assert touched.args == [[book["acme"]]]
    assert tab.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    qtbot.waitUntil(
        lambda: tab.current_event() is not None and tab.current_event().title == "Ligação com a Joana",
        timeout=5000,
    )
    assert accounts.get_account(context.db, book["acme"]).last_touch_at.date() == TODAY
    assert "<strong>renovação</strong>" in tab.detail.toHtml() or "renovação" in tab.detail.toPlainText()

    # Add a task, then close it with one click.
    tasks_tab = page.tasks_tab
    page.tabs.setCurrentWidget(tasks_tab)

    def fill_task(dialog):
        dialog.title.setText("Agendar QBR")
        dialog.priority.setCurrentIndex(dialog.priority.findData("high"))
        dialog.accept()
        return True

    monkeypatch.setattr(tasks_tab, "exec_dialog", fill_task)
    with qtbot.waitSignal(tasks_tab.loaded, timeout=5000):
        created = tasks_tab.add_task()
    row = tasks_tab.model.row_of(created.id)
    assert row >= 0 and tasks_tab.model.task_at(row).title == "Agendar QBR"
    with qtbot.waitSignal(tasks_tab.loaded, timeout=5000):
        tasks_tab.model.setData(
            tasks_tab.model.index(row, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
        )
    assert tasks.get_task(context.db, created.id).status == "done"
    done_row = tasks_tab.model.row_of(created.id)
    assert (
        tasks_tab.model.data(tasks_tab.model.index(done_row, 0), Qt.ItemDataRole.CheckStateRole)
        == Qt.CheckState.Checked
    )

    # Find the old note by a word in it, without its accent, and open it.
    window.show_page("search")
    search = window.pages["search"]
    with qtbot.waitSignal(search.searched, timeout=5000) as found:
        search.query.setText("integracao")
        search.run_search()
    assert found.args[1] == 1
    assert search.model.hit_at(0).event.title == "Notas do kickoff"
    assert "ERP Protheus" in search.detail.toPlainText()
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        search.open_current()
    assert window.stack.currentWidget() is page
    assert tab.current_event().title == "Notas do kickoff"

    # Back goes to the search page, then to the account, like a browser.
    window.go_back()
    assert window.stack.currentWidget() is search
    window.go_forward()
    assert window.stack.currentWidget() is page


def test_today_completes_a_task_and_settings_change_the_cadence(qtbot, window, context, book, monkeypatch):
    today = window.pages["today"]
    rows, head = section_rows(today.model, "tasks")
    item = head.child([r[0] for r in rows].index("Enviar proposta de renovação"), 0)
    with qtbot.waitSignal(today.loaded, timeout=5000):
        item.setCheckState(Qt.CheckState.Checked)
    assert "Enviar proposta de renovação" not in [r[0] for r in section_rows(today.model, "tasks")[0]]
    assert context.undo_stack.canUndo()

    def settings(dialog):
        dialog.cadence_spins["high_touch"].setValue(30)
        dialog.rule_checks["renewal_plan"].setChecked(False)
        dialog.accept()
        return True

    monkeypatch.setattr(today, "exec_dialog", settings)
    with qtbot.waitSignal(today.loaded, timeout=5000):
        today.open_settings()
    qtbot.waitUntil(lambda: section_rows(today.model, "untouched")[0] == [], timeout=5000)
    assert tasks.get_cadences(context.db)["high_touch"] == 30
    assert tasks.get_rules(context.db)["renewal_plan"]["enabled"] is False


def test_event_edit_and_delete_undo(qtbot, window, context, book, monkeypatch):
    page = window.account_page
    tab = page.timeline_tab
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(book["acme"])
    events = timeline.list_events(context.db, book["acme"])
    email = next(e for e in events if e.kind == "email")
    assert tab.select_event(email.id)

    def rename(dialog):
        dialog.title.setText("Convite enviado")
        dialog.accept()
        return True

    monkeypatch.setattr(tab, "exec_dialog", rename)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.edit_selected()
    assert timeline.get_event(context.db, email.id).title == "Convite enviado"
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        context.undo_stack.undo()
    assert timeline.get_event(context.db, email.id).title == "Convite para a QBR"

    assert tab.select_event(email.id)
    before_touch = accounts.get_account(context.db, book["acme"]).last_touch_at
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.delete_selected()
    assert all(e.id != email.id for e in timeline.list_events(context.db, book["acme"]))
    # The old note is now the newest touch.
    assert accounts.get_account(context.db, book["acme"]).last_touch_at < before_touch - timedelta(days=300)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        context.undo_stack.undo()
    assert timeline.get_event(context.db, email.id).title == "Convite para a QBR"
    assert accounts.get_account(context.db, book["acme"]).last_touch_at == before_touch


def test_timeline_filters(qtbot, window, context, book):
    tab = window.account_page.timeline_tab
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(book["acme"])
    assert tab.model.visible_count() == 4  # with the revenue movement of its creation
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("ticket"))
    assert tab.model.visible_count() == 1
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("touch"))
    assert tab.model.visible_count() == 2
    tab.kind_filter.setCurrentIndex(0)
    tab.period.setCurrentIndex(tab.period.findData("90"))
    assert tab.model.visible_count() == 2
    tab.period.setCurrentIndex(0)
    tab.search.setText("PROTHEUS")
    qtbot.waitUntil(lambda: tab.model.visible_count() == 1, timeout=2000)
    tab.search.setText("nada disso")
    qtbot.waitUntil(lambda: tab.empty.isVisibleTo(tab), timeout=2000)
    assert tab.empty.text() == "No event matches these filters."


def test_models_pass_the_model_tester(qtmodeltester, window, context, book, qtbot):
    page = window.account_page
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(book["acme"])
    qtbot.waitUntil(lambda: page.overview is not None and page.tasks_tab.model.rowCount() > 0, timeout=5000)
    qtmodeltester.check(page.timeline_tab.model)
    qtmodeltester.check(page.tasks_tab.model)
    qtmodeltester.check(page.contacts_tab.model)
    qtmodeltester.check(window.pages["today"].model)
    search = window.pages["search"]
    with qtbot.waitSignal(search.searched, timeout=5000):
        search.query.setText("nota")
        search.run_search()
    qtmodeltester.check(search.model)


def test_placeholder_tabs_are_built_by_small_factories(context):
    from ui.account import page as account_page

    for factory in (account_page._health_tab, account_page._plan_tab):
        tab = factory(context)
        tab.set_account(3)
    page = account_page.AccountPage(context)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "Timeline",
        "Contacts",
        "Tasks",
        "Health",
        "Success plan",
        "Hand-off",
        "Expansion",
    ]


def test_navigation_keys_and_mouse_buttons(qtbot, window, context, book):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    page = window.account_page
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(book["acme"])
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(book["other"])
    assert page.back_button.isEnabled() and not page.forward_button.isEnabled()
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        window.back_action.trigger()  # Alt+Left
    assert page.account_id == book["acme"]
    assert QKeySequence("Alt+Left") in window.back_action.shortcuts()
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress,
        QPointF(5, 5),
        QPointF(5, 5),
        Qt.MouseButton.BackButton,
        Qt.MouseButton.BackButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(page.header, press)
    assert window.stack.currentWidget() is window.pages["today"]
    with qtbot.waitSignal(page.timeline_tab.loaded, timeout=5000):
        page.forward_button.click()
    assert page.account_id == book["acme"]


def test_reminder_notifications_announce_each_task_once(qtbot, window, context, book):
    service = window.reminders
    service.announced.clear()
    items = tasks.tasks_to_notify(context.db)
    assert items
    with qtbot.waitSignal(service.notified, timeout=1000) as shown:
        assert service.announce(items) is not None
    assert shown.args[0] == "Padaria Pitanga Ltda" or "reminders due" in shown.args[0]
    assert service.announce(items) is None


HOSTILE = """# Nota

<script>alert('x')</script>
[clique](javascript:alert(1)) e [dados](data:text/html;base64,PHNjcmlwdD4=)
![rastreador](https://evil.example/pixel.png) ![inline](data:image/png;base64,iVBORw0KGgo=)
<img src="https://evil.example/x.png" onerror="alert(1)">
[site](https://example.com)
"""


def test_hostile_notes_are_shown_inert(qtbot, context):
    from csdesk.note_markup import render_markdown
    from ui.timeline.notes import SafeTextBrowser

    html = render_markdown(HOSTILE)
    assert (
        "<script" not in html and "<img" not in html and "javascript:" not in html.replace("(javascript:", "")
    )
    assert 'href="javascript' not in html and 'href="data' not in html
    assert 'href="https://example.com"' in html

    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    opened = []
    browser.open_url = lambda url: opened.append(url.toString())
    browser.setHtml(html)
    assert browser.loadResource(2, QUrl("https://evil.example/pixel.png")) is None
    assert not browser.openLinks() and not browser.openExternalLinks()
    refused = []
    browser.linkRefused.connect(refused.append)
    browser.anchorClicked.emit(QUrl("javascript:alert(1)"))
    browser.anchorClicked.emit(QUrl("file:///etc/passwd"))
    browser.anchorClicked.emit(QUrl("https://example.com"))
    assert refused == ["javascript:alert(1)", "file:///etc/passwd"]
    assert opened == ["https://example.com"]
    assert "alert('x')" in browser.toPlainText()  # shown as text, never run
