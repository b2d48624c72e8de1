"""Exports: CSV and XLSX of the visible rows, with formulas neutralised."""

from __future__ import annotations

import csv
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


def test_xlsx_keeps_numbers_and_dates_and_neutralises_text(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, evil_columns(), "pt_BR")
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["Name", "MRR", "When", "Days"]
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -12.5 and sheet["B2"].data_type == "n"
    assert "R$" in sheet["B2"].number_format
    assert sheet["C2"].value.date() == date(2026, 11, 25) and sheet["C2"].is_date
    assert sheet["D2"].value == -5


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
    assert lines[0] == ["Account", "MRR", "Renewal date", "Days to renewal", "Health score", "Health band"]
    assert [line[0] for line in lines[1:]] == ["Padaria Pitanga Ltda", "Padaria do Zé"]
    assert lines[1][5] == "Healthy"
