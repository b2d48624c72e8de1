"""``csdesk timeline / log / today / search`` and how ACCOUNT is resolved."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from cli.main import main
from csdesk import accounts, clock, tasks, timeline
from csdesk.accounts import AccountData
from csdesk.errors import UserError


@pytest.fixture
def book(db):
    ids = {}
    for name, ext in [
        ("Açougue São João", "HS-1"),
        ("Açougue Boi Bravo", "HS-2"),
        ("Acme", None),
        ("Acme Brasil", None),
    ]:
        ids[name] = accounts.create_account(
            db,
            AccountData(name=name, external_id=ext, source="hubspot" if ext else None, segment="high_touch"),
        ).id
    return ids


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


def test_resolve_account_by_id_external_id_exact_or_unique_prefix(db, book):
    assert accounts.resolve_account(db, str(book["Acme"])).name == "Acme"
    assert accounts.resolve_account(db, "HS-2").name == "Açougue Boi Bravo"
    assert accounts.resolve_account(db, "acougue sao").name == "Açougue São João"
    assert accounts.resolve_account(db, "  AÇOUGUE  BOI ").name == "Açougue Boi Bravo"
    assert accounts.resolve_account(db, "acme").name == "Acme"  # exact beats prefix
    assert accounts.resolve_account(db, "Acme Bra").name == "Acme Brasil"
    with pytest.raises(UserError, match="several accounts") as info:
        accounts.resolve_account(db, "açougue")
    assert "Açougue São João" in str(info.value) and "Açougue Boi Bravo" in str(info.value)
    with pytest.raises(UserError, match="No account"):
        accounts.resolve_account(db, "Zeta")
    with pytest.raises(UserError, match="No account"):
        accounts.resolve_account(db, "%")


def test_log_then_timeline_json(db_path, db, book, capsys):
    assert (
        run(
            db_path,
            "log",
            "acougue sao",
            "--kind",
            "call",
            "--title",
            "Ligação de alinhamento",
            "--body",
            "Tudo **ok**",
            "--date",
            "2026-11-20T14:30",
        )
        == 0
    )
    assert "Açougue São João" in capsys.readouterr().out
    assert (
        run(
            db_path,
            "log",
            "HS-1",
            "--kind",
            "meeting",
            "--meeting-type",
            "qbr",
            "--title",
            "QBR",
            "--date",
            "2026-11-21",
        )
        == 0
    )
    capsys.readouterr()
    assert run(db_path, "timeline", "HS-1", "--format", "json") == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["title"] for r in records] == ["QBR", "Ligação de alinhamento"]
    assert records[1] == {
        "id": records[1]["id"],
        "date": "2026-11-20T14:30",
        "kind": "call",
        "title": "Ligação de alinhamento",
        "body": "Tudo **ok**",
        "source": "manual",
        "severity": None,
        "score": None,
    }
    assert run(db_path, "timeline", "HS-1", "--kind", "call", "--format", "json") == 0
    assert [r["kind"] for r in json.loads(capsys.readouterr().out)] == ["call"]
    assert run(db_path, "timeline", "HS-1") == 0
    out = capsys.readouterr().out
    assert "Meeting · QBR" in out and "20/11/2026" not in out and "Nov 20, 2026 14:30" in out
    assert accounts.resolve_account(db, "HS-1").last_touch_at == datetime(2026, 11, 21, 9)


def test_cli_errors_exit_2_with_one_line(db_path, book, capsys):
    assert run(db_path, "timeline", "açougue") == 2
    err = capsys.readouterr().err
    assert "several accounts" in err and err.count("\n") == 1
    assert run(db_path, "log", "Acme", "--kind", "note", "--title", "x", "--date", "ontem") == 2
    assert "not an ISO date" in capsys.readouterr().err
    assert run(db_path, "log", "Acme", "--kind", "note", "--title", "   ") == 2
    assert "title" in capsys.readouterr().err
    assert run(db_path, "log", "Acme", "--kind", "health_change", "--title", "x") == 2
    assert run(db_path, "search", "!!!") == 2


def test_search_and_today(db_path, db, book, capsys):
    timeline.add_event(
        db,
        book["Acme"],
        kind="note",
        title="Antiga",
        body="Falar sobre a integração com o ERP",
        occurred_at=datetime(2024, 3, 1),
    )
    assert run(db_path, "search", "integracao", "erp") == 0
    out = capsys.readouterr().out
    assert "Acme" in out and "Antiga" in out
    assert run(db_path, "search", "inexistente") == 0
    assert "Nothing found" in capsys.readouterr().out
    assert run(db_path, "search", "integração", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)[0]["account"] == "Acme"

    tasks.create_task(
        db, tasks.TaskData(account_id=book["Acme"], title="Ligar", due_date=clock.today() - timedelta(days=1))
    )
    assert run(db_path, "today", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["title"] for t in data["tasks"]] == ["Ligar"] and data["tasks"][0]["overdue"]
    assert data["totals"]["untouched"] == 4
    assert run(db_path, "--lang", "pt-BR", "today") == 0
    out = capsys.readouterr().out
    assert "Ligar" in out and "Acme" in out


@pytest.mark.parametrize(
    "command",
    [
        ["metrics", "--from", "01/02/2026"],
        ["import", "{csv}", "--as-of", "ontem"],
        ["rates", "set", "USD", "5", "--date", "2026-13-01"],
        ["doc", "qbr", "1", "--out", "q.pptx", "--to", "amanhã"],
    ],
)
def test_every_command_reads_its_dates_the_same_way(command, db_path, tmp_path, capsys):
    from cli.main import main

    csv = tmp_path / "contas.csv"
    csv.write_text("Cliente;MRR\nPadaria;100\n", encoding="utf-8")
    code = main(["--db", str(db_path), *(part.format(csv=csv) for part in command)])
    err = capsys.readouterr().err
    assert code == 2 and "not an ISO date; write it as 2026-11-25" in err and len(err.strip().splitlines()) == 1
