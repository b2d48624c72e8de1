"""Health scores: models, scales, missing inputs, weekly history, explanations and alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from csdesk import clock, health
from csdesk.errors import UserError
from db.models import Account, HealthSnapshot, Measure, Task, TimelineEvent
from tests.support.health_data import add_accounts, add_surveys

TODAY = date(2026, 11, 25)  # a Wednesday


def small_model(segment=None) -> health.Model:
    return health.Model(
        name="Test",
        segment=segment,
        components=(
            health.Component("usage", "logins", 50, health.Scale("bands", ((3, 10), (1, 5), (0, 0)))),
            health.Component("nps", "nps", 30, health.Scale("linear", (), 0, 10)),
            health.Component("engagement", "days_since_touch", 20, health.Scale("bands", ((0, 10), (30, 0)))),
        ),
    )


def add_measures(db, rows):
    with db.session() as s, s.begin():
        s.add_all(Measure(account_id=a, metric=m, as_of=d, value=v) for a, m, d, v in rows)


def test_default_model_is_created_once_and_valid(db):
    models = health.list_models(db)
    assert len(models) == 1 and models[0].segment is None
    assert health.validate_model(models[0]) == []
    assert models[0].total_weight == pytest.approx(100)
    assert len(health.list_models(db)) == 1


def test_validation_names_the_problems(db):
    model = small_model()
    bad = health.replace(model, components=model.components[:2])
    errors = health.validate_model(bad)
    assert any("3 to 7" in e for e in errors)
    assert any("80" in e and "100%" in e for e in errors)
    with pytest.raises(UserError):
        health.save_model(db, bad)
    saved = health.save_model(db, small_model("high_touch"))
    assert saved.id and health.model_for(db, "high_touch").name == "Test"
    assert health.model_for(db, "tech_touch").segment is None


def test_scales():
    bands = health.Scale("bands", ((5, 10), (3, 7), (1, 3), (0, 0)))
    assert bands.points(np.array([0, 1, 2, 3, 4, 5, 9, np.nan])).tolist()[:7] == [0, 3, 3, 7, 7, 10, 10]
    assert np.isnan(bands.points(np.array([np.nan]))[0])
    linear = health.Scale("linear", (), 20, 80)
    assert linear.points(np.array([0, 20, 50, 80, 100])).tolist() == [0, 0, 5, 10, 10]
    lower_is_better = health.Scale("linear", (), 60, 0)
    assert lower_is_better.points(np.array([0, 30, 90])).tolist() == [10, 5, 0]


@pytest.fixture
def scored(db):
    health.save_model(db, health.replace(small_model(), id=None))
    (a,) = add_accounts(db, [{"contract_start": date(2025, 1, 1), "licensed_users": 10, "mrr_cents": 1000}])
    add_measures(
        db,
        [
            (a, "logins", date(2026, 11, 10), 40.0),
            (a, "logins", date(2026, 11, 20), 40.0),
        ],
    )
    add_surveys(db, [(a, "nps", 8, datetime(2026, 10, 1, 10, 0))])
    return a


def test_missing_input_redistributes_weight_and_is_named(db, scored):
    result = health.recompute(db, today=date(2026, 11, 23), alerts=False)
    assert result.accounts == 1
    e = health.explain(db, scored)
    snap = e.current
    assert snap.as_of == date(2026, 11, 23)
    # (0.5 x 10 + 0.3 x 8) / 0.8 x 10: engagement is missing, not zero.
    assert snap.score == pytest.approx(92.5)
    assert snap.band == "green"
    assert not snap.complete
    assert snap.missing == ("engagement",)
    assert e.missing_labels() == ["Engagement"]
    eff = {c.key: c.effective_weight for c in snap.components}
    assert eff == pytest.approx({"usage": 0.625, "nps": 0.375, "engagement": 0.0})


def test_weekly_history_mondays_and_today(db, scored):
    health.recompute(db, today=TODAY, alerts=False)
    with db.session() as s:
        days = s.scalars(select(HealthSnapshot.as_of).order_by(HealthSnapshot.as_of)).all()
    assert days[-1] == TODAY
    # Mondays, plus the days the 7- and 30-day comparisons need exactly (30 days back
    # only NPS, 30 % of the weight, was known: no score, so no row).
    comparison = {TODAY - timedelta(days=7), TODAY - timedelta(days=30)}
    assert TODAY - timedelta(days=7) in days and TODAY - timedelta(days=30) not in days
    assert all(d.weekday() == 0 for d in days[:-1] if d not in comparison)
    assert days[0] >= TODAY - timedelta(weeks=health.HISTORY_WEEKS + 1)
    # Recomputing replaces: no duplicates, the same rows.
    health.recompute(db, today=TODAY, alerts=False)
    with db.session() as s:
        assert s.scalars(select(HealthSnapshot.as_of).order_by(HealthSnapshot.as_of)).all() == days


def test_drop_and_red_alerts_become_tasks_once(db, scored):
    add_measures(db, [(scored, "logins", date(2026, 11, 24), 5.0)])
    result = health.recompute(db, today=TODAY)
    with db.session() as s:
        account = s.get(Account, scored)
        assert account.health_score == pytest.approx(30.0)
        assert account.health_band == "red"
        # 30 days back only NPS (30 % of the weight) was known: no score, so no 30-day trend.
        assert account.health_trend is None
        tasks = s.scalars(select(Task).order_by(Task.rule_key)).all()
    assert result.alerts == 2
    assert [t.rule_key for t in tasks] == ["health_drop:2026-W48", "health_red:2026-11-23"]
    assert all(t.origin == "alert" and t.kind == "risk" and t.status == "open" for t in tasks)
    assert "62,5" in tasks[0].title or "62.5" in tasks[0].title
    assert tasks[0].notes and "Usage" in tasks[0].notes
    # Recomputing again (the next day) creates nothing new.
    assert health.recompute(db, today=TODAY + timedelta(days=1)).alerts == 0
    e = health.explain(db, scored)
    assert e.change == pytest.approx(30.0 - 92.5)
    assert sum(m.delta for m in e.moves) == pytest.approx(e.change, abs=0.05)
    assert e.change_text().startswith("Usage −")
    assert health.changes(db, scored)[7] == pytest.approx(30.0 - 92.5)


def test_touches_and_tickets_count_from_the_timeline(db, scored):
    with db.session() as s, s.begin():
        s.add(TimelineEvent(account_id=scored, occurred_at=datetime(2026, 11, 1, 9), kind="call", title="x"))
    snap = health.score_now(db, scored, today=date(2026, 11, 23))
    assert snap.complete
    values = {c.key: c.value for c in snap.components}
    assert values["engagement"] == 22
    # 0.5 x 10 + 0.3 x 8 + 0.2 x 10 = 9.4 -> 94
    assert snap.score == pytest.approx(94.0)


def test_segment_model_applies_to_its_accounts(db):
    health.save_model(db, small_model("high_touch"))
    (a, b) = add_accounts(
        db,
        [
            {"contract_start": date(2025, 1, 1), "segment": "high_touch", "licensed_users": 10},
            {"contract_start": date(2025, 1, 1), "segment": "tech_touch", "licensed_users": 10},
        ],
    )
    add_measures(db, [(a, "logins", TODAY, 40.0), (b, "logins", TODAY, 40.0)])
    # Usage alone is 25 % of the default model: adoption and key features make it 60 %.
    add_measures(db, [(b, "active_users", TODAY, 8.0), (b, "key_feature_use", TODAY, 50.0)])
    health.recompute(db, today=TODAY, alerts=False)
    ea, eb = health.explain(db, a), health.explain(db, b)
    assert ea.model.segment == "high_touch" and len(ea.current.components) == 3
    assert eb.model.segment is None and len(eb.current.components) == 6


def test_churned_accounts_stop_at_churn_and_new_ones_start_at_contract(db):
    (a, b) = add_accounts(
        db,
        [
            {
                "contract_start": date(2025, 1, 1),
                "status": "churned",
                "churn_date": date(2026, 6, 10),
                "licensed_users": 5,
            },
            {"contract_start": date(2026, 9, 1), "licensed_users": 5},
        ],
    )
    add_measures(db, [(a, "logins", date(2026, 6, 1), 10.0), (b, "logins", date(2026, 11, 20), 10.0)])
    add_measures(
        db,
        [(a, "active_users", date(2026, 6, 1), 4.0), (a, "key_feature_use", date(2026, 6, 1), 40.0)]
        + [(b, "active_users", date(2026, 11, 20), 4.0), (b, "key_feature_use", date(2026, 11, 20), 40.0)],
    )
    health.recompute(db, today=TODAY, alerts=False)
    ha, hb = health.history(db, a), health.history(db, b)
    assert ha and ha[-1].as_of <= date(2026, 6, 10)
    assert hb and hb[0].as_of >= date(2026, 9, 1)


def test_churned_accounts_have_no_current_score_nor_alerts(db):
    """Churned accounts keep their pre-churn history only: no book score, no alert, no KPI weight."""
    from csdesk import book as book_service
    from csdesk import metrics

    health.save_model(db, health.replace(small_model(), id=None))
    churned, undated, active = add_accounts(
        db,
        [
            {
                "contract_start": date(2025, 1, 1),
                "status": "churned",
                "churn_date": date(2026, 11, 18),
                "licensed_users": 10,
                "mrr_cents": 5000,
            },
            {
                "contract_start": date(2025, 1, 1),
                "status": "churned",
                "licensed_users": 10,
                "mrr_cents": 7000,
            },
            {"contract_start": date(2025, 1, 1), "licensed_users": 10, "mrr_cents": 1000},
        ],
    )
    # Good usage earlier, then a collapse: for a customer that is a drop and a red crossing.
    rows = []
    for a in (churned, undated, active):
        rows += [(a, "logins", date(2026, 11, 2), 40.0), (a, "logins", date(2026, 11, 16), 0.0)]
        rows += [(a, "logins", date(2026, 11, 24), 0.0)]
    add_measures(db, rows)
    result = health.recompute(db, today=TODAY)
    with db.session() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        alerted = {t.account_id for t in s.scalars(select(Task))}
        last = {
            a: s.scalars(select(func.max(HealthSnapshot.as_of)).where(HealthSnapshot.account_id == a)).one()
            for a in (churned, undated)
        }
    for a in (churned, undated):
        assert (accounts[a].health_score, accounts[a].health_band, accounts[a].health_trend) == (
            None,
            None,
            None,
        )
    assert accounts[active].health_band == "red"
    assert alerted == {active} and result.alerts >= 1
    # History up to the churn date (or, undated, up to yesterday) is kept.
    assert last[churned] is not None and last[churned] <= date(2026, 11, 18)
    assert last[undated] is not None and last[undated] < TODAY
    # The book's KPIs and the MRR at risk only see the customer.
    book = book_service.load_book(db, today=TODAY)
    kpis = book_service.compute_kpis(book, np.arange(len(book)))
    assert kpis.scored_accounts == 1
    assert kpis.average_health == pytest.approx(accounts[active].health_score)
    bands = dict((b, n) for b, n, _mrr in metrics.mrr_by_band(metrics.load_book(db), db, clock.today()))
    assert bands["red"] == 1


def test_alert_settings_roundtrip(db):
    assert health.get_alert_settings(db) == {"drop_points": 15.0, "drop_days": 7, "red": True}
    health.set_alert_settings(db, {"drop_points": 10, "drop_days": 14})
    assert health.get_alert_settings(db)["drop_days"] == 14
    with pytest.raises(UserError):
        health.set_alert_settings(db, {"drop_points": 0})
