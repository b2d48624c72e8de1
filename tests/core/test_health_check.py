"""Does the health score predict churn? The check and the calibration against hand-computed examples."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pytest

from cli.main import main
from csdesk import health_check as hc
from db.models import HealthSnapshot
from tests.support.health_data import add_accounts, add_revenue

AS_OF = date(2026, 6, 1)
TODAY = date(2026, 11, 25)
SINCE = date(2025, 1, 1)


def _band(score: float) -> str:
    return "green" if score >= 80 else "yellow" if score >= 60 else "red"


def _book(db, specs):
    """specs: (score on AS_OF, churn date or None, contraction date or None) per account."""
    ids = add_accounts(
        db,
        [
            {
                "contract_start": SINCE,
                "mrr_cents": 0 if churn else 100_000,
                "status": "churned" if churn else "active",
            }
            for _score, churn, _down in specs
        ],
    )
    movements = []
    for a, (_score, churn, down) in zip(ids, specs, strict=True):
        movements.append((a, SINCE, "new", 0, 100_000))
        if down:
            movements.append((a, down, "contraction", 100_000, 50_000))
        if churn:
            movements.append((a, churn, "churn", 50_000 if down else 100_000, 0))
    add_revenue(db, movements)
    with db.session() as session, session.begin():
        for a, (score, _churn, _down) in zip(ids, specs, strict=True):
            session.add(
                HealthSnapshot(account_id=a, as_of=AS_OF - timedelta(days=4), score=score, band=_band(score))
            )
            # An older score of the week before: not the one of AS_OF.
            session.add(
                HealthSnapshot(account_id=a, as_of=AS_OF - timedelta(days=11), score=10.0, band="red")
            )
    return ids


def test_roc_auc_by_hand():
    # Churners scored 10 and 30, stayers 20 and 40: 3 of the 4 pairs have the churner lower.
    assert hc.roc_auc(-np.array([10, 20, 30, 40.0]), np.array([1, 0, 1, 0], dtype=bool)) == 0.75
    assert hc.roc_auc(np.array([5.0, 5.0]), np.array([True, False])) == 0.5  # a tie counts half
    assert hc.roc_auc(np.array([1.0, 2.0]), np.array([False, False])) is None


def test_logistic_fit_matches_the_closed_form():
    # One 0/1 feature: 1 of 4 churn at 0, 3 of 4 at 1. The fit's log-odds are those of the groups.
    x = np.array([[0], [0], [0], [0], [1], [1], [1], [1]], dtype=float)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    intercept, slope = hc.fit_logistic(x, y, l2=0.0)
    assert intercept == pytest.approx(math.log(1 / 3))
    assert slope == pytest.approx(2 * math.log(3))


def test_logistic_fit_recovers_known_coefficients():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, size=(20_000, 2))
    p = 1 / (1 + np.exp(-(1.0 - 0.5 * x[:, 0] + 0.0 * x[:, 1])))
    y = rng.random(20_000) < p
    beta = hc.fit_logistic(x, y, l2=0.0)
    assert beta == pytest.approx([1.0, -0.5, 0.0], abs=0.08)


def test_weights_from_coefficients_by_hand():
    # Protective strengths 0.3 and 0.1 → 75 % and 25 %; the harmful component keeps the 1 % floor.
    assert hc.weights_from_coefficients(np.array([-0.3, -0.1, 0.2]), ["a", "b", "c"]) == {
        "a": 74.0,
        "b": 25.0,
        "c": 1.0,
    }
    assert hc.weights_from_coefficients(np.array([0.1, 0.2]), ["a", "b"]) is None


def test_a_test_day_learns_only_from_days_whose_outcome_it_knew():
    days = np.array([0, 28, 56, 84, 112, 140])
    assert hc.known_on(days, 90, 5).tolist() == [True, True, False, False, False, False]
    assert not hc.known_on(days, 90, 2).any()


def test_churn_contraction_and_auc_by_band(db):
    _book(
        db,
        [
            (90, None, None),
            (85, None, None),
            (82, None, None),
            (80, date(2026, 10, 1), None),  # after the 90 days: not counted
            (70, None, None),
            (65, None, None),
            (62, date(2026, 7, 1), None),
            (50, date(2026, 6, 20), None),
            (40, date(2026, 8, 1), None),
            (30, None, date(2026, 7, 1)),
        ],
    )
    check = hc.health_check(db, AS_OF, 90, today=TODAY)
    data = check.to_json()
    assert data["by_band"]["green"] == {
        "accounts": 4,
        "churned": 0,
        "churn_rate": 0.0,
        "contracted": 0,
        "contraction_rate": 0.0,
    }
    assert data["by_band"]["yellow"]["churned"] == 1
    assert data["by_band"]["yellow"]["churn_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert data["by_band"]["red"] == {
        "accounts": 3,
        "churned": 2,
        "churn_rate": pytest.approx(2 / 3, abs=1e-6),
        "contracted": 1,
        "contraction_rate": pytest.approx(1 / 3, abs=1e-6),
    }
    assert data["contraction_rate"] == 0.1
    # Churners 62, 50, 40 against stayers 90, 85, 82, 80, 70, 65, 30: 18 of 21 pairs.
    assert check.auc == pytest.approx(6 / 7)
    assert data["enough_data"] is False
    assert data["verdict"].startswith("Too few churns to judge: 3 of 10")


def test_verdict_names_how_many_times_more_reds_churned(db):
    greens = [(90, date(2026, 7, 1) if i == 0 else None, None) for i in range(10)]
    reds = [(40, date(2026, 7, 1) if i < 4 else None, None) for i in range(10)]
    check = hc.health_check(db_with(db, greens + reds), AS_OF, 90, today=TODAY)
    assert check.red_to_green == pytest.approx(4.0)
    assert check.verdict().startswith("Reds churned 4.0x more than greens (40.0% vs 10.0%).")
    # 5 churners × 15 stayers = 75 pairs. The green churner ties 9 greens (4.5) and is above the
    # reds (0); each red churner is below 9 greens (9) and ties 6 reds (3): 4.5 + 4 × 12 = 52.5.
    assert check.auc == pytest.approx(52.5 / 75)
    assert "AUC 0.70: the score separates churners well." in check.verdict()


def db_with(db, specs):
    _book(db, specs)
    return db


def test_window_not_over_is_said(db):
    _book(db, [(90, None, None)])
    check = hc.health_check(db, date(2026, 10, 1), 90, today=TODAY)
    assert check.complete is False
    assert "not over yet" in check.verdict()


def test_cli_json_keys(db, db_path, capsys):
    _book(db, [(90, None, None), (40, date(2026, 7, 1), None)])
    assert main(["--db", str(db_path), "health-check", "--as-of", "2026-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"as_of", "horizon_days", "by_band", "auc", "verdict", "contraction_rate"} <= data.keys()
    assert data["as_of"] == "2026-06-01" and data["horizon_days"] == 90
    assert data["by_band"]["red"]["churned"] == 1
    assert main(["--db", str(db_path), "health-check", "--horizon-days", "0"]) == 2


def test_calibration_refuses_without_enough_churns(db, db_path, capsys):
    _book(db, [(90, None, None), (40, date(2026, 7, 1), None)])
    result = hc.calibrate(db, 90, today=TODAY)
    assert result.enough_data is False
    assert result.suggested_weights is None and result.suggested_auc is None
    assert main(["--db", str(db_path), "health-calibrate", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"current_auc", "suggested_auc", "suggested_weights", "enough_data"} <= data.keys()
    assert data["enough_data"] is False and data["message"]
