"""Tasks, reminder rules (never twice), cadences and the Today view."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from csdesk import accounts, tasks, timeline
from csdesk.accounts import AccountData, ValidationError
from db.models import Task

TODAY = date(2026, 11, 25)


def account(db, name, **kw):
    return accounts.create_account(db, AccountData(name=name, **kw)).id


def test_task_crud_complete_and_undo_values(db):
    acme = account(db, "Acme")
    task = tasks.create_task(
        db, tasks.TaskData(account_id=acme, title=" Ligar para o sponsor ", due_date=TODAY)
    )
    assert task.id and task.title == "Ligar para o sponsor" and task.status == "open"

    before = tasks.complete_task(db, task.id)
    assert before.status == "open"
    done = tasks.get_task(db, task.id)
    assert done.status == "done" and done.completed_at is not None
    tasks.complete_task(db, task.id, done=False)
    assert tasks.get_task(db, task.id).completed_at is None

    before = tasks.update_task(db, replace(task, priority="high", kind="risk"))
    assert before.priority == "normal"
    deleted = tasks.delete_task(db, task.id)
    assert tasks.list_tasks(db, acme) == []
    assert tasks.restore_task(db, deleted).id == task.id

    with pytest.raises(ValidationError) as info:
        tasks.create_task(db, tasks.TaskData(account_id=acme, title="", kind="party", priority="urgent"))
    assert {e.field for e in info.value.errors} == {"title", "kind", "priority"}


def test_list_tasks_orders_open_by_due_date_then_closed(db):
    acme = account(db, "Acme")
    for title, due, status in [
        ("c", None, "open"),
        ("b", TODAY, "open"),
        ("z", TODAY, "done"),
        ("a", TODAY - timedelta(days=3), "open"),
    ]:
        tasks.create_task(db, tasks.TaskData(account_id=acme, title=title, due_date=due, status=status))
    assert [t.title for t in tasks.list_tasks(db, acme)] == ["a", "b", "c", "z"]
    assert [t.title for t in tasks.list_tasks(db, acme, include_closed=False)] == ["a", "b", "c"]


def test_cadences_default_and_are_stored_in_the_database(db):
    assert tasks.get_cadences(db) == {"high_touch": 14, "mid_touch": 30, "low_touch": 60, "tech_touch": 90}
    tasks.set_cadences(db, {"high_touch": 7})
    assert tasks.get_cadences(db)["high_touch"] == 7
    assert tasks.get_cadences(db)["tech_touch"] == 90
    with pytest.raises(ValidationError):
        tasks.set_cadences(db, {"high_touch": 0})


def test_rules_are_editable_and_switchable(db):
    rules = tasks.get_rules(db)
    assert all(r["enabled"] for r in rules.values())
    tasks.set_rules(db, {"renewal_plan": {"enabled": False, "month": 10}})
    assert tasks.get_rules(db)["renewal_plan"] == {"enabled": False, "month": 10}
    with pytest.raises(ValidationError):
        tasks.set_rules(db, {"renewal_plan": {"month": 13}})
    assert "10" in tasks.rule_label("renewal_plan", tasks.get_rules(db)["renewal_plan"])


def rule_tasks(db):
    with db.session() as s:
        return sorted(
            (t.account_id, t.rule_key, t.due_date, t.kind)
            for t in s.query(Task).filter(Task.origin == "rule")
        )


def test_rules_create_each_reminder_once(db):
    renewing = account(db, "Renova", renewal_date=date(2027, 3, 1), contract_start=date(2026, 3, 1))
    far = account(db, "Longe", renewal_date=date(2027, 10, 1))
    high = account(db, "Alto", segment="high_touch")
    qbr_done = account(db, "QBR feito", segment="high_touch")
    timeline.add_event(
        db, qbr_done, kind="meeting", subkind="qbr", title="QBR", occurred_at=datetime(2026, 10, 15)
    )
    kicked = account(db, "Kickoff", segment="low_touch")
    kickoff = timeline.add_event(
        db, kicked, kind="meeting", subkind="kickoff", title="Kickoff", occurred_at=datetime(2026, 11, 1)
    )
    old_kick = account(db, "Kickoff antigo")
    timeline.add_event(
        db, old_kick, kind="meeting", subkind="kickoff", title="Kickoff", occurred_at=datetime(2024, 1, 1)
    )
    onboarded = account(db, "NPS", contract_start=date(2026, 6, 1))
    churned = account(db, "Saiu", segment="high_touch", status="churned")

    result = tasks.run_rules(db, TODAY)
    created = rule_tasks(db)
    assert result.created == len(created) == 4
    assert (renewing, "renewal_plan:2027-03-01", TODAY, "renewal") in created
    assert (high, "qbr:2026Q4", date(2026, 12, 17), "expansion") in created
    assert (kicked, f"checkin:{kickoff.id}", date(2026, 12, 1), "onboarding") in created
    assert (onboarded, "nps:2026-06-01", date(2026, 12, 1), "follow_up") in created
    ids = {c[0] for c in created}
    assert not {far, qbr_done, old_kick, churned} & ids

    again = tasks.run_rules(db, TODAY)
    assert again.created == 0 and rule_tasks(db) == created
    # Completing or deleting the text of a reminder does not bring it back.
    with db.session() as s, s.begin():
        for t in s.query(Task):
            t.status = "done"
    assert tasks.run_rules(db, TODAY + timedelta(days=1)).created == 0


def test_switched_off_rules_create_nothing_and_a_held_qbr_closes_its_reminder(db):
    high = account(db, "Alto", segment="high_touch")
    tasks.set_rules(db, {"qbr_quarterly": {"enabled": False}})
    assert tasks.run_rules(db, TODAY).created == 0
    tasks.set_rules(db, {"qbr_quarterly": {"enabled": True}})
    assert tasks.run_rules(db, TODAY).created == 1
    timeline.add_event(
        db, high, kind="meeting", subkind="qbr", title="QBR", occurred_at=datetime(2026, 11, 20)
    )
    assert tasks.run_rules(db, TODAY).completed == 1
    assert tasks.list_tasks(db, high)[0].status == "done"


def test_today_view_sections(db):
    now = datetime(2026, 11, 25, 9)
    high_recent = account(db, "Alto recente", segment="high_touch")
    high_stale = account(db, "Alto parado", segment="high_touch")
    tech_ok = account(db, "Tech ok", segment="tech_touch")
    never = account(db, "Nunca", segment="mid_touch")
    renew = account(db, "Renova logo", segment="tech_touch", renewal_date=TODAY + timedelta(days=100))
    late = account(db, "Renova tarde", segment="tech_touch", renewal_date=TODAY + timedelta(days=121))
    timeline.add_event(db, late, kind="email", title="x", occurred_at=now - timedelta(days=1))
    timeline.add_event(db, high_recent, kind="call", title="x", occurred_at=now - timedelta(days=10))
    timeline.add_event(db, high_stale, kind="call", title="x", occurred_at=now - timedelta(days=20))
    timeline.add_event(db, tech_ok, kind="email", title="x", occurred_at=now - timedelta(days=80))
    timeline.add_event(db, renew, kind="email", title="x", occurred_at=now - timedelta(days=1))
    with db.session() as s, s.begin():
        from db.models import Account

        s.get(Account, tech_ok).health_band = "red"
        s.get(Account, tech_ok).health_score = 41.0
        s.get(Account, high_recent).health_trend = -15.0
        s.get(Account, high_recent).health_band = "yellow"
    overdue = tasks.create_task(
        db, tasks.TaskData(account_id=never, title="atrasada", due_date=TODAY - timedelta(days=2))
    )
    tasks.create_task(db, tasks.TaskData(account_id=never, title="hoje", due_date=TODAY))
    tasks.create_task(
        db, tasks.TaskData(account_id=never, title="amanhã", due_date=TODAY + timedelta(days=1))
    )
    tasks.create_task(db, tasks.TaskData(account_id=never, title="feita", due_date=TODAY, status="done"))
    tasks.create_task(
        db,
        tasks.TaskData(
            account_id=tech_ok, title="Queda de 20 pontos", kind="risk", origin="alert", rule_key="alert:1"
        ),
    )

    view = tasks.today_view(db, TODAY)
    assert [t.task.title for t in view.tasks] == ["atrasada", "hoje"]
    assert view.tasks[0].task.is_overdue(TODAY) and view.tasks[0].task.id == overdue.id
    assert [r.name for r in view.renewals] == ["Renova logo"]
    assert [a.name for a in view.untouched] == ["Nunca", "Alto parado"]
    assert {a.name for a in view.health} == {"Tech ok", "Alto recente"}
    assert [t.task.title for t in view.alerts] == ["Queda de 20 pontos"]
    assert view.totals == {"tasks": 2, "alerts": 1, "renewals": 1, "untouched": 2, "health": 2, "groups": 0}

    tasks.set_cadences(db, {"high_touch": 30})
    assert [a.name for a in tasks.today_view(db, TODAY).untouched] == ["Nunca"]
    assert len(tasks.today_view(db, TODAY, limit=1).tasks) == 1


def test_notifications_name_each_due_task_once(db):
    acme = account(db, "Acme")
    a = tasks.create_task(db, tasks.TaskData(account_id=acme, title="Ligar", due_date=TODAY))
    tasks.create_task(db, tasks.TaskData(account_id=acme, title="Depois", due_date=TODAY + timedelta(days=1)))
    due = tasks.tasks_to_notify(db, TODAY)
    assert [i.task.id for i in due] == [a.id]
    assert tasks.notification_text(due, TODAY) == ("Acme", "Ligar")
    assert tasks.tasks_to_notify(db, TODAY, already={a.id}) == []
    assert tasks.notification_text([], TODAY) is None
    b = tasks.create_task(
        db, tasks.TaskData(account_id=acme, title="Velha", due_date=TODAY - timedelta(days=5))
    )
    title, message = tasks.notification_text(tasks.tasks_to_notify(db, TODAY), TODAY)
    assert title == "2 reminders due (1 overdue)" and "Acme: Velha" in message
    assert b.id


def big_book(db, n=1000):
    """``n`` active accounts: renewals one a day over the next year, a quarter of them high touch."""
    from db.models import Account

    with db.session() as s, s.begin():
        s.add_all(
            Account(
                name=f"Conta {i:04d}",
                name_key=f"conta {i:04d}",
                segment=("high_touch", "mid_touch", "low_touch", "tech_touch")[i % 4],
                status="active",
                renewal_date=TODAY + timedelta(days=1 + i % 365),
                contract_start=TODAY + timedelta(days=1 + i % 365) - timedelta(days=365),
            )
            for i in range(n)
        )


def open_rule_tasks(db):
    with db.session() as s:
        return s.query(Task).filter(Task.origin == "rule", Task.status == "open").count()


def test_a_first_start_on_a_big_book_groups_the_backlog_instead_of_a_flood(db):
    big_book(db)
    result = tasks.run_rules(db, TODAY)
    assert result.candidates > 300  # what the rules ask for: once 400 tasks due today
    assert result.created == open_rule_tasks(db) <= tasks.GROUP_AT * len(tasks.RULES)
    groups = {g.rule: g for g in tasks.reminder_groups(db, TODAY)}
    assert {"renewal_plan", "qbr_quarterly", "nps_after_onboarding"} == set(groups)
    renewals = groups["renewal_plan"]
    assert renewals.title == f"Renewals to plan: {len(renewals.items)}" and len(renewals.items) > 200
    assert len({r.account_id for r, _name in renewals.items}) == len(renewals.items)
    assert renewals.items[0][1].startswith("Conta ")
    # Every reminder is reachable: as a task or in its group, never both, never lost.
    with db.session() as s:
        keys = {(t.account_id, t.rule_key) for t in s.query(Task)}
    grouped = {(r.account_id, r.rule_key) for g in groups.values() for r, _ in g.items}
    assert not keys & grouped
    assert len(keys) + len(grouped) == len(
        {(r.account_id, r.rule_key) for r in tasks.due_reminders(db, TODAY)}
    )
    view = tasks.today_view(db, TODAY)
    assert view.totals["groups"] == len(grouped) and len(view.groups) == 3

    # The next day, only what newly became due becomes a task (about 3 renewals a day here).
    before = open_rule_tasks(db)
    nxt = tasks.run_rules(db, TODAY + timedelta(days=1))
    assert 1 <= nxt.created == open_rule_tasks(db) - before <= tasks.GROUP_AT * len(tasks.RULES)
    assert tasks.run_rules(db, TODAY + timedelta(days=1)).created == 0


def test_acting_on_a_grouped_reminder_makes_it_a_task(db):
    big_book(db, 60)
    tasks.run_rules(db, TODAY)
    group = next(g for g in tasks.reminder_groups(db, TODAY) if g.rule == "renewal_plan")
    (first, _), (second, _) = group.items[:2]
    done = tasks.create_task(db, tasks.reminder_task(first, status="done"))
    later = tasks.create_task(db, tasks.reminder_task(second, due_date=TODAY + timedelta(days=7)))
    assert done.rule_key == first.rule_key and done.origin == "rule"
    left = next(g for g in tasks.reminder_groups(db, TODAY) if g.rule == "renewal_plan")
    assert len(left.items) == len(group.items) - 2
    assert tasks.get_task(db, later.id).due_date == TODAY + timedelta(days=7)
    assert tasks.run_rules(db, TODAY).created == 0  # never twice


def test_small_books_still_get_one_task_per_reminder(db):
    renewing = account(db, "Renova", renewal_date=date(2027, 1, 10))
    result = tasks.run_rules(db, TODAY)  # the first run: a backlog of one is no flood
    assert result.created == 1 and tasks.reminder_groups(db, TODAY) == []
    assert tasks.list_tasks(db, renewing)[0].rule_key == "renewal_plan:2027-01-10"


def test_reminder_titles_follow_the_language_and_old_stored_titles_keep_working(db):
    from csdesk import i18n

    acme = account(db, "Acme", renewal_date=date(2027, 3, 1), contract_start=date(2026, 6, 1))
    tasks.run_rules(db, TODAY)
    renewal = next(t for t in tasks.list_tasks(db, acme) if t.kind == "renewal")
    nps = next(t for t in tasks.list_tasks(db, acme) if t.rule_key.startswith("nps:"))
    assert renewal.title == "Plan the renewal of 2027-03-01"  # stored: English, whatever the language
    assert tasks.display_title(renewal) == "Plan the renewal of Mar 1, 2027"
    i18n.set_language("pt_BR")
    assert tasks.display_title(renewal) == "Planejar a renovação de 01/03/2027"
    assert tasks.display_title(nps) == "Enviar a pesquisa de NPS (6 meses após o onboarding)"
    # A reminder stored in Portuguese by an older CSDesk reads in English when the app does.
    old = tasks.create_task(
        db,
        tasks.TaskData(
            account_id=acme,
            title="Check-in 45 dias após o kick-off",
            origin="rule",
            rule_key="checkin:99",
            kind="onboarding",
        ),
    )
    i18n.set_language("en")
    assert tasks.display_title(old) == "Check-in 45 days after the kickoff"
    manual = tasks.create_task(db, tasks.TaskData(account_id=acme, title="Ligar para a Joana"))
    assert tasks.display_title(manual) == "Ligar para a Joana"
    assert (
        tasks.display_title(tasks.TaskData(account_id=acme, title="Alerta", origin="rule", rule_key="x:1"))
        == "Alerta"
    )
    # The health service's red alert, stored in English, reads in the app's language.
    red = tasks.TaskData(
        account_id=acme,
        title="Health is critical (red band): plan a recovery",
        origin="alert",
        rule_key="health_red:start",
    )
    i18n.set_language("pt_BR")
    assert tasks.display_title(red) == i18n.tr("Health is critical (red band): plan a recovery") != red.title
