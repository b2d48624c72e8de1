"""The revenue ledger through imports: snapshots, MRR history, re-dating and the metrics that follow."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from csdesk import metrics
from db.models import Account, RevenueChange, TimelineEvent
from tests.importing.conftest import import_json


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def imported(cli, path, as_of: str, kind: str | None = None):
    args = ["import", str(path), "--format", "json", "--as-of", as_of]
    if kind:
        args += ["--kind", kind]
    code, data, err = cli(*args)
    assert code == 0, err
    return data


def moves(db, name: str) -> list[tuple[str, date, int, int]]:
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


def account(db, name: str) -> Account:
    with db.session() as s:
        return s.scalars(select(Account).where(Account.name == name)).one()


def assert_reconciles(m: metrics.PortfolioMetrics) -> None:
    assert m.bridge_end == m.mrr_end
    assert m.accounts_start + m.new_accounts + m.reactivated_accounts - m.churned_accounts == m.accounts_end
    assert m.grr is None or m.grr <= 1


def test_snapshot_showing_a_cancelled_account_at_mrr_0_loses_its_last_mrr(cli, db, tmp_path):
    first = write(
        tmp_path / "v1.csv",
        "Cliente,Mensalidade,Início do contrato,Status\n"
        'Padaria Sol,"1000,00",15/01/2025,Ativo\n'
        'Hotel Lua,"4000,00",15/01/2025,Ativo\n',
    )
    second = write(
        tmp_path / "v2.csv",
        "Cliente,Mensalidade,Início do contrato,Status\n"
        'Padaria Sol,"0,00",15/01/2025,Cancelado\n'
        'Hotel Lua,"4000,00",15/01/2025,Ativo\n',
    )
    imported(cli, first, "2026-01-10")
    imported(cli, second, "2026-02-15")
    assert moves(db, "Padaria Sol")[-1] == ("churn", date(2026, 2, 15), 100_000, 0)
    sol = account(db, "Padaria Sol")
    assert (sol.status, sol.mrr_cents) == ("churned", 100_000)  # keeps the MRR it had
    m = metrics.compute(db, date(2026, 2, 1), date(2026, 2, 28))
    assert (m.mrr_start, m.mrr_end, m.churned_mrr) == (500_000, 400_000, 100_000)
    assert m.grr == pytest.approx(0.8) and m.nrr == pytest.approx(0.8)
    assert_reconciles(m)
    # The same export again changes nothing.
    again = imported(cli, second, "2026-02-20")
    assert (again["created"], again["updated"]) == (0, 0)


def test_history_before_an_undated_sheet_re_dates_its_opening_balance(cli, db, tmp_path):
    sheet = write(
        tmp_path / "sheet.csv",
        'Cliente,Mensalidade,Status\nEditora Mar,"1500,00",Ativo\nGrupo Rio,"0,00",Cancelado\n',
    )
    history = write(
        tmp_path / "historico.csv",
        "conta,data,mrr\n"
        "Editora Mar,2026-03-01,1000.00\n"
        "Editora Mar,2026-04-01,1000.00\n"
        "Editora Mar,2026-05-01,1500.00\n"
        "Grupo Rio,2026-03-01,2000.00\n"
        "Grupo Rio,2026-04-10,0\n",
    )
    result = imported(cli, sheet, "2026-06-15")
    assert result["created"] == 2
    assert moves(db, "Editora Mar") == [("opening", date(2026, 6, 15), 0, 150_000)]
    june = metrics.compute(db, date(2026, 6, 1), date(2026, 6, 30))
    assert june.new_accounts == 0 and june.history_complete_from == date(2026, 6, 15)
    imported(cli, history, "2026-06-20", kind="mrr")
    assert moves(db, "Editora Mar") == [
        ("opening", date(2026, 3, 1), 0, 100_000),
        ("expansion", date(2026, 5, 1), 100_000, 150_000),
    ]
    assert moves(db, "Grupo Rio") == [
        ("opening", date(2026, 3, 1), 0, 200_000),
        ("churn", date(2026, 4, 10), 200_000, 0),
    ]
    rio = account(db, "Grupo Rio")
    assert (rio.status, rio.churn_date, rio.mrr_cents) == ("churned", date(2026, 4, 10), 200_000)
    march, april, may = metrics.monthly(db, date(2026, 3, 1), date(2026, 5, 31))
    assert (march.accounts_start, march.churned_accounts, march.new_accounts) == (2, 0, 0)
    assert march.nrr == pytest.approx(1.0) and march.history_complete_from == date(2026, 3, 1)
    assert (april.accounts_start, april.churned_accounts, april.churned_mrr) == (2, 1, 200_000)
    assert may.expansion_mrr == 50_000
    for m in (march, april, may):
        assert_reconciles(m)
    # Timeline events follow their movements.
    with db.session() as s:
        days = s.scalars(
            select(TimelineEvent.occurred_at)
            .join(Account, Account.id == TimelineEvent.account_id)
            .where(Account.name == "Editora Mar", TimelineEvent.subkind == "opening")
        ).all()
    assert [d.date() for d in days] == [date(2026, 3, 1)]


def test_an_account_that_cancels_and_returns_is_judged_by_its_net_change(cli, db, tmp_path):
    sheet = write(
        tmp_path / "sheet.csv",
        "Cliente,Mensalidade,Início do contrato,Status\n"
        'Clinica Norte,"900,00",15/01/2025,Ativo\n'
        'Escola Sul,"2000,00",15/01/2025,Ativo\n',
    )
    history = write(
        tmp_path / "historico.csv",
        "conta,data,mrr\nClinica Norte,2026-02-01,1000.00\nClinica Norte,2026-04-10,0\nClinica Norte,2026-05-05,900.00\n",
    )
    imported(cli, sheet, "2026-06-01")
    imported(cli, history, "2026-06-02", kind="mrr")
    assert [k for k, *_ in moves(db, "Clinica Norte")] == ["new", "expansion", "churn", "reactivation"]
    m = metrics.compute(db, date(2026, 3, 1), date(2026, 5, 31))
    assert (m.expansion_mrr, m.contraction_mrr, m.churned_mrr, m.reactivation_mrr) == (0, 10_000, 0, 0)
    assert m.grr == pytest.approx(2_900 / 3_000)
    assert_reconciles(m)
    # Gone at the start of a period, back at its end: a reactivation, not a new logo.
    back = metrics.compute(db, date(2026, 4, 15), date(2026, 5, 31))
    assert (back.reactivated_accounts, back.reactivation_mrr, back.new_accounts) == (1, 90_000, 0)
    assert_reconciles(back)


def test_hubspot_then_planilha_dates_each_customer_at_its_contract_start(cli, db, samples):
    import_json(cli, samples / "hubspot_companies_pt-BR.csv")
    hubspot = metrics.compute(db, date(2025, 12, 1), date(2026, 11, 25))
    assert hubspot.new_accounts == 0  # first seen without a start: opening balances
    assert hubspot.history_complete_from == date(2026, 11, 25)
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    m = metrics.compute(db, date(2025, 12, 1), date(2026, 11, 25))
    with db.session() as s:
        starts = s.scalars(select(Account.contract_start)).all()
        kinds = s.execute(select(RevenueChange.kind, RevenueChange.effective_date)).all()
        events = s.execute(
            select(TimelineEvent.account_id, TimelineEvent.occurred_at, TimelineEvent.subkind).where(
                TimelineEvent.kind == "revenue_change"
            )
        ).all()
    assert all(start < date(2025, 12, 1) for start in starts)
    assert m.new_accounts == 0 and m.new_mrr == 0 and m.history_complete_from is None
    assert "opening" not in {k for k, _d in kinds}
    assert_reconciles(m)
    # No account shows "New revenue" and "Churn" on the same day.
    by_day: dict[tuple[int, date], set[str]] = {}
    for account_id, when, subkind in events:
        by_day.setdefault((account_id, when.date()), set()).add(subkind)
    assert not [k for k, kinds_of_day in by_day.items() if {"new", "churn"} <= kinds_of_day]


def test_expansion_in_history_then_churn_loses_the_expanded_mrr(cli, db, samples):
    for name in ("planilha_carteira_pt-BR.csv", "salesforce_accounts_report.csv"):
        import_json(cli, samples / name)
    import_json(cli, samples / "historico_mrr.csv")
    lab = moves(db, "Laboratório Cerrado EIRELI")
    assert ("expansion", date(2026, 8, 1), 185_010, 235_010) in lab
    assert lab[-1][0] == "churn" and lab[-1][2] == 235_010
    m = metrics.compute(db, date(2026, 5, 1), date(2026, 11, 30))
    assert_reconciles(m)


def test_an_mrr_point_of_0_churns_the_account(cli, db, tmp_path):
    sheet = write(
        tmp_path / "sheet.csv", 'Cliente,Mensalidade,Início do contrato\nLoja Azul,"800,00",15/01/2025\n'
    )
    history = write(
        tmp_path / "h.csv", "conta,data,mrr\nLoja Azul,2026-03-01,800.00\nLoja Azul,2026-04-01,0\n"
    )
    imported(cli, sheet, "2026-02-01")
    imported(cli, history, "2026-05-01", kind="mrr")
    azul = account(db, "Loja Azul")
    assert (azul.status, azul.churn_date, azul.mrr_cents, azul.stage) == (
        "churned",
        date(2026, 4, 1),
        80_000,
        "churned",
    )
    m = metrics.compute(db, date(2026, 4, 1), date(2026, 4, 30))
    assert (m.churned_accounts, m.churned_mrr, m.accounts_end) == (1, 80_000, 0)
    assert_reconciles(m)


def test_undoing_a_history_import_restores_the_ledger(cli, db, tmp_path):
    sheet = write(tmp_path / "sheet.csv", 'Cliente,Mensalidade\nLoja Verde,"500,00"\n')
    history = write(
        tmp_path / "h.csv", "conta,data,mrr\nLoja Verde,2026-01-01,400.00\nLoja Verde,2026-03-01,0\n"
    )
    imported(cli, sheet, "2026-05-01")
    before = moves(db, "Loja Verde")
    run = imported(cli, history, "2026-05-02", kind="mrr")["run_id"]
    assert moves(db, "Loja Verde") != before
    code, _out, err = cli("import", "--undo", str(run))
    assert code == 0, err
    assert moves(db, "Loja Verde") == before
    verde = account(db, "Loja Verde")
    assert (verde.status, verde.mrr_cents) == ("active", 50_000)
