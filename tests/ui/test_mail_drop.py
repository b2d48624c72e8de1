"""E-mail and calendar files dropped on an account page and on the main window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from csdesk import timeline
from tests.importing.mail_files import ME, SP, book, event, message, write_eml, write_ics, write_mbox

UTC = ZoneInfo("UTC")


def drop_event(*paths, enter=False):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    if enter:
        from PySide6.QtCore import QPoint

        return QDragEnterEvent(QPoint(10, 10), *args), mime
    return QDropEvent(QPointF(10, 10), *args), mime


@pytest.fixture
def window(qtbot, context):
    from ui.main_window import PAGE_KEY, MainWindow

    ids = book(context.db)
    context.settings.setValue(PAGE_KEY, "book")
    win = MainWindow(context)
    win.ids = ids
    qtbot.addWidget(win)
    win.resize(1100, 720)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)


def titles(db, account_id):
    return sorted(e.title for e in timeline.list_events(db, account_id))


def test_files_dropped_on_an_account_page_are_logged_there_and_ctrl_z_undoes(qtbot, window, tmp_path):
    context = window.context
    rosa = window.ids["Dona Rosa"]
    context.hub.requestAccount.emit(rosa)
    page = window._account_page
    qtbot.waitUntil(lambda: page.account_id == rosa)
    # A stranger on hotmail would match nothing: dropped on Dona Rosa's page, it is hers.
    mail_file = write_eml(
        tmp_path / "pedido.eml",
        message(
            "fulano@hotmail.com",
            ME,
            "Pedido da Rosa",
            datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
            message_id="r@1",
        ),
    )
    meeting_file = write_ics(
        tmp_path / "visita.ics",
        [
            event(
                "visita-1",
                "Visita à loja",
                datetime(2026, 11, 3, 15, 0, tzinfo=SP),
                45,
                [("rosa@gmail.com", "Rosa")],
            )
        ],
    )
    enter, _mime = drop_event(mail_file, enter=True)
    page.dragEnterEvent(enter)
    assert enter.isAccepted()
    csv = tmp_path / "contas.csv"
    csv.write_text("Nome\nAcme\n")
    enter_csv, _mime2 = drop_event(csv, enter=True)
    page.dragEnterEvent(enter_csv)
    assert not enter_csv.isAccepted()  # left to the window's import wizard
    box = write_mbox(
        tmp_path / "caixa.mbox", [message(ME, "x@acme.com.br", "x", datetime(2026, 11, 1, tzinfo=UTC))]
    )
    enter_box, _mime5 = drop_event(box, enter=True)
    page.dragEnterEvent(enter_box)
    assert not enter_box.isAccepted()  # a whole mailbox goes to the window's preview

    # One drop, two files: both logged (each its own undo step).
    drop, _mime3 = drop_event(mail_file, meeting_file)
    with qtbot.waitSignals([context.hub.importFinished, context.hub.importFinished], timeout=10000):
        page.dropEvent(drop)
    assert titles(context.db, rosa) == ["Pedido da Rosa", "Visita à loja"]
    context.undo_stack.undo()
    context.undo_stack.undo()
    assert titles(context.db, rosa) == []
    context.undo_stack.clear()
    # One after the other, so the undo steps have a known order.
    for path in (mail_file, meeting_file):
        drop, _mime3 = drop_event(path)
        with qtbot.waitSignal(context.hub.importFinished, timeout=10000):
            page.dropEvent(drop)
    assert titles(context.db, rosa) == ["Pedido da Rosa", "Visita à loja"]
    assert "logged" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: page.timeline_tab.isVisible())

    # Dropping the same file again changes nothing.
    drop_again, _mime4 = drop_event(mail_file)
    page.dropEvent(drop_again)
    qtbot.waitUntil(lambda: len(page.drop_logger.results) == 5, timeout=10000)
    assert page.drop_logger.results[-1].unchanged == 1
    assert titles(context.db, rosa) == ["Pedido da Rosa", "Visita à loja"]

    context.undo_stack.undo()
    assert titles(context.db, rosa) == ["Pedido da Rosa"]
    context.undo_stack.undo()
    assert titles(context.db, rosa) == []
    context.undo_stack.redo()
    assert titles(context.db, rosa) == ["Pedido da Rosa"]


def test_a_mailbox_dropped_on_the_window_previews_assigns_imports_and_undoes(qtbot, window, tmp_path):
    from ui.importing.touches import TouchImportDialog

    context = window.context
    day = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    path = write_mbox(
        tmp_path / "caixa.mbox",
        [
            message("Ana <ana@acme.com.br>", ME, "Contrato", day, message_id="1@m"),
            message("Beto <beto@acme.com.br>", ME, "Treinamento", day + timedelta(hours=1), message_id="2@m"),
            message("Maria <maria@gmail.com>", ME, "Pergunta", day + timedelta(hours=2), message_id="3@m"),
            b"garbage, not a message\n\n",
        ],
    )
    drop, _mime = drop_event(path)
    window.dropEvent(drop)
    dialog = window.touch_import
    assert isinstance(dialog, TouchImportDialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert "2 to log" in dialog.summary.text() and "1 matched no account" in dialog.summary.text()
    assert dialog.logged_model.rowCount() == 2
    assert dialog.unmatched_model.rowCount() == 1 and dialog.unmatched_view.isVisibleTo(dialog)
    assert "message 4" in dialog.problems.toPlainText()
    assert dialog.add_contacts.isVisibleTo(dialog) and "beto@acme.com.br" in dialog.add_contacts.text()
    assert titles(context.db, window.ids["Acme"]) == []  # the preview wrote nothing
    dialog.grab().save(str(tmp_path / "preview.png"))

    # Assign Maria's message to Dona Rosa, add Beto as a contact, import.
    dialog.unmatched_view.selectRow(0)
    dialog.account_combo.setCurrentIndex(dialog.account_combo.findText("Dona Rosa"))
    qtbot.mouseClick(dialog.assign_button, Qt.MouseButton.LeftButton)
    assert dialog.unmatched_model.rows[0][3] == "Dona Rosa"
    dialog.add_contacts.setChecked(True)
    with qtbot.waitSignal(dialog.imported, timeout=10000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result.created == 3 and dialog.result.contacts_created == 1
    assert titles(context.db, window.ids["Acme"]) == ["Contrato", "Treinamento"]
    assert titles(context.db, window.ids["Dona Rosa"]) == ["Pergunta"]
    assert dialog.undo_button.isVisible()

    with qtbot.waitSignal(context.hub.accountsChanged, timeout=10000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert titles(context.db, window.ids["Acme"]) == []
    assert titles(context.db, window.ids["Dona Rosa"]) == []
    assert "undone" in dialog.summary.text()
    dialog.close()


def test_a_csv_dropped_on_the_window_still_opens_the_wizard(qtbot, window, tmp_path):
    from ui.importing.wizard import ImportWizard

    csv = tmp_path / "contas.csv"
    csv.write_text("Nome;Domínio\nAcme;acme.com.br\n", encoding="utf-8")
    drop, _mime = drop_event(csv)
    window.dropEvent(drop)
    assert isinstance(window.import_wizard, ImportWizard)
    window.import_wizard.close()


def test_a_mail_file_chosen_in_the_import_wizard_opens_the_mail_preview(qtbot, window, tmp_path):
    from ui.importing.touches import TouchImportDialog

    path = write_eml(
        tmp_path / "a.eml",
        message("ana@acme.com.br", ME, "Oi", datetime(2026, 11, 2, 10, 0, tzinfo=UTC), message_id="w@1"),
    )
    window.context.hub.requestImport.emit("")
    wizard = window.import_wizard
    wizard.load_file(str(path))
    dialog = wizard.touch_import
    assert isinstance(dialog, TouchImportDialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert dialog.preview.created == 1
    dialog.close()
