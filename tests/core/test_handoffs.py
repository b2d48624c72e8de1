"""The sales → CS hand-off: stored per account, shown in the kickoff and success plan, welcome e-mail."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import replace
from datetime import date

from cli.main import main
from csdesk import accounts, handoffs
from csdesk.accounts import AccountData, ContactData
from csdesk.documents.builder import build_document
from csdesk.documents.markdown_writer import to_markdown


def acme(db) -> int:
    account = accounts.create_account(db, AccountData(name="Acme", owner="Ana Souza", stage="onboarding")).id
    accounts.save_contact(
        db, ContactData(account_id=account, name="Carla Dias", role="champion", email="carla@acme.com.br")
    )
    return account


def test_saving_and_reading_back_keeps_each_field(db):
    account = acme(db)
    assert handoffs.get_handoff(db, account).is_empty
    before = handoffs.save_handoff(
        db,
        handoffs.HandoffData(account, pains="- Manual reports\n- Churn surprises\n", seller=" Marcos "),
    )
    assert before.is_empty
    saved = handoffs.get_handoff(db, account)
    assert (saved.pains, saved.seller) == ("- Manual reports\n- Churn surprises", "Marcos")
    assert handoffs.items(saved.pains) == ["Manual reports", "Churn surprises"]
    handoffs.save_handoff(db, replace(saved, risks="Small team"))
    assert handoffs.get_handoff(db, account).pains == saved.pains  # one row per account, updated


def test_the_kickoff_and_the_success_plan_show_the_hand_off(db):
    account = acme(db)
    handoffs.save_handoff(
        db,
        handoffs.HandoffData(
            account,
            pains="Reports built by hand every week",
            promised_outcomes="Automatic reports within 30 days\nA risk alert per customer",
            stakeholders="Roberto Lima, CFO (sponsor)",
            risks="Small team for the setup",
            deal_notes="10% off the first year",
            seller="Marcos Alves",
        ),
    )
    kickoff = to_markdown(build_document(db, "kickoff", account, "en", today=date(2026, 11, 25)))
    assert "What we heard in the sale" in kickoff and "Seller: Marcos Alves" in kickoff
    for text in ("Reports built by hand every week", "Roberto Lima, CFO (sponsor)", "10% off the first year"):
        assert text in kickoff
    assert "| Automatic reports within 30 days |" in kickoff  # the desired outcomes, pre-filled
    assert "- Small team for the setup" in kickoff.split("Risks and dependencies")[1]
    plan = to_markdown(build_document(db, "success_plan", account, "pt_BR", today=date(2026, 11, 25)))
    assert "Resultados desejados prometidos na venda" in plan and "A risk alert per customer" in plan


def test_a_kickoff_without_hand_off_says_nothing_of_it(db):
    kickoff = to_markdown(build_document(db, "kickoff", acme(db), "en", today=date(2026, 11, 25)))
    assert "What we heard in the sale" not in kickoff
    assert "Required outcome: _to be defined in this meeting_" in kickoff


def test_welcome_email_names_the_promises_and_saves_as_a_draft(db, tmp_path):
    account = acme(db)
    handoffs.save_handoff(
        db, handoffs.HandoffData(account, promised_outcomes="Reports in 30 days", seller="Marcos")
    )
    text = handoffs.welcome_email(db, account, "pt_BR")
    assert text.startswith("Assunto: Boas-vindas ao nosso time de Customer Success — Acme")
    assert "Olá Carla," in text and "Marcos me contou" in text and "- Reports in 30 days" in text
    path = handoffs.write_eml(tmp_path / "welcome.eml", text, "carla@acme.com.br")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Boas-vindas ao nosso time de Customer Success — Acme"
    assert message["To"] == "carla@acme.com.br" and message["X-Unsent"] == "1"
    assert "Reports in 30 days" in message.get_content()


def test_cli_fills_shows_and_writes_the_welcome_email(db_path, db, capsys, tmp_path):
    acme(db)
    code = main(
        [
            "--db",
            str(db_path),
            "handoff",
            "acme",
            "--pains",
            "Manual reports\\nNo alerts",
            "--seller",
            "Marcos",
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "handoff", "acme", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["pains"], data["seller"], data["account"]) == ("Manual reports\nNo alerts", "Marcos", "Acme")
    out = tmp_path / "welcome.eml"
    assert (
        main(["--db", str(db_path), "--lang", "en", "handoff", "acme", "--welcome", "--out", str(out)]) == 0
    )
    assert email.message_from_bytes(out.read_bytes())["To"] == "carla@acme.com.br"
    assert main(["--db", str(db_path), "handoff", "acme", "--out", str(out)]) == 2
    assert "--out goes with --welcome" in capsys.readouterr().err
