"""The import history's undo: it shows its plan, names the work done by hand since, keeps it by default."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from csdesk import importing, timeline
from db.models import Account, TimelineEvent
from ui.importing.runs import ImportHistoryDialog

HEADER = "Cliente;Mensalidade;Status;CSM"


def import_rows(db, path, *rows):
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return importing.run_import(db, importing.prepare(path)).run_id


def manual_events(db) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(TimelineEvent.title).where(TimelineEvent.source == "manual")))


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def account_id(db, name):
    with db.session() as s:
        return s.scalar(select(Account.id).where(Account.name == name))


@pytest.fixture
def later_work(context, tmp_path):
    """An import of two accounts, and a meeting logged by hand on one of them."""
    run_id = import_rows(
        context.db,
        tmp_path / "carteira.csv",
        "Padaria Pitanga;R$ 1.000,00;Ativo;Ana",
        "Hotel Ipê;R$ 2.000,00;Ativo;Bia",
    )
    timeline.save_event(
        context.db,
        timeline.EventData(
            account_id=account_id(context.db, "Padaria Pitanga"),
            kind="meeting",
            title="Reunião de kick-off",
            occurred_at=datetime(2026, 11, 26, 10, 0),
        ),
    )
    return run_id


def open_confirmation(qtbot, context) -> ImportHistoryDialog:
    dialog = ImportHistoryDialog(context)
    qtbot.addWidget(dialog)
    dialog.undo_selected()
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible(), timeout=10000)
    return dialog


def test_the_confirmation_names_the_later_work_and_keeps_it_by_default(qtbot, context, later_work):
    dialog = open_confirmation(qtbot, context)
    confirm = dialog.confirm
    shown = [confirm.work_list.item(i).text() for i in range(confirm.work_list.count())]
    assert shown == ["Padaria Pitanga: timeline entry “Reunião de kick-off”"]
    assert confirm.keep_button.isVisible() and confirm.discard_button.isVisible()
    assert not confirm.undo_button.isVisible()
    assert confirm.keep_button.isDefault() and not confirm.discard_button.isDefault()

    with qtbot.waitSignal(context.hub.accountsChanged, timeout=10000):
        qtbot.keyClick(confirm, Qt.Key.Key_Return)  # the default button: keep

    assert importing.list_runs(context.db)[0].status == "undone"
    assert account_id(context.db, "Hotel Ipê") is None
    with context.db.session() as s:
        kept = s.scalars(select(Account).where(Account.name == "Padaria Pitanga")).one()
        assert kept.import_run_id is None
    assert manual_events(context.db) == ["Reunião de kick-off"]
    assert not dialog.undo_button.isEnabled()


def test_discarding_removes_the_later_work_too(qtbot, context, later_work):
    dialog = open_confirmation(qtbot, context)
    with qtbot.waitSignal(context.hub.accountsChanged, timeout=10000):
        qtbot.mouseClick(dialog.confirm.discard_button, Qt.MouseButton.LeftButton)
    assert count(context.db, Account) == 0 and count(context.db, TimelineEvent) == 0
    assert dialog.undo_button.isEnabled() is False


def test_cancel_changes_nothing(qtbot, context, later_work):
    dialog = open_confirmation(qtbot, context)
    qtbot.mouseClick(dialog.confirm.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.confirm.isVisible()
    assert count(context.db, Account) == 2
    assert importing.list_runs(context.db)[0].status == "done"
    assert dialog.undo_button.isEnabled()


def test_work_added_after_the_confirmation_opened_is_not_discarded_unseen(
    qtbot, context, later_work, monkeypatch
):
    dialog = open_confirmation(qtbot, context)
    timeline.save_event(
        context.db,
        timeline.EventData(
            account_id=account_id(context.db, "Hotel Ipê"),
            kind="note",
            title="Nota nova",
            occurred_at=datetime(2026, 11, 27, 9, 0),
        ),
    )
    shown = []
    monkeypatch.setattr(
        "ui.importing.runs.show_error", lambda _parent, error, _title=None: shown.append(str(error))
    )
    qtbot.mouseClick(dialog.confirm.discard_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "look at it again" in shown[0]
    assert count(context.db, Account) == 2
    assert manual_events(context.db) == ["Nota nova", "Reunião de kick-off"]


def test_an_undo_blocked_by_a_later_import_of_the_same_rows_says_which(qtbot, context, tmp_path):
    import_rows(context.db, tmp_path / "a.csv", "Padaria Pitanga;R$ 1.000,00;Ativo;Ana")
    later = import_rows(context.db, tmp_path / "b.csv", "Padaria Pitanga;R$ 1.500,00;Ativo;Ana")
    dialog = ImportHistoryDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.view.selectRow(1)
    dialog.undo_selected()
    qtbot.waitUntil(lambda: dialog.problem.isVisible(), timeout=10000)
    assert f"Import {later} (b.csv) changed the same rows" in dialog.problem.text()
    assert dialog.confirm is None
    assert importing.list_runs(context.db)[1].status == "done"
