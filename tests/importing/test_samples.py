"""Every shared sample imports through the CLI with the right accounts, values and events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from csdesk import clock, timeline
from db.models import Account, Measure, RevenueChange, SurveyResponse, TimelineEvent
from tests.importing.conftest import AS_OF, import_json


def account(db, name: str) -> Account:
    with db.session() as s:
        return s.scalars(select(Account).where(Account.name == name)).one()


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def revenue(db, name: str) -> list[tuple[str, date, int, int]]:
    with db.session() as s:
        rows = s.execute(
            select(
                RevenueChange.kind,
                RevenueChange.effective_date,
                RevenueChange.mrr_before_cents,
                RevenueChange.mrr_after_cents,
            )
            .join(Account, Account.id == RevenueChange.account_id)
            .where(Account.name == name)
            .order_by(RevenueChange.effective_date, RevenueChange.id)
        )
        return [tuple(r) for r in rows]


def assert_reimport_changes_nothing(cli, path, *extra):
    again = import_json(cli, path, *extra)
    assert (again["created"], again["updated"], again["rejected"]) == (0, 0, 0)
    assert again["run_id"] is None


def test_planilha_pt_br_cp1252_semicolons(cli, db, samples):
    result = import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    assert (result["kind"], result["source"]) == ("accounts", "spreadsheet")
    assert (result["created"], result["updated"], result["rejected"]) == (40, 0, 0)
    acougue = account(db, "Açougue Conceição ME")
    assert acougue.mrr_cents == 185047  # "R$ 1.850,47"
    assert acougue.cnpj == "81909378000104"
    assert acougue.segment == "tech_touch"
    assert acougue.stage == "ongoing_adoption"
    assert acougue.owner == "Bruno Lima"
    ipe = account(db, "Indústria Ipê Amarelo EPP")
    assert ipe.contract_start == date(2024, 4, 6)  # 06/04/2024 is dd/mm
    assert ipe.renewal_date == date(2027, 4, 6)
    bela = account(db, "Instituto Bela Vista Ltda.")
    assert (bela.status, bela.stage, bela.churn_reason) == ("churned", "churned", "price")
    assert bela.churn_date == date(2026, 11, 25)
    assert revenue(db, "Instituto Bela Vista Ltda.") == [
        ("new", date(2025, 1, 30), 0, 1280036),
        ("churn", date(2026, 11, 25), 1280036, 0),
    ]
    churned = count(db, Account, Account.status == "churned")
    assert churned == 3
    # One "new" per account and one "churn" per cancelled one, on the timeline too.
    assert (
        count(db, TimelineEvent, TimelineEvent.kind == "revenue_change", TimelineEvent.source == "import")
        == 43
    )
    assert_reimport_changes_nothing(cli, samples / "planilha_carteira_pt-BR.csv")


def test_salesforce_report_footer_mdy_dates_and_churned(cli, db, samples):
    result = import_json(cli, samples / "salesforce_accounts_report.csv")
    assert (result["kind"], result["source"]) == ("accounts", "salesforce")
    assert (result["created"], result["rejected"]) == (25, 0)  # 25 records: the footer is not a row
    assert count(db, Account) == 25
    rede = account(db, "Rede Conceição S.A.")
    assert rede.contract_start == date(2025, 8, 22)  # 8/22/2025
    assert rede.renewal_date == date(2027, 8, 22)
    assert (rede.external_id, rede.source) == ("0015g000000001AbCA", "salesforce")
    assert rede.mrr_cents == 35073
    ipe = account(db, "Indústria Ipê Amarelo EPP")
    assert ipe.contract_start == date(2024, 4, 6)  # 4/6/2024, decided by the column's 8/22 values
    lab = account(db, "Laboratório Cerrado EIRELI")
    assert lab.status == "churned" and lab.mrr_cents == 185010
    assert_reimport_changes_nothing(cli, samples / "salesforce_accounts_report.csv")


def test_hubspot_mrr_property_not_annual_revenue(cli, db, samples):
    result = import_json(cli, samples / "hubspot_companies_pt-BR.csv", "--keep-unmapped")
    assert (result["kind"], result["source"], result["created"]) == ("accounts", "hubspot", 25)
    pitanga = account(db, "Hotel Pitanga")
    assert pitanga.mrr_cents == 89018  # MRR 890.18, never Receita anual 1200000
    assert pitanga.domain == "hotelpitanga.com.br"
    assert (pitanga.source, pitanga.external_id) == ("hubspot", "9000000")
    assert pitanga.industry == "Serviços"
    assert pitanga.custom_fields["Receita anual"] == "1200000"  # kept, as company size
    assert_reimport_changes_nothing(cli, samples / "hubspot_companies_pt-BR.csv", "--keep-unmapped")


def test_three_account_sources_match_one_book(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    sf = import_json(cli, samples / "salesforce_accounts_report.csv")
    hs = import_json(cli, samples / "hubspot_companies_pt-BR.csv")
    assert sf["created"] == 0 and hs["created"] == 0
    assert count(db, Account) == 40
    pitanga = account(db, "Hotel Pitanga")
    assert pitanga.external_id == "0015g000000010AbCA"
    assert pitanga.custom_fields["external_ids"] == {"hubspot": "9000000"}
    # Salesforce says Laboratório Cerrado churned: churn recorded at the as-of date.
    assert revenue(db, "Laboratório Cerrado EIRELI")[-1] == ("churn", date(2026, 11, 25), 185010, 0)
    assert_reimport_changes_nothing(cli, samples / "hubspot_companies_pt-BR.csv")


def test_pipedrive_deals_match_accounts_by_name(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    result = import_json(cli, samples / "pipedrive_negocios_pt-BR.csv")
    assert (result["kind"], result["source"]) == ("deals", "pipedrive")
    assert (result["created"], result["rejected"]) == (30, 0)
    assert count(db, Account) == 40  # every organisation matched an account by name
    with db.session() as s:
        kinds = dict(
            s.execute(
                select(TimelineEvent.subkind, func.count())
                .where(TimelineEvent.import_run_id == result["run_id"])
                .group_by(TimelineEvent.subkind)
            ).all()
        )
    assert kinds["deal_won"] > 0 and kinds["lost"] > 0 and kinds["open"] > 0
    # Deals won before the book's MRR was set are already in it: MRR unchanged.
    assert account(db, "Rede Conceição S.A.").mrr_cents == 35073
    assert_reimport_changes_nothing(cli, samples / "pipedrive_negocios_pt-BR.csv")


def test_won_deal_after_the_mrr_was_set_is_expansion(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv", "--as-of", "2026-01-01")
    import_json(cli, samples / "pipedrive_negocios_pt-BR.csv")
    # "Upgrade Rede Conceição", R$ 500 won on 2026-03-09.
    assert account(db, "Rede Conceição S.A.").mrr_cents == 35073 + 50000
    assert revenue(db, "Rede Conceição S.A.")[-1] == ("expansion", date(2026, 3, 9), 35073, 85073)


def test_won_deals_of_unknown_organisations_are_new_accounts(cli, db, samples):
    result = import_json(cli, samples / "pipedrive_negocios_pt-BR.csv")
    with db.session() as s:
        won = s.scalar(select(func.count()).select_from(TimelineEvent).where(TimelineEvent.subkind == "new"))
    assert count(db, Account) == won > 0
    assert revenue(db, "Construtora Paraíso") == [("new", date(2024, 5, 6), 0, 120000)]
    assert "skipped" in " ".join(result["warnings"])


def test_pipedrive_activities_become_timeline_events(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    result = import_json(cli, samples / "pipedrive_atividades_pt-BR.csv")
    assert (result["kind"], result["created"], result["rejected"]) == ("activities", 50, 0)
    with db.session() as s:
        kinds = dict(
            s.execute(
                select(TimelineEvent.kind, func.count())
                .where(TimelineEvent.import_run_id == result["run_id"])
                .group_by(TimelineEvent.kind)
            ).all()
        )
        first = s.scalars(
            select(TimelineEvent).where(TimelineEvent.title == "Reunião com Indústria Ipê Amarelo")
        ).one()
    assert set(kinds) == {"meeting", "call", "email", "note"}
    assert (first.kind, first.occurred_at, first.source) == ("meeting", datetime(2026, 6, 1), "import")
    assert first.body == "Alinhamento de metas do trimestre"
    # Ipê Amarelo's activities: 2026-06-01 meeting, 2026-08-15 call...: the last one is its last touch.
    assert account(db, "Indústria Ipê Amarelo EPP").last_touch_at == datetime(2026, 8, 15)
    assert_reimport_changes_nothing(cli, samples / "pipedrive_atividades_pt-BR.csv")


def test_nps_google_forms_answers(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    result = import_json(cli, samples / "nps_respostas.csv")
    assert (result["kind"], result["created"], result["rejected"]) == ("surveys", 60, 0)
    assert count(db, SurveyResponse, SurveyResponse.kind == "nps") == 60
    with db.session() as s:
        answer = s.scalars(
            select(SurveyResponse).where(SurveyResponse.respondent == "contato2@acougueconceicao.com.br")
        ).one()
    assert (answer.score, answer.comment) == (8, "Poderia ser mais rápido")
    assert answer.answered_at == datetime(2026, 9, 1, 23, 0)  # 01/09/2026 23:00:00 is dd/mm
    assert count(db, TimelineEvent, TimelineEvent.kind == "nps") == 60
    assert account(db, "Indústria Ipê Amarelo EPP").last_nps is not None
    assert_reimport_changes_nothing(cli, samples / "nps_respostas.csv")


def test_weekly_usage_measures(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    result = import_json(cli, samples / "uso_semanal.csv")
    assert (result["kind"], result["created"], result["rejected"]) == ("usage", 240, 0)
    assert count(db, Measure) == 240 * 4
    with db.session() as s:
        logins = s.scalar(
            select(Measure.value)
            .join(Account, Account.id == Measure.account_id)
            .where(
                Account.name == "Indústria Ipê Amarelo EPP",
                Measure.metric == "logins",
                Measure.as_of == date(2026, 9, 21),
            )
        )
    assert logins == 96
    ipe = account(db, "Indústria Ipê Amarelo EPP")
    assert (ipe.active_users, ipe.licensed_users) == (50, 50)  # the week of 16/11/2026
    assert_reimport_changes_nothing(cli, samples / "uso_semanal.csv")


def test_mrr_history_expansion(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    result = import_json(cli, samples / "historico_mrr.csv")
    assert (result["kind"], result["rejected"]) == ("mrr", 0)
    assert revenue(db, "Laboratório Cerrado EIRELI")[-1] == ("expansion", date(2026, 8, 1), 185010, 235010)
    assert account(db, "Laboratório Cerrado EIRELI").mrr_cents == 235010
    assert account(db, "Editora Tocantins").mrr_cents == 120057  # flat history: nothing recorded
    assert revenue(db, "Editora Tocantins") == [("new", date(2025, 2, 15), 0, 120057)]
    with db.session() as s:
        event = s.scalars(
            select(TimelineEvent).where(
                TimelineEvent.import_run_id == result["run_id"], TimelineEvent.subkind == "expansion"
            )
        ).first()
    assert event.kind == "revenue_change" and event.source == "import"
    assert_reimport_changes_nothing(cli, samples / "historico_mrr.csv")


def test_as_of_is_today_by_default(cli, db, samples):
    code, data, _ = cli("import", str(samples / "planilha_carteira_pt-BR.csv"), "--format", "json")
    assert code == 0 and data["as_of"] == clock.today().isoformat()
    assert AS_OF  # the other tests pin it


def test_newer_export_records_what_changed(cli, db, samples):
    path = samples / "planilha_carteira_pt-BR.csv"
    import_json(cli, path)
    text = path.read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    header = lines[0] + ";Data do cancelamento"
    rows = [line + ";" for line in lines[1:] if line]
    rows = [r.replace("R$ 890,68", "R$ 990,68") if r.startswith("Indústria Ipê Amarelo") else r for r in rows]
    rows = [r.replace("R$ 350,73", "R$ 300,00") if r.startswith("Rede Conceição") else r for r in rows]
    rows = [
        r.replace("Ativo;;", "Cancelado;Concorrência;15/11/2026") if r.startswith("Hotel Pitanga") else r
        for r in rows
    ]
    rows.append("Nova Empresa Ltda;;Mid Touch;Onboarding;R$ 2.000,00;01/11/2026;01/11/2027;Ana Souza;Ativo;;")
    path.write_bytes("\r\n".join([header, *rows, ""]).encode("cp1252"))
    result = import_json(cli, path, "--as-of", "2026-12-01")
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 3, 37)
    assert revenue(db, "Indústria Ipê Amarelo EPP")[-1] == ("expansion", date(2026, 12, 1), 89068, 99068)
    assert revenue(db, "Rede Conceição S.A.")[-1] == ("contraction", date(2026, 12, 1), 35073, 30000)
    assert revenue(db, "Hotel Pitanga")[-1] == ("churn", date(2026, 11, 15), 89018, 0)
    pitanga = account(db, "Hotel Pitanga")
    assert (pitanga.status, pitanga.churn_reason, pitanga.churn_date) == (
        "churned",
        "competition",
        date(2026, 11, 15),
    )
    assert revenue(db, "Nova Empresa Ltda") == [("new", date(2026, 11, 1), 0, 200000)]
    assert account(db, "Nova Empresa Ltda").stage == "onboarding"
    with db.session() as s:
        ids = s.scalars(
            select(TimelineEvent.id)
            .where(TimelineEvent.import_run_id == result["run_id"])
            .order_by(TimelineEvent.id)
        ).all()
    titles = [timeline.get_event(db, event_id).title for event_id in ids]
    assert len(titles) == 4 and any("Expansion" in t for t in titles)
    assert_reimport_changes_nothing(cli, path, "--as-of", "2026-12-01")
