"""Accounts in US$ and €: the currency comes from a Moeda/Currency column or the amounts' marks."""

from __future__ import annotations

from sqlalchemy import select

from csdesk import importing
from db.models import Account
from tests.importing.conftest import import_json


def stored(db) -> dict[str, tuple[int, str]]:
    with db.session() as s:
        return {a.name: (a.mrr_cents, a.currency) for a in s.scalars(select(Account))}


def test_a_moeda_column_gives_each_account_its_currency(cli, db, tmp_path):
    path = tmp_path / "carteira.csv"
    path.write_text(
        "Cliente;Mensalidade;Moeda\r\n"
        "Padaria Pitanga;1.234,56;BRL\r\n"
        "Acme Inc;1.000,00;USD\r\n"
        "Brio GmbH;500,00;€\r\n"
        "Cafe Lisboa;250,00;Euro\r\n"
        "Sem Moeda;100,00;\r\n"
        "Moeda Estranha;100,00;XPTO\r\n",
        encoding="utf-8",
    )
    prepared = importing.prepare(path)
    assert prepared.mapping[2] == "currency"
    result = import_json(cli, path, "--yes")
    assert result["created"] == 5 and result["rejected"] == 1
    assert result["errors"][0]["row"] == 7 and result["errors"][0]["column"] == "Moeda"
    assert "XPTO" in result["errors"][0]["message"]
    assert stored(db) == {
        "Padaria Pitanga": (123456, "BRL"),
        "Acme Inc": (100000, "USD"),
        "Brio GmbH": (50000, "EUR"),
        "Cafe Lisboa": (25000, "EUR"),
        "Sem Moeda": (10000, "BRL"),
    }


def test_salesforce_currency_iso_code_is_mapped(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        '"Account Name","Account ID","MRR","Currency ISO Code"\n"Acme Inc","0015g000000000AbCA","1,000.00","USD"\n',
        encoding="utf-8",
    )
    prepared = importing.prepare(path)
    assert prepared.kind == "accounts"
    assert prepared.mapping[3] == "currency"


def test_amounts_written_in_us_dollars_and_euros_are_not_reais(cli, db, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Cliente;Mensalidade\r\n"
        "Padaria Pitanga;R$ 1.234,56\r\n"
        "Acme Inc;US$ 1.000,00\r\n"
        "Zeta Corp;U$ 300,00\r\n"
        "Brio GmbH;€ 500,00\r\n"
        "Omega LLC;USD 2.000,00\r\n"
        "Sem Símbolo;99,90\r\n",
        encoding="utf-8",
    )
    result = import_json(cli, path)
    assert result["created"] == 6 and result["rejected"] == 0
    assert stored(db) == {
        "Padaria Pitanga": (123456, "BRL"),
        "Acme Inc": (100000, "USD"),
        "Zeta Corp": (30000, "USD"),
        "Brio GmbH": (50000, "EUR"),
        "Omega LLC": (200000, "USD"),
        "Sem Símbolo": (9990, "BRL"),
    }


def test_english_amounts_with_a_currency_code(cli, db, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(
        'Account Name,MRR\nAcme Inc,"USD 1,000.00"\nBrio GmbH,EUR 500\nBeta Ltd,"$1,250.50"\n',
        encoding="utf-8",
    )
    result = import_json(cli, path)
    assert result["created"] == 3
    assert stored(db) == {
        "Acme Inc": (100000, "USD"),
        "Brio GmbH": (50000, "EUR"),
        "Beta Ltd": (125050, "USD"),
    }


def test_a_row_whose_amount_and_currency_column_disagree_is_rejected(cli, db, tmp_path):
    path = tmp_path / "conflito.csv"
    path.write_text(
        "Cliente;Mensalidade;Moeda\r\n"
        "Acme Inc;US$ 1.000,00;USD\r\n"
        "Conflito SA;US$ 1.000,00;BRL\r\n"
        "Preenche;€ 700,00;\r\n",
        encoding="utf-8",
    )
    result = import_json(cli, path, "--yes")
    assert result["created"] == 2 and result["rejected"] == 1
    (error,) = result["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "Moeda", "BRL")
    assert "USD" in error["message"] and "BRL" in error["message"]
    assert stored(db) == {"Acme Inc": (100000, "USD"), "Preenche": (70000, "EUR")}


def test_a_newer_export_changes_an_accounts_currency(cli, db, tmp_path):
    path = tmp_path / "v1.csv"
    path.write_text("Cliente;Mensalidade\r\nAcme Inc;1.000,00\r\n", encoding="utf-8")
    import_json(cli, path)
    assert stored(db) == {"Acme Inc": (100000, "BRL")}
    path.write_text("Cliente;Mensalidade\r\nAcme Inc;US$ 1.000,00\r\n", encoding="utf-8")
    result = import_json(cli, path)
    assert result["updated"] == 1
    assert stored(db) == {"Acme Inc": (100000, "USD")}
