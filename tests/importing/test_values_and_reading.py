"""Values, encodings, delimiters, XLSX and detection."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from csdesk import importing
from csdesk.importing import values as V
from csdesk.importing.reading import read_table
from db.models import Account
from tests.importing.conftest import SAMPLES, import_json


@pytest.mark.parametrize(
    ("raw", "style", "cents"),
    [
        ("R$ 1.234,56", "comma", 123456),
        ("1,234.56", "point", 123456),
        ("1234.5", "point", 123450),
        ("R$\u00a01.234,56", "comma", 123456),
        ("(1.000,00)", "comma", -100000),
        ("-12,5", "comma", -1250),
        ("890.18", "point", 89018),
    ],
)
def test_money(raw, style, cents):
    assert V.parse_cents(raw, style) == cents


def test_percent_and_number_style():
    assert V.parse_decimal("12,5%", "comma") == Decimal("12.5")
    assert V.number_style(["R$ 1.234,56", "R$ 10,00"]) == "comma"
    assert V.number_style(["1,234.56", "10.5"]) == "point"
    assert V.number_style(["1.234"], comma_hint=True) == "comma"
    assert V.number_style(["1.234"]) == "point"
    with pytest.raises(V.ValueProblem):
        V.parse_decimal("doze")


def test_dates_per_column():
    assert V.date_order(["04/06/2024", "22/08/2025"]) == "dmy"
    assert V.date_order(["4/6/2024", "8/22/2025"]) == "mdy"
    assert V.date_order(["04/06/2024", "05/07/2024"]) == "ambiguous"
    assert V.date_order(["2026-05-01", "2025-10-14 00:00:00"]) == "iso"
    assert V.parse_date("4/6/2024", "mdy") == date(2024, 4, 6)
    assert V.parse_date("04/06/2024", "dmy") == date(2024, 6, 4)
    assert V.parse_datetime("2025-10-14 00:00:00") == datetime(2025, 10, 14)
    assert V.parse_datetime("01/09/2026 23:00:00") == datetime(2026, 9, 1, 23)
    assert V.parse_date("45631") == date(2024, 12, 5)  # an Excel serial number
    with pytest.raises(V.ValueProblem):
        V.parse_date("31/02/2025")


def test_status_words_both_languages():
    for word, key in [
        ("Ativo", "active"),
        ("Cancelado", "churned"),
        ("Churned", "churned"),
        ("Active", "active"),
    ]:
        assert V.ACCOUNT_STATUS_WORDS[V.word_key(word)] == key
    for word, key in [
        ("Ganho", "won"),
        ("Perdido", "lost"),
        ("Aberto", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
        ("Open", "open"),
        ("Closed Won", "won"),
    ]:
        assert V.DEAL_STATUS_WORDS[V.word_key(word)] == key
    for word, key in [("Reunião", "meeting"), ("Ligação", "call"), ("E-mail", "email"), ("Tarefa", "note")]:
        assert V.ACTIVITY_TYPE_WORDS[V.word_key(word)] == key


def test_encodings_and_delimiters(tmp_path):
    text = "Cliente\tMensalidade\tStatus\r\nAçougue São João\tR$ 1.850,47\tAtivo\r\n"
    for encoding, expected in (
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1252", "cp1252"),
        ("utf-8", "utf-8"),
    ):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        table = read_table(path)
        assert (table.encoding, table.delimiter) == (expected, "\t")
        assert table.rows == [["Açougue São João", "R$ 1.850,47", "Ativo"]]


def test_salesforce_footer_and_pt_br_footer_stripped(tmp_path):
    table = read_table(SAMPLES / "salesforce_accounts_report.csv")
    assert len(table.rows) == 25 and table.row_numbers[-1] == 26
    assert "salesforce.com" in table.footer
    path = tmp_path / "relatorio.csv"
    path.write_text(
        '"Nome da conta","MRR"\n"Acme","10"\n"Total","10"\n\n"Totais gerais (1 registros)"\n\n'
        '"Informações confidenciais - Não distribuir"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. Todos os direitos reservados."\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.rows == [["Acme", "10"]]


def test_detection_of_every_sample():
    expected = {
        "salesforce_accounts_report.csv": ("accounts", "salesforce"),
        "hubspot_companies_pt-BR.csv": ("accounts", "hubspot"),
        "planilha_carteira_pt-BR.csv": ("accounts", "spreadsheet"),
        "pipedrive_negocios_pt-BR.csv": ("deals", "pipedrive"),
        "pipedrive_atividades_pt-BR.csv": ("activities", "pipedrive"),
        "nps_respostas.csv": ("surveys", "spreadsheet"),
        "uso_semanal.csv": ("usage", "spreadsheet"),
        "historico_mrr.csv": ("mrr", "spreadsheet"),
    }
    for name, (kind, source) in expected.items():
        prepared = importing.prepare(SAMPLES / name)
        assert (prepared.kind, prepared.source) == (kind, source), name
        assert 0.5 < prepared.kind_confidence <= 1 and 0.5 < prepared.source_confidence <= 1
    hubspot = importing.prepare(SAMPLES / "hubspot_companies_pt-BR.csv")
    assert "Receita anual" not in {hubspot.table.headers[i] for i in hubspot.mapping}


def test_xlsx_with_title_rows_serial_dates_and_sheet_choice(cli, db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Capa"
    book.active["A1"] = "Nada aqui"
    sheet = book.create_sheet("Carteira")
    sheet.append(["Relatório da carteira"])
    sheet.append([])
    sheet.append(["Cliente", "Mensalidade", "Início do contrato", "Renovação", "Status"])
    sheet.append(["Hotel Pitanga", 890.18, 45631, datetime(2027, 4, 14), "Ativo"])
    sheet.append(["Padaria Cerrado S.A.", 4990.21, datetime(2024, 12, 30), datetime(2026, 12, 30), "Ativo"])
    sheet.append(["Total", 5880.39, None, None, None])
    path = tmp_path / "carteira.xlsx"
    book.save(path)
    table = read_table(path)
    assert (table.sheet, table.sheets) == ("Carteira", ["Capa", "Carteira"])
    assert table.row_numbers == [4, 5]
    result = import_json(cli, path, "--sheet", "Carteira")
    assert result["created"] == 2
    with db.session() as s:
        pitanga = s.scalars(select(Account).where(Account.name == "Hotel Pitanga")).one()
    assert (pitanga.mrr_cents, pitanga.contract_start) == (89018, date(2024, 12, 5))


def test_mapping_file_preset_and_arr(cli, db, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text('Empresa,Valor anual,Receita anual,Faixa\nAcme,"12,000.00",5000000,A\n')
    mapping = tmp_path / "mapa.json"
    mapping.write_text(
        '{"kind": "accounts", "columns": {"Empresa": "name", "Valor anual": "arr", "Faixa": "tier"}}'
    )
    result = import_json(cli, path, "--mapping", str(mapping), "--save-preset", "Minha planilha")
    assert result["created"] == 1
    with db.session() as s:
        acme = s.scalars(select(Account).where(Account.name == "Acme")).one()
    assert (acme.mrr_cents, acme.tier) == (100000, "A")  # ARR / 12; Receita anual ignored
    # Same headers next time: the saved preset is used without --mapping.
    path.write_text('Empresa,Valor anual,Receita anual,Faixa\nAcme,"24,000.00",5000000,B\n')
    result = import_json(cli, path)
    assert result["updated"] == 1
    with db.session() as s:
        acme = s.scalars(select(Account).where(Account.name == "Acme")).one()
    assert (acme.mrr_cents, acme.tier) == (200000, "B")
    code, _, err = cli("import", str(path), "--preset", "Outra")
    assert code == 2 and "Minha planilha" in err


def per_cell(prepared):
    """The reference: every cell through its field's own parser, first bad cell per row."""
    from csdesk.importing import detect
    from csdesk.importing.prepare import RowError, _parser

    table, columns, errors = prepared.table, {}, {}
    for index, key in sorted(prepared.mapping.items()):
        parse = _parser(prepared, index, detect.spec(prepared.kind, key).type, key)
        out = []
        for row_index, row in enumerate(table.rows):
            text = row[index].strip()
            try:
                out.append(parse(text) if text else None)
            except V.ValueProblem as exc:
                out.append(None)
                errors.setdefault(
                    row_index,
                    RowError(table.row_numbers[row_index], table.headers[index], row[index], str(exc)),
                )
        columns[key] = out
    return columns, errors


def test_column_wise_parsing_gives_what_each_cell_parser_gives(tmp_path):
    from csdesk.importing.prepare import parse_columns

    cnpjs = [
        "11.222.333/0001-81",
        "11222333000181",
        " 11.222.333/0001-81 ",
        "11.222.333/0001-82",
        "00.000.000/0000-00",
        "11111111111111",
        "1122233300018",
        "abc",
        "١١٢٢٢٣٣٣٠٠٠١٨١",  # Arabic-Indic digits: not a CNPJ
        "",
    ]
    amounts = [
        "R$ 1.234,56",
        "R$1.234,56",
        "1234,56",
        "0,00",
        "-R$ 5,00",
        "(1.000,00)",
        "12,5",
        "R$ 12.345.678.901.234.567.890,12",
        "007,50",
        "dez reais",
        "",
    ]
    lines = ["Cliente;CNPJ;Mensalidade;Início do contrato;Status"]
    for i in range(40):
        lines.append(
            f"Empresa {i};{cnpjs[i % len(cnpjs)]};{amounts[i % len(amounts)]};"
            f"{['25/11/2026', '31/02/2026', '', '2026-01-05'][i % 4]};{['Ativo', 'Cancelado', 'talvez', ''][i % 4]}"
        )
    path = tmp_path / "valores.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    prepared = importing.prepare(path)
    assert set(prepared.mapping.values()) >= {"name", "cnpj", "mrr", "contract_start", "status"}
    columns, errors = parse_columns(prepared)
    expected_columns, expected_errors = per_cell(prepared)
    # The amounts' R$ marks also give the rows a currency (csdesk.currency), beside the cells' values.
    assert columns.pop("currency")[:5] == ["BRL", "BRL", None, None, "BRL"]
    assert columns == expected_columns
    assert errors == expected_errors and len(errors) > 5
    assert columns["mrr"][:3] == [123456, 123456, 123456]
    assert columns["cnpj"][0] == "11222333000181"


def test_columns_of_mostly_distinct_cells_parse_as_each_cell_would(tmp_path):
    from csdesk.importing.prepare import parse_columns
    from tests.benchmarks.bench_import import cnpj

    lines = ["Cliente;CNPJ;Mensalidade"]
    for i in range(60):
        number = cnpj(20_000_000 + i) if i % 7 else f"{i:02d}.222.333/0001-00"  # every 7th is invalid
        amount = f"R$ {i},{i % 100:02d}" if i % 11 else f"{i} reais"  # every 11th is not an amount
        lines.append(f"Empresa {i};{number};{amount}")
    path = tmp_path / "distintos.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    prepared = importing.prepare(path)
    columns, errors = parse_columns(prepared)
    assert set(columns.pop("currency")) == {"BRL"}  # R$ and "reais" both say BRL
    assert (columns, errors) == per_cell(prepared)
    assert len(errors) > 10 and columns["mrr"][1] == 101
