"""Documents a customer is shown: no template hints, no internal score, plans and dates that fit the account."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from docx import Document as WordDocument

from csdesk import documents, plans
from csdesk.documents import context
from db.models import Account, SuccessPlan

from .conftest import TODAY
from .test_documents import slide_texts

PERIOD = context.Period.quarter_to(TODAY)


def _set(db, account_id, **values):
    with db.session() as s, s.begin():
        account = s.get(Account, account_id)
        for key, value in values.items():
            setattr(account, key, value)


def _drop_plans(db, account_id):
    with db.session() as s, s.begin():
        for plan in s.query(SuccessPlan).filter(SuccessPlan.account_id == account_id):
            s.delete(plan)


@pytest.mark.parametrize(
    "renewal, expected, is_renewal",
    [
        (None, TODAY + timedelta(days=91), False),
        (TODAY + timedelta(days=200), TODAY + timedelta(days=91), False),
        (TODAY + timedelta(days=60), TODAY + timedelta(days=30), True),  # a month before the renewal
        (TODAY + timedelta(days=4), TODAY + timedelta(days=3), True),  # renewal close: just before it
        (TODAY - timedelta(days=10), TODAY + timedelta(days=91), False),  # renewal past: a quarter on
    ],
)
def test_the_next_review_never_falls_after_the_renewal(renewal, expected, is_renewal):
    assert context.next_review(TODAY, renewal) == (expected, is_renewal)


def test_a_plan_follows_the_accounts_stage():
    onboarding = plans.plan_from_template(1, "high_touch", "en", TODAY, "onboarding")
    renewal = plans.plan_from_template(
        1, "high_touch", "en", TODAY, "renewal", renewal_date=TODAY + timedelta(days=40)
    )
    assert onboarding.milestones[0].title == "Kickoff meeting held"
    titles = [m.title for m in renewal.milestones]
    assert "Renewal proposal sent" in titles and "Kickoff meeting held" not in titles
    assert all(m.due_date <= TODAY + timedelta(days=40) for m in renewal.milestones)
    adoption = plans.plan_from_template(1, "mid_touch", "pt_BR", TODAY, "ongoing_adoption")
    assert "Revisão de uso com os usuários-chave" in [m.title for m in adoption.milestones]


def test_template_hints_are_placeholders_in_both_languages():
    plan = plans.plan_from_template(1, "high_touch", "pt_BR", TODAY)
    outcome = plan.outcomes[0]
    assert plans.is_placeholder(outcome.required_outcome)
    assert plans.is_placeholder(outcome.appropriate_experience)
    assert plans.is_placeholder("How the customer wants to get there (experience)")
    assert not plans.is_placeholder("Reduzir o fechamento mensal de 5 para 2 dias")


def test_a_deck_never_prints_a_template_hint(book, tmp_path):
    db, account_id = book
    plan = plans.current_plan(db, account_id)
    hint = plans.plan_from_template(account_id, "high_touch", "pt_BR", TODAY).outcomes[0]
    plans.save_plan(db, replace(plan, outcomes=(hint, *plan.outcomes)))
    out = tmp_path / "qbr.pptx"
    documents.generate(db, "qbr", account_id, out, "pt_BR", PERIOD, today=TODAY)
    everything = "\n".join(slide_texts(out))
    assert "Fechar o caixa em 1 dia" in everything  # the real outcome is there
    assert "experiência adequada)" not in everything and "Descreva" not in everything


def test_without_a_plan_the_documents_propose_the_stages_plan(book, tmp_path):
    db, account_id = book
    _drop_plans(db, account_id)
    _set(db, account_id, stage="renewal", renewal_date=TODAY + timedelta(days=45))
    documents.generate(db, "success-plan", account_id, tmp_path / "plano.docx", "pt_BR", PERIOD, today=TODAY)
    word = WordDocument(str(tmp_path / "plano.docx"))
    text = "\n".join(p.text for p in word.paragraphs) + "\n".join(
        c.text for t in word.tables for r in t.rows for c in r.cells
    )
    assert "Proposta para a fase de renovação" in text
    assert "Proposta de renovação enviada" in text  # a renewal step, not onboarding
    assert "Reunião de kick-off realizada" not in text
    assert "Crie um" not in text and "modelo do segmento" not in text  # no instruction meant for the CSM
    assert "(reunião de renovação)" in text
    documents.generate(db, "qbr", account_id, tmp_path / "q.pptx", "pt_BR", PERIOD, today=TODAY)
    deck = "\n".join(slide_texts(tmp_path / "q.pptx"))
    assert "Marco proposto" in deck and "Proposta de renovação enviada" in deck
    review = TODAY + timedelta(days=15)
    assert "Reunião de renovação" in deck and review.strftime("%d/%m/%Y") in deck


def test_a_kickoff_for_an_existing_customer_says_since_when(book, tmp_path):
    db, account_id = book
    _set(db, account_id, contract_start=date(2025, 3, 10))
    documents.generate(db, "kickoff", account_id, tmp_path / "k.pptx", "pt_BR", PERIOD, today=TODAY)
    first = slide_texts(tmp_path / "k.pptx")[0]
    assert "Cliente desde · 10/03/2025" in first and TODAY.strftime("%d/%m/%Y") not in first


def test_the_follow_up_email_leaves_the_score_out_unless_asked(book):
    db, account_id = book
    plain = documents.follow_up_email(db, account_id, "pt_BR", today=TODAY)
    shown = documents.follow_up_email(db, account_id, "pt_BR", today=TODAY, show_health=True)
    assert "Health Score" not in plain and "Health Score atual: 86" in shown
