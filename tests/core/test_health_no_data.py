"""No data, no score: the minimum share of weight, Support only from a ticket source, honest comparisons."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cli.main import main
from csdesk import health, metrics
from db.models import Account, HealthSnapshot, Measure, Task, TimelineEvent
from tests.support.health_data import add_accounts, add_surveys

TODAY = date(2026, 11, 25)  # a Wednesday
SUNDAY = date(2026, 11, 29)


def add_measures(db, rows):
    with db.session() as s, s.begin():
        s.add_all(Measure(account_id=a, metric=m, as_of=d, value=v) for a, m, d, v in rows)


def add_events(db, rows):
    with db.session() as s, s.begin():
        s.add_all(
            TimelineEvent(account_id=a, occurred_at=when, kind=kind, title=kind, severity=severity)
            for a, kind, when, severity in rows
        )


def components(snap: health.Snapshot) -> dict[str, health.ComponentScore]:
    return {c.key: c for c in snap.components}


def usage_rows(a: int, day: date, logins: float = 40.0, active: float = 8.0, key_use: float = 60.0):
    """Usage, adoption and key features: 60 % of the default model's weight."""
    return [
        (a, "logins", day, logins),
        (a, "active_users", day, active),
        (a, "key_feature_use", day, key_use),
    ]


def test_an_account_without_inputs_has_no_score_no_band_and_no_history(db):
    (fresh,) = add_accounts(
        db, [{"contract_start": date(2024, 1, 1), "mrr_cents": 50_000, "licensed_users": 10}]
    )
    result = health.recompute(db, today=TODAY)
    assert result.snapshots == 0 and result.alerts == 0
    with db.session() as s:
        account = s.get(Account, fresh)
        assert (account.health_score, account.health_band, account.health_trend) == (None, None, None)
        assert s.scalar(select(func.count()).select_from(HealthSnapshot)) == 0
    assert health.score_now(db, fresh, today=TODAY) is None
    assert health.explain(db, fresh).current is None
    # The portfolio split counts it (and its MRR) as "no data", not as a band.
    split = {b.band: (b.accounts, b.mrr_cents) for b in health.band_split(db)}
    assert split[None] == (1, 50_000) and split["green"] == (0, 0)
    assert health.band_label(None) == "No data"


def test_below_the_minimum_weight_there_is_no_score_and_the_minimum_is_the_models(db):
    (a,) = add_accounts(db, [{"contract_start": date(2024, 1, 1), "licensed_users": 10}])
    # Usage (25 %) and the average NPS answer (15 %): 40 % of the default model's weight.
    add_measures(db, [(a, "logins", TODAY - timedelta(days=2), 40.0)])
    add_surveys(db, [(a, "nps", 9, datetime(2026, 10, 1, 10, 0))])
    health.recompute(db, today=TODAY, alerts=False)
    assert health.score_now(db, a, today=TODAY) is None
    assert health.trend(db, a) == {7: None, 30: None}
    # The minimum is editable and stored with the model.
    model = health.model_for(db, None)
    assert model.min_weight == health.DEFAULT_MIN_WEIGHT == 50.0
    health.save_model(db, health.replace(model, min_weight=40.0))
    assert health.model_for(db, None).min_weight == 40.0
    health.recompute(db, today=TODAY, alerts=False)
    snap = health.score_now(db, a, today=TODAY)
    assert snap is not None and snap.score == pytest.approx(100.0)
    assert set(snap.missing) == {"adoption", "key_features", "support", "engagement"}
    assert health.validate_model(health.replace(model, min_weight=0.0))
    assert health.validate_model(health.replace(model, min_weight=120.0))


def test_support_is_missing_without_a_ticket_source_and_zero_where_one_says_so(db):
    quiet, tracked = add_accounts(
        db, [{"contract_start": date(2024, 1, 1), "licensed_users": 10} for _ in range(2)]
    )
    add_measures(db, usage_rows(quiet, TODAY) + usage_rows(tracked, TODAY))
    # The tracked account's tickets are on its timeline; none in the last 30 days.
    add_events(db, [(tracked, "ticket", datetime(2026, 6, 1, 9), "high")])
    health.recompute(db, today=TODAY, alerts=False)
    support_quiet = components(health.score_now(db, quiet, today=TODAY))["support"]
    support_tracked = components(health.score_now(db, tracked, today=TODAY))["support"]
    assert support_quiet.missing and support_quiet.value is None
    assert not support_tracked.missing and support_tracked.value == 0 and support_tracked.points == 8
    # Recent ticket events count, weighted by severity.
    add_events(db, [(tracked, "ticket", datetime(2026, 11, 20, 9), "critical")])
    assert components(health.score_now(db, tracked, today=TODAY))["support"].value == 3


def test_imported_ticket_counts_feed_support(db):
    (a,) = add_accounts(db, [{"contract_start": date(2024, 1, 1), "licensed_users": 10}])
    add_measures(db, usage_rows(a, TODAY) + [(a, "tickets", TODAY - timedelta(days=9), 4.0)])
    support = components(health.score_now(db, a, today=TODAY))["support"]
    assert (support.missing, support.value, support.points) == (False, 4.0, 6.0)
    # An imported count wins over the events; a critical count weighs 3 per ticket, as a critical event.
    add_events(db, [(a, "ticket", datetime(2026, 11, 20, 9), "low")])
    add_measures(db, [(a, "critical_tickets", TODAY - timedelta(days=9), 1.0)])
    assert components(health.score_now(db, a, today=TODAY))["support"].value == 6.0
    # An imported 0 is data: "0 tickets" because the ticket source says so.
    add_measures(
        db,
        [
            (a, "tickets", TODAY - timedelta(days=2), 0.0),
            (a, "critical_tickets", TODAY - timedelta(days=2), 0.0),
        ],
    )
    support = components(health.score_now(db, a, today=TODAY))["support"]
    assert (support.missing, support.value) == (False, 0.0)


def test_a_usage_file_with_ticket_counts_moves_support(db, db_path, tmp_path, capsys):
    add_accounts(db, [{"name": "Padaria Pitanga", "contract_start": date(2024, 1, 1), "licensed_users": 10}])
    usage = tmp_path / "uso.csv"
    usage.write_text(
        "Conta;Semana;Usuários ativos;Licenças;Logins;Tickets abertos;Tickets críticos\n"
        "Padaria Pitanga;16/11/2026;8;10;40;5;0\n",
        encoding="utf-8",
    )
    args = ["--db", str(db_path)]
    assert main([*args, "import", str(usage), "--as-of", "2026-11-25", "--yes"]) == 0
    capsys.readouterr()
    # The import recomputed the account: no separate step.
    assert main([*args, "health", "--account", "Padaria", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    support = next(c for c in data["components"] if c["key"] == "support")
    assert (support["missing"], support["value"], support["points"]) == (False, 5.0, 3.0)


def test_cli_prints_null_score_and_band_for_an_account_without_data(db, db_path, capsys):
    add_accounts(db, [{"name": "Sem Dados Ltda", "contract_start": date(2024, 1, 1), "licensed_users": 10}])
    args = ["--db", str(db_path)]
    assert main([*args, "health", "--recompute", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["score"], row["band"]) == (None, None)
    assert main([*args, "health", "--account", "Sem Dados", "--format", "json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert (one["score"], one["band"], one["components"]) == (None, None, [])
    assert main([*args, "health"]) == 0
    assert "No data" in capsys.readouterr().out


def test_seven_days_means_seven_days_and_the_date_is_shown_otherwise(db):
    (a,) = add_accounts(db, [{"contract_start": date(2024, 1, 1), "licensed_users": 10}])
    add_measures(db, usage_rows(a, date(2026, 11, 1)) + usage_rows(a, date(2026, 11, 24), logins=5.0))
    # On a Sunday the weekly grid alone would compare with Monday 16/11, 13 days back.
    result = health.recompute(db, today=SUNDAY)
    change = health.trend(db, a)[7]
    assert change is not None and change.exact and change.since == SUNDAY - timedelta(days=7)
    with db.session() as s:
        (task,) = s.scalars(select(Task).where(Task.rule_key.like("health_drop%"))).all()
    assert result.alerts >= 1
    assert "in 7 days" in task.title
    # The alert names the component that moved, only that one.
    assert task.notes.startswith("Usage −") and "Adoption" not in task.notes
    # A history without the exact day falls back to the nearest earlier snapshot, and says when.
    with db.session() as s, s.begin():
        s.execute(HealthSnapshot.__table__.delete().where(HealthSnapshot.as_of == SUNDAY - timedelta(days=7)))
    change = health.trend(db, a)[7]
    assert not change.exact and change.since == date(2026, 11, 16) and change.actual_days == 13


def test_no_alert_compares_against_a_missing_score(db):
    (a,) = add_accounts(db, [{"contract_start": date(2024, 1, 1), "licensed_users": 10}])
    # A month ago only usage was known (25 %: no score); now a poor, complete-enough picture.
    add_measures(db, [(a, "logins", date(2026, 10, 20), 40.0)])
    add_measures(db, usage_rows(a, TODAY - timedelta(days=1), logins=0.0, active=1.0, key_use=5.0))
    health.recompute(db, today=TODAY)
    with db.session() as s:
        keys = [t.rule_key for t in s.scalars(select(Task))]
    assert not any(k.startswith("health_drop") for k in keys)
    history = health.history(db, a)
    assert history and history[0].as_of >= TODAY - timedelta(days=1)


def test_arriving_data_is_blamed_not_the_component_that_stayed_put():
    def snap(day, comps):
        return health.Snapshot(1, day, 0.0, "green", False, tuple(comps))

    def comp(key, weight, points):
        measure = {"usage": "logins", "support": "tickets"}.get(key, key)
        return health.ComponentScore(key, measure, points, weight, 0.0, points, points is None)

    before = snap(
        date(2026, 11, 18), [comp("usage", 25, None), comp("support", 10, 8.0), comp("nps", 15, 6.0)]
    )
    after = snap(date(2026, 11, 25), [comp("usage", 25, 0.0), comp("support", 10, 8.0), comp("nps", 15, 6.0)])
    moves = {m.key: m.delta for m in health._moves(before, after)}
    assert moves["support"] == 0 and moves["nps"] == 0
    # Usage arriving at 0 points: from (10·8 + 15·6)/25·10 = 68 to 170/50·10 = 34.
    assert moves["usage"] == pytest.approx(-34.0)
    assert health.change_text(tuple(health._moves(before, after))) == "Usage −34.0 pts"


def test_the_nps_component_is_named_as_the_average_answer():
    assert health.measure_short_label("nps", "en") == "Average NPS answer"
    assert health.measure_short_label("nps", "pt_BR") == "Nota média de NPS"
    assert "Average NPS answer" in health.measure_label("nps", "en")


def test_mrr_by_band_counts_accounts_without_data_apart(db):
    a, b = add_accounts(
        db,
        [
            {"contract_start": date(2024, 1, 1), "licensed_users": 10, "mrr_cents": 10_000},
            {"contract_start": date(2024, 1, 1), "licensed_users": 10, "mrr_cents": 20_000},
        ],
    )
    add_measures(db, usage_rows(a, TODAY - timedelta(days=1)))
    health.recompute(db, today=TODAY, alerts=False)
    bands = {band: (n, mrr) for band, n, mrr in metrics.mrr_by_band(metrics.load_book(db), db, TODAY)}
    assert bands[None] == (1, 20_000)
    assert sum(n for n, _mrr in bands.values()) == 2
