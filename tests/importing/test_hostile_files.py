"""Hostile or huge files are refused quickly, before they are parsed, with a clear message;
the book is left as it was. Every hostile file is generated here (small on disk).

"Before parsing" is made checkable: the tests that must be refused from the zip's
directory replace openpyxl's ``load_workbook`` with a function that fails the test, and
a pipe or a device would block or read forever (the suite's timeout) if it were read.
"""

from __future__ import annotations

import os
import random
import string
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk import forms, importing, limits
from csdesk.errors import UserError
from csdesk.importing import values as V
from db.models import Account, ImportRun
from tests.importing.conftest import AS_OF

SEED_CSV = "Cliente;Mensalidade;Status\r\nAcme Ltda;R$ 1.000,00;Ativo\r\nBeta SA;R$ 2.000,00;Ativo\r\n"


# Generated workbooks --------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Contas" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(ref: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{_escape(value)}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def accounts_rows(names: list[str], first: int = 2) -> list[str]:
    """The header (row 1) and one row per name: Cliente, Mensalidade (in reais)."""
    rows = [row(1, cell("A1", "Cliente"), cell("B1", "Mensalidade"))]
    for offset, name in enumerate(names):
        n = first + offset
        rows.append(row(n, cell(f"A{n}", name), cell(f"B{n}", 100 * (offset + 1))))
    return rows


def write_xlsx(
    path: Path,
    rows,
    *,
    shared_strings=(),
    dimension: str | None = None,
    level: int = 9,
) -> Path:
    """A minimal workbook written part by part, streamed (a big part never sits in memory).

    ``rows`` and ``shared_strings`` are iterables of XML text pieces.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for piece in shared_strings:
                part.write(piece.encode() if isinstance(piece, str) else piece)
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_HEAD.encode())
            if dimension:
                part.write(f'<dimension ref="{dimension}"/>'.encode())
            part.write(b"<sheetData>")
            for piece in rows:
                part.write(piece.encode() if isinstance(piece, str) else piece)
            part.write(b"</sheetData></worksheet>")
    return path


def random_text(length: int, seed: int = 3) -> str:
    """Letters a compressor cannot shrink much: a long cell that is not also a zip bomb."""
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + " ", k=length))


# Helpers ------------------------------------------------------------------------


@pytest.fixture
def book(cli, tmp_path):
    """A book holding two accounts (imported from a CSV); returns a snapshot function."""
    seed = tmp_path / "seed.csv"
    seed.write_text(SEED_CSV, encoding="utf-8")
    code, _, err = cli("import", str(seed), "--as-of", AS_OF, "--yes")
    assert code == 0, err
    return seed


def snapshot(db) -> tuple:
    with db.session() as s:
        accounts = s.execute(select(Account.name, Account.mrr_cents).order_by(Account.id)).all()
        runs = s.scalar(select(func.count()).select_from(ImportRun))
    return tuple(map(tuple, accounts)), runs


def refused_by_cli(cli, path: Path, *expected: str) -> str:
    """``csdesk import FILE`` exits 2 with one line naming the file and saying ``expected``."""
    code, out, err = cli("import", str(path), "--as-of", AS_OF, "--yes")
    assert code == 2, (out, err)
    line = err.strip()
    assert "\n" not in line, line
    assert path.name in line, line
    for words in expected:
        assert words in line, line
    return line


def refused_by_service(db, path: Path, *expected: str) -> str:
    with pytest.raises(UserError) as caught:
        prepared = importing.prepare(path, db=db)
        importing.run_import(db, prepared, as_of=None, accept_rejects=True)
    message = str(caught.value)
    for words in expected:
        assert words in message, message
    return message


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Opening a workbook with openpyxl fails the test: the refusal must come before it."""
    import openpyxl

    def forbidden(*args, **kwargs):
        raise AssertionError("the workbook was opened: it should have been refused from its zip directory")

    monkeypatch.setattr(openpyxl, "load_workbook", forbidden)


# Workbooks refused from their zip directory ----------------------------------------


def test_tiny_workbook_with_a_64_mb_cell_is_refused_before_it_is_opened(cli, db, book, tmp_path, no_openpyxl):
    huge = (b"A" * 2**20 for _ in range(64))  # one cell of 64 MB, streamed into the zip
    rows = [
        row(1, cell("A1", "Cliente"), cell("B1", "Mensalidade")),
        '<row r="2"><c r="A2" t="inlineStr"><is><t>',
        *huge,
        "</t></is></c>" + cell("B2", 100) + "</row>",
    ]
    path = write_xlsx(tmp_path / "conta_gigante.xlsx", rows)
    assert path.stat().st_size < 1_000_000  # the whole point: tiny on disk
    before = snapshot(db)
    refused_by_cli(cli, path, "zip bomb", "xl/worksheets/sheet1.xml")
    refused_by_service(db, path, "zip bomb")
    assert snapshot(db) == before


def test_shared_strings_zip_bomb_is_refused_before_it_is_opened(cli, db, book, tmp_path, no_openpyxl):
    bomb = ["<si><t>", *(b"B" * 2**20 for _ in range(200)), "</t></si>"]  # 200 MB of text, packed
    path = write_xlsx(
        tmp_path / "bomba.xlsx",
        [row(1, cell("A1", "Cliente"), cell("B1", "Mensalidade"))],
        shared_strings=bomb,
        level=1,
    )
    assert path.stat().st_size < 2_000_000
    before = snapshot(db)
    refused_by_cli(cli, path, "zip bomb", "sharedStrings.xml")
    assert snapshot(db) == before


def test_a_shared_strings_table_over_its_limit_is_refused(cli, db, book, tmp_path, monkeypatch, no_openpyxl):
    # Incompressible text, so it is the size limit (not the ratio) that refuses it.
    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS_BYTES", 2**20)
    texts = [f"<si><t>{random_text(1000, seed=i)}</t></si>" for i in range(1500)]
    path = write_xlsx(
        tmp_path / "textos.xlsx",
        [row(1, cell("A1", "Cliente"), cell("B1", "Mensalidade"))],
        shared_strings=texts,
    )
    before = snapshot(db)
    refused_by_cli(cli, path, "table of texts", "MB")
    assert snapshot(db) == before


def test_a_workbook_unpacking_to_more_than_the_limit_is_refused(
    cli, db, book, tmp_path, monkeypatch, no_openpyxl
):
    monkeypatch.setattr(limits, "MAX_XLSX_UNPACKED_BYTES", 2**20)
    rows = accounts_rows([random_text(300, seed=i) for i in range(4000)])
    path = write_xlsx(tmp_path / "grande.xlsx", rows)
    before = snapshot(db)
    refused_by_cli(cli, path, "unpacks to", "MB")
    assert snapshot(db) == before


def test_a_zip_with_too_many_parts_is_refused(cli, db, book, tmp_path, no_openpyxl):
    path = tmp_path / "partes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(limits.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x/{i}", b"")
    before = snapshot(db)
    refused_by_cli(cli, path, "parts", "zip bomb")
    assert snapshot(db) == before


# Workbooks refused while read: rows and columns ------------------------------------


def test_a_sheet_with_more_rows_than_excel_is_refused(cli, db, book, tmp_path, no_openpyxl):
    # Two rows on disk; the second one says it is row 1,048,577 (the reader would fill the gap).
    rows = [*accounts_rows(["Gama"]), row(limits.MAX_ROWS + 1, cell(f"A{limits.MAX_ROWS + 1}", "Delta"))]
    path = write_xlsx(tmp_path / "linhas.xlsx", rows)
    before = snapshot(db)
    refused_by_cli(cli, path, "xl/worksheets/sheet1.xml", "1,048,576 rows")
    assert snapshot(db) == before


def test_rows_out_of_order_are_counted_while_read(cli, db, book, tmp_path):
    # The last row tag says row 4, so the count before parsing lets it through; the reader
    # fills the gap up to row 1,048,577 with empty rows, and the count while reading stops it.
    far = limits.MAX_ROWS + 1
    rows = [*accounts_rows(["Gama"]), row(far, cell(f"A{far}", "Delta")), row(4, cell("A4", "Eta"))]
    path = write_xlsx(tmp_path / "desordem.xlsx", rows)
    before = snapshot(db)
    refused_by_cli(cli, path, 'sheet "Contas"', "1,048,576 rows")
    assert snapshot(db) == before


def test_a_lying_dimension_neither_pads_rows_nor_hides_them(db, tmp_path):
    # Declares 3 million rows and 16,384 columns; holds three rows. Read as what it holds.
    path = write_xlsx(tmp_path / "dimensao.xlsx", accounts_rows(["Gama", "Delta"]), dimension="A1:XFD3000000")
    table = importing.read_table(path)
    assert table.rows == [["Gama", "100"], ["Delta", "200"]]
    # And a dimension smaller than the sheet hides nothing.
    path = write_xlsx(
        tmp_path / "pequena.xlsx", accounts_rows(["Gama", "Delta", "Epsilon"]), dimension="A1:B2"
    )
    assert [r[0] for r in importing.read_table(path).rows] == ["Gama", "Delta", "Epsilon"]


def test_a_cell_beyond_excels_last_column_is_refused(cli, db, book, tmp_path):
    rows = [*accounts_rows(["Gama"]), row(3, cell("A3", "Delta"), cell("XFE3", "longe"))]  # XFE = 16,385
    path = write_xlsx(tmp_path / "colunas.xlsx", rows)
    before = snapshot(db)
    refused_by_cli(cli, path, 'sheet "Contas", row 3', "16,384")
    assert snapshot(db) == before


def test_cells_padded_far_to_the_right_are_counted(cli, db, book, tmp_path, monkeypatch):
    # Each row's one cell at column XFD makes 16,384 cells of it: the cell limit stops the read.
    monkeypatch.setattr(limits, "MAX_CELLS", 100_000)
    rows = [*accounts_rows(["Gama"]), *(row(n, cell(f"XFD{n}", "x")) for n in range(3, 20))]
    path = write_xlsx(tmp_path / "direita.xlsx", rows)
    refused_by_cli(cli, path, "more than 100,000 cells")


# Not files ----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(30)
def test_a_fifo_is_refused_without_waiting_for_a_writer(cli, db, book, tmp_path):
    path = tmp_path / "contas.csv"
    os.mkfifo(path)
    before = snapshot(db)
    refused_by_cli(cli, path, "not a regular file")
    refused_by_service(db, path, "not a regular file")
    assert snapshot(db) == before


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.timeout(30)
def test_dev_zero_is_refused_without_reading(cli, db, book):
    before = snapshot(db)
    code, _, err = cli("import", "/dev/zero", "--as-of", AS_OF, "--yes")
    assert code == 2 and "not a regular file" in err and "\n" not in err.strip(), err
    refused_by_service(db, Path("/dev/zero"), "not a regular file")
    assert snapshot(db) == before


def test_a_mapping_file_that_is_a_fifo_is_refused(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "mapa.json"
    os.mkfifo(path)
    with pytest.raises(UserError, match="not a regular file"):
        importing.load_mapping_file(path)


def test_a_file_over_the_size_limit_is_refused_from_its_size(cli, db, book, tmp_path):
    path = tmp_path / "enorme.csv"
    with path.open("wb") as handle:  # sparse: no disk used, and reading it would say "binary"
        handle.truncate(limits.MAX_FILE_BYTES + 1)
    before = snapshot(db)
    refused_by_cli(cli, path, "256.1 MB, more than the 256 MB", "Split it")
    assert snapshot(db) == before


# Over-long cells reject their row ---------------------------------------------------


@pytest.mark.parametrize("length", [limits.MAX_CELL_CHARS + 1, 200_000], ids=["just-over", "over-csv-module"])
def test_an_over_long_csv_cell_rejects_its_row_only(cli, db, book, tmp_path, length):
    path = tmp_path / "longa.csv"
    path.write_text(
        "Cliente;Mensalidade;Status\r\n"
        "Gama;R$ 10,00;Ativo\r\n"
        f"{'N' * length};R$ 20,00;Ativo\r\n"
        "Delta;R$ 30,00;Ativo\r\n",
        encoding="utf-8",
    )
    before = snapshot(db)
    # Without --yes: the dry run names the row, column and reason; nothing is written.
    code, data, err = cli("import", str(path), "--as-of", AS_OF, "--format", "json")
    assert code == 2 and data["rejected"] == 1, err
    (error,) = data["errors"]
    assert (error["row"], error["column"]) == (3, "Cliente")
    assert f"{length:,} characters" in error["message"] and "32,767" in error["message"]
    assert len(error["value"]) < 100
    assert snapshot(db) == before
    # With --yes the other rows go in, and no cell longer than the limit reaches the book.
    code, data, err = cli("import", str(path), "--as-of", AS_OF, "--format", "json", "--yes")
    assert code == 0 and (data["created"], data["rejected"]) == (2, 1), err
    names = [name for name, _ in snapshot(db)[0]]
    assert "Gama" in names and "Delta" in names
    assert max(map(len, names)) <= limits.MAX_CELL_CHARS


def test_an_over_long_xlsx_cell_rejects_its_row_in_the_dry_run(db, book, tmp_path):
    rows = accounts_rows(["Gama", random_text(limits.MAX_CELL_CHARS + 10), "Delta"])
    path = write_xlsx(tmp_path / "longa.xlsx", rows)
    before = snapshot(db)
    prepared = importing.prepare(path, db=db)
    result = importing.run_import(db, prepared, dry_run=True)
    assert (result.created, result.rejected) == (2, 1)
    (error,) = result.errors
    assert (error.row, error.column) == (3, "Cliente")
    assert "32,777 characters" in error.message
    assert snapshot(db) == before


def test_an_over_long_header_refuses_the_file(cli, db, book, tmp_path):
    path = tmp_path / "cabecalho.csv"
    path.write_text(f"Cliente;{'M' * (limits.MAX_CELL_CHARS + 1)}\r\nGama;10\r\n", encoding="utf-8")
    refused_by_cli(cli, path, "row 1, column B", "32,768 characters")


def test_reading_cuts_long_cells_and_keeps_others(tmp_path):
    path = tmp_path / "t.csv"
    long = "x" * (limits.MAX_CELL_CHARS + 5)
    path.write_text(f"a,b\n1,{long}\n2,ok\n", encoding="utf-8")
    table = importing.read_table(path)
    assert table.long_cells == {0: (1, limits.MAX_CELL_CHARS + 5)}
    assert len(table.rows[0][1]) == limits.MAX_CELL_CHARS and table.rows[1] == ["2", "ok"]


def test_a_csv_with_more_rows_than_excel_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 6000)  # the check runs per 5,000 records read
    path = tmp_path / "linhas.csv"
    path.write_text(
        "Cliente;Mensalidade\r\n" + "".join(f"C{i};{i}\r\n" for i in range(6000)), encoding="utf-8"
    )
    refused_by_cli(cli, path, "the file has more than 6,000 rows")


# Amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    ["1" + "0" * 30, "R$ 10.000.000.000,01", "R$ 99.999.999.999.999,00", "9" * 5000 + ",00"],
    ids=["10^30", "one-cent-over", "fast-shape", "5000-digits"],
)
def test_an_amount_beyond_the_limit_rejects_its_row(cli, db, book, tmp_path, amount):
    path = tmp_path / "mrr.csv"
    path.write_text(
        f"Cliente;Mensalidade;Status\r\nGama;R$ 10,00;Ativo\r\nDelta;{amount};Ativo\r\n"
        "Epsilon;R$ 10.000.000.000,00;Ativo\r\n",
        encoding="utf-8",
    )
    before = snapshot(db)
    code, data, err = cli("import", str(path), "--as-of", AS_OF, "--format", "json")
    assert code == 2 and data["rejected"] == 1, err
    (error,) = data["errors"]
    assert (error["row"], error["column"]) == (3, "Mensalidade")
    assert "largest amount accepted" in error["message"]
    assert snapshot(db) == before
    code, data, err = cli("import", str(path), "--as-of", AS_OF, "--format", "json", "--yes")
    assert code == 0 and (data["created"], data["rejected"]) == (2, 1), err
    mrrs = dict(snapshot(db)[0])
    assert mrrs["Epsilon"] == limits.MAX_AMOUNT_CENTS  # the limit itself is accepted


def test_a_million_accounts_at_the_limit_sum_within_int64():
    assert 1_048_576 * limits.MAX_AMOUNT_CENTS < 2**63 - 1


def test_counts_and_measures_are_bounded():
    with pytest.raises(V.ValueProblem, match="largest number"):
        V.parse_number("9" * 400)  # float() would make it infinite
    with pytest.raises(V.ValueProblem, match="largest number"):
        V.parse_int("1" + "0" * 30)
    assert V.parse_int("1.000", "comma") == 1000


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_the_form_refuses_an_amount_beyond_the_limit(language):
    most = forms.format_money_input(limits.MAX_AMOUNT_CENTS, language)
    assert forms.parse_money(most, language) == limits.MAX_AMOUNT_CENTS
    assert forms.parse_money("-" + most, language) == -limits.MAX_AMOUNT_CENTS
    for typed in ("1" + "0" * 30, "10000000000" + (",01" if language == "pt_BR" else ".01")):
        with pytest.raises(forms.InputError, match="largest amount"):
            forms.parse_money(typed, language)


# The largest workbook: accepted -----------------------------------------------------


def test_a_normal_workbook_passes_the_checks(db, tmp_path):
    names = [f"Conta {i} {random_text(20, seed=i)}" for i in range(3000)]
    path = write_xlsx(tmp_path / "normal.xlsx", accounts_rows(names), dimension="A1:B3001")
    table = importing.read_table(path)
    assert len(table.rows) == 3000 and not table.long_cells
    assert sys.getsizeof(table.rows[0][0]) < 1000


def test_rows_are_counted_before_they_are_parsed(cli, db, book, tmp_path, monkeypatch, no_openpyxl):
    # Row tags are counted in the unpacked XML, across the 1 MiB blocks it is read in (the
    # random padding moves the tags over the block boundaries), prefixed tags included.
    monkeypatch.setattr(limits, "MAX_ROWS", 30_000)
    rng = random.Random(5)

    def rows(count: int, prefix: str = ""):
        for n in range(1, count + 1):
            pad = "".join(rng.choices("abc", k=rng.randint(0, 60)))
            yield f'<{prefix}row r="{n}"><{prefix}c r="A{n}" t="inlineStr"><{prefix}is><{prefix}t>{pad}</{prefix}t>'
            yield f"</{prefix}is></{prefix}c></{prefix}row>"

    path = write_xlsx(tmp_path / "muitas.xlsx", rows(30_001))
    refused_by_cli(cli, path, "xl/worksheets/sheet1.xml", "30,000 rows")
    path = write_xlsx(tmp_path / "prefixo.xlsx", rows(30_001, "x:"))
    refused_by_cli(cli, path, "30,000 rows")
    # Exactly the limit: the count lets it through to openpyxl (which this test forbids).
    path = write_xlsx(tmp_path / "exatas.xlsx", rows(30_000))
    with pytest.raises(AssertionError, match="the workbook was opened"):
        importing.read_table(path)


def test_a_csv_value_swallowing_the_file_refuses_it_naming_where_it_starts(cli, db, book, tmp_path):
    path = tmp_path / "aspas.csv"
    lines = "".join(f"Conta {i};R$ 10,00\r\n" for i in range(60_000))
    path.write_text(f'Cliente;Mensalidade\r\nGama;R$ 1,00\r\n"Delta;R$ 2,00\r\n{lines}', encoding="utf-8")
    before = snapshot(db)
    refused_by_cli(cli, path, "row 3:", "quote", "1,048,576 characters")
    assert snapshot(db) == before


def test_a_file_growing_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    # /proc files say they are empty and hold text: read past their size, up to the limit.
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 4 * 2**20)
    path = Path(f"/proc/{os.getpid()}/maps")
    if not path.exists():
        pytest.skip("no /proc")
    from csdesk.importing.reading import read_file_bytes

    assert path.stat().st_size == 0 and len(read_file_bytes(path)) > 0
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 16)
    with pytest.raises(UserError, match="more than the"):
        read_file_bytes(path)


def test_a_long_cell_made_of_short_lines_is_found(tmp_path):
    # A quoted value of many short lines: no line is long, the cell is.
    path = tmp_path / "linhas.csv"
    value = "\n".join("linha curta" for _ in range(4000))  # 47,999 characters
    path.write_text(f'Cliente,Notas\r\nGama,ok\r\nDelta,"{value}"\r\nEpsilon,ok\r\n', encoding="utf-8")
    table = importing.read_table(path)
    assert table.long_cells == {1: (1, len(value))}
    assert table.row_numbers == [2, 3, 4003]
    # And a long line with no line break in the whole file (old Mac line ends) is found too.
    path.write_text(f"Cliente,Notas\rGama,ok\rDelta,{'x' * 40_000}\r", encoding="utf-8")
    assert importing.read_table(path).long_cells == {1: (1, 40_000)}
