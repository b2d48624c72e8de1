"""The import wizard drives every sample from file to result; history undoes; drops open it."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from sqlalchemy import func, select

from csdesk import importing
from db.models import Account, Measure, RevenueChange, SurveyResponse, TimelineEvent
from tests.importing.conftest import SAMPLES
from ui.importing.runs import ImportHistoryDialog
from ui.importing.wizard import ImportWizard


def run_wizard(qtbot, context, path, *, configure=None) -> ImportWizard:
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(path))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    if configure:
        configure(wizard)
    wizard.go_next()
    assert wizard.step == "mapping"
    assert wizard.next_button.isEnabled()
    wizard.go_next()
    qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)
    assert wizard.import_button.isEnabled()
    with qtbot.waitSignal(context.hub.importFinished, timeout=20000):
        wizard.start_import()
    qtbot.waitUntil(lambda: wizard.step == "result", timeout=10000)
    return wizard


def scalar(db, query):
    with db.session() as s:
        return s.scalar(query)


@pytest.fixture
def with_book(context):
    importing.run_import(context.db, importing.prepare(SAMPLES / "planilha_carteira_pt-BR.csv"))


def test_planilha_through_the_wizard(qtbot, qtmodeltester, context):
    wizard = run_wizard(qtbot, context, SAMPLES / "planilha_carteira_pt-BR.csv")
    qtmodeltester.check(wizard.preview_model)
    qtmodeltester.check(wizard.rejects_model)
    assert wizard.kind_combo.currentData() == "accounts"
    assert wizard.source_combo.currentData() == "spreadsheet"
    assert wizard.result.created == 40
    db = context.db
    assert scalar(db, select(Account.mrr_cents).where(Account.name == "Açougue Conceição ME")) == 185047
    assert (
        scalar(db, select(Account.churn_reason).where(Account.name == "Instituto Bela Vista Ltda."))
        == "price"
    )


@pytest.mark.parametrize(
    ("name", "kind", "check"),
    [
        (
            "salesforce_accounts_report.csv",
            "accounts",
            select(Account.status).where(Account.name == "Laboratório Cerrado EIRELI"),
        ),
        (
            "hubspot_companies_pt-BR.csv",
            "accounts",
            select(Account.mrr_cents).where(Account.name == "Hotel Pitanga"),
        ),
        (
            "pipedrive_negocios_pt-BR.csv",
            "deals",
            select(func.count()).select_from(TimelineEvent).where(TimelineEvent.subkind == "deal_won"),
        ),
        (
            "pipedrive_atividades_pt-BR.csv",
            "activities",
            select(func.count()).select_from(TimelineEvent).where(TimelineEvent.kind == "meeting"),
        ),
        ("nps_respostas.csv", "surveys", select(func.count()).select_from(SurveyResponse)),
        ("uso_semanal.csv", "usage", select(func.count()).select_from(Measure)),
        (
            "historico_mrr.csv",
            "mrr",
            select(RevenueChange.mrr_after_cents).where(RevenueChange.kind == "expansion"),
        ),
    ],
)
def test_every_sample_through_the_wizard(qtbot, context, with_book, name, kind, check):
    wizard = run_wizard(qtbot, context, SAMPLES / name)
    assert wizard.prepared.kind == kind
    assert wizard.result.rejected == 0 and (wizard.result.created or wizard.result.updated)
    expected = {
        "salesforce_accounts_report.csv": "churned",
        "hubspot_companies_pt-BR.csv": 89018,
        "nps_respostas.csv": 60,
        "uso_semanal.csv": 960,
    }
    value = scalar(context.db, check)
    if name in expected:
        assert value == expected[name]
    else:
        assert value


def test_rejected_rows_report_and_correcting_the_kind(qtbot, context, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text(
        "Cliente;Mensalidade;Status\r\nAcme;R$ 10,00;Ativo\r\nBeta;dez;Ativo\r\n", encoding="cp1252"
    )
    wizard = run_wizard(qtbot, context, path)
    assert (wizard.result.created, wizard.result.rejected) == (1, 1)
    assert wizard.report_path is not None and wizard.report_path.is_file()
    report = wizard.report_path.read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "row;column;value;reason" and report[1].startswith("3;Mensalidade;dez;")
    assert not wizard.open_report_button.isHidden()


def test_ambiguous_dates_are_asked(qtbot, context, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text("Cliente,Mensalidade,Início do contrato\nAcme,100,04/06/2024\n")
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(path))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    wizard.go_next()
    assert not wizard.date_box.isHidden() and not wizard.next_button.isEnabled()
    wizard.mdy_radio.setChecked(True)
    assert wizard.next_button.isEnabled()
    wizard.go_next()
    qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)
    with qtbot.waitSignal(context.hub.importFinished, timeout=10000):
        wizard.start_import()
    assert scalar(context.db, select(Account.contract_start)) == date(2024, 4, 6)


def test_mapping_edit_and_preset_offered_next_time(qtbot, context, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text("Empresa,Faixa,Receita anual\nAcme,A,900000\n")

    def remap(wizard):
        wizard.go_next()
        combo = wizard.mapping_combos[1]
        combo.setCurrentIndex(combo.findData("tier"))
        wizard.keep_unmapped.setChecked(True)
        wizard.preset_name.setText("Minha planilha")
        wizard.save_preset()
        wizard.go_back()

    run_wizard(qtbot, context, path, configure=remap)
    with context.db.session() as s:
        acme = s.scalars(select(Account)).one()
    assert acme.tier == "A" and acme.custom_fields == {"Receita anual": "900000"} and acme.mrr_cents == 0
    path.write_text("Empresa,Faixa,Receita anual\nAcme,B,900000\n")
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(path))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    assert wizard.prepared.preset == "Minha planilha"
    assert wizard.prepared.mapping == {0: "name", 1: "tier"}


def test_cancel_leaves_the_database_as_it_was(qtbot, context, tmp_path):
    lines = ["Cliente;Mensalidade"] + [f"Empresa {i};R$ {i},00" for i in range(3000)]
    path = tmp_path / "grande.csv"
    path.write_text("\r\n".join(lines), encoding="cp1252")
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(path))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    wizard.go_next()
    wizard.go_next()
    qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)
    wizard.start_import()
    wizard.cancel()  # before the worker got far: its next progress step raises Cancelled
    qtbot.waitUntil(lambda: not wizard.job.running, timeout=20000)
    if wizard.result is None:
        assert wizard.step == "dry_run"
        assert scalar(context.db, select(func.count()).select_from(Account)) == 0


def test_history_undo_through_the_hub(qtbot, qtmodeltester, context):
    run_wizard(qtbot, context, SAMPLES / "planilha_carteira_pt-BR.csv")
    dialog = ImportHistoryDialog(context)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    assert dialog.undo_button.isEnabled()
    dialog.undo_selected()
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible(), timeout=10000)
    assert "removes 40 account(s)" in dialog.confirm.summary.text()
    with qtbot.waitSignal(context.hub.accountsChanged, timeout=10000):
        qtbot.mouseClick(dialog.confirm.undo_button, Qt.MouseButton.LeftButton)
    assert scalar(context.db, select(func.count()).select_from(Account)) == 0
    assert dialog.model.runs[0].status == "undone" and not dialog.undo_button.isEnabled()


def test_main_window_opens_the_wizard_on_request_and_drop(qtbot, context):
    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    assert window.import_action.text()
    context.hub.requestImport.emit("")
    assert isinstance(window.import_wizard, ImportWizard)
    window.import_wizard.close()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(SAMPLES / "uso_semanal.csv"))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    wizard = window.import_wizard
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    assert wizard.prepared.kind == "usage"
    wizard.close()


def test_a_step_without_a_share_shows_a_busy_bar(qtbot, context):
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard._on_progress(0, 0, "Finishing…")  # the commit or the checkpoint: one database call
    assert wizard.progress_bar.maximum() == 0
    assert wizard.progress_message.text() == "Finishing…"
    wizard._on_progress(1, 2, "Writing…")
    assert (wizard.progress_bar.maximum(), wizard.progress_bar.value()) == (1000, 500)


def test_cancel_is_disabled_once_the_import_is_committed(qtbot, context):
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(SAMPLES / "planilha_carteira_pt-BR.csv"))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    wizard.go_next()
    wizard.go_next()
    qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)
    seen: list[tuple[str, bool]] = []
    report = wizard._on_progress

    def recording(done: int, total: int, message: str) -> None:
        report(done, total, message)
        seen.append((message, wizard.cancel_button.isEnabled()))

    wizard._on_progress = recording
    with qtbot.waitSignal(context.hub.importFinished, timeout=20000):
        wizard.start_import()
    states = dict(seen)
    assert states["Saving…"] is True  # the last moment a cancel still rolls back
    assert states["Saved."] is False and states["Finishing…"] is False


def test_counts_are_written_as_the_ui_language_writes_numbers(qtbot, context, tmp_path):
    from csdesk import i18n

    i18n.set_language("pt_BR")
    path = tmp_path / "carteira.csv"
    rows = [f"Cliente {i:04d} Ltda;R$ {100 + i},00" for i in range(1234)]
    path.write_text("Nome;MRR\n" + "\n".join(rows) + "\n", encoding="utf-8")
    wizard = run_wizard(qtbot, context, path)
    assert "Criados <b>1.234</b>" in wizard.result_summary.text()
    assert "<b>1.234</b>" in wizard.dry_summary.text()
