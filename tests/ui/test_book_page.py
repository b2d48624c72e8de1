"""The book of business window, driven through its real widgets."""

from __future__ import annotations

import csv
from datetime import date

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from csdesk import accounts, formatting, i18n
from csdesk.book import BookFilter, compute_kpis, load_book, visible_rows
from tests.support.book_data import ROWS, make_book
from ui.book import page as page_module
from ui.book.dialogs import AccountDialog, ContactsModel
from ui.book.model import COLUMNS, AccountIdRole, BookModel, SortRole
from ui.book.page import BookPage


def col(key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.key == key)


def shown_names(page: BookPage) -> list[str]:
    model = page.model
    return [model.index(r, col("name")).data() for r in range(model.rowCount())]


@pytest.fixture
def ids(db):
    return make_book(db)


@pytest.fixture
def page(qtbot, context, ids):
    widget = BookPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.loaded, timeout=5000)
    return widget


def wait_reload(qtbot, page):
    with qtbot.waitSignal(page.bookLoaded, timeout=5000):
        pass


def test_models_pass_the_model_tester(qtmodeltester, page):
    qtmodeltester.check(page.model)
    qtmodeltester.check(BookModel())
    qtmodeltester.check(ContactsModel([accounts.ContactData(account_id=1, name="Ana", is_primary=True)]))


def test_table_shows_active_accounts_by_default(page):
    assert page.stack.currentWidget() is page.content
    assert len(shown_names(page)) == 5
    assert "Padaria do Zé" not in shown_names(page)


def test_search_as_you_type(qtbot, page):
    qtbot.keyClicks(page.search, "pad")
    assert shown_names(page) == ["Padaria Pitanga Ltda"]
    page.search.clear()
    qtbot.keyClicks(page.search, "11.222.333/0001-81")
    assert shown_names(page) == ["Padaria Pitanga Ltda"]
    page.search.clear()
    qtbot.keyClicks(page.search, "SAO JOAO")
    assert shown_names(page) == ["Açougue São João"]
    page.search.setText("carla")
    assert sorted(shown_names(page)) == ["Construtora Horizonte", "Ótica Visão Clara"]


def choose(combo, value):
    combo.setCurrentIndex(combo.findData(value))


def test_each_filter(page):
    choose(page.status_filter, "churned")
    assert shown_names(page) == ["Padaria do Zé"]
    choose(page.status_filter, "all")
    assert len(shown_names(page)) == 6
    choose(page.status_filter, "active")
    choose(page.segment_filter, "high_touch")
    assert shown_names(page) == ["Padaria Pitanga Ltda"]
    page.clear_filters()
    choose(page.stage_filter, "renewal")
    assert shown_names(page) == ["Café Paraíso S/A"]
    page.clear_filters()
    choose(page.band_filter, "yellow,red")
    assert sorted(shown_names(page)) == ["Açougue São João", "Café Paraíso S/A", "Construtora Horizonte"]
    choose(page.band_filter, "none")
    assert shown_names(page) == ["Ótica Visão Clara"]
    page.clear_filters()
    choose(page.renewal_filter, 90)
    assert sorted(shown_names(page)) == ["Café Paraíso S/A", "Padaria Pitanga Ltda"]
    page.clear_filters()
    choose(page.touch_filter, 30)
    assert sorted(shown_names(page)) == ["Açougue São João", "Café Paraíso S/A", "Ótica Visão Clara"]
    assert page.empty_label.isHidden()
    page.search.setText("zzz")
    assert shown_names(page) == [] and not page.empty_label.isHidden()


def test_sort_by_mrr_via_the_header(page):
    page.table.sortByColumn(col("mrr"), Qt.SortOrder.DescendingOrder)
    values = [page.model.index(r, col("mrr")).data(SortRole) for r in range(page.model.rowCount())]
    assert values == sorted(values, reverse=True)
    page.table.sortByColumn(col("mrr"), Qt.SortOrder.AscendingOrder)
    values = [page.model.index(r, col("mrr")).data(SortRole) for r in range(page.model.rowCount())]
    assert values == sorted(values)
    page.table.sortByColumn(col("health"), Qt.SortOrder.AscendingOrder)
    assert shown_names(page)[-1] == "Ótica Visão Clara"  # no score: last


def test_kpis_follow_the_filter(page, db):
    choose(page.band_filter, "yellow,red")
    rows = [r for r in ROWS if r[5] == "active" and r[9] in ("yellow", "red")]
    mrr = sum(r[6] for r in rows)
    cards = page.kpis.cards
    assert cards["accounts"].value.text() == str(len(rows))
    assert cards["mrr"].value.text() == formatting.compact_money(mrr)
    assert cards["arr"].value.text() == formatting.compact_money(mrr * 12)
    assert cards["at_risk"].value.text() == formatting.compact_money(mrr)
    renewals = [r for r in rows if r[7] is not None and 0 <= r[7] <= 90]
    assert cards["renewals"].value.text() == str(len(renewals))
    average = sum(r[8] for r in rows) / len(rows)
    assert cards["health"].value.text() == formatting.number(average, 0)
    book = load_book(db)
    assert page.model.kpis() == compute_kpis(
        book, visible_rows(book, BookFilter(bands=frozenset({"yellow", "red"})))
    )


def fill_and_accept(dialog: AccountDialog, **fields):
    for name, value in fields.items():
        getattr(dialog, name).setText(value)
    dialog.accept()
    return dialog.result() == QDialog.DialogCode.Accepted


def test_invalid_cnpj_is_explained_beside_the_field_and_nothing_is_written(qtbot, db):
    before = len(accounts.list_accounts(db))
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    assert not fill_and_accept(dialog, name="Nova Conta", cnpj="12.345.678/0001-00", mrr="1.234,56")
    assert not dialog.boxes["cnpj"].error.isHidden()
    assert "CNPJ" in dialog.boxes["cnpj"].error.text()
    assert dialog.boxes["name"].error.isHidden()
    assert len(accounts.list_accounts(db)) == before


def test_money_and_date_fields_explain_bad_input(qtbot):
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    assert not fill_and_accept(dialog, name="X", mrr="12,34,5", renewal_date="31/02/2027")
    assert not dialog.boxes["mrr_cents"].error.isHidden()
    assert not dialog.boxes["renewal_date"].error.isHidden()


def patch_dialog(monkeypatch, **fields):
    """Make AccountDialog.exec() type ``fields`` and press Save."""

    def exec_(self):
        return QDialog.DialogCode.Accepted if fill_and_accept(self, **fields) else QDialog.DialogCode.Rejected

    monkeypatch.setattr(AccountDialog, "exec", exec_)


def test_create_edit_undo_redo(qtbot, monkeypatch, page, context, db):
    patch_dialog(monkeypatch, name="Mercado Bom Preço", mrr="1,234.56", renewal_date="15/03/2027")
    page.new_account()
    wait_reload(qtbot, page)
    created = next(a for a in accounts.list_accounts(db) if a.name == "Mercado Bom Preço")
    assert created.mrr_cents == 123456 and created.renewal_date == date(2027, 3, 15)
    assert page.current_account_id() == created.id

    patch_dialog(monkeypatch, mrr="2,000.00", owner="Ana Souza")
    page.edit_account(created.id)
    wait_reload(qtbot, page)
    assert accounts.get_account(db, created.id).mrr_cents == 200000
    context.undo_stack.undo()
    assert accounts.get_account(db, created.id).mrr_cents == 123456
    context.undo_stack.redo()
    assert accounts.get_account(db, created.id).owner == "Ana Souza"
    context.undo_stack.undo()
    context.undo_stack.undo()  # the creation
    assert all(a.name != "Mercado Bom Preço" for a in accounts.list_accounts(db))
    context.undo_stack.redo()
    assert accounts.get_account(db, created.id).name == "Mercado Bom Preço"


def test_edit_contacts_in_the_dialog_is_one_undo_step(qtbot, context, db, ids):
    account_id = ids["Café Paraíso S/A"]
    page = BookPage(context)
    qtbot.addWidget(page)
    summary = accounts.get_account(db, account_id)
    contacts = accounts.list_contacts(db, account_id)
    dialog = AccountDialog(page_module._account_data(summary), contacts)
    qtbot.addWidget(dialog)
    new = accounts.ContactData(account_id=account_id, name="Rita Alves", role="sponsor", is_primary=True)
    dialog.contacts_model.set_contacts([*contacts, new])
    dialog.contacts_view.selectRow(0)
    dialog._remove_contact()
    assert fill_and_accept(dialog)
    edit = dialog.result_edit()
    from ui.book.commands import EditAccountCommand

    context.undo_stack.push(
        EditAccountCommand(
            context,
            page_module._account_data(summary),
            edit.data,
            contacts,
            edit.contacts,
            edit.removed,
            page.report,
        )
    )
    assert [c.name for c in accounts.list_contacts(db, account_id)] == ["Rita Alves"]
    context.undo_stack.undo()
    assert [c.name for c in accounts.list_contacts(db, account_id)] == [contacts[0].name]
    context.undo_stack.redo()
    assert [(c.name, c.role) for c in accounts.list_contacts(db, account_id)] == [("Rita Alves", "sponsor")]


def test_delete_asks_then_undo_restores_account_with_contacts(qtbot, monkeypatch, page, context, db, ids):
    account_id = ids["Café Paraíso S/A"]
    assert page.select_account(account_id)
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args, **kw: asked.append(args[2]) or QMessageBox.StandardButton.Yes
    )
    page.table.setFocus()
    page.delete_action.trigger()
    assert asked and "Café Paraíso S/A" in asked[0]
    wait_reload(qtbot, page)
    assert "Café Paraíso S/A" not in shown_names(page)
    context.undo_stack.undo()
    wait_reload(qtbot, page)
    assert "Café Paraíso S/A" in shown_names(page)
    assert len(accounts.list_contacts(db, account_id)) == 1
    assert accounts.get_account(db, account_id).health_band == "red"
    context.undo_stack.redo()
    wait_reload(qtbot, page)
    assert "Café Paraíso S/A" not in shown_names(page)


def test_delete_cancelled_changes_nothing(monkeypatch, page, db, ids):
    page.select_account(ids["Café Paraíso S/A"])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    page.delete_selected()
    assert accounts.get_account(db, ids["Café Paraíso S/A"])


def test_export_visible_rows_csv_and_xlsx(qtbot, page, db, tmp_path):
    with db.session() as session, session.begin():
        from db.models import Account

        session.get(Account, 1).name = "=cmd|' /C calc'!A0"
    page.reload()
    wait_reload(qtbot, page)
    page.set_filter(BookFilter(status="all"))
    page.table.sortByColumn(col("mrr"), Qt.SortOrder.DescendingOrder)
    page.set_column_visible("arr", False)
    csv_path, xlsx_path = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for path in (csv_path, xlsx_path):
        with qtbot.waitSignal(page.exportFinished, timeout=5000):
            page.export_to(str(path))
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    # Book → Export: the account's CNPJ and domain come along although the table hides them.
    assert page.table.horizontalHeader().isSectionHidden(col("cnpj"))
    assert lines[0][:5] == ["Account", "CNPJ", "Domain", "Segment", "Stage"]
    assert lines[1][:3] == ["Café Paraíso S/A", "", "cafeparaiso.com"]
    assert "11.222.333/0001-81" in [line[1] for line in lines]
    assert "ARR" not in lines[0]
    assert len(lines) == 7
    assert lines[1][0] == "Café Paraíso S/A"  # highest MRR first
    assert "'=cmd|' /C calc'!A0" in [line[0] for line in lines]
    sheet = openpyxl.load_workbook(xlsx_path).active
    header = [c.value for c in sheet[1]]
    mrr_column = header.index("MRR")
    assert sheet.cell(row=2, column=mrr_column + 1).value == 9900.0
    cells = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    evil = next(c for c in cells if c.value == "=cmd|' /C calc'!A0")  # as typed, as text:
    assert evil.data_type == "s" and evil.quotePrefix  # never a formula


def test_saved_view_roundtrip(page):
    page.set_filter(BookFilter(search="padaria", status="all"))
    page.table.sortByColumn(col("mrr"), Qt.SortOrder.DescendingOrder)
    page.set_column_visible("nps", False)
    page.save_view("Padarias")
    page.reset_view()
    assert page.model.filter == BookFilter()
    assert "nps" in page.visible_column_keys()
    assert page.load_view("Padarias")
    assert page.model.filter == BookFilter(search="padaria", status="all")
    assert shown_names(page) == ["Padaria Pitanga Ltda", "Padaria do Zé"]
    assert page.model.sort_key == "mrr" and page.model.descending
    assert "nps" not in page.visible_column_keys()
    assert page.search.text() == "padaria"
    page.delete_view("Padarias")
    assert page.saved_views() == {}


def test_column_chooser_and_state_survive_a_restart(qtbot, page, context):
    menu = page.column_menu()
    cnpj = next(a for a in menu.actions() if a.text() == "CNPJ")
    assert not cnpj.isChecked()
    cnpj.setChecked(True)
    assert "cnpj" in page.visible_column_keys()
    owner = next(a for a in menu.actions() if a.text() == "Owner")
    owner.setChecked(False)
    page.table.sortByColumn(col("renewal"), Qt.SortOrder.AscendingOrder)
    choose(page.segment_filter, "mid_touch")
    page.save_state()
    again = BookPage(context)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.loaded, timeout=5000)
    assert "cnpj" in again.visible_column_keys() and "owner" not in again.visible_column_keys()
    assert again.model.sort_key == "renewal"
    assert again.segment_filter.currentData() == "mid_touch"
    assert shown_names(again) == ["Açougue São João", "Construtora Horizonte"]


def test_enter_and_double_click_request_the_account(qtbot, page, context, ids):
    page.select_account(ids["Padaria Pitanga Ltda"])
    with qtbot.waitSignal(context.hub.requestAccount, timeout=1000) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert blocker.args == [ids["Padaria Pitanga Ltda"]]
    index = page.model.index(page.model.row_of(ids["Padaria Pitanga Ltda"]), 0)
    assert index.data(AccountIdRole) == ids["Padaria Pitanga Ltda"]


def test_pt_br_headers_and_money(qtbot, context, ids):
    i18n.set_language("pt_BR")
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    headers = [page.model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))]
    assert headers[:2] == ["Conta", "Segmento"]
    assert headers[2] == "Etapa"
    assert "Responsável" in headers
    row = page.model.row_of(ids["Padaria Pitanga Ltda"])
    assert page.model.index(row, col("mrr")).data() == "R$ 1.234,56"
    assert page.model.index(row, col("renewal")).data().endswith("· 30 d")
    assert page.kpis.cards["accounts"].caption.text() == "Contas"
    assert page.search.placeholderText().startswith("Buscar")


def test_english_money(page, ids):
    row = page.model.row_of(ids["Padaria Pitanga Ltda"])
    assert page.model.index(row, col("mrr")).data() == "R$1,234.56"
    assert page.model.index(row, col("last_touch")).data() == "3 d ago"


def test_welcome_screen_on_an_empty_database(qtbot, monkeypatch, context, db):
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    assert page.stack.currentWidget() is page.welcome
    with qtbot.waitSignal(context.hub.requestImport, timeout=1000) as blocker:
        page.welcome.import_button.click()
    assert blocker.args == [""]
    patch_dialog(monkeypatch, name="Primeiro Cliente Ltda")
    page.welcome.add_button.click()
    wait_reload(qtbot, page)
    assert page.stack.currentWidget() is page.content
    assert shown_names(page) == ["Primeiro Cliente Ltda"]


def test_demo_data_from_the_welcome_screen(qtbot, context, db, monkeypatch):
    monkeypatch.setattr(page_module, "DEMO_ACCOUNTS", 12)
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    page.welcome.demo_button.click()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.content, timeout=20000)
    assert page.model.rowCount() > 0


def test_big_totals_are_shortened_with_the_exact_figure_in_the_tooltip(qtbot):
    from csdesk.book import Kpis
    from ui.book.widgets import KpiHeader

    header = KpiHeader()
    qtbot.addWidget(header)
    mrr = 14_908_318_550
    header.show_kpis(Kpis(50_000, 45_183, mrr, 0, 0, 11_098, 3_645_281_300, None, 0))
    assert header.cards["arr"].value.text() == "R$1.79B"
    assert header.cards["arr"].toolTip() == formatting.money(mrr * 12)
    assert header.cards["accounts"].toolTip() == ""
