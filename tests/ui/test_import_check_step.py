"""The wizard's check step lists the accounts to create, to update (before → after) and the rejected rows."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import i18n, importing
from csdesk.importing import preview
from tests.importing.test_dry_run_lists import BASE, FIRST, book, modified_copy
from ui.importing.wizard import ImportWizard


@pytest.fixture
def imported(context):
    importing.run_import(context.db, importing.prepare(BASE), as_of=date(2026, 11, 25))
    return context


def to_check_step(qtbot, context, path) -> ImportWizard:
    wizard = ImportWizard(context)
    qtbot.addWidget(wizard)
    wizard.load_file(str(path))
    qtbot.waitUntil(lambda: wizard.step == "preview", timeout=10000)
    wizard.go_next()
    wizard.go_next()
    qtbot.waitUntil(lambda: wizard.step == "dry_run", timeout=10000)
    return wizard


def rows(model) -> list[list[str]]:
    return [
        [model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())
    ]


def test_check_step_lists_what_will_change(qtbot, qtmodeltester, imported, tmp_path):
    i18n.set_language("pt_BR")
    path, bad_row = modified_copy(tmp_path)
    before = book(imported.db)
    wizard = to_check_step(qtbot, imported, path)
    for model in (wizard.create_model, wizard.update_model, wizard.rejects_model):
        qtmodeltester.check(model)
    tabs = wizard.check_tabs
    assert [tabs.tabText(i) for i in range(3)] == ["A criar (1)", "A atualizar (1)", "Rejeitadas (1)"]
    assert tabs.isVisibleTo(wizard) and tabs.currentIndex() == 0
    created = rows(wizard.create_model)
    assert created == [
        [
            str(bad_row - 1),
            "Nova Conta 00 Ltda",
            "R$ 2.000,00",
            "Médio contato",
            "Onboarding",
            "Ativa",
            "Ana Souza",
            "01/10/2027",
        ]
    ]
    assert rows(wizard.update_model) == [
        [FIRST, "MRR: R$ 890,68 → R$ 1.500,00; Etapa: Adoção contínua → Onboarding"]
    ]
    assert rows(wizard.rejects_model) == [
        [str(bad_row), "Mensalidade", "dez reais", '"dez reais" não é um número.']
    ]
    assert not any(label.isVisibleTo(wizard) for label in wizard.more_labels.values())
    assert book(imported.db) == before  # the check wrote nothing


def test_truncated_lists_say_how_many_more(qtbot, imported, tmp_path, monkeypatch):
    i18n.set_language("pt_BR")
    monkeypatch.setattr(preview, "PREVIEW_LIMIT", 2)
    path, _ = modified_copy(tmp_path, new_accounts=5)
    wizard = to_check_step(qtbot, imported, path)
    assert wizard.check_tabs.tabText(0) == "A criar (5)"
    assert wizard.create_model.rowCount() == 2
    more = wizard.more_labels["create"]
    assert more.isVisibleTo(wizard) and more.text() == "… e mais 3"


def test_other_kinds_show_only_their_rejected_rows(qtbot, imported, tmp_path):
    path = tmp_path / "contatos.csv"
    path.write_text(
        f"Conta;Nome do contato;E-mail\n{FIRST};Maria;maria@x.com.br\nNinguém Conhecido;João;joao@y.com.br\n",
        encoding="utf-8",
    )
    wizard = to_check_step(qtbot, imported, path)
    assert wizard.prepared.kind == "contacts"
    tabs = wizard.check_tabs
    assert [tabs.isTabVisible(i) for i in range(3)] == [False, False, True]
    assert wizard.rejects_model.rowCount() == wizard.dry_result.rejected == 1
