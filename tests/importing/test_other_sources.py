"""Zoho, RD Station and contact exports: detected, mapped and imported."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from csdesk import importing
from db.models import Account, Contact, RevenueChange
from tests.importing.conftest import import_json


def test_zoho_accounts_utf16_tab(cli, db, tmp_path):
    path = tmp_path / "Accounts_2026_11_25.csv"
    text = (
        "Record Id\tAccount Owner\tAccount Name\tWebsite\tAccount Type\tIndustry\tAnnual Revenue\tBilling City\t"
        "Created Time\tModified Time\tMRR\n"
        "zcrm_5012\tAna Souza\tHotel Pitanga\twww.hotelpitanga.com.br\tCustomer\tServiços\t1200000\tRecife\t"
        "04/14/2024 10:22 AM\t11/02/2026 09:00 AM\t890.18\n"
    )
    path.write_bytes(text.encode("utf-16"))
    prepared = importing.prepare(path)
    assert (prepared.kind, prepared.source) == ("accounts", "zoho")
    result = import_json(cli, path)
    assert result["created"] == 1
    with db.session() as s:
        pitanga = s.scalars(select(Account)).one()
    assert (pitanga.external_id, pitanga.source, pitanga.domain) == (
        "zcrm_5012",
        "zoho",
        "hotelpitanga.com.br",
    )
    assert pitanga.mrr_cents == 89018


def test_rd_station_deals_recurring_value(cli, db, tmp_path):
    path = tmp_path / "negociacoes.csv"
    path.write_text(
        "Nome da negociação;Empresa;Valor único;Valor recorrente;Previsão de fechamento;Funil;Etapa;Status;"
        "Data de fechamento;Responsável\r\n"
        "Contrato Hotel Pitanga;Hotel Pitanga;R$ 2.000,00;R$ 890,18;01/03/2026;Vendas;Fechamento;Vendida;"
        "15/03/2026;Ana Souza\r\n"
        "Proposta Padaria;Padaria Horizonte;;R$ 500,00;01/12/2026;Vendas;Proposta;Em andamento;;Bruno Lima\r\n",
        encoding="cp1252",
    )
    prepared = importing.prepare(path)
    assert (prepared.kind, prepared.source) == ("deals", "rdstation")
    result = import_json(cli, path)
    assert result["created"] == 1 and result["unchanged"] == 1  # the open deal of a non-customer is skipped
    with db.session() as s:
        change = s.execute(
            select(RevenueChange.kind, RevenueChange.effective_date, RevenueChange.mrr_after_cents)
        ).one()
    assert tuple(change) == ("new", date(2026, 3, 15), 89018)  # recurring value, not the one-off


def test_hubspot_contacts_matched_to_accounts(cli, db, samples, tmp_path):
    import_json(cli, samples / "hubspot_companies_pt-BR.csv")
    path = tmp_path / "contatos.csv"
    path.write_text(
        "ID do registro,Nome,Sobrenome,E-mail,Cargo,Empresa associada,Número de telefone\n"
        "501,Joana,Prado,joana@hotelpitanga.com.br,Gerente de operações,Hotel Pitanga,+55 81 99999-0000\n"
        "502,Caio,Reis,caio@padariacerrado.com.br,Diretor,Padaria Cerrado S.A.,\n",
        encoding="utf-8-sig",
    )
    result = import_json(cli, path, "--kind", "contacts")
    assert (result["created"], result["rejected"]) == (2, 0)
    with db.session() as s:
        joana = s.scalars(select(Contact).where(Contact.email == "joana@hotelpitanga.com.br")).one()
        account = s.get(Account, joana.account_id)
    assert (joana.name, joana.job_title, account.name) == (
        "Joana Prado",
        "Gerente de operações",
        "Hotel Pitanga",
    )
    again = import_json(cli, path, "--kind", "contacts")
    assert (again["created"], again["updated"]) == (0, 0)
