"""A small demo book plus one well-documented account: plan, health history, tickets, NPS."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from csdesk import demo, health, plans
from db.models import Account, SurveyResponse, TimelineEvent

TODAY = date(2026, 11, 25)


@pytest.fixture
def today():
    return TODAY


def _band(score: float) -> str:
    return health.default_model().band(score)


def seed_account(db, account_id: int, scores: list[float], today: date = TODAY) -> None:
    """Weekly health snapshots ending today, a few tickets and NPS answers, a success plan."""
    with db.session() as s, s.begin():
        account = s.get(Account, account_id)
        health.store_history(
            s,
            account_id,
            [
                health.GivenSnapshot(
                    as_of=today - timedelta(days=7 * (len(scores) - 1 - i)),
                    score=score,
                    band=_band(score),
                    components=[
                        {"key": "usage", "points": 8.5, "weight": 40},
                        {"key": "nps", "points": 7.0, "weight": 15},
                        {"key": "support", "points": 4.5, "weight": 15},
                        {"key": "engagement", "points": None, "weight": 10, "missing": True},
                        {"key": "billing", "points": 10.0, "weight": 20},
                    ],
                )
                for i, score in enumerate(scores)
            ],
        )
        account.health_score = scores[-1]
        account.health_band = _band(scores[-1])
        for n, severity in enumerate(("low", "critical", "high")):
            s.add(
                TimelineEvent(
                    account_id=account_id,
                    occurred_at=datetime(2026, 10, 1 + n, 10),
                    kind="ticket",
                    severity=severity,
                    title=f"Chamado {n}",
                    source="manual",
                    data={},
                )
            )
        for n, score in enumerate((10, 9, 6, 8, 9)):
            s.add(
                SurveyResponse(
                    account_id=account_id,
                    kind="nps",
                    score=score,
                    answered_at=datetime(2026, 11, 1 + n, 9),
                    comment="Ótimo suporte" if n == 0 else None,
                )
            )
    plan = plans.plan_from_template(account_id, "high_touch", "pt_BR", today - timedelta(days=50))
    milestones = list(plan.milestones)
    milestones[0] = replace(
        milestones[0], status="done", progress=100, completed_on=today - timedelta(days=40)
    )
    milestones[1] = replace(milestones[1], status="in_progress", progress=50)
    plan = replace(
        plan,
        outcomes=(
            plans.OutcomeData("Fechar o caixa em 1 dia", "Sem planilhas paralelas", "Caixa em 2 dias"),
        ),
        criteria=(
            plans.CriterionData(
                "Dias para fechar o caixa", "dias", 3.0, 1.0, 2.0, today + timedelta(days=30)
            ),
        ),
        milestones=tuple(milestones),
    )
    plans.save_plan(db, plan)


@pytest.fixture
def book(db):
    """(db, account id) of a demo book with one account seeded for documents."""
    demo.generate(db, accounts=6, seed=7, today=TODAY)
    with db.session() as s:
        account_id = s.query(Account.id).filter(Account.status == "active").order_by(Account.id).first()[0]
    seed_account(db, account_id, [55, 58, 62, 66, 70, 74, 79, 83, 86])
    return db, account_id
