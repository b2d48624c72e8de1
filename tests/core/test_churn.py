"""The churn workflow: the details kept beside the ledger's churn, and the post-mortem document."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cli.main import main
from csdesk import accounts, churn, documents, renewals, timeline
from csdesk.accounts import AccountData
from csdesk.errors import UserError


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


@pytest.fixture
def acme(db):
    account_id = accounts.create_account(
        db,
        AccountData(
            name="Padaria Pitanga",
            mrr_cents=250000,
            contract_start=date(2025, 3, 10),
            renewal_date=date(2026, 12, 10),
            owner="Ana Souza",
        ),
    ).id
    for when, kind, title, severity in [
        (datetime(2026, 6, 2, 10), "call", "Alinhamento trimestral", None),
        (datetime(2026, 8, 14, 10), "ticket", "NF-e não emite", "critical"),
        (datetime(2026, 9, 1, 10), "ticket", "Relatório lento", "low"),
        (datetime(2026, 9, 20, 10), "email", "Proposta de desconto", None),
        (datetime(2026, 10, 5, 10), "churn_request", "Pediu cancelamento", None),
        (datetime(2026, 10, 8, 10), "save_attempt", "Reunião com o diretor", None),
    ]:
        timeline.add_event(db, account_id, kind=kind, title=title, severity=severity, occurred_at=when)
    return account_id


def test_details_are_kept_and_the_post_mortem_reads_them(db, acme):
    with pytest.raises(UserError, match="mark it churned first"):
        churn.record_details(db, acme, churn.ChurnDetails(reason="price"))
    renewals.close_renewal(db, acme, "lost", on=date(2026, 11, 20))
    churn.record_details(
        db,
        acme,
        churn.ChurnDetails(reason="nonpayment", root_cause="Caixa apertado", save_attempts="Parcelamento"),
    )
    record = churn.latest_details(db, acme)
    assert (record.reason, record.churn_type) == ("nonpayment", "involuntary")  # non-payment is involuntary
    assert (record.mrr_lost_cents, record.churn_date) == (250000, date(2026, 11, 20))
    assert accounts.get_account(db, acme).churn_reason == "nonpayment"

    data = churn.churn_data(db, acme, "pt_BR")
    assert data["reason_label"] == "Inadimplência" and data["type_label"] == "Involuntário"
    assert data["mrr_lost_cents"] == 250000 and data["arr_lost_cents"] == 3000000
    assert data["months_as_customer"] == 20
    assert data["touches"]["total"] == 2 and data["touches"]["days_without_touch"] == 61
    assert (data["tickets"]["total"], data["tickets"]["critical"]) == (2, 1)
    assert [s["kind"] for s in data["signals"]] == ["churn_request", "save_attempt"]


def test_postmortem_document_in_markdown_docx_and_pdf(db, acme, tmp_path):
    renewals.close_renewal(db, acme, "lost", reason="support", on=date(2026, 11, 20))
    churn.record_details(db, acme, churn.ChurnDetails(reason="support", root_cause="Chamados sem resposta"))
    md = documents.generate(db, "postmortem", acme, tmp_path / "pm.md", "pt_BR").path.read_text(
        encoding="utf-8"
    )
    assert "# Post-mortem do cancelamento — Padaria Pitanga" in md
    assert "Cancelou em 20/11/2026" in md and "R$ 2.500,00" in md and "R$ 30.000,00" in md
    assert "**Causa raiz:** Chamados sem resposta" in md
    assert "| 14/08/2026 | NF-e não emite | Crítico |" in md
    assert "Pedido de cancelamento: Pediu cancelamento" in md
    en = documents.generate(db, "postmortem", acme, tmp_path / "pm-en.md", "en").path.read_text(
        encoding="utf-8"
    )
    assert "**Reason:** Support (voluntary)" in en
    for suffix, magic in ((".docx", b"PK"), (".pdf", b"%PDF")):
        path = documents.generate(db, "postmortem", acme, tmp_path / f"pm{suffix}", "en").path
        assert path.read_bytes()[:4].startswith(magic)
    with pytest.raises(UserError, match="cannot be written as .pptx"):
        documents.generate(db, "postmortem", acme, tmp_path / "pm.pptx", "en")


def test_update_command_asks_the_churn_details_and_doc_postmortem_writes_it(
    db_path, db, acme, tmp_path, capsys
):
    assert (
        run(
            db_path,
            "update",
            "Padaria",
            "--status",
            "churned",
            "--reason",
            "Preço",
            "--root-cause",
            "Concorrente 30% mais barato",
            "--save-attempts",
            "Desconto de 10%",
            "--date",
            "2026-11-20",
        )
        == 0
    )
    record = churn.latest_details(db, acme)
    assert (record.reason, record.churn_type, record.root_cause) == (
        "price",
        "voluntary",
        "Concorrente 30% mais barato",
    )
    out = tmp_path / "pm.md"
    assert run(db_path, "--lang", "pt-BR", "doc", "postmortem", "Padaria", "--out", str(out)) == 0
    assert "**Tentativas de retenção:** Desconto de 10%" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert run(db_path, "update", "Padaria", "--churn-type", "sideways") == 2
    assert run(db_path, "doc", "postmortem", "Padaria", "--out", str(tmp_path / "x.pptx")) == 2
    assert ".docx, .pdf, .md" in capsys.readouterr().err


def test_the_post_mortem_looks_at_the_year_before_the_churn_not_at_today(db, acme, tmp_path, monkeypatch):
    from csdesk.documents import builder

    renewals.close_renewal(db, acme, "lost", on=date(2026, 11, 20))
    with db.session() as s, s.begin():
        from db.models import Account

        s.get(Account, acme).churn_date = date(2025, 8, 16)  # an old churn, before any record
    seen = []
    build = builder.context.build

    def spy(db, account_id, language, period, today, **options):
        seen.append(period)
        return build(db, account_id, language, period, today, **options)

    monkeypatch.setattr(builder.context, "build", spy)
    builder.build_document(db, "postmortem", acme, "en", today=date(2026, 11, 25))
    assert seen[0].end == date(2025, 8, 17) and seen[0].start == date(2024, 8, 16)  # the health chart's too
