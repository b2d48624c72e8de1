"""Today as a CSM with a real book uses it: every task reachable, bulk complete, snooze,
grouping by account, grouped reminders instead of a flood."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QThreadPool

from csdesk import accounts, tasks
from csdesk.accounts import AccountData
from db.models import Account, Task
from ui.today.page import PAGE_SIZE, FoldKeyRole, ReminderRole, SectionRole, ShowMoreRole, TaskIdRole

TODAY = date(2026, 11, 25)  # the suite's pinned day (conftest)


@pytest.fixture
def page(qtbot, context):
    from ui.today.page import TodayPage

    created = []

    def make():
        widget = TodayPage(context)
        qtbot.addWidget(widget)
        widget.resize(1000, 650)
        widget.show()
        qtbot.waitUntil(lambda: widget.today_view is not None, timeout=5000)
        created.append(widget)
        return widget

    yield make
    QThreadPool.globalInstance().waitForDone(5000)


def section(page, key):
    for r in range(page.model.rowCount()):
        head = page.model.item(r)
        if head.data(SectionRole) == key:
            return head
    raise AssertionError(key)


def children(head):
    return [head.child(i) for i in range(head.rowCount())]


def due_tasks(db, n, accounts_count=5):
    ids = [accounts.create_account(db, AccountData(name=f"Cliente {i}")).id for i in range(accounts_count)]
    with db.session() as s, s.begin():
        s.add_all(
            Task(
                account_id=ids[i % accounts_count],
                title=f"Tarefa {i:03d}",
                due_date=TODAY - timedelta(days=i % 3),
            )
            for i in range(n)
        )
    return ids


def select(page, items):
    selection = page.view.selectionModel()
    selection.clearSelection()
    for item in items:
        selection.select(
            item.index(), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )


def reload(qtbot, page, action):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        action()
        page.reload()


def test_every_due_task_is_reachable_with_show_more(qtbot, context, page):
    due_tasks(context.db, PAGE_SIZE + 50)
    today = page()
    head = section(today, "tasks")
    rows = children(head)
    assert len(rows) == PAGE_SIZE + 1 and rows[-1].data(ShowMoreRole) == "tasks"
    assert rows[-1].text() == "Show 50 more…"
    assert f"({PAGE_SIZE} of {PAGE_SIZE + 50})" in head.text()
    today.view.scrollTo(rows[-1].index())
    with qtbot.waitSignal(today.loaded, timeout=5000):  # one click on "Show 50 more…"
        qtbot.mouseClick(
            today.view.viewport(),
            Qt.MouseButton.LeftButton,
            pos=today.view.visualRect(rows[-1].index()).center(),
        )
    rows = children(section(today, "tasks"))
    assert len(rows) == PAGE_SIZE + 50 and all(r.data(TaskIdRole) for r in rows)


def test_bulk_complete_is_one_undo_step(qtbot, context, page):
    due_tasks(context.db, 6)
    today = page()
    rows = children(section(today, "tasks"))
    select(today, rows[:3])
    assert today.complete_action.isEnabled() and today.selection_label.text() == "3 selected"
    ids = [r.data(TaskIdRole) for r in rows[:3]]
    with qtbot.waitSignal(today.loaded, timeout=5000):
        assert today.complete_selected() == 3
    assert {tasks.get_task(context.db, i).status for i in ids} == {"done"}
    assert len(children(section(today, "tasks"))) == 3
    with qtbot.waitSignal(today.loaded, timeout=5000):
        context.undo_stack.undo()  # one step brings the three back
    assert {tasks.get_task(context.db, i).status for i in ids} == {"open"}
    assert len(children(section(today, "tasks"))) == 6


def test_snooze_a_day_a_week_or_until_a_picked_date(qtbot, context, page, monkeypatch):
    due_tasks(context.db, 4)
    today = page()
    rows = children(section(today, "tasks"))
    first, second, third = (r.data(TaskIdRole) for r in rows[:3])
    select(today, rows[:1])
    with qtbot.waitSignal(today.loaded, timeout=5000):
        today.snooze_day_action.trigger()
    assert tasks.get_task(context.db, first).due_date == TODAY + timedelta(days=1)
    assert first not in [r.data(TaskIdRole) for r in children(section(today, "tasks"))]

    select(today, [r for r in children(section(today, "tasks")) if r.data(TaskIdRole) == second])
    with qtbot.waitSignal(today.loaded, timeout=5000):
        today.snooze_week_action.trigger()
    assert tasks.get_task(context.db, second).due_date == TODAY + timedelta(days=7)

    def pick(dialog):
        from PySide6.QtCore import QDate

        assert dialog.calendar.minimumDate() == QDate(TODAY + timedelta(days=1))
        dialog.calendar.setSelectedDate(QDate(2027, 1, 15))
        return True

    monkeypatch.setattr(today, "exec_dialog", pick)
    select(today, [r for r in children(section(today, "tasks")) if r.data(TaskIdRole) == third])
    with qtbot.waitSignal(today.loaded, timeout=5000):
        today.snooze_pick_action.trigger()
    assert tasks.get_task(context.db, third).due_date == date(2027, 1, 15)
    with qtbot.waitSignal(today.loaded, timeout=5000):
        context.undo_stack.undo()
    assert tasks.get_task(context.db, third).due_date <= TODAY


def test_tasks_grouped_by_account(qtbot, context, page):
    ids = due_tasks(context.db, 6, accounts_count=2)
    today = page()
    today.group_check.setChecked(True)
    groups = children(section(today, "tasks"))
    assert [g.text() for g in groups] == ["Cliente 0 (3)", "Cliente 1 (3)"]
    assert [g.data(FoldKeyRole) for g in groups] == [f"tasks/{ids[0]}", f"tasks/{ids[1]}"]
    assert all(today.view.isExpanded(g.index()) for g in groups)
    assert all(c.data(TaskIdRole) for c in children(groups[0]))
    # Selecting an account's row acts on all of its tasks.
    select(today, groups[:1])
    with qtbot.waitSignal(today.loaded, timeout=5000):
        assert today.complete_selected() == 3
    assert [g.text() for g in children(section(today, "tasks"))] == ["Cliente 1 (3)"]
    assert context.settings.value("today/group_by_account", False, bool)


def test_grouped_reminders_instead_of_a_flood(qtbot, context, page):
    with context.db.session() as s, s.begin():
        s.add_all(
            Account(
                name=f"Conta {i:02d}",
                name_key=f"conta {i:02d}",
                status="active",
                renewal_date=TODAY + timedelta(days=10 + i),
            )
            for i in range(30)
        )
    assert tasks.run_rules(context.db, TODAY).created == 0  # 30 renewals to plan at once: grouped
    today = page()
    head = section(today, "groups")
    (group,) = children(head)
    assert group.text() == "Renewals to plan: 30" and group.data(FoldKeyRole) == "groups/renewal_plan"
    assert not today.view.isExpanded(group.index())  # one row, not thirty
    items = children(group)
    assert len(items) == 30 and isinstance(items[0].data(ReminderRole), tasks.Reminder)
    assert items[0].text().startswith("Plan the renewal of ")

    with qtbot.waitSignal(today.loaded, timeout=5000):
        items[0].setCheckState(Qt.CheckState.Checked)  # ticked: done, and out of the group
    done = tasks.list_tasks(context.db, items[0].data(ReminderRole).account_id)
    assert [t.status for t in done] == ["done"]
    (group,) = children(section(today, "groups"))
    assert group.text() == "Renewals to plan: 29"

    select(today, [group])  # the whole group, snoozed a week: 29 tasks, due then
    with qtbot.waitSignal(today.loaded, timeout=5000):
        assert today.snooze_selected(days=7) == 29
    with context.db.session() as s:
        assert (
            s.query(Task).filter(Task.status == "open", Task.due_date == TODAY + timedelta(days=7)).count()
            == 29
        )
    assert all(
        r.data(SectionRole) != "groups" for r in (today.model.item(i) for i in range(today.model.rowCount()))
    )
    assert tasks.run_rules(context.db, TODAY).created == 0  # never twice
