"""The demo book's success plans (pt-BR outcomes and criteria) and get-well plans for its red accounts."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from csdesk import clock, health
from csdesk.i18n import tr
from csdesk.plans import _STAGE_MILESTONES, get_well_from_template, plan_from_template
from db import Database, bulk
from db.models import Account, DesiredOutcome, Milestone, SuccessCriterion, SuccessPlan, Task

_DEMO_OUTCOMES = (
    (
        "Reduzir o fechamento mensal de 5 para 2 dias",
        "Relatórios automáticos, sem planilhas paralelas",
        "Dias para o fechamento mensal",
        "dias",
        5.0,
        2.0,
    ),
    (
        "Aumentar a adoção da plataforma pelas equipes comerciais",
        "Treinamentos curtos e suporte em português",
        "Usuários ativos semanais",
        "%",
        40.0,
        80.0,
    ),
    (
        "Diminuir os chamados repetidos ao suporte interno",
        "Base de conhecimento à mão no dia a dia",
        "Chamados internos por mês",
        "chamados",
        120.0,
        60.0,
    ),
    (
        "Ter visibilidade diária dos indicadores da operação",
        "Um painel único, acessível pelo celular",
        "Gestores usando o painel",
        "%",
        10.0,
        90.0,
    ),
    (
        "Acabar com o retrabalho no cadastro de pedidos",
        "Integração com o ERP, sem digitação dupla",
        "Pedidos com retrabalho",
        "%",
        18.0,
        5.0,
    ),
    (
        "Encurtar o tempo de atendimento ao cliente final",
        "Histórico completo do cliente em uma tela",
        "Tempo médio de atendimento",
        "min",
        14.0,
        8.0,
    ),
)
_DEMO_ROOT_CAUSES = (
    "Baixa adoção depois da troca do patrocinador",
    "Integração instável com o ERP gerando chamados críticos",
    "Equipe do cliente sem treinamento após rotatividade",
    "Percepção de preço alto frente ao uso atual",
)


def add_demo_plans(db: Database, seed: int = 1, today: date | None = None) -> int:
    """Success plans for the demo book's high- and mid-touch accounts, get-well plans for red ones.

    Written with bulk inserts (a 50,000-account book gets its plans in seconds);
    only accounts without a plan get one. Returns the number of plans created.
    """
    today = today or clock.today()
    rng = random.Random(seed * 7919 + 17)
    with db.transaction() as session:
        have = set(session.scalars(select(SuccessPlan.account_id).distinct()))
        accounts = session.execute(
            select(
                Account.id,
                Account.segment,
                Account.contract_start,
                Account.health_band,
                Account.stage,
                Account.renewal_date,
            )
            .where(Account.status == "active")
            .order_by(Account.id)
        ).all()
        next_plan = (session.scalar(select(func.max(SuccessPlan.id))) or 0) + 1
        plan_rows, outcome_rows, criterion_rows, milestone_rows, task_rows = [], [], [], [], []
        for account_id, segment, contract_start, band, stage, renewal_date in accounts:
            if account_id in have:
                continue
            wants_success = segment in ("high_touch", "mid_touch")
            wants_get_well = band == "red"
            if not (wants_success or wants_get_well):
                continue
            start = contract_start or today - timedelta(days=60)
            age = (today - start).days
            stretch = 1 if age < 120 else 3  # an older account's plan spans its contract year
            if age >= 365:
                years = age // 365
                start = start + timedelta(days=365 * years)
            if stage in _STAGE_MILESTONES:  # a plan for the stage the account is in now
                start, stretch = today - timedelta(days=30), 1
            if wants_success:
                template = plan_from_template(account_id, segment, "pt_BR", start, stage, renewal_date)
                plan_id, next_plan = next_plan, next_plan + 1
                plan_rows.append(
                    {
                        "id": plan_id,
                        "account_id": account_id,
                        "kind": "success",
                        "title": tr("Success plan", "pt_BR"),
                        "status": "active",
                    }
                )
                picks = rng.sample(_DEMO_OUTCOMES, 2)
                done_share = 0.0
                for i, m in enumerate(template.milestones):
                    due = start + (m.due_date - start) * stretch if m.due_date else None
                    if due and due < today - timedelta(days=10):
                        status = "done" if rng.random() < 0.94 else "late"
                    elif due and due < today + timedelta(days=20):
                        status = "in_progress"
                    else:
                        status = "planned"
                    progress = {
                        "done": 100,
                        "late": rng.choice((40, 60, 80)),
                        "in_progress": rng.choice((20, 40, 60)),
                        "planned": 0,
                    }[status]
                    done_share += progress / 100 / len(template.milestones)
                    milestone_rows.append(
                        {
                            "plan_id": plan_id,
                            "position": i,
                            "title": m.title,
                            "owner_side": m.owner_side,
                            "due_date": due,
                            "status": "in_progress" if status == "late" else status,
                            "progress": progress,
                            "is_quick_win": m.is_quick_win,
                            "completed_on": due if status == "done" else None,
                        }
                    )
                for i, (required, experience, metric, unit, baseline, target) in enumerate(picks):
                    reached = done_share * rng.uniform(0.6, 1.1)
                    outcome_rows.append(
                        {
                            "plan_id": plan_id,
                            "position": i,
                            "required_outcome": required,
                            "appropriate_experience": experience,
                            "result": None if reached < 0.5 else f"{round(reached * 100)}% da meta atingida",
                        }
                    )
                    criterion_rows.append(
                        {
                            "plan_id": plan_id,
                            "position": i,
                            "metric": metric,
                            "unit": unit,
                            "baseline": baseline,
                            "target": target,
                            "current": round(baseline + (target - baseline) * min(1.0, reached), 1),
                            "due_date": start + timedelta(days=90 * stretch),
                        }
                    )
            if wants_get_well:
                plan_id, next_plan = next_plan, next_plan + 1
                began = today - timedelta(days=rng.randint(7, 35))
                plan_rows.append(
                    {
                        "id": plan_id,
                        "account_id": account_id,
                        "kind": "get_well",
                        "title": tr("Get-well plan", "pt_BR"),
                        "status": "active",
                        "root_cause": rng.choice(_DEMO_ROOT_CAUSES),
                    }
                )
                # Only its milestones and check-ins are used here (the demo plan has no criteria).
                template = get_well_from_template(
                    account_id, "pt_BR", began, exit_score=health.DEFAULT_THRESHOLDS["yellow"]
                )
                for i, m in enumerate(template.milestones):
                    done = m.due_date is not None and m.due_date < today
                    milestone_rows.append(
                        {
                            "plan_id": plan_id,
                            "position": i,
                            "title": m.title,
                            "owner_side": m.owner_side,
                            "due_date": m.due_date,
                            "status": "done" if done else "planned",
                            "progress": 100 if done else 0,
                            "is_quick_win": m.is_quick_win,
                            "completed_on": m.due_date if done else None,
                        }
                    )
                for t in template.tasks:
                    task_rows.append(
                        {
                            "account_id": account_id,
                            "plan_id": plan_id,
                            "title": t.title,
                            "due_date": t.due_date,
                            "kind": "risk",
                            "status": "done" if t.due_date and t.due_date < today else "open",
                            "owner_side": "ours",
                            "origin": "manual",
                            "priority": "high",
                        }
                    )
        for model, rows in (
            (SuccessPlan, plan_rows),
            (DesiredOutcome, outcome_rows),
            (SuccessCriterion, criterion_rows),
            (Milestone, milestone_rows),
            (Task, task_rows),
        ):
            if rows:
                session.execute(insert(model), rows)
        bulk.continue_ids(session.connection())  # the plans' ids were chosen above
    return len(plan_rows)
