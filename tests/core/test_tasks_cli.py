"""``csdesk tasks``: every account's tasks, open ones, one account's, as JSON."""

from __future__ import annotations

import json
from datetime import date

from cli.main import main
from csdesk import accounts, tasks
from csdesk.accounts import AccountData
from db.models import Task


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


def test_tasks_command_lists_filters_and_keeps_its_json_keys(db_path, db, capsys):
    a = accounts.create_account(db, AccountData(name="Alfa")).id
    b = accounts.create_account(db, AccountData(name="Bravo")).id
    t1 = tasks.create_task(
        db, tasks.TaskData(account_id=a, title="Ligar", due_date=date(2026, 11, 30), priority="high")
    )
    t2 = tasks.create_task(db, tasks.TaskData(account_id=b, title="Proposta", due_date=date(2026, 11, 27)))
    done = tasks.create_task(db, tasks.TaskData(account_id=a, title="Feito", status="done"))
    with db.session() as s, s.begin():
        s.get(Task, t2.id).playbook_id = 7  # a playbook's task links back to it

    assert run(db_path, "tasks", "--format", "json") == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == [t2.id, t1.id, done.id]  # open by due date, then closed
    assert records[1] == {
        "id": t1.id,
        "account_id": a,
        "title": "Ligar",
        "due": "2026-11-30",
        "priority": "high",
        "status": "open",
        "source": "manual",
        "playbook": None,
    }
    assert records[0]["playbook"] == 7

    assert run(db_path, "tasks", "--open", "--account", "Alfa", "--format", "json") == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["Ligar"]
    assert run(db_path, "--lang", "pt-BR", "tasks", "--account", "Alfa") == 0
    out = capsys.readouterr().out
    assert "30/11/2026" in out and "Ligar" in out and "Feito" in out
    assert run(db_path, "tasks", "--account", "Zulu") == 2
    assert "No account" in capsys.readouterr().err
