"""Success plan tab, Templates page and one-click documents, driven as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from pptx import Presentation
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from csdesk import clock, demo, formatting, plans, templates
from csdesk.accounts import get_account
from tests.documents.conftest import TODAY, seed_account


@pytest.fixture
def seeded(db):
    demo.generate(db, accounts=4, seed=5, today=TODAY)
    seed_account(db, 1, [70, 75, 82, 85])
    return 1


def test_plan_tab_shows_and_edits_the_plan(qtbot, qtmodeltester, context, seeded):
    from ui.plans.tab import SuccessPlanTab

    tab = SuccessPlanTab(context)
    qtbot.addWidget(tab)
    tab.set_account(seeded)
    assert tab.plan is not None and tab.milestones.rowCount() == 6
    for model in (tab.milestones, tab.outcomes, tab.criteria):
        qtmodeltester.check(model)
    assert tab.outcomes.index(0, 0).data() == "Fechar o caixa em 1 dia"
    status = next(i for i, f in enumerate(tab.milestones.fields) if f.key == "status")
    with qtbot.waitSignal(context.hub.plansChanged):
        assert tab.milestones.setData(tab.milestones.index(2, status), "done")
    stored = plans.current_plan(context.db, seeded)
    assert stored.milestones[2].status == "done" and stored.milestones[2].progress == 100
    due = next(i for i, f in enumerate(tab.milestones.fields) if f.key == "due_date")
    assert not tab.milestones.setData(tab.milestones.index(0, due), "31/02/2026")
    assert tab.error_label.text()
    tab.add_item("milestones")
    assert tab.milestones.rowCount() == 7
    tab.milestone_view.setCurrentIndex(tab.milestones.index(6, 0))
    tab.remove_item("milestones", tab.milestone_view)
    assert tab.milestones.rowCount() == 6


def test_plan_tab_starts_a_get_well_plan(qtbot, context, seeded):
    from ui.plans.tab import SuccessPlanTab

    tab = SuccessPlanTab(context)
    qtbot.addWidget(tab)
    tab.set_account(2)
    assert tab.plan is None and not tab.empty.isHidden()
    tab.start_plan("get_well")
    assert tab.plan.kind == "get_well" and tab.root_cause.isVisibleTo(tab)
    assert plans.plan_status_by_account(context.db)[2] in ("on_track", "late")


def test_templates_page_duplicates_edits_and_previews(qtbot, qtmodeltester, context, seeded):
    from ui.templates.page import TemplatesPage

    page = TemplatesPage(context)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == len(templates.KINDS) * 2
    assert page.current.builtin and page.editor.isReadOnly()
    qtbot.waitUntil(lambda: "Padaria Pitanga" in page.preview_text(), timeout=5000)  # sample data
    page.duplicate()
    assert not page.current.builtin and not page.editor.isReadOnly()
    page.editor.setPlainText("# Olá {{ account.name }}\n## Seção\n- MRR {{ account.mrr_cents|money }}\n")
    page.render_preview()  # rendered in the background
    qtbot.waitUntil(lambda: "Olá Padaria Pitanga" in page.preview_text(), timeout=5000)
    assert "R$ 1.234,56" in page.preview_text()
    # A real account: its data is read in the background, then the preview follows.
    qtbot.waitUntil(lambda: page.account_combo.count() > 1, timeout=5000)
    page.account_combo.setCurrentIndex(page.account_combo.findData(seeded))
    account = get_account(context.db, seeded)
    qtbot.waitUntil(lambda: account.name in page.preview_text(), timeout=5000)
    page.editor.setPlainText("ok\n{{ ''.__class__.__mro__ }}")
    page.render_preview()
    qtbot.waitUntil(lambda: "__class__" in page.error_label.text(), timeout=5000)
    assert "2" in page.error_label.text()
    page.editor.setPlainText("# Minha\n")
    page.name_edit.setText("Minha RTS")
    page.save()
    assert templates.find_template(context.db, page.current.kind, page.current.language, "Minha RTS")


def test_one_click_qbr_deck_from_the_book_menu_actions(qtbot, context, seeded, tmp_path, monkeypatch):
    from ui.documents.actions import DocumentActions
    from ui.plans.tab import SuccessPlanTab

    target = tmp_path / "deck.pptx"
    monkeypatch.setattr(DocumentActions, "ask_save_path", staticmethod(lambda *args: str(target)))
    tab = SuccessPlanTab(context)
    qtbot.addWidget(tab)
    tab.set_account(seeded)
    actions = tab.documents
    with qtbot.waitSignal(actions.generated, timeout=30000) as blocker:
        actions.qbr_action.trigger()
    assert blocker.args[0].path == target and target.exists()
    account = get_account(context.db, seeded)
    texts = "\n".join(
        shape.text_frame.text
        for slide in Presentation(str(target)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert formatting.money(account.mrr_cents, "BRL", "en") in texts  # the UI language of the tests
    assert actions.last_box is not None
    actions.last_box.close()
    with qtbot.waitSignal(actions.emailCopied, timeout=10000):
        actions.email_action.trigger()
    assert QGuiApplication.clipboard().text().startswith("Subject:")


def test_save_dialog_proposes_a_good_file_name(qtbot, context, seeded, monkeypatch):
    from ui.documents.actions import DocumentActions
    from ui.plans.tab import SuccessPlanTab

    asked: list[str] = []
    monkeypatch.setattr(
        DocumentActions, "ask_save_path", staticmethod(lambda p, t, s, f: asked.append(s) or "")
    )
    tab = SuccessPlanTab(context)
    qtbot.addWidget(tab)
    tab.set_account(seeded)
    tab.documents.qbr_action.trigger()
    name = Path(asked[0]).name
    assert (
        name.startswith("QBR - ")
        and name.endswith(".pptx")
        and get_account(context.db, seeded).name[:10] in name
    )


def test_main_window_has_the_templates_page(qtbot, context):
    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    assert "templates" in window.pages
    window.show_page("templates")
    assert window.stack.currentWidget() is window.pages["templates"]
    _ = Qt


def test_book_shows_plan_status(qtbot, qtmodeltester, context, seeded):
    from datetime import timedelta

    from csdesk.book import load_book
    from ui.book.model import COLUMNS, BookModel

    model = BookModel()
    model.set_book(load_book(context.db))
    column = next(i for i, c in enumerate(COLUMNS) if c.key == "plan")
    assert model.index(model.row_of(3), column).data() == ""  # no plan yet
    plans.save_plan(
        context.db,
        plans.PlanData(
            3, "Late plan", milestones=(plans.MilestoneData("x", due_date=clock.today() - timedelta(5)),)
        ),
    )
    model.set_book(load_book(context.db))
    qtmodeltester.check(model)
    assert model.index(model.row_of(3), column).data() == "Late"
    model.set_sort("plan")
    assert model.index(0, column).data() == "Late"  # the late ones first


def test_account_page_has_the_plan_tab_and_a_qbr_button(qtbot, context, seeded, tmp_path, monkeypatch):
    from ui.account.page import AccountPage
    from ui.documents.actions import DocumentActions
    from ui.plans.tab import SuccessPlanTab

    target = tmp_path / "qbr.pptx"
    monkeypatch.setattr(DocumentActions, "ask_save_path", staticmethod(lambda *args: str(target)))
    page = AccountPage(context)
    qtbot.addWidget(page)
    page.set_account(seeded)
    assert isinstance(page.plan_tab, SuccessPlanTab) and page.plan_tab.plan is not None
    with qtbot.waitSignal(page.documents.generated, timeout=30000):
        page.qbr_button.click()
    assert target.exists()
    page.documents.last_box.close()
