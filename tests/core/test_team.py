"""Team mode in the core: who writes, edit versions and conflicts, the change counter, My book."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest

from cli.main import main
from csdesk import accounts, team, timeline
from csdesk.book import BookFilter, filter_mask, load_book
from db import open_database
from db.engine import ReadOnlyError, is_shared


@pytest.fixture
def other(db_path, db):
    """A second CSDesk on the same book: Bruno's."""
    database = team.sign_in(open_database(db_path), "Bruno Lima")
    yield database
    database.dispose()


def logged(db, account_id) -> dict[str, str | None]:
    """Title -> author of the touches logged on an account (not its revenue facts)."""
    return {e.title: e.author for e in timeline.list_events(db, account_id, kinds=["note", "call"])}


@pytest.fixture
def account_id(db):
    return accounts.create_account(
        db, accounts.AccountData(name="Padaria Pitanga", mrr_cents=100_000, owner="Ana Souza")
    ).id


def test_team_mode_is_a_book_that_is_not_a_local_sqlite_file(tmp_path):
    assert is_shared("postgresql+psycopg://ana@db.example/csdesk", None)
    assert not is_shared(None, tmp_path / "book.sqlite")
    assert not is_shared(f"sqlite:///{tmp_path / 'book.sqlite'}", tmp_path / "book.sqlite")
    assert not is_shared("sqlite://", None)  # in memory: private


def test_the_name_is_set_once_for_the_window_and_the_commands(monkeypatch):
    monkeypatch.delenv(team.ENVIRONMENT, raising=False)
    assert team.current_name() is None
    assert team.save_name("  Ana   Souza ") == "Ana Souza"
    assert team.current_name() == "Ana Souza"
    assert team.current_name("Bruno") == "Bruno"  # --as, for one command
    monkeypatch.setenv(team.ENVIRONMENT, "Carla")
    assert team.current_name() == "Carla"
    with pytest.raises(team.UserError):
        team.clean_name("x" * 151)


def test_each_event_records_who_logged_it(db, other, account_id):
    team.sign_in(db, "Ana Souza")
    mine = timeline.add_event(db, account_id, kind="note", title="Ligação de alinhamento")
    theirs = timeline.add_event(other, account_id, kind="call", title="Retorno do suporte")
    authors = logged(db, account_id)
    assert authors["Ligação de alinhamento"] == "Ana Souza"
    assert authors["Retorno do suporte"] == "Bruno Lima"
    # An edit keeps the author; an undone deletion brings it back.
    timeline.update_event(other, replace(mine, title="Ligação de alinhamento (editada)"))
    deleted = timeline.delete_event(db, theirs.id)
    timeline.restore_event(db, deleted)
    authors = logged(db, account_id)
    assert authors == {"Ligação de alinhamento (editada)": "Ana Souza", "Retorno do suporte": "Bruno Lima"}


def test_commands_log_under_the_saved_name_or_as(db_path, db, account_id, capsys, monkeypatch):
    monkeypatch.delenv(team.ENVIRONMENT, raising=False)
    team.save_name("Ana Souza")
    assert (
        main(["--db", str(db_path), "log", str(account_id), "--kind", "note", "--title", "Nota da Ana"]) == 0
    )
    argv = [
        "--db",
        str(db_path),
        "--as",
        "Carla Dias",
        "log",
        str(account_id),
        "--kind",
        "note",
        "--title",
        "Nota",
    ]
    assert main(argv) == 0
    assert logged(db, account_id) == {
        "Nota da Ana": "Ana Souza",
        "Nota": "Carla Dias",
    }


def test_an_import_records_the_importing_user_on_its_events(db_path, db, tmp_path, capsys):
    path = tmp_path / "contas.csv"
    path.write_text("Account Name,MRR\nPadaria Pitanga,1000\nMercado Boa Vista,2500\n", encoding="utf-8")
    code = main(
        ["--db", str(db_path), "--as", "Bruno Lima", "import", str(path), "--yes", "--as-of", "2026-11-01"]
    )
    assert code == 0, capsys.readouterr().err
    from sqlalchemy import select

    from db.models import ImportRun

    with db.session() as session:
        assert session.scalars(select(ImportRun.author)).all() == ["Bruno Lima"]
    account = accounts.resolve_account(db, "Mercado Boa Vista")
    events = timeline.list_events(db, account.id)
    assert events and {e.author for e in events} == {"Bruno Lima"}


def test_every_edit_raises_the_version(db, account_id):
    first = accounts.get_account(db, account_id)
    assert first.version == 0
    saved = accounts.edit_account(db, replace(first.data(), tier="Gold"), seen_version=0).account
    assert saved.version == 1
    accounts.revert_edit(db, first.data(), None, seen_version=1)
    assert accounts.get_account(db, account_id).version == 2


def test_saving_over_another_csms_edit_is_refused_and_nothing_is_written(db, other, account_id):
    seen = accounts.get_account(db, account_id)
    accounts.edit_account(other, replace(seen.data(), mrr_cents=120_000, industry="Varejo"))
    with pytest.raises(accounts.EditConflict) as caught:
        accounts.edit_account(db, replace(seen.data(), mrr_cents=150_000), seen_version=seen.version)
    assert caught.value.theirs.mrr_cents == 120_000 and caught.value.theirs.version == seen.version + 1
    now = accounts.get_account(db, account_id)
    assert (now.mrr_cents, now.industry, now.version) == (120_000, "Varejo", seen.version + 1)


def test_merging_keeps_what_only_the_other_side_changed():
    base = accounts.AccountData(name="Padaria", id=1, mrr_cents=100, tier="Silver")
    mine = replace(base, mrr_cents=150, tier="Gold")
    theirs = replace(base, mrr_cents=120, industry="Varejo")
    assert accounts.conflicting_fields(base, mine, theirs) == ("mrr_cents",)
    kept = accounts.merge_edit(base, mine, theirs, prefer="mine")
    assert (kept.mrr_cents, kept.tier, kept.industry) == (150, "Gold", "Varejo")
    taken = accounts.merge_edit(base, mine, theirs, prefer="theirs")
    assert (taken.mrr_cents, taken.tier, taken.industry) == (120, "Gold", "Varejo")


def _update_after_another_csm(monkeypatch, other, **their_change):
    """``csdesk update`` reads the account; Bruno saves his change before it writes."""
    real = accounts.get_account

    def read_then_bruno_saves(db, account_id):
        current = real(db, account_id)
        accounts.edit_account(other, replace(current.data(), **their_change))
        return current

    monkeypatch.setattr(accounts, "get_account", read_then_bruno_saves)


def test_cli_update_reports_a_conflict_on_the_same_field_with_exit_2(
    db_path, db, other, account_id, monkeypatch, capsys
):
    _update_after_another_csm(monkeypatch, other, mrr_cents=120_000)
    assert main(["--db", str(db_path), "update", str(account_id), "--mrr", "1500"]) == 2
    err = capsys.readouterr().err
    assert "changed by someone else" in err and "mrr_cents" in err and len(err.strip().splitlines()) == 1
    monkeypatch.undo()
    assert accounts.get_account(db, account_id).mrr_cents == 120_000  # Bruno's, not overwritten


def test_cli_update_applies_over_a_change_of_another_field(
    db_path, db, other, account_id, monkeypatch, capsys
):
    _update_after_another_csm(monkeypatch, other, industry="Varejo")
    assert main(["--db", str(db_path), "update", str(account_id), "--mrr", "1500"]) == 0
    monkeypatch.undo()
    now = accounts.get_account(db, account_id)
    assert (now.mrr_cents, now.industry) == (150_000, "Varejo")


def test_the_change_counter_tells_others_commits_from_ones_own(db, other, account_id):
    seen = db.change_count()
    timeline.add_event(db, account_id, kind="note", title="minha")
    now = db.change_count()
    assert now == seen + 1 and not db.changed_by_others(seen, now)
    timeline.add_event(other, account_id, kind="note", title="do Bruno")
    later = db.change_count()
    assert later == now + 1 and db.changed_by_others(now, later)
    assert not other.changed_by_others(now, later)


def test_a_write_that_fails_counts_nothing(db, account_id):
    seen = db.change_count()
    with pytest.raises(accounts.UserError):
        accounts.edit_account(db, accounts.AccountData(name="Fantasma", id=999))
    assert db.change_count() == seen


def test_a_read_only_connection_refuses_every_write_and_writes_nothing(db, account_id):
    db.read_only = True
    before = accounts.get_account(db, account_id)
    with pytest.raises(ReadOnlyError, match="may only read"):
        timeline.add_event(db, account_id, kind="note", title="não")
    with pytest.raises(ReadOnlyError):
        accounts.edit_account(db, replace(before.data(), tier="Gold"))
    assert logged(db, account_id) == {}
    assert accounts.get_account(db, account_id) == before


def test_my_book_is_the_accounts_i_own_whatever_the_spelling(db):
    for name, owner in (
        ("A", "Ana Souza"),
        ("B", "ana  souza"),
        ("C", "Ána Souza"),
        ("D", "Bruno"),
        ("E", None),
    ):
        accounts.create_account(db, accounts.AccountData(name=name, owner=owner))
    book = load_book(db, today=datetime(2026, 11, 25).date())
    names = book.column("name")
    mine = names[filter_mask(book, BookFilter(owner="ANA SOUZA"))]
    assert sorted(mine) == ["A", "B", "C"]
    assert np.count_nonzero(filter_mask(book, BookFilter())) == 5
    assert BookFilter.from_dict(BookFilter(owner="Ana").to_dict()).owner == "Ana"


def test_each_task_records_who_created_it(db, other, account_id):
    from csdesk import tasks

    team.sign_in(db, "Ana Souza")
    mine = tasks.save_task(db, tasks.TaskData(account_id=account_id, title="Enviar proposta"))
    tasks.save_task(other, tasks.TaskData(account_id=account_id, title="Agendar QBR"))
    tasks.update_task(other, replace(mine, title="Enviar proposta revisada"))
    tasks.restore_task(db, tasks.delete_task(db, mine.id))  # an undone deletion keeps the author
    assert {t.title: t.author for t in tasks.list_tasks(db, account_id)} == {
        "Enviar proposta revisada": "Ana Souza",
        "Agendar QBR": "Bruno Lima",
    }
