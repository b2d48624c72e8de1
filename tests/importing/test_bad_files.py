"""Bad files are refused with a message naming file, row and column; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Account, ImportRun
from tests.importing.conftest import AS_OF


def nothing_written(db) -> bool:
    with db.session() as s:
        return not s.scalar(select(func.count()).select_from(Account)) and not s.scalar(
            select(func.count()).select_from(ImportRun)
        )


def refused(cli, path, *extra) -> str:
    code, _, err = cli("import", str(path), "--as-of", AS_OF, *extra)
    assert code == 2
    assert path.name in err
    return err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"Cliente;Mensalidade;Status\r\n", "no data rows"),
        (bytes(range(256)) * 20, "binary"),
        (b"\x00\x01\x02\x03PNG\x00\x00" * 100, "binary"),
        ("Cliente;Mensalidade\r\nA\x81\x8d;1\r\n".encode("latin-1"), "row 2"),
        (b"Cliente,Mensalidade,Status\nAcme,10,Ativo\nBeta,20,Ativo,extra\n", "row 3, column D"),
        (b"Cliente,Mensalidade,Status\nAcme,10,Ativo\nBeta,20\n", "row 3, column C"),
        (b"Cliente,Mensalidade,Cliente\nAcme,10,x\n", "columns A and C"),
        (b"just one column\nvalue\n", "no header row"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "binary",
        "binary-nul",
        "wrong-encoding",
        "ragged-long",
        "ragged-short",
        "duplicate-headers",
        "no-table",
    ],
)
def test_bad_files_are_refused(cli, db, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    err = refused(cli, path)
    assert expected in err, err
    assert nothing_written(db)


def test_unparseable_values_stop_without_yes(cli, db, tmp_path):
    path = tmp_path / "carteira.csv"
    path.write_text(
        "Cliente;Mensalidade;Início do contrato;Status\r\n"
        "Acme;R$ 1.234,56;25/11/2025;Ativo\r\n"
        "Beta;muito;26/11/2025;Ativo\r\n"
        "Gama;R$ 10,00;31/02/2025;Ativo\r\n"
        "Delta;R$ 10,00;01/02/2025;Talvez\r\n",
        encoding="cp1252",
    )
    code, data, err = cli("import", str(path), "--as-of", AS_OF, "--format", "json")
    assert code == 2 and "3 rows" in err
    assert data["run_id"] is None and data["rejected"] == 3
    assert [(e["row"], e["column"], e["value"]) for e in data["errors"]] == [
        (3, "Mensalidade", "muito"),
        (4, "Início do contrato", "31/02/2025"),
        (5, "Status", "Talvez"),
    ]
    assert all(e["message"] for e in data["errors"])
    assert nothing_written(db)

    code, text, err = cli("import", str(path), "--as-of", AS_OF)
    assert code == 2 and "muito" in text and "Mensalidade" in text

    code, data, _ = cli("import", str(path), "--as-of", AS_OF, "--format", "json", "--yes")
    assert code == 0 and data["created"] == 1 and data["rejected"] == 3 and data["run_id"]
    with db.session() as s:
        assert s.scalars(select(Account.mrr_cents)).all() == [123456]


def test_ambiguous_dates_ask_for_the_order(cli, db, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text("Cliente,Mensalidade,Início do contrato\nAcme,100,04/06/2024\nBeta,200,05/07/2024\n")
    code, _, err = cli("import", str(path), "--as-of", AS_OF)
    assert code == 2 and "--date-order" in err and "Início do contrato" in err
    assert nothing_written(db)
    code, _, _ = cli("import", str(path), "--as-of", AS_OF, "--date-order", "mdy")
    assert code == 0
    with db.session() as s:
        assert (
            str(s.scalars(select(Account.contract_start).where(Account.name == "Acme")).one()) == "2024-04-06"
        )


def test_dry_run_changes_nothing(cli, db, samples):
    code, data, _ = cli(
        "import", str(samples / "planilha_carteira_pt-BR.csv"), "--dry-run", "--format", "json"
    )
    assert code == 0 and data["created"] == 40 and data["run_id"] is None and data["dry_run"]
    assert nothing_written(db)


def test_missing_file_and_old_excel(cli, db, tmp_path):
    code, _, err = cli("import", str(tmp_path / "nope.csv"))
    assert code == 2 and "no such file" in err
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    assert ".xlsx" in refused(cli, old)


def test_a_sheet_with_no_table(cli, db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Capa"
    book.active["A1"] = "Relatório de clientes"
    path = tmp_path / "vazio.xlsx"
    book.save(path)
    assert "no sheet has a table" in refused(cli, path)
    assert "no table" in refused(cli, path, "--sheet", "Capa")
    assert "Dados" in refused(cli, path, "--sheet", "Dados")
    assert nothing_written(db)
