"""Playbooks: triggers found across the book, tasks created once per occurrence."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.main import main
from csdesk import accounts, i18n, playbooks, timeline, vocab
from csdesk.accounts import AccountData, ContactData, ValidationError
from db.models import PlaybookRun, SurveyResponse, Task

SAMPLES = Path(__file__).resolve().parents[1] / "importing" / "samples"


def tasks_of(db, key: str) -> list[Task]:
    playbook = next(p for p in playbooks.list_playbooks(db) if p.builtin_key == key)
    with db.session() as s:
        return list(s.scalars(select(Task).where(Task.playbook_id == playbook.id).order_by(Task.id)))


def run(db_path, capsys, *args):
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_importing_the_nps_sample_calls_every_detractor_back_once(db_path, db, capsys, monkeypatch):
    monkeypatch.setenv("CSDESK_TODAY", "2026-09-20")  # a Sunday: 2 working days later is Tuesday
    for name in ("planilha_carteira_pt-BR.csv", "nps_respostas.csv"):
        code, _out, err = run(db_path, capsys, "import", str(SAMPLES / name), "--as-of", "2026-09-20")
        assert code == 0, err
    with db.session() as s:
        detractors = s.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.score <= 6)
        )
    callbacks = tasks_of(db, "detractor")
    assert detractors == 18
    assert len(callbacks) == 18
    assert len({t.account_id for t in callbacks} | set()) <= 18
    first = callbacks[0]
    assert (first.title, first.priority, first.due_date, first.origin) == (
        "Call the customer back",
        "high",
        date(2026, 9, 22),
        "playbook",
    )
    with db.session() as s:
        comments = set(
            s.scalars(
                select(SurveyResponse.comment).where(
                    SurveyResponse.score <= 6, SurveyResponse.comment.is_not(None)
                )
            )
        )
    assert comments
    attached = {
        line.removeprefix("Comment: ")
        for t in callbacks
        for line in t.notes.splitlines()
        if line.startswith("Comment: ")
    }
    assert attached == comments
    assert all("Thank you for answering our survey" in t.notes for t in callbacks)  # the e-mail, filled in
    promoters = tasks_of(db, "promoter")
    assert len(promoters) == 30  # 18 tens and 12 nines

    code, out, err = run(
        db_path, capsys, "import", str(SAMPLES / "nps_respostas.csv"), "--as-of", "2026-09-20"
    )
    assert code == 0, err
    detractor = next(p for p in playbooks.list_playbooks(db) if p.builtin_key == "detractor")
    assert detractor.id not in playbooks.evaluate(db, today=date(2026, 9, 20)).by_playbook
    assert len(tasks_of(db, "detractor")) == 18


def test_shipped_playbooks_read_in_portuguese(db):
    playbooks.ensure_builtin(db, "pt_BR")
    by_key = {p.builtin_key: p for p in playbooks.list_playbooks(db)}
    assert by_key["detractor"].steps[0].title == "Retornar ao cliente"
    assert "Obrigado por responder" in by_key["detractor"].steps[0].email
    assert by_key["promoter"].steps[0].title == "Pedir uma indicação ou um case de sucesso"
    catalog = i18n.catalog("pt_BR")
    for spec in playbooks.BUILTIN:
        assert spec["name"] in catalog
        for step in spec["steps"]:
            assert step["title"] in catalog, step["title"]


def test_a_csat_of_two_is_a_detractor_and_three_is_not(db):
    account = accounts.create_account(db, AccountData(name="Acme", stage="ongoing_adoption")).id
    with db.transaction() as s:
        for score in (2, 3):
            s.add(
                SurveyResponse(
                    account_id=account, kind="csat", score=score, answered_at=datetime(2026, 11, 20, 9)
                )
            )
    playbooks.evaluate(db, today=date(2026, 11, 25))
    assert [t.notes.splitlines()[0] for t in tasks_of(db, "detractor")] == ["CSAT 2 on Nov 20, 2026 from —"]


def test_a_logged_cancellation_request_runs_its_playbook_once(db):
    account = accounts.create_account(db, AccountData(name="Acme", stage="ongoing_adoption")).id
    timeline.add_event(
        db, account, kind="churn_request", title="Wants to cancel", occurred_at=datetime(2026, 11, 24, 15)
    )
    first = playbooks.evaluate(db, today=date(2026, 11, 25), account_ids=[account])
    again = playbooks.evaluate(db, today=date(2026, 11, 26))
    created = tasks_of(db, "cancellation_request")
    assert (first.runs, first.created, again.created) == (1, 2, 0)
    assert [t.due_date for t in created] == [date(2026, 11, 26), date(2026, 11, 27)]
    assert "Wants to cancel" in created[0].notes


def test_champion_leaving_renewal_window_and_low_adoption(db):
    today = date(2026, 11, 25)
    acme = accounts.create_account(
        db,
        AccountData(
            name="Acme",
            stage="ongoing_adoption",
            renewal_date=today + timedelta(days=110),
            licensed_users=100,
            active_users=20,
        ),
    ).id
    champion = accounts.save_contact(db, ContactData(account_id=acme, name="Rita", role="champion"))
    playbooks.evaluate(db, today=today)
    assert len(tasks_of(db, "renewal")) == 3
    assert len(tasks_of(db, "low_adoption")) == 2
    assert tasks_of(db, "champion_change") == []  # seen, still there
    accounts.delete_contact(db, champion.id)
    playbooks.evaluate(db, today=today)
    left = tasks_of(db, "champion_change")
    assert len(left) == 2 and "Rita" in left[0].notes
    assert playbooks.evaluate(db, today=today + timedelta(days=1)).created == 0


def test_an_edited_playbook_is_validated_and_runs_with_its_email(db):
    account = accounts.create_account(db, AccountData(name="Acme", owner="Ana", stage="ongoing_adoption")).id
    with pytest.raises(ValidationError):
        playbooks.save_playbook(
            db, playbooks.PlaybookData(name="", trigger="no_touch", steps=(playbooks.Step(title=""),))
        )
    with pytest.raises(ValidationError, match="e-mail template"):
        playbooks.save_playbook(
            db,
            playbooks.PlaybookData(
                name="X", trigger="no_touch", steps=(playbooks.Step(title="Call", email="{% if %}"),)
            ),
        )
    saved = playbooks.save_playbook(
        db,
        playbooks.PlaybookData(
            name="Silent accounts",
            trigger="no_touch",
            params={"days": 20},
            steps=(
                playbooks.Step(
                    title="Call them", offset=3, email="Hi {{ account.name }}, {{ account.owner }} here"
                ),
            ),
        ),
    )
    timeline.add_event(db, account, kind="call", title="Hello", occurred_at=datetime(2026, 11, 1, 10))
    assert playbooks.evaluate(db, today=date(2026, 11, 15)).created == 0  # 14 days: not yet
    result = playbooks.evaluate(db, today=date(2026, 11, 25))
    assert result.by_playbook == {saved.id: 1}
    task = tasks_of_id(db, saved.id)
    assert task.due_date == date(2026, 11, 28) and "Hi Acme, Ana here" in task.notes
    playbooks.set_enabled(db, saved.id, False)
    with db.session() as s:
        s.execute(select(PlaybookRun)).all()
    runs = playbooks.list_runs(db, saved.id)
    assert [(r.account_name, r.occurrence_key, r.tasks_created) for r in runs] == [
        ("Acme", "touch:2026-11-01", 1)
    ]


def tasks_of_id(db, playbook_id: int) -> Task:
    with db.session() as s:
        return s.scalars(select(Task).where(Task.playbook_id == playbook_id)).one()


def test_cli_lists_playbooks_with_their_runs(db_path, db, capsys):
    account = accounts.create_account(db, AccountData(name="Acme", stage="ongoing_adoption")).id
    timeline.add_event(
        db, account, kind="churn_request", title="Cancel", occurred_at=datetime(2026, 11, 24, 15)
    )
    playbooks.evaluate(db, today=date(2026, 11, 25))
    code, out, _ = run(db_path, capsys, "playbooks", "--format", "json")
    assert code == 0
    rows = {r["builtin"]: r for r in json.loads(out)}
    assert rows["cancellation_request"]["runs"] == 1 and rows["cancellation_request"]["tasks"] == 2
    assert rows["detractor"]["runs"] == 0 and rows["detractor"]["enabled"] is True
    code, out, _ = run(db_path, capsys, "playbooks")
    assert code == 0 and "Cancellation request" in out
    code, _out, err = run(db_path, capsys, "playbooks", "--disable", "nope")
    assert code == 2 and "No playbook nope" in err
    code, _out, _ = run(db_path, capsys, "playbooks", "--disable", "detractor")
    assert code == 0
    assert next(p for p in playbooks.list_playbooks(db) if p.builtin_key == "detractor").enabled is False


def test_undoing_the_survey_import_removes_its_call_backs(db_path, db, capsys, monkeypatch):
    monkeypatch.setenv("CSDESK_TODAY", "2026-09-20")
    for name in ("planilha_carteira_pt-BR.csv", "nps_respostas.csv"):
        code, _out, err = run(db_path, capsys, "import", str(SAMPLES / name))
        assert code == 0, err
    assert len(tasks_of(db, "detractor")) == 18
    assert tasks_of(db, "onboarding") == []  # dates and stages wait for the book's check, not the import
    code, _out, err = run(db_path, capsys, "import", "--undo", "2")
    assert code == 0, err
    assert tasks_of(db, "detractor") == []


def test_occurrence_keys_read_as_what_happened():
    assert playbooks.occurrence_label("survey:12") == "Survey answer #12"
    assert playbooks.occurrence_label("renewal:2027-03-01") == "Renewal on Mar 1, 2027"
    assert playbooks.occurrence_label("band:red:2026-11-02", "pt_BR") == "Crítico desde 02/11/2026"


def test_logging_from_the_cli_runs_the_accounts_playbooks(db_path, db, capsys):
    account = accounts.create_account(db, AccountData(name="Acme", stage="ongoing_adoption")).id
    saved = playbooks.save_playbook(
        db,
        playbooks.PlaybookData(
            name="After a call",
            trigger="event_kind",
            params={"kinds": ["call"]},
            steps=(playbooks.Step(title="Send the summary", offset=1),),
        ),
    )
    code, _out, err = run(
        db_path, capsys, "log", "acme", "--kind", "call", "--title", "Talked renewal", "--date", "2026-11-25"
    )
    assert code == 0, err
    assert tasks_of_id(db, saved.id).account_id == account


def test_a_read_only_book_is_left_as_it_is(db):
    account = accounts.create_account(db, AccountData(name="Acme", stage="ongoing_adoption")).id
    timeline.add_event(db, account, kind="churn_request", title="Cancel", occurred_at=datetime(2026, 11, 24, 9))
    db.read_only = True
    assert playbooks.evaluate(db, today=date(2026, 11, 25)).created == 0
    assert playbooks.list_playbooks(db) == []  # nothing seeded either
    db.read_only = False
    assert playbooks.evaluate(db, today=date(2026, 11, 25)).created == 2


def test_an_event_trigger_names_each_kind_once_by_its_label():
    # cancellation_request is the CLI's name for the stored churn_request kind.
    text = playbooks.trigger_label("event_kind", {"kinds": ["cancellation_request", "churn_request"]}, "en")
    assert "cancellation_request" not in text and "churn_request" not in text
    assert text.count(vocab.EVENT_KIND_LABELS["churn_request"]) == 1
