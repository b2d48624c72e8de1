"""The import wizard waits for another CSDesk that is writing: it says so, and Cancel still works."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Account
from tests.importing.conftest import SAMPLES
from tests.support.servers import WriteLockHolder
from ui.importing.wizard import ImportWizard

WAITING = "Waiting for another CSDesk…"


def accounts(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Account))


def test_the_wizard_waits_for_another_writer_then_imports_or_cancels(qtbot, context):
    holder = WriteLockHolder(context.db.sqlite_path or context.db.url)  # another CSDesk mid-write
    try:
        wizard = ImportWizard(context)
        qtbot.addWidget(wizard)
        wizard.load_file(str(SAMPLES / "planilha_carteira_pt-BR.csv"))
        qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
        wizard.go_next()
        wizard.go_next()
        qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)  # a dry run does not wait

        wizard.start_import()
        qtbot.waitUntil(lambda: wizard.progress_message.text() == WAITING, timeout=10000)
        assert wizard.progress_bar.maximum() == 0 and wizard.cancel_button.isEnabled()
        wizard.cancel()
        qtbot.waitUntil(lambda: not wizard.job.running, timeout=10000)
        assert wizard.step == "dry_run" and wizard.result is None
        assert accounts(context.db) == 0

        wizard.start_import()
        qtbot.waitUntil(lambda: wizard.progress_message.text() == WAITING, timeout=10000)
        holder.release()  # the other CSDesk is done
        qtbot.waitUntil(lambda: wizard.step == "result", timeout=20000)
    finally:
        holder.close()
    assert wizard.result.created == 40
    assert accounts(context.db) == 40
