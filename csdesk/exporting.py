"""Exporting tables to CSV and XLSX that spreadsheets open safely.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be run as a formula by Excel or LibreOffice (CSV injection).
:func:`neutralize` is the one rule every CSV and XLSX writer of CSDesk applies
to its cells (this module's, the command line's CSV, the import's rejected-rows
report): in CSV such text gets the conventional leading single quote; in XLSX it
is stored as a text cell (with Excel's hidden quote prefix), shown as typed.
Real numbers are written as numbers (a negative MRR change stays a number) and
are never touched.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from csdesk import formatting, i18n, vocab
from csdesk.book import Book
from csdesk.currency import DEFAULT_BASE
from csdesk.i18n import tr
from csdesk.rules.cnpj import format_cnpj

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Column kinds: how a value is written.
TEXT, MONEY, DATE, INT, FLOAT = "text", "money", "date", "int", "float"


def neutralize(value: Any, sheet: Any = None) -> Any:
    """``value`` made safe for a spreadsheet cell; anything but text is returned as it is.

    Without ``sheet`` (CSV): text a spreadsheet would run as a formula gets a leading
    quote. With an openpyxl ``sheet`` (XLSX): such text comes back as a cell of that
    sheet holding it as a string (data type ``s``, quote prefix set), never a formula;
    other values come back unchanged for ``sheet.append``.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if sheet is None:
        return "'" + value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl took "=..." for a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


@dataclass(frozen=True)
class ExportColumn:
    header: str
    kind: str
    values: Sequence[Any]


def csv_delimiter(language: str) -> str:
    """``;`` for pt-BR: Excel in Portuguese uses the comma as decimal separator."""
    return ";" if language == "pt_BR" else ","


def _csv_cell(value: Any, kind: str, language: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    decimal_sep = "," if language == "pt_BR" else "."
    if kind == MONEY:
        return f"{Decimal(value):.2f}".replace(".", decimal_sep)
    if kind == FLOAT:
        return f"{float(value):.1f}".replace(".", decimal_sep)
    if kind == INT:
        return str(int(value))
    if kind == DATE:
        day = value.date() if isinstance(value, datetime) else value
        return formatting.day(day, "pt_BR") if language == "pt_BR" else day.isoformat()
    return neutralize(str(value))


def write_csv(path: str | Path, columns: Sequence[ExportColumn], language: str | None = None) -> int:
    """Write ``columns`` as CSV (UTF-8 with BOM so Excel reads the accents); returns the row count."""
    language = language or i18n.current_language()
    count = len(columns[0].values) if columns else 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=csv_delimiter(language))
        writer.writerow([neutralize(c.header) for c in columns])
        for i in range(count):
            writer.writerow([_csv_cell(c.values[i], c.kind, language) for c in columns])
    return count


def _xlsx_formats(language: str, currency: str | None) -> dict[str, str]:
    symbol = formatting._symbol(currency, language) if currency else None
    return {
        # Amounts of several currencies: bare numbers, with a Currency column beside them.
        MONEY: f'"{symbol}" #,##0.00;-"{symbol}" #,##0.00' if symbol else "#,##0.00",
        DATE: "dd/mm/yyyy" if language == "pt_BR" else "yyyy-mm-dd",
        INT: "0",
        FLOAT: "0.0",
    }


def _xlsx_cell(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == MONEY:
        return float(Decimal(value))  # a spreadsheet number; cents are exact in a double
    if kind == FLOAT:
        return float(value)
    if kind == INT:
        return int(value)
    if kind == DATE:
        return value.date() if isinstance(value, datetime) else value
    return str(value)


def write_xlsx(
    path: str | Path,
    columns: Sequence[ExportColumn],
    language: str | None = None,
    *,
    sheet_title: str | None = None,
    currency: str | None = "BRL",
) -> int:
    """Write ``columns`` as an XLSX sheet with real numbers and dates; returns the row count."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    language = language or i18n.current_language()
    formats = _xlsx_formats(language, currency)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or tr("Accounts"))[:31])
    count = len(columns[0].values) if columns else 0
    for index, column in enumerate(columns, start=1):
        width = 14 if column.kind != TEXT else min(45, max(12, len(column.header) + 2))
        if column.kind == TEXT and count:
            longest = max((len(str(v)) for v in column.values[:500] if v is not None), default=0)
            width = min(45, max(width, longest + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    from openpyxl.cell import Cell, WriteOnlyCell

    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = neutralize(column.header, sheet)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(sheet, value=cell)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for i in range(count):
        row = []
        for column in columns:
            value = _xlsx_cell(column.values[i], column.kind)
            if column.kind in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column.kind]
                row.append(cell)
            else:
                row.append(neutralize(value, sheet))
        sheet.append(row)
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    workbook.save(path)
    return count


# The book's columns as exported ------------------------------------------------

# Table column key -> English headers; some table columns export as two
# spreadsheet columns (a date and its day count) so both can be sorted there.
BOOK_EXPORT_HEADERS = {
    "name": ("Account",),
    "cnpj": ("CNPJ",),
    "domain": ("Domain",),
    "segment": ("Segment",),
    "stage": ("Stage",),
    "status": ("Status",),
    "mrr": ("MRR",),
    "arr": ("ARR",),
    "renewal": ("Renewal date", "Days to renewal"),
    "health": ("Health score", "Health band"),
    "last_touch": ("Last touch", "Days since last touch"),
    "nps": ("Last NPS",),
    "owner": ("Owner",),
    "plan": ("Success plan",),
}
STATUS_LABELS = {"active": "Active", "churned": "Churned"}
# Who each row is, whatever the table shows: a spreadsheet row without its CNPJ and
# domain cannot be matched back to the CRM (both columns are hidden by default).
IDENTITY_KEYS = ("name", "cnpj", "domain")


def export_keys(keys: Sequence[str]) -> list[str]:
    """The table's visible column ``keys`` with the account's name, CNPJ and domain leading."""
    rest = [k for k in keys if k not in IDENTITY_KEYS]
    return list(IDENTITY_KEYS) + rest


def _labels(values: np.ndarray, labels: dict[str, str], language: str) -> list[str | None]:
    cache: dict[Any, str | None] = {}
    out = []
    for value in values:
        if value not in cache:
            cache[value] = i18n.label(labels, value, language) if isinstance(value, str) else None
        out.append(cache[value])
    return out


def _optional(values: np.ndarray, cast) -> list[Any]:
    return [None if v is None or v != v else cast(v) for v in values]  # v != v: NaN / NaT


class _RowsView:
    """``view[name]``: the book's column ``name`` at ``rows`` only (picked on first use)."""

    def __init__(self, book: Book, rows: np.ndarray) -> None:
        self._book, self._rows = book, rows

    def __getitem__(self, name: str) -> np.ndarray:
        return self._book.column(name)[self._rows]


def _currencies(book: Book, rows: np.ndarray) -> list[str]:
    return [code or DEFAULT_BASE for code in book.column("currency")[rows].tolist()]


def book_columns(
    book: Book, rows: np.ndarray, keys: Sequence[str], language: str | None = None
) -> list[ExportColumn]:
    """The visible ``rows`` of the book, with the table's visible column ``keys``, ready to write.

    Name, CNPJ and domain always come first (:func:`export_keys`).
    """
    language = language or i18n.current_language()
    f = _RowsView(book, rows)

    def headers(key: str) -> list[str]:
        return [tr(h, language) for h in BOOK_EXPORT_HEADERS[key]]

    out: list[ExportColumn] = []
    codes = _currencies(book, rows)
    for key in export_keys(keys):
        if key not in BOOK_EXPORT_HEADERS:
            continue
        h = headers(key)
        if key == "name":
            out.append(ExportColumn(h[0], TEXT, f["name"].tolist()))
        elif key == "cnpj":
            out.append(ExportColumn(h[0], TEXT, [format_cnpj(v) if v else None for v in f["cnpj"]]))
        elif key in ("domain", "owner"):
            out.append(ExportColumn(h[0], TEXT, _optional(f[key], str)))
        elif key == "segment":
            out.append(ExportColumn(h[0], TEXT, _labels(f["segment"], vocab.SEGMENT_LABELS, language)))
        elif key == "stage":
            out.append(ExportColumn(h[0], TEXT, _labels(f["stage"], vocab.STAGE_LABELS, language)))
        elif key == "status":
            out.append(ExportColumn(h[0], TEXT, _labels(f["status"], STATUS_LABELS, language)))
        elif key in ("mrr", "arr"):
            cents = f["mrr_cents" if key == "mrr" else "arr_cents"].tolist()
            out.append(ExportColumn(h[0], MONEY, [Decimal(c) / 100 for c in cents]))
            if len(set(codes)) > 1 and not any(c.header == tr("Currency", language) for c in out):
                out.append(ExportColumn(tr("Currency", language), TEXT, codes))  # never US$ read as R$
        elif key == "renewal":
            out.append(ExportColumn(h[0], DATE, _optional(f["renewal_date"], _to_date)))
            out.append(ExportColumn(h[1], INT, _optional(f["renewal_days"], int)))
        elif key == "health":
            out.append(ExportColumn(h[0], FLOAT, _optional(f["health_score"], float)))
            out.append(
                ExportColumn(h[1], TEXT, _labels(f["health_band"], vocab.HEALTH_BAND_LABELS, language))
            )
        elif key == "last_touch":
            out.append(ExportColumn(h[0], DATE, _optional(f["last_touch_at"], _to_date)))
            out.append(ExportColumn(h[1], INT, _optional(f["touch_days"], int)))
        elif key == "nps":
            out.append(ExportColumn(h[0], INT, _optional(f["last_nps"], int)))
        elif key == "plan":
            out.append(
                ExportColumn(h[0], TEXT, _labels(f["plan_status"], vocab.PLAN_STATUS_LABELS, language))
            )
    return out


def _to_date(value: Any) -> date:
    return np.datetime64(value, "D").astype(date)


def export_book(
    path: str | Path, book: Book, rows: np.ndarray, keys: Sequence[str], language: str | None = None
) -> int:
    """Export the visible rows to ``path``; the format follows its suffix (.csv or .xlsx)."""
    columns = book_columns(book, rows, keys, language)
    if str(path).lower().endswith(".xlsx"):
        codes = set(_currencies(book, rows))
        # One currency: its symbol on the amounts; several: plain numbers beside a Currency column.
        currency = codes.pop() if len(codes) == 1 else None if codes else book.currency
        return write_xlsx(path, columns, language, currency=currency)
    return write_csv(path, columns, language)
