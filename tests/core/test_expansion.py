"""Expansion: opportunities, won through the revenue ledger, hand-off e-mail, candidates filter."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from cli.main import main
from csdesk import accounts, expansion
from csdesk.accounts import AccountData, ValidationError
from csdesk.book import BookFilter, load_book, visible_rows
from csdesk.errors import UserError
from db.models import Account, RevenueChange


def make(db, name, **values) -> int:
    values.setdefault("stage", "ongoing_adoption")
    values.setdefault("contract_start", date(2025, 1, 10))
    return accounts.create_account(db, AccountData(name=name, **values), today=date(2026, 1, 1)).id


def test_the_candidate_rule():
    bands = np.array(["green", "green", "green", "yellow", None], dtype=object)
    nps = np.array([9, 7, np.nan, 10, 10], dtype=float)
    active = np.array([1, 85, 10, 100, 100], dtype=float)
    licensed = np.array([100, 100, np.nan, 100, 100], dtype=float)
    assert expansion.candidate_mask(bands, nps, active, licensed).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_the_books_expansion_filter_uses_the_rule(db):
    promoter = make(db, "Promotora", mrr_cents=100_00)
    busy = make(db, "Lotada", mrr_cents=100_00, licensed_users=50, active_users=45)
    make(db, "Morna", mrr_cents=100_00, licensed_users=50, active_users=10)
    red = make(db, "Vermelha", mrr_cents=100_00)
    with db.transaction() as s:
        for account in s.scalars(select(Account)):
            account.health_band = "red" if account.id == red else "green"
            account.last_nps = 10 if account.id in (promoter, red) else 6
    book = load_book(db, today=date(2026, 11, 25))
    rows = visible_rows(book, BookFilter(expansion=True), "name")
    assert book.column("name")[rows].tolist() == ["Lotada", "Promotora"]
    assert BookFilter.from_dict(BookFilter(expansion=True).to_dict()).expansion is True
    assert busy in book.column("id")[rows].tolist()


def test_a_won_opportunity_is_an_expansion_movement_in_the_ledger(db):
    account = make(db, "Acme", mrr_cents=1000_00)
    with pytest.raises(ValidationError):
        expansion.save_opportunity(db, expansion.OpportunityData(account_id=account, title="", value_cents=0))
    opp = expansion.save_opportunity(
        db,
        expansion.OpportunityData(
            account_id=account, title="20 more seats", kind="licences", value_cents=250_00
        ),
        today=date(2026, 11, 1),
    )
    assert (opp.status, opp.opened_on, opp.account_name) == ("open", date(2026, 11, 1), "Acme")
    moved = expansion.close(db, opp.id, "won", date(2026, 11, 20))
    assert (moved.kind, moved.before, moved.after) == ("expansion", 1000_00, 1250_00)
    with db.session() as s:
        assert s.get(Account, account).mrr_cents == 1250_00
        kinds = s.scalars(select(RevenueChange.kind).where(RevenueChange.account_id == account)).all()
    assert kinds == ["new", "expansion"]
    assert expansion.get_opportunity(db, opp.id).status == "won"
    with pytest.raises(UserError, match="already won"):
        expansion.close(db, opp.id, "lost")


def test_a_lost_opportunity_changes_no_revenue(db):
    account = make(db, "Acme", mrr_cents=1000_00)
    opp = expansion.save_opportunity(
        db, expansion.OpportunityData(account_id=account, title="BI", kind="cross_sell", value_cents=90_00)
    )
    assert expansion.close(db, opp.id, "lost", date(2026, 11, 20)) is None
    with db.session() as s:
        assert s.get(Account, account).mrr_cents == 1000_00


def test_hand_off_email_to_the_account_executive(db):
    account = make(db, "Acme", mrr_cents=1000_00, owner="Ana", licensed_users=50, active_users=48)
    opp = expansion.save_opportunity(
        db,
        expansion.OpportunityData(
            account_id=account,
            title="Módulo BI",
            kind="cross_sell",
            value_cents=480_00,
            executive="Bruno Reis",
            executive_email="bruno@vendas.com.br",
        ),
    )
    text, recipient = expansion.handoff_email(db, opp.id, "pt_BR", today=date(2026, 11, 25))
    assert text.startswith("Assunto: Oportunidade de expansão — Acme: Módulo BI")
    assert "Olá Bruno," in text and "R$ 480,00" in text and "Licenças em uso: 48 de 50" in text
    assert recipient == "bruno@vendas.com.br"
    assert expansion.get_opportunity(db, opp.id).handed_off_on == date(2026, 11, 25)


def test_cli_adds_wins_lists_and_hands_off(db_path, db, capsys, tmp_path):
    make(db, "Acme", mrr_cents=1000_00)
    run = lambda *a: main(["--db", str(db_path), *a])  # noqa: E731
    assert (
        run(
            "opportunity",
            "add",
            "acme",
            "--kind",
            "upsell",
            "--title",
            "Plano Pro",
            "--value",
            "300,00",
            "--executive",
            "Bruno",
            "--executive-email",
            "bruno@x.com",
            "--format",
            "json",
        )
        == 0
    )
    opp = json.loads(capsys.readouterr().out)
    assert (opp["value_cents"], opp["status"]) == (300_00, "open")
    out = tmp_path / "handoff.eml"
    assert run("--lang", "en", "opportunity", "handoff", str(opp["id"]), "--out", str(out)) == 0
    message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert message["To"] == "bruno@x.com" and "Plano Pro" in message["Subject"]
    assert run("opportunity", "won", str(opp["id"]), "--date", "2026-11-20") == 0
    capsys.readouterr()
    assert run("opportunities", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(o["title"], o["status"]) for o in listed] == [("Plano Pro", "won")]
    assert run("opportunity", "won", str(opp["id"])) == 2
    assert "already won" in capsys.readouterr().err
    assert run("opportunity", "add", "acme", "--title", "X", "--value", "abc") == 2


def test_cli_lists_expansion_candidates(db_path, db, capsys):
    account = make(db, "Acme", mrr_cents=1000_00)
    make(db, "Other", mrr_cents=1000_00)
    with db.transaction() as s:
        row = s.get(Account, account)
        row.health_band, row.last_nps = "green", 9
    assert main(["--db", str(db_path), "opportunities", "--candidates", "--format", "json"]) == 0
    assert [c["name"] for c in json.loads(capsys.readouterr().out)] == ["Acme"]
