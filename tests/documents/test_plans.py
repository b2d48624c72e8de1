from dataclasses import replace
from datetime import date, timedelta

import pytest

from csdesk import clock, plans
from csdesk.accounts import AccountData, create_account
from csdesk.errors import UserError


@pytest.fixture
def account(db):
    return create_account(db, AccountData(name="Padaria Pitanga", segment="low_touch", mrr_cents=123456))


def test_start_plan_follows_the_touch_model(db, account):
    plan = plans.start_plan(db, account.id, language="pt_BR")
    titles = [m.title for m in plan.milestones]
    assert "Check-in de 30 dias" in titles  # low touch: 1:1 check-in at 30 days
    assert plan.quick_wins and plan.kind == "success"
    high = plans.plan_from_template(account.id, "high_touch", "en")
    assert "First QBR" in [m.title for m in high.milestones]


def test_get_well_plan_has_root_cause_and_weekly_check_ins(db, account):
    plan = plans.start_plan(db, account.id, kind="get_well", language="en")
    assert plan.kind == "get_well" and plan.root_cause
    dues = [t.due_date for t in plan.tasks]
    assert len(dues) == 8 and all((b - a).days == 7 for a, b in zip(dues, dues[1:], strict=False))
    assert all(m.owner_side in ("ours", "customer") for m in plan.milestones)


def test_get_well_plan_aims_back_above_the_accounts_yellow_threshold(db, account):
    from csdesk import health

    default = plans.start_plan(db, account.id, kind="get_well", language="en")
    assert [c.target for c in default.criteria] == [health.model_for(db, account.segment).yellow]
    health.save_model(db, replace(health.model_for(db, account.segment), green=85, yellow=55))
    plan = plans.start_plan(db, account.id, kind="get_well", language="en")
    assert [c.target for c in plan.criteria] == [55.0]


def test_save_round_trips_every_part_and_replaces_tasks(db, account):
    plan = plans.start_plan(db, account.id, kind="get_well")
    changed = replace(plan, tasks=plan.tasks[:2], outcomes=(plans.OutcomeData("Menos chamados", "Rápido"),))
    saved = plans.save_plan(db, changed)
    assert len(saved.tasks) == 2 and saved.outcomes[0].required_outcome == "Menos chamados"
    assert plans.get_plan(db, plan.id) == saved


def test_validation_refuses_bad_plans(db, account):
    with pytest.raises(UserError):
        plans.save_plan(db, plans.PlanData(account.id, " "))
    bad = plans.PlanData(account.id, "x", milestones=(plans.MilestoneData("m", progress=150),))
    with pytest.raises(UserError, match="0"):
        plans.save_plan(db, bad)


def test_status_on_track_late_done(db, account):
    today = date(2026, 11, 25)
    on_track = plans.PlanData(account.id, "p", milestones=(plans.MilestoneData("a", due_date=today),))
    late = plans.PlanData(
        account.id, "p", milestones=(plans.MilestoneData("a", due_date=today - timedelta(1)),)
    )
    done = plans.PlanData(account.id, "p", milestones=(plans.MilestoneData("a", status="done"),))
    assert [plans.plan_status(p, today) for p in (on_track, late, done)] == ["on_track", "late", "done"]
    assert late.progress == 0 and done.progress == 1.0


def test_plan_status_by_account_takes_the_worst_plan(db, account):
    other = create_account(db, AccountData(name="Outra"))
    today = date(2026, 11, 25)
    plans.save_plan(
        db, plans.PlanData(account.id, "ok", milestones=(plans.MilestoneData("a", due_date=today),))
    )
    plans.save_plan(
        db,
        plans.PlanData(account.id, "late", milestones=(plans.MilestoneData("b", due_date=date(2026, 1, 1)),)),
    )
    plans.save_plan(
        db, plans.PlanData(other.id, "done", milestones=(plans.MilestoneData("c", status="done"),))
    )
    assert plans.plan_status_by_account(db, today) == {account.id: "late", other.id: "done"}


def test_set_milestone_marks_done_with_the_day(db, account):
    plan = plans.start_plan(db, account.id)
    plans.set_milestone(db, plan.milestones[0].id, status="done")
    stored = plans.get_plan(db, plan.id).milestones[0]
    assert stored.status == "done" and stored.progress == 100 and stored.completed_on == clock.today()
    with pytest.raises(UserError):
        plans.set_milestone(db, plan.milestones[0].id, status="nope")


def test_criterion_attainment():
    assert plans.CriterionData("x", baseline=3, target=1, current=2).attainment == 0.5
    assert plans.CriterionData("x", baseline=10, target=20, current=40).attainment == 1.0
    assert plans.CriterionData("x").attainment is None


def test_demo_plans_for_high_and_mid_touch_and_red_accounts(db):
    from csdesk import demo
    from db.models import Account

    demo.generate(db, accounts=60, seed=2, today=date(2026, 11, 25))
    with db.session() as s, s.begin():
        red = s.query(Account).filter(Account.status == "active").order_by(Account.id).first()
        red.health_band = "red"
        wanted = {
            a.id
            for a in s.query(Account).filter(
                Account.status == "active", Account.segment.in_(("high_touch", "mid_touch"))
            )
        }
    created = demo.add_demo_plans(db, seed=2, today=date(2026, 11, 25))
    assert created >= len(wanted) and demo.add_demo_plans(db, seed=2) == 0  # only once
    get_well = plans.current_plan(db, red.id, "get_well")
    assert get_well.root_cause and len(get_well.tasks) == 8
    for account_id in wanted:
        plan = plans.current_plan(db, account_id, "success")
        assert plan.outcomes and plan.criteria and plan.milestones
        assert all(c.current is not None for c in plan.criteria)
    assert set(plans.plan_status_by_account(db, date(2026, 11, 25))) >= wanted
