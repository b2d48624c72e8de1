"""Exports: CSV and XLSX of the visible rows, with formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from csdesk.book import BookFilter, load_book, visible_rows
from csdesk.exporting import (
    DATE,
    INT,
    MONEY,
    TEXT,
    ExportColumn,
    export_book,
    neutralize,
    write_csv,
    write_xlsx,
)
from tests.support.book_data import make_book

EVIL = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "fine"]


def evil_columns():
    return [
        ExportColumn("Name", TEXT, EVIL),
        ExportColumn("MRR", MONEY, [Decimal("-12.50"), Decimal("1234.56"), None, 0, 1, 2, 3]),
        ExportColumn("When", DATE, [date(2026, 11, 25)] * 7),
        ExportColumn("Days", INT, [-5, 0, 1, None, 3, 4, 5]),
    ]


def test_neutralize():
    assert [neutralize(v) for v in EVIL] == ["'" + v for v in EVIL[:-1]] + ["fine"]
    assert [neutralize(v) for v in (-12.5, -3, Decimal("-1.5"), None, date(2026, 1, 1))] == [
        -12.5,
        -3,
        Decimal("-1.5"),
        None,
        date(2026, 1, 1),
    ]


def test_csv_pt_br_uses_semicolons_bom_and_decimal_commas(tmp_path):
    path = tmp_path / "out.csv"
    assert write_csv(path, evil_columns(), "pt_BR") == 7
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["Name", "MRR", "When", "Days"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in EVIL[:-1]] + ["fine"]
    assert rows[1][1:] == ["-12,50", "25/11/2026", "-5"]  # real numbers stay numbers


def test_csv_english_uses_commas(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, evil_columns(), "en")
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[2] == "'+1+1,1234.56,2026-11-25,0"


def test_xlsx_keeps_numbers_and_dates_and_stores_formula_text_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    columns = evil_columns()
    columns[0] = ExportColumn("=Name", TEXT, EVIL)
    write_xlsx(path, columns, "pt_BR")
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["=Name", "MRR", "When", "Days"]
    assert sheet["A1"].data_type == "s" and sheet["A1"].font.b
    # As typed, no visible quote, but text cells: never run (Excel's hidden quote prefix set).
    assert [sheet.cell(row, 1).value for row in range(2, 9)] == EVIL
    assert {sheet.cell(row, 1).data_type for row in range(2, 9)} == {"s"}
    assert all(sheet.cell(row, 1).quotePrefix for row in range(2, 8))
    assert not sheet["A8"].quotePrefix  # "fine" needs nothing
    assert sheet["B2"].value == -12.5 and sheet["B2"].data_type == "n"
    assert "R$" in sheet["B2"].number_format
    assert sheet["C2"].value.date() == date(2026, 11, 25) and sheet["C2"].is_date
    assert sheet["D2"].value == -5 and sheet["D2"].data_type == "n"


def test_xlsx_has_no_formula_anywhere(tmp_path):
    """What Excel reads: no <f> element, the text as an inline string."""
    import zipfile

    path = tmp_path / "out.xlsx"
    write_xlsx(path, evil_columns(), "en")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "<t>=HYPERLINK(&quot;http://x&quot;)</t>" in xml or '<t>=HYPERLINK("http://x")</t>' in xml


def test_cli_accounts_csv_neutralises_formulas(db, db_path, capsys):
    from cli.main import main
    from csdesk.accounts import AccountData, create_account

    names = ['=HYPERLINK("http://x","clique")', "@SUM(A1)", "-1+2", "+x"]
    for name in names:
        create_account(db, AccountData(name=name, owner="=cmd|' /C calc'!A0", mrr_cents=123456))
    create_account(db, AccountData(name="Padaria", external_id="\tX", source="hubspot"))
    create_account(db, AccountData(name="Hotel", external_id="\rY", source="hubspot"))

    assert main(["--db", str(db_path), "accounts", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["name"] for r in rows if r["name"].startswith("'")) == sorted("'" + n for n in names)
    assert {r["owner"] for r in rows if r["owner"]} == {"'=cmd|' /C calc'!A0"}
    assert {r["external_id"] for r in rows if r["external_id"]} == {"'\rY", "'\tX"}
    assert {r["mrr"] for r in rows if r["name"].startswith("'")} == {"1234.56"}  # numbers untouched


def test_rejected_rows_report_neutralises_formulas(db, tmp_path):
    from csdesk import importing

    path = tmp_path / "contas.csv"
    path.write_text(
        'Cliente;Mensalidade;Status\nAcme;R$ 10,00;Ativo\nBeta;=HYPERLINK("http://x");Ativo\n'
        "Gama;-1+2;Ativo\nDelta;@SUM(A1);Ativo\n",
        encoding="utf-8",
    )
    result = importing.run_import(db, importing.prepare(path), accept_rejects=True)
    assert result.rejected == 3
    report = tmp_path / "rejeitadas.csv"
    importing.write_rejects_csv(report, result.errors)
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert [r[2] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'-1+2", "'@SUM(A1)"]
    assert [r[0] for r in rows[1:]] == ["3", "4", "5"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_book_writes_visible_rows_in_order(db, tmp_path, suffix):
    make_book(db)
    book = load_book(db)
    rows = visible_rows(book, BookFilter(search="padaria", status="all"), "mrr", descending=True)
    path = tmp_path / f"book.{suffix}"
    assert export_book(path, book, rows, ["name", "mrr", "renewal", "health"], "en") == 2
    if suffix == "csv":
        lines = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    else:
        lines = [[c.value for c in r] for r in openpyxl.load_workbook(path).active.iter_rows()]
    assert lines[0] == [
        "Account",
        "CNPJ",
        "Domain",
        "MRR",
        "Renewal date",
        "Days to renewal",
        "Health score",
        "Health band",
    ]
    assert [line[0] for line in lines[1:]] == ["Padaria Pitanga Ltda", "Padaria do Zé"]
    assert lines[1][7] == "Healthy"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_book_always_identifies_each_account_by_cnpj_and_domain(db, tmp_path, suffix):
    """CNPJ and domain are hidden in the table by default; the export has them anyway, once."""
    make_book(db)
    book = load_book(db)
    rows = visible_rows(book, BookFilter(search="padaria", status="all"), "name")
    path = tmp_path / f"book.{suffix}"
    export_book(path, book, rows, ["mrr", "domain", "name", "owner"], "pt_BR")
    if suffix == "csv":
        lines = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    else:
        lines = [[c.value for c in r] for r in openpyxl.load_workbook(path).active.iter_rows()]
    assert lines[0] == ["Conta", "CNPJ", "Domínio", "MRR", "Responsável"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name["Padaria Pitanga Ltda"][1:3] == ["11.222.333/0001-81", "pitanga.com.br"]
    assert by_name["Padaria do Zé"][1] in ("", None) and by_name["Padaria do Zé"][2] == "padariaze.com.br"
